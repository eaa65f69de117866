package redact

// The engine as it was before the prefilter (commit 1c79133), kept as the reference that
// FuzzTextRulesMatchReference compares the prefiltered engine with byte for byte.

import (
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

type refKeyEnd struct {
	q           int
	quotedValue bool
	last        byte // s[q-1] lowercased when ASCII (0 when q == 0)
}

func (r *Redactor) refApplyTextRules(s string) (string, error) {
	if s == "" {
		return s, nil
	}
	s = payload.ValidString(s)
	var pend []pendingMask
	s, err := refSanitizeEmbeddedURLs(s, &pend)
	unparsableURLs := len(pend) > 0
	if unparsableURLs {
		var edits []edit
		s = redactBearer(s, &edits)
		shiftPending(pend, edits)
	} else {
		s = redactBearer(s, nil)
	}
	if r.opts.JSONQuotedKeys {
		pend = r.refQuotedKeyValues(s, pend)
	}
	s, changed := r.refRedactKeyValues(s, pend)
	s = applyPending(s, pend)
	if r.opts.JSONQuotedKeys && (changed || unparsableURLs) {
		s = r.refRedactQuotedKeys(s) // quoted keys the rules' masks brought together
	}
	s = collapseMasks(s)
	return s, err
}

func refSanitizeEmbeddedURLs(s string, pend *[]pendingMask) (string, error) {
	if !strings.Contains(s, "http") {
		return s, nil
	}
	var b strings.Builder
	var firstErr error
	last := 0
	for i := 0; i < len(s); {
		k := strings.Index(s[i:], "http")
		if k < 0 {
			break
		}
		start := i + k
		j := start + 4
		if j < len(s) && s[j] == 's' && strings.HasPrefix(s[j+1:], "://") {
			j += 4
		} else if strings.HasPrefix(s[j:], "://") {
			j += 3
		} else {
			i = start + 1
			continue
		}
		end := j
		for end < len(s) {
			c, n := runeAt(s, end)
			if isSpace(c) || c == '<' || c == '>' || c == '"' || c == '\'' {
				break
			}
			end += n
		}
		if end == j {
			i = start + 1
			continue
		}
		clean, err := refSanitizeURLStrict(s[start:end])
		if err != nil {
			var as, ae int
			clean, as, ae = sanitizeUnparsableURL(s[start:end])
			at := b.Len() + start - last // where clean starts in the output
			*pend = append(*pend, pendingMask{start: at + as, end: at + ae, mask: URLMask})
			if firstErr == nil {
				firstErr = err
			}
		}
		if clean != s[start:end] {
			if b.Len() == 0 {
				b.Grow(len(s) + 16)
			}
			b.WriteString(s[last:start])
			b.WriteString(clean)
			last = end
		}
		i = end
	}
	if last == 0 {
		return s, firstErr
	}
	b.WriteString(s[last:])
	return b.String(), firstErr
}

func refKeyEnds(s string, buf []refKeyEnd) []refKeyEnd {
	buf = buf[:0]
	nextEq, nextColon := strings.IndexByte(s, '='), strings.IndexByte(s, ':')
	for nextEq >= 0 || nextColon >= 0 {
		var i int
		if nextColon < 0 || (nextEq >= 0 && nextEq < nextColon) {
			i = nextEq
			if k := strings.IndexByte(s[i+1:], '='); k >= 0 {
				nextEq = i + 1 + k
			} else {
				nextEq = -1
			}
		} else {
			i = nextColon
			if k := strings.IndexByte(s[i+1:], ':'); k >= 0 {
				nextColon = i + 1 + k
			} else {
				nextColon = -1
			}
		}
		q := i
		for q > 0 {
			if c := s[q-1]; c < utf8.RuneSelf {
				if !asciiSpace[c] {
					break
				}
				q--
				continue
			}
			c, n := decodeBefore(s, q)
			if !isSpace(c) {
				break
			}
			q -= n
		}
		v := skipSpaces(s, i+1)
		var last byte
		if q > 0 {
			last = s[q-1]
			if last >= 'A' && last <= 'Z' {
				last += 'a' - 'A'
			}
		}
		buf = append(buf, refKeyEnd{q: q, quotedValue: v < len(s) && (s[v] == '\'' || s[v] == '"'), last: last})
	}
	return buf
}

func (r *Redactor) refRedactKeyValues(s string, pend []pendingMask) (string, bool) {
	if strings.IndexByte(s, '=') < 0 && strings.IndexByte(s, ':') < 0 {
		return s, false
	}
	var edits []edit
	var editsp *[]edit
	if len(pend) > 0 {
		editsp = &edits
	}
	changed := false
	var endsBuf [128]refKeyEnd
	var startsBuf [64]int
	starts := startsBuf[:0] // keeps its room from one field to the next
	ends := refKeyEnds(s, endsBuf[:0])
	lasts := refLastBytes(ends)
	for ki := range r.keys {
		k := &r.keys[ki]
		for qi, quoted := range [2]bool{true, false} {
			if !k.lastNonASCII && !lasts[qi][k.last] {
				continue // no key with a value of this rule's kind ends with the field's last letter
			}
			// A match of the key ends where the backward match started (parts and gaps
			// never overlap), so the end's quotedValue is the rule's quote check.
			starts = starts[:0]
			for _, e := range ends {
				if e.q == 0 || e.quotedValue != quoted {
					continue
				}
				if e.last != k.last && e.last < utf8.RuneSelf && !k.lastNonASCII {
					continue // the key cannot end with this byte (a non-ASCII one is decided in matchBackward)
				}
				if st, ok := k.matchBackward(s, e.q); ok {
					starts = append(starts, st)
				}
			}
			if len(starts) == 0 {
				continue
			}
			edits = edits[:0]
			if out := refApplyKeyRule(s, k, starts, quoted, editsp); out != s {
				s, changed = out, true
				shiftPending(pend, edits)
				ends = refKeyEnds(s, ends)
				lasts = refLastBytes(ends)
			}
		}
	}
	return s, changed
}

func refLastBytes(ends []refKeyEnd) (set [2][256]bool) {
	for _, e := range ends {
		if e.q > 0 {
			c := e.last
			kind := 1
			if e.quotedValue {
				kind = 0
			}
			set[kind][c] = true
		}
	}
	return set
}

func refApplyKeyRule(s string, k *keyPattern, starts []int, quoted bool, edits *[]edit) string {
	if len(starts) > 1 {
		sort.Ints(starts)
	}
	var b strings.Builder
	last := 0 // end of the previous match (Python resumes its scan there)
	copied := 0
	for _, st := range starts {
		if st < last {
			continue
		}
		vs, ve, ok := matchKeyRule(s, k, st, quoted)
		if !ok {
			continue
		}
		if b.Len() == 0 {
			b.Grow(len(s))
		}
		b.WriteString(s[copied:vs])
		b.WriteString(Mask)
		if edits != nil {
			*edits = append(*edits, edit{vs, ve, len(Mask)})
		}
		copied = ve
		last = ve
		if quoted {
			last = ve + 1 // the closing quote belongs to the match
		}
	}
	if copied == 0 {
		return s
	}
	b.WriteString(s[copied:])
	return b.String()
}

func (r *Redactor) refRedactQuotedKeys(s string) string {
	var buf [4]pendingMask
	return applyPending(s, r.refQuotedKeyValues(s, buf[:0]))
}

func (r *Redactor) refQuotedKeyValues(s string, out []pendingMask) []pendingMask {
	if strings.IndexByte(s, '"') < 0 && strings.IndexByte(s, '\'') < 0 {
		return out
	}
	i := 0
	for i < len(s) {
		open := refIndexQuote(s, i)
		if open < 0 {
			break
		}
		q := s[open]
		m := backslashesBefore(s, open)
		keyStart := open + 1
		refKeyEnd := refClosingQuote(s, keyStart, q, m, maxQuotedKeyLen)
		if refKeyEnd < 0 {
			i = open + 1
			continue
		}
		after := refKeyEnd + 1
		// the separator first: it is one byte to look at, the key match a normalization
		j := skipSpaces(s, after)
		if j >= len(s) || (s[j] != ':' && s[j] != '=') || !r.quotedKeyMatches(s[keyStart:refKeyEnd-m]) {
			i = open + 1
			continue
		}
		j = skipSpaces(s, j+1)
		vs, ve, wrap := quotedKeyValueSpan(s, j)
		if vs == ve && !wrap {
			i = after
			continue
		}
		mask := Mask
		if wrap {
			delim := s[open-m : open+1]
			mask = delim + Mask + delim
		}
		out = append(out, pendingMask{start: vs, end: ve, mask: mask})
		i = ve
	}
	return out
}

func refIndexQuote(s string, from int) int {
	for i := from; i < len(s); i++ {
		if c := s[i]; c == '"' || c == '\'' {
			return i
		}
	}
	return -1
}

func refClosingQuote(s string, from int, q byte, m, limit int) int {
	end := len(s)
	if limit >= 0 && from+limit < end {
		end = from + limit
	}
	if limit >= 0 {
		if nl := strings.IndexByte(s[from:end], '\n'); nl >= 0 {
			end = from + nl // keys do not span lines
		}
	}
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

func refSanitizeURLStrict(u string) (string, error) {
	u = payload.ValidString(u)
	p, err := urlParse(u, true)
	if err != nil {
		return "", err
	}
	redacted := false
	if p.hasUserinfo() {
		host := p.netloc
		if i := strings.IndexByte(host, '@'); i >= 0 {
			host = host[i+1:]
		}
		p.netloc = URLMask + ":" + URLMask + "@" + host
		redacted = true
	}
	if p.query == "" {
		if redacted {
			return p.unparse(), nil
		}
		return u, nil
	}
	p.query = sanitizeQuery(p.query)
	return p.unparse(), nil
}
