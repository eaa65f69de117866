package redact

import (
	"math/rand"
	"strings"
	"testing"
)

// TestUnparsableURLInText pins our answer where Python's urlparse raises (the oracle has no
// answer): the URL is sanitized as if its authority parsed, the authority becomes REDACTED
// after the key=value rules ran, so everything the oracle masks on the parsable variant (the
// same text with a plain host, "want oracle" below) is masked too.
func TestUnparsableURLInText(t *testing.T) {
	cases := []struct {
		fields           []string
		in, want, oracle string // oracle: the gateway's answer with the host replaced by "h"
	}{
		{nil, "http://ｕ＠h/secret= hunter2", "http://REDACTED/secret= ***", "http://h/secret= ***"},
		{[]string{"set-cookie"}, "http://a℀b.c=SetCookie=\tZq9", "http://REDACTED\t***", "http://h=SetCookie=\t***"},
		{nil, "http://ü:pw@ｕ＠h//double?pwd=s1&b=1;2#token=s2&secret = s3",
			"http://REDACTED//double?pwd=REDACTED&b=1%3B2#token=***&secret = ***",
			"http://REDACTED:REDACTED@h//double?pwd=REDACTED&b=1%3B2#token=***&secret = ***"},
		{nil, "see https://[::1/x?token=abc done", "see https://REDACTED/x?token=REDACTED done", "see https://h/x?token=REDACTED done"},
		// a rule that masks the whole URL keeps its own mask
		{nil, "token=http://ｕ＠h/x y", "token=*** y", "token=*** y"},
	}
	for _, c := range cases {
		for _, opts := range []Options{{}, {JSONQuotedKeys: true}} {
			got, err := New(c.fields, opts).SanitizeTextStrict(c.in)
			if got != c.want || !OracleRaises(err) {
				t.Errorf("SanitizeTextStrict(%q) = %q, %v; want %q and a ValueError", c.in, got, err, c.want)
			}
		}
		for _, secret := range []string{"hunter2", "Zq9", "pw", "s1", "s2", "s3", "abc"} {
			if strings.Contains(c.in, secret) && !strings.Contains(c.oracle, secret) && strings.Contains(c.want, secret) {
				t.Errorf("%q: %s survives, the oracle masks it on the parsable variant", c.in, secret)
			}
		}
	}
	// A URL-only value (URL-like field, sanitize_url_for_logging) that does not parse is masked whole.
	if got := SanitizeURL("http://ｕ＠h/secret=x"); got != URLMask {
		t.Errorf("SanitizeURL of an unparsable URL = %q, want %q", got, URLMask)
	}
}

// TestD3BeforeGatewayRules: D3 finds its values before the gateway's key=value rules can
// swallow the quoted key, and masks them after those rules ran, so product mode masks the
// union of both while oracle-exact mode stays the oracle's answer.
func TestD3BeforeGatewayRules(t *testing.T) {
	cases := []struct {
		fields              []string
		in, product, oracle string
	}{
		{[]string{"query", "password"}, `query:"password":hunter2`, `query:"***":"***"`, `query:"***":hunter2`},
		{nil, `token=x{"password": "hunter2"}`, `token=*** "***"}`, `token=*** "hunter2"}`},
		// the quoted key's value ends inside a key of the gateway's rule: both masks stay
		{[]string{"api_key", "password"}, `"password": "api"key=secret9`, `"password": "***"key=***`, `"password": "api"key=***`},
		// D3 takes a quoted key as the text rule's IGNORECASE does: ſ ı K fold to s i k
		{nil, `{"paſſword": "hunter2", "to` + "\u212a" + `en": 7}`, `{"paſſword": "***", "to` + "\u212a" + `en": "***"}`,
			`{"paſſword": "hunter2", "to` + "\u212a" + `en": 7}`},
		{nil, `'ACCESS_TOKEN': 'x' and "ſecret":"y"`, `'ACCESS_TOKEN': '***' and "ſecret":"***"`, `'ACCESS_TOKEN': 'x' and "ſecret":"y"`},
	}
	for _, c := range cases {
		if got := New(c.fields, Options{JSONQuotedKeys: true}).SanitizeText(c.in); got != c.product {
			t.Errorf("D3 SanitizeText(%s) = %s, want %s", c.in, got, c.product)
		}
		if got := New(c.fields, Options{}).SanitizeText(c.in); got != c.oracle {
			t.Errorf("oracle-exact SanitizeText(%s) = %s, want the oracle's %s", c.in, got, c.oracle)
		}
	}
}

func TestShiftPending(t *testing.T) {
	// "ab[cd]ef" with [2,4) pending; edits replace [1,3) and [5,7) by 3 bytes each.
	pend := []pendingMask{{start: 2, end: 4, mask: Mask}, {start: 5, end: 6, mask: Mask}, {start: 7, end: 8, mask: Mask}}
	shiftPending(pend, []edit{{1, 3, 3}, {5, 7, 3}})
	want := []pendingMask{{start: 1, end: 5, mask: Mask}, {start: 6, end: 6, mask: Mask}, {start: 9, end: 10, mask: Mask}}
	for i := range want {
		if pend[i] != want[i] {
			t.Errorf("pending %d = %+v, want %+v", i, pend[i], want[i])
		}
	}
	if got := applyPending("0123456789", []pendingMask{{4, 6, "X"}, {1, 2, "Y"}, {5, 8, "Z"}, {9, 9, "W"}}); got != "0Y23X89" {
		t.Errorf("applyPending = %q", got)
	}
}

// shiftSpanByParts is shiftSpan as it was written first: is the span inside one edit, then
// each position on its own.
func shiftSpanByParts(edits []edit, start, end int) (int, int) {
	for _, e := range edits {
		if e.start <= start && end <= e.end {
			s := shiftPosition(edits, start, false)
			return s, s
		}
	}
	return shiftPosition(edits, start, false), shiftPosition(edits, end, true)
}

func shiftPosition(edits []edit, x int, isEnd bool) int {
	delta := 0
	for _, e := range edits {
		switch {
		case x <= e.start:
			return x + delta
		case x < e.end: // inside the replaced span
			if isEnd {
				return e.start + delta + e.n
			}
			return e.start + delta
		}
		delta += e.n - (e.end - e.start)
	}
	return x + delta
}

// shiftSpan's one walk answers as the span-inside check and the two position walks, for
// spans at and around the bounds of sorted disjoint edits, empty ones and adjacent ones too.
func TestShiftSpanOneWalk(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for trial := 0; trial < 20000; trial++ {
		var edits []edit
		at := rng.Intn(3)
		for n := rng.Intn(5); n > 0; n-- {
			st := at + rng.Intn(3)
			end := st + rng.Intn(4)
			edits = append(edits, edit{st, end, rng.Intn(4)})
			at = end
		}
		for start := 0; start <= at+2; start++ {
			for end := start; end <= at+3; end++ {
				gs, ge := shiftSpan(edits, start, end)
				ws, we := shiftSpanByParts(edits, start, end)
				if gs != ws || ge != we {
					t.Fatalf("shiftSpan(%v, %d, %d) = %d, %d; the parts give %d, %d", edits, start, end, gs, ge, ws, we)
				}
			}
		}
	}
}
