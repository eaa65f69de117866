package payload

import (
	"encoding/json"
	"testing"
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
