// Command gen writes ../mixed_1000.json: 1,000 contract-v1 raw spans as OTLP JSON (ptrace), in
// realistic request trees (request → tool.invoke → lookup / gateway_call [→ mcp.client.*] /
// post_process), with some failures, isError results, secrets in payloads and foreign spans,
// and ../mixed_1000_v2.json: the same requests as contract-v2 bundles (bundle.go).
// It is deterministic (fixed seed and clock), so the file only changes when this program does:
//
//	cd processor/mcpparityprocessor && go run ./testdata/bench/gen
package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

const (
	totalSpans = 1000
	rawScope   = mapping.RawScopeName
	baseTime   = int64(1_790_000_000_000_000_000)
)

type gen struct {
	rng   *rand.Rand
	clock int64
	seq   uint64
}

func (g *gen) id8() pcommon.SpanID {
	g.seq++
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], g.seq*0x9e3779b97f4a7c15)
	return b
}

func (g *gen) traceID() pcommon.TraceID {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], g.rng.Uint64())
	binary.BigEndian.PutUint64(b[8:], g.rng.Uint64())
	return b
}

func (g *gen) hex32() string { return fmt.Sprintf("%016x%016x", g.rng.Uint64(), g.rng.Uint64()) }

type call struct {
	traceID     pcommon.TraceID
	correlation string
	fromHeader  bool
	email       string
	teams       []string // nil = admin
	auth        string
	session     string
	tool        string
	toolID      string
	gatewayID   string
	mcp         bool
	failAt      string // "" | "tool.gateway_call" | "mcp.client.request"
	isError     bool
}

func (g *gen) span(ss ptrace.ScopeSpans, c *call, parent pcommon.SpanID, op, name string, kind ptrace.SpanKind, durMs int64) ptrace.Span {
	s := ss.Spans().AppendEmpty()
	s.SetTraceID(c.traceID)
	s.SetSpanID(g.id8())
	s.SetParentSpanID(parent)
	s.SetName(name)
	s.SetKind(kind)
	g.clock += 1_000_000
	s.SetStartTimestamp(pcommon.Timestamp(g.clock))
	s.SetEndTimestamp(pcommon.Timestamp(g.clock + durMs*1_000_000))
	a := s.Attributes()
	a.PutStr(mapping.KeyOp, op)
	a.PutStr(mapping.KeyCorrelationID, c.correlation)
	a.PutBool(mapping.KeyCorrelationIDFromHeader, c.fromHeader)
	a.PutStr(mapping.KeyAuthMethod, c.auth)
	if c.email != "" {
		a.PutStr(mapping.KeyUserEmail, c.email)
		a.PutBool(mapping.KeyUserIsAdmin, c.teams == nil)
	}
	if c.teams != nil {
		sl := a.PutEmptySlice(mapping.KeyTeamIDs)
		for _, t := range c.teams {
			sl.AppendEmpty().SetStr(t)
		}
	}
	if c.session != "" {
		a.PutStr(mapping.KeySessionID, c.session)
	}
	return s
}

func fail(s ptrace.Span, typ, msg string) {
	s.Status().SetCode(ptrace.StatusCodeError)
	ev := s.Events().AppendEmpty()
	ev.SetName(mapping.ExceptionEvent)
	ev.SetTimestamp(s.EndTimestamp())
	ev.Attributes().PutStr(mapping.KeyExceptionType, typ)
	ev.Attributes().PutStr(mapping.KeyExceptionMessage, msg)
}

// arguments is a ~2 KB JSON object with a few secrets, like SECRET_ARGS of the oracle captures.
func (g *gen) arguments() string {
	var b strings.Builder
	b.WriteString(`{"query":"token=abc123 Bearer xyz","password":"hunter2","note":"see https://u:p@example.com/x?api_key=zzz&q=1","items":[`)
	n := 8 + g.rng.IntN(8)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d,"name":"item-%d","text":"%s"}`, i, i, strings.Repeat("lorem ipsum ", 8))
	}
	b.WriteString(`]}`)
	return b.String()
}

func (g *gen) result(isError bool) string {
	text := `{\n  \"echo\": {\"password\": \"hunter2\", \"n\": 3},\n  \"body\": \"` + strings.Repeat("dolor sit amet ", 60) + `\"\n}`
	return fmt.Sprintf(`{"content":[{"type":"text","text":"%s"}],"isError":%t}`, text, isError)
}

func (g *gen) tree(ss ptrace.ScopeSpans, c *call) {
	path := []string{"/rpc", "/mcp", "/servers/9f1c2d3e4b5a69788796a5b4c3d2e1f0/mcp"}[g.rng.IntN(3)]
	root := g.span(ss, c, pcommon.SpanID{}, "request", "POST "+path, ptrace.SpanKindServer, 40)
	ra := root.Attributes()
	ra.PutStr(mapping.KeyHTTPRequestMethod, "POST")
	ra.PutStr(mapping.KeyURLPath, path)
	if g.rng.IntN(4) == 0 {
		ra.PutStr(mapping.KeyURLQuery, "session_id=abc&api_key=zzz")
	}
	ra.PutStr(mapping.KeyNetworkProtocolVersion, "1.1")
	ra.PutStr(mapping.KeyServerAddress, "127.0.0.1")
	ra.PutInt(mapping.KeyServerPort, 4444)
	ra.PutStr(mapping.KeyClientAddress, "127.0.0.1")
	ra.PutInt(mapping.KeyClientPort, int64(30000+g.rng.IntN(30000)))
	ra.PutStr(mapping.KeyUserAgentOriginal, "python-httpx/0.28.1")
	ra.PutInt(mapping.KeyHTTPResponseStatusCode, 200)

	inv := g.span(ss, c, root.SpanID(), "tool.invoke", "tools/call "+c.tool, ptrace.SpanKindInternal, 30)
	ia := inv.Attributes()
	ia.PutStr(mapping.KeyMCPMethodName, "tools/call")
	ia.PutStr(mapping.KeyGenAIOperationName, "execute_tool")
	ia.PutStr(mapping.KeyGenAIToolName, c.tool)
	ia.PutInt(mapping.KeyJSONRPCRequestID, int64(g.rng.IntN(1000)))
	ia.PutStr(mapping.KeyToolID, c.toolID)
	integration := "REST"
	if c.mcp {
		integration = "MCP"
		ia.PutStr(mapping.KeyToolGatewayID, c.gatewayID)
	}
	ia.PutStr(mapping.KeyToolIntegrationType, integration)
	ia.PutInt(mapping.KeyArgumentsCount, 4)
	ia.PutBool(mapping.KeyRequestHasHeaders, true)
	ia.PutStr(mapping.KeyToolCallArguments, g.arguments())
	if c.failAt == "" {
		ia.PutStr(mapping.KeyToolCallResult, g.result(c.isError))
		ia.PutBool(mapping.KeyResultIsError, c.isError)
	}

	lk := g.span(ss, c, inv.SpanID(), "tool.lookup", "tool.lookup", ptrace.SpanKindInternal, 1)
	toolFacts(lk.Attributes(), c, integration, true)
	gw := g.span(ss, c, inv.SpanID(), "tool.gateway_call", "tool.gateway_call", ptrace.SpanKindInternal, 25)
	toolFacts(gw.Attributes(), c, integration, true)
	if c.mcp {
		cc := g.span(ss, c, gw.SpanID(), "mcp.client.call", "mcp.client.call", ptrace.SpanKindInternal, 20)
		ca := cc.Attributes()
		clientFacts(ca, c)
		ca.PutStr(mapping.KeyUpstreamTransport, "streamablehttp")
		ca.PutStr(mapping.KeyServerAddress, "localhost")
		ca.PutInt(mapping.KeyServerPort, 18090)
		ca.PutStr(mapping.KeyURLPath, "/mcp")
		ca.PutStr(mapping.KeyURLFull, "http://u:p@localhost:18090/mcp?token=abc")
		ini := g.span(ss, c, cc.SpanID(), "mcp.client.initialize", "mcp.client.initialize", ptrace.SpanKindInternal, 5)
		ini.Attributes().PutStr(mapping.KeyUpstreamTransport, "streamablehttp")
		rq := g.span(ss, c, cc.SpanID(), "mcp.client.request", "mcp.client.request", ptrace.SpanKindInternal, 10)
		clientFacts(rq.Attributes(), c)
		if c.failAt == "mcp.client.request" {
			fail(rq, "McpError", "upstream failure: password=hunter2 Bearer sekrit-bearer https://u:p@h/?api_key=zzz")
			fail(cc, "ExceptionGroup", "unhandled errors in a TaskGroup (1 sub-exception)")
			fail(gw, "ExceptionGroup", "unhandled errors in a TaskGroup (1 sub-exception)")
			fail(inv, "ToolInvocationError", "Tool invocation failed: upstream failure: password=hunter2 Bearer sekrit-bearer")
			return
		}
		rs := g.span(ss, c, cc.SpanID(), "mcp.client.response", "mcp.client.response", ptrace.SpanKindInternal, 1)
		clientFacts(rs.Attributes(), c)
		rs.Attributes().PutBool(mapping.KeyUpstreamSuccess, !c.isError)
	} else if c.failAt == "tool.gateway_call" {
		fail(gw, "ConnectError", "All connection attempts failed")
		fail(inv, "ToolInvocationError", "Tool invocation failed: All connection attempts failed")
		return
	}
	pp := g.span(ss, c, inv.SpanID(), "tool.post_process", "tool.post_process", ptrace.SpanKindInternal, 1)
	toolFacts(pp.Attributes(), c, integration, false)
}

func toolFacts(a pcommon.Map, c *call, integration string, withType bool) {
	a.PutStr(mapping.KeyGenAIToolName, c.tool)
	a.PutStr(mapping.KeyToolID, c.toolID)
	if withType {
		a.PutStr(mapping.KeyToolIntegrationType, integration)
	}
}

func clientFacts(a pcommon.Map, c *call) {
	a.PutStr(mapping.KeyUpstreamToolName, strings.TrimPrefix(c.tool, "upstream-"))
	a.PutStr(mapping.KeyToolID, c.toolID)
	a.PutStr(mapping.KeyToolGatewayID, c.gatewayID)
}

// foreign adds spans of other scopes: a Python-runtime span that leaks raw text in its status and
// SDK exception event, and a framework span.
func (g *gen) foreign(rs ptrace.ResourceSpans, c *call) int {
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("fastapi")
	ss.Scope().SetVersion("0.165.0")
	s := ss.Spans().AppendEmpty()
	s.SetTraceID(c.traceID)
	s.SetSpanID(g.id8())
	s.SetName("fastapi.endpoint")
	s.SetStartTimestamp(pcommon.Timestamp(g.clock))
	s.SetEndTimestamp(pcommon.Timestamp(g.clock + 5_000_000))
	s.Attributes().PutStr("http.route", "/rpc")
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Status().SetMessage("ToolInvocationError: Tool invocation failed: password=hunter2 Bearer sekrit-bearer")
	ev := s.Events().AppendEmpty()
	ev.SetName(mapping.ExceptionEvent)
	ev.Attributes().PutStr(mapping.KeyExceptionType, "mcpgateway.services.tool_service.ToolInvocationError")
	ev.Attributes().PutStr(mapping.KeyExceptionMessage, "Tool invocation failed: https://u:p@example.com/?api_key=zzz")
	ev.Attributes().PutStr("exception.stacktrace", "Traceback (most recent call last):\n  File \"x.py\", line 1\n    token=abc123\n")
	ev.Attributes().PutStr("exception.escaped", "False")
	return 1
}

func main() {
	g := &gen{rng: rand.New(rand.NewPCG(20260921, 1)), clock: baseTime}
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	res := rs.Resource().Attributes()
	res.PutStr("service.name", "mcp-gateway")
	res.PutStr("service.version", "1.0.7-20260921")
	res.PutStr("deployment.environment", "development")
	res.PutStr("telemetry.sdk.language", "rust")
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(rawScope)
	ss.Scope().SetVersion("1.0.7-20260921")

	count, calls := 0, 0
	for count < totalSpans {
		calls++
		c := &call{
			traceID:     g.traceID(),
			correlation: g.hex32(),
			fromHeader:  g.rng.IntN(3) == 0,
			auth:        "jwt",
			email:       "admin@example.com",
			teams:       []string{},
			tool:        "echo-tool",
			toolID:      g.hex32(),
			gatewayID:   g.hex32(),
		}
		switch g.rng.IntN(6) {
		case 0:
			c.teams = nil // admin token
		case 1:
			c.teams = []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7"}
		case 2:
			c.auth, c.email = "anonymous", ""
		}
		if g.rng.IntN(2) == 0 {
			c.mcp, c.tool = true, "upstream-whoami-trace"
			c.session = g.hex32()
		}
		switch r := g.rng.IntN(10); {
		case r == 0 && c.mcp:
			c.failAt = "mcp.client.request"
		case r == 0:
			c.failAt = "tool.gateway_call"
		case r == 1:
			c.isError = true
		}
		before := ss.Spans().Len()
		g.tree(ss, c)
		count += ss.Spans().Len() - before
		if calls%7 == 0 && count < totalSpans {
			count += g.foreign(rs, c)
		}
	}
	// Trim the last tree so the file holds exactly totalSpans spans.
	for over := count - totalSpans; over > 0; over-- {
		ss.Spans().RemoveIf(func(s ptrace.Span) bool { return s.SpanID() == lastID(ss) })
	}
	write("mixed_1000.json", td)
	write("mixed_1000_v2.json", asBundles(td))
	fmt.Printf("gen: %d spans in %d calls\n", td.SpanCount(), calls)
}

// write writes td as OTLP JSON to testdata/bench/name.
func write(name string, td ptrace.Traces) {
	data, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		panic(err)
	}
	out := filepath.Join("testdata", "bench", name)
	if err := os.WriteFile(out, append(data, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen: run from processor/mcpparityprocessor:", err)
		os.Exit(1)
	}
	fmt.Printf("gen: wrote %s: %d spans\n", out, td.SpanCount())
}

func lastID(ss ptrace.ScopeSpans) pcommon.SpanID {
	return ss.Spans().At(ss.Spans().Len() - 1).SpanID()
}
