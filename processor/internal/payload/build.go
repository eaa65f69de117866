package payload

import "sync"

// treeBuilder is the handler behind Parse: it turns parse events into Values. Members and
// items wait on two shared stacks until their container closes, then move into slices cut
// from a few large slabs, so a document costs a handful of allocations plus one per string
// or number (the interface box), instead of three per object.
type treeBuilder struct {
	root    Value
	frames  []buildFrame
	keys    []string // pending member keys of the open objects
	vals    []Value  // pending members and items of the open containers
	objs    []Object // slab of objects
	keySlab []string // slab of object key slices
	valSlab []Value  // slab of object value slices and arrays
	// Room for typical documents, so the stacks above do not grow on the heap.
	framesBuf [8]buildFrame
	keysBuf   [16]string
	valsBuf   [16]Value
}

func newTreeBuilder() *treeBuilder {
	b := treeBuilders.Get().(*treeBuilder)
	b.frames, b.keys, b.vals = b.framesBuf[:0], b.keysBuf[:0], b.valsBuf[:0]
	return b
}

// treeBuilders keeps builders (their inline stacks) between parses.
var treeBuilders = sync.Pool{New: func() any { return new(treeBuilder) }}

// release returns b to the pool. The slabs belong to the tree it built, so b forgets them
// (the next tree never shares a slab with this one) and drops every reference it held.
func (b *treeBuilder) release() {
	*b = treeBuilder{}
	treeBuilders.Put(b)
}

type buildFrame struct{ keyStart, valStart int }

// slabMax bounds how much one slab holds; bigger containers get their own slices. Slabs
// start small and double, so a small document does not pay for a big slab.
const (
	slabMin = 16
	slabMax = 256
)

// nextSlab is the size of the slab after one of size prev.
func nextSlab(prev int) int { return min(max(2*prev, slabMin), slabMax) }

func (b *treeBuilder) add(v Value) {
	if len(b.frames) == 0 {
		b.root = v
		return
	}
	b.vals = append(b.vals, v)
}

func (b *treeBuilder) null()                { b.add(nil) }
func (b *treeBuilder) boolean(v bool)       { b.add(v) }
func (b *treeBuilder) number(n Number)      { b.add(n) }
func (b *treeBuilder) str(s string, _ bool) { b.add(s) }
func (b *treeBuilder) other(v Value)        { b.add(v) }

func (b *treeBuilder) beginObject() error {
	b.frames = append(b.frames, buildFrame{keyStart: len(b.keys), valStart: len(b.vals)})
	return nil
}

func (b *treeBuilder) key(k string, _ bool) error {
	b.keys = append(b.keys, k)
	return nil
}

func (b *treeBuilder) endObject() {
	f := b.frames[len(b.frames)-1]
	b.frames = b.frames[:len(b.frames)-1]
	keys, vals := b.keys[f.keyStart:], b.vals[f.valStart:]
	o := b.newObject(len(keys))
	for i, k := range keys {
		o.Set(k, vals[i]) // duplicate keys: first position, last value (a Python dict)
	}
	clear(vals) // drop references held by the shared stack
	b.keys, b.vals = b.keys[:f.keyStart], b.vals[:f.valStart]
	b.add(o)
}

func (b *treeBuilder) beginArray() error {
	b.frames = append(b.frames, buildFrame{keyStart: len(b.keys), valStart: len(b.vals)})
	return nil
}

func (b *treeBuilder) endArray() {
	f := b.frames[len(b.frames)-1]
	b.frames = b.frames[:len(b.frames)-1]
	items := b.vals[f.valStart:]
	arr := b.takeVals(len(items))[:len(items)]
	copy(arr, items)
	clear(items)
	b.vals = b.vals[:f.valStart]
	b.add(arr)
}

// newObject returns an empty object with room for n members, cut from the slabs. Its slices
// have capacity exactly n, so a later Set that grows it reallocates instead of writing into
// a neighbour's room.
func (b *treeBuilder) newObject(n int) *Object {
	if len(b.objs) == cap(b.objs) {
		b.objs = make([]Object, 0, min(max(2*cap(b.objs), 2), slabMax/4))
	}
	b.objs = append(b.objs, Object{keys: b.takeKeys(n), values: b.takeVals(n)})
	return &b.objs[len(b.objs)-1]
}

// takeKeys returns an empty slice with capacity n.
func (b *treeBuilder) takeKeys(n int) []string {
	if n > slabMax/4 {
		return make([]string, 0, n)
	}
	if cap(b.keySlab)-len(b.keySlab) < n {
		b.keySlab = make([]string, 0, max(nextSlab(cap(b.keySlab)), n))
	}
	s := b.keySlab[len(b.keySlab) : len(b.keySlab) : len(b.keySlab)+n]
	b.keySlab = b.keySlab[:len(b.keySlab)+n]
	return s
}

// takeVals returns an empty, non-nil slice with capacity n.
func (b *treeBuilder) takeVals(n int) []Value {
	if n == 0 {
		return []Value{}
	}
	if n > slabMax/4 {
		return make([]Value, 0, n)
	}
	if cap(b.valSlab)-len(b.valSlab) < n {
		b.valSlab = make([]Value, 0, max(nextSlab(cap(b.valSlab)), n))
	}
	s := b.valSlab[len(b.valSlab) : len(b.valSlab) : len(b.valSlab)+n]
	b.valSlab = b.valSlab[:len(b.valSlab)+n]
	return s
}

// walk reports the tree v to h in document order, as the parser would report its text.
func walk(v Value, h handler) error {
	switch x := v.(type) {
	case nil:
		h.null()
	case bool:
		h.boolean(x)
	case Number:
		h.number(x)
	case string:
		h.str(x, false)
	case *Object:
		if x == nil {
			h.null()
			return nil
		}
		if err := h.beginObject(); err != nil {
			return err
		}
		for i := range x.keys {
			if err := h.key(x.keys[i], false); err != nil {
				return err
			}
			if err := walk(x.values[i], h); err != nil {
				return err
			}
		}
		h.endObject()
	case []Value:
		if err := h.beginArray(); err != nil {
			return err
		}
		for _, item := range x {
			if err := walk(item, h); err != nil {
				return err
			}
		}
		h.endArray()
	default:
		h.other(v)
	}
	return nil
}
