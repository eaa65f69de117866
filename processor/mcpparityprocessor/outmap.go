package mcpparityprocessor

import (
	"reflect"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// A span's exported map is built key by key, and pcommon's Put* scan the whole map for the key
// first (an existing key is overwritten in place): building a map of n keys costs n²/2 key
// comparisons, the largest part of an exported value's cost. The transform knows most of its keys
// are new: outKeys remembers, per span, a bit per hash of each key it put (a bit clear: the key is
// surely absent), and a new key is appended without the scan. A key whose bit is set (one put
// before, or another key of the same hash) goes through PutEmpty as before, so the map is
// exactly what the Put* would build.
//
// pcommon has no append without the scan: appendEmpty appends to the map's entries through the
// layout of pdata's internal KeyValue. The layout is checked when the package loads
// (appendLayoutOK: field names, kinds and offsets by reflection, then a map built both ways);
// if pdata ever lays its map out otherwise, every put scans as pcommon's do.

// outKeys is the set of keys put in the span's exported map so far, as bits of outKeyBit.
type outKeys [2]uint64

// outKeyBit hashes a key to one of 128 bits (its length, first and last bytes and middle byte).
func outKeyBit(key string) (word int, bit uint64) {
	n := len(key)
	if n == 0 {
		return 0, 1
	}
	h := uint(n)*0x9E5 ^ uint(key[n-1])*0x3B ^ uint(key[n/2])*0x11 ^ uint(key[0])
	return int(h>>6) & 1, 1 << (h & 63)
}

// putOut is m.PutEmpty(key); when m is the span's exported map (the scratch's out), a key the
// span has surely not put yet is appended without the scan.
func (c *counts) putOut(m pcommon.Map, key string) pcommon.Value {
	d := c.scratch
	if d == nil || m != d.out {
		return m.PutEmpty(key)
	}
	w, b := outKeyBit(key)
	if d.outKeys[w]&b != 0 || !appendLayoutOK {
		return m.PutEmpty(key)
	}
	d.outKeys[w] |= b
	return appendEmpty(m, key)
}

// getOrPutOut is m.GetOrPutEmpty(key), as putOut.
func (c *counts) getOrPutOut(m pcommon.Map, key string) (pcommon.Value, bool) {
	d := c.scratch
	if d == nil || m != d.out {
		return m.GetOrPutEmpty(key)
	}
	w, b := outKeyBit(key)
	if d.outKeys[w]&b != 0 || !appendLayoutOK {
		return m.GetOrPutEmpty(key)
	}
	d.outKeys[w] |= b
	return appendEmpty(m, key), false
}

// maxArrays bounds the emptied raw attribute arrays a scratch keeps, maxArrayRoom the capacity of
// each (a malformed span's huge array is left to the GC).
const (
	maxArrays    = 8
	maxArrayRoom = 64
)

// retire keeps the attribute array of raw (a transformed span's raw map, its strings donated,
// about to be replaced by the exported map), zeroed, for a later span's exported map
// (reuseArray): the array would be garbage, and a span's exported map is a new array otherwise.
// The zeroed array holds nothing of the span. A scratch keeping maxArrays already keeps raw's
// instead of the smallest when raw's is larger.
func (s *transformScratch) retire(raw pcommon.Map) {
	if !appendLayoutOK {
		return
	}
	kvs := *(*mapLayout)(unsafe.Pointer(&raw)).orig
	room := cap(kvs)
	if room == 0 || room > maxArrayRoom {
		return
	}
	i := s.nArrays
	if i == maxArrays {
		i = 0
		for j := 1; j < maxArrays; j++ {
			if cap(s.arrays[j]) < cap(s.arrays[i]) {
				i = j
			}
		}
		if cap(s.arrays[i]) >= room {
			return
		}
	} else {
		s.nArrays++
	}
	kvs = kvs[:room]
	clear(kvs)
	s.arrays[i] = kvs[:0]
}

// reuseArray makes the kept array with the least room of at least n the array of s.out (empty),
// if the scratch keeps one.
func (s *transformScratch) reuseArray(n int) {
	best := -1
	for i := 0; i < s.nArrays; i++ {
		if c := cap(s.arrays[i]); c >= n && (best < 0 || c < cap(s.arrays[best])) {
			best = i
		}
	}
	if best < 0 {
		return
	}
	*(*mapLayout)(unsafe.Pointer(&s.out)).orig = s.arrays[best]
	last := s.nArrays - 1
	s.arrays[best], s.arrays[last] = s.arrays[last], nil
	s.nArrays = last
}

// keyValueLayout mirrors pdata's internal KeyValue; anyValueLayout its AnyValue.
type keyValueLayout struct {
	Value       anyValueLayout
	Key         string
	KeyStrindex int32
}

type anyValueLayout struct {
	Value any
}

// mapLayout mirrors pcommon.Map (internal.MapWrapper), valueLayout pcommon.Value (ValueWrapper).
type mapLayout struct {
	orig  *[]keyValueLayout
	state unsafe.Pointer
}

type valueLayout struct {
	orig  *anyValueLayout
	state unsafe.Pointer
}

// appendEmpty appends key with an empty value to m and returns the value, as PutEmpty does for
// a key m lacks; only for a key m surely lacks, and only when appendLayoutOK.
func appendEmpty(m pcommon.Map, key string) pcommon.Value {
	ml := (*mapLayout)(unsafe.Pointer(&m))
	*ml.orig = append(*ml.orig, keyValueLayout{Key: key})
	v := valueLayout{orig: &(*ml.orig)[len(*ml.orig)-1].Value, state: ml.state}
	return *(*pcommon.Value)(unsafe.Pointer(&v))
}

// appendLayoutOK: pdata's map and value have the layout appendEmpty writes through.
var appendLayoutOK = checkAppendLayout()

func checkAppendLayout() bool {
	if !sameLayout(reflect.TypeFor[pcommon.Map](), reflect.TypeFor[mapLayout](), false) ||
		!sameLayout(reflect.TypeFor[pcommon.Value](), reflect.TypeFor[valueLayout](), false) {
		return false
	}
	kv := reflect.TypeFor[pcommon.Map]().Field(0).Type.Elem().Elem()
	av := kv.Field(0).Type
	if !sameLayout(kv, reflect.TypeFor[keyValueLayout](), true) || !sameLayout(av, reflect.TypeFor[anyValueLayout](), true) ||
		reflect.TypeFor[pcommon.Value]().Field(0).Type.Elem() != av ||
		reflect.TypeFor[pcommon.Map]().Field(1).Type != reflect.TypeFor[pcommon.Value]().Field(1).Type {
		return false
	}
	// Built both ways, the maps must be the same, in the same order.
	a, b := pcommon.NewMap(), pcommon.NewMap()
	for _, m := range []pcommon.Map{a, b} {
		m.PutStr("s", "x")
	}
	appendEmpty(a, "i").SetInt(7)
	b.PutInt("i", 7)
	appendEmpty(a, "t").SetEmptySlice().AppendEmpty().SetStr("y")
	b.PutEmptySlice("t").AppendEmpty().SetStr("y")
	if a.Len() != 3 || !a.Equal(b) {
		return false
	}
	var order []string
	a.Range(func(k string, _ pcommon.Value) bool { order = append(order, k); return true })
	v, ok := a.Get("i")
	return ok && v.Int() == 7 && len(order) == 3 && order[0] == "s" && order[1] == "i" && order[2] == "t"
}

// sameLayout reports whether struct types t and mirror have the same fields at the same offsets,
// of the same kinds and sizes (and names, when names).
func sameLayout(t, mirror reflect.Type, names bool) bool {
	if t.Kind() != reflect.Struct || t.NumField() != mirror.NumField() || t.Size() != mirror.Size() {
		return false
	}
	for i := 0; i < t.NumField(); i++ {
		f, g := t.Field(i), mirror.Field(i)
		if f.Offset != g.Offset || f.Type.Size() != g.Type.Size() || (names && f.Name != g.Name) {
			return false
		}
		fk, gk := f.Type.Kind(), g.Type.Kind()
		if gk == reflect.UnsafePointer {
			gk = reflect.Pointer
		}
		if fk != gk {
			return false
		}
		if fk == reflect.Interface && f.Type.NumMethod() != 0 {
			return false
		}
		if fk == reflect.Pointer && g.Type.Kind() == reflect.Pointer && f.Type.Elem().Kind() != g.Type.Elem().Kind() {
			return false
		}
	}
	return true
}
