package redact

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// secretMarker is a value no rule could produce itself; it must never survive after a
// redact key, a Bearer word or a D3 quoted key.
const secretMarker = "Zq9SECRETvAlUe"

// FuzzSanitizeText: no panic; a secret placed after password=, "password": (D3) or
// Bearer never survives, whatever text surrounds it.
func FuzzSanitizeText(f *testing.F) {
	for _, s := range []string{"", "token=a b", "{\"x\": 1}", "https://u:p@h/?k=1", "é日本😀", "\xff", "***  ***", "password: '"} {
		f.Add(s, s)
	}
	r := New(nil, Options{JSONQuotedKeys: true})
	f.Fuzz(func(t *testing.T, prefix, suffix string) {
		_ = r.SanitizeText(prefix + suffix)
		_ = r.SanitizeExceptionMessage(prefix, "E")
		_ = SanitizeURL(prefix)
		sep := " "
		if strings.HasSuffix(prefix, "\\") {
			sep = " \\ " // keep a trailing backslash from escaping the D3 opening quote
		}
		for _, planted := range []string{
			"password=" + secretMarker,
			`"password": "` + secretMarker + `"`,
			"Bearer " + secretMarker,
		} {
			// A separator keeps the key a word of its own (\b) and ends the value.
			text := prefix + sep + planted + " " + suffix
			if out := r.SanitizeText(text); strings.Contains(out, secretMarker) {
				t.Fatalf("secret survived in %q:\n%q", text, out)
			}
		}
	})
}

// FuzzSerializeTracePayload: no panic; the output is valid JSON (Go encoding/json and our
// Parse) of at most max_size code points; a value under a redact key never survives.
func FuzzSerializeTracePayload(f *testing.F) {
	f.Add(`{"a":"x"}`, "note", 256)
	f.Add(`["é😀",1e16,"\n"]`, "password", 300)
	f.Add(`"`+strings.Repeat("\\u0001", 80)+`"`, "url", 257)
	r := New(nil, Options{JSONQuotedKeys: true})
	f.Fuzz(func(t *testing.T, doc, key string, maxSize int) {
		maxSize = 256 + abs(maxSize)%2048
		v, err := payload.Parse([]byte(doc))
		if err != nil {
			v = doc // not JSON: serialize it as a string
		}
		o := payload.NewObject(3)
		o.Set("doc", v)
		o.Set(key, "k")
		o.Set("password", secretMarker)
		out := r.SerializeTracePayload(o, maxSize)
		if n := utf8.RuneCountInString(out); n > maxSize {
			t.Fatalf("%d code points > max %d", n, maxSize)
		}
		if !json.Valid([]byte(out)) && !strings.Contains(out, "NaN") && !strings.Contains(out, "Infinity") {
			t.Fatalf("invalid JSON: %q", out)
		}
		if _, err := payload.Parse([]byte(out)); err != nil {
			t.Fatalf("Parse rejects output %q: %v", out, err)
		}
		if strings.Contains(out, secretMarker) {
			t.Fatalf("secret survived: %q", out)
		}
	})
}

func abs(n int) int {
	if n < 0 {
		if -n < 0 {
			return 0
		}
		return -n
	}
	return n
}

// FuzzCannotMatch: the one-scan fast path only skips texts that every rule leaves unchanged.
func FuzzCannotMatch(f *testing.F) {
	for _, s := range []string{"lorem ipsum", "Bearer abc", "about basic x", "bearer\x1cab,", "BASIC a/b=", "x http y", "ı", "a*b"} {
		f.Add(s)
	}
	rs := []*Redactor{New(nil, Options{JSONQuotedKeys: true}), New([]string{"b", "-", "basic", "x y"}, Options{})}
	f.Fuzz(func(t *testing.T, s string) {
		if !cannotMatch(s) {
			return
		}
		for _, r := range rs {
			if out, _ := r.applyTextRules(s); out != s {
				t.Fatalf("cannotMatch(%q) but the rules give %q", s, out)
			}
		}
	})
}
