package redact

import (
	"slices"
)

// A pendingMask is a span of the text that is masked only after the key=value rules ran, so
// those rules still see its text: the authority of a URL Python cannot parse (a key in it
// still masks the value after it) and, in product mode, the values D3 finds under quoted keys
// before the gateway's rules can swallow those keys. The rules only ever replace spans with
// masks, so the pending spans are carried through their edits and masked at the end: the
// result masks everything the gateway's rules mask plus every pending span.
type pendingMask struct {
	start, end int
	mask       string
}

// An edit records that the bytes [start, end) of a text became n bytes.
type edit struct{ start, end, n int }

// shiftPending maps pending spans through one step's edits (sorted, disjoint, in the
// coordinates of the text before the step). A span that overlaps a replaced span grows to
// cover the replacement, which is a mask itself; a span a rule masked all of keeps that
// mask (it becomes empty at the mask's start).
func shiftPending(pend []pendingMask, edits []edit) {
	if len(edits) == 0 {
		return
	}
	for i := range pend {
		pend[i].start, pend[i].end = shiftSpan(edits, pend[i].start, pend[i].end)
	}
}

// shiftSpan maps the span [start, end) (start <= end) through edits in one walk: a position
// before an edit moves by the edits before it, a start inside one goes to the edit's start,
// an end inside one to the end of its replacement; a span inside one edit becomes empty.
func shiftSpan(edits []edit, start, end int) (int, int) {
	delta := 0
	k := 0
	// The edits wholly before start move both positions alike. An empty span at the end of
	// one of them is inside it.
	for ; k < len(edits); k++ {
		e := edits[k]
		if start <= e.start || start < e.end {
			break
		}
		delta += e.n - (e.end - e.start)
		if start == end && start == e.end {
			return start + delta, start + delta
		}
	}
	if k == len(edits) {
		return start + delta, end + delta
	}
	newStart := min(start, edits[k].start) + delta
	// end >= start: from edit k on, the first edit that does not end before end places it.
	for ; k < len(edits); k++ {
		e := edits[k]
		if e.start <= start && end <= e.end {
			return newStart, newStart // a rule masked all of it
		}
		switch {
		case end <= e.start:
			return newStart, end + delta
		case end < e.end:
			return newStart, e.start + delta + e.n
		}
		delta += e.n - (e.end - e.start)
	}
	return newStart, end + delta
}

// applyPending replaces every pending span of s with its mask (overlapping spans merge and
// take the first one's mask).
func applyPending(s string, pend []pendingMask) string {
	out, changed := applyPendingInto(nil, s, pend)
	if !changed {
		return s
	}
	return string(out)
}

// applyPendingInto is applyPending writing the result into dst (emptied): changed is false,
// and dst holds nothing, when the result is s.
func applyPendingInto(dst []byte, s string, pend []pendingMask) (_ []byte, changed bool) {
	dst = dst[:0]
	if len(pend) == 0 {
		return dst, false
	}
	slices.SortStableFunc(pend, func(a, b pendingMask) int { return a.start - b.start })
	if masksInPlace(s, pend) {
		return dst, false // D3's second pass finds the values it masked before
	}
	dst = slices.Grow(dst, len(s))
	copied := 0
	forEachMerged(s, pend, func(st, end int, mask string) bool {
		dst = append(dst, s[copied:st]...)
		dst = append(dst, mask...)
		copied = end
		return true
	})
	return append(dst, s[copied:]...), true
}

// masksInPlace reports whether applyPending would give s back: every span it replaces
// already holds its mask. pend is sorted by start.
func masksInPlace(s string, pend []pendingMask) bool {
	return forEachMerged(s, pend, func(st, end int, mask string) bool { return s[st:end] == mask })
}

// forEachMerged calls f with each span applyPending replaces, in order: pend (sorted by start)
// with overlapping spans merged under the first one's mask, clipped to s and to what the spans
// before it left. It stops, and returns false, when f does.
func forEachMerged(s string, pend []pendingMask, f func(st, end int, mask string) bool) bool {
	done := 0 // the end of the last span handed to f
	for i := 0; i < len(pend); {
		st, end, mask := pend[i].start, pend[i].end, pend[i].mask
		for i++; i < len(pend) && pend[i].start < end; i++ {
			end = max(end, pend[i].end)
		}
		st, end = max(st, done), min(end, len(s))
		if st >= end {
			continue
		}
		if !f(st, end, mask) {
			return false
		}
		done = end
	}
	return true
}
