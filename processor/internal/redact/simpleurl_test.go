package redact

import (
	"strings"
	"testing"
)

// simpleURLCases are URLs on and off appendSimpleURL's fast path: userinfo ('@' in the host
// too, empty user or password), queries (sensitive names in any case, duplicates, blanks,
// '+' and %XX escapes, ones that encode to nothing), empty '?' and '#', ';' params, an empty
// authority, brackets, controls and non-ASCII bytes.
var simpleURLCases = []struct {
	u      string
	simple bool
}{
	{"https://u4:pbca40@api.example.com/v1?q=w&api_key=dd246c2c", true},
	{"https://api.example.com/v1/search?q=weather&api_key=sk12345&lang=en", true},
	{"https://docs.example.com/weather/v2/forecast#daily", true},
	{"http://u:p@h", true},
	{"http://u@h:8080/x", true},
	{"http://:p@h/", true},
	{"http://:@h/x?y=1", true},
	{"http://@h/x", true},
	{"http://a@b@c/x", true},
	{"http://u:p@h?", true},
	{"http://u:p@h#", true},
	{"http://u:p@h/?#", true},
	{"http://h/?", true},
	{"http://h/?&&", true},
	{"http://h/?=", true},
	{"http://h/?a", true},
	{"http://h/?a=1&a=2&A=3", true},
	{"http://h/?TOKEN=1&Api_Key=2&tavilyApiKey=3&tavilyapikey=4&x=%41&y=a+b&z=%zz", true},
	{"http://h/?pass%77ord=x&k%65y=v&%E2%82%AC=1&%FF=2", true},
	{"http://h/?q=a/b:c@d&r=~._-", true},
	{"http://h/x?api_key=1#frag?api_key=2", true},
	{"http://h#?api_key=1", true},
	{"http://h?x=1/y", true},
	{"https://REDACTED:REDACTED@h/", true},
	{"http://h/?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9&j=10&a=11&token=12", true},
	{"http://u:p@h/a;b?x=1", false},
	{"http://h/a;?token=1", false},
	{"http:///x?token=1", false},
	{"http:////x?token=1", false},
	{"http://?token=1", false},
	{"http://u:p@[::1]/x", false},
	{"http://u:p@h]/x", false},
	{"http://u:p@hé/x", false},
	{"http://u:p@h/x\x01?token=1", false},
	{"http://u:p@h/x\x7f", false},
}

// TestAppendSimpleURL: the fast path answers exactly what SanitizeURLStrict (and so the oracle,
// see tests/differential) answers, appended after what dst holds, and takes the URLs it should.
func TestAppendSimpleURL(t *testing.T) {
	for _, c := range simpleURLCases {
		checkSimpleURL(t, c.u, c.simple)
	}
}

func checkSimpleURL(t *testing.T, u string, wantSimple bool) {
	t.Helper()
	schemeLen := strings.Index(u, "://")
	out, ok := appendSimpleURL([]byte("prefix "), u, schemeLen)
	if ok != wantSimple {
		t.Errorf("appendSimpleURL(%q): ok = %v, want %v", u, ok, wantSimple)
	}
	if !ok {
		if string(out) != "prefix " {
			t.Errorf("appendSimpleURL(%q) refused but wrote %q", u, out)
		}
		return
	}
	want, err := SanitizeURLStrict(u)
	if err != nil {
		t.Errorf("appendSimpleURL(%q) took a URL Python raises on: %v", u, err)
		return
	}
	if got := strings.TrimPrefix(string(out), "prefix "); got != want || !strings.HasPrefix(string(out), "prefix ") {
		t.Errorf("appendSimpleURL(%q) = %q, SanitizeURLStrict = %q", u, out, want)
	}
}

// FuzzSimpleURL: on any URL a text can hold (from "http://" or "https://" to a byte that ends
// it), the fast path, when it answers, answers what SanitizeURLStrict answers.
func FuzzSimpleURL(f *testing.F) {
	for _, c := range simpleURLCases {
		f.Add(c.u)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, scheme := range []string{"http://", "https://"} {
			u := scheme + s
			end, _ := urlEnd(u, len(scheme))
			u = u[:end]
			out, ok := appendSimpleURL(nil, u, len(scheme)-3)
			if !ok {
				continue
			}
			if want, err := SanitizeURLStrict(u); err != nil || string(out) != want {
				t.Fatalf("appendSimpleURL(%q) = %q, SanitizeURLStrict = %q, %v", u, out, want, err)
			}
		}
	})
}

// TestEmbeddedURLsMatchReference: texts mixing URLs the fast path leaves unchanged, changes
// or refuses, before and after the first change, against the reference engine.
func TestEmbeddedURLsMatchReference(t *testing.T) {
	urls := []string{
		"https://h/?q=1", "https://u:p@h/x", "http://h/?token=t", "https://h/a;b?token=t",
		"http://[::1]/?token=t", "https://h/x", "http://h/?a=1&a=2", "https://ｕ＠h/?api_key=k",
		"http://h/?q=" + strings.Repeat("/", 64), // three times longer rebuilt: past the room given
	}
	for _, a := range urls {
		for _, b := range urls {
			for _, c := range urls {
				checkAgainstReference(t, "see "+a+" then "+b+", "+c+" end")
				checkAgainstReference(t, a+" "+b+"<"+c)
			}
		}
	}
}
