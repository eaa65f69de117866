package redact

import (
	"math/rand"
	"regexp"
	"testing"
)

// collapseReference is step 4 as the gateway writes it, \*\*\*(?:\s+\*\*\*)+ -> ***, on texts
// whose whitespace Go's \s and Python's agree on.
var collapseReference = regexp.MustCompile(`\*\*\*(?:\s+\*\*\*)+`)

// TestCollapseMasksMatchesRegexp: every text up to 8 bytes over {*, space, tab, a} and 20k
// random longer ones collapse exactly as the regexp does (fails when the scan skips a start
// it must try, e.g. "**** ***").
func TestCollapseMasksMatchesRegexp(t *testing.T) {
	alphabet := []byte{'*', ' ', '\t', 'a'}
	check := func(s string) {
		t.Helper()
		if got, want := collapseMasks(s), collapseReference.ReplaceAllString(s, Mask); got != want {
			t.Fatalf("collapseMasks(%q) = %q, want %q", s, got, want)
		}
	}
	buf := make([]byte, 0, 8)
	var all func(n int)
	all = func(n int) {
		check(string(buf))
		if n == 0 {
			return
		}
		for _, c := range alphabet {
			buf = append(buf, c)
			all(n - 1)
			buf = buf[:len(buf)-1]
		}
	}
	all(8)
	rng := rand.New(rand.NewSource(7))
	for i := 0; i < 20000; i++ {
		b := make([]byte, 9+rng.Intn(40))
		for j := range b {
			b[j] = alphabet[rng.Intn(len(alphabet))]
		}
		check(string(b))
	}
}
