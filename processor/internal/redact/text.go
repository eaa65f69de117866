package redact

import (
	"errors"
	"math"
	"math/bits"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// SanitizeText is sanitize_trace_text: (1) every embedded http(s) URL through SanitizeURL,
// (2) Bearer/Basic credentials, (3) per field the quoted then the bare key=value rule,
// (D3, when Options.JSONQuotedKeys) values under quoted keys, (4) runs of masks collapsed.
// Invalid UTF-8 bytes become U+FFFD first.
func (r *Redactor) SanitizeText(s string) string {
	out, _ := r.sanitizeText(s, false)
	return out
}

// SanitizeTextStrict is SanitizeText that also reports the ValueError Python's urlparse
// raises on an embedded URL (the oracle raises instead of answering; SanitizeText masks
// that URL as "REDACTED" and goes on).
func (r *Redactor) SanitizeTextStrict(s string) (string, error) {
	return r.sanitizeText(s, false)
}

// OracleRaises reports whether err is a ValueError the oracle would raise.
func OracleRaises(err error) bool { return errors.Is(err, errPythonRaises) }

// sanitizeText is SanitizeTextStrict; valid says the caller proved s valid UTF-8 (a string
// the JSON parser saw plain: printable ASCII), so it is not checked again.
func (r *Redactor) sanitizeText(s string, valid bool) (string, error) {
	if cannotMatch(s) {
		return s, nil
	}
	if valid {
		return r.applyValidTextRules(s)
	}
	return r.applyTextRules(s)
}

// applyTextRules runs every step of sanitize_trace_text on s, invalid UTF-8 bytes replaced
// by U+FFFD first.
func (r *Redactor) applyTextRules(s string) (string, error) {
	if !validUTF8(s) {
		s = payload.ValidString(s)
	}
	return r.applyValidTextRules(s)
}

// applyValidTextRules is applyTextRules on valid UTF-8. Pending masks (the authority of a
// URL Python cannot parse; in product mode the D3 values found before the key=value rules)
// are carried through the rules' edits and applied after them, so the rules still see that
// text and nothing they would mask escapes.
func (r *Redactor) applyValidTextRules(s string) (string, error) {
	if s == "" {
		return s, nil
	}
	var bufs textBuffers
	var pendBuf [16]pendingMask
	pend := pendBuf[:0]
	out, changedURLs, pend, err := sanitizeEmbeddedURLsInto(bufs.writable(), s, pend)
	s = bufs.result(s, out, changedURLs)
	unparsableURLs := len(pend) > 0 // only those are pending yet
	var bearerChanged bool
	if unparsableURLs {
		var edits []edit
		out, bearerChanged = redactBearerInto(bufs.writable(), s, &edits)
		shiftPending(pend, edits)
	} else {
		out, bearerChanged = redactBearerInto(bufs.writable(), s, nil)
	}
	s = bufs.result(s, out, bearerChanged)
	// Step 3 and D3's first pass. With at most 64 fields step 3 first takes the disjoint path
	// (redactKeyValuesDisjoint): one walk over the separators finds, probes and decides
	// each key end, and tells which ones D3 needs; D3 runs on the text it started from.
	scratch := keyEndsPool.Get().(*keyEndsScratch)
	changed := false
	// collapse: whether step 4 may find a run (not when the only masks are the disjoint
	// rules' in a text without '*' and without masks pending).
	collapse := true
	quotedKeysHold := false // D3's second pass can find nothing new (redactKeyValuesDisjoint)
	quoteCandidate := false // a quote right before a key end (D3 may match)
	decided, d3Done := false, false
	if r.probesEnds() && !r.noDisjoint {
		run := r.redactKeyValuesDisjoint(s, bufs.writable(), &scratch.once, len(pend) > 0 || r.opts.JSONQuotedKeys)
		if run.ok {
			quoteCandidate = run.quote
			if r.opts.JSONQuotedKeys && run.quote {
				pend = r.quotedKeyValues(s, pend, scratch.once.quotes)
				d3Done = true
			}
			s, changed, collapse, quotedKeysHold, decided = r.disjointAnswer(s, run, pend, &bufs, &scratch.once)
		} else {
			bufs.free = run.dst[:0]
		}
	}
	if !decided {
		// Prefilter of steps 3 and D3: both need a separator; the key=value rules need one
		// of the fields' last letters right before it (and \s*), D3 a closing quote. Texts
		// with neither skip the two steps (their scans are most of the engine's work).
		ends := keyEnds(s, scratch.ends[:0])
		var keyCandidate bool
		keyCandidate, quoteCandidate = r.separatorCandidates(ends)
		// With at most 64 fields the ends are probed here (the rules need it first thing):
		// when no key matches backwards from any end, no rule can match and step 3 is
		// skipped whole.
		if keyCandidate && r.probesEnds() {
			hits, _ := r.probeEnds(s, ends)
			keyCandidate = hits != [2]uint64{}
		}
		if r.opts.JSONQuotedKeys && quoteCandidate && !d3Done {
			// The closing quote of every match is right before one of ends (then \s*[:=]).
			var candBuf [64]int
			cands := candBuf[:0]
			for i := range ends { // by index: a keyEnd is six words, not copied per end
				if e := &ends[i]; e.q > 0 && (e.last == '"' || e.last == '\'') {
					cands = append(cands, e.q-1)
				}
			}
			pend = r.quotedKeyValues(s, pend, cands)
		}
		if keyCandidate {
			ok := false
			if r.probesEnds() { // the rules' matches found in s and applied at once, when they can be
				s, changed, ok = r.redactKeyValuesOnce(s, pend, ends, &bufs, &scratch.once)
			}
			if !ok {
				s, changed = r.redactKeyValues(s, pend, ends, &bufs)
			}
		}
		if cap(ends) <= maxPooledKeyEnds {
			scratch.ends = ends[:0] // the room it grew to
		}
	}
	out, masked := applyPendingInto(bufs.writable(), s, pend)
	s = bufs.result(s, out, masked)
	// D3 again on the quoted keys the rules' masks brought together: a quoted key closes
	// right before a key end, and the masks (***, REDACTED) put no quote before one, so a
	// text without such a quote before them has none after them.
	if r.opts.JSONQuotedKeys && quoteCandidate && (changed || unparsableURLs) && !quotedKeysHold {
		if t := r.redactQuotedKeys(s); t != s {
			s, collapse = t, true
		}
	}
	if collapse {
		out, collapsed := collapseMasksInto(bufs.writable(), s)
		s = bufs.result(s, out, collapsed)
	}
	scratch.once.trim()
	keyEndsPool.Put(scratch)
	return s, err
}

// keyEndsScratch is the room applyTextRules finds a text's key ends in, pooled: a keyEnd is
// six words, and a stack array of them for every text would be zeroed on every call.
type keyEndsScratch struct {
	ends []keyEnd
	once onceScratch // step 3's room (redactKeyValuesOnce)
}

// maxPooledKeyEnds bounds the room the pool keeps (48 KB): a long text's key ends are not
// held between texts.
const maxPooledKeyEnds = 1024

var keyEndsPool = sync.Pool{New: func() any { return &keyEndsScratch{ends: make([]keyEnd, 0, 128)} }}

// textBuffers are the two buffers the steps of applyTextRules write their results into in
// turn: a step reads the text, which may view one of them, and writes the other, so a text
// that every step changes costs two allocations, not one per step. A buffer the text views
// is never written again before the text is replaced.
type textBuffers struct {
	viewed []byte // the buffer the text views (nil: the caller's text)
	free   []byte // the other one
}

// writable returns the buffer a step may write its result into, emptied.
func (t *textBuffers) writable() []byte { return t.free[:0] }

// result returns the text after a step that wrote out (from writable): out as the new text
// when the step changed it, else s; out's room is kept either way.
func (t *textBuffers) result(s string, out []byte, changed bool) string {
	if !changed {
		t.free = out
		return s
	}
	t.free, t.viewed = t.viewed, out
	return unsafe.String(unsafe.SliceData(out), len(out))
}

// separatorCandidates reports whether a key=value rule may match at one of ends (the byte
// before the key end can be the last rune of a field's key pattern) and whether D3 may (that
// byte is a quote).
func (r *Redactor) separatorCandidates(ends []keyEnd) (key, quote bool) {
	for i := range ends {
		e := &ends[i]
		if e.q == 0 {
			continue
		}
		key = key || r.keyLast[e.last]
		quote = quote || e.last == '"' || e.last == '\''
		if key && quote {
			break
		}
	}
	return key, quote
}

// triggers marks the bytes without which no rule can change a text: URLs need "://",
// key=value rules need '=' or ':', D3 needs a quote, the collapse needs '*', and every
// non-ASCII byte may be invalid UTF-8, Unicode whitespace or an IGNORECASE letter (ſ ı İ K).
var triggers = func() (t [256]bool) {
	for _, c := range []byte(`=:"'*`) {
		t[c] = true
	}
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true
	}
	return t
}()

// cannotMatch reports, in one scan, that no rule applies to s, so it comes back unchanged.
// Without a trigger byte only Bearer/Basic can match, and that needs a 'b' or 'B'.
func cannotMatch(s string) bool {
	sawB := false
	i := 0
	// Eight bytes at a time: a non-ASCII byte or a trigger ends the scan, a 'b' or 'B' is noted.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	hasZero := func(w uint64) bool { return (w-ones)&^w&highs != 0 }
	for ; i+8 <= len(s); i += 8 {
		w := s[i : i+8] // one bounds check: the eight loads combine into one
		v := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
			uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
		if v&highs != 0 || hasZero(v^('='*ones)) || hasZero(v^(':'*ones)) || hasZero(v^('"'*ones)) ||
			hasZero(v^('\''*ones)) || hasZero(v^('*'*ones)) {
			return false
		}
		sawB = sawB || hasZero((v|0x2020202020202020)^('b'*ones))
	}
	for ; i < len(s); i++ {
		c := s[i]
		if triggers[c] {
			return false
		}
		sawB = sawB || c|0x20 == 'b'
	}
	return !sawB || redactBearer(s, nil) == s
}

// ---- step 1: URLs, _URL_PATTERN = https?://[^\s<>"']+

// sanitizeEmbeddedURLsInto sanitizes every URL of s, writing the result into dst (emptied):
// changed is false, and dst holds nothing, when no URL changed. A URL Python cannot parse
// keeps its path, sanitized query and fragment (sanitizeUnparsableURL); its authority is
// appended to pend, to be masked once the later rules have seen it.
func sanitizeEmbeddedURLsInto(dst []byte, s string, pend []pendingMask) (_ []byte, changed bool, _ []pendingMask, _ error) {
	// Every match has "://" right after "http" or "https", and "://" is far rarer in text
	// than "http" or 'h': search for it (its ':', IndexByte) and look back.
	dst = dst[:0]
	var firstErr error
	last := 0
	for i := 0; i < len(s); {
		sep := indexByteFrom(s, i, ':')
		if sep < 0 {
			break
		}
		if !strings.HasPrefix(s[sep+1:], "//") {
			i = sep + 1
			continue
		}
		j := sep + 3
		var start int
		switch {
		case sep >= 5 && s[sep-5:sep] == "https":
			start = sep - 5
		case sep >= 4 && s[sep-4:sep] == "http":
			start = sep - 4
		default:
			i = sep + 1
			continue
		}
		if start < i { // inside the URL before (not reached: a URL ends at a space, quote, < or >)
			i = sep + 1
			continue
		}
		end, plainRest := urlEnd(s, j)
		plain := plainRest && plainURL(s[start:j]) // SanitizeURLStrict returns it as it is
		if end == j {
			i = sep + 1
			continue
		}
		if plain { // comes back unchanged
			i = end
			continue
		}
		if changed { // the text before the URL, then the URL (unchanged or not) into dst
			at := len(dst)
			if out, ok := appendSimpleURL(append(dst, s[last:start]...), s[start:end], sep-start); ok {
				dst, last, i = out, end, end
				continue
			}
			dst = dst[:at]
		} else {
			// dst holds nothing: the URL alone, kept when it changed, with the text before it
			// moved in front. dst is given the room of the whole text first (kept for the next
			// step when no URL changes).
			dst = slices.Grow(dst[:0], len(s)+32)
			if out, ok := appendSimpleURL(dst, s[start:end], sep-start); ok {
				if string(out) == s[start:end] {
					i = end
					continue
				}
				n := len(out)
				dst = slices.Grow(out, len(s)-(end-start)+16)[:start+n]
				copy(dst[start:], dst[:n])
				copy(dst, s[:start])
				changed, last, i = true, end, end
				continue
			}
		}
		clean, err := SanitizeURLStrict(s[start:end])
		if err != nil {
			var as, ae int
			clean, as, ae = sanitizeUnparsableURL(s[start:end])
			at := len(dst) + start - last // where clean starts in the output
			pend = append(pend, pendingMask{start: at + as, end: at + ae, mask: URLMask})
			if firstErr == nil {
				firstErr = err
			}
		}
		if clean != s[start:end] {
			if !changed {
				dst = slices.Grow(dst, len(s)+16)
				changed = true
			}
			dst = append(dst, s[last:start]...)
			dst = append(dst, clean...)
			last = end
		}
		i = end
	}
	if !changed {
		return dst, false, pend, firstErr
	}
	return append(dst, s[last:]...), true, pend, firstErr
}

// urlStop marks the ASCII bytes that end a URL: \s < > " '.
var urlStop = func() (t [utf8.RuneSelf]bool) {
	t = asciiSpace
	t['<'], t['>'], t['"'], t['\''] = true, true, true, true
	return t
}()

// URL byte classes (urlByteClass): a byte of a plain URL, one plainURL refuses (a URL with
// it is parsed), one that ends the URL (urlStop), a non-ASCII byte (decoded: Unicode
// whitespace ends the URL).
const (
	urlPlainByte = iota
	urlParseByte
	urlStopByte
	urlNonASCIIByte
)

var urlByteClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c >= utf8.RuneSelf:
			t[c] = urlNonASCIIByte
		case urlStop[c]:
			t[c] = urlStopByte
		case urlNeedsParse[c]:
			t[c] = urlParseByte
		}
	}
	return t
}()

// urlEnd returns where the URL whose "://" ends at byte j ends ([^\s<>"']+ from j) and
// whether the bytes from j to there are all plain (plainURL): one table lookup per byte.
func urlEnd(s string, j int) (end int, plain bool) {
	plain = true
	for end = j; end < len(s); {
		switch urlByteClass[s[end]] {
		case urlPlainByte:
			end++
		case urlParseByte:
			plain = false
			end++
		case urlStopByte:
			return end, plain
		default:
			plain = false
			c, n := decodeAt(s, end)
			if isSpace(c) {
				return end, plain
			}
			end += n
		}
	}
	return end, plain
}

// ---- step 2: (?i)\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+(?=$|[\s,;\x27\x22]) → \1 ***

var bearerWords = [][]rune{[]rune("bearer"), []rune("basic")}

func isTokenRune(c rune) bool {
	if c < 128 {
		b := byte(c)
		return isASCIIAlnum(b) || b == '.' || b == '_' || b == '~' || b == '+' || b == '/' || b == '=' || b == '-'
	}
	return c == 0x130 || c == 0x131 || c == 0x17F || c == 0x212A // IGNORECASE letters
}

// tokenByte is isTokenRune on ASCII, false on every byte >= 0x80 (a rune is decoded).
var tokenByte = func() (t [256]bool) {
	for c := range t {
		t[c] = isTokenRune(rune(c))
	}
	return t
}()

// bearerWord is bearerWordAt, "bearer" and "basic" spelled in ASCII (either case) by one
// word compare each (TestBearerWord).
func bearerWord(s string, i int) (int, bool) {
	if i+8 <= len(s) {
		w := wordBefore(s, i+8)            // the eight bytes from i on, s[i] lowest
		if bearerWindow.matches(w << 16) { // the six bytes of bearer at the window's top
			return i + len("bearer"), true
		}
		if basicWindow.matches(w << 24) {
			return i + len("basic"), true
		}
	}
	return bearerWordAt(s, i)
}

// bearerWindow and basicWindow match "bearer" and "basic" in either case (ASCII) in the top
// bytes of a word (newWindow).
var bearerWindow, basicWindow = newWindow("bearer", "\x20\x20\x20\x20\x20\x20"), newWindow("basic", "\x20\x20\x20\x20\x20")

// bearerWordAt matches (?i)bearer|basic at byte i (a 'b' or 'B'); it returns the end. Over
// ASCII a letter matches when equal after |0x20 (no other byte does); a non-ASCII byte (an
// IGNORECASE extra: ſ for s, ı İ for i) sends the word to the rune-wise match.
func bearerWordAt(s string, i int) (int, bool) {
	for wi, word := range [2]string{"bearer", "basic"} {
		j, k := i+1, 1
		for k < len(word) && j < len(s) && s[j] < utf8.RuneSelf && s[j]|0x20 == word[k] {
			j, k = j+1, k+1
		}
		if k == len(word) {
			return j, true
		}
		if j < len(s) && s[j] >= utf8.RuneSelf {
			if end, ok := bearerWordRunes(s, i, bearerWords[wi]); ok {
				return end, true
			}
		}
	}
	return 0, false
}

// bearerWordRunes matches the word w at byte i rune by rune (foldEq); it returns the end.
func bearerWordRunes(s string, i int, w []rune) (int, bool) {
	j := i + 1
	for _, p := range w[1:] {
		if j >= len(s) {
			return 0, false
		}
		c, n := runeAt(s, j)
		if !foldEq(p, c) {
			return 0, false
		}
		j += n
	}
	return j, true
}

func redactBearer(s string, edits *[]edit) string {
	out, changed := redactBearerInto(nil, s, edits)
	if !changed {
		return s
	}
	return string(out)
}

// redactBearerInto is redactBearer writing the result into dst (emptied): changed is false,
// and dst holds nothing, when no credential was masked.
func redactBearerInto(dst []byte, s string, edits *[]edit) (_ []byte, changed bool) {
	dst = dst[:0]
	last := 0
	nextLower, nextUpper := -2, -2 // next 'b' and 'B' at or after i (-1: none, -2: not searched)
	for i := 0; i < len(s); i++ {
		// indexByteFrom, written out: it is no call then (its cost, 87, is past the
		// inliner's budget of 80)
		if nextLower != -1 && nextLower < i {
			if nextLower = strings.IndexByte(s[i:], 'b'); nextLower >= 0 {
				nextLower += i
			}
		}
		if nextUpper != -1 && nextUpper < i {
			if nextUpper = strings.IndexByte(s[i:], 'B'); nextUpper >= 0 {
				nextUpper += i
			}
		}
		switch {
		case nextLower < 0 && nextUpper < 0:
			i = len(s)
			continue
		case nextLower < 0:
			i = nextUpper
		case nextUpper < 0:
			i = nextLower
		default:
			i = min(nextLower, nextUpper)
		}
		// "bearer" and "basic" go on with 'e' or 'a', which no other rune matches under
		// IGNORECASE: most b's (in words, hex digits) end here, before the \b check.
		if i+1 >= len(s) || s[i+1]|0x20 != 'e' && s[i+1]|0x20 != 'a' {
			continue
		}
		b, ok := asciiWordBoundary(s, i) // wordBoundary, inlined
		if !ok {
			b = wordBoundaryRunes(s, i)
		}
		if !b {
			continue
		}
		wordEnd, matched := bearerWord(s, i)
		if !matched {
			continue
		}
		j := skipSpaces(s, wordEnd) // \s+
		if j == wordEnd {
			continue
		}
		tokStart := j
		for j+8 <= len(s) { // eight token bytes at a time (one bounds check), then byte by byte
			w := s[j : j+8]
			if !(tokenByte[w[0]] && tokenByte[w[1]] && tokenByte[w[2]] && tokenByte[w[3]] &&
				tokenByte[w[4]] && tokenByte[w[5]] && tokenByte[w[6]] && tokenByte[w[7]]) {
				break
			}
			j += 8
		}
		for j < len(s) {
			c := s[j]
			if tokenByte[c] { // one lookup per ASCII byte of the token
				j++
				continue
			}
			if c < utf8.RuneSelf {
				break
			}
			r, n := decodeAt(s, j)
			if !isTokenRune(r) {
				break
			}
			j += n
		}
		if j == tokStart {
			continue
		}
		if j < len(s) {
			c, _ := runeAt(s, j)
			if !(isSpace(c) || c == ',' || c == ';' || c == '\'' || c == '"') {
				continue
			}
		}
		if !changed {
			dst = slices.Grow(dst, len(s))
			changed = true
		}
		dst = append(dst, s[last:wordEnd]...)
		dst = append(dst, " "+Mask...)
		if edits != nil {
			*edits = append(*edits, edit{wordEnd, j, len(" " + Mask)})
		}
		last = j
		i = j - 1
	}
	if !changed {
		return dst, false
	}
	return append(dst, s[last:]...), true
}

// indexByteFrom returns the offset of the first c of s at or after from, or -1.
func indexByteFrom(s string, from int, c byte) int {
	if k := strings.IndexByte(s[from:], c); k >= 0 {
		return from + k
	}
	return -1
}

// ---- step 3: per field, quoted then bare
//   quoted: (?i)(\bK\b\s*(?:=|:)\s*['"])([^'"]*)(['"])            → \1***\3
//   bare:   (?i)(\bK\b\s*(?:=|:)\s*)(?!['"])(?!REDACTED\b)(?!\*\*\*)([^\s,;&]+) → \1***
// Every match ends its key right before \s*[=:], so candidates are found by matching the
// key backwards from each separator; the forward check then decides exactly as Python's re.

// matchForward matches the key at byte i; returns the end.
func (k *keyPattern) matchForward(s string, i int) (int, bool) {
	for pi, part := range k.parts {
		if pi > 0 {
			for i < len(s) { // [\W_]*
				c, n := runeAt(s, i)
				if isWord(c) && c != '_' {
					break
				}
				i += n
			}
		}
		for _, p := range part {
			if i >= len(s) {
				return 0, false
			}
			if c := s[i]; c < utf8.RuneSelf && p < utf8.RuneSelf {
				if !asciiFoldEq(byte(p), c) {
					return 0, false
				}
				i++
				continue
			}
			c, n := runeAt(s, i)
			if !foldEq(p, c) {
				return 0, false
			}
			i += n
		}
	}
	return i, true
}

// asciiFoldEq is foldEq for an ASCII pattern byte p and an ASCII text byte c, inlined into
// the key loops (the IGNORECASE extras ſ ı İ K are never ASCII).
func asciiFoldEq(p, c byte) bool {
	lp := p | 0x20
	return c == p || (c|0x20 == lp && lp >= 'a' && lp <= 'z')
}

// matchBackward matches the key ending at byte q; returns the start.
func (k *keyPattern) matchBackward(s string, q int) (int, bool) {
	st, _, ok := k.matchBackwardLow(s, q)
	return st, ok
}

// matchBackwardLow is matchBackward that also returns the lowest byte offset it may have
// read: its answer depends on s[low:q] only, so an edit outside it leaves the answer as is.
func (k *keyPattern) matchBackwardLow(s string, q int) (start, low int, ok bool) {
	if k.asciiParts == nil {
		return k.matchBackwardLowRunes(s, q)
	}
	// Text that spells the key as its field does (one or two words) is its match.
	if k.spellLen != 0 && q >= 8 && k.spell[0].matches(wordBefore(s, q)) &&
		(k.spellLen <= 8 || q >= 16 && k.spell[1].matches(wordBefore(s, q-8))) {
		return q - k.spellLen, q - k.spellLen, true
	}
	// The parts are [a-z0-9]+: over ASCII text a byte matches a part's letter when equal
	// after |0x20 and a digit when equal. A non-ASCII byte (a possible IGNORECASE letter
	// ſ ı İ K, or a \W rune in a gap) sends the key to the rune-wise match.
	i := q
	// The last part, when it is 4 to 8 bytes long, is compared with the eight bytes before q
	// in one word (lastWin; the probes matched its last bytes already, so it mostly matches):
	// all of them equal after the fold, or the byte-wise match below decides.
	lastDone := false
	if k.lastWin.mask != 0 && q >= 8 {
		if k.lastWin.matches(wordBefore(s, q)) {
			i -= len(k.asciiParts[len(k.asciiParts)-1])
			lastDone = true
		}
	}
	for pi := len(k.asciiParts) - 1; pi >= 0; pi-- {
		part := k.asciiParts[pi]
		j := len(part) - 1
		if lastDone {
			j, lastDone = -1, false
		} else if i >= len(part) {
			// The whole part fits before i: no bound to watch, and a byte matches when it
			// equals the part's after the fold (a non-ASCII byte never does: it is looked
			// at only on a mismatch).
			fold := k.asciiFolds[pi][:len(part)]
			for ; j >= 0; j-- {
				if c := s[i-1]; c|fold[j] != part[j] {
					if c >= utf8.RuneSelf {
						return k.matchBackwardLowRunes(s, q)
					}
					return 0, i - 1, false
				}
				i--
			}
		}
		for ; j >= 0; j-- {
			if i <= 0 {
				return 0, 0, false
			}
			c, p := s[i-1], part[j]
			if c >= utf8.RuneSelf {
				return k.matchBackwardLowRunes(s, q)
			}
			if p >= 'a' {
				c |= 0x20
			}
			if c != p {
				return 0, i - 1, false
			}
			i--
		}
		if pi > 0 {
			for i > 0 { // [\W_]*
				c := s[i-1]
				if c >= utf8.RuneSelf {
					return k.matchBackwardLowRunes(s, q)
				}
				if asciiWord[c] && c != '_' {
					break
				}
				i--
			}
			if i == 0 {
				return k.matchBackwardLowRunes(s, q) // a part needs at least one more byte
			}
		}
	}
	return i, i, true
}

// wordBefore is the eight bytes before q (q >= 8) as a little-endian word (s[q-8] lowest).
func wordBefore(s string, q int) uint64 {
	b := s[q-8 : q] // one bounds check: the eight loads combine into one
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

// matchBackwardLowRunes is matchBackwardLow rune by rune, for any key and text.
func (k *keyPattern) matchBackwardLowRunes(s string, q int) (start, low int, ok bool) {
	i, low := q, q
	for pi := len(k.parts) - 1; pi >= 0; pi-- {
		part := k.parts[pi]
		for j := len(part) - 1; j >= 0; j-- {
			if i <= 0 {
				return 0, 0, false
			}
			if c, p := s[i-1], part[j]; c < utf8.RuneSelf && p < utf8.RuneSelf {
				low = min(low, i-1)
				if !asciiFoldEq(byte(p), c) {
					return 0, low, false
				}
				i--
				continue
			}
			low = min(low, max(0, i-utf8.UTFMax)) // a rune read backwards may look at 4 bytes
			c, n := runeBefore(s, i)
			if !foldEq(part[j], c) {
				return 0, low, false
			}
			i -= n
		}
		if pi > 0 {
			for i > 0 {
				low = min(low, max(0, i-utf8.UTFMax))
				c, n := runeBefore(s, i)
				if isWord(c) && c != '_' {
					break
				}
				i -= n
			}
		}
	}
	return i, low, true
}

// skipSpaces returns the end of the \s* run at byte i; at a byte that is no space it returns
// at once, inlined (most calls: a key, value or mask is followed by another byte).
func skipSpaces(s string, i int) int {
	if i < len(s) && !spaceOrNonASCII[s[i]] {
		return i
	}
	return skipSpacesFrom(s, i)
}

// spaceOrNonASCII marks the ASCII spaces and every byte >= 0x80 (a rune to decode).
var spaceOrNonASCII = func() (t [256]bool) {
	for c := range t {
		t[c] = c >= utf8.RuneSelf || asciiSpace[c]
	}
	return t
}()

// skipSpacesFrom is skipSpaces past the first byte's check; not inlined, so skipSpaces is.
//
//go:noinline
func skipSpacesFrom(s string, i int) int {
	for i < len(s) {
		if c := s[i]; c < utf8.RuneSelf {
			if !asciiSpace[c] {
				break
			}
			i++
			continue
		}
		c, n := decodeAt(s, i)
		if !isSpace(c) {
			break
		}
		i += n
	}
	return i
}

// keyEnd is a place where a key may end: right before \s*[=:]. quotedValue says whether
// the value after the separator (and \s*) opens with a quote: the quoted rule needs one and
// the bare rule's (?!['"]) refuses one, so each rule only tries its own kind of end.
type keyEnd struct {
	q   int
	sep int // the '=' or ':'
	// With at most 64 fields (Redactor.probeEnds): the fields whose key matches backwards
	// from q with \b before it, and the lowest byte those matches and \b read; probed is
	// false until they are known.
	hits        uint64
	low         int
	start       int // where the key matched starts, when hits has one bit
	probed      bool
	quotedValue bool
	last        byte // s[q-1] lowercased when ASCII (0 when q == 0)
}

// keyEnds returns, for each '=' or ':' in s, the byte offset where a key before it ends
// (the separator minus the whitespace right before it).
func keyEnds(s string, buf []keyEnd) []keyEnd {
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
		q := keyEndAt(s, i)
		v := i + 1
		if v < len(s) && (s[v] >= utf8.RuneSelf || asciiSpace[s[v]]) {
			v = skipSpaces(s, v)
		}
		var last byte
		if q > 0 {
			last = s[q-1]
			if last >= 'A' && last <= 'Z' {
				last += 'a' - 'A'
			}
		}
		buf = append(buf, keyEnd{q: q, sep: i, quotedValue: v < len(s) && (s[v] == '\'' || s[v] == '"'), last: last})
	}
	return buf
}

// keyEndAt returns where a key before the separator at byte i ends: i minus the \s* right
// before it. Inlined: most separators follow the key at once.
func keyEndAt(s string, i int) int {
	if i > 0 && !spaceOrNonASCII[s[i-1]] {
		return i
	}
	return keyEndAtSpaces(s, i)
}

// keyEndAtSpaces is keyEndAt past the first byte's check; not inlined, so keyEndAt is.
func keyEndAtSpaces(s string, q int) int {
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
	return q
}

// probesEnds reports whether the key=value rules know, per key end, which keys match
// backwards from it (probeEnds): with at most 64 fields, one bit each.
func (r *Redactor) probesEnds() bool { return len(r.keys) <= 64 }

// redactKeyValues applies step 3 to s, whose key ends are ends, and reports whether it
// changed s; pending spans follow its edits. With probesEnds, ends are probed already.
// ends is updated through each rule's edits instead of being scanned again (shiftEnds).
// The rules write into bufs, s viewing one of them or none.
func (r *Redactor) redactKeyValues(s string, pend []pendingMask, ends []keyEnd, bufs *textBuffers) (string, bool) {
	changed := false
	var keysBuf [64]keySpan
	keys := keysBuf[:0] // keeps its room from one field to the next
	var editsBuf [32]edit
	edits := editsBuf[:0]
	// The rules write their results into the two buffers in turn, each rule reading the
	// text the one before wrote (a string view of one buffer) and writing the other: a
	// text that many rules change costs two allocations, not one per rule.
	// With at most 64 fields each end knows which keys match backwards from it (probeEnd),
	// and byKey lists each key's ends, so a rule visits only its own candidates; after a
	// rule's edits the ends move (shiftEnds) but keep their places in ends, so the lists
	// stay true until an end must be probed again (an edit reached what its matches read).
	withHits := r.probesEnds()
	var byKeyBuf [128]int32
	var byKey endsByKey
	// Without them, the last bytes of the ends of each rule kind (a field whose last letter
	// is not among them has no candidate).
	var lasts [2][256]bool
	if withHits {
		byKey = endsByKeyOf(ends, byKeyBuf[:0], len(r.keys))
	} else {
		lasts = lastBytes(ends)
	}
	for ki := range r.keys {
		k := &r.keys[ki]
		bit := uint64(1) << (ki & 63)
		for qi, quoted := range [2]bool{true, false} {
			keys = keys[:0]
			if withHits {
				for _, ei := range byKey.of(ki) {
					keys = appendCandidate(keys, s, k, &ends[ei], bit, quoted)
				}
			} else if k.lastNonASCII || lasts[qi][k.last] { // else no key with a value of this rule's kind ends with the field's last letter
				for ei := range ends {
					keys = appendCandidate(keys, s, k, &ends[ei], 0, quoted)
				}
			}
			if len(keys) == 0 {
				continue
			}
			var out []byte
			var ok bool
			out, edits, ok = applyKeyRule(bufs.writable(), edits[:0], s, keys, quoted)
			// s now views the bytes just written, which are never written again; the
			// buffer s viewed until now (none for the caller's text) is written next.
			s = bufs.result(s, out, ok)
			if !ok {
				continue
			}
			changed = true
			shiftPending(pend, edits)
			stale, ok := shiftEnds(ends, edits)
			if !ok {
				ends = keyEnds(s, ends) // new ends: byKey is rebuilt below
			}
			switch {
			case !withHits:
				lasts = lastBytes(ends)
			case !ok:
				r.probeEnds(s, ends)
				byKey = endsByKeyOf(ends, byKey.idx, len(r.keys))
			case stale: // the ends keep their places: byKey holds unless a probe changed
				if _, moved := r.probeEnds(s, ends); moved {
					byKey = endsByKeyOf(ends, byKey.idx, len(r.keys))
				}
			}
		}
	}
	return s, changed
}

// appendCandidate appends to keys the span of k's key ending at e when e is a candidate of
// k's quoted or bare rule: the value after it opens with a quote or not as the rule needs,
// and the key matches backwards from it. bit is k's bit in e.hits when the ends are probed
// (0: not probed, match here).
func appendCandidate(keys []keySpan, s string, k *keyPattern, e *keyEnd, bit uint64, quoted bool) []keySpan {
	// A match of the key ends where the backward match started (parts and gaps never
	// overlap), so the end's quotedValue is the rule's quote check.
	if e.q == 0 || e.quotedValue != quoted || bit != 0 && e.hits&bit == 0 {
		return keys
	}
	if e.last != k.last && e.last < utf8.RuneSelf && !k.lastNonASCII {
		return keys // the key cannot end with this byte (a non-ASCII one is decided in matchBackward)
	}
	if bit != 0 && e.hits == bit {
		return append(keys, keySpan{e.start, e.q}) // the probe matched this key only
	}
	if st, ok := k.matchBackward(s, e.q); ok {
		return append(keys, keySpan{st, e.q})
	}
	return keys
}

// endsByKey lists, per key (at most 64), the indices of the key ends whose probe matched it
// (keyEnd.hits), in text order: the candidates of the key's two rules.
type endsByKey struct {
	first [65]int32 // key ki's ends are idx[first[ki]:first[ki+1]]
	idx   []int32
}

// of returns the indices of the ends whose probe matched key ki.
func (b *endsByKey) of(ki int) []int32 { return b.idx[b.first[ki]:b.first[ki+1]] }

// endsByKeyOf lists the probed ends by key (a counting sort: the ends are in text order),
// in idx's room.
func endsByKeyOf(ends []keyEnd, idx []int32, keys int) (b endsByKey) {
	n := 0
	for i := range ends {
		if ends[i].q == 0 {
			continue
		}
		for m := ends[i].hits; m != 0; m &= m - 1 {
			b.first[bits.TrailingZeros64(m)+1]++
			n++
		}
	}
	for ki := 1; ki <= keys; ki++ {
		b.first[ki] += b.first[ki-1]
	}
	b.idx = slices.Grow(idx[:0], n)[:n]
	next := b.first
	for i := range ends {
		if ends[i].q == 0 {
			continue
		}
		for m := ends[i].hits; m != 0; m &= m - 1 {
			ki := bits.TrailingZeros64(m)
			b.idx[next[ki]] = int32(i)
			next[ki]++
		}
	}
	return b
}

// probeEnd is probeEnds for the one key end at q of t (the rune before q lowercased as a
// key end's last byte is).
func (r *Redactor) probeEnd(t string, q int) keyEnd {
	var last byte
	if q > 0 {
		last = t[q-1]
		if last >= 'A' && last <= 'Z' {
			last += 'a' - 'A'
		}
	}
	probe := [1]keyEnd{{q: q, last: last}}
	r.probeEnds(t, probe[:])
	return probe[0]
}

// probeEnds matches, at every end not probed yet, each key that can end with its last byte
// backwards (at most 64 keys), and returns per rule kind (quoted, bare) the keys that some
// end matched with a word boundary before them; moved reports that an end's keys changed.
func (r *Redactor) probeEnds(s string, ends []keyEnd) (hits [2]uint64, moved bool) {
	for i := range ends {
		e := &ends[i]
		if e.q == 0 {
			continue
		}
		if !e.probed {
			old := e.hits
			e.hits, e.low, e.probed = 0, e.q, true
			m := r.keysByLast[e.last]
			if e.last < utf8.RuneSelf && e.q >= 2 {
				prev := s[e.q-2]
				if prev >= 'A' && prev <= 'Z' {
					prev += 'a' - 'A'
				}
				m &= r.keysByPrev[prev]
				e.low = e.q - 2 // the answer depends on that byte too
			}
			for ; m != 0; m &= m - 1 {
				ki := bits.TrailingZeros64(m)
				st, low, ok := r.keys[ki].matchBackwardLow(s, e.q)
				e.low = min(e.low, low)
				if !ok {
					continue
				}
				// Every rule needs \b before the key: a key inside a longer word ("token"
				// in refresh_token) is no candidate. That reads the rune before st.
				e.low = min(e.low, runeStartBefore(s, st))
				b, ok := asciiWordBoundary(s, st) // wordBoundary, inlined
				if !ok {
					b = wordBoundaryRunes(s, st)
				}
				if b {
					e.hits |= 1 << ki
					e.start = st
				}
			}
			moved = moved || e.hits != old
		}
		kind := 1
		if e.quotedValue {
			kind = 0
		}
		hits[kind] |= e.hits
	}
	return hits, moved
}

// runeStartBefore is the lowest byte the rune ending at byte i may start at (i itself at 0):
// what wordBoundary(s, i) reads, from there on.
func runeStartBefore(s string, i int) int {
	switch {
	case i == 0:
		return 0
	case s[i-1] < utf8.RuneSelf:
		return i - 1
	}
	return max(0, i-utf8.UTFMax)
}

// shiftEnds maps the key ends of a text through one rule's edits (sorted, disjoint value
// spans that became masks), in place: an end whose separator was masked is gone (its q
// becomes 0, as an end no key can match before: the ends keep their places), the others
// move by the edits before them, and an end right after a mask now follows '*'. A value
// never starts or ends inside the whitespace between a key end and its separator (a bare
// value has no whitespace, a quoted one is bounded by quotes); if an edit did, ok is false
// and the caller scans the text again. stale reports that an edit ended inside the bytes
// an end's backward matches read (probeEnds must probe it again).
func shiftEnds(ends []keyEnd, edits []edit) (stale, ok bool) {
	if len(edits) == 0 {
		return false, true
	}
	// The ends and the edits are both in text order: one walk, the next edit's bounds and
	// the end of the edit before in registers.
	ei, delta := 0, 0
	prevEnd := -1 // the end of the last edit that ended at or before the key end
	nextStart, nextEnd := edits[0].start, edits[0].end
	// The ends whose separator is before the first edit do not change (a gone end's
	// separator may be stale: it is gone either way).
	first := 0
	for first < len(ends) && ends[first].sep < nextStart {
		first++
	}
	for i := first; i < len(ends); i++ {
		e := &ends[i]
		if e.q == 0 {
			continue // no key ends there, or it is gone
		}
		after := false
		for nextEnd <= e.q {
			after = nextEnd == e.q
			delta += edits[ei].n - (nextEnd - nextStart)
			prevEnd = nextEnd
			if ei++; ei < len(edits) {
				nextStart, nextEnd = edits[ei].start, edits[ei].end
			} else {
				nextStart, nextEnd = math.MaxInt, math.MaxInt
			}
		}
		if nextStart <= e.sep {
			if nextEnd <= e.sep || nextStart > e.q && nextStart < e.sep {
				return stale, false
			}
			e.q = 0 // the separator was inside a masked value
			continue
		}
		if after {
			e.last = Mask[len(Mask)-1]
		}
		// The keys matched backwards from q read s[low:q]: an edit ending inside it means
		// probing again. The edits before q end in order, the last of them latest.
		if prevEnd > e.low {
			e.probed = false
			stale = true
		}
		if delta != 0 {
			e.q += delta
			e.sep += delta
			e.low += delta
			e.start += delta
		}
	}
	return stale, true
}

// lastBytes marks the lowercased last byte of every key end (non-ASCII bytes as they are),
// in set[0] when the value after it opens with a quote (the quoted rule's ends), else in
// set[1] (the bare rule's), so a rule whose field's last letter is not among its ends is
// skipped at once.
func lastBytes(ends []keyEnd) (set [2][256]bool) {
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

// keySpan is where a field's key pattern matches in a text: [start, end).
type keySpan struct{ start, end int }

// applyKeyRule runs one rule from its candidate keys (the spans its key pattern matches
// backwards from key ends, which the forward match would give too) and writes the result
// into dst (its contents are dropped); changed is false, and dst holds nothing, when no
// candidate matched.
func applyKeyRule(dst []byte, edits []edit, s string, keys []keySpan, quoted bool) (_ []byte, _ []edit, changed bool) {
	if len(keys) > 1 {
		slices.SortFunc(keys, func(a, b keySpan) int { return a.start - b.start })
	}
	dst = dst[:0]
	last := 0 // end of the previous match (Python resumes its scan there)
	copied := 0
	for _, key := range keys {
		if key.start < last {
			continue
		}
		vs, ve, ok := matchKeyRuleAt(s, key, quoted)
		if !ok {
			continue
		}
		if !changed {
			dst = slices.Grow(dst, len(s)+len(Mask))
			changed = true
		}
		dst = append(dst, s[copied:vs]...)
		dst = append(dst, Mask...)
		edits = append(edits, edit{vs, ve, len(Mask)})
		copied = ve
		last = ve
		if quoted {
			last = ve + 1 // the closing quote belongs to the match
		}
	}
	if !changed {
		return dst, edits, false
	}
	return append(dst, s[copied:]...), edits, true
}

// matchKeyRule runs the quoted or bare rule at byte st; it returns the value span to mask.
func matchKeyRule(s string, k *keyPattern, st int, quoted bool) (int, int, bool) {
	e, ok := k.matchForward(s, st)
	if !ok {
		return 0, 0, false
	}
	return matchKeyRuleAt(s, keySpan{st, e}, quoted)
}

// matchKeyRuleAt is matchKeyRule where the field's key pattern matches key.
func matchKeyRuleAt(s string, key keySpan, quoted bool) (int, int, bool) {
	if !wordBoundary(s, key.start) || !wordBoundary(s, key.end) {
		return 0, 0, false
	}
	i := skipSpaces(s, key.end)
	if i >= len(s) || (s[i] != '=' && s[i] != ':') {
		return 0, 0, false
	}
	i = skipSpaces(s, i+1)
	if quoted {
		if i >= len(s) || (s[i] != '\'' && s[i] != '"') {
			return 0, 0, false
		}
		vs := i + 1
		j := strings.IndexAny(s[vs:], `'"`)
		if j < 0 {
			return 0, 0, false
		}
		return vs, vs + j, true
	}
	if i < len(s) && (s[i] == '\'' || s[i] == '"') {
		return 0, 0, false
	}
	if hasRedactedWord(s, i) || strings.HasPrefix(s[i:], Mask) {
		return 0, 0, false
	}
	j := bareValueEnd(s, i)
	if j == i {
		return 0, 0, false
	}
	return i, j, true
}

// bareValueByte marks the ASCII bytes of a bare value: all but \s , ; & (a byte >= 0x80 is
// not marked: its rune is decoded).
var bareValueByte = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = !asciiSpace[c] && c != ',' && c != ';' && c != '&'
	}
	return t
}()

// hasRedactedWord is (?i)REDACTED\b at byte i.
func hasRedactedWord(s string, i int) bool {
	const w = "redacted"
	if len(s)-i < len(w) {
		return false
	}
	for k := 0; k < len(w); k++ {
		if s[i+k]|0x20 != w[k] {
			return false
		}
	}
	return wordBoundary(s, i+len(w))
}

// ---- step 4: \*\*\*(?:\s+\*\*\*)+ → ***

func collapseMasks(s string) string {
	out, changed := collapseMasksInto(nil, s)
	if !changed {
		return s
	}
	return string(out)
}

// collapseMasksInto is collapseMasks writing the result into dst (emptied): changed is
// false, and dst holds nothing, when there was no run to collapse.
func collapseMasksInto(dst []byte, s string) (_ []byte, changed bool) {
	dst = dst[:0]
	first := strings.Index(s, Mask)
	if first < 0 {
		return dst, false
	}
	copied := 0
	for i := first; i < len(s); {
		// the next Mask: its first byte (IndexByte), then the rest
		st := indexByteFrom(s, i, Mask[0])
		if st < 0 {
			break
		}
		if st+len(Mask) > len(s) || s[st+1] != '*' || s[st+2] != '*' {
			i = st + 1
			continue
		}
		end := st + len(Mask)
		// Most masks are followed by a byte that is no space, or by spaces and a byte that is
		// no '*': no run, decided without the \s* scan.
		j := end
		for j < len(s) && s[j] == ' ' {
			j++
		}
		if j < len(s) && s[j] != '*' && s[j] < utf8.RuneSelf && !asciiSpace[s[j]] {
			i = end
			continue
		}
		runs := 0
		for {
			j := skipSpaces(s, end)
			if j == end || !strings.HasPrefix(s[j:], Mask) {
				break
			}
			end = j + len(Mask)
			runs++
		}
		if runs == 0 {
			// A match starting at st+1 or st+2 would need s[end] == '*' (those two bytes
			// are '*' already); without it the next possible start is end.
			i = end
			if end < len(s) && s[end] == '*' {
				i = st + 1
			}
			continue
		}
		if !changed {
			dst = slices.Grow(dst, len(s))
			changed = true
		}
		dst = append(dst, s[copied:st]...)
		dst = append(dst, Mask...)
		copied = end
		i = end
	}
	if !changed {
		return dst, false
	}
	return append(dst, s[copied:]...), true
}

// bareValueEnd returns the end of the bare value [^\s,;&]+ that starts at i (i when there is
// none). Eight bytes at a time while no byte of the eight can end it: a space or control
// byte (< 0x21), , ; & or a byte >= 0x80; the first such byte (the lowest flagged byte of a
// word is exact) or the last bytes go on byte by byte, a non-ASCII byte rune by rune. One
// function, no call for the common value (the word loop as a call of its own cost ~20
// instructions a value).
func bareValueEnd(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		if stop := bareValueStops(wordBefore(s, i+8)); stop != 0 {
			i += bits.TrailingZeros64(stop) >> 3
			break
		}
	}
	for i < len(s) && bareValueByte[s[i]] { // one lookup per ASCII byte of the value
		i++
	}
	if i < len(s) && s[i] >= utf8.RuneSelf {
		return bareValueEndRunes(s, i)
	}
	return i
}

// bareValueStop marks the ASCII bytes that end a bare value: \s , ; &.
var bareValueStop = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = !bareValueByte[c]
	}
	return t
}()

// bareValueStops flags (0x80) the bytes of the eight bytes v (wordBefore) that may end a bare
// value: a space or control byte (< 0x21, not all of them \s: bareValueStop tells), , ; & or
// a byte >= 0x80 (a rune to decode). The lowest flag is exact, those above it may come from
// a borrow; no flag: none of the eight ends the value.
func bareValueStops(v uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	x, y, z := v^(','*ones), v^(';'*ones), v^('&'*ones)
	return (v | (v-0x21*ones)&^v | (x-ones)&^x | (y-ones)&^y | (z-ones)&^z) & highs
}

// bareValueEndRunes is bareValueEnd from a non-ASCII byte on.
func bareValueEndRunes(s string, j int) int {
	for j < len(s) {
		c := s[j]
		if bareValueByte[c] {
			j++
			continue
		}
		if c < utf8.RuneSelf {
			break
		}
		r, n := decodeAt(s, j)
		if isSpace(r) {
			break
		}
		j += n
	}
	return j
}
