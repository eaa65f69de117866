package redact

import (
	"os"
	"testing"
)

// keyValuesBothWays runs step 3 on s (no URL, Bearer or pending span) in one pass and rule by
// rule; it fails when the one pass answers and the answers differ.
func keyValuesBothWays(t *testing.T, r *Redactor, s string) (once bool) {
	t.Helper()
	ends := keyEnds(s, nil)
	r.probeEnds(s, ends)
	var bufs textBuffers
	got, gotChanged, ok := r.redactKeyValuesOnce(s, nil, ends, &bufs, new(onceScratch))
	got = string([]byte(got)) // the buffers are written again below
	if !ok {
		if got != s {
			t.Errorf("%q: a declined one-pass run changed the text to %q", s, got)
		}
		return false
	}
	var bufs2 textBuffers
	ends = keyEnds(s, nil)
	r.probeEnds(s, ends)
	want, wantChanged := r.redactKeyValues(s, nil, ends, &bufs2)
	if got != want || gotChanged != wantChanged {
		t.Errorf("%q: one pass %q (%v), rule by rule %q (%v)", s, got, gotChanged, want, wantChanged)
	}
	return true
}

// TestKeyValuesOnceTaken: the benchmark texts (which mask dozens of values, and put keys
// right after masks whose probes read the masked bytes) take the one pass.
func TestKeyValuesOnceTaken(t *testing.T) {
	r := New(nil, Options{JSONQuotedKeys: true})
	for _, name := range []string{"text_2k.txt", "text_secrets_2k.txt"} {
		data, err := os.ReadFile("testdata/bench/" + name)
		if err != nil {
			t.Fatal(err)
		}
		s := redactBearer(string(data), nil) // no pending span: the URLs are kept as they are
		if !keyValuesBothWays(t, r, s) {
			t.Errorf("%s: the one pass declined", name)
		}
	}
	for _, s := range fastPathTexts {
		if !keyValuesBothWays(t, r, s) {
			t.Errorf("%q: the one pass declined", s)
		}
	}
}

// fastPathTexts are texts both the one pass and the disjoint path must take (each checked
// against the general path).
var fastPathTexts = []string{
	"password=a token=b",
	"Authorization: Bearer x token=y",        // access_token's probe at token= reads "x" (masked)
	"sessionid=1 session_id=2 sessionid='3'", // two fields' keys match each end
	"x='' password='' token=\"\"",            // empty quoted values: a mask inserted
}

// TestKeyValuesOnceDeclines: a rule that would read what an earlier rule masked leaves the
// text to the rule-by-rule run (checked against the reference).
func TestKeyValuesOnceDeclines(t *testing.T) {
	for _, c := range []struct {
		fields []string
		s      string
	}{
		{nil, "token=password=abc"},                         // token's value holds password's mask
		{nil, "password=a api_key=b token=password=c"},      // the same, other masks before it
		{[]string{"set", "set-cookie"}, "set=abc cookie=1"}, // set-cookie matches across set's mask
		{[]string{"auth", "auth_token"}, "auth=x token=1"},  // auth_token too
	} {
		r := New(c.fields, Options{})
		if keyValuesBothWays(t, r, c.s) {
			t.Errorf("%q: the one pass answered", c.s)
		}
		checkAgainstReference(t, c.s)
	}
}

// TestBearerWordAtAsRunes: the byte-wise Bearer/Basic word match answers as the rune-wise one
// (foldEq) on every mix of cases, IGNORECASE extras (ſ ı İ K) and cut or wrong letters.
func TestBearerWordAtAsRunes(t *testing.T) {
	variants := map[byte][]string{
		'b': {"b", "B"}, 'e': {"e", "E", "é"}, 'a': {"a", "A", "\u00e0"}, 'r': {"r", "R", "x"},
		's': {"s", "S", "\u017f"}, 'i': {"i", "I", "\u0131", "\u0130"}, 'c': {"c", "C", "k"},
	}
	var texts []string
	var build func(word, prefix string)
	build = func(word, prefix string) {
		texts = append(texts, prefix, prefix+" x")
		if word == "" {
			return
		}
		for _, v := range variants[word[0]] {
			build(word[1:], prefix+v)
		}
	}
	build("bearer", "")
	build("basic", "")
	for _, s := range texts {
		if s == "" || (s[0] != 'b' && s[0] != 'B') {
			continue
		}
		wantEnd, want := 0, false
		for _, w := range bearerWords {
			if end, ok := bearerWordRunes(s, 0, w); ok {
				wantEnd, want = end, true
				break
			}
		}
		if end, ok := bearerWordAt(s, 0); ok != want || end != wantEnd {
			t.Errorf("%q: bearerWordAt %d %v, rune-wise %d %v", s, end, ok, wantEnd, want)
		}
	}
	if end, ok := bearerWordAt("ba\u017fic x", 0); !ok || end != 6 {
		t.Errorf("baſic: %d %v, want 6 true", end, ok)
	}
}
