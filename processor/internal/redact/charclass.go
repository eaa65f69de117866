package redact

import (
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

// wordBoundary is Python re's \b at byte position i of s.
func wordBoundary(s string, i int) bool {
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
