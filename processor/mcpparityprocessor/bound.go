package mcpparityprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/internal/redact"
)

// putFacts writes a row's attributes in order: constants, gated keys, derived values, facts;
// keys are the rows' exportKeys (rowKeys).
func (p *parityProcessor) putFacts(out pcommon.Map, attrs []mapping.Rename, keys []exportKey, f *spanFacts, c *counts) {
	for i := range attrs {
		r := &attrs[i]
		switch {
		case r.From == "":
			c.put(out, r.To, r.Const)
		case !p.gateOpen(r.Gate):
			// Python drops the key at export (_should_emit_span_attribute); a required fact must still be there.
			if _, ok := f.fact(keys[i].from, r.From); !ok && r.Required {
				f.malformed = true
			}
		case r.Derive != mapping.DeriveNone:
			p.putDerived(out, r, keys[i], f, c)
		default:
			p.putFact(out, r, keys[i], f, c)
		}
	}
}

func (p *parityProcessor) gateOpen(g mapping.Gate) bool {
	switch g {
	case mapping.GateIdentity:
		return p.identity
	case mapping.GateLangfuse:
		return p.langfuse
	}
	return true
}

// putFact copies one raw fact to its Python key (k, r.To with its policy), type-checked and sanitized.
func (p *parityProcessor) putFact(out pcommon.Map, r *mapping.Rename, k exportKey, f *spanFacts, c *counts) {
	v, ok := f.fact(k.from, r.From)
	if !ok {
		if r.Required {
			f.malformed = true
		}
		switch {
		case r.Default != "":
			p.putStr(out, k, r.Default, c)
		case r.Explicit:
			f.blocked = append(f.blocked, r.To)
		}
		return
	}
	if k.pol&keyMasked != 0 {
		c.put(out, r.To, mask)
		c.redactions++
		return
	}
	switch r.Type {
	case mapping.TypeInt:
		if v.Type() == pcommon.ValueTypeInt {
			if r.SoleReader && f.owns(k.from) {
				moveFact(out, r.To, v) // already an int: the value moves as it is
				return
			}
			out.PutInt(r.To, v.Int())
			return
		}
	case mapping.TypeBool:
		if v.Type() == pcommon.ValueTypeBool {
			if r.SoleReader && f.owns(k.from) {
				moveFact(out, r.To, v)
				return
			}
			out.PutBool(r.To, v.Bool())
			return
		}
	case mapping.TypeFloat:
		if v.Type() == pcommon.ValueTypeDouble {
			out.PutDouble(r.To, v.Double())
			return
		}
	case mapping.TypeString:
		if v.Type() == pcommon.ValueTypeStr {
			s := v.Str()
			if r.URL {
				s = p.sanitizeURLValue(r.To, s, c)
			}
			if r.Text {
				s = p.sanitizedText(p.bound(s, c), c) // D8: then putStr applies the key's rules
			}
			if r.SoleReader && f.owns(k.from) {
				clean := p.exportString(k, s, c)
				moveFact(out, r.To, v).SetStr(clean) // the raw string value is reused, not reallocated
				return
			}
			p.putStr(out, k, s, c)
			return
		}
	}
	// Wrong type: contract violation; export its text form through every rule.
	f.malformed = true
	p.putUntrusted(out, r.To, asText(v), c)
}

func (p *parityProcessor) sanitizeURLValue(key, s string, c *counts) string {
	// The request middleware runs sanitize_trace_text on the raw query before set_span_attribute;
	// putStr gives every other URL value the same two passes (D10).
	return p.sanitizedText(p.validText(s, c), c)
}

// sanitizedText is redactor.SanitizeText(s) for valid UTF-8 s, a short s sanitized once per
// batch (the batch memo of a plain key's values: sanitizeValue(0, s) is SanitizeText(s)).
func (p *parityProcessor) sanitizedText(s string, c *counts) string {
	return c.memoize(0, s, p.sanitizeValue)
}

// putStr sanitizes and then bounds one exported string (set_span_attribute →
// sanitize_trace_attribute_value): sanitized first, so a secret whose context lies past the
// cut is still seen whole.
func (p *parityProcessor) putStr(out pcommon.Map, k exportKey, s string, c *counts) {
	c.put(out, k.name, p.exportString(k, s, c))
}

// exportString is the value putStr writes under k: valid UTF-8, sanitized, then bounded.
func (p *parityProcessor) exportString(k exportKey, s string, c *counts) string {
	// The spans of a request, adjacent in a batch, export the same value under a key again and
	// again: the key's slot holds its last value and answer, found by one comparison. A value
	// the slot or the batch memo holds was valid UTF-8 when it was stored: the check is skipped.
	last := c.lastOf(k)
	if last != nil && last.set && last.s == s {
		if !last.same {
			c.redactions++
		}
		return p.cut(last.clean, c)
	}
	pol := k.pol
	clean, ok := c.memoized(pol, s)
	if !ok {
		valid := p.validText(s, c)
		clean = p.sanitizeUnder(pol, valid, c)
		if valid != s { // repaired: not remembered, so a later value is checked again
			last = nil
		}
		s = valid
	}
	same := clean == s
	c.remember(last, k.slot, s, clean, same, same)
	if !same {
		c.redactions++
	}
	return p.cut(clean, c)
}

// lastOf is the slot of k in the batch (the last value exported under k), nil without one.
func (c *counts) lastOf(k exportKey) *lastExport {
	if k.slot < 0 || c.scratch == nil || int(k.slot) >= len(c.scratch.last) {
		return nil
	}
	return &c.scratch.last[k.slot]
}

// remember keeps s (valid UTF-8) and its answer clean in the slot last (of slot number slot);
// same: clean is s; keep: the slot may outlive the batch (lastExport.keep).
func (c *counts) remember(last *lastExport, slot int32, s, clean string, same, keep bool) {
	if last == nil || len(s) > maxMemoValueBytes {
		return
	}
	if !last.batch {
		c.scratch.touched = append(c.scratch.touched, slot)
	}
	*last = lastExport{s: s, clean: clean, set: true, same: same, keep: keep, batch: true}
}

// moveFact moves the raw value v (of a fact no later rule reads: Rename.SoleReader; the span's
// own, spanFacts.owns) to key in
// out and returns it there. Moving reuses the value the receiver decoded instead of allocating
// a new one per exported attribute; v is left empty in the raw map, which out replaces.
func moveFact(out pcommon.Map, key string, v pcommon.Value) pcommon.Value {
	dest := out.PutEmpty(key)
	v.MoveTo(dest)
	return dest
}

// attributeString is sanitize_trace_attribute_value for a string, except that a value under a
// URL-like key goes through the free-text rules before the URL rules (D10): Python's URL rules
// alone keep `password=…`, `Bearer …` or a session_id parameter in a URL or path, and re-encode
// the query so that no later text pass could see them. On a value the text rules leave alone
// (every URL of the captures) the result is Python's.
func (p *parityProcessor) attributeString(key, s string, c *counts) string {
	return p.sanitizeUnder(p.keys.of(p.redactor, key), s, c)
}

// sanitizeUnder is attributeString once the key's policy is known.
func (p *parityProcessor) sanitizeUnder(pol keyPolicy, s string, c *counts) string {
	if pol&keyMasked != 0 {
		return mask
	}
	return c.memoize(pol&keyURLLike, s, p.sanitizeValue)
}

// sanitizeValue is attributeString's work once the key is known not to mask the value.
func (p *parityProcessor) sanitizeValue(urlLike keyPolicy, s string) string {
	if urlLike != 0 {
		return redact.SanitizeURL(p.redactor.SanitizeText(s))
	}
	return p.redactor.SanitizeText(s)
}

// putUntrusted writes a fact that broke the contract (wrong type): every rule applies whatever
// its key (scrubString), not only the URL rules a url.* key gets from Python.
func (p *parityProcessor) putUntrusted(out pcommon.Map, key, s string, c *counts) {
	c.put(out, key, p.scrubString(key, s, c))
}

// bound makes s valid UTF-8 and at most max_trace_payload_size characters, without sanitizing:
// only for text the sanitizer sees whole afterwards or that is already sanitized.
func (p *parityProcessor) bound(s string, c *counts) string {
	return p.cut(p.validText(s, c), c)
}

// cut bounds valid UTF-8 s to max_trace_payload_size characters (max-3 and "..."): Python never
// meets such values on these keys, so this only ever bites malformed input. Callers sanitize
// first: a cut of sanitized text holds no secret.
func (p *parityProcessor) cut(s string, c *counts) string {
	max := p.cfg.MaxTracePayloadSize
	if len(s) <= max {
		return s
	}
	if cut, ok := cutRunes(s, max-3); ok {
		c.truncations++
		c.bounded = true
		return cut + "..."
	}
	return s
}

// cutRunes returns the first n characters of s, and whether s was longer.
func cutRunes(s string, n int) (string, bool) {
	count := 0
	for i := range s {
		if count == n {
			return s[:i], true
		}
		count++
	}
	return s, false
}

// boundText sanitizes free text (sanitize_trace_text), then bounds it: exportString under a key
// that is neither masked nor URL-like (its rules are the free-text rules alone).
func (p *parityProcessor) boundText(s string, c *counts) string {
	return p.exportString(p.ck.text, s, c)
}
