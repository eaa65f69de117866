package payload

import (
	"errors"
	"sync"
)

// Redaction is the rule set SerializeRedacted and SerializeJSONRedacted apply while they
// encode, in the walk of the gateway's redact_sensitive_fields: a member whose key matches
// is replaced whole by a mask; every other string is sanitized under its field name, which
// is the key of the nearest enclosing member, "item" inside lists not under any member, and
// "" for a string at the root.
type Redaction interface {
	// MaskMember returns the mask that replaces the value under key, if key is sensitive.
	MaskMember(key string) (mask string, masked bool)
	// Text returns the sanitized form of the string s found under field.
	Text(field, s string) string
	// Restart says the walk starts over (the streaming pass gave way to the tree): what the
	// rules noted so far is void.
	Restart()
}

// errDuplicateKey stops the streaming path: a Python dict keeps a duplicate key's first
// position and last value, which only the tree can reproduce.
var errDuplicateKey = errors.New("duplicate object key")

// SerializeRedacted is Serialize of v as the rules r would redact it, without building the
// redacted copy: the same text, in one walk.
func SerializeRedacted(v Value, maxSize int, r Redaction) string {
	w := newRedactingEncoder(maxSize, r, false, 2048)
	defer w.release()
	if err := walk(v, w); err != nil {
		return serializationFailed
	}
	return w.finish(maxSize)
}

// SerializeJSONRedacted is SerializeRedacted(ParseString(text)) without building the tree
// when it can: the text is read and written in one pass. It returns the error ParseString
// would return for text that is not JSON (and then nothing else).
func SerializeJSONRedacted(text string, maxSize int, r Redaction) (string, error) {
	w := newRedactingEncoder(maxSize, r, true, len(text)) // compact output is rarely longer
	defer w.release()
	w.p = parser{data: text, h: w}
	w.src = &w.p
	err := w.p.run()
	if errors.Is(err, errDuplicateKey) {
		v, err := ParseString(text)
		if err != nil {
			return "", err
		}
		r.Restart()
		return SerializeRedacted(v, maxSize, r), nil
	}
	if err != nil {
		return "", err
	}
	return w.finish(maxSize), nil
}

// redactingEncoder is the handler that encodes what it is told, redacted on the way.
//
// Reading a JSON text (src set), it copies instead of encoding where it can: output that
// equals the source text (compact punctuation, plain strings the rules leave as they are,
// literals, numbers in their canonical form) is not written token by token but noted as a
// run of source bytes, src.data[runStart:runEnd], written at once before the next edit
// (flush) or at the end. Only ASCII enters a run, so its length is its code point count.
type redactingEncoder struct {
	e         encoder
	r         Redaction
	src       *parser // the parser reading the text, nil when walking a tree
	runStart  int
	runEnd    int
	sizeHint  int // the buffer's size, grown at the first write
	p         parser
	frames    []redactFrame
	checkDups bool     // streaming: a duplicate key aborts (the tree path handles it)
	keys      []string // keys of the open objects, for the duplicate check
	skipNext  bool     // the next value is under a masked key: drop it
	skipDepth int      // > 0: inside a dropped container, this many levels deep
	// Room for typical documents, so the stacks above do not grow on the heap.
	framesBuf [8]redactFrame
	keysBuf   [32]string
}

type redactFrame struct {
	object   bool
	n        int    // members or items written so far
	field    string // the field name strings and lists below inherit
	keyStart int    // start of this object's keys in redactingEncoder.keys
	seen     map[string]struct{}
}

// dupIndexMin is the member count past which the duplicate check uses a map.
const dupIndexMin = 16

// newRedactingEncoder sizes its buffer from sizeHint, the expected output length in bytes.
func newRedactingEncoder(maxSize int, r Redaction, checkDups bool, sizeHint int) *redactingEncoder {
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	limit := max(maxSize, 0)
	// The buffer keeps at most limit code points (4 bytes each at most).
	size := min(sizeHint, 4*limit) + 16
	w := redactingEncoders.Get().(*redactingEncoder)
	w.e, w.r, w.checkDups = encoder{limit: limit}, r, checkDups
	w.frames, w.keys = w.framesBuf[:0], w.keysBuf[:0]
	w.sizeHint = size
	if !checkDups {
		// A tree walk writes everything; the streaming pass grows the buffer at its first
		// write (flush), as its output may be the source itself.
		w.e.buf.Grow(size)
	}
	return w
}

// redactingEncoders keeps encoders (about 1 KB each, mostly their inline stacks) between calls.
var redactingEncoders = sync.Pool{New: func() any { return new(redactingEncoder) }}

// release returns w to the pool, holding no reference to the output, the rules or the keys.
func (w *redactingEncoder) release() {
	*w = redactingEncoder{}
	redactingEncoders.Put(w)
}

func (w *redactingEncoder) finish(maxSize int) string {
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	if w.e.total == 0 && w.runEnd-w.runStart <= maxSize && w.src != nil {
		// The output is one run of the source (the text was compact and nothing changed):
		// the source itself, not a copy.
		return w.src.data[w.runStart:w.runEnd]
	}
	w.flush()
	if w.e.total <= maxSize {
		return w.e.buf.String()
	}
	return truncationWrapper(w.e.buf.String(), w.e.total, maxSize)
}

// flush writes the pending run of source bytes; the run is then empty.
func (w *redactingEncoder) flush() {
	if w.e.buf.Cap() == 0 {
		w.e.buf.Grow(w.sizeHint)
	}
	if w.runEnd > w.runStart {
		w.e.writeRun(w.src.data[w.runStart:w.runEnd], w.runEnd-w.runStart) // ASCII
		w.runStart = w.runEnd
	}
}

// verbatim adds the source bytes [start, end), which equal the next output, to the run (a
// new run when the last one does not end at start).
func (w *redactingEncoder) verbatim(start, end int) {
	if w.runEnd != start {
		w.flush()
		w.runStart = start
	}
	w.runEnd = end
}

// edit is where the output leaves the source: what follows is written, not copied.
func (w *redactingEncoder) edit() {
	if w.src != nil {
		w.flush()
	}
}

// resume says the output goes on with the source at offset at (after an edit).
func (w *redactingEncoder) resume(at int) {
	if w.src != nil {
		w.runStart, w.runEnd = at, at
	}
}

// punct writes the punctuation byte c, after which the output goes on with the source at
// next: part of the run when the source has c just there (compact JSON), written otherwise.
func (w *redactingEncoder) punct(c byte, next int) {
	if w.src == nil {
		w.e.writeByte(c)
		return
	}
	if w.runEnd+1 == next && w.src.data[w.runEnd] == c {
		w.runEnd = next
		return
	}
	w.flush()
	w.e.writeByte(c)
	w.runStart, w.runEnd = next, next
}

// scalar reports whether a scalar value is to be written (not dropped), after its separator.
func (w *redactingEncoder) scalar() bool {
	if w.skipDepth > 0 {
		return false
	}
	if w.skipNext {
		w.skipNext = false
		w.skipped()
		return false
	}
	w.separate()
	return true
}

// skipped says a dropped value (under a masked key) ended: the output goes on after it.
func (w *redactingEncoder) skipped() {
	if w.src != nil {
		w.resume(w.src.pos)
	}
}

// separate writes the comma before an item of a list (members get theirs in key).
func (w *redactingEncoder) separate() {
	if len(w.frames) == 0 {
		return
	}
	f := &w.frames[len(w.frames)-1]
	if !f.object {
		if f.n > 0 {
			next := 0
			if w.src != nil {
				next = w.src.start
			}
			w.punct(',', next)
		}
		f.n++
	}
}

// field is the field name of a value at the current position.
func (w *redactingEncoder) field() string {
	if len(w.frames) == 0 {
		return ""
	}
	return w.frames[len(w.frames)-1].field
}

// literal writes a scalar's JSON text, copied when the source spells it the same way.
func (w *redactingEncoder) literal(text string) {
	if !w.scalar() {
		return
	}
	if w.src != nil {
		if start, end := w.src.start, w.src.pos; w.src.data[start:end] == text {
			w.verbatim(start, end)
			return
		}
		w.flush()
		w.e.writeASCII(text)
		w.resume(w.src.pos)
		return
	}
	w.e.writeASCII(text)
}

func (w *redactingEncoder) null() { w.literal("null") }

func (w *redactingEncoder) boolean(b bool) {
	if b {
		w.literal("true")
	} else {
		w.literal("false")
	}
}

func (w *redactingEncoder) number(n Number) { w.literal(n.String()) }

func (w *redactingEncoder) str(s string, plain bool) {
	if !w.scalar() {
		return
	}
	out := w.r.Text(w.field(), s)
	if plain && out == s { // the same string back (== sees the same pointer first)
		if w.src != nil {
			w.verbatim(w.src.start, w.src.pos) // a plain string is its own source text
			return
		}
		w.e.writePlain(s)
		return
	}
	w.edit()
	w.e.writeString(out)
	if w.src != nil {
		w.resume(w.src.pos)
	}
}

func (w *redactingEncoder) other(v Value) { // tree walks only
	if w.scalar() {
		_ = w.e.value(v, len(w.frames)) // a scalar: cannot fail
	}
}

// begin opens a container; it reports whether the container is written (not dropped).
func (w *redactingEncoder) begin(object bool) (bool, error) {
	if w.skipDepth > 0 {
		w.skipDepth++
		return false, nil
	}
	if w.skipNext {
		w.skipNext = false
		w.skipDepth = 1
		return false, nil
	}
	w.separate()
	if len(w.frames) >= MaxDepth { // Encode's limit: Python's safe_serialize fails here
		return false, errTooDeepEncode
	}
	f := redactFrame{object: object, keyStart: len(w.keys)}
	if !object {
		// Lists keep the field they sit under; a list outside any member uses "item".
		f.field = "item"
		if len(w.frames) > 0 {
			f.field = w.frames[len(w.frames)-1].field
		}
	}
	w.frames = append(w.frames, f)
	return true, nil
}

// end closes a container; it reports whether it was written.
func (w *redactingEncoder) end() bool {
	if w.skipDepth > 0 {
		w.skipDepth--
		if w.skipDepth == 0 {
			w.skipped()
		}
		return false
	}
	f := w.frames[len(w.frames)-1]
	w.frames = w.frames[:len(w.frames)-1]
	w.keys = w.keys[:f.keyStart]
	return true
}

// bracket writes an opening or closing bracket, which the parser has just read.
func (w *redactingEncoder) bracket(c byte) {
	next := 0
	if w.src != nil {
		next = w.src.pos
	}
	w.punct(c, next)
}

func (w *redactingEncoder) beginObject() error {
	ok, err := w.begin(true)
	if ok {
		w.bracket('{')
	}
	return err
}

func (w *redactingEncoder) endObject() {
	if w.end() {
		w.bracket('}')
	}
}

func (w *redactingEncoder) beginArray() error {
	ok, err := w.begin(false)
	if ok {
		w.bracket('[')
	}
	return err
}

func (w *redactingEncoder) endArray() {
	if w.end() {
		w.bracket(']')
	}
}

func (w *redactingEncoder) key(k string, plain bool) error {
	if w.skipDepth > 0 {
		return nil
	}
	f := &w.frames[len(w.frames)-1]
	if w.checkDups {
		if err := w.checkDuplicate(f, k); err != nil {
			return err
		}
	}
	switch {
	case w.src == nil:
		if f.n > 0 {
			w.e.writeByte(',')
		}
		if plain {
			w.e.writePlain(k)
		} else {
			w.e.writeString(k)
		}
		w.e.writeByte(':')
	case plain: // the key's source text is "k", then ':' (and maybe spaces) up to src.pos
		start := w.src.start
		if f.n > 0 {
			w.punct(',', start)
		}
		w.verbatim(start, start+len(k)+2)
		w.punct(':', w.src.pos)
	default:
		if f.n > 0 {
			w.punct(',', w.src.start)
		}
		w.flush()
		w.e.writeString(k)
		w.e.writeByte(':')
		w.resume(w.src.pos)
	}
	f.n++
	if mask, masked := w.r.MaskMember(k); masked {
		w.edit()
		w.e.writeString(mask)
		w.skipNext = true
		return nil
	}
	f.field = k
	return nil
}

func (w *redactingEncoder) checkDuplicate(f *redactFrame, k string) error {
	if f.seen != nil {
		if _, dup := f.seen[k]; dup {
			return errDuplicateKey
		}
		f.seen[k] = struct{}{}
		return nil
	}
	own := w.keys[f.keyStart:]
	for _, seen := range own {
		if seen == k {
			return errDuplicateKey
		}
	}
	if len(own) < dupIndexMin {
		w.keys = append(w.keys, k)
		return nil
	}
	f.seen = make(map[string]struct{}, 2*dupIndexMin)
	for _, seen := range own {
		f.seen[seen] = struct{}{}
	}
	f.seen[k] = struct{}{}
	return nil
}
