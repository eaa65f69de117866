package redact

import (
	"math/bits"
	"sort"
	"unicode/utf8"
)

//go:generate sh -c "../../../.cache/venv/bin/python gen_unicode_tables.py > unicode_tables.go && gofmt -w unicode_tables.go"

type runeRange struct{ lo, hi rune }

type lowerASCII struct {
	kept  string // ASCII [a-z0-9] left in the lowercase form
	whole bool   // the whole lowercase form is ASCII
}

func inRanges(rs []runeRange, r rune) bool {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].hi >= r })
	return i < len(rs) && rs[i].lo <= r
}

// asciiWord and asciiSpace are isWord and isSpace on ASCII (package variables, so tables
// built from them are initialized after them).
var asciiWord, asciiSpace = asciiTable(pyWordRanges), asciiTable(pySpaceRanges)

func asciiTable(rs []runeRange) (t [utf8.RuneSelf]bool) {
	for c := rune(0); c < utf8.RuneSelf; c++ {
		t[c] = inRanges(rs, c)
	}
	return t
}

// isWord is Python re's \w on str: str.isalnum() or '_' (Unicode 14, as Python 3.11).
func isWord(r rune) bool {
	if r < 128 {
		return r >= 0 && asciiWord[r]
	}
	return inRanges(pyWordRanges, r)
}

// isSpace is Python re's \s on str, also what str.strip() removes.
func isSpace(r rune) bool {
	if r < 128 {
		return r >= 0 && asciiSpace[r]
	}
	return inRanges(pySpaceRanges, r)
}

// foldEq reports whether text rune r matches pattern rune p under Python's re.IGNORECASE.
func foldEq(p, r rune) bool {
	if p == r {
		return true
	}
	if p < 128 {
		lp := p | 0x20
		if lp >= 'a' && lp <= 'z' {
			if r < 128 {
				return r|0x20 == lp
			}
			for _, x := range pyIgnoreCaseExtra[byte(lp)] {
				if x == r {
					return true
				}
			}
		}
		return false
	}
	// Non-ASCII pattern runes only come from fields without ASCII alphanumerics; compare
	// their simple case folding orbits.
	return simpleFoldEq(p, r)
}

// runeAt decodes the rune starting at byte i (i < len(s)). Hot loops test s[i] against
// utf8.RuneSelf themselves and call decodeAt only for the rest.
func runeAt(s string, i int) (rune, int) {
	if c := s[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return decodeAt(s, i)
}

func decodeAt(s string, i int) (rune, int) { return utf8.DecodeRuneInString(s[i:]) }

// runeBefore decodes the rune ending at byte i (i > 0).
func runeBefore(s string, i int) (rune, int) {
	if c := s[i-1]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return decodeBefore(s, i)
}

func decodeBefore(s string, i int) (rune, int) { return utf8.DecodeLastRuneInString(s[:i]) }

// wordBoundary is Python re's \b at byte position i of s. Between two ASCII bytes it is
// answered by asciiWordBoundary (two table lookups); at either end of s or next to a
// non-ASCII byte by wordBoundaryRunes. Hot callers use the two directly (wordBoundary itself
// is too large to be inlined).
func wordBoundary(s string, i int) bool {
	if b, ok := asciiWordBoundary(s, i); ok {
		return b
	}
	return wordBoundaryRunes(s, i)
}

// asciiWordBoundary is wordBoundary between two ASCII bytes (ok false elsewhere: at either
// end of s or next to a byte >= 0x80), one lookup per byte; it is inlined, wordBoundary is
// not (the probes' hot paths call it and wordBoundaryRunes only when ok is false).
func asciiWordBoundary(s string, i int) (boundary, ok bool) {
	if i > 0 && i < len(s) {
		if b, a := wordByteClass[s[i-1]], wordByteClass[s[i]]; b|a <= 1 {
			return b != a, true
		}
	}
	return false, false
}

// wordByteClass is 1 for an ASCII \w byte, 0 for another ASCII byte and 2 for a byte >= 0x80
// (its rune is decoded): wordBoundary's table.
var wordByteClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = 2
		case asciiWord[c]:
			t[c] = 1
		}
	}
	return t
}()

// wordBoundaryRunes is wordBoundary decoding the runes around i; not inlined, so
// wordBoundary is.
//
//go:noinline
func wordBoundaryRunes(s string, i int) bool {
	before, after := false, false
	if i > 0 {
		if c := s[i-1]; c < utf8.RuneSelf {
			before = asciiWord[c]
		} else {
			r, _ := decodeBefore(s, i)
			before = isWord(r)
		}
	}
	if i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			after = asciiWord[c]
		} else {
			r, _ := decodeAt(s, i)
			after = isWord(r)
		}
	}
	return before != after
}

// isASCIIAlnum reports [A-Za-z0-9].
func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validUTF8 is utf8.ValidString. utf8.ValidString skips ASCII eight bytes at a time only
// until the first multi-byte rune and then goes byte by byte; text with a non-ASCII word
// every few dozen bytes (tool output in most languages) spends most of its check there.
// This goes back to sixteen bytes at a time after each rune.
func validUTF8(s string) bool {
	const highBits = 0x8080808080808080
	i := 0
	for {
		// ASCII, sixteen bytes (two words) at a time: reslicing rest lets the compiler drop
		// the bounds checks, and a word's bytes are combined arithmetically (w[0] lowest),
		// so TrailingZeros finds the first non-ASCII byte on any byte order.
		rest := s[i:]
		found := false // rest starts at a non-ASCII byte
		for len(rest) >= 16 {
			w := rest[:16]
			lo := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
				uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
			hi := uint64(w[8]) | uint64(w[9])<<8 | uint64(w[10])<<16 | uint64(w[11])<<24 |
				uint64(w[12])<<32 | uint64(w[13])<<40 | uint64(w[14])<<48 | uint64(w[15])<<56
			if (lo|hi)&highBits != 0 {
				if lo&highBits != 0 {
					rest = rest[bits.TrailingZeros64(lo&highBits)>>3:]
				} else {
					rest = rest[8+bits.TrailingZeros64(hi&highBits)>>3:]
				}
				found = true
				break
			}
			rest = rest[16:]
		}
		i = len(s) - len(rest)
		if !found {
			for i < len(s) && s[i] < utf8.RuneSelf { // the last bytes
				i++
			}
			if i >= len(s) {
				return true
			}
		}
		c := s[i]
		if c >= 0xC2 && c <= 0xDF { // two bytes (accented Latin letters, Greek, Cyrillic...): the most common
			if i+1 >= len(s) || s[i+1]&0xC0 != 0x80 {
				return false
			}
			i += 2
			continue
		}
		// The well-formed sequences of the Unicode standard (table 3-7), as utf8 accepts.
		lo, hi := byte(0x80), byte(0xBF)
		var n int
		switch {
		case c < 0xC2:
			return false
		case c <= 0xDF:
			n = 2
		case c == 0xE0:
			n, lo = 3, 0xA0
		case c == 0xED:
			n, hi = 3, 0x9F
		case c <= 0xEF:
			n = 3
		case c == 0xF0:
			n, lo = 4, 0x90
		case c <= 0xF3:
			n = 4
		case c == 0xF4:
			n, hi = 4, 0x8F
		default:
			return false
		}
		if i+n > len(s) {
			return false
		}
		if b := s[i+1]; b < lo || b > hi {
			return false
		}
		for k := 2; k < n; k++ {
			if b := s[i+k]; b < 0x80 || b > 0xBF {
				return false
			}
		}
		i += n
	}
}
