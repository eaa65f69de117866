package redact

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Step 3 when the rules cannot see each other's masks (redactKeyValuesDisjoint), the common
// text: keys with one value each, apart (password=hunter2 … token: 'x' …). Python runs the
// 2 × fields rules one after the other; a rule answers at a key end from the bytes it reads
// there only (the key and the rune before it, backwards from the end; the separator, the
// value and the rune after it). When, in text order,
//   - every key end that is still there (its separator in no earlier mask) matched at most
//     one field's key backwards (its probe), and an end inside a mask matched none,
//   - no key end's probe reads a byte an earlier mask replaced, and
//   - no mask replaces a byte an earlier candidate's rule read after its key,
// then no rule reads a byte another rule masked, whatever their order: each rule answers in
// the caller's text as in the text the rules before it left, Python's scan resumes after a
// match before the next candidate's key starts, and the result is the caller's text with
// each candidate's value masked. Each candidate is decided once, in text order, and its mask
// written at once, without the per-rule lists and the masked-byte set of the one pass
// (redactKeyValuesOnce), which takes every other text.

// disjointRun is what the disjoint path's walk over a text found (redactKeyValuesDisjoint).
type disjointRun struct {
	dst     []byte // the text with its candidates' masks when changed; else only room
	changed bool
	ok      bool // false: declined, the general path decides (dst is only room)
	hit     bool // a key end's probe matched a key (false: step 3 changes nothing); not set when declined
	quote   bool // a quote stands right before a key end: D3's candidates, in order, in sc.quotes
}

// redactKeyValuesDisjoint is redactKeyValuesOnce for a text whose candidates are disjoint
// (above), in one walk over the separators: each separator's key end is found (keyEnds),
// probed (probeEnds) and decided at once, and its mask written into dst (emptied; its room
// is kept), so no key end is stored. ok is false for any other text; the walk stops there.
// The masks are kept as edits in sc.edits when record is true (pending masks there or to
// come: disjointAnswer checks them). The walk also gathers what the steps around it need of
// the key ends: whether a probe matched at all, and D3's candidates.
func (r *Redactor) redactKeyValuesDisjoint(s string, dst []byte, sc *onceScratch, record bool) (run disjointRun) {
	dst = dst[:0]
	edits, quotes := sc.edits[:0], sc.quotes[:0]
	// The masks so far (five words: the compiler keeps them in memory, not in registers the
	// walk would shuffle at every separator).
	var ms struct {
		readEnd     int // the end of the bytes the candidates so far read after their keys
		maskEnd     int // the end of the last mask (an empty value's mask counts its first byte)
		prevMaskEnd int // the end of the mask before it
		maskOut     int // the ends of those masks in dst
		prevMaskOut int
	}
	copied := 0
	memo := probeMemo{last: -1} // the last full probe's answer and the bytes it read
	defer func() {
		sc.edits, sc.quotes = edits, quotes
		if !run.ok {
			run.dst = dst[:0] // declined: the room the walk grew is still the next steps'
		}
	}()
	// The separators in order (as keyEnds): the next '=' and the next ':', the nearer one
	// taken and searched past.
	nextEq, nextColon := strings.IndexByte(s, '='), strings.IndexByte(s, ':')
	for nextEq >= 0 || nextColon >= 0 {
		var sep int
		if nextColon < 0 || (nextEq >= 0 && nextEq < nextColon) {
			sep = nextEq
			// indexByteFrom, written out: it is no call then (its cost, 87, is past the
			// inliner's budget of 80)
			if nextEq = strings.IndexByte(s[sep+1:], '='); nextEq >= 0 {
				nextEq += sep + 1
			}
		} else {
			sep = nextColon
			if nextColon = strings.IndexByte(s[sep+1:], ':'); nextColon >= 0 {
				nextColon += sep + 1
			}
		}
		q := keyEndAt(s, sep)
		if q == 0 {
			continue // no key ends there
		}
		last := s[q-1]
		if last >= 'A' && last <= 'Z' {
			last += 'a' - 'A'
		}
		if last == '"' || last == '\'' {
			run.quote = true
			quotes = append(quotes, q-1)
		}
		// The probe (probeEnds): the keys that match backwards from q with \b before them,
		// and the lowest byte that answer reads (the byte before the last one at least).
		var hits uint64
		low := max(q-2, 0)
		if int(last) == memo.last && q > 16 && memo.holds(wordBefore(s, q), wordBefore(s, q-8)) {
			// The bytes the last full probe read, byte for byte (the two before q among
			// them, which choose the keys to try): its answer.
			hits, low = memo.hits, q-memo.n
			if memoChecks {
				memoChecked(r, s, q, hits, low)
			}
		} else if m := r.keysByLast[last]; m != 0 {
			if last < utf8.RuneSelf && q >= 2 {
				prev := s[q-2]
				if prev >= 'A' && prev <= 'Z' {
					prev += 'a' - 'A'
				}
				m &= r.keysByPrev[prev]
			}
			full := m != 0
			for ; m != 0; m &= m - 1 {
				ki := bits.TrailingZeros64(m)
				k := &r.keys[ki]
				var st int
				if k.spellLen != 0 && k.spellLen <= 8 && q >= 8 && k.spell[0].matches(wordBefore(s, q)) {
					st = q - k.spellLen // matchBackwardLow's answer, without the call
					low = min(low, st)
				} else {
					var l int
					var ok bool
					st, l, ok = k.matchBackwardLow(s, q)
					low = min(low, l)
					if !ok {
						continue
					}
				}
				low = min(low, runeStartBefore(s, st))
				b, ok := asciiWordBoundary(s, st) // wordBoundary, inlined
				if !ok {
					b = wordBoundaryRunes(s, st)
				}
				if b {
					hits |= 1 << ki
				}
			}
			if full && q > 16 && q-low <= 16 {
				mk := &probeMemoMasks[(q-low)&15]
				memo = probeMemo{last: int(last), hits: hits, n: q - low, w0: wordBefore(s, q) & mk[0], w1: wordBefore(s, q-8) & mk[1]}
			}
		}
		if sep < ms.maskEnd { // inside the last mask: the text the rules leave has no end here
			if hits != 0 {
				return run // a field's rule may have masked its value first
			}
			continue
		}
		if low < ms.maskEnd { // its probes read the last mask
			// Probed again in the text the masks so far leave (dst, the text up to the key
			// end copied behind them): the rules read it with or without the last mask, so
			// both answers must agree and neither may read the mask before it.
			if low < ms.prevMaskEnd {
				return run
			}
			dst = append(dst, s[copied:q]...)
			copied = q
			if !r.probeAgain(unsafe.String(unsafe.SliceData(dst), len(dst)), hits, ms.prevMaskOut, ms.maskOut) {
				return run
			}
		}
		if hits == 0 {
			continue
		}
		run.hit = true // (a declined walk's is not read)
		// Several fields' keys may end here (session_id and id): their rules read the same
		// bytes after the key (matchKeyRuleRead reads from the key's end on), so the first
		// of them in Python's order masks the value and the others find that mask, which the
		// bare rule refuses and the quoted rule masks again: one mask either way.
		var vs, ve, hi int
		var matched bool
		if v := sep + 1; plainBareValueAt(s, q, sep, v) { // matchKeyRuleRead's answer, without the call
			// (a value right after sep: no \s* to skip, no quote to look for)
			vs, matched = v, true
			// bareValueEnd's first word, inline: most values end in it, at an ASCII stop;
			// else the scan goes on from the first byte that may end it.
			ve = v
			short := false
			if v+8 <= len(s) {
				if stop := bareValueStops(wordBefore(s, v+8)); stop == 0 {
					ve = v + 8
				} else {
					ve = v + bits.TrailingZeros64(stop)>>3
					short = bareValueStop[s[ve]]
				}
			}
			if !short {
				ve = bareValueEnd(s, ve)
			}
			hi = runeEndAt(s, ve)
		} else {
			v := skipSpaces(s, sep+1)
			quotedValue := v < len(s) && (s[v] == '\'' || s[v] == '"')
			vs, ve, matched, hi = matchKeyRuleRead(s, keySpan{q, q}, quotedValue)
		}
		if matched {
			if vs < ms.readEnd {
				return run // masks a byte an earlier candidate read
			}
			if !run.changed {
				dst = slices.Grow(dst, len(s)+len(s)>>3+len(Mask))
				run.changed = true
			}
			if n := vs - copied; n <= 32 && len(s)-copied >= 32 && cap(dst)-len(dst) >= 32+len(Mask) {
				// The text before the mask (short: a key end every few words) and the mask,
				// by two fixed-size copies in dst's spare room, no memmove call.
				d := unsafe.Add(unsafe.Pointer(unsafe.SliceData(dst)), len(dst))
				*(*[32]byte)(d) = *(*[32]byte)(unsafe.Pointer(unsafe.StringData(s[copied:])))
				*(*[len(Mask)]byte)(unsafe.Add(d, n)) = [len(Mask)]byte([]byte(Mask))
				dst = dst[:len(dst)+n+len(Mask)]
			} else {
				dst = append(dst, s[copied:vs]...)
				dst = append(dst, Mask...)
			}
			copied = ve
			ms.prevMaskEnd, ms.maskEnd = ms.maskEnd, max(ve, vs+1)
			ms.prevMaskOut, ms.maskOut = ms.maskOut, len(dst)
			if record {
				edits = append(edits, edit{vs, ve, len(Mask)})
			}
		}
		ms.readEnd = max(ms.readEnd, hi)
	}
	if run.changed {
		dst = append(dst, s[copied:]...)
	}
	run.dst, run.ok = dst, true
	return run
}

// probeMemo is the disjoint walk's last full probe at a key end q: the keys that matched
// backwards from q with \b before them (hits) and the n bytes before q that answer read
// (2-16, from the lowest byte read; q >= 17, so none is the text's first and the answer did
// not see the text's start). The probe reads nothing else (the one pass reprobes a key end
// only when a byte it read changes, probeEnds): the two bytes before q choose the keys to
// try, and the word compare of a key's spelling (keyPattern.spell) reads more bytes, but its
// answer is matchBackwardLow's, which reads only those. So a key end after 16 with the same
// n bytes before it has the same answer, its lowest byte read n bytes back, without a probe
// or the table lookups that choose the keys: a text that repeats a key (password=… dolor sit
// amet password=…) probes it once (TestProbeMemo). Five words: the compiler keeps it in
// memory, not in registers the walk would shuffle at every separator.
type probeMemo struct {
	last   int    // the last byte before q, lowercased (-1: no memo)
	hits   uint64 // the answer
	n      int
	w0, w1 uint64 // the 16 bytes before q (wordBefore at q and at q-8), only the n kept (probeMemoMasks)
}

// holds reports whether the 16 bytes before a key end (wordBefore at it and 8 before it)
// hold the memo's n.
func (p *probeMemo) holds(w0, w1 uint64) bool {
	return (w0^p.w0)&probeMemoMasks[p.n&15][0]|(w1^p.w1)&probeMemoMasks[p.n&15][1] == 0
}

// probeMemoMasks are, for n bytes before a key end (n&15: 16 is 0), the masks of the words
// wordBefore gives at the end and 8 bytes before it that keep those bytes (the top bytes of a
// word are the ones nearest the end).
var probeMemoMasks = func() (t [16][2]uint64) {
	for n := 2; n <= 16; n++ {
		t[n&15] = [2]uint64{^uint64(0) << (8 * max(8-n, 0)), ^uint64(0) << (8 * min(16-n, 8))}
	}
	return t
}()

// memoChecks makes every probe answered by a probeMemo checked against probeEnd (tests).
var memoChecks = false

// memoAnswers counts the memo's answers memoChecked checked (tests).
var memoAnswers int

// memoChecked panics when probeEnd answers the key end q of s otherwise than hits and low.
func memoChecked(r *Redactor, s string, q int, hits uint64, low int) {
	memoAnswers++
	p := r.probeEnd(s, q)
	if p.hits != hits || min(p.low, max(q-2, 0)) != low {
		panic(fmt.Sprintf("probe memo at %d of %q: hits %b low %d, probeEnd %b low %d", q, s, hits, low, p.hits, p.low))
	}
}

// disjointAnswer finishes the disjoint path on s after D3's first pass added its pending
// masks to pend: ok is false, and nothing was changed (s, pend, bufs), when one of run's
// masks reaches a pending span (the general path decides). collapse reports whether step 4
// may find a run of masks (not when the only masks are run's in a text without '*' and the
// pending ones are REDACTED), hold that D3's second pass can find nothing new
// (quotedKeysHold).
func (r *Redactor) disjointAnswer(s string, run disjointRun, pend []pendingMask, bufs *textBuffers, sc *onceScratch) (_ string, changed, collapse, hold, ok bool) {
	bufs.free = run.dst[:0] // kept for the next steps unless it becomes the text
	if !run.hit {
		return s, false, true, false, true // no candidate: step 3 was skipped
	}
	if pendingReached(pend, sc.edits) { // the one pass decides
		return s, false, true, false, false
	}
	hold = r.opts.JSONQuotedKeys && run.quote && quotedKeysHold(s, sc.quotes, sc.edits, pend)
	if !run.changed {
		return s, false, true, hold, true // no candidate matched
	}
	collapse = !onlyURLMasks(pend) || strings.IndexByte(s, '*') >= 0
	shiftPendingApart(pend, sc.edits)
	return bufs.result(s, run.dst, true), true, collapse, hold, true
}

// pendingReached reports whether one of edits (sorted) reaches a pending span (masksReach;
// an empty span counts its first byte). Spans sorted by start (D3's, after REDACTED ones
// before them) are met in one walk over the edits: their ends ascend, so the first edit
// ending after a span's start is the one to look at, and it is no earlier for the next
// span; other spans are searched one by one. pend is not changed.
func pendingReached(pend []pendingMask, edits []edit) bool {
	if !slices.IsSortedFunc(pend, pendingByStart) {
		for _, p := range pend {
			if masksReach(edits, p.start, max(p.end, p.start+1)) {
				return true
			}
		}
		return false
	}
	k := 0
	for i := range pend {
		p := &pend[i]
		for k < len(edits) && max(edits[k].end, edits[k].start+1) <= p.start {
			k++
		}
		if k < len(edits) && edits[k].start < max(p.end, p.start+1) {
			return true
		}
	}
	return false
}

// shiftPendingApart is shiftPending for spans no edit reaches (disjointAnswer checked it:
// masksReach), an empty one counting its first byte: each span moves by the edits before it,
// which, in pending spans sorted by start, one walk over the edits counts.
func shiftPendingApart(pend []pendingMask, edits []edit) {
	if !slices.IsSortedFunc(pend, pendingByStart) {
		shiftPending(pend, edits)
		return
	}
	k, delta := 0, 0
	for i := range pend {
		for k < len(edits) && edits[k].end <= pend[i].start {
			delta += edits[k].n - (edits[k].end - edits[k].start)
			k++
		}
		pend[i].start += delta
		pend[i].end += delta
	}
}

// plainBareValueAt reports that the bare rule's value at the key end q starts right after the
// separator sep, itself right after q, and no look-ahead reads past its first byte (v is
// where \s* after sep ends, or sep+1: a byte plainValueStart marks is no space, so both
// answer alike): \b between the key's ASCII word byte and the separator, no quote, REDACTED
// or *** at v. matchKeyRuleRead then answers v, bareValueEnd(s, v), true and
// the end of the rune after the value (TestPlainBareValueAt).
func plainBareValueAt(s string, q, sep, v int) bool {
	return v == sep+1 && q == sep && v < len(s) && plainValueStart[s[v]] && wordByteClass[s[q-1]] == 1
}

// plainValueStart marks the ASCII bytes a bare value may start with that no look-ahead of
// the bare rule reads further: all bareValueByte bytes but the quotes, 'r' and 'R' (REDACTED)
// and '*' (***).
var plainValueStart = func() (t [256]bool) {
	for c := range utf8.RuneSelf {
		t[c] = bareValueByte[c] && c != '\'' && c != '"' && c|0x20 != 'r' && c != '*'
	}
	return t
}()

// quotedKeysMayHold is quotedKeysHold's first test, before any candidate: no backslash in s, at
// most 64 pending spans, and no pending mask that ends with a quote followed by a separator.
func quotedKeysMayHold(s string, pend []pendingMask) bool {
	if strings.IndexByte(s, '\\') >= 0 || len(pend) > 64 {
		return false
	}
	for _, p := range pend {
		if m := p.mask; m != "" && (m[len(m)-1] == '"' || m[len(m)-1] == '\'') {
			if j := skipSpaces(s, p.end); j < len(s) && (s[j] == '=' || s[j] == ':') {
				return false
			}
		}
	}
	return true
}

// quotedKeysHold reports that D3's second pass, on s with the disjoint rules' edits and the
// pending masks applied, finds only the quoted keys the first pass found in s (whose values
// those pending masks already hold, so the pass leaves the text as it is): s has no backslash
// (a key closes at a quote right before a key end and opens at the last quote of its kind
// before it, at most maxQuotedKeyLen back), no mask reaches a key, its opener or, where no
// opener was found, the bytes a search for one reads, and no pending mask that ends with a
// quote is followed by a separator (a new key end after a quote). cands are the quotes right
// before a key end (quotedKeyCloses); the edits are sorted; pend (in s) is sorted by start
// here (stably). false when unsure.
func quotedKeysHold(s string, cands []int, edits []edit, pend []pendingMask) bool {
	if !quotedKeysMayHold(s, pend) {
		return false
	}
	// The pending spans by start (stable: applyPendingInto sorts them so too), each with the
	// furthest any of them up to it reaches (an empty one counts its first byte).
	if !slices.IsSortedFunc(pend, pendingByStart) {
		slices.SortStableFunc(pend, pendingByStart)
	}
	var reachBuf [64]int
	reach := reachBuf[:len(pend)]
	for i := range pend {
		reach[i] = max(pend[i].end, pend[i].start+1)
		if i > 0 {
			reach[i] = max(reach[i], reach[i-1])
		}
	}
	k, j := 0, 0 // the edits and the pending spans that start at or before the candidate so far (cands ascend)
	for _, c := range cands {
		lo := max(0, c-maxQuotedKeyLen)
		if open := strings.LastIndexByte(s[lo:c], s[c]); open >= 0 {
			lo += open
		}
		// [lo, c]: the key and its opener, or the bytes searched; a mask reaching them may
		// change the key (or a closer inside a mask is gone: nothing to find there either,
		// but that is not told apart here).
		if k = editsUpTo(edits, k, c); k > 0 && max(edits[k-1].end, edits[k-1].start+1) > lo {
			return false // masksReach(edits, lo, c+1), by the last edit starting at or before c
		}
		for j < len(pend) && pend[j].start <= c {
			j++
		}
		if j > 0 && reach[j-1] > lo {
			return false // a pending span that starts at or before c reaches lo
		}
	}
	return true
}

// pendingByStart orders pending spans by their start.
func pendingByStart(a, b pendingMask) int { return a.start - b.start }

// editsUpTo is the number of edits (sorted) that start at or before c, counted on from k
// (those of an earlier c). Their ends ascend (disjoint masks; an empty one counts its first
// byte), so the last of them reaches furthest.
func editsUpTo(edits []edit, k, c int) int {
	for k < len(edits) && edits[k].start <= c {
		k++
	}
	return k
}

// masksReach reports whether one of edits (sorted, disjoint masks; an empty one counts its
// first byte) reaches a byte of [lo, hi).
func masksReach(edits []edit, lo, hi int) bool {
	k, _ := slices.BinarySearchFunc(edits, lo, func(ed edit, lo int) int {
		if max(ed.end, ed.start+1) <= lo {
			return -1
		}
		return 1
	})
	return k < len(edits) && edits[k].start < hi
}

// onlyURLMasks reports that every pending span is masked as REDACTED (no '*' for step 4).
func onlyURLMasks(pend []pendingMask) bool {
	for i := range pend {
		if pend[i].mask != URLMask {
			return false
		}
	}
	return true
}

// probeAgain reports whether the key end at the end of t (the text the masks so far leave,
// the last of them ending at maskOut, the one before it at prevMaskOut) matches the keys
// hits, as in the caller's text, each key and the rune before it after the last mask, and
// reading nothing of the mask before it.
func (r *Redactor) probeAgain(t string, hits uint64, prevMaskOut, maskOut int) bool {
	q := len(t)
	probe := r.probeEnd(t, q)
	if probe.hits != hits || min(probe.low, max(q-2, 0)) < prevMaskOut {
		return false
	}
	for m := hits; m != 0; m &= m - 1 {
		st, _ := r.keys[bits.TrailingZeros64(m)].matchBackward(t, q)
		if runeStartBefore(t, st) < maskOut {
			return false
		}
	}
	return true
}
