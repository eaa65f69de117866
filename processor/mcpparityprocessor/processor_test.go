package mcpparityprocessor

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadatatest"
)

// secrets are the fake secrets of the oracle's SECRET_ARGS; none may reach an exporter.
var secrets = []string{"hunter2", "abc123", "sekrit-bearer", "k-123", "zzz", "u:p@"}

const secretArgs = `{"password":"hunter2","query":"token=abc123 Bearer xyz","api_key":"k-123","note":"see https://u:p@example.com/x?api_key=zzz&q=1"}`

// rawTraces holds one raw scope; add spans with rawSpan.
func rawTraces() (ptrace.Traces, ptrace.ScopeSpans) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", "mcp-gateway")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("contextforge.mcp_runtime")
	ss.Scope().SetVersion("1.0.7-20260921")
	return td, ss
}

// rawSpan adds a contract-v1 span of op with the request context of an admin JWT caller.
func rawSpan(ss ptrace.ScopeSpans, op, name string) ptrace.Span {
	s := ss.Spans().AppendEmpty()
	s.SetName(name)
	s.SetStartTimestamp(pcommon.Timestamp(1_000_000_000))
	s.SetEndTimestamp(pcommon.Timestamp(1_012_500_000))
	a := s.Attributes()
	a.PutStr("cf.op", op)
	a.PutStr("cf.correlation_id", "0e67f26bb0ac4b36aea40feceb616427")
	a.PutBool("cf.correlation_id.from_header", false)
	a.PutStr("cf.auth.method", "jwt")
	a.PutStr("cf.user.email", "admin@example.com")
	a.PutBool("cf.user.is_admin", true)
	a.PutEmptySlice("cf.team.ids")
	return s
}

// toolInvoke adds a tool.invoke raw span with arguments and a result.
func toolInvoke(ss ptrace.ScopeSpans, args, result string) ptrace.Span {
	s := rawSpan(ss, "tool.invoke", "tools/call echo-tool")
	a := s.Attributes()
	a.PutStr("mcp.method.name", "tools/call")
	a.PutStr("gen_ai.operation.name", "execute_tool")
	a.PutStr("gen_ai.tool.name", "echo-tool")
	a.PutInt("jsonrpc.request.id", 1)
	a.PutStr("cf.tool.id", "24d65d29a5e14e15b3bf412d29dafc66")
	a.PutStr("cf.tool.integration_type", "REST")
	a.PutInt("cf.arguments.count", 4)
	a.PutBool("cf.request.has_headers", true)
	if args != "" {
		a.PutStr("gen_ai.tool.call.arguments", args)
	}
	if result != "" {
		a.PutStr("gen_ai.tool.call.result", result)
		a.PutBool("cf.result.is_error", false)
	}
	return s
}

func failSpan(s ptrace.Span, typ, msg string) {
	s.Status().SetCode(ptrace.StatusCodeError)
	ev := s.Events().AppendEmpty()
	ev.SetName("exception")
	ev.Attributes().PutStr("exception.type", typ)
	ev.Attributes().PutStr("exception.message", msg)
}

func langfuseConfig() *Config {
	cfg := createDefaultConfig()
	cfg.LangfuseAttributes = true
	cfg.CaptureInputSpans = []string{"tool.invoke"}
	cfg.CaptureOutputSpans = []string{"tool.invoke"}
	return cfg
}

// run processes td through the real factory with cfg and returns the exported traces.
func run(t testing.TB, cfg *Config, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), processortest.NewNopSettings(metadata.Type), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.ConsumeTraces(context.Background(), td))
	require.NoError(t, p.Shutdown(context.Background()))
	require.Len(t, sink.AllTraces(), 1)
	return sink.AllTraces()[0]
}

// runMeasured is run with the processor's own telemetry, returned for its metrics.
func runMeasured(t *testing.T, cfg *Config, td ptrace.Traces) (ptrace.Traces, *componenttest.Telemetry) {
	t.Helper()
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), metadatatest.NewSettings(tt), cfg, sink)
	require.NoError(t, err)
	require.NoError(t, p.ConsumeTraces(context.Background(), td))
	require.Len(t, sink.AllTraces(), 1)
	return sink.AllTraces()[0], tt
}

// runCounted is run that also returns the batch's count of malformed spans.
func runCounted(t *testing.T, cfg *Config, td ptrace.Traces) (ptrace.Traces, int64) {
	t.Helper()
	out, tt := runMeasured(t, cfg, td)
	var malformed int64
	if m, err := tt.GetMetric("otelcol_processor_mcpparity_malformed_spans"); err == nil {
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			malformed += dp.Value
		}
	}
	return out, malformed
}

func spanAt(td ptrace.Traces, i int) ptrace.Span {
	return td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(i)
}

func keys(m pcommon.Map) []string {
	out := make([]string, 0, m.Len())
	m.Range(func(k string, _ pcommon.Value) bool {
		out = append(out, k)
		return true
	})
	return out
}

func str(t *testing.T, m pcommon.Map, key string) string {
	t.Helper()
	v, ok := m.Get(key)
	require.Truef(t, ok, "missing %s in %v", key, keys(m))
	return v.AsString()
}

// exportedText is everything of the traces as OTLP JSON, for the no-secret checks.
func exportedText(t testing.TB, td ptrace.Traces) string {
	b, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(t, err)
	return string(b)
}

func assertNoRawKeys(t *testing.T, td ptrace.Traces) {
	t.Helper()
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			if sss.At(j).Scope().Name() != mapping.PythonScopeName {
				continue
			}
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				for _, key := range keys(spans.At(k).Attributes()) {
					assert.False(t, isRawOnlyKey(key), "raw key %s exported on %s", key, spans.At(k).Name())
				}
			}
		}
	}
}

func assertNoSecretsExported(t *testing.T, td ptrace.Traces) {
	t.Helper()
	text := exportedText(t, td)
	for _, s := range secrets {
		assert.NotContains(t, text, s)
	}
	// A secret must not hide in base64 either (a bytes value, or bytes turned into base64 text).
	for _, run := range base64Run.FindAllString(text, -1) {
		for off := 0; off < 4 && off < len(run); off++ {
			chunk := run[off:]
			chunk = chunk[:len(chunk)/4*4]
			decoded, _ := base64.StdEncoding.DecodeString(strings.TrimRight(chunk, "="))
			if decoded == nil {
				decoded, _ = base64.RawStdEncoding.DecodeString(strings.TrimRight(chunk, "="))
			}
			for _, s := range secrets {
				assert.NotContains(t, string(decoded), s, "base64 run %.40s", run)
			}
		}
	}
}

var base64Run = regexp.MustCompile(`[A-Za-z0-9+/]{16,}={0,2}`)

func TestToolInvokeSuccessMatchesPythonOrder(t *testing.T) {
	td, ss := rawTraces()
	toolInvoke(ss, `{"text":"hi"}`, `{"content":[{"type":"text","text":"hello"}],"isError":false}`)
	out := run(t, langfuseConfig(), td)

	sss := out.ResourceSpans().At(0).ScopeSpans().At(0)
	assert.Equal(t, "mcp-gateway", sss.Scope().Name())
	assert.Equal(t, "1.0.7-20260921", sss.Scope().Version())
	assert.Equal(t, "https://opentelemetry.io/schemas/1.11.0", sss.SchemaUrl())

	s := spanAt(out, 0)
	assert.Equal(t, "tool.invoke", s.Name())
	assert.Equal(t, ptrace.SpanKindInternal, s.Kind())
	assert.Equal(t, ptrace.StatusCodeOk, s.Status().Code())
	assert.Equal(t, 0, s.Events().Len())
	// The order of e_langfuse_endpoint_mcp_upstream_success's tool.invoke (REST: no gateway id).
	assert.Equal(t, []string{
		"tool.name", "tool.id", "tool.integration_type", "arguments_count", "has_headers",
		"user.email", "team.scope", "langfuse.observation.input", "correlation_id", "request_id",
		"user.is_admin", "auth.method", "langfuse.user.id", "langfuse.environment", "langfuse.trace.tags",
		"langfuse.trace.name", "langfuse.observation.level", "success", "duration.ms", "langfuse.observation.output",
	}, keys(s.Attributes()))
	a := s.Attributes()
	assert.Equal(t, "public", str(t, a, "team.scope"))
	assert.Equal(t, "Tool: echo-tool", str(t, a, "langfuse.trace.name"))
	assert.Equal(t, `["auth:jwt","env:development"]`, str(t, a, "langfuse.trace.tags"))
	assert.Equal(t, `{"text":"hi"}`, str(t, a, "langfuse.observation.input"))
	assert.Equal(t, `{"content":[{"type":"text","text":"hello","annotations":null,"_meta":null}],"isError":false,"structuredContent":null,"_meta":null}`,
		str(t, a, "langfuse.observation.output"))
	v, _ := a.Get("duration.ms")
	assert.Equal(t, pcommon.ValueTypeDouble, v.Type())
	assert.InDelta(t, 12.5, v.Double(), 1e-9)
	v, _ = a.Get("arguments_count")
	assert.Equal(t, pcommon.ValueTypeInt, v.Type())
	assertNoRawKeys(t, out)
}

func TestGatingMatrix(t *testing.T) {
	type outcome int
	const (
		succeeded outcome = iota
		isErrorResult
		raised
	)
	tests := []struct {
		name                    string
		langfuse                bool
		identity                *bool
		captureIn, captureOut   bool
		outcome                 outcome
		wantInput, wantOutput   bool
		wantLangfuse, wantIdent bool
	}{
		{name: "plain", outcome: succeeded},
		{name: "capture without langfuse", captureIn: true, captureOut: true, outcome: succeeded},
		{name: "langfuse without capture", langfuse: true, outcome: succeeded, wantLangfuse: true, wantIdent: true},
		{name: "langfuse and capture", langfuse: true, captureIn: true, captureOut: true, outcome: succeeded, wantInput: true, wantOutput: true, wantLangfuse: true, wantIdent: true},
		{name: "input list only", langfuse: true, captureIn: true, outcome: succeeded, wantInput: true, wantLangfuse: true, wantIdent: true},
		{name: "output list only", langfuse: true, captureOut: true, outcome: succeeded, wantOutput: true, wantLangfuse: true, wantIdent: true},
		{name: "isError result: no output", langfuse: true, captureIn: true, captureOut: true, outcome: isErrorResult, wantInput: true, wantLangfuse: true, wantIdent: true},
		{name: "exception: no output", langfuse: true, captureIn: true, captureOut: true, outcome: raised, wantInput: true, wantLangfuse: true, wantIdent: true},
		{name: "identity off under langfuse", langfuse: true, identity: boolPtr(false), outcome: succeeded, wantLangfuse: true},
		{name: "identity on without langfuse", identity: boolPtr(true), outcome: succeeded, wantIdent: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			cfg.LangfuseAttributes = tt.langfuse
			cfg.IdentityAttributes = tt.identity
			if tt.captureIn {
				cfg.CaptureInputSpans = []string{"tool.invoke"}
			}
			if tt.captureOut {
				cfg.CaptureOutputSpans = []string{"tool.invoke"}
			}
			td, ss := rawTraces()
			s := toolInvoke(ss, `{"q":"x"}`, `{"content":[],"isError":false}`)
			switch tt.outcome {
			case isErrorResult:
				s.Attributes().PutBool("cf.result.is_error", true)
			case raised:
				s.Attributes().Remove("gen_ai.tool.call.result")
				failSpan(s, "ToolInvocationError", "Tool invocation failed: boom")
			}
			a := spanAt(run(t, cfg, td), 0).Attributes()
			has := func(k string) bool { _, ok := a.Get(k); return ok }
			assert.Equal(t, tt.wantInput, has("langfuse.observation.input"), "input")
			assert.Equal(t, tt.wantOutput, has("langfuse.observation.output"), "output")
			for _, k := range []string{"langfuse.environment", "langfuse.trace.name", "langfuse.observation.level"} {
				assert.Equal(t, tt.wantLangfuse, has(k), k)
			}
			for _, k := range []string{"user.email", "user.is_admin", "team.scope"} {
				assert.Equal(t, tt.wantIdent, has(k), k)
			}
			assert.Equal(t, tt.wantLangfuse && tt.wantIdent, has("langfuse.user.id"), "langfuse.user.id")
			assert.True(t, has("auth.method"), "auth.method is never gated")
			success, _ := a.Get("success")
			assert.Equal(t, tt.outcome == succeeded, success.Bool())
			_, hasErr := a.Get("error")
			assert.Equal(t, tt.outcome == raised, hasErr)
		})
	}
}

func boolPtr(b bool) *bool { return &b }

func TestTeamScope(t *testing.T) {
	tests := []struct {
		name    string
		ids     []string // nil: the key is absent
		want    string
		primary string
	}{
		{name: "absent is admin", ids: nil, want: "admin"},
		{name: "empty is public", ids: []string{}, want: "public"},
		{name: "blank ids only is public", ids: []string{" ", ""}, want: "public"},
		{name: "one", ids: []string{"t1"}, want: "t1", primary: "t1"},
		{name: "five", ids: []string{"a", "b", "c", "d", "e"}, want: "a,b,c,d,e", primary: "a"},
		{name: "six cut to five", ids: []string{"a", "b", "c", "d", "e", "f"}, want: "a,b,c,d,e,...", primary: "a"},
		{name: "blank skipped, trimmed", ids: []string{"", " t2 ", "t3"}, want: "t2,t3", primary: "t2"},
		{name: "one among blanks, trimmed", ids: []string{" ", " t4 ", ""}, want: "t4", primary: "t4"},
		{name: "two, the second after blanks", ids: []string{"t5", "", " ", "t6"}, want: "t5,t6", primary: "t5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			if tt.ids != nil {
				sl := m.PutEmptySlice(mapping.KeyTeamIDs)
				for _, id := range tt.ids {
					sl.AppendEmpty().SetStr(id)
				}
			}
			assert.Equal(t, tt.want, formatTeamScope(m))
			assert.Equal(t, tt.primary, primaryTeam(tt.want))
		})
	}
}

func TestTraceTagsWithTeam(t *testing.T) {
	td, ss := rawTraces()
	s := rawSpan(ss, "tool.lookup", "tool.lookup")
	s.Attributes().PutStr("gen_ai.tool.name", "echo-tool")
	sl := s.Attributes().PutEmptySlice("cf.team.ids")
	sl.AppendEmpty().SetStr("team-a")
	sl.AppendEmpty().SetStr("team-b")
	cfg := langfuseConfig()
	cfg.DeploymentEnvironment = "prod"
	a := spanAt(run(t, cfg, td), 0).Attributes()
	assert.Equal(t, `["team:team-a","auth:jwt","env:prod"]`, str(t, a, "langfuse.trace.tags"))
	assert.Equal(t, "team-a,team-b", str(t, a, "team.scope"))
	assert.Equal(t, "prod", str(t, a, "langfuse.environment"))
	// Children's trace name is the span name itself.
	assert.Equal(t, "tool.lookup", str(t, a, "langfuse.trace.name"))

	// Without identity, the team tag is not emitted.
	td, ss = rawTraces()
	s = rawSpan(ss, "tool.lookup", "tool.lookup")
	s.Attributes().PutEmptySlice("cf.team.ids").AppendEmpty().SetStr("team-a")
	cfg.IdentityAttributes = boolPtr(false)
	a = spanAt(run(t, cfg, td), 0).Attributes()
	assert.Equal(t, `["auth:jwt","env:prod"]`, str(t, a, "langfuse.trace.tags"))
}

// TestTraceTagsSkipAndMemo: a tag whose value ends with ':' is left out (Python keeps only tags
// not ending with ':'), and every span of a batch gets the same sanitized tags, whether its tag
// values are sanitized afresh or found in the batch memo.
func TestTraceTagsSkipAndMemo(t *testing.T) {
	td, ss := rawTraces()
	for i := 0; i < 3; i++ {
		s := rawSpan(ss, "tool.lookup", "tool.lookup")
		s.Attributes().PutStr("cf.auth.method", "jwt:")
		s.Attributes().PutEmptySlice("cf.team.ids").AppendEmpty().SetStr("team-a token=abc123")
	}
	cfg := langfuseConfig()
	cfg.DeploymentEnvironment = "prod password=hunter2"
	out := run(t, cfg, td)
	for i := 0; i < 3; i++ {
		a := spanAt(out, i).Attributes()
		assert.Equal(t, `["team:team-a token=***","env:prod password=***"]`, str(t, a, "langfuse.trace.tags"), "span %d", i)
	}
}

func TestTraceNameSanitized(t *testing.T) {
	td, ss := rawTraces()
	s := toolInvoke(ss, "", "")
	s.Attributes().PutStr("gen_ai.tool.name", "echo token=abc123")
	a := spanAt(run(t, langfuseConfig(), td), 0).Attributes()
	assert.Equal(t, "echo token=***", str(t, a, "tool.name"))
	assert.Equal(t, "Tool: echo token=***", str(t, a, "langfuse.trace.name"))
}

func TestErrorSemantics(t *testing.T) {
	long := "Tool invocation failed: password=hunter2 " + strings.Repeat("x", 2000)
	for _, lf := range []bool{false, true} {
		cfg := createDefaultConfig()
		cfg.LangfuseAttributes = lf
		td, ss := rawTraces()
		s := toolInvoke(ss, "", "")
		failSpan(s, "ToolInvocationError", long)
		// A second, SDK-style event with a raw stack trace (D2: never exported).
		ev := s.Events().AppendEmpty()
		ev.SetName("exception")
		ev.Attributes().PutStr("exception.stacktrace", "Traceback: password=hunter2")
		gw := rawSpan(ss, "tool.gateway_call", "tool.gateway_call")
		gw.Attributes().PutStr("gen_ai.tool.name", "echo-tool")
		failSpan(gw, "ConnectError", "All connection attempts failed\n")
		out := run(t, cfg, td)

		inv := spanAt(out, 0)
		a := inv.Attributes()
		msg := str(t, a, "error.message")
		assert.Equal(t, 1024, utf8.RuneCountInString(msg))
		assert.True(t, strings.HasPrefix(msg, "Tool invocation failed: password=*** xxx"), msg)
		assert.True(t, strings.HasSuffix(msg, "..."))
		assert.Equal(t, "ToolInvocationError", str(t, a, "error.type"))
		e, _ := a.Get("error")
		assert.True(t, e.Bool())
		assert.Equal(t, ptrace.StatusCodeError, inv.Status().Code())
		assert.Equal(t, msg, inv.Status().Message(), "D1: the status description is the sanitized message")
		require.Equal(t, 1, inv.Events().Len(), "D2: one sanitized exception event")
		ea := inv.Events().At(0).Attributes()
		assert.Equal(t, []string{"exception.type", "exception.message", "exception.escaped"}, keys(ea))
		assert.Equal(t, msg, str(t, ea, "exception.message"))
		esc, _ := ea.Get("exception.escaped")
		assert.Equal(t, pcommon.ValueTypeBool, esc.Type())

		k := keys(a)
		if lf {
			assert.Equal(t, []string{"success", "duration.ms", "error", "error.type", "error.message",
				"langfuse.observation.level", "langfuse.observation.status_message"}, k[len(k)-7:])
			assert.Equal(t, "ERROR", str(t, a, "langfuse.observation.level"))
			assert.Equal(t, msg, str(t, a, "langfuse.observation.status_message"))
		} else {
			assert.Equal(t, []string{"success", "duration.ms", "error", "error.type", "error.message"}, k[len(k)-5:])
		}
		gwa := spanAt(out, 1).Attributes()
		assert.Equal(t, "All connection attempts failed", str(t, gwa, "error.message"), "control characters and trailing space stripped")
		_, hasSuccess := gwa.Get("success")
		assert.False(t, hasSuccess, "only tool.invoke carries success")
		assertNoSecretsExported(t, out)
	}
}

func TestEmptyExceptionMessageFallsBackToType(t *testing.T) {
	td, ss := rawTraces()
	s := rawSpan(ss, "mcp.client.request", "mcp.client.request")
	failSpan(s, "McpError", "  ")
	out := spanAt(run(t, createDefaultConfig(), td), 0)
	assert.Equal(t, "McpError", str(t, out.Attributes(), "error.message"))
}

func TestRequestRoot(t *testing.T) {
	td, ss := rawTraces()
	s := rawSpan(ss, "request", "POST /rpc")
	a := s.Attributes()
	a.PutStr("http.request.method", "POST")
	a.PutStr("url.path", "/rpc")
	a.PutStr("url.query", "session_id=abc&api_key=zzz&x=1")
	a.PutStr("network.protocol.version", "1.1")
	a.PutStr("server.address", "127.0.0.1")
	a.PutInt("server.port", 4444)
	a.PutStr("client.address", "127.0.0.1")
	a.PutInt("client.port", 5555)
	a.PutStr("user_agent.original", "python-httpx/0.28.1")
	a.PutInt("http.response.status_code", 200)
	s.SetKind(ptrace.SpanKindServer)

	out := run(t, langfuseConfig(), td)
	r := spanAt(out, 0)
	assert.Equal(t, "POST /rpc", r.Name())
	assert.Equal(t, ptrace.SpanKindServer, r.Kind())
	assert.Equal(t, ptrace.StatusCodeOk, r.Status().Code())
	assert.Equal(t, []string{"http.request.method", "http.route", "url.path", "url.query", "network.protocol.version",
		"server.address", "server.port", "client.address", "client.port", "user_agent.original", "http.response.status_code"},
		keys(r.Attributes()), "no identity, langfuse or generated correlation id on the root")
	assert.Equal(t, "/rpc", str(t, r.Attributes(), "http.route"))
	q := str(t, r.Attributes(), "url.query")
	assert.NotContains(t, q, "abc")
	assert.NotContains(t, q, "zzz")

	// From the header: correlation_id before the status code; >= 500 is ERROR without description.
	td, ss = rawTraces()
	s = rawSpan(ss, "request", "POST /mcp")
	s.Attributes().PutBool("cf.correlation_id.from_header", true)
	s.Attributes().PutStr("http.request.method", "POST")
	s.Attributes().PutStr("url.path", "/mcp")
	s.Attributes().PutInt("http.response.status_code", 502)
	r = spanAt(run(t, createDefaultConfig(), td), 0)
	assert.Equal(t, []string{"http.request.method", "http.route", "url.path", "correlation_id", "http.response.status_code"}, keys(r.Attributes()))
	assert.Equal(t, ptrace.StatusCodeError, r.Status().Code())
	assert.Empty(t, r.Status().Message())
}

func TestMCPClientSpans(t *testing.T) {
	td, ss := rawTraces()
	c := rawSpan(ss, "mcp.client.call", "mcp.client.call")
	a := c.Attributes()
	a.PutStr("cf.upstream.tool_name", "whoami_trace")
	a.PutStr("cf.tool.id", "t1")
	a.PutStr("cf.tool.gateway_id", "g1")
	a.PutStr("cf.upstream.transport", "streamablehttp")
	a.PutStr("server.address", "localhost")
	a.PutInt("server.port", 18090)
	a.PutStr("url.path", "/mcp")
	a.PutStr("url.full", "http://u:p@localhost:18090/mcp?token=abc123")
	r := rawSpan(ss, "mcp.client.response", "mcp.client.response")
	r.Attributes().PutStr("cf.upstream.tool_name", "whoami_trace")
	r.Attributes().PutStr("cf.tool.id", "t1")
	r.Attributes().PutStr("cf.tool.gateway_id", "g1")
	r.Attributes().PutBool("cf.upstream.success", true)
	out := run(t, createDefaultConfig(), td)

	ca := spanAt(out, 0).Attributes()
	assert.Equal(t, []string{"mcp.tool.name", "contextforge.tool.id", "contextforge.gateway_id", "contextforge.runtime",
		"contextforge.transport", "network.protocol.name", "server.address", "server.port", "url.path", "url.full",
		"correlation_id", "request_id", "auth.method"}, keys(ca))
	assert.Equal(t, "rust", str(t, ca, "contextforge.runtime"), "D5")
	assert.Equal(t, "mcp", str(t, ca, "network.protocol.name"))
	assert.Equal(t, "http://REDACTED:REDACTED@localhost:18090/mcp?token=REDACTED", str(t, ca, "url.full"))
	ra := spanAt(out, 1).Attributes()
	assert.Equal(t, []string{"mcp.tool.name", "contextforge.tool.id", "contextforge.gateway_id", "contextforge.runtime",
		"upstream.response.success", "correlation_id", "request_id", "auth.method"}, keys(ra))
	assertNoSecretsExported(t, out)
}

func TestSecretsInCapturesAreRedacted(t *testing.T) {
	td, ss := rawTraces()
	echo := `{"content":[{"type":"text","text":"{\"echo\": ` + strings.ReplaceAll(secretArgs, `"`, `\"`) + `}"}],"isError":false}`
	toolInvoke(ss, secretArgs, echo)
	out := run(t, langfuseConfig(), td)
	a := spanAt(out, 0).Attributes()
	in := str(t, a, "langfuse.observation.input")
	assert.Equal(t, `{"password":"***","query":"token=*** Bearer ***","api_key":"***","note":"see https://REDACTED:REDACTED@example.com/x?api_key=REDACTED&q=1"}`, in)
	outp := str(t, a, "langfuse.observation.output")
	assert.True(t, json.Valid([]byte(outp)), "D4: the output capture stays valid JSON: %s", outp)
	assertNoSecretsExported(t, out)
}

func TestTruncationAndRuntimeCappedPayload(t *testing.T) {
	cfg := langfuseConfig()
	cfg.MaxTracePayloadSize = 256
	td, ss := rawTraces()
	toolInvoke(ss, `{"blob":"`+strings.Repeat("x", 1000)+`"}`, "")
	capped := toolInvoke(ss, `{"blob":"`+strings.Repeat("y", 600), "")
	capped.Attributes().PutInt("cf.arguments.original_size", 1_048_577)

	out, tt := runMeasured(t, cfg, td)

	in := str(t, spanAt(out, 0).Attributes(), "langfuse.observation.input")
	assert.Equal(t, 255, utf8.RuneCountInString(in), "safe_serialize's wrapper is max-1 characters")
	assert.True(t, strings.HasPrefix(in, `{"_truncated":true,"_original_size":1011,"_preview":"{\"blob\":\"xxx`), in)
	in2 := str(t, spanAt(out, 1).Attributes(), "langfuse.observation.input")
	assert.True(t, strings.HasPrefix(in2, `{"_truncated":true,"_original_size":1048577,"_preview":"{\"blob\":\"yyy`), in2)
	assert.LessOrEqual(t, utf8.RuneCountInString(in2), 256)
	assert.True(t, json.Valid([]byte(in2)))
	metadatatest.AssertEqualProcessorMcpparityTruncations(t, tt, []metricdata.DataPoint[int64]{{Value: 2}}, metricdatatestIgnore()...)
}

func TestBaggage(t *testing.T) {
	td, ss := rawTraces()
	s := rawSpan(ss, "tool.lookup", "tool.lookup")
	s.Attributes().PutStr("cf.baggage", "tenant.id=acme%20co;prop=1, user.tier = gold ,evil=x, region=eu\x01w, empty=")
	cfg := createDefaultConfig()
	cfg.Baggage.Enabled = true
	cfg.Baggage.AllowedKeys = []string{"tenant.id", "user.tier", "region", "empty"}
	a := spanAt(run(t, cfg, td), 0).Attributes()
	assert.Equal(t, "acme co", str(t, a, "baggage.tenant.id"))
	assert.Equal(t, "gold", str(t, a, "baggage.user.tier"))
	assert.Equal(t, "euw", str(t, a, "baggage.region"), "non-printable characters removed")
	_, ok := a.Get("baggage.evil")
	assert.False(t, ok, "inbound baggage is fail-closed to the allowed keys")
	_, ok = a.Get("baggage.empty")
	assert.False(t, ok)

	// Unprefixed, with a span-attribute allowlist and an item limit.
	td, ss = rawTraces()
	s = rawSpan(ss, "tool.lookup", "tool.lookup")
	s.Attributes().PutStr("cf.baggage", "a=1,b=2,c=3")
	cfg.Baggage.AllowedKeys = []string{"a", "b", "c"}
	cfg.Baggage.EmitPrefixedAttributes = false
	cfg.Baggage.SpanAttributeAllowlist = []string{"b", "c"}
	cfg.Baggage.MaxItems = 2
	a = spanAt(run(t, cfg, td), 0).Attributes()
	assert.Equal(t, "2", str(t, a, "b"))
	for _, k := range []string{"a", "c", "baggage.b"} {
		_, ok := a.Get(k)
		assert.False(t, ok, k)
	}

	// Disabled: nothing.
	td, ss = rawTraces()
	rawSpan(ss, "tool.lookup", "tool.lookup").Attributes().PutStr("cf.baggage", "a=1")
	a = spanAt(run(t, createDefaultConfig(), td), 0).Attributes()
	for _, k := range keys(a) {
		assert.False(t, strings.HasPrefix(k, "baggage."), k)
	}
}

func TestForeignSpansScrubbed(t *testing.T) {
	td := ptrace.NewTraces()
	ss := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty()
	ss.Scope().SetName("mcp-gateway")
	s := ss.Spans().AppendEmpty()
	s.SetName("tool.invoke")
	s.Attributes().PutStr("tool.name", "echo-tool")
	s.Attributes().PutStr("gen_ai.operation.name", "kept: not a raw scope")
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Status().SetMessage("ToolInvocationError: password=hunter2 Bearer sekrit-bearer")
	ev := s.Events().AppendEmpty()
	ev.SetName("exception")
	ev.Attributes().PutStr("exception.message", "see https://u:p@example.com/?api_key=zzz")
	ev.Attributes().PutStr("exception.stacktrace", "line 1\n  token=abc123")
	ev.Attributes().PutStr("exception.escaped", "False")
	other := s.Events().AppendEmpty()
	other.SetName("log")
	other.Attributes().PutStr("msg", "untouched")

	for _, scrub := range []bool{true, false} {
		cfg := createDefaultConfig()
		cfg.ScrubForeignSpans = scrub
		out := spanAt(run(t, cfg, cloneTraces(td)), 0)
		assert.Equal(t, "tool.invoke", out.Name())
		assert.Equal(t, "echo-tool", str(t, out.Attributes(), "tool.name"))
		assert.Equal(t, "kept: not a raw scope", str(t, out.Attributes(), "gen_ai.operation.name"))
		assert.Equal(t, 2, out.Events().Len())
		assert.Equal(t, "untouched", str(t, out.Events().At(1).Attributes(), "msg"))
		if scrub {
			assert.Equal(t, "ToolInvocationError: password=*** Bearer ***", out.Status().Message())
			assert.Equal(t, "False", str(t, out.Events().At(0).Attributes(), "exception.escaped"))
			assert.Equal(t, "line 1\n  token=***", str(t, out.Events().At(0).Attributes(), "exception.stacktrace"))
			text := exportedText(t, ptraceOf(out))
			for _, sec := range secrets {
				assert.NotContains(t, text, sec)
			}
		} else {
			assert.Contains(t, out.Status().Message(), "hunter2")
		}
	}
}

func cloneTraces(td ptrace.Traces) ptrace.Traces {
	c := ptrace.NewTraces()
	td.CopyTo(c)
	return c
}

func ptraceOf(s ptrace.Span) ptrace.Traces {
	td := ptrace.NewTraces()
	s.CopyTo(td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans().AppendEmpty())
	return td
}

func TestToolListIsARow(t *testing.T) {
	td, ss := rawTraces()
	s := rawSpan(ss, "tool.list", "tools/list")
	s.Attributes().PutBool("cf.list.include_inactive", false)
	s.Attributes().PutInt("cf.list.tags_count", 0)
	a := spanAt(run(t, langfuseConfig(), td), 0)
	assert.Equal(t, "tool.list", a.Name())
	assert.Equal(t, "Tools", str(t, a.Attributes(), "langfuse.trace.name"))
	assert.Equal(t, "false", str(t, a.Attributes(), "include_inactive"))
}

func TestSelfTelemetry(t *testing.T) {
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	td, ss := rawTraces()
	toolInvoke(ss, secretArgs, "")
	rawSpan(ss, "no.such.op", "x")
	f := td.ResourceSpans().At(0).ScopeSpans().AppendEmpty()
	f.Scope().SetName("fastapi")
	f.Spans().AppendEmpty().SetName("fastapi.endpoint")

	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), metadatatest.NewSettings(tt), langfuseConfig(), sink)
	require.NoError(t, err)
	require.NoError(t, p.ConsumeTraces(context.Background(), td))
	assert.Equal(t, 3, sink.SpanCount())
	ignore := metricdatatestIgnore()
	metadatatest.AssertEqualProcessorMcpparitySpansTransformed(t, tt, []metricdata.DataPoint[int64]{{Value: 2}}, ignore...)
	metadatatest.AssertEqualProcessorMcpparitySpansPassedThrough(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, ignore...)
	metadatatest.AssertEqualProcessorMcpparityMalformedSpans(t, tt, []metricdata.DataPoint[int64]{{Value: 1}}, ignore...)
	m, err := tt.GetMetric("otelcol_processor_mcpparity_redactions")
	require.NoError(t, err)
	sum := m.Data.(metricdata.Sum[int64])
	require.Len(t, sum.DataPoints, 1)
	assert.Positive(t, sum.DataPoints[0].Value, "the captured input had secrets")
}

// TestMalformed runs every input of testdata/malformed plus the generated huge ones: each span is
// exported (never dropped), without raw keys or secrets, bounded, and counted as malformed.
func TestMalformed(t *testing.T) {
	cfg := langfuseConfig()
	files, err := filepath.Glob("testdata/malformed/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	inputs := map[string]ptrace.Traces{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(b)
		require.NoError(t, err, f)
		inputs[filepath.Base(f)] = td
	}
	// Generated: too big or not representable in OTLP JSON.
	td, ss := rawTraces()
	toolInvoke(ss, `{"blob":"`+strings.Repeat("password=hunter2 ", 10<<20/17)+`"}`, "")
	inputs["10MB_payload"] = td
	td, ss = rawTraces()
	s := toolInvoke(ss, "", "")
	s.Attributes().PutStr("gen_ai.tool.name", strings.Repeat("token=abc123 ", 1<<20))
	inputs["1MB_tool_name"] = td
	td, ss = rawTraces()
	s = toolInvoke(ss, "", "")
	for i := 0; i < 10_000; i++ {
		s.Attributes().PutStr("extra."+strings.Repeat("k", i%7)+string(rune('a'+i%26))+itoa(i), "password=hunter2")
	}
	inputs["10000_attributes"] = td
	td, ss = rawTraces()
	s = toolInvoke(ss, "{\"q\":\"\xff\xfe password=hunter2\"}", "")
	s.Attributes().PutStr("gen_ai.tool.name", "bad\xc3\x28utf8")
	failSpan(s, "Err\xff", "bad \xff\xfe token=abc123")
	inputs["invalid_utf8"] = td
	// Bytes and map values: their bytes (not base64) and their JSON are what gets sanitized.
	td, ss = rawTraces()
	s = toolInvoke(ss, "", "")
	s.Attributes().PutEmptyBytes("gen_ai.tool.call.arguments").FromRaw([]byte("{\"password\": \"hunter2\", \"q\": \"\xff\xfe token=abc123\"}"))
	s.Attributes().PutEmptyBytes("gen_ai.tool.name").FromRaw([]byte("echo password=hunter2 \xff"))
	res := s.Attributes().PutEmptyMap("gen_ai.tool.call.result")
	res.PutEmptySlice("content").AppendEmpty().SetEmptyMap().PutStr("text", "token=abc123")
	s.Attributes().PutBool("cf.result.is_error", false)
	inputs["bytes_and_map_values"] = td

	for name, td := range inputs {
		t.Run(name, func(t *testing.T) {
			tt := componenttest.NewTelemetry()
			t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
			want := td.SpanCount()
			sink := new(consumertest.TracesSink)
			p, err := NewFactory().CreateTraces(context.Background(), metadatatest.NewSettings(tt), cfg, sink)
			require.NoError(t, err)
			require.NotPanics(t, func() { require.NoError(t, p.ConsumeTraces(context.Background(), td)) })
			out := sink.AllTraces()[0]
			require.Equal(t, want, out.SpanCount(), "never dropped")
			assertNoRawKeys(t, out)
			assertNoSecretsExported(t, out)
			s := spanAt(out, 0)
			s.Attributes().Range(func(k string, v pcommon.Value) bool {
				assert.LessOrEqual(t, utf8.RuneCountInString(v.AsString()), cfg.MaxTracePayloadSize, k)
				assert.True(t, utf8.ValidString(v.AsString()), k)
				return true
			})
			assert.True(t, utf8.ValidString(s.Name()))
			assert.True(t, utf8.ValidString(s.Status().Message()))
			metadatatest.AssertEqualProcessorMcpparityMalformedSpans(t, tt, []metricdata.DataPoint[int64]{{Value: int64(want)}}, metricdatatestIgnore()...)
		})
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

// BenchmarkToolInvoke2KB: one tool.invoke raw span, 2 KB arguments and result, both captured: the
// inputs of the text engine's BenchmarkSerializeToolArguments2K and BenchmarkSerializeToolResult2K
// (internal/redact/testdata/bench/tool_*_2k.json).
func BenchmarkToolInvoke2KB(b *testing.B) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(b, err)
	td, ss := rawTraces()
	toolInvoke(ss, benchInput(b, "tool_args_2k.json"), benchInput(b, "tool_result_2k.json"))
	benchProcess(b, p, td, 256)
}

// benchInput is one of the text engine's benchmark inputs (internal/redact/testdata/bench).
func benchInput(tb testing.TB, name string) string {
	tb.Helper()
	data, err := os.ReadFile("../internal/redact/testdata/bench/" + name)
	require.NoError(tb, err)
	return string(data)
}

// readBatch reads one of the bench batches of testdata/bench (OTLP JSON).
func readBatch(tb testing.TB, name string) ptrace.Traces {
	tb.Helper()
	raw, err := os.ReadFile("testdata/bench/" + name)
	require.NoError(tb, err)
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
	require.NoError(tb, err)
	return td
}

// benchProcess times processTraces over fresh copies of td, made outside the timer in chunks.
func benchProcess(b *testing.B, p *parityProcessor, td ptrace.Traces, chunk int) {
	benchProcessCopies(b, p, chunk, func() ptrace.Traces {
		c := ptrace.NewTraces()
		td.CopyTo(c)
		return c
	})
}

// benchProcessCopies times processTraces over the batches fresh returns, made outside the timer
// in chunks.
func benchProcessCopies(b *testing.B, p *parityProcessor, chunk int, fresh func() ptrace.Traces) {
	copies := make([]ptrace.Traces, chunk)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		n := min(chunk, b.N-done)
		for i := 0; i < n; i++ {
			copies[i] = fresh()
		}
		b.StartTimer()
		for i := 0; i < n; i++ {
			_, _ = p.processTraces(context.Background(), copies[i])
		}
		done += n
	}
}

// BenchmarkMixedBatch1000 processes testdata/bench/mixed_1000.json (shared with bench/contribchain).
func BenchmarkMixedBatch1000(b *testing.B) {
	td := readBatch(b, "mixed_1000.json")
	require.Equal(b, 1000, td.SpanCount())
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(b, err)
	benchProcess(b, p, td, 4)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/span")
}

// BenchmarkMixedBatch1000Proto is BenchmarkMixedBatch1000 on batches decoded from OTLP protobuf,
// as the collector's receivers decode them (an attribute array grows by append and has room
// beyond its length; the copies of BenchmarkMixedBatch1000 have exact-size arrays).
func BenchmarkMixedBatch1000Proto(b *testing.B) {
	td := readBatch(b, "mixed_1000.json")
	pb, err := (&ptrace.ProtoMarshaler{}).MarshalTraces(td)
	require.NoError(b, err)
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(b, err)
	benchProcessCopies(b, p, 4, func() ptrace.Traces {
		c, err := (&ptrace.ProtoUnmarshaler{}).UnmarshalTraces(pb)
		require.NoError(b, err)
		return c
	})
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/span")
}

func TestMixedBatchFile(t *testing.T) {
	td := readBatch(t, "mixed_1000.json")
	require.Equal(t, 1000, td.SpanCount())
	out := run(t, langfuseConfig(), td)
	require.Equal(t, 1000, out.SpanCount())
	assertNoRawKeys(t, out)
	assertNoSecretsExported(t, out)
}

func metricdatatestIgnore() []metricdatatest.Option {
	return []metricdatatest.Option{metricdatatest.IgnoreTimestamp()}
}

func TestSessionTeamNameServerID(t *testing.T) {
	td, ss := rawTraces()
	s := toolInvoke(ss, "", "")
	s.Attributes().PutStr("cf.session.id", "sess-1")
	s.Attributes().PutStr("cf.team.name", "Platform")
	s.Attributes().PutStr("cf.server.id", "9f1c")
	a := spanAt(run(t, langfuseConfig(), td), 0).Attributes()
	assert.Equal(t, []string{
		"tool.name", "tool.id", "tool.integration_type", "arguments_count", "has_headers",
		"user.email", "team.scope", "server_id", "correlation_id", "request_id",
		"user.is_admin", "team.name", "auth.method", "langfuse.user.id", "langfuse.session.id", "langfuse.environment",
		"langfuse.trace.tags", "langfuse.trace.name", "langfuse.observation.level", "success", "duration.ms",
	}, keys(a))
	assert.Equal(t, "sess-1", str(t, a, "langfuse.session.id"), "not redacted: the key normalizes to langfusesessionid")

	td, ss = rawTraces()
	s = toolInvoke(ss, "", "")
	s.Attributes().PutStr("cf.session.id", "sess-1")
	s.Attributes().PutStr("cf.team.name", "Platform")
	a = spanAt(run(t, createDefaultConfig(), td), 0).Attributes()
	for _, k := range []string{"langfuse.session.id", "team.name"} {
		_, ok := a.Get(k)
		assert.False(t, ok, k)
	}
}

// TestRedactionCountIsExact: a capture counts as redacted when a rule acted on it, not when its
// text holds a mask (the caller may have sent "***" or "REDACTED" itself).
func TestRedactionCountIsExact(t *testing.T) {
	redactions := func(args string) int64 {
		tt := componenttest.NewTelemetry()
		t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
		td, ss := rawTraces()
		toolInvoke(ss, args, "")
		p, err := NewFactory().CreateTraces(context.Background(), metadatatest.NewSettings(tt), langfuseConfig(), new(consumertest.TracesSink))
		require.NoError(t, err)
		require.NoError(t, p.ConsumeTraces(context.Background(), td))
		m, err := tt.GetMetric("otelcol_processor_mcpparity_redactions")
		if err != nil {
			return 0 // never recorded
		}
		var n int64
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			n += dp.Value
		}
		return n
	}
	assert.Zero(t, redactions(`{"note":"*** was REDACTED upstream","url":"https://h/?api_key=REDACTED"}`))
	assert.Equal(t, int64(1), redactions(`{"note":"*** was REDACTED upstream","q":"token=abc"}`))
}

// TestBatchIndependence: a span exports the same whatever spans come before it in its batch. The
// batch shares a memo of sanitized values, a scratch map and the donors (the string values left
// in earlier spans' raw maps, raw secrets included, reused for exported strings): none of them
// may leak one span's values into another's. Every span of the mixed bench batch is processed
// alone and compared with its form in the whole batch.
func TestBatchIndependence(t *testing.T) {
	td := readBatch(t, "mixed_1000.json")
	alone := make([]ptrace.Traces, 0, td.SpanCount())
	eachSpan(td, func(from ptrace.ResourceSpans, scope ptrace.ScopeSpans, span ptrace.Span) {
		one := ptrace.NewTraces()
		rs := one.ResourceSpans().AppendEmpty()
		from.Resource().CopyTo(rs.Resource())
		ss := rs.ScopeSpans().AppendEmpty()
		scope.Scope().CopyTo(ss.Scope())
		span.CopyTo(ss.Spans().AppendEmpty())
		alone = append(alone, one)
	})
	batch := allSpans(run(t, langfuseConfig(), td))
	require.Len(t, batch, len(alone))
	for i, one := range alone {
		want := spanAt(run(t, langfuseConfig(), one), 0)
		got := batch[i]
		require.Equal(t, want.Attributes().AsRaw(), got.Attributes().AsRaw(), "span %d (%s)", i, got.Name())
		require.Equal(t, want.Name(), got.Name())
		require.Equal(t, want.Status().Message(), got.Status().Message())
	}
}

// allSpans lists the spans of td in order.
func allSpans(td ptrace.Traces) []ptrace.Span {
	var out []ptrace.Span
	eachSpan(td, func(_ ptrace.ResourceSpans, _ ptrace.ScopeSpans, span ptrace.Span) { out = append(out, span) })
	return out
}

// eachSpan calls f with each span of td in order, with its resource and scope spans.
func eachSpan(td ptrace.Traces, f func(ptrace.ResourceSpans, ptrace.ScopeSpans, ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				f(rss.At(i), sss.At(j), spans.At(k))
			}
		}
	}
}

// TestDonorsCarryNoRawText: the donors a batch leaves for the next one hold no raw text (a
// secret of the last batch's payload), and the next batch's exported values are its own.
func TestDonorsCarryNoRawText(t *testing.T) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	td, ss := rawTraces()
	toolInvoke(ss, `{"q":"sk-live-secret-one"}`, `{"content":[{"type":"text","text":"sk-live-secret-two"}],"isError":false}`)
	var c counts
	p.transformSafe(spanAt(td, 0), &c, nil)
	s := c.transformScratch(p)
	require.Positive(t, s.nDonors, "the raw payloads are left as donors")
	c.release()
	for i := 0; i < s.nDonors; i++ {
		assert.Empty(t, s.donors.At(i).Str(), "donor %d", i)
	}
	c.scratch = s // the next batch gets this scratch
	td2, ss2 := rawTraces()
	toolInvoke(ss2, `{"q":"fine"}`, "")
	p.transformSafe(spanAt(td2, 0), &c, nil)
	spanAt(td2, 0).Attributes().Range(func(k string, v pcommon.Value) bool {
		assert.NotContains(t, v.AsString(), "secret", k)
		return true
	})
	assert.Equal(t, `{"q":"fine"}`, str(t, spanAt(td2, 0).Attributes(), "langfuse.observation.input"))
}

// TestRepeatedValuesCountEverySpan: a value repeated by the spans of a batch (answered from
// the key's slot or the batch memo after the first span) counts a redaction, and invalid UTF-8
// a malformed span, for every span as it does for one span alone.
func TestRepeatedValuesCountEverySpan(t *testing.T) {
	counters := func(spans int) (redactions, malformed int64) {
		tt := componenttest.NewTelemetry()
		t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
		td, ss := rawTraces()
		for i := 0; i < spans; i++ {
			s := rawSpan(ss, "tool.lookup", "tool.lookup")
			s.Attributes().PutStr("cf.team.name", "ops token=abc123")
			s.Attributes().PutStr("gen_ai.tool.name", "echo\xff-tool")
		}
		p, err := NewFactory().CreateTraces(context.Background(), metadatatest.NewSettings(tt), langfuseConfig(), new(consumertest.TracesSink))
		require.NoError(t, err)
		require.NoError(t, p.ConsumeTraces(context.Background(), td))
		sum := func(name string) int64 {
			m, err := tt.GetMetric(name)
			if err != nil {
				return 0
			}
			var n int64
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				n += dp.Value
			}
			return n
		}
		return sum("otelcol_processor_mcpparity_redactions"), sum("otelcol_processor_mcpparity_malformed_spans")
	}
	r1, m1 := counters(1)
	require.Positive(t, r1)
	require.Equal(t, int64(1), m1)
	r4, m4 := counters(4)
	assert.Equal(t, 4*r1, r4)
	assert.Equal(t, int64(4), m4)
}
