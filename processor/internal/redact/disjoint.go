package redact

import (
	"math/bits"
	"slices"
	"strings"
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

// redactKeyValuesDisjoint is redactKeyValuesOnce for a text whose candidates are disjoint
// (above); ok is false, and nothing was changed (s, pend, bufs), for any other text.
//
// With quotes (D3 on and a quote right before a separator) it also reports whether D3's
// second pass can find nothing new (keysHold, quotedKeysHold): the edits are kept for that.
func (r *Redactor) redactKeyValuesDisjoint(s string, pend []pendingMask, ends []keyEnd, bufs *textBuffers, sc *onceScratch, quotes bool) (_ string, changed, ok, keysHold bool) {
	var dst []byte
	edits := sc.edits[:0]        // the masks, for the pending spans (kept only when there are some)
	readEnd := 0                 // the end of the bytes the candidates so far read after their keys
	maskEnd := 0                 // the end of the last mask (an empty value's mask counts its first byte)
	prevMaskEnd := 0             // the end of the mask before it
	maskOut, prevMaskOut := 0, 0 // the ends of those masks in dst
	copied := 0
	decline := func() (string, bool, bool, bool) {
		if dst != nil {
			bufs.free = dst[:0] // its room is the one pass's
		}
		sc.edits = edits
		return s, false, false, false
	}
	for i := range ends {
		e := &ends[i]
		if e.q == 0 {
			continue // no key ends there
		}
		if e.sep < maskEnd { // inside the last mask: the text the rules leave has no end here
			if e.hits != 0 {
				return decline() // a field's rule may have masked its value first
			}
			continue
		}
		if min(e.low, max(e.q-2, 0)) < maskEnd { // its probes read the last mask
			// Probed again in the text the masks so far leave (dst, the text up to the key
			// end copied behind them): the rules read it with or without the last mask, so
			// both answers must agree and neither may read the mask before it.
			if min(e.low, max(e.q-2, 0)) < prevMaskEnd {
				return decline()
			}
			dst = append(dst, s[copied:e.q]...)
			copied = e.q
			if !r.probeAgain(unsafe.String(unsafe.SliceData(dst), len(dst)), e.hits, prevMaskOut, maskOut) {
				return decline()
			}
		}
		if e.hits == 0 {
			continue
		}
		// Several fields' keys may end here (session_id and id): their rules read the same
		// bytes after the key (matchKeyRuleRead reads from the key's end on), so the first
		// of them in Python's order masks the value and the others find that mask, which the
		// bare rule refuses and the quoted rule masks again: one mask either way.
		vs, ve, matched, hi := matchKeyRuleRead(s, keySpan{e.start, e.q}, e.quotedValue)
		if matched {
			if vs < readEnd {
				return decline() // masks a byte an earlier candidate read
			}
			if dst == nil {
				dst = slices.Grow(bufs.writable(), len(s)+len(Mask)*(len(ends)-i))
			}
			dst = append(dst, s[copied:vs]...)
			dst = append(dst, Mask...)
			copied = ve
			prevMaskEnd, maskEnd = maskEnd, max(ve, vs+1)
			prevMaskOut, maskOut = maskOut, len(dst)
			if len(pend) > 0 || quotes {
				edits = append(edits, edit{vs, ve, len(Mask)})
			}
		}
		readEnd = max(readEnd, hi)
	}
	for _, p := range pend { // a pending span a mask reached: the one pass decides
		if masksReach(edits, p.start, max(p.end, p.start+1)) {
			return decline()
		}
	}
	hold := quotes && quotedKeysHold(s, ends, edits, pend)
	sc.edits = edits
	if dst == nil {
		return s, false, true, hold // no candidate matched
	}
	shiftPending(pend, edits)
	dst = append(dst, s[copied:]...)
	return bufs.result(s, dst, true), true, true, hold
}

// quotedKeysHold reports that D3's second pass, on s with the disjoint rules' edits and the
// pending masks applied, finds only the quoted keys the first pass found in s (whose values
// those pending masks already hold, so the pass leaves the text as it is): s has no backslash
// (a key closes at a quote right before a key end and opens at the last quote of its kind
// before it, at most maxQuotedKeyLen back), no mask reaches a key, its opener or, where no
// opener was found, the bytes a search for one reads, and no pending mask that ends with a
// quote is followed by a separator (a new key end after a quote). The edits are sorted; pend
// (in s) is not. false when unsure.
func quotedKeysHold(s string, ends []keyEnd, edits []edit, pend []pendingMask) bool {
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
	for i := range ends {
		e := &ends[i]
		if e.q == 0 || e.last != '"' && e.last != '\'' {
			continue
		}
		c := e.q - 1
		lo := max(0, c-maxQuotedKeyLen)
		if open := strings.LastIndexByte(s[lo:c], s[c]); open >= 0 {
			lo += open
		}
		// [lo, c]: the key and its opener, or the bytes searched; a mask reaching them may
		// change the key (or a closer inside a mask is gone: nothing to find there either,
		// but that is not told apart here).
		if masksReach(edits, lo, c+1) {
			return false
		}
		for _, p := range pend {
			if p.start <= c && max(p.end, p.start+1) > lo {
				return false
			}
		}
	}
	return true
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
