package processor // import "github.com/mcpparity/mcpparity/processor"

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/internal/metadata"
	"github.com/mcpparity/mcpparity/processor/internal/payload"
	"github.com/mcpparity/mcpparity/processor/internal/redact"
)

// Python names (observability.py) that the processor writes.
const (
	keyCorrelationID  = "correlation_id"
	keyRequestID      = "request_id"
	keyUserEmail      = "user.email"
	keyUserIsAdmin    = "user.is_admin"
	keyTeamScope      = "team.scope"
	keyTeamName       = "team.name"
	keyAuthMethod     = "auth.method"
	keyLfUserID       = "langfuse.user.id"
	keyLfSessionID    = "langfuse.session.id"
	keyLfEnvironment  = "langfuse.environment"
	keyLfTags         = "langfuse.trace.tags"
	keyLfTraceName    = "langfuse.trace.name"
	keyLfLevel        = "langfuse.observation.level"
	keyLfStatusMsg    = "langfuse.observation.status_message"
	keyServerID       = "server_id"
	keySuccess        = "success"
	keyDurationMS     = "duration.ms"
	keyError          = "error"
	keyErrorType      = "error.type"
	keyErrorMessage   = "error.message"
	keyExcType        = "exception.type"
	keyExcMessage     = "exception.message"
	keyExcEscaped     = "exception.escaped"
	keyExcStacktrace  = "exception.stacktrace"
	eventException    = "exception"
	mask              = "***"
	maxTeamsInScope   = 5    // format_trace_team_scope max_teams
	maxHeaderValueLen = 4096 // translate_header_utils.MAX_HEADER_VALUE_LENGTH (baggage values)
	// maxRawPayloadBytes is the runtime's default hard cap of a raw payload (contract v1); a bigger
	// payload without cf.*.original_size breaks the contract (it is still captured, truncated).
	maxRawPayloadBytes = 1 << 20
	// maxRawAttributes bounds the work on a malformed span; facts beyond it are dropped (counted malformed).
	maxRawAttributes = 1024
)

type parityProcessor struct {
	cfg        *Config
	logger     *zap.Logger
	telemetry  *metadata.TelemetryBuilder
	redactor   *redact.Redactor
	rawScopes  map[string]struct{}
	captureIn  map[string]struct{}
	captureOut map[string]struct{}
	langfuse   bool
	identity   bool
	// baggage policy
	baggageKeys      map[string]struct{}
	baggageSpanAllow map[string]struct{} // nil: every key
}

func newParityProcessor(set processor.Settings, cfg *Config) (*parityProcessor, error) {
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	if err != nil {
		return nil, err
	}
	fields := cfg.RedactFields
	if fields == nil {
		fields = defaultRedactFields
	}
	p := &parityProcessor{
		cfg:         cfg,
		logger:      set.Logger,
		telemetry:   tb,
		redactor:    redact.New(fields, redact.Options{JSONQuotedKeys: true}), // D3
		rawScopes:   toSet(cfg.RawScopeNames),
		captureIn:   toSet(cfg.CaptureInputSpans),
		captureOut:  toSet(cfg.CaptureOutputSpans),
		langfuse:    cfg.LangfuseAttributes,
		identity:    cfg.identityAttributes(),
		baggageKeys: toSet(cfg.Baggage.AllowedKeys),
	}
	if cfg.Baggage.SpanAttributeAllowlist != nil {
		p.baggageSpanAllow = toSet(cfg.Baggage.SpanAttributeAllowlist)
	}
	return p, nil
}

func toSet(list []string) map[string]struct{} {
	m := make(map[string]struct{}, len(list))
	for _, s := range list {
		m[strings.TrimSpace(s)] = struct{}{}
	}
	return m
}

func (p *parityProcessor) shutdown(context.Context) error {
	p.telemetry.Shutdown()
	return nil
}

// counts is the self-telemetry of one batch, recorded once per batch.
type counts struct {
	transformed, passedThrough, redactions, truncations, malformed int64
	// bounded is set when a value had to be repaired (invalid UTF-8) or cut: the span is malformed.
	bounded bool
}

func (p *parityProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	var c counts
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			if _, raw := p.rawScopes[ss.Scope().Name()]; raw {
				for k := 0; k < spans.Len(); k++ {
					p.transformSafe(spans.At(k), &c)
				}
				// The Python runtime's scope: name mcp-gateway, the runtime's version, semconv 1.11.0.
				ss.Scope().SetName(mapping.PythonScopeName)
				ss.SetSchemaUrl(mapping.PythonScopeSchemaURL)
				c.transformed += int64(spans.Len())
				continue
			}
			c.passedThrough += int64(spans.Len())
			if p.cfg.ScrubForeignSpans {
				for k := 0; k < spans.Len(); k++ {
					p.scrubForeign(spans.At(k), &c)
				}
			}
		}
	}
	p.record(ctx, &c)
	return td, nil
}

func (p *parityProcessor) record(ctx context.Context, c *counts) {
	t := p.telemetry
	if c.transformed > 0 {
		t.ProcessorMcpparitySpansTransformed.Add(ctx, c.transformed)
	}
	if c.passedThrough > 0 {
		t.ProcessorMcpparitySpansPassedThrough.Add(ctx, c.passedThrough)
	}
	if c.redactions > 0 {
		t.ProcessorMcpparityRedactions.Add(ctx, c.redactions)
	}
	if c.truncations > 0 {
		t.ProcessorMcpparityTruncations.Add(ctx, c.truncations)
	}
	if c.malformed > 0 {
		t.ProcessorMcpparityMalformedSpans.Add(ctx, c.malformed)
	}
}

// transformSafe transforms one raw span; a panic (a bug, never expected) still leaves the span
// exported with every cf.* and raw payload key removed and all remaining values sanitized.
func (p *parityProcessor) transformSafe(span ptrace.Span, c *counts) {
	defer func() {
		if r := recover(); r != nil {
			c.malformed++
			p.logger.Error("mcpparity: recovered while transforming a raw span; exported scrubbed", zap.Any("panic", r))
			p.scrubAll(span, c)
		}
	}()
	p.transform(span, c)
}

// spanFacts is what one raw span tells about its request and its own op.
type spanFacts struct {
	raw            pcommon.Map
	op             *mapping.Op
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
}

func (p *parityProcessor) transform(span ptrace.Span, c *counts) {
	raw := span.Attributes()
	f := spanFacts{raw: raw}
	c.bounded = false
	// More facts than any op has: a contract violation (only the table's keys are read).
	f.malformed = raw.Len() > maxRawAttributes
	f.read(span)
	if f.op == nil {
		// Unknown or missing cf.op: keep the raw name (sanitized), drop cf.* and payloads, sanitize.
		c.malformed++
		p.scrubAll(span, c)
		return
	}
	op := f.op
	out := pcommon.NewMap()
	out.EnsureCapacity(len(op.Attributes) + 24)

	if op.Name != "" {
		span.SetName(op.Name)
	} else {
		span.SetName(p.boundText(span.Name(), c))
	}
	if op.Kind == mapping.KindServer {
		span.SetKind(ptrace.SpanKindServer)
	} else {
		span.SetKind(ptrace.SpanKindInternal)
	}

	for i := range op.Attributes {
		r := &op.Attributes[i]
		if r.From == "" {
			out.PutStr(r.To, r.Const)
			continue
		}
		p.putFact(out, r, &f, c)
	}

	if op.Request {
		p.finishRequest(span, out, &f, c)
	} else {
		p.enrich(span, out, &f, c)
		p.finishOp(span, out, &f, c)
	}
	// Python spans carry no links; a raw span's links are kept, their attributes sanitized.
	links := span.Links()
	for i := 0; i < links.Len(); i++ {
		p.scrubMap(links.At(i).Attributes(), c)
	}
	if f.malformed || c.bounded {
		c.malformed++
	}
	out.MoveTo(raw)
}

// read collects the request context and the status facts of a raw span.
func (f *spanFacts) read(span ptrace.Span) {
	raw := f.raw
	if v, ok := raw.Get(mapping.KeyOp); ok && v.Type() == pcommon.ValueTypeStr {
		f.op = mapping.Lookup(v.Str())
	}
	f.correlationID = f.str(mapping.KeyCorrelationID)
	f.fromHeader = f.boolean(mapping.KeyCorrelationFromHdr)
	f.authMethod = f.str(mapping.KeyAuthMethod)
	f.userEmail = f.str(mapping.KeyUserEmail)
	_, f.hasUserEmail = raw.Get(mapping.KeyUserEmail)
	f.isAdmin = f.boolean(mapping.KeyUserIsAdmin)
	_, f.hasIsAdmin = raw.Get(mapping.KeyUserIsAdmin)
	f.teamName = f.str(mapping.KeyTeamName)
	f.sessionID = f.str(mapping.KeySessionID)
	f.baggage = f.str(mapping.KeyBaggage)
	f.resultIsError = f.boolean(mapping.KeyResultIsError)
	if v, ok := raw.Get(mapping.KeyHTTPStatusCode); ok {
		if v.Type() == pcommon.ValueTypeInt {
			f.httpStatusCode = v.Int()
		} else {
			f.malformed = true
		}
	}
	if f.authMethod != "" || f.hasUserEmail || f.hasIsAdmin {
		f.teamScope = formatTeamScope(raw)
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

func (f *spanFacts) str(key string) string {
	v, ok := f.raw.Get(key)
	if !ok {
		return ""
	}
	if v.Type() != pcommon.ValueTypeStr {
		f.malformed = true
		return asText(v)
	}
	return v.Str()
}

func (f *spanFacts) boolean(key string) bool {
	v, ok := f.raw.Get(key)
	if !ok {
		return false
	}
	if v.Type() != pcommon.ValueTypeBool {
		f.malformed = true
		return false
	}
	return v.Bool()
}

// formatTeamScope mirrors utils/trace_context.format_trace_team_scope: absent ids = "admin"
// (unrestricted token), [] = "public", else up to 5 ids joined by "," and ",..." beyond.
func formatTeamScope(raw pcommon.Map) string {
	v, ok := raw.Get(mapping.KeyTeamIDs)
	if !ok {
		return "admin"
	}
	if v.Type() != pcommon.ValueTypeSlice {
		if s := strings.TrimSpace(asText(v)); s != "" {
			return s
		}
		return "public"
	}
	sl := v.Slice()
	var b strings.Builder
	n := 0
	for i := 0; i < sl.Len(); i++ {
		id := strings.TrimSpace(asText(sl.At(i)))
		if id == "" {
			continue
		}
		if n == maxTeamsInScope {
			b.WriteString(",...")
			break
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
		n++
	}
	if n == 0 {
		return "public"
	}
	return b.String()
}

// primaryTeam mirrors primary_team_from_scope: the first concrete id, none for admin/public.
func primaryTeam(scope string) string {
	if scope == "" || scope == "admin" || scope == "public" {
		return ""
	}
	for _, part := range strings.Split(scope, ",") {
		part = strings.TrimSpace(part)
		if part != "" && part != "..." {
			return part
		}
	}
	return ""
}

// putFact copies one raw fact to its Python key, type-checked and sanitized.
func (p *parityProcessor) putFact(out pcommon.Map, r *mapping.Rename, f *spanFacts, c *counts) {
	v, ok := f.raw.Get(r.From)
	if !ok {
		if r.Required {
			f.malformed = true
		}
		return
	}
	if p.redactor.KeyMatches(r.To) {
		out.PutStr(r.To, mask)
		c.redactions++
		return
	}
	switch r.Type {
	case mapping.TypeInt:
		if v.Type() == pcommon.ValueTypeInt {
			out.PutInt(r.To, v.Int())
			return
		}
	case mapping.TypeBool:
		if v.Type() == pcommon.ValueTypeBool {
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
			p.putStr(out, r.To, s, c)
			return
		}
	}
	// Wrong type: contract violation; export its text form, sanitized.
	f.malformed = true
	p.putStr(out, r.To, asText(v), c)
}

func (p *parityProcessor) sanitizeURLValue(key, s string, c *counts) string {
	if key == mapping.KeyURLQuery {
		// The request middleware runs sanitize_trace_text on the raw query before set_span_attribute.
		return p.redactor.SanitizeText(p.bound(s, c))
	}
	return redact.SanitizeURL(p.bound(s, c))
}

// putStr bounds and sanitizes one exported string (set_span_attribute → sanitize_trace_attribute_value).
func (p *parityProcessor) putStr(out pcommon.Map, key, s string, c *counts) {
	s = p.bound(s, c)
	clean := p.redactor.SanitizeAttributeString(key, s)
	if clean != s {
		c.redactions++
	}
	out.PutStr(key, clean)
}

// bound makes s valid UTF-8 and at most max_trace_payload_size characters: Python never meets
// such values on these keys, so this only ever bites malformed input.
func (p *parityProcessor) bound(s string, c *counts) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		c.bounded = true
	}
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

func (p *parityProcessor) boundText(s string, c *counts) string {
	s = p.bound(s, c)
	clean := p.redactor.SanitizeText(s)
	if clean != s {
		c.redactions++
	}
	return clean
}

// enrich adds create_span's automatic keys in its order, skipping keys the span already has.
func (p *parityProcessor) enrich(span ptrace.Span, out pcommon.Map, f *spanFacts, c *counts) {
	op := f.op
	if op.Identity && p.identity {
		// tool_service passes these in the span's own dict: "anonymous" when no email.
		email := f.userEmail
		if email == "" {
			email = "anonymous"
		}
		p.putStr(out, keyUserEmail, email, c)
		scope := f.teamScope
		if scope == "" {
			scope = "admin"
		}
		p.putStr(out, keyTeamScope, scope, c)
	}
	if op.Identity {
		if v, ok := f.raw.Get("cf.server.id"); ok {
			p.putStr(out, keyServerID, asText(v), c)
		}
	}
	if op.Input != nil && p.langfuse && p.captures(p.captureIn, op) {
		p.putPayload(out, op.Input, f, c)
	}
	if f.correlationID != "" {
		p.putStr(out, keyCorrelationID, f.correlationID, c)
		p.putStr(out, keyRequestID, f.correlationID, c)
	}
	if p.identity {
		if f.userEmail != "" {
			p.putAbsentStr(out, keyUserEmail, f.userEmail, c)
		}
		if f.userEmail != "" || f.isAdmin {
			if _, ok := out.Get(keyUserIsAdmin); !ok {
				out.PutBool(keyUserIsAdmin, f.isAdmin)
			}
		}
		if f.teamScope != "" {
			p.putAbsentStr(out, keyTeamScope, f.teamScope, c)
		}
		if f.teamName != "" {
			p.putAbsentStr(out, keyTeamName, f.teamName, c)
		}
	}
	if f.authMethod != "" {
		p.putStr(out, keyAuthMethod, f.authMethod, c)
	}
	if p.langfuse {
		if p.identity && f.userEmail != "" {
			p.putStr(out, keyLfUserID, f.userEmail, c)
		}
		if f.sessionID != "" {
			p.putStr(out, keyLfSessionID, f.sessionID, c)
		}
		env := p.cfg.DeploymentEnvironment
		p.putStr(out, keyLfEnvironment, env, c)
		team := primaryTeam(f.teamScope)
		if !p.identity {
			team = ""
		}
		if team != "" || f.authMethod != "" || env != "" {
			tags := out.PutEmptySlice(keyLfTags)
			for _, tag := range [...]string{"team:" + team, "auth:" + f.authMethod, "env:" + env} {
				if !strings.HasSuffix(tag, ":") {
					tags.AppendEmpty().SetStr(p.redactor.SanitizeAttributeString(keyLfTags, p.bound(tag, c)))
				}
			}
		}
		p.putStr(out, keyLfTraceName, p.traceName(span.Name(), op, out), c)
		if !f.failed() {
			out.PutStr(keyLfLevel, "DEFAULT") // a failure sets ERROR after the error keys (set_span_error)
		}
	}
	p.putBaggage(out, f, c)
}

func (p *parityProcessor) putAbsentStr(out pcommon.Map, key, s string, c *counts) {
	if _, ok := out.Get(key); !ok {
		p.putStr(out, key, s, c)
	}
}

// captures reports whether the span's Python name is in a capture list (matched exactly).
func (p *parityProcessor) captures(list map[string]struct{}, op *mapping.Op) bool {
	_, ok := list[op.Name]
	return ok
}

// traceName mirrors _derive_langfuse_trace_name over the already sanitized, policy-filtered keys.
func (p *parityProcessor) traceName(name string, op *mapping.Op, out pcommon.Map) string {
	if op.TraceNameFixed != "" {
		return op.TraceNameFixed
	}
	if op.TraceNameKey != "" {
		if v, ok := out.Get(op.TraceNameKey); ok && v.AsString() != "" {
			return op.TraceNamePrefix + p.redactor.SanitizeText(v.AsString())
		}
	}
	return name
}

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
		p.putAbsentStr(out, name, value, c)
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

// finishOp writes the outcome keys, the capture of the output, the status and the error keys.
func (p *parityProcessor) finishOp(span ptrace.Span, out pcommon.Map, f *spanFacts, c *counts) {
	op := f.op
	failed := f.failed()
	if op.Outcome {
		success := !failed && !f.resultIsError
		out.PutBool(keySuccess, success)
		out.PutDouble(keyDurationMS, durationMS(span))
		if success && op.Output != nil && p.langfuse && p.captures(p.captureOut, op) {
			p.putPayload(out, op.Output, f, c)
		}
	}
	if !failed {
		span.Status().SetCode(ptrace.StatusCodeOk)
		span.Status().SetMessage("")
		span.Events().RemoveIf(func(ptrace.SpanEvent) bool { return true })
		return
	}
	p.setError(span, out, f, c)
}

// setError mirrors set_span_error(span, exc, exc_type=type(exc), record_exception=True), with the
// status description sanitized (D1) and only the sanitized exception event (D2).
func (p *parityProcessor) setError(span ptrace.Span, out pcommon.Map, f *spanFacts, c *counts) {
	typeName := p.boundText(f.excType, c)
	msg := p.redactor.SanitizeExceptionMessage(p.bound(f.excMessage, c), typeName)
	if msg != f.excMessage {
		c.redactions++
	}
	out.PutBool(keyError, true)
	if typeName != "" {
		out.PutStr(keyErrorType, typeName)
	}
	out.PutStr(keyErrorMessage, msg)
	if p.langfuse {
		out.PutStr(keyLfLevel, "ERROR")
		out.PutStr(keyLfStatusMsg, msg)
	}
	span.Status().SetCode(ptrace.StatusCodeError)
	span.Status().SetMessage(msg) // D1
	events := span.Events()
	var keep ptrace.SpanEvent
	found := false
	events.RemoveIf(func(ev ptrace.SpanEvent) bool {
		if ev.Name() == eventException && !found {
			found = true
			keep = ev
			return false
		}
		return true
	})
	if !found {
		keep = events.AppendEmpty()
		keep.SetName(eventException)
		keep.SetTimestamp(span.EndTimestamp())
	}
	ea := keep.Attributes()
	ea.Clear()
	if typeName != "" {
		ea.PutStr(keyExcType, typeName)
	}
	ea.PutStr(keyExcMessage, msg)
	ea.PutBool(keyExcEscaped, true)
}

// finishRequest applies the request root's rules (OpenTelemetryRequestMiddleware).
func (p *parityProcessor) finishRequest(span ptrace.Span, out pcommon.Map, f *spanFacts, c *counts) {
	if f.fromHeader && f.correlationID != "" {
		p.putStr(out, keyCorrelationID, f.correlationID, c)
	}
	if v, ok := f.raw.Get(mapping.KeyHTTPStatusCode); ok {
		if v.Type() == pcommon.ValueTypeInt {
			out.PutInt(mapping.KeyHTTPStatusCode, v.Int())
		} else {
			p.putStr(out, mapping.KeyHTTPStatusCode, asText(v), c)
		}
	}
	p.putBaggage(out, f, c)
	span.Events().RemoveIf(func(ptrace.SpanEvent) bool { return true })
	if f.httpStatusCode >= 500 {
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage("")
		return
	}
	if f.hasException {
		// An exception escaping the ASGI app: set_span_error on the root.
		p.setError(span, out, f, c)
		return
	}
	span.Status().SetCode(ptrace.StatusCodeOk)
	span.Status().SetMessage("")
}

// putPayload writes a capture: parsed, normalized (ToolResult), redacted, serialized, truncated.
func (p *parityProcessor) putPayload(out pcommon.Map, pl *mapping.Payload, f *spanFacts, c *counts) {
	v, ok := f.raw.Get(pl.RawKey)
	if !ok {
		return
	}
	text := asText(v)
	if len(text) > maxRawPayloadBytes || !utf8.ValidString(text) {
		f.malformed = true
	}
	max := p.cfg.MaxTracePayloadSize
	if os, ok := f.raw.Get(pl.OriginalSizeKey); ok {
		// The runtime capped the raw payload: report its original size with a sanitized preview.
		size := os.Int()
		if os.Type() != pcommon.ValueTypeInt {
			f.malformed = true
			size, _ = strconv.ParseInt(asText(os), 10, 64)
		}
		out.PutStr(pl.Key, p.cappedWrapper(text, size, max, c))
		c.truncations++
		return
	}
	if v.Type() != pcommon.ValueTypeStr {
		f.malformed = true // bytes, map or slice: parsed from its text when that is JSON
	}
	var s string
	var redacted bool
	var err error
	if pl.ToolResult {
		// The common plain-text result is normalized, redacted and written without a tree;
		// anything else is parsed into one and normalized by toolResult.
		var streamed bool
		if s, redacted, streamed = p.redactor.SerializeTextToolResult(text, max); !streamed {
			var parsed payload.Value
			if parsed, err = payload.ParseString(text); err == nil {
				s, redacted = p.redactor.SerializeTracePayloadReport(toolResult(parsed), max)
			}
		}
	} else {
		// Arguments are captured as they are: read, redacted and written in one pass.
		s, redacted, err = p.redactor.SerializeTraceJSON(text, max)
	}
	if err != nil {
		// Not JSON: capture the text itself as a JSON string, still redacted and bounded.
		f.malformed = true
		s, redacted = p.redactor.SerializeTracePayloadReport(payload.ValidString(p.bound(text, c)), max)
	}
	if strings.HasPrefix(s, `{"_truncated":true`) {
		c.truncations++
	}
	if redacted {
		c.redactions++
	}
	out.PutStr(pl.Key, s)
}

// cappedWrapper builds safe_serialize's truncation wrapper for a payload the runtime already cut.
func (p *parityProcessor) cappedWrapper(prefix string, size int64, max int, c *counts) string {
	prefix, _ = cutRunes(strings.ToValidUTF8(prefix, "\uFFFD"), max)
	preview := []rune(p.redactor.SanitizeText(prefix))
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

// toolResult normalizes an MCP CallToolResult to Python's ToolResult.model_dump(by_alias=True):
// content[{type,text|data,mimeType,annotations,_meta}], isError, structuredContent, _meta; nulls kept.
func toolResult(v payload.Value) payload.Value {
	in, ok := v.(*payload.Object)
	if !ok {
		return v
	}
	out := payload.NewObject(4)
	var content []payload.Value
	if cv, ok := in.Get("content"); ok {
		if list, ok := cv.([]payload.Value); ok {
			content = make([]payload.Value, 0, len(list))
			for _, item := range list {
				content = append(content, contentItem(item))
			}
		}
	}
	if content == nil {
		content = []payload.Value{}
	}
	out.Set("content", content)
	isErr, ok := in.Get("isError")
	if !ok || isErr == nil {
		isErr = false
	}
	out.Set("isError", isErr)
	out.Set("structuredContent", getOrNil(in, "structuredContent"))
	out.Set("_meta", getOrNil(in, "_meta"))
	return out
}

func contentItem(v payload.Value) payload.Value {
	in, ok := v.(*payload.Object)
	if !ok {
		return v
	}
	t, _ := in.Get("type")
	var fields []string
	switch t {
	case "text":
		fields = []string{"type", "text", "annotations", "_meta"}
	case "image", "audio":
		fields = []string{"type", "data", "mimeType", "annotations", "_meta"}
	default:
		return v
	}
	out := payload.NewObject(len(fields))
	for _, k := range fields {
		out.Set(k, getOrNil(in, k))
	}
	return out
}

func getOrNil(o *payload.Object, key string) payload.Value {
	v, _ := o.Get(key)
	return v
}

func durationMS(span ptrace.Span) float64 {
	start, end := span.StartTimestamp(), span.EndTimestamp()
	if end < start {
		return 0
	}
	return float64(end-start) / 1e6
}

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
