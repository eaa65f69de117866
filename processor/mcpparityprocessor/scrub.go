package mcpparityprocessor

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// scrubForeign is the safety net on spans that are not raw: the Python runtime leaks raw text in
// status descriptions and SDK exception events, so those are sanitized; everything else is kept.
func (p *parityProcessor) scrubForeign(span ptrace.Span, c *counts) {
	if msg := span.Status().Message(); msg != "" {
		span.Status().SetMessage(p.boundText(msg, c))
	}
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		if ev.Name() != eventException {
			continue
		}
		p.scrubMap(ev.Attributes(), c)
	}
}

// scrubMap sanitizes every value of a map in place (key match, free text); nested values as text.
func (p *parityProcessor) scrubMap(m pcommon.Map, c *counts) {
	m.Range(func(k string, v pcommon.Value) bool {
		p.scrubValue(k, v, c)
		return true
	})
}

func (p *parityProcessor) scrubValue(key string, v pcommon.Value, c *counts) {
	if p.redactor.KeyMatches(key) {
		if !(v.Type() == pcommon.ValueTypeStr && v.Str() == mask) {
			c.redactions++
		}
		v.SetStr(mask)
		return
	}
	switch v.Type() {
	case pcommon.ValueTypeStr:
		s := p.bound(v.Str(), c)
		clean := p.redactor.SanitizeAttributeString(key, s)
		if clean != v.Str() {
			if clean != s {
				c.redactions++
			}
			v.SetStr(clean)
		}
	case pcommon.ValueTypeSlice:
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			p.scrubValue(key, sl.At(i), c)
		}
	case pcommon.ValueTypeMap:
		p.scrubMap(v.Map(), c)
	case pcommon.ValueTypeBytes:
		v.SetStr(p.boundText(string(v.Bytes().AsRaw()), c))
	}
}

// scrubAll is the fallback for a raw span the table cannot map: drop every cf.* and raw payload
// key, sanitize the rest, the name, the status and the events; still exported.
func (p *parityProcessor) scrubAll(span ptrace.Span, c *counts) {
	attrs := span.Attributes()
	attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return isRawOnlyKey(k) })
	if attrs.Len() > maxRawAttributes {
		trimMap(attrs, maxRawAttributes)
	}
	p.scrubMap(attrs, c)
	span.SetName(p.boundText(span.Name(), c))
	if msg := span.Status().Message(); msg != "" {
		span.Status().SetMessage(p.boundText(msg, c))
	}
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		ev.SetName(p.boundText(ev.Name(), c))
		ev.Attributes().RemoveIf(func(k string, _ pcommon.Value) bool { return k == keyExcStacktrace })
		p.scrubMap(ev.Attributes(), c)
	}
}

// asText is a raw value as text: bytes as their bytes (AsString would give base64, which hides a
// secret from the sanitizer), everything else as AsString (maps and slices as JSON).
func asText(v pcommon.Value) string {
	if v.Type() == pcommon.ValueTypeBytes {
		return string(v.Bytes().AsRaw())
	}
	return v.AsString()
}

// isRawOnlyKey: facts that never leave the processor.
func isRawOnlyKey(k string) bool {
	return strings.HasPrefix(k, mapping.KeyRawPrefix) || k == mapping.KeyToolCallArguments || k == mapping.KeyToolCallResult
}

// trimMap keeps the first n entries of m.
func trimMap(m pcommon.Map, n int) {
	i := 0
	m.RemoveIf(func(string, pcommon.Value) bool {
		i++
		return i > n
	})
}
