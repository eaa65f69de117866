package mcpparityprocessor

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// putPayload writes a capture: parsed, normalized (ToolResult), redacted, serialized, truncated.
// ids are the fact ids of pl's raw keys.
func (p *parityProcessor) putPayload(out pcommon.Map, pl *mapping.Payload, ids payloadFacts, f *spanFacts, c *counts) {
	v, ok := f.fact(ids.raw, pl.RawKey)
	if !ok {
		return
	}
	text := asText(v)
	if len(text) > maxRawPayloadBytes {
		f.malformed = true
	}
	max := p.cfg.MaxTracePayloadSize
	if os, ok := f.fact(ids.size, pl.OriginalSizeKey); ok {
		// The runtime capped the raw payload: report its original size with a sanitized preview.
		size := os.Int()
		if os.Type() != pcommon.ValueTypeInt {
			f.malformed = true
			size, _ = strconv.ParseInt(asText(os), 10, 64)
		}
		c.put(out, pl.Key, p.cappedWrapper(text, size, max, c))
		c.truncations++
		if !utf8.ValidString(text) {
			f.malformed = true
		}
		return
	}
	if v.Type() != pcommon.ValueTypeStr {
		f.malformed = true // bytes, map or slice: parsed from its text when that is JSON
	}
	var s string
	var redacted bool
	var err error
	// Invalid UTF-8 counts the span malformed: the parser repairs it silently. The streamed
	// paths below say when text is ASCII (so valid), and the check is then not needed.
	checkUTF8 := true
	if pl.Wrap != "" {
		// A payload Python builds around one fact ({"uri": …}): a one-key object, redacted as any capture.
		// The value gets the free-text rules first, as its attribute does (D8): {"uri": …} carries
		// the same sanitized URI as resource.uri.
		o := payload.NewObject(1)
		o.Set(pl.Wrap, payload.ValidString(p.redactor.SanitizeText(p.bound(text, c))))
		s, redacted = p.redactor.SerializeTracePayloadReport(o, max)
	} else if pl.TextKey != "" {
		var parsed payload.Value
		if parsed, err = payload.ParseString(text); err == nil {
			if o, ok := parsed.(*payload.Object); ok {
				if v, ok := o.Get(pl.TextKey); ok {
					if str, ok := v.(string); ok {
						o.Set(pl.TextKey, p.redactor.SanitizeText(str))
					}
				}
			}
			s, redacted = p.redactor.SerializeTracePayloadReport(parsed, max)
		}
	} else if pl.ToolResult {
		// The common plain-text result is normalized, redacted and written without a tree;
		// anything else is parsed into one and normalized by toolResult.
		var streamed, ascii bool
		if s, redacted, ascii, streamed = p.redactor.SerializeTextToolResult(text, max); streamed {
			checkUTF8 = !ascii
		} else {
			var parsed payload.Value
			if parsed, err = payload.ParseString(text); err == nil {
				s, redacted = p.redactor.SerializeTracePayloadReport(payload.NormalizeToolResult(parsed), max)
			}
		}
	} else {
		// Arguments are captured as they are: read, redacted and written in one pass.
		var ascii bool
		s, redacted, ascii, err = p.redactor.SerializeTraceJSONASCII(text, max)
		checkUTF8 = !ascii
	}
	if err != nil {
		// Not JSON: capture the text itself as a JSON string, still redacted and bounded.
		f.malformed = true
		s, redacted = p.redactor.SerializeTracePayloadReport(payload.ValidString(text), max)
	}
	if checkUTF8 && !utf8.ValidString(text) {
		f.malformed = true
	}
	if strings.HasPrefix(s, `{"_truncated":true`) {
		c.truncations++
	}
	if redacted {
		c.redactions++
	}
	c.put(out, pl.Key, s)
}

// cappedWrapper builds safe_serialize's truncation wrapper for a payload the runtime already cut.
func (p *parityProcessor) cappedWrapper(prefix string, size int64, max int, c *counts) string {
	// Sanitized whole first, cut after: a secret whose context lies past max is still seen.
	prefix, _ = cutRunes(p.redactor.SanitizeText(strings.ToValidUTF8(prefix, "\uFFFD")), max)
	preview := []rune(prefix)
	for {
		o := payload.NewObject(3)
		o.Set("_truncated", true)
		o.Set("_original_size", payload.IntNumber(size))
		o.Set("_preview", string(preview))
		s := payload.Encode(o)
		n := utf8.RuneCountInString(s)
		if n <= max || len(preview) == 0 {
			if n > max {
				return `{"_truncated":true}`
			}
			return s
		}
		cut := n - max + 1
		if cut > len(preview) {
			cut = len(preview)
		}
		preview = preview[:len(preview)-cut]
	}
}
