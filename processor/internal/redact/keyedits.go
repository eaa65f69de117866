package redact

import (
	"math"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Step 3 in one pass (redactKeyValuesOnce). Python runs the 2 × fields rules one after the
// other, each rewriting the text the rule before wrote. A rule only ever replaces a value
// with a mask, and reads a few bytes around each of its candidates: the key (backwards from
// the key end), the separator, the value and the byte after it. When no rule reads a byte
// that an earlier rule replaced, every rule answers in the caller's text exactly as in the
// rewritten one, so the matches are found in the caller's text, its key ends and probes stay
// true, and the edits are applied once at the end. What each rule reads is checked against
// the bytes the rules before it replaced: a key end whose probes read one (access_token tried
// at token= reads the value before it) is probed again in the text those rules left
// (reprobe), and the pass goes on if the answer is the same; a text where a rule would read
// one otherwise (a value with a key=value inside, a key that matches across a mask) is left
// to redactKeyValues, which rewrites the text rule by rule.

// byteSet is a set of byte offsets of a text, one bit each.
type byteSet []uint64

// add adds the offsets [lo, hi).
func (b byteSet) add(lo, hi int) {
	for lo < hi {
		w, m, next := wordOf(lo, hi)
		b[w] |= m
		lo = next
	}
}

// wordOf returns the word of the set that holds lo, the bits of [lo, hi) in it, and the first
// offset of the next word.
func wordOf(lo, hi int) (w int, m uint64, next int) {
	w = lo >> 6
	m = ^uint64(0) << (lo & 63)
	next = (w + 1) << 6
	if hi < next {
		m &= 1<<(hi&63) - 1
	}
	return w, m, next
}

// any reports whether one of the offsets [lo, hi) is in the set.
func (b byteSet) any(lo, hi int) bool {
	for lo < hi {
		w, m, next := wordOf(lo, hi)
		if b[w]&m != 0 {
			return true
		}
		lo = next
	}
	return false
}

// keyCand is a candidate of one rule: the key span and the index of its key end.
type keyCand struct {
	keySpan
	ei int
}

// The state of a key end in redactKeyValuesOnce: untouched, its value masked by an earlier
// rule (endMasked), or gone (> 0: an earlier rule masked its separator, in a value starting
// at state-1).
const endMasked = -1

// redactKeyValuesOnce is redactKeyValues (with probed ends, at most 64 fields) finding every
// rule's matches in s and applying them at once; ok is false, and nothing was changed (s,
// pend, ends, bufs), when a rule's answer could depend on what an earlier rule masked (or
// the re-probes ran out of budget, which keeps the pass linear): the caller runs
// redactKeyValues then.
func (r *Redactor) redactKeyValuesOnce(s string, pend []pendingMask, ends []keyEnd, bufs *textBuffers, sc *onceScratch) (_ string, changed, ok bool) {
	byKey := endsByKeyOf(ends, sc.byKey[:0], len(r.keys))
	sc.byKey = byKey.idx
	dirty := byteSet(cleared(sc.dirty, len(s)>>6+1)) // the bytes the rules so far masked
	state := cleared(sc.state, len(ends))
	editOf := cleared(sc.editOf, len(ends)) // 1 + the index in edits of the edit of each end's value (0: none)
	// lo[i]: the lowest byte key end i's probes read (in s; none: MaxInt), kept only once an
	// end was probed again (else from ends, loOf); maxBack: how far before its separator any
	// end's probes read, so the ends a mask reaches are found from the first after it. Both
	// are set when a rule masks a value.
	var lo []int
	loOf := func(i int) int {
		if lo != nil {
			return lo[i]
		}
		if e := &ends[i]; e.q > 0 {
			return min(e.low, max(e.q-2, 0))
		}
		return math.MaxInt
	}
	maxBack := -1
	sc.dirty, sc.state, sc.editOf = dirty, state, editOf
	budget := 4*len(ends) + 256 // the work reprobe may do, in key ends
	local := sc.local[:0]       // the text a rule left, up to a key end to probe again (reprobe)
	cands := sc.cands[:0]
	edits := sc.edits[:0]
	editEnds := sc.editEnds[:0] // the key end of each edit
	defer func() { sc.local, sc.cands, sc.edits, sc.editEnds = local, cands, edits, editEnds }()
	for ki := range r.keys {
		idx := byKey.of(ki)
		if len(idx) == 0 {
			continue
		}
		k := &r.keys[ki]
		bit := uint64(1) << ki
		for _, quoted := range [2]bool{true, false} {
			cands = cands[:0]
			for _, ei := range idx {
				e := &ends[ei]
				if e.quotedValue != quoted || state[ei] > 0 {
					continue
				}
				st := e.start
				if e.hits != bit { // e.start is another key's
					var matched bool
					if st, matched = k.matchBackward(s, e.q); !matched {
						continue
					}
				}
				cands = append(cands, keyCand{keySpan{st, e.q}, int(ei)})
			}
			if len(cands) == 0 {
				continue
			}
			// Python tries the matches from the left; a key with a separator inside it
			// (set=cookie) starts before the end before it.
			if !slices.IsSortedFunc(cands, func(a, b keyCand) int { return a.start - b.start }) {
				slices.SortFunc(cands, func(a, b keyCand) int { return a.start - b.start })
			}
			first := len(edits)
			last := 0 // end of the rule's previous match (Python resumes its scan there)
			for _, c := range cands {
				if c.start < last {
					continue
				}
				vs, ve, matched, hi := matchKeyRuleRead(s, c.keySpan, quoted)
				if state[c.ei] == endMasked {
					// An earlier rule masked this end's value (another field's key matches
					// here too): the bare rule's (?!\*\*\*) refuses the mask, the quoted
					// rule masks '***' as it is. Only the value was masked.
					v := skipSpaces(s, ends[c.ei].sep+1)
					if !matched || dirty.any(c.end, v) {
						return s, false, false
					}
					if quoted {
						last = ve + 1
					}
					continue
				}
				if dirty.any(c.end, hi) {
					return s, false, false // it reads what an earlier rule masked
				}
				if !matched {
					continue
				}
				edits = append(edits, edit{vs, ve, len(Mask)})
				editEnds = append(editEnds, int32(c.ei))
				last = ve
				if quoted {
					last = ve + 1 // the closing quote belongs to the match
				}
			}
			if first == len(edits) {
				continue
			}
			if maxBack < 0 {
				maxBack = 0
				for i := range ends {
					if e := &ends[i]; e.q > 0 {
						maxBack = max(maxBack, e.sep-min(e.low, max(e.q-2, 0)))
					}
				}
			}
			// The rule's masks: the rules after it must not read them, and the key ends
			// whose separator they covered are gone.
			for j := first; j < len(edits); j++ {
				ed := edits[j]
				dirty.add(ed.start, max(ed.end, ed.start+1)) // an empty value: the mask goes before ed.end
				ei := int(editEnds[j])
				state[ei] = endMasked
				editOf[ei] = int32(j) + 1
				for g := ei + 1; g < len(ends) && ends[g].sep < ed.end; g++ {
					if ends[g].sep >= ed.start {
						state[g] = int32(ed.start) + 1
					}
				}
			}
			// A key end after a mask whose probes read the masked bytes: probed again in
			// the text the rule left; the rules after it go on only if the answer holds.
			// One walk over the ends after the rule's masks (in text order), each end
			// checked against the last mask before it, skipping ahead from where no end
			// reads back to that mask (maxBack).
			for j, g := first, afterEdit(ends, edits[first], editEnds[first]); g < len(ends); {
				for j+1 < len(edits) && edits[j+1].end <= ends[g].sep {
					j++
				}
				reach := max(edits[j].end, edits[j].start+1)
				if ends[g].sep >= reach+maxBack {
					if j++; j == len(edits) {
						break
					}
					g = max(g, afterEdit(ends, edits[j], editEnds[j]))
					continue
				}
				if state[g] <= 0 && loOf(g) < reach {
					if lo == nil {
						l := slices.Grow(sc.lo[:0], len(ends))[:len(ends)]
						for i := range l {
							l[i] = loOf(i)
						}
						lo, sc.lo = l, l
					}
					var held bool
					local, held, budget = r.reprobe(s, ends, g, edits, editOf, state, max(0, edits[j].start-64), local, lo, budget)
					if !held || budget <= 0 {
						return s, false, false
					}
					maxBack = max(maxBack, ends[g].sep-lo[g])
				}
				g++
			}
		}
	}
	if len(edits) == 0 {
		return s, false, true
	}
	for _, p := range pend { // a pending span the masks reached: shiftPending rule by rule
		if dirty.any(p.start, max(p.end, p.start+1)) {
			return s, false, false
		}
	}
	// The edits in text order: the ends' values are (an end inside a value is gone, and
	// only an end inside no earlier mask was masked).
	sorted := sc.sorted[:0]
	for _, x := range editOf {
		if x > 0 {
			sorted = append(sorted, edits[x-1])
		}
	}
	dst := slices.Grow(bufs.writable(), len(s)+len(sorted)*len(Mask))
	copied := 0
	for _, ed := range sorted {
		dst = append(dst, s[copied:ed.start]...)
		dst = append(dst, Mask...)
		copied = ed.end
	}
	dst = append(dst, s[copied:]...)
	shiftPending(pend, sorted)
	sc.sorted = sorted
	return bufs.result(s, dst, true), true, true
}

// matchKeyRuleRead is matchKeyRuleAt for a key with \b before it (a probe's hit) that also
// returns hi, the end of the bytes it read after the key (the rune after the key, the
// separator and the spaces around it, the value and the rune after it, the REDACTED and ***
// look-aheads).
func matchKeyRuleRead(s string, key keySpan, quoted bool) (vs, ve int, ok bool, hi int) {
	hi = runeEndAt(s, key.end)
	b, ok := asciiWordBoundary(s, key.end) // wordBoundary, inlined
	if !ok {
		b = wordBoundaryRunes(s, key.end)
	}
	if !b {
		return 0, 0, false, hi
	}
	i := skipSpaces(s, key.end)
	if i >= len(s) || (s[i] != '=' && s[i] != ':') {
		return 0, 0, false, max(hi, runeEndAt(s, i))
	}
	i = skipSpaces(s, i+1)
	hi = max(hi, runeEndAt(s, i))
	if quoted {
		if i >= len(s) || (s[i] != '\'' && s[i] != '"') {
			return 0, 0, false, hi
		}
		vs := i + 1
		j := strings.IndexAny(s[vs:], `'"`)
		if j < 0 {
			return 0, 0, false, len(s)
		}
		return vs, vs + j, true, vs + j + 1
	}
	if i < len(s) && (s[i] == '\'' || s[i] == '"') {
		return 0, 0, false, hi
	}
	if i < len(s) && s[i]|0x20 == 'r' { // (?!REDACTED\b) reads past the first byte only then
		red, redHi := redactedWordRead(s, i)
		hi = max(hi, redHi)
		if red {
			return 0, 0, false, hi
		}
	}
	if i < len(s) && s[i] == Mask[0] { // (?!\*\*\*) likewise
		if strings.HasPrefix(s[i:], Mask) {
			return 0, 0, false, max(hi, i+len(Mask))
		}
		hi = max(hi, min(len(s), i+len(Mask)))
	}
	j := bareValueEnd(s, i)
	hi = max(hi, runeEndAt(s, j))
	if j == i {
		return 0, 0, false, hi
	}
	return i, j, true, hi
}

// redactedWordRead is hasRedactedWord that also returns the end of the bytes it read.
func redactedWordRead(s string, i int) (bool, int) {
	const w = "redacted"
	if len(s)-i < len(w) {
		return false, i
	}
	for k := 0; k < len(w); k++ {
		if s[i+k]|0x20 != w[k] {
			return false, i + k + 1
		}
	}
	return wordBoundary(s, i+len(w)), runeEndAt(s, i+len(w))
}

// reprobe probes key end g again in the text the rules so far left, from byte from of s on
// (s with the edits applied: editOf[k] is 1 + the index of the edit of key end k's value, 0
// for none): held reports that the answer is the one found in s (the same keys, each
// matched, with the rune before it, in bytes no mask reached, so every rule reads them in s
// as in that text; not when they read the window's first byte); lo[g] becomes the lowest byte
// of s the new probes depend on. Each key end it walks back over costs one of budget.
func (r *Redactor) reprobe(s string, ends []keyEnd, g int, edits []edit, editOf, state []int32, from int, local []byte, lo []int, budget int) (_ []byte, held bool, _ int) {
	e := &ends[g]
	// The edits before the separator, from the last back (the values of the ends before g
	// are in text order, each before the next end's separator unless that end is gone).
	var ixBuf [16]int32
	ix := ixBuf[:0]
	for k := g - 1; k >= 0; k-- {
		if budget--; budget <= 0 {
			return local, false, budget
		}
		if x := editOf[k]; x > 0 && edits[x-1].end > from {
			ix = append(ix, x-1)
			from = min(from, edits[x-1].start)
		}
		if ends[k].sep < from && state[k] <= 0 {
			break
		}
	}
	local = append(local[:0], s[from:from]...)
	copied, p := from, from // p: the end (in s) of the last mask before the key end
	for j := len(ix) - 1; j >= 0; j-- {
		ed := edits[ix[j]]
		local = append(local, s[copied:ed.start]...)
		local = append(local, Mask...)
		copied, p = ed.end, ed.end
	}
	local = append(local, s[copied:e.sep]...)
	delta := len(local) - (e.sep - from) // s offset - from + delta = local offset, from p on
	t := unsafe.String(unsafe.SliceData(local), len(local))
	q := e.q - from + delta
	probe := r.probeEnd(t, q)
	hits, start, low := probe.hits, probe.start, probe.low
	if low == 0 && from > 0 {
		return local, false, budget
	}
	pl := p - from + delta
	if hits != e.hits {
		return local, false, budget
	}
	for m := hits; m != 0; m &= m - 1 { // each key matched after the last mask, \b included
		st, _ := r.keys[bits.TrailingZeros64(m)].matchBackward(t, q)
		if runeStartBefore(t, st) < pl {
			return local, false, budget
		}
	}
	if hits != 0 && start-delta+from != e.start {
		return local, false, budget
	}
	// low in s: a byte after the last mask is itself, one in a mask or before is bounded
	// by that mask's start.
	if low >= pl {
		lo[g] = low - delta + from
		return local, true, budget
	}
	d := 0
	for j := len(ix) - 1; j >= 0; j-- {
		ed := edits[ix[j]]
		if at := ed.start - from + d; low < at+len(Mask) {
			lo[g] = min(ed.start, low-d+from)
			break
		}
		d += len(Mask) - (ed.end - ed.start)
	}
	return local, true, budget
}

// afterEdit is the index of the first key end after the edit of key end ei's value (the ends
// inside it are gone).
func afterEdit(ends []keyEnd, ed edit, ei int32) int {
	g := int(ei) + 1
	for g < len(ends) && ends[g].sep < ed.end {
		g++
	}
	return g
}

// onceScratch is redactKeyValuesOnce's room, pooled with the key ends (keyEndsScratch): a
// text's slices keep their room for the next one, and only what a text uses is cleared.
type onceScratch struct {
	byKey, state, editOf, editEnds []int32
	dirty                          []uint64
	lo                             []int
	cands                          []keyCand
	edits, sorted                  []edit
	local                          []byte
	quotes                         []int // D3's candidates the disjoint path found (redactKeyValuesDisjoint)
}

// maxPooledOnce bounds each slice of a pooled onceScratch (in elements): a long text's room is
// not held between texts.
const maxPooledOnce = 1024

// trim drops the slices that grew past maxPooledOnce.
func (o *onceScratch) trim() {
	if cap(o.byKey) > maxPooledOnce || cap(o.state) > maxPooledOnce || cap(o.editOf) > maxPooledOnce ||
		cap(o.editEnds) > maxPooledOnce || cap(o.dirty) > maxPooledOnce || cap(o.lo) > maxPooledOnce ||
		cap(o.cands) > maxPooledOnce || cap(o.edits) > maxPooledOnce || cap(o.quotes) > maxPooledOnce ||
		cap(o.sorted) > maxPooledOnce || cap(o.local) > 16*maxPooledOnce {
		*o = onceScratch{}
	}
}

// cleared returns x with length n, all zero, in x's room when it has enough.
func cleared[T int32 | uint64](x []T, n int) []T {
	x = slices.Grow(x[:0], n)[:n]
	clear(x)
	return x
}

// runeEndAt is the end of the rune at byte i (i itself at the end of s).
func runeEndAt(s string, i int) int {
	if i < len(s) && s[i] < utf8.RuneSelf {
		return i + 1
	}
	return runeEndAtSlow(s, i)
}

// runeEndAtSlow is runeEndAt past the end or at a non-ASCII byte; not inlined, so runeEndAt
// is.
//
//go:noinline
func runeEndAtSlow(s string, i int) int {
	if i >= len(s) {
		return len(s)
	}
	_, n := decodeAt(s, i)
	return i + n
}
