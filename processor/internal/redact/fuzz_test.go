package redact

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"strconv"
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

// referenceRedactors are the field lists the prefiltered engine is compared with the
// reference on: the defaults with and without D3, multi-part and punctuated keys, keys
// ending in the IGNORECASE letters (s, i, k: ſ ı İ K), non-ASCII and punctuation-only fields,
// fields whose masks join another field's key parts.
var referenceRedactors = []*Redactor{
	New(nil, Options{JSONQuotedKeys: true}),
	New(nil, Options{}),
	New([]string{"set-cookie", "X-Api-Key", "auth.token", "client secret", "Private_Key"}, Options{JSONQuotedKeys: true}),
	New([]string{"pässword", "api_key", "naïve-secret", "K", "---", "pass", "uri", "ſ", "é"}, Options{JSONQuotedKeys: true}),
	New([]string{"b", "-", "basic", "x y", "query", "id", "*"}, Options{}),
	// a mask can join key parts: api=x&key=v → api=***&key=v, where api_key then matches
	New([]string{"api", "api_key", "auth", "auth_token", "session", "session_id"}, Options{JSONQuotedKeys: true}),
	// more than 64 fields: the key=value rules without per-end probes (lastBytes)
	New(append(DefaultFields(), manyFields(60)...), Options{JSONQuotedKeys: true}),
}

// manyFields returns n distinct field names ("field0token", "field1token", ...).
func manyFields(n int) []string {
	fields := make([]string, n)
	for i := range fields {
		fields[i] = "field" + strconv.Itoa(i) + "token"
	}
	return fields
}

// checkAgainstReference fails when the prefiltered engine and the reference (the engine
// before the prefilter, reference_test.go) answer s differently.
func checkAgainstReference(t *testing.T, s string) {
	t.Helper()
	for i, r := range referenceRedactors {
		got, gotErr := r.applyTextRules(s)
		want, wantErr := r.refApplyTextRules(s)
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("redactor %d on %q:\n got %q (%v)\nwant %q (%v)", i, s, got, gotErr, want, wantErr)
		}
	}
	gotURL, gotErr := SanitizeURLStrict(s)
	wantURL, wantErr := refSanitizeURLStrict(s)
	if gotURL != wantURL || (gotErr == nil) != (wantErr == nil) {
		t.Fatalf("SanitizeURLStrict(%q) = %q (%v), reference %q (%v)", s, gotURL, gotErr, wantURL, wantErr)
	}
}

// FuzzTextRulesMatchReference: the prefilter (separator candidates, key probe, key ends
// carried through edits, quote window, URL search from "://") changes no answer.
func FuzzTextRulesMatchReference(f *testing.F) {
	for _, s := range referenceFragments {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		checkAgainstReference(t, a+b)
		checkAgainstReference(t, a+" "+b+" "+a)
	})
}

// referenceFragments are the pieces TestTextRulesMatchReference combines at random.
var referenceFragments = []string{
	"password=x", "field7token=v", "password = 'x y'", `"password": "x"`, `\"api_key\":\"v\"`, "'token': 'v'", "token:",
	"Authorization: Bearer abc.def", "basic  a/b=", "BEARER\u00a0t", "https://u:p@h/x?api_key=1&q=2",
	"http://[::1", "http://ｕ＠h/secret= x", "https://docs.example.com/a#b", "http://", "://", "***", "*** ***",
	"api_key", "api", "_", "key", "=", ":", " ", "\t", "\u3000", "'", `"`, `\`, "&", ";", ",", "REDACTED",
	"paſſword=1", "toKen=1", "ıd=2", "İd: 3", "set-cookie=a;", "X-Api-Key: k", "auth.token=t", "client secret=s",
	"pässword=p", "naïve-secret: n", "K=k", "---=d", "ſ: s", "é=e", "uri=u", "id=7", "query=q", "x y=z",
	"{", "}", "[", "]", "Zürich", "日本", "\xff", "é", "\n", "session_id=", "sessionid:", "cookie", "=value", "x=y =z", "a*=1", "id=v =w",
	"api=x&", "key=v", "auth=a&token=t", "session:s id=i", "api='q' key:k",
	// a key in single quotes that opens before a key in double quotes inside it
	`'a "password": x' : 1`, `'token "`, `": v`,
}

// TestTextRulesMatchReference combines fragments (seeded) and checks each text against the
// reference; FuzzTextRulesMatchReference explores further.
func TestTextRulesMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261202, 1))
	for _, name := range []string{"text_2k.txt", "text_clean_2k.txt", "text_secrets_2k.txt"} {
		data, err := os.ReadFile("testdata/bench/" + name)
		if err != nil {
			t.Fatal(err)
		}
		checkAgainstReference(t, string(data))
	}
	for n := 0; n < 20000; n++ {
		var b strings.Builder
		for k := rng.IntN(12); k >= 0; k-- {
			b.WriteString(referenceFragments[rng.IntN(len(referenceFragments))])
			if rng.IntN(3) == 0 {
				b.WriteByte(" :=_\"'"[rng.IntN(6)])
			}
		}
		checkAgainstReference(t, b.String())
	}
}

// FuzzValidUTF8: validUTF8 is utf8.ValidString.
func FuzzValidUTF8(f *testing.F) {
	for _, s := range []string{"", "abcdefghé", "Zürich 日本 😀 abcdefgh", "\xff", "abcdefg\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", "\xe0\x80\xaf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := validUTF8(s), utf8.ValidString(s); got != want {
			t.Fatalf("validUTF8(%q) = %v, utf8.ValidString %v", s, got, want)
		}
	})
}

// FuzzKeyMatches: the quick rejections of KeyMatches (length, last letter) change no answer
// of the definition, the normalized key looked up among the normalized fields.
func FuzzKeyMatches(f *testing.F) {
	for _, s := range []string{"password", "Api-Key", "temp_c", "x-token!", "pässwörd", "---", "İd", "ſecret", "Access_Token\u00e9"} {
		f.Add(s)
	}
	rs := []*Redactor{New(nil, Options{}), New([]string{"---", "id", "x9", "K"}, Options{})}
	f.Fuzz(func(t *testing.T, key string) {
		for i, r := range rs {
			want := r.normalized[string(appendNormalized(nil, key))]
			if got := r.KeyMatches(key); got != want {
				t.Fatalf("redactor %d: KeyMatches(%q) = %v, the normalized lookup %v", i, key, got, want)
			}
		}
	})
}
