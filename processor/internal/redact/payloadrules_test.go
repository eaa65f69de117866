package redact

import (
	"os"
	"strings"
	"testing"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// isPlainText reports whether s is printable ASCII without '"' or '\\': what the payload
// encoders write between quotes as it is.
func isPlainText(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// plainOnly keeps the bytes of s that a plain string holds (0x20..0x7f but '"' and '\\').
func plainOnly(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 0x20 && c < 0x80 && c != '"' && c != '\\' {
			b = append(b, c)
		}
	}
	return string(b)
}

// checkPlainStaysPlain: for the plain string s, under a text field and a URL field, with and
// without D3, payloadRules.Text answers what the rules answer, and claims a plain answer only
// for a plain one (the encoders write it without the escape scan); for a string not said
// plain it claims nothing.
func checkPlainStaysPlain(t *testing.T, s string) {
	t.Helper()
	for _, opts := range []Options{{}, {JSONQuotedKeys: true}} {
		r := New(nil, opts)
		for _, field := range []string{"note", "callback_url", "item"} {
			p := &payloadRules{r: r}
			out, outPlain := p.Text(field, s, true)
			if want := r.text(s, fieldLooksLikeURL(field), false, nil); out != want { // s checked for UTF-8
				t.Fatalf("Text(%q, %q) = %q, the rules give %q", field, s, out, want)
			}
			if outPlain && !isPlainText(out) {
				t.Fatalf("Text(%q, %q) = %q, said plain but is not", field, s, out)
			}
			if !outPlain {
				t.Fatalf("Text(%q, %q) = %q, not said plain", field, s, out)
			}
			if _, outPlain := (&payloadRules{r: r}).Text(field, s, false); outPlain {
				t.Fatalf("Text(%q, %q, false) said plain", field, s)
			}
		}
	}
}

// plainStaysPlainSeeds: plain texts that every rule changes, among them URLs whose query
// decodes to quotes, backslashes, control bytes, non-ASCII and invalid UTF-8 (quote_plus
// writes them back as %XX), userinfo, Bearer and Basic credentials, D3's single-quoted keys.
var plainStaysPlainSeeds = []string{
	"password=hunter2 token=abc123 Bearer xyz Basic dXNlcjpwYXNz",
	"see https://u:p@example.com/x?api_key=zzz&q=%22%5C%0A%C3%A9%FF+a&q=2#frag",
	"http://example.com/p;params?token=%22x%22&%5C=%00#f",
	"https://[::1]:8080/?access_token=a%E2%82&x=%ZZ",
	"HTTPS://USER@EXAMPLE.COM/?Password=x",
	"https://a b@c/?x=y http://[bad/?token=1",
	"{'token': 'x', 'api_key' : 'y'} api-key: *** *** secret=***",
	"client_secret = 'abc' , authorization: Bearer abc.def.ghi",
	"",
}

// TestPayloadRulesPlainStaysPlain: checkPlainStaysPlain on the seeds and on the benchmark
// texts with their non-plain bytes dropped.
func TestPayloadRulesPlainStaysPlain(t *testing.T) {
	for _, s := range plainStaysPlainSeeds {
		checkPlainStaysPlain(t, s)
	}
	for _, name := range []string{"text_2k.txt", "text_secrets_2k.txt", "text_clean_2k.txt", "tool_args_2k.json", "tool_result_2k.json", "payload_2k.json"} {
		data, err := os.ReadFile("testdata/bench/" + name)
		if err != nil {
			t.Fatal(err)
		}
		checkPlainStaysPlain(t, plainOnly(string(data)))
	}
}

// FuzzPayloadRulesPlainStaysPlain: checkPlainStaysPlain on any text's plain bytes.
func FuzzPayloadRulesPlainStaysPlain(f *testing.F) {
	for _, s := range plainStaysPlainSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkPlainStaysPlain(t, plainOnly(s))
	})
}

// TestSerializeTraceJSONPlainEdits: a document whose plain strings the rules change is written
// as the tree walk writes it (the streamed pass writes those strings without the escape scan).
func TestSerializeTraceJSONPlainEdits(t *testing.T) {
	r := New(nil, Options{JSONQuotedKeys: true})
	for _, doc := range []string{
		`{"q":"token=abc Bearer xyz","u":"https://u:p@h/?api_key=%22%5C","l":["password=x","ok"],"n":1}`,
		`["password=x","password=x",{"callback_url":"http://a:b@c/?token=%C3%A9"}]`,
		`{"a":"\u0070assword=x","b":"password=\u00e9","c":"x\"y password=z"}`,
	} {
		got, _, err := r.SerializeTraceJSON(doc, payload.DefaultMaxSize)
		v, perr := payload.ParseString(doc)
		if err != nil || perr != nil {
			t.Fatalf("%s: %v %v", doc, err, perr)
		}
		if want := r.SerializeTracePayload(v, payload.DefaultMaxSize); got != want {
			t.Fatalf("SerializeTraceJSON(%s) = %s, the tree walk writes %s", doc, got, want)
		}
		if strings.Contains(got, "password=x") {
			t.Fatalf("SerializeTraceJSON(%s) = %s: a secret went through", doc, got)
		}
	}
}
