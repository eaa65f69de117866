package payload

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// DefaultMaxSize is the gateway's default OTEL_MAX_TRACE_PAYLOAD_SIZE, in characters.
const DefaultMaxSize = 32768

const hexDigits = "0123456789abcdef"

var errTooDeepEncode = errors.New("value nested deeper than payload.MaxDepth")

// encoder writes compact JSON like Python's json.dumps(v, ensure_ascii=False,
// separators=(",", ":"), default=str). It counts code points as it goes and, when limit
// is >= 0, keeps only the first limit code points of the text (total still counts all).
type encoder struct {
	buf   strings.Builder // String() hands the text over without a copy
	limit int             // code points to keep; < 0 keeps everything
	kept  int             // code points kept in buf
	total int             // code points written in all
}

// writeASCII writes s, which holds only ASCII.
func (e *encoder) writeASCII(s string) {
	e.total += len(s)
	if e.limit < 0 {
		e.buf.WriteString(s)
		e.kept += len(s)
		return
	}
	if room := e.limit - e.kept; room > 0 {
		if len(s) > room {
			s = s[:room]
		}
		e.buf.WriteString(s)
		e.kept += len(s)
	}
}

func (e *encoder) writeByte(c byte) {
	e.total++
	if e.limit < 0 || e.kept < e.limit {
		e.buf.WriteByte(c)
		e.kept++
	}
}

// writePlain writes s, printable ASCII without '"' or '\\' (plainStringByte only), as a JSON
// string: s in quotes, one code point per byte.
func (e *encoder) writePlain(s string) {
	if e.limit < 0 || e.kept+len(s)+2 <= e.limit {
		e.total += len(s) + 2
		e.kept += len(s) + 2
		e.buf.WriteByte('"')
		e.buf.WriteString(s)
		e.buf.WriteByte('"')
		return
	}
	e.writeByte('"')
	e.writeASCII(s)
	e.writeByte('"')
}

// writeString writes s as a JSON string: only '"', '\\' and control characters below 0x20
// are escaped (\n \r \t \b \f, else \u00xx); invalid UTF-8 bytes become U+FFFD.
func (e *encoder) writeString(s string) {
	// Most strings (every key, most values) are printable ASCII without quotes or backslashes:
	// written whole, with their quotes, in one step when they fit.
	plain := plainRunEnd(s, 0)
	if plain == len(s) {
		e.writePlain(s)
		return
	}
	e.writeByte('"')
	start := 0     // start of the pending run of unescaped bytes
	runes := plain // code points in the pending run (s[:plain] is plain ASCII)
	flush := func(end int) {
		if start < end {
			e.writeRun(s[start:end], runes)
		}
		runes = 0
	}
	for i := plain; i < len(s); {
		c := s[i]
		if plainStringByte[c] {
			j := plainRunEnd(s, i+1)
			runes += j - i
			i = j
			continue
		}
		if c < utf8.RuneSelf {
			flush(i)
			switch c {
			case '"':
				e.writeASCII(`\"`)
			case '\\':
				e.writeASCII(`\\`)
			case '\n':
				e.writeASCII(`\n`)
			case '\r':
				e.writeASCII(`\r`)
			case '\t':
				e.writeASCII(`\t`)
			case '\b':
				e.writeASCII(`\b`)
			case '\f':
				e.writeASCII(`\f`)
			default:
				e.writeASCII(`\u00` + string(hexDigits[c>>4]) + string(hexDigits[c&0xf]))
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			flush(i)
			e.writeRun("\uFFFD", 1)
			i++
			start = i
			continue
		}
		i += size
		runes++
	}
	flush(len(s))
	e.writeByte('"')
}

// writeRun writes valid UTF-8 text of n code points without escaping.
func (e *encoder) writeRun(s string, n int) {
	e.total += n
	if e.limit < 0 {
		e.buf.WriteString(s)
		e.kept += n
		return
	}
	room := e.limit - e.kept
	if room <= 0 {
		return
	}
	if n <= room {
		e.buf.WriteString(s)
		e.kept += n
		return
	}
	cut := 0
	for k := 0; k < room; k++ {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
	}
	e.buf.WriteString(s[:cut])
	e.kept += room
}

func (e *encoder) value(v Value, depth int) error {
	switch x := v.(type) {
	case nil:
		e.writeASCII("null")
	case bool:
		if x {
			e.writeASCII("true")
		} else {
			e.writeASCII("false")
		}
	case string:
		e.writeString(x)
	case Number:
		e.writeASCII(x.String())
	case *Number:
		if x == nil {
			e.writeASCII("null")
		} else {
			e.writeASCII(x.String())
		}
	case int:
		e.writeASCII(strconv.Itoa(x))
	case int64:
		e.writeASCII(strconv.FormatInt(x, 10))
	case uint64:
		e.writeASCII(strconv.FormatUint(x, 10))
	case float64:
		e.writeASCII(formatFloat(x))
	case []Value:
		if depth >= MaxDepth {
			return errTooDeepEncode
		}
		e.writeByte('[')
		for i, item := range x {
			if i > 0 {
				e.writeByte(',')
			}
			if err := e.value(item, depth+1); err != nil {
				return err
			}
		}
		e.writeByte(']')
	case *Object:
		if x == nil {
			e.writeASCII("null")
			return nil
		}
		if depth >= MaxDepth {
			return errTooDeepEncode
		}
		e.writeByte('{')
		for i := range x.keys {
			if i > 0 {
				e.writeByte(',')
			}
			e.writeString(x.keys[i])
			e.writeByte(':')
			if err := e.value(x.values[i], depth+1); err != nil {
				return err
			}
		}
		e.writeByte('}')
	default:
		// Python's default=str: a non-JSON value encodes as the string of its text.
		e.writeString(fmt.Sprintf("%v", x))
	}
	return nil
}

// Encode returns json.dumps(v, ensure_ascii=False, separators=(",", ":"), default=str).
// A value nested deeper than MaxDepth encodes as {"_error":"serialization_failed"}, the
// answer Python's safe_serialize gives when encoding fails.
func Encode(v Value) string {
	e := encoder{limit: -1}
	if err := e.value(v, 0); err != nil {
		return serializationFailed
	}
	return e.buf.String()
}

const (
	serializationFailed = `{"_error":"serialization_failed"}`
	minimalTruncated    = `{"_truncated":true}`
)

// Serialize mirrors the gateway's safe_serialize: the compact JSON of v when it has at most
// maxSize code points, else {"_truncated":true,"_original_size":N,"_preview":P} where P is a
// prefix of the compact JSON shrunk by Python's loop (the wrapper normally ends maxSize-1
// code points long), else {"_truncated":true} cut to maxSize; {"_error":"serialization_failed"}
// when v cannot be encoded. maxSize 0 means DefaultMaxSize (Python's "max_size or default").
func Serialize(v Value, maxSize int) string {
	if maxSize == 0 {
		maxSize = DefaultMaxSize
	}
	limit := maxSize
	if limit < 0 {
		limit = 0
	}
	e := encoder{limit: limit}
	e.buf.Grow(256)
	if err := e.value(v, 0); err != nil {
		return serializationFailed
	}
	if e.total <= maxSize {
		return e.buf.String()
	}
	return truncationWrapper(e.buf.String(), e.total, maxSize)
}

// escapedLen is the number of code points r takes inside a JSON string.
func escapedLen(r rune) int {
	switch {
	case r == '"' || r == '\\' || r == '\n' || r == '\r' || r == '\t' || r == '\b' || r == '\f':
		return 2
	case r < 0x20:
		return 6
	}
	return 1
}

// truncationWrapper mirrors _bounded_truncation_wrapper: shrink the preview by overflow+1
// code points per pass until the wrapper fits.
func truncationWrapper(preview string, total, maxSize int) string {
	head := `{"_truncated":true,"_original_size":` + strconv.Itoa(total) + `,"_preview":`
	// n code points of preview (ending at byte end) take esc code points once escaped;
	// dropping runes from the end keeps this O(dropped).
	n, esc, end := 0, 0, len(preview)
	for _, r := range preview {
		n++
		esc += escapedLen(r)
	}
	wrappedLen := func() int { return len(head) + 2 + esc + 1 }
	for wrappedLen() > maxSize && n > 0 {
		drop := min(n, wrappedLen()-maxSize+1)
		for k := 0; k < drop; k++ {
			r, size := utf8.DecodeLastRuneInString(preview[:end])
			end -= size
			esc -= escapedLen(r)
		}
		n -= drop
	}
	if wrappedLen() <= maxSize {
		e := encoder{limit: -1}
		e.buf.Grow(len(head) + end + 8)
		e.buf.WriteString(head)
		e.writeString(preview[:end])
		e.buf.WriteByte('}')
		return e.buf.String()
	}
	if len(minimalTruncated) <= maxSize {
		return minimalTruncated
	}
	// Python's minimal[:max_size], negative sizes included.
	cut := maxSize
	if cut < 0 {
		cut = max(0, len(minimalTruncated)+cut)
	}
	return minimalTruncated[:cut]
}
