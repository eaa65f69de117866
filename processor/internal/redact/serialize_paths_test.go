package redact

import (
	"strings"
	"testing"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// twoStep is serialize_trace_payload the way the oracle spells it: build the redacted copy
// (RedactValue), then serialize it. The one-walk paths must give the same text.
func twoStep(r *Redactor, v payload.Value, maxSize int) string {
	return payload.Serialize(r.RedactValue(v), maxSize)
}

// checkSerializePaths asserts that the tree walk (SerializeTracePayload) and the streaming
// pass (SerializeTraceJSON) equal the two-step reference on the JSON text doc.
func checkSerializePaths(t *testing.T, r *Redactor, doc string, maxSize int) {
	t.Helper()
	v, perr := payload.ParseString(doc)
	stream, redacted, serr := r.SerializeTraceJSON(doc, maxSize)
	if (perr == nil) != (serr == nil) {
		t.Fatalf("SerializeTraceJSON(%.200q) error %v, ParseString error %v", doc, serr, perr)
	}
	if perr != nil {
		if perr.Error() != serr.Error() {
			t.Fatalf("SerializeTraceJSON(%.200q) error %q, ParseString error %q", doc, serr, perr)
		}
		return
	}
	want := twoStep(r, v, maxSize)
	if got := r.SerializeTracePayload(v, maxSize); got != want {
		t.Fatalf("SerializeTracePayload(%.200q, %d) = %.300q, two-step %.300q", doc, maxSize, got, want)
	}
	if stream != want {
		t.Fatalf("SerializeTraceJSON(%.200q, %d) = %.300q, two-step %.300q", doc, maxSize, stream, want)
	}
	// Both report a redaction alike, and always when redacting changed the full serialization.
	_, treeRedacted := r.SerializeTracePayloadReport(v, maxSize)
	changed := payload.Serialize(r.RedactValue(v), 1<<40) != payload.Serialize(v, 1<<40)
	if treeRedacted != redacted || (changed && !redacted) {
		t.Fatalf("%.200q: redacted tree %v, stream %v; redacting changes the payload: %v", doc, treeRedacted, redacted, changed)
	}
}

// TestSerializeReportsRedaction: the report says whether a rule acted, not whether the output
// holds a mask (input may already hold "***" or "REDACTED").
func TestSerializeReportsRedaction(t *testing.T) {
	r := New(nil, Options{JSONQuotedKeys: true})
	for doc, want := range map[string]bool{
		`{"note":"*** and REDACTED, http://h/x"}`:        false,
		`{"a":[1,"x"],"url":"http://h/?q=1"}`:            false,
		`{"password":"***"}`:                             true, // a masked member counts, whatever it held
		`{"note":"token=abc"}`:                           true,
		`{"callback":"http://u:p@h/"}`:                   true,
		`["{\"secret\": \"x\"}"]`:                        true, // D3
		`{"url":"https://h/?api_key=REDACTED"}`:          false,
		`{"n":"see https://h/?token=REDACTED&x=1 done"}`: false,
	} {
		v, err := payload.ParseString(doc)
		if err != nil {
			t.Fatal(err)
		}
		if _, got := r.SerializeTracePayloadReport(v, 0); got != want {
			t.Errorf("SerializeTracePayloadReport(%s) redacted = %v, want %v", doc, got, want)
		}
		if _, got, _ := r.SerializeTraceJSON(doc, 0); got != want {
			t.Errorf("SerializeTraceJSON(%s) redacted = %v, want %v", doc, got, want)
		}
	}
}

// TestSerializePathsAgree covers the shapes where the walks could part: masked members holding
// containers, lists under members and at the root (field "item"), URL-like fields, duplicate
// keys (the streaming pass hands them to the tree), big objects, escapes, truncation, bad JSON.
func TestSerializePathsAgree(t *testing.T) {
	many := func(dupAt int) string {
		var b strings.Builder
		b.WriteByte('{')
		for i := 0; i < 40; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			k := "k" + strings.Repeat("x", i)
			if i == dupAt {
				k = "k"
			}
			b.WriteString(`"` + k + `":"token=` + k + `"`)
		}
		b.WriteByte('}')
		return b.String()
	}
	docs := []string{
		`"password=hunter2 https://u:p@h/x?token=1"`,
		`["token=1",["password: 'x'"],{"url":"https://u:p@h/?api_key=1"}]`,
		`{"password":{"a":[1,{"b":"c"}],"token":"x"},"note":"token=abc","n":[1.5,-0,1e400,NaN]}`,
		`{"endpoint":"token=1 https://h/?token=2","items":["token=3",{"Api-Key":[1,2]}],"redirect_uri":["https://u:p@h/"]}`,
		`{"a":1,"b":{"a":2,"a":"token=x"},"a":"password=y"}`,
		`{"password":1,"password":{"x":"y"}}`,
		`{"q":"\"password\": \"hunter2\" \u00e9\ud83d\ude00 \n\t\u0001"}`,
		`{"content":[{"type":"text","text":"` + strings.Repeat("dolor password=hunter2 é😀 ", 60) + `"}]}`,
		many(-1), many(30), many(3),
		// Source text the streaming pass copies, in part: compact runs between edits, spaces,
		// escapes and numbers it must re-encode, a masked member in every position.
		`{"id":1,"text":"lorem","ok":true,"none":null,"f":1.5,"list":[1,"a",[],{}]}`,
		` { "id" : 1 , "text":"lorem" ,"list" :[ 1,"a" , [ ] ,{ } ] } `,
		`{"a":"\/x\u0041","b":-0,"c":1E5,"d":1.50,"e":-0.0,"g":"token=1","h":[NaN,Infinity,-Infinity]}`,
		`[{"password":"x"},{"password":[1,{"a":2}]},{"x":1,"password":{"y":[]}},{"password" : "z" , "k":1}]`,
		`{"é":"ü","\u00e9":"x","k\"q":"v","ok":"plain"}`,
		"\n\t[\"a\",\r\n\"b\"]\n",
		`{"items":[` + strings.Repeat(`{"id":123,"text":"lorem ipsum dolor"},`, 30) + `{"token":"x"}]}`,
		`{}`, `[]`, `[[],{}]`, `null`, `12345678901234567890123`, `{"a":}`, `[1,]`, `{"a" 1}`, `"\x"`, ``,
		strings.Repeat("[", payload.MaxDepth) + strings.Repeat("]", payload.MaxDepth),
		strings.Repeat("[", payload.MaxDepth+1) + strings.Repeat("]", payload.MaxDepth+1),
	}
	for _, r := range []*Redactor{New(nil, Options{JSONQuotedKeys: true}), oracleExact(), New([]string{"q", "text"}, Options{})} {
		for _, doc := range docs {
			for _, size := range []int{0, 50, 256, 300, 1000} {
				checkSerializePaths(t, r, doc, size)
			}
		}
	}
}

// FuzzSerializePaths: on any text the streaming pass and the tree walk equal the two-step
// reference (or all report the same parse error).
func FuzzSerializePaths(f *testing.F) {
	f.Add(`{"a":[{"password":{"x":1}},"token=1"],"a":2}`, 256)
	f.Add(`["https://u:p@h/?token=1",{"url":"x"}]`, 300)
	f.Add(`{"b":"\"password\": \"x\"","c":[[["Bearer abc"]]]}`, 1000)
	f.Add(` {"a" : [1 , "\u0041",-0,1E2], "password" : {"x":[]},"k":"v"} `, 300)
	r := New(nil, Options{JSONQuotedKeys: true})
	f.Fuzz(func(t *testing.T, doc string, maxSize int) {
		checkSerializePaths(t, r, doc, 256+abs(maxSize)%2048)
	})
}
