package redact

import (
	"math/rand"
	"testing"
)

// cannotMatchBytewise is cannotMatch one byte at a time (its form before the word loop).
func cannotMatchBytewise(s string) bool {
	sawB := false
	for i := 0; i < len(s); i++ {
		if triggers[s[i]] {
			return false
		}
		sawB = sawB || s[i]|0x20 == 'b'
	}
	return !sawB || redactBearer(s, nil) == s
}

// The word loop answers as the byte loop for every position of every trigger and of b/B,
// in texts of every length around the word size.
func TestCannotMatchWordLoop(t *testing.T) {
	alphabet := []byte("aB b=:\"'*xyz09\xc3\xa9.-_Bearer \x00\x7f\x80")
	rng := rand.New(rand.NewSource(11))
	for n := 0; n < 40; n++ {
		for trial := 0; trial < 400; trial++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = 'a' + byte(rng.Intn(3)) // mostly plain
				if rng.Intn(8) == 0 {
					b[i] = alphabet[rng.Intn(len(alphabet))]
				}
			}
			s := string(b)
			if got, want := cannotMatch(s), cannotMatchBytewise(s); got != want {
				t.Fatalf("cannotMatch(%q) = %v, the byte loop says %v", s, got, want)
			}
		}
	}
}
