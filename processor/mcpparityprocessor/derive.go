package mcpparityprocessor

import (
	"strings"
	"unicode"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// putDerived writes a value Python computes from a fact (the table's Derive column).
func (p *parityProcessor) putDerived(out pcommon.Map, r *mapping.Rename, k exportKey, f *spanFacts, c *counts) {
	v, ok := f.fact(k.from, r.From)
	switch r.Derive {
	case mapping.DeriveTeamScope:
		// format_trace_team_scope(token_teams) if token_teams is not None else None.
		if !ok {
			f.blocked = append(f.blocked, r.To)
			return
		}
		if v.Type() != pcommon.ValueTypeSlice {
			f.malformed = true
		}
		p.putStr(out, k, formatTeamScopeValue(v), c)
	case mapping.DeriveResourceType:
		uri := ""
		if ok {
			uri = asText(v)
		}
		if strings.Contains(uri, "{") && strings.Contains(uri, "}") {
			c.put(out, r.To, "template")
		} else {
			c.put(out, r.To, "static")
		}
	case mapping.DeriveHTTPURL:
		if ok && strings.HasPrefix(asText(v), "http") {
			p.putStr(out, k, asText(v), c) // an URL-like key: the URL sanitizer
		}
	case mapping.DeriveReprSize:
		// `if content: set_span_attribute(span, "content.size", len(str(content)))`.
		if !ok {
			return
		}
		parsed, err := payload.ParseString(asText(v))
		obj, isObj := parsed.(*payload.Object)
		if err != nil || !isObj {
			f.malformed = true
			return
		}
		out.PutInt(r.To, int64(resourceContentReprLen(obj)))
	}
}

// resourceContentFields: ResourceContent's fields in declaration order, with their JSON alias.
var resourceContentFields = [...][2]string{
	{"type", "type"}, {"id", "id"}, {"uri", "uri"}, {"mime_type", "mimeType"},
	{"text", "text"}, {"blob", "blob"}, {"meta", "_meta"},
}

// resourceContentReprLen is len(str(ResourceContent(...))): pydantic's __str__ is
// `field=repr(value)` joined by spaces, in declaration order, Python repr semantics for values.
func resourceContentReprLen(o *payload.Object) int {
	var b strings.Builder
	for i, fld := range resourceContentFields {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(fld[0])
		b.WriteByte('=')
		v, _ := o.Get(fld[1])
		if s, ok := v.(string); ok && fld[0] == "blob" {
			b.WriteByte('b') // Optional[bytes]
			pyReprString(&b, s)
			continue
		}
		pyRepr(&b, v)
	}
	return len([]rune(b.String()))
}

// pyRepr writes Python's repr of a JSON value (dict, list, str, int/float, bool, None).
func pyRepr(b *strings.Builder, v payload.Value) {
	switch x := v.(type) {
	case nil:
		b.WriteString("None")
	case bool:
		if x {
			b.WriteString("True")
		} else {
			b.WriteString("False")
		}
	case string:
		pyReprString(b, x)
	case []payload.Value:
		b.WriteByte('[')
		for i, item := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			pyRepr(b, item)
		}
		b.WriteByte(']')
	case *payload.Object:
		b.WriteByte('{')
		for i := 0; i < x.Len(); i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			pyReprString(b, x.Key(i))
			b.WriteString(": ")
			pyRepr(b, x.Value(i))
		}
		b.WriteByte('}')
	default:
		b.WriteString(payload.Encode(x)) // numbers: JSON and Python spell integers alike
	}
}

// pyReprString is Python's str.__repr__: single quotes unless the text has ' and no ", the
// backslash, the quote, \t \n \r escaped, other non-printable characters as \xNN / \uNNNN / \UNNNNNNNN.
func pyReprString(b *strings.Builder, s string) {
	quote := byte('\'')
	if strings.ContainsRune(s, '\'') && !strings.ContainsRune(s, '"') {
		quote = '"'
	}
	b.WriteByte(quote)
	for _, r := range s {
		switch {
		case r == '\\':
			b.WriteString(`\\`)
		case r == rune(quote):
			b.WriteByte('\\')
			b.WriteByte(quote)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			b.WriteString(`\x`)
			b.WriteString(hex2(uint32(r), 2))
		case r >= 0x80 && !pyPrintable(r):
			if r <= 0xff {
				b.WriteString(`\x`)
				b.WriteString(hex2(uint32(r), 2))
			} else if r <= 0xffff {
				b.WriteString(`\u`)
				b.WriteString(hex2(uint32(r), 4))
			} else {
				b.WriteString(`\U`)
				b.WriteString(hex2(uint32(r), 8))
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(quote)
}

// pyPrintable approximates str.isprintable for one non-ASCII character (letters, marks, numbers,
// punctuation, symbols; no separators, controls, format or private-use characters).
func pyPrintable(r rune) bool { return unicode.IsPrint(r) }

func hex2(v uint32, width int) string {
	const digits = "0123456789abcdef"
	out := make([]byte, width)
	for i := width - 1; i >= 0; i-- {
		out[i] = digits[v&0xf]
		v >>= 4
	}
	return string(out)
}
