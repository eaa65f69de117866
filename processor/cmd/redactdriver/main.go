// Command redactdriver exposes the redaction engine to other test suites (the differential
// suite against the Python oracle). It reads one JSON request per line on stdin and writes
// exactly one JSON line per request on stdout:
//
//	{"fn":"sanitize_trace_text","text":S,"redact_fields":[…]}
//	{"fn":"sanitize_trace_attribute_value","key":K,"value":V,"redact_fields":[…]}
//	{"fn":"serialize_trace_payload","value":V,"max_size":N,"redact_fields":[…]}
//	{"fn":"sanitize_span_exception_message","text":S,"type":"Exception","redact_fields":[…]}
//	{"fn":"sanitize_url_for_logging","url":S}
//
// Answers are {"result": …}; a bad request gets {"error":"…"} and the driver goes on.
// "redact_fields" absent means the gateway default list; a list is joined with "," and read
// like the OTEL_REDACT_FIELDS setting (so [] means the module fallback list). "deviations":
// false turns deviation D3 off (oracle-exact); the default is on (product behaviour). When
// the oracle would raise ValueError (a URL urllib cannot parse), the answer also carries
// "oracle_raises":"ValueError: …" next to the engine's masked result.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
	"github.com/mcpparity/mcpparity/processor/internal/redact"
)

// maxLine bounds one request line (a 10 MB string plus JSON escaping fits).
const maxLine = 64 << 20

func main() {
	if err := run(os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "redactdriver:", err)
		os.Exit(1)
	}
}

type driver struct {
	mu    sync.Mutex
	cache map[string]*redact.Redactor // by fields setting + deviations flag
}

func run(in io.Reader, out io.Writer) error {
	d := &driver{cache: map[string]*redact.Redactor{}}
	r := bufio.NewReaderSize(in, 1<<16)
	w := bufio.NewWriterSize(out, 1<<16)
	defer w.Flush()
	for {
		line, err := readLine(r)
		if len(line) > 0 || err == nil {
			w.WriteString(d.handle(line))
			w.WriteByte('\n')
			// Flush when no more input is already waiting, so interactive callers get
			// each answer at once while piped batches stay buffered.
			if r.Buffered() == 0 {
				if ferr := w.Flush(); ferr != nil {
					return ferr
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// readLine returns one line without its newline; an over-long line is consumed and
// returned as a marker that handle reports as an error.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if len(buf)+len(chunk) <= maxLine {
			buf = append(buf, chunk...)
		} else {
			buf = append(buf[:0], tooLong...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if n := len(buf); n > 0 && buf[n-1] == '\n' {
			buf = buf[:n-1]
			if n := len(buf); n > 0 && buf[n-1] == '\r' {
				buf = buf[:n-1]
			}
		}
		return buf, err
	}
}

var tooLong = []byte("\x00line too long")

func errorLine(msg string) string {
	o := payload.NewObject(1)
	o.Set("error", msg)
	return payload.Encode(o)
}

func (d *driver) redactor(fields payload.Value, hasFields bool, deviations bool) (*redact.Redactor, error) {
	var list []string
	key := "default"
	if hasFields {
		arr, ok := fields.([]payload.Value)
		if !ok {
			return nil, fmt.Errorf("redact_fields must be a list of strings")
		}
		parts := make([]string, len(arr))
		for i, f := range arr {
			s, ok := f.(string)
			if !ok {
				return nil, fmt.Errorf("redact_fields[%d] must be a string", i)
			}
			parts[i] = s
		}
		setting := strings.Join(parts, ",")
		key = "list:" + setting
		list = redact.FieldsFromSetting(setting)
	}
	key = fmt.Sprintf("%t|%s", deviations, key)
	d.mu.Lock()
	defer d.mu.Unlock()
	if r, ok := d.cache[key]; ok {
		return r, nil
	}
	r := redact.New(list, redact.Options{JSONQuotedKeys: deviations})
	if len(d.cache) > 1024 {
		clear(d.cache)
	}
	d.cache[key] = r
	return r, nil
}

func (d *driver) handle(line []byte) string {
	if string(line) == string(tooLong) {
		return errorLine(fmt.Sprintf("line longer than %d bytes", maxLine))
	}
	v, err := payload.Parse(line)
	if err != nil {
		return errorLine("bad JSON: " + err.Error())
	}
	req, ok := v.(*payload.Object)
	if !ok {
		return errorLine("request must be a JSON object")
	}
	str := func(name string) (string, error) {
		x, ok := req.Get(name)
		if !ok {
			return "", fmt.Errorf("missing %q", name)
		}
		s, ok := x.(string)
		if !ok {
			return "", fmt.Errorf("%q must be a string", name)
		}
		return s, nil
	}
	fn, err := str("fn")
	if err != nil {
		return errorLine(err.Error())
	}
	deviations := true
	if x, ok := req.Get("deviations"); ok {
		b, isBool := x.(bool)
		if !isBool {
			return errorLine(`"deviations" must be true or false`)
		}
		deviations = b
	}
	fields, hasFields := req.Get("redact_fields")
	if hasFields && fields == nil {
		hasFields = false
	}
	rd, err := d.redactor(fields, hasFields, deviations)
	if err != nil {
		return errorLine(err.Error())
	}

	var result payload.Value
	var raised error
	switch fn {
	case "sanitize_trace_text":
		text, err := str("text")
		if err != nil {
			return errorLine(err.Error())
		}
		result, raised = rd.SanitizeTextStrict(text)
		if raised != nil {
			result = rd.SanitizeText(text)
		}
	case "sanitize_trace_attribute_value":
		key, err := str("key")
		if err != nil {
			return errorLine(err.Error())
		}
		value, ok := req.Get("value")
		if !ok {
			return errorLine(`missing "value"`)
		}
		result, raised = rd.SanitizeAttributeValueStrict(key, value)
	case "serialize_trace_payload":
		value, ok := req.Get("value")
		if !ok {
			return errorLine(`missing "value"`)
		}
		maxSize := 0
		if x, ok := req.Get("max_size"); ok && x != nil {
			n, isNum := x.(payload.Number)
			if !isNum || n.IsFloat() || len(n.String()) > 10 {
				return errorLine(`"max_size" must be an integer`)
			}
			fmt.Sscan(n.String(), &maxSize)
		}
		result, raised = rd.SerializeTracePayloadStrict(value, maxSize)
	case "sanitize_span_exception_message":
		text, err := str("text")
		if err != nil {
			return errorLine(err.Error())
		}
		typeName := "Exception"
		if _, ok := req.Get("type"); ok {
			if typeName, err = str("type"); err != nil {
				return errorLine(err.Error())
			}
		}
		_, raised = rd.SanitizeTextStrict(text)
		result = rd.SanitizeExceptionMessage(text, typeName)
	case "sanitize_url_for_logging":
		u, err := str("url")
		if err != nil {
			return errorLine(err.Error())
		}
		result, raised = redact.SanitizeURLStrict(u)
		if raised != nil {
			result = redact.SanitizeURL(u)
		}
	default:
		return errorLine(fmt.Sprintf("unknown fn %q", fn))
	}
	o := payload.NewObject(2)
	o.Set("result", result)
	if raised != nil {
		o.Set("oracle_raises", raised.Error())
	}
	return payload.Encode(o)
}
