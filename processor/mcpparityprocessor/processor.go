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
		fields = redact.DefaultFields()
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
