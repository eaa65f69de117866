package payload

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzParse: Parse never panics, and whatever it accepts encodes to valid JSON (NaN and
// Infinity aside, which Go's encoding/json does not know) that parses back to the same text.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x"]}`, `[NaN,-Infinity]`, `"\ud83d\ude00"`, `{"a":1,"a":2}`, `[[[[]]]]`, "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Parse(data)
		if err != nil {
			return
		}
		enc := Encode(v)
		back, err := Parse([]byte(enc))
		if err != nil {
			t.Fatalf("Encode output %q does not parse: %v", enc, err)
		}
		if again := Encode(back); again != enc {
			t.Fatalf("round trip changed %q to %q", enc, again)
		}
		if !hasNonStandardNumbers(v) && !json.Valid([]byte(enc)) {
			t.Fatalf("Encode output is not valid JSON: %q", enc)
		}
	})
}

func hasNonStandardNumbers(v Value) bool {
	switch x := v.(type) {
	case Number:
		s := x.String()
		return s == "NaN" || s == "Infinity" || s == "-Infinity"
	case []Value:
		for _, i := range x {
			if hasNonStandardNumbers(i) {
				return true
			}
		}
	case *Object:
		for i := 0; i < x.Len(); i++ {
			if hasNonStandardNumbers(x.Value(i)) {
				return true
			}
		}
	}
	return false
}

// edgeRules is a Redaction for the streaming pass's fuzz target: strings holding 'x' change
// (upper-cased, under their field), others stay; keys holding 's' are masked.
type edgeRules struct{}

func (edgeRules) MaskMember(key string) (string, bool) { return "M", strings.Contains(key, "s") }
func (edgeRules) Restart()                             {}
func (edgeRules) Text(field, s string, plain bool) (string, bool) {
	if strings.Contains(s, "x") {
		out := strings.ToUpper(field + ":" + s)
		return out, plainRunEnd(out, 0) == len(out) // plain when it is, so both writes are fuzzed
	}
	return s, plain
}

// FuzzSerializeJSONRedacted: the streaming pass writes what the tree walk writes for the
// parsed text, and fails with the parse error where Parse fails; it says ascii only for
// ASCII text (the capture then skips its UTF-8 check).
func FuzzSerializeJSONRedacted(f *testing.F) {
	for _, s := range []string{
		`{"a":[1,2.5,"x"],"s":{"b":[1]}}`, ` [ -0 , 1E2 , "\u0041x" , {"k" : "é"} ] `, `{"a":1,"a":2}`,
		`[NaN,-Infinity,Infinity,true,false,null]`, `{"id":0,"text":"lorem"}`, `"\ud83d\ude00x"`,
		`[[[[]]]]`, "\"\xff\"", `{"a":01}`, `[1.]`, `{"s" : [1,{"t":"x"}] , "z":"y"}`,
		`[{"key":"value"},{"key":"value"},{"key" :"value"},{"key":"valuex"},{"kex":"value"},["value"]]`,
		`[{"ab":1,"cd":{"e":2}},{"ab":1,"cd":{"e":2,"e":3}},{"ab":1,"ab":2},{"a\u0062":1,"ab":2}]`,
	} {
		f.Add(s, 100)
	}
	f.Fuzz(func(t *testing.T, doc string, maxSize int) {
		maxSize = 20 + abs(maxSize)%500
		got, ascii, err := SerializeJSONRedacted(doc, maxSize, edgeRules{})
		for i := 0; ascii && i < len(doc); i++ {
			if doc[i] >= utf8.RuneSelf {
				t.Fatalf("SerializeJSONRedacted(%q): ascii, but byte %d is %#x", doc, i, doc[i])
			}
		}
		v, perr := ParseString(doc)
		if perr != nil {
			if err == nil || err.Error() != perr.Error() {
				t.Fatalf("SerializeJSONRedacted(%q): error %v, Parse's %v", doc, err, perr)
			}
			return
		}
		if want := SerializeRedacted(v, maxSize, edgeRules{}); err != nil || got != want {
			t.Fatalf("SerializeJSONRedacted(%q, %d) = %q, %v; the tree walk writes %q", doc, maxSize, got, err, want)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
