package mcpparityprocessor

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// putBaggage mirrors the gateway's inbound baggage path: W3C parse, fail-closed to the configured
// keys, value sanitizing, item and size limits (baggage.py), then the SpanAttributeCustomizer
// policy (observability._baggage_span_attributes).
func (p *parityProcessor) putBaggage(out pcommon.Map, f *spanFacts, c *counts) {
	b := &p.cfg.Baggage
	if !b.Enabled || f.baggage == "" || len(p.baggageKeys) == 0 {
		return
	}
	items, total := 0, 0
	for _, member := range strings.Split(f.baggage, ",") {
		member = strings.TrimSpace(member)
		kv, _, _ := strings.Cut(member, ";")
		key, value, ok := strings.Cut(strings.TrimSpace(kv), "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			continue
		}
		if _, allowed := p.baggageKeys[key]; !allowed {
			continue
		}
		if items >= b.MaxItems {
			break
		}
		value = sanitizeHeaderValue(percentDecode(strings.TrimSpace(value)))
		if value == "" {
			continue
		}
		size := len(key) + len(value) + 2
		if total+size > b.MaxSizeBytes {
			break
		}
		items++
		total += size
		if p.baggageSpanAllow != nil {
			if _, ok := p.baggageSpanAllow[key]; !ok {
				continue
			}
		}
		name := key
		if b.EmitPrefixedAttributes {
			name = "baggage." + key
		}
		p.putAbsentStr(out, p.key(name), value, f, c)
	}
}

// sanitizeHeaderValue mirrors translate_header_utils.sanitize_header_value: cut to 4096, keep printable ASCII.
func sanitizeHeaderValue(v string) string {
	if len(v) > maxHeaderValueLen {
		v = v[:maxHeaderValueLen]
	}
	clean := true
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			clean = false
			break
		}
	}
	if clean {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] >= 0x20 && v[i] <= 0x7e {
			b.WriteByte(v[i])
		}
	}
	return b.String()
}

// percentDecode mirrors urllib.parse.unquote for the ASCII cases baggage uses.
func percentDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s)+0 && i+2 <= len(s)-1 {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}
