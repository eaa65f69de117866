package payload

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of arrays and objects Parse accepts, and the depth past
// which Encode reports a failure. Python's json gives up near the same depth (its default
// recursion limit is 1000).
const MaxDepth = 1000

// MaxIntDigits is the longest integer Parse accepts: Python 3.11 refuses to convert integer
// strings of more than 4300 digits (sys.int_info.default_max_str_digits).
const MaxIntDigits = 4300

// SyntaxError says what is wrong with the JSON text and at which byte offset.
type SyntaxError struct {
	Msg    string
	Offset int
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("json: %s at offset %d", e.Msg, e.Offset) }

// ErrTooDeep is wrapped by the error Parse returns for nesting deeper than MaxDepth.
var ErrTooDeep = errors.New("nesting deeper than payload.MaxDepth")

// Parse reads one JSON value like Python's json.loads: key order kept, duplicate keys keep
// their first position and last value, integers stay exact (up to MaxIntDigits digits),
// NaN, Infinity and -Infinity are accepted, only " \t\n\r" is whitespace, raw control
// characters inside strings are refused. Deviations, for safety: invalid UTF-8 bytes and
// lone surrogate escapes become U+FFFD (Go strings cannot hold lone surrogates), and nesting
// deeper than MaxDepth is an error wrapping ErrTooDeep.
func Parse(data []byte) (Value, error) { return ParseString(string(data)) }

// ParseString is Parse of a string. Strings without escapes in the result share the input's
// memory (they are substrings of text), so parsing copies little.
func ParseString(text string) (Value, error) {
	b := newTreeBuilder()
	defer b.release()
	if err := parseEvents(text, b); err != nil {
		return nil, err
	}
	return b.root, nil
}

// handler receives the values of a JSON text in document order (depth first): the tree
// builder (Parse), the redacting encoder (the tree walk, SerializeRedacted), the tool-result
// scanner and discard (the grammar's checks alone). The streaming pass of
// SerializeJSONRedacted (sourceEncoder.run) reads the text in a loop of its own instead, with
// the parser's string and number scanners and the same checks; whatever it does not take
// (bad JSON among them) is read by this parser again.
type handler interface {
	null()
	boolean(b bool)
	number(n Number)
	// str and key get plain true when s is printable ASCII without '"' or '\\' (the parser
	// saw it so): its JSON encoding is s in quotes, so the encoder need not scan it again.
	str(s string, plain bool)
	other(v Value) // a Go value that is not a JSON type (tree walks only)
	beginObject() error
	key(k string, plain bool) error
	endObject()
	beginArray() error
	endArray()
}

// parseEvents reads one JSON value from text (the grammar of Parse) and reports it to h.
func parseEvents(text string, h handler) error {
	p := parser{data: text, h: h}
	return p.run()
}

// run reads one JSON value from p.data and reports it to p.h.
func (p *parser) run() error {
	p.skipSpace()
	if err := p.value(0); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos != len(p.data) {
		return p.fail("extra data")
	}
	return nil
}

type parser struct {
	data string
	pos  int
	buf  []byte // scratch for strings with escapes
	h    handler
	// nonASCII: a string read so far held a byte >= 0x80 (maybe invalid UTF-8, which str
	// repairs silently). A text read whole (no error) with nonASCII false is ASCII: outside
	// strings the grammar takes ASCII bytes only.
	nonASCII bool
}

func (p *parser) fail(msg string) error { return &SyntaxError{Msg: msg, Offset: p.pos} }

func (p *parser) skipSpace() {
	for p.pos < len(p.data) {
		// Every byte a JSON token or punctuation starts with is above ' ': one test, most times.
		if c := p.data[p.pos]; c > ' ' || c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return
		}
		p.pos++
	}
}

func (p *parser) hasPrefix(s string) bool {
	return len(p.data)-p.pos >= len(s) && p.data[p.pos:p.pos+len(s)] == s
}

func (p *parser) value(depth int) error {
	if p.pos >= len(p.data) {
		return p.fail("expecting value")
	}
	switch c := p.data[p.pos]; {
	case c == '{':
		return p.object(depth + 1)
	case c == '[':
		return p.array(depth + 1)
	case c == '"':
		s, plain, err := p.str()
		if err != nil {
			return err
		}
		p.h.str(s, plain)
		return nil
	case c == 'n' && p.hasPrefix("null"):
		p.pos += 4
		p.h.null()
		return nil
	case c == 't' && p.hasPrefix("true"):
		p.pos += 4
		p.h.boolean(true)
		return nil
	case c == 'f' && p.hasPrefix("false"):
		p.pos += 5
		p.h.boolean(false)
		return nil
	case c == 'N' && p.hasPrefix("NaN"):
		p.pos += 3
		p.h.number(FloatNumber(math.NaN()))
		return nil
	case c == 'I' && p.hasPrefix("Infinity"):
		p.pos += 8
		p.h.number(FloatNumber(math.Inf(1)))
		return nil
	case c == '-' && p.hasPrefix("-Infinity"):
		p.pos += 9
		p.h.number(FloatNumber(math.Inf(-1)))
		return nil
	case c == '-' || (c >= '0' && c <= '9'):
		n, err := p.number()
		if err != nil {
			return err
		}
		p.h.number(n)
		return nil
	}
	return p.fail("expecting value")
}

func (p *parser) object(depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w (%d) at offset %d", ErrTooDeep, MaxDepth, p.pos)
	}
	p.pos++ // {
	if err := p.h.beginObject(); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == '}' {
		p.pos++
		p.h.endObject()
		return nil
	}
	for {
		if p.pos >= len(p.data) || p.data[p.pos] != '"' {
			return p.fail("expecting property name enclosed in double quotes")
		}
		k, plain, err := p.str()
		if err != nil {
			return err
		}
		p.skipSpace()
		if p.pos >= len(p.data) || p.data[p.pos] != ':' {
			return p.fail("expecting ':' delimiter")
		}
		p.pos++
		p.skipSpace()
		if err := p.h.key(k, plain); err != nil {
			return err
		}
		if err := p.value(depth); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ',' {
			p.pos++
			p.skipSpace()
			continue
		}
		if p.pos < len(p.data) && p.data[p.pos] == '}' {
			p.pos++
			p.h.endObject()
			return nil
		}
		return p.fail("expecting ',' delimiter")
	}
}

func (p *parser) array(depth int) error {
	if depth > MaxDepth {
		return fmt.Errorf("%w (%d) at offset %d", ErrTooDeep, MaxDepth, p.pos)
	}
	p.pos++ // [
	if err := p.h.beginArray(); err != nil {
		return err
	}
	p.skipSpace()
	if p.pos < len(p.data) && p.data[p.pos] == ']' {
		p.pos++
		p.h.endArray()
		return nil
	}
	for {
		if err := p.value(depth); err != nil {
			return err
		}
		p.skipSpace()
		if p.pos < len(p.data) && p.data[p.pos] == ',' {
			p.pos++
			p.skipSpace()
			continue
		}
		if p.pos < len(p.data) && p.data[p.pos] == ']' {
			p.pos++
			p.h.endArray()
			return nil
		}
		return p.fail("expecting ',' delimiter")
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *parser) number() (Number, error) {
	start := p.pos
	if p.data[p.pos] == '-' {
		p.pos++
	}
	if p.pos >= len(p.data) || !isDigit(p.data[p.pos]) {
		return Number{}, p.fail("expecting value")
	}
	if p.data[p.pos] == '0' {
		p.pos++
	} else {
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
	}
	isFloat := false
	// A fraction or exponent only counts when complete (Python's NUMBER_RE); otherwise the
	// number ends before it and the leftover is a syntax error later.
	if p.pos+1 < len(p.data) && p.data[p.pos] == '.' && isDigit(p.data[p.pos+1]) {
		p.pos += 2
		for p.pos < len(p.data) && isDigit(p.data[p.pos]) {
			p.pos++
		}
		isFloat = true
	}
	if p.pos < len(p.data) && (p.data[p.pos] == 'e' || p.data[p.pos] == 'E') {
		q := p.pos + 1
		if q < len(p.data) && (p.data[q] == '+' || p.data[q] == '-') {
			q++
		}
		if q < len(p.data) && isDigit(p.data[q]) {
			for q < len(p.data) && isDigit(p.data[q]) {
				q++
			}
			p.pos = q
			isFloat = true
		}
	}
	text := p.data[start:p.pos] // a substring: no copy
	if isFloat {
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !errors.Is(err, strconv.ErrRange) { // out of range: ±Inf or ±0, as Python's float()
			return Number{}, &SyntaxError{Msg: "bad number", Offset: start}
		}
		return FloatNumber(f), nil
	}
	digits := strings.TrimPrefix(text, "-")
	if len(digits) > MaxIntDigits {
		return Number{}, &SyntaxError{Msg: fmt.Sprintf("integer of %d digits exceeds the limit of %d", len(digits), MaxIntDigits), Offset: start}
	}
	if digits == "0" {
		return Number{text: "0"}, nil // -0 is the integer 0 in Python
	}
	return Number{text: text}, nil // JSON integers are canonical already (no '+', no leading 0)
}

func hexVal(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return rune(c-'A') + 10
	}
	return -1
}

func (p *parser) hex4(at int) rune {
	if at+4 > len(p.data) {
		return -1
	}
	var r rune
	for i := 0; i < 4; i++ {
		h := hexVal(p.data[at+i])
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

// str reads a string; plain reports that it is printable ASCII without escapes (see handler).
func (p *parser) str() (_ string, plain bool, _ error) {
	p.pos++ // opening quote
	start := p.pos
	// Fast path: no escapes, valid UTF-8.
	ascii := true
	for p.pos < len(p.data) {
		c := p.data[p.pos]
		if plainStringByte[c] {
			p.pos = plainRunEnd(p.data, p.pos+1)
			continue
		}
		if c >= utf8.RuneSelf {
			ascii = false
			p.pos++
			continue
		}
		if c == '"' {
			s := p.data[start:p.pos]
			p.pos++
			if ascii {
				return s, true, nil
			}
			p.nonASCII = true
			return ValidString(s), false, nil // a substring of the input unless it needs repair
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", false, p.fail("invalid control character in string")
		}
		p.pos++
	}
	if !ascii {
		p.nonASCII = true
	}
	b := append(p.buf[:0], p.data[start:p.pos]...)
	for {
		if p.pos >= len(p.data) {
			return "", false, &SyntaxError{Msg: "unterminated string", Offset: start - 1}
		}
		c := p.data[p.pos]
		switch {
		case c == '"':
			p.pos++
			p.buf = b
			if utf8.Valid(b) {
				return string(b), false, nil
			}
			return ValidString(string(b)), false, nil
		case c < 0x20:
			return "", false, p.fail("invalid control character in string")
		case c != '\\':
			// A run of bytes copied as they are (plain ASCII, non-ASCII) up to the next
			// quote, backslash or control byte, appended at once.
			end := p.pos + 1
			nonASCII := c >= utf8.RuneSelf
			for end < len(p.data) {
				if d := p.data[end]; plainStringByte[d] {
					end = plainRunEnd(p.data, end+1)
				} else if d >= utf8.RuneSelf {
					end++
					nonASCII = true
				} else {
					break
				}
			}
			if nonASCII {
				p.nonASCII = true
			}
			b = append(b, p.data[p.pos:end]...)
			p.pos = end
			continue
		}
		if p.pos+1 >= len(p.data) {
			return "", false, &SyntaxError{Msg: "unterminated string", Offset: start - 1}
		}
		esc := p.data[p.pos+1]
		switch esc {
		case '"', '\\', '/':
			b = append(b, esc)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := p.hex4(p.pos + 2)
			if r < 0 {
				return "", false, p.fail("invalid \\uXXXX escape")
			}
			p.pos += 6
			if utf16.IsSurrogate(r) {
				if r < 0xdc00 && p.pos+1 < len(p.data) && p.data[p.pos] == '\\' && p.data[p.pos+1] == 'u' {
					if r2 := p.hex4(p.pos + 2); r2 >= 0xdc00 && r2 <= 0xdfff {
						p.pos += 6
						b = utf8.AppendRune(b, utf16.DecodeRune(r, r2))
						continue
					}
				}
				r = utf8.RuneError // lone surrogate: Go strings cannot hold it
			}
			b = utf8.AppendRune(b, r)
			continue
		default:
			return "", false, p.fail("invalid \\escape")
		}
		p.pos += 2
	}
}

// ValidString returns s with every byte that is not part of valid UTF-8 replaced by U+FFFD
// (one replacement per invalid byte, as Go's range loop decodes it).
// plainStringByte marks the ASCII bytes a JSON string holds as they are (not '"', '\\' or a
// control character); the string loops of the parser and the encoder skip them in one test.
var plainStringByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// plainRunEnd returns the end of the run of plainStringByte bytes in s starting at i: eight
// bytes at a time while a word holds none of '"', '\\', a control byte or a non-ASCII byte,
// then byte by byte. In a word that holds one, the lowest flagged byte is the first such
// byte: a byte's subtraction borrows from the next one only when the byte itself is flagged,
// so a false flag always sits above a true one. A run still going after four words is long
// (a text, not a name): it goes on plainBlock bytes at a time (plainBlockClean), and the
// words take over again in the block that ends it.
func plainRunEnd(s string, i int) int {
	if i+32 <= len(s) {
		// The first four words, unrolled: most strings (keys, names, ids) end within them.
		w := s[i : i+32]
		if flagged := specialBytes(load64(w, 0)); flagged != 0 {
			return i + bits.TrailingZeros64(flagged)>>3
		}
		if flagged := specialBytes(load64(w, 8)); flagged != 0 {
			return i + 8 + bits.TrailingZeros64(flagged)>>3
		}
		if flagged := specialBytes(load64(w, 16)); flagged != 0 {
			return i + 16 + bits.TrailingZeros64(flagged)>>3
		}
		if flagged := specialBytes(load64(w, 24)); flagged != 0 {
			return i + 24 + bits.TrailingZeros64(flagged)>>3
		}
		for i += 32; i+plainBlock <= len(s) && plainBlockClean(s[i:i+plainBlock]); i += plainBlock {
		}
	}
	for ; i+8 <= len(s); i += 8 {
		if flagged := specialBytes(load64(s, i)); flagged != 0 {
			return i + bits.TrailingZeros64(flagged)>>3
		}
	}
	for i < len(s) && plainStringByte[s[i]] {
		i++
	}
	return i
}

// plainBlock is the length of plainRunEnd's blocks.
const plainBlock = 256

// plainBlockClean reports whether b (plainBlock bytes) holds only plainStringByte bytes: no
// '"' and no '\\' (strings.IndexByte, vector code on most machines), and no control or
// non-ASCII byte, 32 bytes at a time ((w - 0x20 per byte) | w has a high bit set for each
// such byte, and maybe above one, which does not matter here).
func plainBlockClean(b string) bool {
	if strings.IndexByte(b, '"') >= 0 || strings.IndexByte(b, '\\') >= 0 {
		return false
	}
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	var acc uint64
	for j := 0; j+32 <= len(b); j += 32 {
		w := b[j : j+32] // one bounds check for the four words
		w0, w1, w2, w3 := load64(w, 0), load64(w, 8), load64(w, 16), load64(w, 24)
		acc |= (w0 - 0x20*ones) | w0 | (w1 - 0x20*ones) | w1 | (w2 - 0x20*ones) | w2 | (w3 - 0x20*ones) | w3
	}
	return acc&highs == 0
}

// load64 is the word s[i:i+8], little-endian.
func load64(s string, i int) uint64 {
	w := s[i : i+8] // one bounds check: the eight loads below combine into one
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// specialBytes flags, by its high bit, each byte of the word v that is not a plainStringByte,
// and maybe bytes above the lowest such byte (see plainRunEnd): a byte < 0x20, == '"' or
// == '\\' borrows into its high bit; a non-ASCII byte has it set (the subtractions' flags on
// such a byte do not matter then).
func specialBytes(v uint64) uint64 {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	return ((v - 0x20*ones) | ((v ^ '"'*ones) - ones) | ((v ^ '\\'*ones) - ones) | v) & highs
}

func ValidString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	b := make([]byte, 0, len(s)+8)
	for _, r := range s {
		b = utf8.AppendRune(b, r)
	}
	return string(b)
}
