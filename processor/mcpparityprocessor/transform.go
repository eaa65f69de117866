package mcpparityprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// transformSafe transforms one raw span (layer: the context facts of a bundle's op, nil for a
// span whose raw map holds all its facts); a panic (a bug, never expected) still leaves the span
// exported with every cf.* and raw payload key removed and all remaining values sanitized.
func (p *parityProcessor) transformSafe(span ptrace.Span, c *counts, layer *bundleLayer) {
	defer func() {
		if r := recover(); r != nil {
			c.malformed++
			p.logger.Error("mcpparity: recovered while transforming a raw span; exported scrubbed", zap.Any("panic", r))
			if layer != nil {
				layer.fill(span.Attributes()) // the scrub sees every fact of the op
			}
			p.scrubAll(span, c)
		}
	}()
	p.transform(span, c, layer)
}

// spanFacts is what one raw span tells about its request and its own op.
type spanFacts struct {
	raw pcommon.Map
	// layer holds the facts of a bundle's request context that raw does not (nil: raw holds
	// every fact); shared has the bit of each fact id whose value is the layer's: read, copied,
	// never moved (owns).
	layer          *bundleLayer
	shared         uint64
	op             *mapping.Op
	plan           *opPlan // the op's plan (nil: no op)
	malformed      bool
	correlationID  string
	fromHeader     bool
	authMethod     string
	userEmail      string
	hasUserEmail   bool
	isAdmin        bool
	hasIsAdmin     bool
	teamName       string
	teamScope      string // "" when the span has no auth context
	sessionID      string
	baggage        string
	excType        string
	excMessage     string
	hasException   bool
	spanStatusErr  bool
	resultIsError  bool
	httpStatusCode int64
	// blocked: keys the span's own dict held as None (absent explicit facts); create_span's
	// setdefault does not fill them.
	blocked []string
	// spares are decoded raw string values of request-context facts no later rule reads: an
	// exported string moves into one of them instead of allocating a new value (putSpare).
	// (An array and a count, not a slice of an array of its own: that would move spanFacts to
	// the heap.)
	spares  [7]pcommon.Value
	nSpares int
	// teamIDs is the raw token teams value (cf.team.ids), when the span has one.
	teamIDs    pcommon.Value
	hasTeamIDs bool
	// vals holds, per fact id (facts.go), the raw value of the key when have has its bit.
	vals [maxFacts]pcommon.Value
	have uint64
}

func (f *spanFacts) isBlocked(key string) bool {
	for _, k := range f.blocked {
		if k == key {
			return true
		}
	}
	return false
}

func (p *parityProcessor) transform(span ptrace.Span, c *counts, layer *bundleLayer) {
	raw := span.Attributes()
	f := spanFacts{raw: raw, layer: layer}
	c.bounded = false
	// More facts than any op has: a contract violation (only the table's keys are read).
	f.malformed = raw.Len() > maxRawAttributes || (layer != nil && layer.tooMany(raw))
	f.read(span, p.plans, c)
	if f.op == nil {
		// Unknown or missing cf.op: keep the raw name (sanitized), drop cf.* and payloads, sanitize.
		c.malformed++
		p.scrubAll(span, c)
		return
	}
	op := f.op
	s := c.transformScratch(p)
	out := s.out
	out.Clear() // empty after the last MoveTo, unless a transform panicked
	if n := s.outLen[f.plan.index]; n > 0 {
		s.reuse(out, int(n))
	} else {
		s.reuse(out, outputCapacity(op))
	}

	if op.Name != "" {
		span.SetName(op.Name)
	} else {
		span.SetName(p.exportString(p.ck.rootName, span.Name(), c)) // boundText
	}
	if op.Kind == mapping.KindServer {
		span.SetKind(ptrace.SpanKindServer)
	} else {
		span.SetKind(ptrace.SpanKindInternal)
	}

	attrs, keys := op.Attributes, f.plan.attrs
	if op.VariantKey != "" {
		var known bool
		attrs, known = op.AttributesFor(f.str(f.plan.variant, op.VariantKey))
		f.malformed = f.malformed || !known
		keys = p.rowKeys(attrs)
	}
	p.putFacts(out, attrs, keys, &f, c)

	if op.Request {
		p.finishRequest(span, out, &f, c)
	} else {
		p.enrich(span, out, &f, c)
		p.finishOp(span, out, &f, c)
	}
	// Python spans carry no links; a raw span's links are kept, their attributes and trace
	// states sanitized, like the span's own trace state.
	p.scrubLinks(span, c)
	if f.malformed || c.bounded {
		c.malformed++
	}
	if n := int32(out.Len()); n > s.outLen[f.plan.index] {
		s.outLen[f.plan.index] = n
	}
	s.retire(raw)
	out.MoveTo(raw)
}

// The request-context facts, read first; a slot's number is the fact id of its key (facts.go).
const (
	slotOp = iota
	slotCorrelationID
	slotFromHeader
	slotAuthMethod
	slotUserEmail
	slotIsAdmin
	slotTeamName
	slotSessionID
	slotBaggage
	slotHTTPStatus
	slotTeamIDs
	numContextSlots
)

// read collects the request context and the status facts of a raw span.
func (f *spanFacts) read(span ptrace.Span, plans map[string]*opPlan, c *counts) {
	f.index()
	if v, ok := f.context(slotOp); ok && v.Type() == pcommon.ValueTypeStr {
		if f.plan = plans[v.Str()]; f.plan != nil {
			f.op = f.plan.op
			if f.owns(slotOp) {
				f.spares[0], f.nSpares = v, 1 // cf.op is read once, here
			}
		}
	}
	f.correlationID, _ = f.contextStr(slotCorrelationID)
	f.fromHeader = f.boolValue(f.context(slotFromHeader))
	f.authMethod, _ = f.contextStr(slotAuthMethod)
	f.userEmail, f.hasUserEmail = f.contextStr(slotUserEmail)
	f.isAdmin = f.boolValue(f.context(slotIsAdmin))
	_, f.hasIsAdmin = f.context(slotIsAdmin)
	f.teamName, _ = f.contextStr(slotTeamName)
	f.sessionID, _ = f.contextStr(slotSessionID)
	f.baggage, _ = f.contextStr(slotBaggage)
	if f.op != nil && f.op.ResultFlag != "" {
		f.resultIsError = f.boolValue(f.fact(f.plan.resultFlag, f.op.ResultFlag))
	}
	if v, ok := f.context(slotHTTPStatus); ok {
		if v.Type() == pcommon.ValueTypeInt {
			f.httpStatusCode = v.Int()
		} else {
			f.malformed = true
		}
	}
	f.teamIDs, f.hasTeamIDs = f.context(slotTeamIDs)
	if f.authMethod != "" || f.hasUserEmail || f.hasIsAdmin {
		f.teamScope = c.teamScopeOf(f.teamIDs, f.hasTeamIDs)
	}
	f.spanStatusErr = span.Status().Code() == ptrace.StatusCodeError
	events := span.Events()
	for i := 0; i < events.Len(); i++ {
		ev := events.At(i)
		if ev.Name() != eventException {
			continue
		}
		f.hasException = true
		if v, ok := ev.Attributes().Get(keyExcType); ok {
			f.excType = asText(v)
		}
		if v, ok := ev.Attributes().Get(keyExcMessage); ok {
			f.excMessage = asText(v)
		}
		break
	}
	if f.spanStatusErr && !f.hasException {
		// An ERROR without its exception event breaks contract v1; the status text stands in.
		f.malformed = true
		f.excMessage = span.Status().Message()
	}
}

// failed: the op raised (status ERROR or an exception event).
func (f *spanFacts) failed() bool { return f.spanStatusErr || f.hasException }

// context is the raw value of the request-context fact of a context slot (its fact id).
func (f *spanFacts) context(slot int) (pcommon.Value, bool) {
	return f.vals[slot], f.have&(1<<slot) != 0
}

// contextStr reads a request-context fact as str does, and whether the span has it. When no later
// rule of the op reads it and the span owns it (spanFacts.owns), its decoded string value
// becomes a spare (putSpare) once read.
func (f *spanFacts) contextStr(slot int) (string, bool) {
	v, ok := f.context(slot)
	if !ok {
		return "", false
	}
	if v.Type() != pcommon.ValueTypeStr {
		f.malformed = true
		return asText(v), true
	}
	if f.plan != nil && f.plan.readLater&(1<<slot) == 0 && f.nSpares < len(f.spares) && f.owns(int8(slot)) {
		f.spares[f.nSpares] = v
		f.nSpares++
	}
	return v.Str(), true
}

// str reads the raw string fact key (of fact id id: factOf(key)).
func (f *spanFacts) str(id int8, key string) string {
	v, ok := f.fact(id, key)
	if !ok {
		return ""
	}
	if v.Type() != pcommon.ValueTypeStr {
		f.malformed = true
		return asText(v)
	}
	return v.Str()
}

// boolValue reads a raw bool fact already looked up (ok: present); another type is malformed.
func (f *spanFacts) boolValue(v pcommon.Value, ok bool) bool {
	if !ok {
		return false
	}
	if v.Type() != pcommon.ValueTypeBool {
		f.malformed = true
		return false
	}
	return v.Bool()
}

func durationMS(span ptrace.Span) float64 {
	start, end := span.StartTimestamp(), span.EndTimestamp()
	if end < start {
		return 0
	}
	return float64(end-start) / 1e6
}

// outputCapacity sizes a span's exported attributes: the row's own keys and the ones
// create_span and the Langfuse mapping add (at most 16 on the bench batch's ops; a failure
// adds its error keys, and the map grows then). A request root gets no enrichment.
func outputCapacity(op *mapping.Op) int {
	if op.Request {
		return len(op.Attributes) + 4
	}
	return len(op.Attributes) + len(op.AfterIdentity) + len(op.OutcomeAttributes) + 16
}
