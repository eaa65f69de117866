package redact

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// Deviation D3 (docs/parity.md): the gateway's free-text rules need the key right before
// \s*[=:], so a key in quotes ("password": "hunter2", serialized JSON inside JSON text
// \"api_key\":\"x\", Python reprs 'token': 'x') leaks its value. This step masks the value
// under any quoted key whose normalized form is a redact field (the same exact match as
// structured keys).
//
// A delimiter is a run of m backslashes and a quote character Q (m = 0 for plain JSON or a
// repr, 1 for JSON text inside a JSON string, 3 one level deeper, ...). A quote closes the
// string it opened when the backslashes right before it number m modulo 2(m+1): for m = 0 an
// even run (an escaped \" does not close), for m = 1 a run of 1, 5, 9, ...
//
// The value after the key is masked as:
//   - a quoted string (any delimiter): its content becomes ***; with no closing delimiter,
//     everything to the end of the text is masked (a cut preview: when unsure, mask);
//   - an object or array: the bracketed span becomes the delimited string "***" (brackets
//     balanced by count; unbalanced: to the end);
//   - anything else (numbers, true, bare words): up to whitespace or , ; & } ] becomes the
//     delimited string "***".

// maxQuotedKeyLen bounds the key scan so the step stays linear.
const maxQuotedKeyLen = 256

func (r *Redactor) redactQuotedKeys(s string) string {
	var buf [16]pendingMask
	var candBuf [64]int
	return applyPending(s, r.quotedKeyValues(s, buf[:0], quotedKeyCloses(s, candBuf[:0])))
}

// quotedKeyCloses appends to cands, in order, every quote of s right before a key end (the
// separator minus the whitespace before it, as keyEnds finds them): where a quoted key may
// close. Only the ends' last bytes are needed, so no keyEnd is built.
func quotedKeyCloses(s string, cands []int) []int {
	// The separators in order: the next '=' and the next ':' (IndexByte, far faster than
	// IndexAny), the nearer one taken and searched past.
	nextEq, nextColon := strings.IndexByte(s, '='), strings.IndexByte(s, ':')
	for nextEq >= 0 || nextColon >= 0 {
		var sep int
		if nextColon < 0 || (nextEq >= 0 && nextEq < nextColon) {
			sep = nextEq
			nextEq = indexByteFrom(s, sep+1, '=')
		} else {
			sep = nextColon
			nextColon = indexByteFrom(s, sep+1, ':')
		}
		q := keyEndAt(s, sep)
		if q > 0 && (s[q-1] == '"' || s[q-1] == '\'') {
			cands = append(cands, q-1)
		}
	}
	return cands
}

// quotedKeyValues appends to out the value span under every quoted key of s that names a
// field (quotedKeyMatches), with the mask that replaces it. cands are the quotes right
// before a key end, in order (quotedKeyCloses): a quoted key closes at one of them, so only
// the quotes from maxQuotedKeyLen before the first to the last one can open a key.
func (r *Redactor) quotedKeyValues(s string, out []pendingMask, cands []int) []pendingMask {
	if len(cands) == 0 {
		return out
	}
	if strings.IndexByte(s, '\\') < 0 {
		return r.unescapedQuotedKeyValues(s, out, cands)
	}
	return r.scanQuotedKeyValues(s, out, cands)
}

// scanQuotedKeyValues is quotedKeyValues for any text: every quote from the first
// candidate's reach on is tried as the opening quote of a key, in order, as the rule is
// defined; cands are the offsets of the quotes right before a key end, ascending.
func (r *Redactor) scanQuotedKeyValues(s string, out []pendingMask, cands []int) []pendingMask {
	ci := 0
	i := 0
	nextNL := -1 // the first newline at or after the current key start (len(s): none)
	quotes := quoteIndex{dq: -2, sq: -2}
	for i < len(s) {
		open := quotes.next(s, i)
		if open < 0 {
			break
		}
		for ci < len(cands) && cands[ci] <= open {
			ci++
		}
		if ci == len(cands) {
			break
		}
		if lo := cands[ci] - maxQuotedKeyLen; open < lo {
			i = lo
			continue
		}
		q := s[open]
		m := backslashesBefore(s, open)
		keyStart := open + 1
		if nextNL < keyStart {
			if k := strings.IndexByte(s[keyStart:], '\n'); k >= 0 {
				nextNL = keyStart + k
			} else {
				nextNL = len(s)
			}
		}
		keyEnd := closingQuoteIn(s, keyStart, min(nextNL, keyStart+maxQuotedKeyLen), q, m) // keys do not span lines
		if keyEnd < 0 {
			i = open + 1
			continue
		}
		var next int
		out, next = r.quotedKeyValue(s, out, open, keyEnd, m)
		if next < 0 {
			i = open + 1
			continue
		}
		i = next
	}
	return out
}

// unescapedQuotedKeyValues is scanQuotedKeyValues for a text without a backslash, where a
// quote is closed by the next quote of its kind: the only quote that can open the key
// closed at a candidate is the last quote of that kind before it, so the quotes between
// keys (most of a JSON text's) are never looked at. The keys are tried in the order of
// their opening quotes, as the scan does (a key in single quotes may open before a key in
// double quotes inside it, and its match then skips the inner key).
func (r *Redactor) unescapedQuotedKeyValues(s string, out []pendingMask, cands []int) []pendingMask {
	type quotedKey struct{ open, close int }
	var keysBuf [64]quotedKey
	keys := keysBuf[:0]
	sorted := true
	for _, c := range cands {
		lo := max(0, c-maxQuotedKeyLen)
		open := strings.LastIndexByte(s[lo:c], s[c])
		if open < 0 {
			continue // the last quote of its kind is too far back to open a key closed at c
		}
		open += lo
		if strings.IndexByte(s[open+1:c], '\n') >= 0 {
			continue // keys do not span lines
		}
		if n := len(keys); n > 0 && keys[n-1].open > open {
			sorted = false
		}
		keys = append(keys, quotedKey{open, c})
	}
	if !sorted {
		slices.SortFunc(keys, func(a, b quotedKey) int { return a.open - b.open })
	}
	i := 0
	for _, k := range keys {
		if k.open < i {
			continue // inside the value masked before, or its key
		}
		var next int
		if out, next = r.quotedKeyValue(s, out, k.open, k.close, 0); next >= 0 {
			i = next
		}
	}
	return out
}

// quotedKeyValue tries the key opened at byte open (after m backslashes) and closed at byte
// keyEnd: when the separator follows and the key names a field, it appends the value's span
// to out and returns where the scan goes on; otherwise next is -1.
func (r *Redactor) quotedKeyValue(s string, out []pendingMask, open, keyEnd, m int) (_ []pendingMask, next int) {
	after := keyEnd + 1
	// the separator first: it is one byte to look at, the key match a normalization
	j := skipSpaces(s, after)
	if j >= len(s) || (s[j] != ':' && s[j] != '=') || !r.quotedKeyMatches(s[open+1:keyEnd-m]) {
		return out, -1
	}
	j = skipSpaces(s, j+1)
	vs, ve, wrap := quotedKeyValueSpan(s, j)
	if vs == ve && !wrap {
		return out, after
	}
	mask := Mask
	switch {
	case !wrap:
	case m == 0 && s[open] == '"':
		mask = `"` + Mask + `"`
	case m == 0:
		mask = `'` + Mask + `'`
	default:
		delim := s[open-m : open+1]
		mask = delim + Mask + delim
	}
	return append(out, pendingMask{start: vs, end: ve, mask: mask}), ve
}

// quotedKeyMatches is KeyMatches after the IGNORECASE folds of the text rule (ſ→s, ı→i,
// K→k), so D3 masks under every quoted key the gateway's text rule would take for the field
// ("paſſword"), and more (normalizing also drops gaps the text rule keeps).
func (r *Redactor) quotedKeyMatches(key string) bool {
	if len(key) < r.minFieldLen {
		return false // the folds only make a key shorter
	}
	if r.KeyMatches(key) {
		return true
	}
	if !hasNonASCII(key) || !strings.ContainsAny(key, "\u017f\u0131\u212a") {
		return false
	}
	return r.KeyMatches(ignoreCaseFolds.Replace(key))
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

var ignoreCaseFolds = strings.NewReplacer("\u017f", "s", "\u0131", "i", "\u212a", "k")

// quoteIndex finds the next double or single quote, remembering the next of each so a text
// is searched once per quote kind (IndexByte) however often it asks.
type quoteIndex struct {
	dq, sq int // next '"' and '\'' at or after the last from (-1: none left, -2: not searched)
}

func (x *quoteIndex) next(s string, from int) int {
	if x.dq != -1 && x.dq < from {
		x.dq = indexByteFrom(s, from, '"')
	}
	if x.sq != -1 && x.sq < from {
		x.sq = indexByteFrom(s, from, '\'')
	}
	switch {
	case x.dq < 0:
		return x.sq
	case x.sq < 0:
		return x.dq
	}
	return min(x.dq, x.sq)
}

func backslashesBefore(s string, i int) int {
	n := 0
	for i-n-1 >= 0 && s[i-n-1] == '\\' {
		n++
	}
	return n
}

// closingQuote finds the quote q closing a string opened with m backslashes, starting the
// search at from (no limit). It returns the byte offset of the quote, or -1.
func closingQuote(s string, from int, q byte, m int) int {
	return closingQuoteIn(s, from, len(s), q, m)
}

// closingQuoteIn is closingQuote with the search ending before byte end.
func closingQuoteIn(s string, from, end int, q byte, m int) int {
	end = min(end, len(s))
	period := 2 * (m + 1)
	for i := from; i < end; i++ {
		k := strings.IndexByte(s[i:end], q)
		if k < 0 {
			return -1
		}
		i += k
		n := backslashesBefore(s[:i], i)
		if i-n < from {
			n = i - from // backslashes of the opening delimiter do not count
			if n < m {
				continue
			}
		}
		if n%period == m%period {
			return i
		}
	}
	return -1
}

// quotedKeyValueSpan returns the span to mask for the value starting at byte j and whether
// the mask must be written as a delimited string (the span was not itself a string body).
func quotedKeyValueSpan(s string, j int) (int, int, bool) {
	if j >= len(s) {
		return j, j, false
	}
	c := s[j]
	m := 0
	for j+m < len(s) && s[j+m] == '\\' {
		m++
	}
	if j+m < len(s) && (s[j+m] == '"' || s[j+m] == '\'') {
		qpos := j + m
		vs := qpos + 1
		if end := closingQuote(s, vs, s[qpos], m); end >= 0 {
			return vs, end - m, false
		}
		return vs, len(s), false
	}
	if c == '{' || c == '[' {
		depth := 0
		for k := j; k < len(s); k++ {
			switch s[k] {
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j, k + 1, true
				}
			}
		}
		return j, len(s), true
	}
	k := j
	for k < len(s) {
		r, n := runeAt(s, k)
		if isSpace(r) || r == ',' || r == ';' || r == '&' || r == '}' || r == ']' || r == '"' || r == '\'' || r == '\\' {
			break
		}
		k += n
	}
	if k == j {
		return j, j, false
	}
	return j, k, true
}
