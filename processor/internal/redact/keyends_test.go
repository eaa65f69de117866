package redact

import (
	"math/rand"
	"slices"
	"testing"
)

// quotedKeyCloses finds the same quotes as the key ends keyEnds finds whose last byte is a
// quote, in texts of separators, quotes, ASCII and Unicode whitespace and invalid bytes.
func TestQuotedKeyClosesAsKeyEnds(t *testing.T) {
	pieces := []string{"=", ":", `"`, "'", " ", "\t", "\u00a0", "\u3000", "\u2028", "a", "b1", "é", "\xff", "\\", "key"}
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 20000; trial++ {
		var b []byte
		for n := rng.Intn(16); n > 0; n-- {
			b = append(b, pieces[rng.Intn(len(pieces))]...)
		}
		s := string(b)
		var want []int
		for _, e := range keyEnds(s, nil) {
			if e.q > 0 && (e.last == '"' || e.last == '\'') {
				want = append(want, e.q-1)
			}
		}
		if got := quotedKeyCloses(s, nil); !slices.Equal(got, want) {
			t.Fatalf("quotedKeyCloses(%q) = %v, the key ends give %v", s, got, want)
		}
	}
}
