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
	// Text returns the sanitized form of the string s found under field. It answers the same
	// for the same field and string within one walk, and noting a repeated string changes
	// nothing: the encoders reuse the answer for a string they met before (textMemo).
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
	w := newRedactingEncoder(maxSize, r, 2048)
	defer w.release()
	if err := walk(v, w); err != nil {
		return serializationFailed
	}
	return w.finish(maxSize)
}

// SerializeJSONRedacted is SerializeRedacted(ParseString(text)) without building the tree
// when it can: the text is read and written in one pass (sourceEncoder). It returns the
// error ParseString would return for text that is not JSON (and then nothing else).
func SerializeJSONRedacted(text string, maxSize int, r Redaction) (string, error) {
	w := newSourceEncoder(text, maxSize, r)
	defer w.release()
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
type redactingEncoder struct {
	e         encoder
	r         Redaction
	frames    []redactFrame
	keys      []string // keys of the open objects, for the duplicate check (streaming)
	skipNext  bool     // the next value is under a masked key: drop it
	skipDepth int      // > 0: inside a dropped container, this many levels deep
	memo      textMemo
	// Room for typical documents, so the stacks above do not grow on the heap.
	framesBuf [8]redactFrame
	keysBuf   [32]string
}

// textMemo keeps the last answers of Text within one walk: a list of records repeats the same
// strings under the same fields ("type":"text", a status, a repeated description), and each
// repeat would run the text rules again. A few entries, replaced in turn; a miss costs a length
// comparison per entry.
type textMemo struct {
	entries [textMemoSize]textMemoEntry
	next    int
}

type textMemoEntry struct{ field, s, out string }

const textMemoSize = 4

// text is r.Text(field, s), answered from the memo for a string met before under field.
func (w *redactingEncoder) text(field, s string) string {
	m := &w.memo
	for i := range m.entries {
		if e := &m.entries[i]; len(e.s) == len(s) && e.s == s && e.field == field && e.out != "" {
			return e.out
		}
	}
	out := w.r.Text(field, s)
	m.entries[m.next] = textMemoEntry{field, s, out}
	m.next = (m.next + 1) % textMemoSize
	return out
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
func newRedactingEncoder(maxSize int, r Redaction, sizeHint int) *redactingEncoder {
	w := redactingEncoders.Get().(*redactingEncoder)
	w.e.buf.Grow(w.init(maxSize, r, sizeHint))
	return w
}

// init readies w for one payload and returns the buffer size it needs.
func (w *redactingEncoder) init(maxSize int, r Redaction, sizeHint int) int {
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	limit := max(maxSize, 0)
	w.e, w.r = encoder{limit: limit}, r
	w.frames, w.keys = w.framesBuf[:0], w.keysBuf[:0]
	// The buffer keeps at most limit code points (4 bytes each at most).
	return min(sizeHint, 4*limit) + 16
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
	if w.e.total <= maxSize {
		return w.e.buf.String()
	}
	return truncationWrapper(w.e.buf.String(), w.e.total, maxSize)
}

// scalar reports whether a scalar value is to be written (not dropped), after its separator.
func (w *redactingEncoder) scalar() bool {
	if w.skipDepth > 0 {
		return false
	}
	if w.skipNext {
		w.skipNext = false
		return false
	}
	w.separate()
	return true
}

// separate writes the comma before an item of a list (members get theirs in key).
func (w *redactingEncoder) separate() {
	if w.nextItem() {
		w.e.writeByte(',')
	}
}

// nextItem counts a value of the innermost list and reports whether a comma goes before it
// (members count in key).
func (w *redactingEncoder) nextItem() (comma bool) {
	if len(w.frames) == 0 {
		return false
	}
	f := &w.frames[len(w.frames)-1]
	if f.object {
		return false
	}
	f.n++
	return f.n > 1
}

// field is the field name of a value at the current position.
func (w *redactingEncoder) field() string {
	if len(w.frames) == 0 {
		return ""
	}
	return w.frames[len(w.frames)-1].field
}

func (w *redactingEncoder) null() {
	if w.scalar() {
		w.e.writeASCII("null")
	}
}

func (w *redactingEncoder) boolean(b bool) {
	if w.scalar() {
		if b {
			w.e.writeASCII("true")
		} else {
			w.e.writeASCII("false")
		}
	}
}

func (w *redactingEncoder) number(n Number) {
	if w.scalar() {
		w.e.writeASCII(n.String())
	}
}

func (w *redactingEncoder) str(s string, plain bool) {
	if w.scalar() {
		out := w.text(w.field(), s)
		if plain && out == s { // the same string back (== sees the same pointer first)
			w.e.writePlain(s)
		} else {
			w.e.writeString(out)
		}
	}
}

func (w *redactingEncoder) other(v Value) {
	if w.scalar() {
		_ = w.e.value(v, len(w.frames)) // a scalar: cannot fail
	}
}

// begin opens a container; it reports whether the container is written (not dropped).
func (w *redactingEncoder) begin(object bool) (bool, error) {
	if w.skipContainer() {
		return false, nil
	}
	w.separate()
	return w.push(object)
}

// skipContainer reports whether a container that opens here is dropped, and counts it.
func (w *redactingEncoder) skipContainer() bool {
	if w.skipDepth > 0 {
		w.skipDepth++
		return true
	}
	if w.skipNext {
		w.skipNext = false
		w.skipDepth = 1
		return true
	}
	return false
}

// push opens the frame of a container (after its separator).
func (w *redactingEncoder) push(object bool) (bool, error) {
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
		return false
	}
	f := w.frames[len(w.frames)-1]
	w.frames = w.frames[:len(w.frames)-1]
	w.keys = w.keys[:f.keyStart]
	return true
}

func (w *redactingEncoder) beginObject() error {
	ok, err := w.begin(true)
	if ok {
		w.e.writeByte('{')
	}
	return err
}

func (w *redactingEncoder) endObject() {
	if w.end() {
		w.e.writeByte('}')
	}
}

func (w *redactingEncoder) beginArray() error {
	ok, err := w.begin(false)
	if ok {
		w.e.writeByte('[')
	}
	return err
}

func (w *redactingEncoder) endArray() {
	if w.end() {
		w.e.writeByte(']')
	}
}

func (w *redactingEncoder) key(k string, plain bool) error {
	if w.skipDepth > 0 {
		return nil
	}
	f := &w.frames[len(w.frames)-1]
	if f.n > 0 {
		w.e.writeByte(',')
	}
	f.n++
	if plain {
		w.e.writePlain(k)
	} else {
		w.e.writeString(k)
	}
	w.e.writeByte(':')
	if mask, masked := w.r.MaskMember(k); masked {
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

// sourceEncoder is the redacting encoder of the streaming pass, reading a JSON text (p) and
// copying instead of encoding where it can: output that equals the source text (compact
// punctuation, plain strings the rules leave as they are, literals, numbers in their
// canonical form) is not written token by token but noted as a run of source bytes,
// p.data[runStart:runEnd], written at once before the next edit (flush) or at the end. Only
// ASCII enters a run, so its length is its code point count. A duplicate key aborts the pass
// (the tree path handles it).
type sourceEncoder struct {
	redactingEncoder
	p        parser
	runStart int
	runEnd   int
	size     int // the buffer's size, grown at its first write: the output may be the source itself
}

var sourceEncoders = sync.Pool{New: func() any { return new(sourceEncoder) }}

func newSourceEncoder(text string, maxSize int, r Redaction) *sourceEncoder {
	w := sourceEncoders.Get().(*sourceEncoder)
	w.size = w.init(maxSize, r, len(text)) // compact output is rarely longer
	w.p = parser{data: text, h: w}
	return w
}

func (w *sourceEncoder) release() {
	*w = sourceEncoder{}
	sourceEncoders.Put(w)
}

func (w *sourceEncoder) finish(maxSize int) string {
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	if w.e.total == 0 && w.runEnd-w.runStart <= maxSize {
		// The output is one run of the source (the text was compact and nothing changed):
		// the source itself, not a copy.
		return w.p.data[w.runStart:w.runEnd]
	}
	w.flush()
	return w.redactingEncoder.finish(maxSize)
}

// flush writes the pending run; the run is then empty.
func (w *sourceEncoder) flush() {
	if w.e.buf.Cap() == 0 {
		w.e.buf.Grow(w.size)
	}
	if w.runEnd > w.runStart {
		w.e.writeRun(w.p.data[w.runStart:w.runEnd], w.runEnd-w.runStart) // ASCII
		w.runStart = w.runEnd
	}
}

// verbatim adds the source bytes [start, end), which equal the next output, to the run (a
// new run when the last one does not end at start).
func (w *sourceEncoder) verbatim(start, end int) {
	if w.runEnd != start {
		w.flush()
		w.runStart = start
	}
	w.runEnd = end
}

// resume says the output goes on with the source at offset at, after a written edit.
func (w *sourceEncoder) resume(at int) { w.runStart, w.runEnd = at, at }

// punct writes the punctuation byte c, after which the output goes on with the source at
// next: part of the run when the source has c just there (compact JSON).
func (w *sourceEncoder) punct(c byte, next int) {
	if w.runEnd+1 == next && w.p.data[w.runEnd] == c {
		w.runEnd = next
		return
	}
	w.writePunct(c, next)
}

// writePunct is punct where the source differs: c is written, the run starts again at next.
func (w *sourceEncoder) writePunct(c byte, next int) {
	w.flush()
	w.e.writeByte(c)
	w.resume(next)
}

// scalar reports whether the scalar that p.start..p.pos holds is written, after its
// separator; a dropped one is skipped in the source too.
func (w *sourceEncoder) scalar() bool {
	if w.skipDepth > 0 {
		return false
	}
	if w.skipNext {
		w.skipNext = false
		w.resume(w.p.pos) // the value under a masked key ends here
		return false
	}
	if w.nextItem() {
		w.punct(',', w.p.start)
	}
	return true
}

// literal writes a scalar's JSON text, copied when the source spells it the same way.
func (w *sourceEncoder) literal(text string) {
	if !w.scalar() {
		return
	}
	start, end := w.p.start, w.p.pos
	if w.p.data[start:end] == text {
		w.verbatim(start, end)
		return
	}
	w.flush()
	w.e.writeASCII(text)
	w.resume(end)
}

func (w *sourceEncoder) null() { w.literal("null") }

func (w *sourceEncoder) boolean(b bool) {
	if b {
		w.literal("true")
	} else {
		w.literal("false")
	}
}

func (w *sourceEncoder) number(n Number) { w.literal(n.String()) }

func (w *sourceEncoder) str(s string, plain bool) {
	if !w.scalar() {
		return
	}
	out := w.text(w.field(), s)
	if plain && out == s { // a plain string is its own source text
		w.verbatim(w.p.start, w.p.pos)
		return
	}
	w.flush()
	w.e.writeString(out)
	w.resume(w.p.pos)
}

// open opens a container whose bracket c the parser has just read.
func (w *sourceEncoder) open(object bool, c byte) error {
	if w.skipContainer() {
		return nil
	}
	if w.nextItem() {
		w.punct(',', w.p.start)
	}
	ok, err := w.push(object)
	if ok {
		w.punct(c, w.p.pos)
	}
	return err
}

// close closes a container whose bracket c the parser has just read.
func (w *sourceEncoder) close(c byte) {
	if w.skipDepth > 0 {
		if w.skipDepth--; w.skipDepth == 0 {
			w.resume(w.p.pos) // the container under a masked key ends here
		}
		return
	}
	w.end()
	w.punct(c, w.p.pos)
}

func (w *sourceEncoder) beginObject() error { return w.open(true, '{') }
func (w *sourceEncoder) endObject()         { w.close('}') }
func (w *sourceEncoder) beginArray() error  { return w.open(false, '[') }
func (w *sourceEncoder) endArray()          { w.close(']') }

func (w *sourceEncoder) key(k string, plain bool) error {
	if w.skipDepth > 0 {
		return nil
	}
	f := &w.frames[len(w.frames)-1]
	if err := w.checkDuplicate(f, k); err != nil {
		return err
	}
	start := w.p.start // the key's opening quote; p.pos is past its ':' and spaces
	if f.n > 0 {
		w.punct(',', start)
	}
	f.n++
	if plain { // the source holds "k" then ':'
		w.verbatim(start, start+len(k)+2)
		w.punct(':', w.p.pos)
	} else {
		w.flush()
		w.e.writeString(k)
		w.e.writeByte(':')
		w.resume(w.p.pos)
	}
	if mask, masked := w.r.MaskMember(k); masked {
		w.flush()
		w.e.writeString(mask)
		w.skipNext = true // scalar or close resumes the run after the value
		return nil
	}
	f.field = k
	return nil
}
