package payload

import (
	"errors"
	"math/bits"
	"sync"
)

// Redaction is the rule set SerializeRedacted and SerializeJSONRedacted apply while they
// encode, in the walk of the gateway's redact_sensitive_fields: a member whose key matches
// is replaced whole by a mask; every other string is sanitized under its field name, which
// is the key of the nearest enclosing member, "item" inside lists not under any member, and
// "" for a string at the root.
type Redaction interface {
	// MaskMember returns the mask that replaces the value under key, if key is sensitive. It
	// answers the same for the same key within one walk, and an answer that does not mask
	// notes nothing: the streaming pass asks once for a key of an object's shape
	// (sourceEncoder.shapes) and not again where the key comes back in that place.
	MaskMember(key string) (mask string, masked bool)
	// Text returns the sanitized form of the string s found under field. It answers the same
	// for the same field and string within one walk, and noting a repeated string changes
	// nothing: the encoders reuse the answer for a string they met before (textMemo).
	// plain says s is printable ASCII without '"' or '\\' (the parser's plain, see handler:
	// valid UTF-8 with nothing to escape); outPlain may say the same of out, which the encoders
	// then write without scanning it for escapes (false is always correct).
	Text(field, s string, plain bool) (out string, outPlain bool)
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
// error ParseString would return for text that is not JSON (and then nothing else). It also
// reports, for free, whether text is known to be ASCII (so valid UTF-8): true when the streaming pass read it whole and
// none of its strings held a byte >= 0x80 (outside strings JSON takes ASCII only). false says
// nothing: text may hold non-ASCII, and may be invalid UTF-8 the parser repaired silently.
func SerializeJSONRedacted(text string, maxSize int, r Redaction) (out string, ascii bool, err error) {
	w := newSourceEncoder(text, maxSize, r)
	defer w.release()
	if w.run() {
		return w.finish(maxSize), !w.p.nonASCII, nil
	}
	// The pass gave way: text that is not JSON (the parser says why, as ParseString would), or
	// a duplicate key or a depth it leaves to the tree.
	if err := parseEvents(text, discard{}); err != nil {
		return "", false, err
	}
	v, err := ParseString(text)
	if err != nil {
		return "", false, err
	}
	r.Restart()
	return SerializeRedacted(v, maxSize, r), false, nil
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
	// miss counts the strings in a row the memo did not answer, then those it was not asked
	// (see textMisses).
	miss int
}

// textMisses and textRetry: after textMisses strings in a row the memo did not answer (records
// whose strings all differ), the next textRetry strings neither look it up nor enter it (a
// miss costs its comparisons and an entry's writes), then it serves again.
const textMisses, textRetry = 8, 32

type textMemoEntry struct {
	field, s, out string
	changed       bool // out != s: a hit for an unchanged string answers the string itself
	plain         bool // out is plain (Text's outPlain)
}

const textMemoSize = 4

// text is r.Text(field, s, plain), answered from the memo for a string met before under
// field, whether it differs from s (when it does not, out is s itself), and whether out is
// plain (printable ASCII without '"' or '\\': written without the escape scan).
func (w *redactingEncoder) text(field, s string, plain bool) (out string, changed, outPlain bool) {
	m := &w.memo
	if m.miss >= textMisses {
		if m.miss++; m.miss == textMisses+textRetry {
			m.miss = 0
		}
		out, outPlain = w.r.Text(field, s, plain)
		return out, out != s, outPlain
	}
	for i := range m.entries {
		if e := &m.entries[i]; len(e.s) == len(s) && e.out != "" && e.s == s && e.field == field {
			m.miss = 0
			if e.changed {
				return e.out, true, e.plain
			}
			return s, false, plain || e.plain
		}
	}
	m.miss++
	out, outPlain = w.r.Text(field, s, plain)
	changed = out != s
	m.entries[m.next] = textMemoEntry{field, s, out, changed, outPlain}
	m.next = (m.next + 1) % textMemoSize
	return out, changed, outPlain
}

type redactFrame struct {
	object   bool
	n        int    // members or items written so far
	field    string // the field name strings and lists below inherit
	keyStart int    // start of this object's keys in redactingEncoder.keys
	seen     map[string]struct{}
	// follow (the streaming pass's objects): >= 0, this object's first follow keys were its
	// depth's shape's (sourceEncoder.shapes), and are not in keys; -1, its keys are in keys;
	// -2, its keys are in keys and learn no shape: an object too deep for one, or one that
	// skips its depth's (see shapeMisses).
	follow int
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
		if out, _, outPlain := w.text(w.field(), s, plain); outPlain {
			w.e.writePlain(out)
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

// newFrame is the frame of a container opened inside frames, its keys listed from keyStart:
// lists keep the field they sit under; a list outside any member uses "item".
func newFrame(frames []redactFrame, keyStart int, object bool) redactFrame {
	f := redactFrame{object: object, keyStart: keyStart}
	if !object {
		f.field = "item"
		if len(frames) > 0 {
			f.field = frames[len(frames)-1].field
		}
	}
	return f
}

// push opens the frame of a container (after its separator).
func (w *redactingEncoder) push(object bool) (bool, error) {
	if len(w.frames) >= MaxDepth { // Encode's limit: Python's safe_serialize fails here
		return false, errTooDeepEncode
	}
	w.frames = append(w.frames, newFrame(w.frames, len(w.keys), object))
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

// sourceEncoder is the streaming pass of SerializeJSONRedacted: one loop (run) that reads the
// JSON text with the grammar of Parse (the parser's string and number scanners, the same
// checks) and writes the redacted encoding as it goes, without a handler call per token. The
// compact output is the source with its whitespace cut out and a few spans replaced, the edits:
// a string the rules change or the parser decoded (escapes, non-ASCII, invalid UTF-8), such a
// key, the value of a masked member (by the mask), a number not in Python's form (-0, most
// floats). Everything else (punctuation, plain strings and keys, literals, integers) is already
// what the encoder would write, so the source bytes from runStart up to the next edit are
// written at once (flushTo), and a compact text that needs no edit is returned as it is. Only
// ASCII stays in place (non-ASCII occurs only inside strings, which are edits then), so a
// run's byte length is its code point count.
//
// run gives way (returns false) on anything unusual: a syntax error, a duplicate key (a Python
// dict keeps its first position and last value, which only the tree can reproduce), nesting
// past MaxDepth. SerializeJSONRedacted then answers as ParseString and SerializeRedacted would.
type sourceEncoder struct {
	redactingEncoder
	p        parser
	runStart int // the source bytes from runStart on are the output until the next edit
	runEnd   int // the end of the root value, once read
	size     int // the buffer's size, grown at its first write: the output may be the source itself
	// same[i] is where in the source text the last member whose key starts with a byte b,
	// b&7 == i, and whose value is a plain string the rules left unchanged is spelled, from its
	// key's opening quote to its value's closing quote (8 bytes at least; n 0: none yet): a
	// member spelled the same is the same field and string (Text answers the same), so its
	// value is the source again, without the string's scan, the memo's comparisons or the
	// rules. (Records alternate their members: one place per key's first byte.)
	same [8]struct{ at, n int }
	// sameMiss counts the members in a row that same did not answer though it held a place
	// for their key's first byte, then the members not looked up (see sameMisses).
	sameMiss int
	// shapes[i] is the key sequence last read in an object at depth i (frames[i]): records of
	// a list share their keys, and an object whose keys so far are its depth's shape needs no
	// duplicate check (the shape's keys are distinct) and no MaskMember (they were not masked).
	shapes [shapeDepths]shape
}

// shapeDepths and shapeKeys bound the shapes: objects this shallow, their first keys.
const shapeDepths, shapeKeys = 6, 8

// sameMisses and sameRetry: after sameMisses members in a row that same did not answer
// (records whose members all differ), the next sameRetry string members are neither looked up
// nor kept there (a miss costs more than the string's scan it might save), then same serves
// again.
const sameMisses, sameRetry = 8, 32

// shapeMisses and shapeRetry: after shapeMisses objects in a row at a depth whose first key
// was not their shape's (records whose keys all differ), the next objects there neither follow
// nor learn a shape (learning one costs more than reading the keys; the shape's keys are then
// -1), until one learns it again, shapeRetry objects after the last miss, for the next to
// follow. An object that followed its shape resets the count.
const shapeMisses, shapeRetry = 2, 16

// shape is a sequence of plain keys MaskMember did not mask, read in this order in one
// object and so distinct: key i is key[i], at at[i] in the source text d; a key of up to 6
// bytes is also, with its quotes, the adv[i] bytes word[i] selects with mask[i] (little-endian;
// otherwise mask 0 and word 1, which no text matches). adv[i] is len(key[i])+3 when the key
// was read with its ':' right after it (up to 5 bytes): the word holds the ':' too.
type shape struct {
	keys       int // -1: none, and none learnt (see shapeMisses)
	key        [shapeKeys]string
	at, adv    [shapeKeys]int
	word, mask [shapeKeys]uint64
	// miss counts the objects in a row whose first key was not the shape's, then those that
	// skipped it (see shapeMisses).
	miss int
}

var sourceEncoders = sync.Pool{New: func() any { return new(sourceEncoder) }}

func newSourceEncoder(text string, maxSize int, r Redaction) *sourceEncoder {
	w := sourceEncoders.Get().(*sourceEncoder)
	w.size = w.init(maxSize, r, len(text)) // compact output is rarely longer
	w.p = parser{data: text}
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
	w.flushTo(w.runEnd)
	return w.redactingEncoder.finish(maxSize)
}

// flushTo writes the pending run, the source bytes [runStart, end) (ASCII); the run then
// starts at end.
func (w *sourceEncoder) flushTo(end int) {
	if w.e.buf.Cap() == 0 {
		w.e.buf.Grow(w.size)
	}
	if end > w.runStart {
		w.e.writeRun(w.p.data[w.runStart:end], end-w.runStart)
	}
	w.runStart = end
}

// edit writes s as a JSON string in place of the source bytes [start, end).
func (w *sourceEncoder) edit(start, end int, s string) {
	w.flushTo(start)
	w.e.writeString(s)
	w.runStart = end
}

// editPlain writes s, plain (see encoder.writePlain), as a JSON string in place of the source
// bytes [start, end): edit without the escape scan.
func (w *sourceEncoder) editPlain(start, end int, s string) {
	w.flushTo(start)
	w.e.writePlain(s)
	w.runStart = end
}

// editASCII writes the ASCII text s in place of the source bytes [start, end).
func (w *sourceEncoder) editASCII(start, end int, s string) {
	w.flushTo(start)
	w.e.writeASCII(s)
	w.runStart = end
}

// space skips the whitespace at pos (where the text holds a byte <= ' ') and cuts it from
// the output; it returns the position after it.
func (w *sourceEncoder) space(pos int) int {
	start := pos
	w.p.pos = pos
	w.p.skipSpace()
	if pos = w.p.pos; pos > start {
		if start > w.runStart {
			w.flushTo(start)
		}
		w.runStart = pos
	}
	return pos
}

// str reads the string (or key) whose quote is at pos, when it is not plain printable ASCII
// (run reads those): its value, the position after it, and whether it is plain (see
// handler); ok false for a syntax error.
func (w *sourceEncoder) str(pos int) (s string, end int, plain, ok bool) {
	w.p.pos = pos
	s, plain, err := w.p.str()
	return s, w.p.pos, plain, err == nil
}

// run reads the text and writes its redacted encoding; false when it gives way. It is one
// loop over three places in the grammar, where a value starts (value), where a member's key
// starts (key) and where a value has ended (next: ',', a closing bracket, or at the root the
// end of the text), with the position in a local (the parser's, w.p.pos, only serves its
// scanners) and little else live across the calls it makes, so there is little to save and
// restore around them: the innermost container's kind and field are read from its frame.
func (w *sourceEncoder) run() bool {
	var (
		d     = w.p.data
		pos   int
		start int
		end   int
		f     *redactFrame
		c     byte
		// member is where the key of the member whose value starts here opened; -1 where
		// the value is a list's item or the root (value is entered from key, or resets it).
		member = -1
		s      string
		plain  bool
		ok     bool
	)
	if pos < len(d) && d[pos] <= ' ' {
		pos = w.space(pos)
	}

value:
	if pos >= len(d) {
		return false
	}
	start = pos
	switch c = d[pos]; {
	case c == '"':
		// A member spelled as the last unchanged one (same) from its key on: the same field
		// and string, whose answer is the source again; the string ends where same does.
		// Its first and last words are compared first: most members are spelled otherwise.
		if member >= 0 && w.sameMiss < sameMisses {
			if m := w.same[d[member+1]&7]; m.n > 0 && m.n <= len(d)-member {
				n := m.n
				if a, b := d[member:member+n], d[m.at:m.at+n]; load64(a, 0) == load64(b, 0) &&
					load64(a, n-8) == load64(b, n-8) && a == b {
					w.sameMiss = 0
					pos = member + n
					goto next
				}
				w.sameMiss++
			}
		}
		// A string: its first word read here (plainRunEnd's first turn, inline), where many end.
		if end = pos + 1; end+8 > len(d) {
			end = plainRunEnd(d, end)
		} else if flagged := specialBytes(load64(d, end)); flagged != 0 {
			end += bits.TrailingZeros64(flagged) >> 3
		} else {
			end = plainRunEnd(d, end+8)
		}
		if end < len(d) && d[end] == '"' {
			s, plain, pos = d[pos+1:end], true, end+1 // printable ASCII: most strings
		} else if s, pos, plain, ok = w.str(pos); !ok {
			return false
		}
		if out, changed, outPlain := w.text(w.field(), s, plain); changed || !plain {
			if outPlain {
				w.editPlain(start, pos, out)
			} else {
				w.edit(start, pos, out)
			}
		} else if member >= 0 && plain && pos-member >= 8 {
			if w.sameMiss < sameMisses {
				w.same[d[member+1]&7] = struct{ at, n int }{member, pos - member}
			} else if w.sameMiss++; w.sameMiss == sameMisses+sameRetry {
				w.sameMiss = 0
			}
		}
	case c >= '1' && c <= '9':
		// An integer is written as it is spelled: its JSON text is Python's.
		for pos++; pos < len(d) && isDigit(d[pos]); pos++ {
		}
		if pos-start > MaxIntDigits || pos < len(d) && (d[pos] == '.' || d[pos] == 'e' || d[pos] == 'E') {
			if pos = w.number(start); pos < 0 {
				return false
			}
		}
	case c == '{' || c == '[':
		if !w.open(c == '{') {
			return false
		}
		if pos++; pos < len(d) && d[pos] <= ' ' {
			pos = w.space(pos)
		}
		if pos < len(d) && d[pos] == c+2 { // '}' is '{'+2, ']' is '['+2
			pos++
			w.close()
			goto next
		}
		if c == '{' {
			goto key
		}
		member = -1
		goto value
	case c == '0' || c == '-' && !hasPrefixAt(d, pos, "-Infinity"):
		if pos = w.number(pos); pos < 0 {
			return false
		}
	case c == 'n' && hasPrefixAt(d, pos, "null"), c == 't' && hasPrefixAt(d, pos, "true"):
		pos += 4 // written as they are spelled, as are the three below
	case c == 'f' && hasPrefixAt(d, pos, "false"):
		pos += 5
	case c == 'N' && hasPrefixAt(d, pos, "NaN"):
		pos += 3
	case c == 'I' && hasPrefixAt(d, pos, "Infinity"):
		pos += 8
	case c == '-': // -Infinity
		pos += 9
	default:
		return false
	}

next:
	if len(w.frames) == 0 {
		w.runEnd = pos
		w.p.pos = pos
		w.p.skipSpace() // trailing whitespace: not in the output (finish ends at runEnd)
		return w.p.pos == len(d)
	}
	if pos < len(d) && d[pos] <= ' ' {
		pos = w.space(pos)
	}
	if pos >= len(d) {
		return false
	}
	switch c = d[pos]; {
	case c == ',':
		if pos++; pos < len(d) && d[pos] <= ' ' {
			pos = w.space(pos)
		}
		if w.frames[len(w.frames)-1].object {
			goto key
		}
		member = -1
		goto value
	case c == '}' || c == ']':
		if w.frames[len(w.frames)-1].object != (c == '}') {
			return false
		}
		pos++
		w.close()
		goto next
	}
	return false

key:
	// The next key of the object's shape, spelled here with its quotes in one word (a key of
	// up to 6 bytes, with 8 bytes of text from both): no scan for its end; and when the word
	// holds the ':' after it too (a key of up to 5 bytes, compact), none for the ':'.
	if f = &w.frames[len(w.frames)-1]; f.follow >= 0 {
		if sh, k := &w.shapes[len(w.frames)-1], f.follow; k < sh.keys && pos <= len(d)-8 &&
			load64(d, pos)&sh.mask[k] == sh.word[k] {
			adv := sh.adv[k]
			start, s = pos, sh.key[k]
			if pos += adv; adv == len(s)+2 {
				goto known
			}
			f.follow++
			if pos < len(d) && d[pos] <= ' ' {
				pos = w.space(pos)
			}
			f.field = s
			member = start
			goto value
		}
	}
	if pos >= len(d) || d[pos] != '"' {
		return false
	}
	start = pos
	if end = pos + 1; end+8 > len(d) { // as for a string value
		end = plainRunEnd(d, end)
	} else if flagged := specialBytes(load64(d, end)); flagged != 0 {
		end += bits.TrailingZeros64(flagged) >> 3
	} else {
		end = plainRunEnd(d, end+8)
	}
	if end < len(d) && d[end] == '"' {
		s, plain, pos = d[pos+1:end], true, end+1
	} else if s, pos, plain, ok = w.str(pos); !ok {
		return false
	}
	if f = &w.frames[len(w.frames)-1]; f.follow >= 0 {
		// The object's keys so far are its depth's shape's: this one too? Then it is distinct
		// from them and not masked. (A key of at most 8 bytes, with 8 bytes of text after
		// both, is compared in one word.)
		sh, k := &w.shapes[len(w.frames)-1], f.follow
		if k < sh.keys && plain && len(sh.key[k]) == len(s) {
			if a, b := start+1, sh.at[k]; len(s) <= 8 && a <= len(d)-8 && b <= len(d)-8 {
				if (load64(d, a)^load64(d, b))<<(64-8*len(s)) == 0 {
					goto known
				}
			} else if s == d[b:b+len(s)] {
				goto known
			}
		}
		w.diverge(f, sh, k)
	}
	// The duplicate check (checkDuplicate's), inline for an object of a few keys.
	if f.seen == nil && len(w.keys)-f.keyStart < dupIndexMin {
		for _, k := range w.keys[f.keyStart:] {
			if k == s {
				return false
			}
		}
		w.keys = append(w.keys, s)
	} else if w.checkDuplicate(f, s) != nil {
		return false
	}
	if !plain {
		w.edit(start, pos, s)
	}
	if pos = w.colon(pos); pos < 0 {
		return false
	}
	if mask, masked := w.r.MaskMember(s); masked {
		if pos = w.skipMasked(pos, mask); pos < 0 {
			return false
		}
		goto next
	}
	// Not masked: the key extends its depth's shape when the object's keys so far are it.
	if f.follow == -1 && plain {
		if sh, k := &w.shapes[len(w.frames)-1], len(w.keys)-f.keyStart-1; k == sh.keys && k < shapeKeys {
			sh.at[k], sh.key[k], sh.keys = start+1, s, k+1
			sh.word[k], sh.mask[k], sh.adv[k] = 1, 0, len(s)+2
			if len(s) <= 6 && start <= len(d)-8 {
				if len(s) <= 5 && d[start+len(s)+2] == ':' {
					sh.adv[k] = len(s) + 3
				}
				sh.mask[k] = 1<<(8*sh.adv[k]) - 1
				sh.word[k] = load64(d, start) & sh.mask[k]
			}
		}
	}
	f.field = s
	member = start
	goto value

known: // a key of the object's shape, followed
	f.follow++
	if pos = w.colon(pos); pos < 0 {
		return false
	}
	f.field = s
	member = start
	goto value
}

// colon reads the ':' after a key at pos, with the whitespace around it: the position after
// them, or -1 when no ':' follows.
func (w *sourceEncoder) colon(pos int) int {
	d := w.p.data
	if pos < len(d) && d[pos] <= ' ' {
		pos = w.space(pos)
	}
	if pos >= len(d) || d[pos] != ':' {
		return -1
	}
	if pos++; pos < len(d) && d[pos] <= ' ' {
		pos = w.space(pos)
	}
	return pos
}

func hasPrefixAt(d string, pos int, s string) bool {
	return len(d)-pos >= len(s) && d[pos:pos+len(s)] == s
}

// open pushes the frame of a container; false past MaxDepth (the tree path answers then).
func (w *sourceEncoder) open(object bool) bool {
	if len(w.frames) >= MaxDepth {
		return false
	}
	f := newFrame(w.frames, len(w.keys), object)
	if len(w.frames) >= shapeDepths {
		f.follow = -2
	}
	w.frames = append(w.frames, f)
	return true
}

// diverge ends f's run of its depth's shape sh after k keys: they go to keys (the duplicate
// check compares the next ones with them) and the shape is cut to them (f's keys from here on
// may replace the rest). A first key that is not the shape's is a miss: after shapeMisses in a
// row, the shape is none (keys -1: no key follows it or extends it) until shapeRetry objects
// later, when it is empty again (the next object's keys are learnt).
func (w *sourceEncoder) diverge(f *redactFrame, sh *shape, k int) {
	f.follow = -1
	if k > 0 {
		for i := 0; i < k; i++ {
			w.keys = append(w.keys, sh.key[i])
		}
		sh.keys, sh.miss = k, 0
		return
	}
	if sh.keys == 0 { // no shape yet: this object's keys are learnt
		return
	}
	switch sh.miss++; {
	case sh.miss < shapeMisses:
		sh.keys = 0
	case sh.miss < shapeMisses+shapeRetry:
		sh.keys, f.follow = -1, -2
	default:
		sh.keys, sh.miss = 0, shapeMisses-1
	}
}

// close pops the innermost frame; an object that followed its shape (some keys, and no other
// key after them) resets the shape's misses.
func (w *sourceEncoder) close() {
	n := len(w.frames) - 1
	f := &w.frames[n]
	if f.follow > 0 {
		w.shapes[n].miss = 0
	}
	w.keys = w.keys[:f.keyStart]
	w.frames = w.frames[:n]
}

// number reads the number at pos and returns the position after it (-1: a syntax error). An
// integer is written as it is spelled (its JSON text is Python's, -0 aside), any other
// number as Python writes it.
func (w *sourceEncoder) number(pos int) int {
	d := w.p.data
	start, i := pos, pos
	if d[i] == '-' {
		i++
	}
	j := i
	for j < len(d) && isDigit(d[j]) {
		j++
	}
	if j > i && j-i <= MaxIntDigits && (d[i] != '0' || j == i+1) &&
		(j == len(d) || d[j] != '.' && d[j] != 'e' && d[j] != 'E') {
		if j-start == 2 && d[start] == '-' && d[i] == '0' {
			w.editASCII(start, j, "0") // -0 is the integer 0 in Python
		}
		return j
	}
	w.p.pos = pos
	n, err := w.p.number()
	if err != nil {
		return -1
	}
	if text := n.String(); d[start:w.p.pos] != text {
		w.editASCII(start, w.p.pos, text)
	}
	return w.p.pos
}

// skipMasked writes mask in place of the value at pos, which it reads (the grammar's checks)
// and drops; it returns the position after the value (-1: a syntax error).
func (w *sourceEncoder) skipMasked(pos int, mask string) int {
	sp := parser{data: w.p.data, pos: pos, h: discard{}}
	if sp.value(len(w.frames)) != nil {
		return -1
	}
	if sp.nonASCII {
		w.p.nonASCII = true // the dropped value's strings are the text's too
	}
	w.edit(pos, sp.pos, mask)
	return sp.pos
}

// discard is the handler that keeps nothing: the grammar's checks alone.
type discard struct{}

func (discard) null()              {}
func (discard) boolean(bool)       {}
func (discard) number(Number)      {}
func (discard) str(string, bool)   {}
func (discard) other(Value)        {}
func (discard) beginObject() error { return nil }
func (discard) key(string, bool) error {
	return nil
}
func (discard) endObject()        {}
func (discard) beginArray() error { return nil }
func (discard) endArray()         {}
