package mcpparityprocessor // import "github.com/mcpparity/mcpparity/processor/mcpparityprocessor"

import (
	"context"
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.uber.org/zap"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/internal/redact"
	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
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
	maxRawPayloadBytes = mapping.MaxRawPayloadBytes
	// maxRawAttributes bounds the work on a malformed span; facts beyond it are dropped (counted malformed).
	maxRawAttributes = 1024
)

type parityProcessor struct {
	id        uint64 // numbers the processor's exportKey slots in a pooled scratch (spare.go)
	cfg       *Config
	logger    *zap.Logger
	telemetry *metadata.TelemetryBuilder
	redactor  *redact.Redactor
	keys      keyPolicies // the redact and URL policy of every key the processor writes
	// ck and rowKeyTable are the processor's keys with their policies (keypolicy.go).
	ck          createSpanKeys
	rowKeyTable map[*mapping.Rename][]exportKey
	plans       map[string]*opPlan          // by cf.op (plan.go)
	tagKeys     [len(tagPrefixes)]exportKey // langfuse.trace.tags, a slot per tag
	nSlots      int32                       // the slots of the exportKeys
	rawScopes   map[string]struct{}
	// rawScopesFolded are the raw scope names folded (foldScopeName): a scope containing one is ours.
	rawScopesFolded []string
	captureIn       map[string]struct{}
	captureOut      map[string]struct{}
	langfuse        bool
	identity        bool
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
		fields = redact.DefaultFields()
	}
	p := &parityProcessor{
		id:          processorIDs.Add(1),
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
	p.keys = newKeyPolicies(p.redactor)
	p.ck = p.newCreateSpanKeys()
	p.rowKeyTable = p.newRowKeys()
	p.plans = p.newPlans()
	for i := range p.tagKeys {
		p.tagKeys[i] = p.slotKey(keyLfTags)
	}
	// The contract's own scope name stays ours even when raw_scope_names lists others.
	for _, n := range append([]string{defaultRawScopeName}, cfg.RawScopeNames...) {
		if f := foldScopeName(n); f != "" {
			p.rawScopesFolded = append(p.rawScopesFolded, f)
		}
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

// counts is the self-telemetry of one batch, recorded once per batch, and the batch's memo of
// sanitized attribute values.
type counts struct {
	transformed, passedThrough, redactions, truncations, malformed int64
	// bounded is set when a value had to be repaired (invalid UTF-8) or cut: the span is malformed.
	bounded bool
	// sanitized memoizes attributeString within the batch (its spans repeat the same
	// identities, tools and URLs); nil until the first short value.
	sanitized *sanitizedMemo
	// scratch holds the batch's donors and the map each transform builds its exported
	// attributes in (spare.go); nil until the first transform.
	scratch *transformScratch
	// teams is the batch's last token teams of several ids and their team scope (teamScopeOf):
	// the spans of a request (the ops of a bundle) repeat them.
	teams teamScopeMemo
}

// scopeTrust is what an instrumentation scope tells about its spans.
type scopeTrust int

const (
	scopeForeign  scopeTrust = iota // not ours: passed through (scrubbed with scrub_foreign_spans)
	scopeRaw                        // a configured raw scope: contract-v1 raw spans
	scopeLooksRaw                   // looks like ours but is no contract we know: untrusted raw
)

// classifyScope: only an exact configured name is trusted; a name that contains a raw scope
// name in any case, spacing or punctuation (contextforge.mcp_runtime.v2, "Contextforge.MCP_Runtime ")
// is an untrusted raw scope: fail closed.
func (p *parityProcessor) classifyScope(name string) scopeTrust {
	if _, raw := p.rawScopes[name]; raw {
		return scopeRaw
	}
	folded := foldScopeName(name)
	for _, n := range p.rawScopesFolded {
		if strings.Contains(folded, n) {
			return scopeLooksRaw
		}
	}
	return scopeForeign
}

// foldScopeName keeps the ASCII letters and digits of a scope name, lowercased.
func foldScopeName(name string) string {
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		ch := name[i]
		switch {
		case ch >= 'a' && ch <= 'z', ch >= '0' && ch <= '9':
			b = append(b, ch)
		case ch >= 'A' && ch <= 'Z':
			b = append(b, ch+'a'-'A')
		}
	}
	return string(b)
}

func (p *parityProcessor) processTraces(ctx context.Context, td ptrace.Traces) (ptrace.Traces, error) {
	var c counts
	defer c.release()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		// Resource attributes are scrubbed when the resource holds raw spans or with
		// scrub_foreign_spans; otherwise only made valid UTF-8.
		scrubResource := p.cfg.ScrubForeignSpans
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			spans := ss.Spans()
			switch p.classifyScope(ss.Scope().Name()) {
			case scopeRaw:
				scrubResource = true
				// Contract v2 bundles become their v1 raw spans first (expand.go).
				p.expandBundles(spans, &c)
				for k := 0; k < spans.Len(); k++ {
					p.transformSafe(spans.At(k), &c, c.layerOf(k))
				}
				c.releaseBundles()
				p.scrubScope(ss.Scope(), &c)
				// The Python runtime's scope: name mcp-gateway, the runtime's version, semconv 1.11.0.
				ss.Scope().SetName(mapping.PythonScopeName)
				ss.SetSchemaUrl(mapping.PythonScopeSchemaURL)
				c.transformed += int64(spans.Len())
			case scopeLooksRaw:
				scrubResource = true
				p.scrubScope(ss.Scope(), &c)
				ss.SetSchemaUrl(p.boundText(ss.SchemaUrl(), &c))
				for k := 0; k < spans.Len(); k++ {
					p.scrubAll(spans.At(k), &c)
				}
				c.malformed += int64(spans.Len())
				c.passedThrough += int64(spans.Len())
			default:
				c.passedThrough += int64(spans.Len())
				untrusted := false
				for k := 0; k < spans.Len() && !untrusted; k++ {
					untrusted = carriesRawFacts(spans.At(k))
				}
				if p.cfg.ScrubForeignSpans || untrusted {
					p.scrubScope(ss.Scope(), &c)
				} else {
					ss.Scope().SetName(p.validText(ss.Scope().Name(), &c))
					ss.Scope().SetVersion(p.validText(ss.Scope().Version(), &c))
					p.validUTF8Map(ss.Scope().Attributes(), &c)
				}
				for k := 0; k < spans.Len(); k++ {
					span := spans.At(k)
					switch {
					case carriesRawFacts(span):
						// cf.* facts outside a raw scope: an untrusted raw span, whatever the config.
						scrubResource = true
						p.scrubAll(span, &c)
						c.malformed++
					case p.cfg.ScrubForeignSpans:
						p.scrubForeign(span, &c)
					default:
						p.validUTF8Span(span, &c)
					}
				}
			}
		}
		if scrubResource {
			p.scrubResource(rs.Resource().Attributes(), &c)
		} else {
			p.validUTF8Map(rs.Resource().Attributes(), &c)
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
