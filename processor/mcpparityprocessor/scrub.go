package mcpparityprocessor

import (
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// One scrub covers every string of a span that is not a trusted contract span: its name, its
// attributes (key match, URL and free-text rules, JSON values in one structured pass), every
// event and its name, every link (attributes and trace state), its status, its trace state.
// scrubForeign serves foreign spans (scrub_foreign_spans); scrubAll serves raw spans the
// table cannot map and spans that only look like ours (untrusted raw), after dropping every
// raw fact. On what the Python runtime already sanitized it changes nothing but the status
// description (D1) and the exception events (D2): TestScrubIdempotentOnPythonSpans.

// scrubForeign sanitizes every string of a foreign span in place.
func (p *parityProcessor) scrubForeign(span ptrace.Span, c *counts) {
	span.SetName(p.boundText(span.Name(), c))
	p.scrubMap(span.Attributes(), c)
	p.scrubSpanRest(span, c)
}

// scrubAll is the fallback for a raw span the table cannot map or that only looks like ours:
// drop every cf.* and raw payload key, sanitize every remaining string; still exported.
func (p *parityProcessor) scrubAll(span ptrace.Span, c *counts) {
	attrs := span.Attributes()
	attrs.RemoveIf(func(k string, _ pcommon.Value) bool { return isRawOnlyKey(k) })
	if attrs.Len() > maxRawAttributes {
		trimMap(attrs, maxRawAttributes)
	}
	p.scrubMap(attrs, c)
	span.SetName(p.boundText(span.Name(), c))
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		ev.Attributes().RemoveIf(func(k string, _ pcommon.Value) bool { return k == keyExcStacktrace || isRawOnlyKey(k) })
	}
	p.scrubSpanRest(span, c)
}

// scrubSpanRest sanitizes the status, events, links and trace state of a span.
func (p *parityProcessor) scrubSpanRest(span ptrace.Span, c *counts) {
	if msg := span.Status().Message(); msg != "" {
		span.Status().SetMessage(p.boundText(msg, c))
	}
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		ev.SetName(p.boundText(ev.Name(), c))
		p.scrubMap(ev.Attributes(), c)
	}
	p.scrubLinks(span, c)
}

// scrubLinks sanitizes the trace state of a span and the attributes and trace states of its links.
func (p *parityProcessor) scrubLinks(span ptrace.Span, c *counts) {
	if s := span.TraceState().AsRaw(); s != "" { // a request's spans carry its trace state: a slot
		if clean := p.exportString(p.ck.traceState, s, c); clean != s { // boundText
			span.TraceState().FromRaw(clean)
		}
	}
	links := span.Links()
	for i := 0; i < links.Len(); i++ {
		l := links.At(i)
		p.scrubTraceState(l.TraceState(), c)
		p.scrubMap(l.Attributes(), c)
	}
}

func (p *parityProcessor) scrubTraceState(ts pcommon.TraceState, c *counts) {
	if s := ts.AsRaw(); s != "" {
		if clean := p.boundText(s, c); clean != s {
			ts.FromRaw(clean)
		}
	}
}

// scrubScope sanitizes the name, version and attributes of an instrumentation scope.
func (p *parityProcessor) scrubScope(sc pcommon.InstrumentationScope, c *counts) {
	sc.SetName(p.validText(sc.Name(), c))
	sc.SetVersion(p.exportString(p.ck.scopeVersion, sc.Version(), c)) // boundText
	p.scrubMap(sc.Attributes(), c)
}

// scrubResource is scrubMap over a resource's attributes. A resource repeats its attributes
// from request to request: a string value the rules left unchanged, met again under the same key
// at the same place, is unchanged again (sanitizing is a function of the key and the value, and
// an unchanged value counts nothing), so the scratch remembers the first maxKeptResource such
// values (transformScratch.resource) and skips them.
func (p *parityProcessor) scrubResource(m pcommon.Map, c *counts) {
	p.validKeys(m, c)
	kept := &c.transformScratch(p).resource
	i := 0
	m.Range(func(k string, v pcommon.Value) bool {
		if i >= maxKeptResource || v.Type() != pcommon.ValueTypeStr {
			p.scrubValue(k, v, c)
			if i < maxKeptResource {
				kept[i] = keptAttribute{}
			}
			i++
			return true
		}
		e := &kept[i]
		i++
		s := v.Str()
		if e.set && e.key == k && e.value == s {
			return true
		}
		p.scrubValue(k, v, c)
		if v.Type() == pcommon.ValueTypeStr && v.Str() == s {
			*e = keptAttribute{key: k, value: s, set: true, batch: true}
		} else {
			*e = keptAttribute{}
		}
		return true
	})
}

// scrubMap sanitizes every value of a map in place; keys become valid UTF-8.
func (p *parityProcessor) scrubMap(m pcommon.Map, c *counts) {
	p.validKeys(m, c)
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
		if clean := p.scrubString(key, v.Str(), c); clean != v.Str() {
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
		// Bytes are exported as base64, which would hide a secret from every rule: as text.
		v.SetStr(p.scrubString(key, string(v.Bytes().AsRaw()), c))
	}
}

// scrubString is the untrusted form of sanitize_trace_attribute_value: a JSON object or array
// is redacted in one structured pass (kept byte for byte when nothing changes; no D4 damage);
// any other text goes through the free-text rules always and then through the URL rules when
// its key looks like a URL (a wrong-typed or foreign url.* value may hide `password=` or a
// Bearer token outside any URL); sanitized first, bounded after.
func (p *parityProcessor) scrubString(key, s string, c *counts) string {
	if p.redactor.KeyMatches(key) {
		c.redactions++
		return mask
	}
	s = p.validText(s, c)
	if looksLikeJSONContainer(s) {
		if out, redacted, err := p.redactor.SerializeTraceJSON(s, p.cfg.MaxTracePayloadSize); err == nil {
			if !redacted && utf8.RuneCountInString(s) <= p.cfg.MaxTracePayloadSize {
				return s
			}
			if redacted {
				c.redactions++
			}
			if strings.HasPrefix(out, `{"_truncated":true`) {
				c.truncations++
				c.bounded = true
			}
			return out
		}
	}
	// Free text first, then the URL rules under a URL-like key (attributeString, D10).
	clean := p.attributeString(key, s, c)
	if clean != s {
		c.redactions++
	}
	return p.cut(clean, c)
}

func looksLikeJSONContainer(s string) bool {
	s = strings.TrimLeft(s, " \t\r\n")
	return s != "" && (s[0] == '{' || s[0] == '[')
}

// validKeys replaces invalid UTF-8 in the keys of m (Python's exporter could never emit one).
// The rare map with such a key is rebuilt in order; a key that collides after repair is dropped.
func (p *parityProcessor) validKeys(m pcommon.Map, c *counts) {
	bad := false
	m.Range(func(k string, _ pcommon.Value) bool {
		bad = !utf8.ValidString(k)
		return !bad
	})
	if !bad {
		return
	}
	c.bounded = true
	fixed := pcommon.NewMap()
	fixed.EnsureCapacity(m.Len())
	m.Range(func(k string, v pcommon.Value) bool {
		k = strings.ToValidUTF8(k, "\uFFFD")
		if _, dup := fixed.Get(k); !dup {
			v.CopyTo(fixed.PutEmpty(k))
		}
		return true
	})
	fixed.MoveTo(m)
}

// validText makes s valid UTF-8 (invalid sequences become U+FFFD).
func (p *parityProcessor) validText(s string, c *counts) string {
	if utf8.ValidString(s) {
		return s
	}
	c.bounded = true
	return strings.ToValidUTF8(s, "\uFFFD")
}

// validUTF8Map repairs invalid UTF-8 in the keys and string values of m, nested ones too, and
// changes nothing else: the only guard on a foreign span when scrub_foreign_spans is off.
func (p *parityProcessor) validUTF8Map(m pcommon.Map, c *counts) {
	p.validKeys(m, c)
	m.Range(func(_ string, v pcommon.Value) bool {
		p.validUTF8Value(v, c)
		return true
	})
}

func (p *parityProcessor) validUTF8Value(v pcommon.Value, c *counts) {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		if !utf8.ValidString(v.Str()) {
			v.SetStr(p.validText(v.Str(), c))
		}
	case pcommon.ValueTypeSlice:
		sl := v.Slice()
		for i := 0; i < sl.Len(); i++ {
			p.validUTF8Value(sl.At(i), c)
		}
	case pcommon.ValueTypeMap:
		p.validUTF8Map(v.Map(), c)
	}
}

// validUTF8Span repairs invalid UTF-8 in every string of a span, and nothing else.
func (p *parityProcessor) validUTF8Span(span ptrace.Span, c *counts) {
	span.SetName(p.validText(span.Name(), c))
	p.validUTF8Map(span.Attributes(), c)
	span.Status().SetMessage(p.validText(span.Status().Message(), c))
	if ts := span.TraceState().AsRaw(); !utf8.ValidString(ts) {
		span.TraceState().FromRaw(p.validText(ts, c))
	}
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		ev.SetName(p.validText(ev.Name(), c))
		p.validUTF8Map(ev.Attributes(), c)
	}
	links := span.Links()
	for i := 0; i < links.Len(); i++ {
		l := links.At(i)
		if ts := l.TraceState().AsRaw(); !utf8.ValidString(ts) {
			l.TraceState().FromRaw(p.validText(ts, c))
		}
		p.validUTF8Map(l.Attributes(), c)
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
	return hasRawPrefix(k) || k == mapping.KeyToolCallArguments || k == mapping.KeyToolCallResult
}

// hasRawPrefix: a cf.* fact in any case ("CF.op" is ours too: fail closed).
func hasRawPrefix(k string) bool {
	return len(k) >= len(mapping.KeyRawPrefix) && strings.EqualFold(k[:len(mapping.KeyRawPrefix)], mapping.KeyRawPrefix)
}

// carriesRawFacts reports whether a span outside the raw scopes carries cf.* facts: then it is
// an untrusted raw span, never exported as it came.
func carriesRawFacts(span ptrace.Span) bool {
	found := false
	span.Attributes().Range(func(k string, _ pcommon.Value) bool {
		found = hasRawPrefix(k)
		return !found
	})
	return found
}

// trimMap keeps the first n entries of m.
func trimMap(m pcommon.Map, n int) {
	i := 0
	m.RemoveIf(func(string, pcommon.Value) bool {
		i++
		return i > n
	})
}
