// Package payload holds JSON values with Python semantics: key order kept, duplicate keys
// behave like a Python dict, integers of any size stay exact, floats encode like Python's
// repr, and NaN/Infinity are accepted. It uses the Go standard library only.
//
// A Value is one of: nil, bool, Number, string, []Value or *Object. Encode also accepts the
// Go scalars int, int64, uint64 and float64 for convenience; any other Go type encodes as
// its fmt "%v" text, like Python's json default=str.
package payload

import (
	"math"
	"strconv"
)

// Value is a JSON value: nil, bool, Number, string, []Value or *Object.
type Value = any

// Object is a JSON object with ordered members. Set behaves like assignment into a Python
// dict: a new key is appended, an existing key keeps its first position and takes the new
// value.
type Object struct {
	keys   []string
	values []Value
	index  map[string]int // built lazily once the object grows past a few members
}

// NewObject returns an empty object with room for capacity members.
func NewObject(capacity int) *Object {
	if capacity < 0 {
		capacity = 0
	}
	return &Object{keys: make([]string, 0, capacity), values: make([]Value, 0, capacity)}
}

const linearLookupMax = 8

func (o *Object) find(key string) int {
	if o.index != nil {
		if i, ok := o.index[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Set appends key with v, or replaces the value of an existing key in place.
func (o *Object) Set(key string, v Value) {
	if i := o.find(key); i >= 0 {
		o.values[i] = v
		return
	}
	o.keys = append(o.keys, key)
	o.values = append(o.values, v)
	if o.index != nil {
		o.index[key] = len(o.keys) - 1
	} else if len(o.keys) > linearLookupMax {
		o.index = make(map[string]int, len(o.keys)*2)
		for i, k := range o.keys {
			o.index[k] = i
		}
	}
}

// Get returns the value of key and whether it is present.
func (o *Object) Get(key string) (Value, bool) {
	if i := o.find(key); i >= 0 {
		return o.values[i], true
	}
	return nil, false
}

// Len is the number of members.
func (o *Object) Len() int { return len(o.keys) }

// Key is the key of member i (0 <= i < Len()).
func (o *Object) Key(i int) string { return o.keys[i] }

// Value is the value of member i (0 <= i < Len()).
func (o *Object) Value(i int) Value { return o.values[i] }

// Number is a JSON number with Python semantics: an integer keeps its exact decimal text
// (any size), a float is a float64 and encodes like Python's float repr.
type Number struct {
	text    string // canonical integer text when !isFloat
	f       float64
	isFloat bool
}

// IntNumber returns the integer n.
func IntNumber(n int64) Number { return Number{text: strconv.FormatInt(n, 10)} }

// FloatNumber returns the float f (NaN and infinities allowed, as in Python).
func FloatNumber(f float64) Number { return Number{f: f, isFloat: true} }

// IsFloat reports whether the number is a float (else an exact integer).
func (n Number) IsFloat() bool { return n.isFloat }

// Float64 returns the value as a float64 (integers are converted, possibly inexactly).
func (n Number) Float64() float64 {
	if n.isFloat {
		return n.f
	}
	f, err := strconv.ParseFloat(n.text, 64)
	if err != nil { // out of range: ParseFloat already returns ±Inf
		return f
	}
	return f
}

// String is the number's JSON text as Python's json module writes it.
func (n Number) String() string {
	if !n.isFloat {
		if n.text == "" {
			return "0"
		}
		return n.text
	}
	return formatFloat(n.f)
}

// formatFloat writes f like Python's float.__repr__ inside json.dumps: NaN, Infinity,
// -Infinity; shortest round-trip digits; fixed notation for decimal exponents in [-4, 16),
// else scientific with a signed, at least two-digit exponent.
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64) // e.g. 1.5e-05, 1e+16
	e := 0
	for i := len(sci) - 1; i >= 0; i-- {
		if sci[i] == 'e' {
			e, _ = strconv.Atoi(sci[i+1:])
			break
		}
	}
	if e < -4 || e >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s
		}
	}
	return s + ".0"
}
