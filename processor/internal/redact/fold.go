package redact

import "unicode"

// simpleFoldEq reports whether a and b are in the same simple case folding orbit.
func simpleFoldEq(a, b rune) bool {
	for f := unicode.SimpleFold(a); f != a; f = unicode.SimpleFold(f) {
		if f == b {
			return true
		}
	}
	return false
}
