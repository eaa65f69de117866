package mcpparityprocessor

import (
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// putSpare is putStr that writes the exported string into a spare raw value of the span
// (spanFacts.spares: a request-context fact already read, that no later rule reads) instead of
// allocating a new one; without a spare it is c.put (a donor, else a new value). The raw map
// the spare leaves empty is replaced by the exported one at the end of the transform.
func (p *parityProcessor) putSpare(out pcommon.Map, k exportKey, s string, f *spanFacts, c *counts) {
	clean := p.exportString(k, s, c)
	p.setSpare(out.PutEmpty(k.name), clean, f, c)
}

// setSpare sets the empty value dest (just put in the exported map) to the string clean, in a
// spare raw value, else a donor, else a new value.
func (p *parityProcessor) setSpare(dest pcommon.Value, clean string, f *spanFacts, c *counts) {
	if f.nSpares > 0 {
		f.nSpares--
		f.spares[f.nSpares].MoveTo(dest)
		dest.SetStr(clean)
		return
	}
	c.setStr(dest, clean)
}

// transformScratch is what the transforms of one batch reuse: the map each builds its exported
// attributes in (emptied when it moves into the span), and the donors.
//
// Donors: the string values a transformed span's raw map still holds at its end (payloads,
// facts that were copied rather than moved) would be garbage once the exported map replaces
// the raw one. They are kept, up to maxDonors, and the next spans (of the batch, or of a later
// batch that gets the scratch from the pool) write exported strings into them instead of
// allocating a new value per attribute. A donor is always overwritten at once (put, setStr):
// its raw text never reaches an exported value, and a batch's end empties every donor.
type transformScratch struct {
	out     pcommon.Map
	donors  pcommon.Slice // donors[:nDonors] hold a string value each; the rest are empty
	nDonors int
	// last holds, per exportKey slot of the processor owner, the last value exported under the
	// key and its answer (exportString). A slot the batch set is emptied at its end, unless its
	// value needed no redaction (keep): then the slot keeps a copy of it for the next batches
	// (the spans of one caller repeat their identity, tools and environment from batch to batch).
	last  []lastExport
	owner uint64 // the id of the processor whose slots last holds (0: none)
	// touched are the slots of last the batch set, emptied or copied at its end.
	touched []int32
	// lastException is the batch's last exception message and its answer (exceptionMessage),
	// emptied at the batch's end.
	lastException exceptionAnswer
	// resource holds a resource's first string attributes that the rules left unchanged
	// (scrubResource), kept as copies from batch to batch.
	resource [maxKeptResource]keptAttribute
	// outLen is, per op plan of the owner, the most attributes a span of the op exported
	// through this scratch: the room its next exported map is made with (outputCapacity
	// before the first).
	outLen []int32
	// retired[r] holds, when bit r of held is set, the attribute array of a transformed span's
	// raw map of r attributes, emptied (retire): a later span's exported map is built in it
	// (reuse) instead of a new array. One array per length, at most maxRetired. Through pcommon's
	// public Map API only: RemoveIf empties a map and zeroes its entries but keeps its array,
	// MoveTo hands the array to another map.
	retired [maxRetiredRoom + 1]pcommon.Map
	held    uint64
	// bundles are the request bundles expanded for the spans being transformed, layers (by
	// span index) the context layer of each span of a mapped op of one (expandBundles).
	bundles []*bundle
	layers  []*bundleLayer
}

type lastExport struct {
	s, clean string
	set      bool
	same     bool // clean is s: the value was exported unchanged
	// keep: s and clean hold only text the span exported as it is (clean is s, or a tag's
	// prefix and s): the slot may outlive the batch.
	keep bool
	// batch: s and clean are strings of the current batch (the slot is in touched).
	batch bool
}

type exceptionAnswer struct {
	message, typeName, clean string
	set                      bool
}

// maxKeptResource bounds the resource attributes a scratch remembers.
const maxKeptResource = 16

// keptAttribute is an attribute a resource exported unchanged; batch: its strings are the
// batch's (copied at its end).
type keptAttribute struct {
	key, value string
	set, batch bool
}

// processorIDs numbers the processors, so a pooled scratch knows whose slots it holds.
var processorIDs atomic.Uint64

const maxDonors = 32

// maxRetired bounds the arrays a scratch keeps, maxRetiredRoom the length of a kept array (a
// malformed span's thousand attributes are not kept; held has a bit per length).
const (
	maxRetired     = 8
	maxRetiredRoom = 63
)

// scratches keeps the scratch of finished batches, emptied, so a batch does not allocate one.
var scratches = sync.Pool{New: func() any {
	s := &transformScratch{out: pcommon.NewMap(), donors: pcommon.NewSlice()}
	s.donors.EnsureCapacity(maxDonors)
	return s
}}

// transformScratch returns the batch's scratch, with room for the slots of p's keys. Slots
// another processor left (its keys and policies may differ) are emptied first.
func (c *counts) transformScratch(p *parityProcessor) *transformScratch {
	if c.scratch == nil {
		c.scratch = scratches.Get().(*transformScratch)
	}
	s := c.scratch
	if s.owner != p.id {
		clear(s.last)
		clear(s.outLen)
		s.resource = [maxKeptResource]keptAttribute{}
		s.owner = p.id
	}
	if len(s.last) < int(p.nSlots) {
		s.last = make([]lastExport, p.nSlots)
	}
	if len(s.outLen) < len(p.plans) {
		s.outLen = make([]int32, len(p.plans))
	}
	return s
}

// release returns what the batch borrowed: its memo and its scratch. The donors stay for the
// next batch, emptied: they must not keep the batch's raw strings alive.
func (c *counts) release() {
	c.releaseMemo()
	if s := c.scratch; s != nil {
		s.out.Clear()
		for _, i := range s.touched { // no string of the batch stays reachable
			l := &s.last[i]
			if !l.keep {
				*l = lastExport{}
				continue
			}
			// A value exported unchanged stays, copied: a string of the batch may share the
			// memory of its whole request.
			l.s = strings.Clone(l.s)
			if l.same {
				l.clean = l.s
			} else {
				l.clean = strings.Clone(l.clean)
			}
			l.batch = false
		}
		s.touched = s.touched[:0]
		s.lastException = exceptionAnswer{}
		for i := range s.resource {
			if e := &s.resource[i]; e.batch {
				e.key, e.value, e.batch = strings.Clone(e.key), strings.Clone(e.value), false
			}
		}
		for i := 0; i < s.nDonors; i++ {
			s.donors.At(i).SetStr("")
		}
		scratches.Put(s)
		c.scratch = nil
	}
}

// donate keeps the string values left in raw (a transformed span's raw map, about to be
// replaced) as donors.
func (s *transformScratch) donate(raw pcommon.Map) {
	if s.nDonors == maxDonors {
		return
	}
	raw.Range(func(_ string, v pcommon.Value) bool {
		if v.Type() != pcommon.ValueTypeStr {
			return true
		}
		s.keep(v)
		return s.nDonors < maxDonors
	})
}

// retire donates the string values left in raw (a transformed span's raw map, about to be
// replaced by its exported map) and empties raw, every entry zeroed: its array then holds no
// string of the span and is kept for a later span's exported map (reuse), unless the scratch
// keeps an array of its length, or maxRetired longer ones.
func (s *transformScratch) retire(raw pcommon.Map) {
	n := raw.Len()
	if n == 0 || n > maxRetiredRoom || s.held&(1<<n) != 0 {
		s.donate(raw)
		return
	}
	if bits.OnesCount64(s.held) == maxRetired {
		least := bits.TrailingZeros64(s.held)
		if least > n {
			s.donate(raw)
			return
		}
		s.held &^= 1 << least // its array is replaced by a longer one
		s.retired[least].Clear()
	}
	s.donate(raw)
	raw.RemoveIf(removeAll)
	if s.retired[n] == (pcommon.Map{}) {
		s.retired[n] = pcommon.NewMap()
	}
	raw.MoveTo(s.retired[n])
	s.held |= 1 << n
}

// removeAll is RemoveIf's test that empties a map.
func removeAll(string, pcommon.Value) bool { return true }

// reuse gives out (empty, without an array) room for n attributes: the kept array of the least
// length that holds n, else a new one.
func (s *transformScratch) reuse(out pcommon.Map, n int) {
	if n <= maxRetiredRoom {
		if fit := s.held >> n << n; fit != 0 {
			r := bits.TrailingZeros64(fit)
			s.retired[r].MoveTo(out)
			s.held &^= 1 << r
		}
	}
	out.EnsureCapacity(n)
}

// donateItems keeps the string items of sl (a raw array about to be emptied) as donors.
func (s *transformScratch) donateItems(sl pcommon.Slice) {
	for i := 0; i < sl.Len() && s.nDonors < maxDonors; i++ {
		if v := sl.At(i); v.Type() == pcommon.ValueTypeStr {
			s.keep(v)
		}
	}
}

// keep moves v into the donors (there is room).
func (s *transformScratch) keep(v pcommon.Value) {
	if s.nDonors == s.donors.Len() {
		v.MoveTo(s.donors.AppendEmpty())
	} else {
		v.MoveTo(s.donors.At(s.nDonors))
	}
	s.nDonors++
}

// put is out.PutStr(key, s), written into a donor when the batch has one.
func (c *counts) put(out pcommon.Map, key, s string) {
	d := c.scratch
	if d == nil || d.nDonors == 0 {
		out.PutStr(key, s)
		return
	}
	d.nDonors--
	dest := out.PutEmpty(key)
	d.donors.At(d.nDonors).MoveTo(dest)
	dest.SetStr(s)
}

// setStr is v.SetStr(s), written into a donor when the batch has one.
func (c *counts) setStr(v pcommon.Value, s string) {
	if d := c.scratch; d != nil && d.nDonors > 0 {
		d.nDonors--
		d.donors.At(d.nDonors).MoveTo(v)
	}
	v.SetStr(s)
}
