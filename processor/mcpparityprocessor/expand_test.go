package mcpparityprocessor

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
)

// The vector the emitter's bundle::tests also checks (the runtime and the collector must agree).
func TestChildSpanIDVector(t *testing.T) {
	tid := pcommon.TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c}
	sid := pcommon.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
	assert.Equal(t, "76f6d141b00516af", ChildSpanID(tid, sid, 4).String())
	assert.Equal(t, "76f6cc41b0050e30", ChildSpanID(tid, sid, 1).String())
}

// testOp is one op of the equivalence test, written both as a v1 raw span and into a bundle.
type testOp struct {
	name, rawName string
	parent        int
	start, end    uint64
	groups        []int
	facts         []bundleFact
	exc           [2]string
}

var (
	testContext = []bundleFact{
		{key: "cf.correlation_id", kind: 's', str: "0e67f26bb0ac4b36aea40feceb616427"},
		{key: "cf.correlation_id.from_header", kind: 'b'},
		{key: "cf.auth.method", kind: 's', str: "jwt"},
		{key: "cf.user.email", kind: 's', str: "admin@example.com"},
		{key: "cf.user.is_admin", kind: 'b', num: 1},
		{key: "cf.team.ids", kind: 'a', arr: []string{"team a", "ü"}},
		{key: "cf.baggage", kind: 's', str: "tenant=a b\nc"},
	}
	testGroups = map[int][]bundleFact{
		1: {{key: "gen_ai.tool.name", kind: 's', str: "echo-tool"}, {key: "cf.tool.id", kind: 's', str: "24d65d29a5e14e15b3bf412d29dafc66"}},
		2: {{key: "cf.tool.integration_type", kind: 's', str: "MCP"}},
		3: {{key: "cf.upstream.tool_name", kind: 's', str: "whoami"}, {key: "cf.tool.id", kind: 's', str: "24d65d29a5e14e15b3bf412d29dafc66"}},
	}
	// An MCP tree whose upstream request failed (spans after the failure point absent).
	testOps = []testOp{
		{name: "request", rawName: "POST /rpc", parent: -1, facts: []bundleFact{
			{key: "http.request.method", kind: 's', str: "POST"},
			{key: "url.path", kind: 's', str: "/rpc"},
			{key: "server.port", kind: 'i', num: 4444},
			{key: "http.response.status_code", kind: 'i', num: 200},
		}},
		{name: "tool.invoke", rawName: "tools/call echo-tool", parent: 0, start: 500, end: 90_000, groups: []int{1, 2}, facts: []bundleFact{
			{key: "mcp.method.name", kind: 's', str: "tools/call"},
			{key: "gen_ai.operation.name", kind: 's', str: "execute_tool"},
			{key: "jsonrpc.request.id", kind: 's', str: "7"},
			{key: "cf.arguments.count", kind: 'i', num: 4},
			{key: "cf.request.has_headers", kind: 'b', num: 1},
		}, exc: [2]string{"ToolInvocationError", "Tool invocation failed: boom password=hunter2"}},
		{name: "tool.lookup", rawName: "tool.lookup", parent: 1, start: 1000, end: 2000, groups: []int{1, 2}},
		{name: "tool.gateway_call", rawName: "tool.gateway_call", parent: 1, start: 3000, end: 80_000, groups: []int{1, 2},
			exc: [2]string{"ToolInvocationError", "Tool invocation failed: boom password=hunter2"}},
		{name: "mcp.client.call", rawName: "mcp.client.call", parent: 3, start: 4000, end: 70_000, groups: []int{3}, facts: []bundleFact{
			{key: "cf.upstream.transport", kind: 's', str: "streamablehttp"},
			{key: "url.full", kind: 's', str: "http://u:p@up:9000/mcp?api_key=zzz"},
		}, exc: [2]string{"ExceptionGroup", "unhandled errors in a TaskGroup (1 sub-exception)"}},
		{name: "mcp.client.initialize", rawName: "mcp.client.initialize", parent: 4, start: 5000, end: 6000, facts: []bundleFact{
			{key: "cf.upstream.transport", kind: 's', str: "streamablehttp"},
		}},
		{name: "mcp.client.request", rawName: "mcp.client.request", parent: 4, start: 7000, end: 60_000, groups: []int{3},
			exc: [2]string{"McpError", "boom"}},
	}
)

const (
	testStart = uint64(1_000_000_000)
	testEnd   = uint64(1_000_100_000)
)

var (
	testTraceID = pcommon.TraceID{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	testSpanID  = pcommon.SpanID{0xb7, 0xad, 0x6b, 0x71, 0x69, 0x20, 0x33, 0x31}
	testParent  = pcommon.SpanID{9, 9, 9, 9, 9, 9, 9, 9}
)

func encodeFact(b *strings.Builder, target string, f bundleFact) {
	fmt.Fprintf(b, "f %s %s ", target, f.key)
	switch f.kind {
	case 's':
		fmt.Fprintf(b, "s%d:%s", len(f.str), f.str)
	case 'i', 'b':
		fmt.Fprintf(b, "%c%d", f.kind, f.num)
	case 'a':
		fmt.Fprintf(b, "a%d", len(f.arr))
		for _, v := range f.arr {
			fmt.Fprintf(b, " %d:%s", len(v), v)
		}
	}
	b.WriteByte('\n')
}

// testBundleText encodes testOps the way the emitter does (ops in end order, after their facts).
func testBundleText() string {
	var b strings.Builder
	for _, f := range testContext {
		encodeFact(&b, "c", f)
	}
	for g := 1; g <= 3; g++ {
		for _, f := range testGroups[g] {
			encodeFact(&b, fmt.Sprintf("g%d", g), f)
		}
	}
	for i := len(testOps) - 1; i >= 0; i-- {
		op := testOps[i]
		for _, f := range op.facts {
			encodeFact(&b, fmt.Sprint(i), f)
		}
		if op.exc[0] != "" {
			encodeFact(&b, fmt.Sprint(i), bundleFact{key: "exception.type", kind: 's', str: op.exc[0]})
			encodeFact(&b, fmt.Sprint(i), bundleFact{key: "exception.message", kind: 's', str: op.exc[1]})
		}
		if i > 0 {
			fmt.Fprintf(&b, "o %d %s %d %d %d", i, op.name, op.parent, op.start, op.end)
			for _, g := range op.groups {
				fmt.Fprintf(&b, " g%d", g)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

func commonSpan(s ptrace.Span) {
	s.SetTraceID(testTraceID)
	s.TraceState().FromRaw("vendor=x")
	s.SetFlags(1)
}

func bundleTraces(text string) ptrace.Traces {
	td, ss := rawTraces()
	s := ss.Spans().AppendEmpty()
	commonSpan(s)
	s.SetSpanID(testSpanID)
	s.SetParentSpanID(testParent)
	s.SetName(bundleOpValue)
	s.SetKind(ptrace.SpanKindServer)
	s.SetStartTimestamp(pcommon.Timestamp(testStart))
	s.SetEndTimestamp(pcommon.Timestamp(testEnd))
	a := s.Attributes()
	a.PutStr("cf.op", bundleOpValue)
	a.PutInt("cf.contract", 2)
	a.PutStr("cf.bundle", text)
	a.PutStr("gen_ai.tool.call.arguments", secretArgs)
	return td
}

// v1Traces is what a v1 runtime sends for testOps.
func v1Traces() ptrace.Traces {
	td, ss := rawTraces()
	for i, op := range testOps {
		s := ss.Spans().AppendEmpty()
		commonSpan(s)
		s.SetName(op.rawName)
		a := s.Attributes()
		a.PutStr("cf.op", op.name)
		for _, f := range testContext {
			f.put(a)
		}
		for _, g := range op.groups {
			for _, f := range testGroups[g] {
				f.put(a)
			}
		}
		for _, f := range op.facts {
			f.put(a)
		}
		if i == 0 {
			s.SetSpanID(testSpanID)
			s.SetParentSpanID(testParent)
			s.SetKind(ptrace.SpanKindServer)
			s.SetStartTimestamp(pcommon.Timestamp(testStart))
			s.SetEndTimestamp(pcommon.Timestamp(testEnd))
			continue
		}
		s.SetSpanID(ChildSpanID(testTraceID, testSpanID, i))
		if op.parent == 0 {
			s.SetParentSpanID(testSpanID)
		} else {
			s.SetParentSpanID(ChildSpanID(testTraceID, testSpanID, op.parent))
		}
		s.SetKind(ptrace.SpanKindInternal)
		s.SetStartTimestamp(pcommon.Timestamp(testStart + op.start))
		s.SetEndTimestamp(pcommon.Timestamp(testStart + op.end))
		if op.name == "tool.invoke" {
			a.PutStr("gen_ai.tool.call.arguments", secretArgs)
		}
		if op.exc[0] != "" {
			failSpan(s, op.exc[0], op.exc[1])
			s.Events().At(0).SetTimestamp(s.EndTimestamp())
		}
	}
	return td
}

// A bundle becomes exactly the spans the processor makes of the v1 raw spans it stands for.
func TestBundleExpandsToTheV1Result(t *testing.T) {
	for name, cfg := range map[string]*Config{"default": createDefaultConfig(), "langfuse": langfuseConfig()} {
		t.Run(name, func(t *testing.T) {
			want := exportedText(t, run(t, cfg, v1Traces()))
			got := run(t, cfg, bundleTraces(testBundleText()))
			require.Equal(t, len(testOps), got.SpanCount())
			assert.Equal(t, want, exportedText(t, got))
			assertNoRawKeys(t, got)
			assertNoSecretsExported(t, got)
		})
	}
}

// A v1 collector's view of a bundle is irrelevant here; a malformed bundle is exported scrubbed,
// counted malformed, never dropped, never expanded halfway.
func TestMalformedBundleExportedScrubbed(t *testing.T) {
	good := testBundleText()
	cases := map[string]string{
		"empty":              "",
		"truncated":          good[:len(good)-7],
		"bad tag":            "x 1 2\n" + good,
		"string too long":    "f c cf.user.email s999:a@b\n",
		"undeclared op":      good + "f 9 gen_ai.tool.name s1:x\n",
		"orphan parent":      strings.Replace(good, "o 2 tool.lookup 1 ", "o 2 tool.lookup 8 ", 1),
		"cycle":              strings.Replace(good, "o 1 tool.invoke 0 ", "o 1 tool.invoke 2 ", 1),
		"duplicate op":       good + "o 2 tool.lookup 1 1 2\n",
		"end before start":   strings.Replace(good, "o 2 tool.lookup 1 1000 2000", "o 2 tool.lookup 1 2000 1000", 1),
		"undefined group":    strings.Replace(good, " g1 g2\n", " g7\n", 1),
		"index out of range": good + "o 64 tool.lookup 1 1 2\n",
		"bad bool":           "f c cf.user.is_admin b2\n",
		"secret in garbage":  "f c cf.user.email s5:hunter2 password=hunter2\n",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := decodeBundle(text)
			if name != "empty" {
				require.Error(t, err)
			}
			td := bundleTraces(text)
			if name == "empty" {
				td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().Remove("cf.bundle")
			}
			out := run(t, langfuseConfig(), td)
			require.Equal(t, 1, out.SpanCount(), "exported, not dropped nor expanded")
			s := spanAt(out, 0)
			for _, k := range keys(s.Attributes()) {
				assert.False(t, strings.HasPrefix(k, "cf."), k)
			}
			assertNoSecretsExported(t, out)
		})
	}
}

// A reset bundle (what the pool hands out) keeps nothing of the bundle decoded into it before:
// no group stays defined, no fact or op carries over.
func TestResetBundleStartsEmpty(t *testing.T) {
	b := getBundle()
	require.NoError(t, b.decode(testBundleText()))
	require.NotEmpty(t, b.context)
	require.NotZero(t, b.defined)
	require.Greater(t, len(b.ops), 2)
	b.reset()
	assert.Empty(t, b.context)
	assert.Zero(t, b.defined)
	require.Len(t, b.ops, 1)
	assert.Empty(t, b.ops[0].facts)
	err := b.decode("o 1 tool.invoke 0 1 2 g1\n")
	require.ErrorContains(t, err, "undefined group 1")
	require.Len(t, b.ops, 2)
	assert.Empty(t, b.ops[1].facts, "op 1 reuses a recycled op's slice, not its facts")
	assert.Empty(t, b.ops[1].groups[1:], "op 1 has only its own group ref")
}

// A bundle whose slices grew past maxPooledBundleFacts is not pooled.
func TestHugeBundleIsNotPooled(t *testing.T) {
	b := &bundle{context: make([]bundleFact, 0, maxPooledBundleFacts+1)}
	b.reset()
	putBundle(b)
	for i := 0; i < 8; i++ {
		assert.NotSame(t, b, bundlePool.Get().(*bundle))
	}
}

func TestNotABundleIsLeftToV1(t *testing.T) {
	for _, v := range []pcommon.Value{pcommon.NewValueInt(1), pcommon.NewValueStr("2"), pcommon.NewValueInt(3)} {
		td := bundleTraces(testBundleText())
		v.CopyTo(spanAt(td, 0).Attributes().PutEmpty("cf.contract"))
		assert.Equal(t, 1, run(t, langfuseConfig(), td).SpanCount(), v.AsString())
	}
}

// decodeBundle decodes text into a fresh bundle (not returned to the pool).
func decodeBundle(text string) (*bundle, error) {
	b := getBundle()
	return b, b.decode(text)
}

func BenchmarkExpandMCPBundle(b *testing.B) {
	p, err := newParityProcessor(processortestSettings(), langfuseConfig())
	require.NoError(b, err)
	td := bundleTraces(testBundleText())
	copies := make([]ptrace.Traces, 256)
	b.ReportAllocs()
	b.ResetTimer()
	for done := 0; done < b.N; {
		b.StopTimer()
		n := min(len(copies), b.N-done)
		for i := 0; i < n; i++ {
			copies[i] = ptrace.NewTraces()
			td.CopyTo(copies[i])
		}
		b.StartTimer()
		for i := 0; i < n; i++ {
			var c counts
			p.expandBundles(copies[i].ResourceSpans().At(0).ScopeSpans().At(0).Spans(), &c)
			c.releaseBundles()
			c.release()
		}
		done += n
	}
}

// BenchmarkBundleEndToEnd: one MCP request bundle (9 ops) through processTraces.
func BenchmarkBundleEndToEnd(b *testing.B) {
	p, err := newParityProcessor(processortestSettings(), langfuseConfig())
	require.NoError(b, err)
	benchProcess(b, p, bundleTraces(testBundleText()), 256)
}

// BenchmarkV1TreeEndToEnd: the same request as contract v1 raw spans (one per op), for comparison.
func BenchmarkV1TreeEndToEnd(b *testing.B) {
	p, err := newParityProcessor(processortestSettings(), langfuseConfig())
	require.NoError(b, err)
	benchProcess(b, p, v1Traces(), 256)
}

func processortestSettings() processor.Settings {
	return processortest.NewNopSettings(metadata.Type)
}

// FuzzBundle feeds arbitrary cf.bundle texts (alone and spliced into a valid bundle). Invariants:
// no panic, never dropped, a bundle that does not decode stays one span, no raw key leaves, and
// the export is the reference expansion's (referenceExpand).
func FuzzBundle(f *testing.F) {
	good := testBundleText()
	f.Add(good, 0)
	f.Add("f c cf.team.ids a2 1:x 9:y\n", 10)
	f.Add("o 1 tool.invoke 0 5 4 g9\n", len(good))
	f.Add("f 0 url.path s-1:\n", 3)
	f.Fuzz(func(t *testing.T, text string, at int) {
		for _, candidate := range []string{text, splice(good, text, at)} {
			_, err := decodeBundle(candidate)
			out := run(t, langfuseConfig(), bundleTraces(candidate))
			if out.SpanCount() < 1 || (err != nil && out.SpanCount() != 1) {
				t.Fatalf("%d spans exported (decode error %v)", out.SpanCount(), err)
			}
			spans := out.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
			for i := 0; i < spans.Len(); i++ {
				for _, k := range keys(spans.At(i).Attributes()) {
					if strings.HasPrefix(k, "cf.") {
						t.Fatalf("raw key %s exported", k)
					}
				}
			}
			if want := exportedText(t, run(t, langfuseConfig(), referenceTraces(t, bundleTraces(candidate)))); exportedText(t, out) != want {
				t.Fatalf("export differs from the reference expansion of %q", candidate)
			}
		}
	})
}

func splice(s, insert string, at int) string {
	i := int(uint(at) % uint(len(s)+1))
	return s[:i] + insert + s[i:]
}

// Family ops in a bundle get v1's raw names, and each family payload lands on its owner op.
func TestFamilyBundleExpansionNamesAndPayloads(t *testing.T) {
	var b strings.Builder
	encodeFact(&b, "0", bundleFact{key: "http.request.method", kind: 's', str: "POST"})
	encodeFact(&b, "0", bundleFact{key: "url.path", kind: 's', str: "/mcp"})
	ops := []struct{ name, method, fact, value, want string }{
		{"tool.list", "tools/list", "", "", "tools/list"},
		{"resource.read", "resources/read", "mcp.resource.uri", "docs://a b", "resources/read docs://a b"},
		{"resource_template.list", "resources/templates/list", "", "", "resources/templates/list"},
		{"prompt.render", "prompts/get", "gen_ai.prompt.name", "greeting", "prompts/get greeting"},
		{"mcp.initialize", "initialize", "", "", "initialize"},
	}
	for i, op := range ops {
		encodeFact(&b, fmt.Sprint(i+1), bundleFact{key: "mcp.method.name", kind: 's', str: op.method})
		if op.fact != "" {
			encodeFact(&b, fmt.Sprint(i+1), bundleFact{key: op.fact, kind: 's', str: op.value})
		}
		parent := 0
		if op.name == "resource_template.list" {
			parent = 2
		}
		fmt.Fprintf(&b, "o %d %s %d 10 20\n", i+1, op.name, parent)
	}
	decoded, err := decodeBundle(b.String())
	require.NoError(t, err)
	spans := ptrace.NewSpanSlice()
	span := spans.AppendEmpty()
	span.SetSpanID(testSpanID)
	raw := span.Attributes()
	raw.PutStr("cf.resource.content", `{"text":"x"}`)
	raw.PutStr("cf.prompt.arguments", "{}")
	raw.PutStr("cf.prompt.result", `{"messages":[]}`)
	proc, err := newParityProcessor(processortestSettings(), createDefaultConfig())
	require.NoError(t, err)
	decoded.expand(span, spans, proc.plans)
	require.Equal(t, len(ops)+1, spans.Len())
	assert.Equal(t, "POST /mcp", spans.At(0).Name())
	for i, op := range ops {
		s := spans.At(i + 1)
		assert.Equal(t, op.want, s.Name())
		got := map[string]bool{}
		s.Attributes().Range(func(k string, _ pcommon.Value) bool {
			got[k] = true
			return true
		})
		assert.Equal(t, op.name == "resource.read", got["cf.resource.content"], op.name)
		assert.Equal(t, op.name == "prompt.render", got["cf.prompt.arguments"], op.name)
		assert.Equal(t, op.name == "prompt.render", got["cf.prompt.result"], op.name)
	}
	_, leftOnRequest := spans.At(0).Attributes().Get("cf.resource.content")
	assert.False(t, leftOnRequest)
}

// referenceExpand is the expansion as it was before the levers of issue 11 (every fact of an op
// put into its raw map in order: cf.op, the context, its groups, its own facts; then the exception
// facts moved into the event): the spans the processor must keep exporting, byte for byte.
func referenceExpand(b *bundle, span ptrace.Span, spans ptrace.SpanSlice) {
	putAll := func(m pcommon.Map, op *bundleOpRec) {
		m.PutStr("cf.op", op.name)
		for _, f := range b.context {
			f.put(m)
		}
		for _, g := range op.groups {
			for _, f := range b.groups[g] {
				f.put(m)
			}
		}
		for _, f := range op.facts {
			f.put(m)
		}
	}
	raw := span.Attributes()
	payloads, hasPayload := payloadsOf(raw)
	traceID, bundleID := span.TraceID(), span.SpanID()
	start := uint64(span.StartTimestamp())
	for i := 1; i < len(b.ops); i++ {
		op := &b.ops[i]
		child := spans.AppendEmpty()
		child.SetTraceID(traceID)
		child.SetSpanID(ChildSpanID(traceID, bundleID, i))
		if op.parent == 0 {
			child.SetParentSpanID(bundleID)
		} else {
			child.SetParentSpanID(ChildSpanID(traceID, bundleID, op.parent))
		}
		child.TraceState().FromRaw(span.TraceState().AsRaw())
		child.SetFlags(span.Flags())
		child.SetKind(ptrace.SpanKindInternal)
		child.SetStartTimestamp(pcommon.Timestamp(start + op.start))
		child.SetEndTimestamp(pcommon.Timestamp(start + op.end))
		attrs := child.Attributes()
		putAll(attrs, op)
		child.SetName(rawName(op.name, attrs, nil))
		for k, p := range bundlePayloads {
			if hasPayload[k] && op.name == p.owner {
				hasPayload[k] = false
				payloads[k].CopyTo(attrs.PutEmpty(p.key))
			}
		}
		referenceException(child, attrs)
	}
	out := pcommon.NewMap()
	putAll(out, &b.ops[0])
	out.MoveTo(raw)
	span.SetName(rawName("request", raw, nil))
	referenceException(span, raw)
}

func referenceException(span ptrace.Span, attrs pcommon.Map) {
	typ, hasType := attrs.Get("exception.type")
	msg, hasMsg := attrs.Get("exception.message")
	if !hasType && !hasMsg {
		return
	}
	ev := span.Events().AppendEmpty()
	ev.SetName("exception")
	ev.SetTimestamp(span.EndTimestamp())
	if hasType {
		typ.CopyTo(ev.Attributes().PutEmpty("exception.type"))
	}
	if hasMsg {
		msg.CopyTo(ev.Attributes().PutEmpty("exception.message"))
	}
	attrs.Remove("exception.type")
	attrs.Remove("exception.message")
	span.Status().SetCode(ptrace.StatusCodeError)
}

// referenceTraces is td with its bundles expanded by referenceExpand: v1 raw spans only (a bundle
// that does not decode is left as it is).
func referenceTraces(t testing.TB, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	ref := ptrace.NewTraces()
	td.CopyTo(ref)
	spans := ref.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for k, n := 0, spans.Len(); k < n; k++ {
		span := spans.At(k)
		if !isBundle(span) {
			continue
		}
		b := new(bundle)
		b.reset()
		if b.decodeSpan(span) == nil {
			referenceExpand(b, span, spans)
		}
	}
	return ref
}

// assertAsReference checks that the processor exports td exactly as it exports td expanded by
// referenceExpand, in both configurations.
func assertAsReference(t *testing.T, td ptrace.Traces) {
	t.Helper()
	for _, cfg := range []*Config{createDefaultConfig(), langfuseConfig()} {
		want := exportedText(t, run(t, cfg, referenceTraces(t, td)))
		assert.Equal(t, want, exportedText(t, run(t, cfg, td)))
	}
}

// bundleWith is testBundleText with extra lines appended (later fact lines win).
func bundleWith(lines ...string) ptrace.Traces {
	return bundleTraces(testBundleText() + strings.Join(lines, ""))
}

// sf is the fact line of the string fact key=value of target.
func sf(target, key, value string) string {
	var b strings.Builder
	encodeFact(&b, target, bundleFact{key: key, kind: 's', str: value})
	return b.String()
}

// Every shape the expansion treats apart exports what the reference expansion gives.
func TestBundleExportsAsTheReferenceExpansion(t *testing.T) {
	cases := map[string]ptrace.Traces{
		"the MCP tree": bundleTraces(testBundleText()),
		// exception facts: in the context (every op fails), overridden by a group or an op's own
		"context exception": bundleWith(sf("c", "exception.type", "Boom!"), sf("c", "exception.message", "password=hunter2")),
		"group exception over context": bundleWith(sf("c", "exception.type", "Boom!"), sf("g3", "exception.message", "grp"),
			sf("6", "exception.message", "own")),
		"exception not a string": bundleWith("f 2 exception.type i7\n", "f 2 exception.message a2 1:x 1:y\n"),
		"exception message only": bundleWith(sf("5", "exception.message", "half")),
		// an op the table does not map, with and without exception facts (exported scrubbed)
		"unknown op": bundleWith(sf("c", "exception.message", "M"), sf("7", "exception.type", "E"), sf("7", "gen_ai.tool.name", "abc"), sf("7", "url.full", "http://u:p@x/?token=1"),
			"o 7 custom.op 1 10 20 g1\n"),
		"unknown op without exception": bundleWith(sf("7", "mcp.method.name", "ping"), "o 7 custom.op 0 10 20\n"),
		// a fact named cf.op overrides the op line's name
		"cf.op fact on an op":                   bundleWith(sf("2", "cf.op", "tool.invoke")),
		"cf.op fact in the context":             bundleWith(sf("c", "cf.op", "request")),
		"cf.op fact unknown":                    bundleWith(sf("g2", "cf.op", "nope")),
		"cf.op fact unknown on a failing op":    bundleWith(sf("6", "cf.op", "nope")),
		"cf.op fact in the context unknown":     bundleWith(sf("c", "cf.op", "nope")),
		"cf.op fact unknown, context exception": bundleWith(sf("c", "exception.type", "E"), sf("c", "cf.op", "nope")),
		// context facts a rule moves when the span owns them (Rename.SoleReader), read by several ops
		"context sole-reader facts": bundleWith(sf("c", "cf.tool.gateway_id", "gw-1"), "f c server.port i8080\n",
			"f c cf.request.has_headers b0\n", sf("c", "server.address", "up.example"), sf("c", "url.path", "/ctx?token=abc"),
			"o 7 mcp.client.call 3 100 200\n", "o 8 mcp.client.call 3 300 400\n", "o 9 tool.invoke 0 500 600\n", "o 10 tool.invoke 0 700 800\n"),
		// context facts that a group's or an op's own fact overrides on some ops only
		"context overridden": bundleWith(sf("c", "gen_ai.tool.name", "ctx-tool"), sf("c", "cf.tool.id", "ctx-id"),
			sf("c", "cf.upstream.transport", "stdio"), sf("c", "mcp.method.name", "ctx/method"), sf("c", "url.path", "/ctx")),
		// context facts of the wrong type, and repeated (the last one wins)
		"context wrong types": bundleWith(sf("c", "cf.user.is_admin", "yes"), sf("c", "cf.team.ids", "t1, t2"),
			"f c http.response.status_code s3:200\n", "f c server.port b1\n"),
		"context repeated": bundleWith(sf("c", "cf.user.email", "second@example.com"), sf("c", "cf.auth.method", "api_key"),
			"f c cf.team.ids a0\n"),
		// a payload key in the context: the payload's owner op gets the bundle span's payload
		"context payload key": bundleWith(sf("c", "gen_ai.tool.call.arguments", `{"password":"hunter2","q":1}`),
			sf("c", "gen_ai.tool.call.result", `{"content":[{"type":"text","text":"token=abc"}]}`), "f c cf.result.original_size i99999\n",
			"o 7 tool.invoke 0 100 200\n"),
		// the raw names read context facts too
		"context read by the raw names": bundleTraces(sf("c", "http.request.method", "GET") + sf("c", "url.path", "/x") +
			sf("c", "mcp.method.name", "tools/list") + "o 1 tool.list 0 10 20\n" + sf("2", "mcp.method.name", "prompts/list") +
			"o 2 prompt.list 0 30 40\n" + sf("c", "gen_ai.tool.name", "ctx tool") + "o 3 tool.invoke 0 50 60\n"),
	}
	for name, td := range cases {
		t.Run(name, func(t *testing.T) {
			require.Greater(t, referenceTraces(t, td).SpanCount(), 1, "the bundle decodes")
			assertAsReference(t, td)
		})
	}
}

// An op's raw facts are its own and the context's, each key once: more than maxRawAttributes of
// them make it malformed, as its v1 raw span would be, whether or not its own facts repeat
// context keys.
func TestBundleContextCountsTowardsTheFactLimit(t *testing.T) {
	for _, n := range []int{990, 1000, 1003, 1004, 1010, 1020, 1040} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			var b strings.Builder
			for i := 0; i < n; i++ {
				b.WriteString(sf("c", fmt.Sprintf("k%d", i), "v"))
			}
			for i := 0; i < 30; i++ { // op 1 repeats 30 context keys: no more facts
				b.WriteString(sf("1", fmt.Sprintf("k%d", i), "own"))
			}
			b.WriteString(testBundleText())
			td := bundleTraces(b.String())
			ref, wantMalformed := runCounted(t, langfuseConfig(), referenceTraces(t, td))
			got, malformed := runCounted(t, langfuseConfig(), td)
			require.Equal(t, len(testOps), got.SpanCount())
			assert.Equal(t, wantMalformed, malformed)
			assert.Equal(t, exportedText(t, ref), exportedText(t, got))
		})
	}
}

// A transform that panics scrubs the op with every fact of its v1 raw map: the context's too.
func TestLayerFillGivesTheWholeRawMap(t *testing.T) {
	b, err := decodeBundle(testBundleText() + sf("c", "note", "password=hunter2") + sf("1", "note", "own"))
	require.NoError(t, err)
	b.layer.build(b.context)
	for i, op := range b.ops {
		raw := pcommon.NewMap()
		exc, direct := b.putOpFacts(raw, &b.ops[i], map[string]*opPlan{op.name: {}})
		require.True(t, direct)
		b.layer.fill(raw)
		want := pcommon.NewMap()
		b.putFacts(want, &b.ops[i], &exc)
		assert.Equal(t, want.AsRaw(), raw.AsRaw(), op.name)
	}
}

// The decoder's number parsers answer as strconv's, error or not, on every shape of input.
func TestNumberParsersAnswerAsStrconv(t *testing.T) {
	inputs := []string{"", "0", "7", "+5", "-0", "-1", "007", "1a", " 1", "1 ", "٣",
		"123456789", "1234567890", "2147483648", "999999999999999999", "1000000000000000000",
		"9223372036854775807", "9223372036854775808", "18446744073709551615", "18446744073709551616",
		"99999999999999999999999"}
	for _, s := range inputs {
		wantI, errI := strconv.Atoi(s)
		gotI, err := atoi(s)
		assert.Equal(t, wantI, gotI, "atoi %q", s)
		assert.Equal(t, errI == nil, err == nil, "atoi %q", s)
		wantU, errU := strconv.ParseUint(s, 10, 64)
		gotU, err := parseUint(s)
		assert.Equal(t, wantU, gotU, "parseUint %q", s)
		assert.Equal(t, errU == nil, err == nil, "parseUint %q", s)
		want64, err64 := strconv.ParseInt(s, 10, 64)
		got64, err := parseInt(s)
		assert.Equal(t, want64, got64, "parseInt %q", s)
		assert.Equal(t, err64 == nil, err == nil, "parseInt %q", s)
	}
}
