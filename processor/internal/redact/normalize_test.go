package redact

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"
)

// TestNormASCII: the byte table of appendNormalizedUpTo keeps what the rune-wise
// normalization keeps of every ASCII byte, and marks every other byte non-ASCII.
func TestNormASCII(t *testing.T) {
	for c := 0; c < 256; c++ {
		got := normASCII[c]
		if c >= 0x80 {
			if got != normNonASCII {
				t.Errorf("normASCII[%#x] = %#x, want normNonASCII", c, got)
			}
			continue
		}
		want := appendNormalizedRunes(nil, string(rune(c)), math.MaxInt)
		switch {
		case len(want) == 0 && got != 0:
			t.Errorf("normASCII[%q] = %q, the rune-wise normalization drops it", rune(c), got)
		case len(want) == 1 && got != want[0]:
			t.Errorf("normASCII[%q] = %q, the rune-wise normalization keeps %q", rune(c), got, want)
		case len(want) > 1:
			t.Fatalf("%q normalizes to %q", rune(c), want)
		}
	}
}

// TestAppendNormalizedUpTo: the byte-wise normalization (non-ASCII bytes handed to the
// rune-wise one) agrees with the rune-wise one over random keys of ASCII bytes, non-ASCII
// runes that lower to ASCII letters (K ſ İ ı), other runes and invalid UTF-8, at every limit.
func TestAppendNormalizedUpTo(t *testing.T) {
	pieces := []string{"K", "ſ", "İ", "ı", "é", "ß", "中", "\xff", "\xc3", "Ａ", "_", "-", ".", " "}
	rng := rand.New(rand.NewPCG(11, 6))
	nonASCII := 0
	for n := 0; n < 100000; n++ {
		var key []byte
		for l := rng.IntN(24); l > 0; l-- {
			if rng.IntN(6) == 0 {
				key = append(key, pieces[rng.IntN(len(pieces))]...)
			} else {
				key = append(key, byte(rng.IntN(0x80)))
			}
		}
		if bytes.ContainsFunc(key, func(r rune) bool { return r >= 0x80 }) {
			nonASCII++
		}
		prefix := []byte("ab")[:rng.IntN(3)] // appended to a b that holds bytes already
		for _, limit := range []int{0, 1, 3, 8, 16, math.MaxInt} {
			want := appendNormalizedRunes(bytes.Clone(prefix), string(key), limit)
			got := appendNormalizedUpTo(bytes.Clone(prefix), string(key), limit)
			if !bytes.Equal(got, want) {
				t.Fatalf("appendNormalizedUpTo(%q, %q, %d) = %q, rune-wise %q", prefix, key, limit, got, want)
			}
		}
	}
	if nonASCII < 10000 {
		t.Fatalf("only %d keys with non-ASCII bytes", nonASCII)
	}
}
