package mcpparityprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mcpparity/mcpparity/processor/internal/redact"
	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
)

// everyString lists every string an exporter could write for td: names, keys, string and bytes
// values (as their bytes, which JSON would hide as base64), status, trace states, scopes, resources.
func everyString(td ptrace.Traces) []string {
	var out []string
	var walkMap func(m pcommon.Map)
	var walkValue func(v pcommon.Value)
	walkValue = func(v pcommon.Value) {
		switch v.Type() {
		case pcommon.ValueTypeStr:
			out = append(out, v.Str())
		case pcommon.ValueTypeBytes:
			out = append(out, string(v.Bytes().AsRaw()))
		case pcommon.ValueTypeSlice:
			for i := 0; i < v.Slice().Len(); i++ {
				walkValue(v.Slice().At(i))
			}
		case pcommon.ValueTypeMap:
			walkMap(v.Map())
		}
	}
	walkMap = func(m pcommon.Map) {
		m.Range(func(k string, v pcommon.Value) bool {
			out = append(out, k)
			walkValue(v)
			return true
		})
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		walkMap(rs.Resource().Attributes())
		out = append(out, rs.SchemaUrl())
		for j := 0; j < rs.ScopeSpans().Len(); j++ {
			ss := rs.ScopeSpans().At(j)
			out = append(out, ss.Scope().Name(), ss.Scope().Version(), ss.SchemaUrl())
			walkMap(ss.Scope().Attributes())
			for k := 0; k < ss.Spans().Len(); k++ {
				s := ss.Spans().At(k)
				out = append(out, s.Name(), s.Status().Message(), s.TraceState().AsRaw())
				walkMap(s.Attributes())
				for e := 0; e < s.Events().Len(); e++ {
					out = append(out, s.Events().At(e).Name())
					walkMap(s.Events().At(e).Attributes())
				}
				for l := 0; l < s.Links().Len(); l++ {
					out = append(out, s.Links().At(l).TraceState().AsRaw())
					walkMap(s.Links().At(l).Attributes())
				}
			}
		}
	}
	return out
}

// assertFailedClosed: no planted secret in any string, every string valid UTF-8, JSON export
// parses, no span lost.
func assertFailedClosed(t *testing.T, name string, out ptrace.Traces, spans int, planted []string) {
	t.Helper()
	assert.Equal(t, spans, out.SpanCount(), "%s: spans lost", name)
	for _, s := range everyString(out) {
		assert.True(t, utf8.ValidString(s), "%s: invalid UTF-8 exported: %q", name, clip(s))
		for _, sec := range planted {
			if strings.Contains(s, sec) {
				t.Errorf("%s: secret %q exported in %q", name, sec, clip(s))
			}
		}
	}
	var v any
	assert.NoError(t, json.Unmarshal([]byte(exportedText(t, out)), &v), "%s: export is not valid JSON", name)
}

// planted are the secrets the fail-closed cases carry: each comes with the context that makes it
// a secret (key, Bearer, URL userinfo, query parameter); none may reach an exporter.
var planted = []string{"PW-hunter2", "TK-abc123", "BR-sekrit", "UI-userpass", "QP-apikey", "AK-k123"}

// secretValue returns free text carrying every planted secret in its context.
const secretText = `password=PW-hunter2 token=TK-abc123 Authorization: Bearer BR-sekrit see https://u:UI-userpass@example.com/x?api_key=QP-apikey "api_key": "AK-k123"`

const secretJSON = `{"password":"PW-hunter2","q":"token=TK-abc123 Bearer BR-sekrit","note":"https://u:UI-userpass@example.com/?api_key=QP-apikey","api_key":"AK-k123"}`

// plantEverywhere puts secrets in every string place of a span and its links and events.
func plantEverywhere(s ptrace.Span) {
	s.SetName("name " + secretText)
	a := s.Attributes()
	a.PutStr("free.text", secretText)
	a.PutStr("url.full", "https://u:UI-userpass@example.com/x?api_key=QP-apikey password=PW-hunter2 Bearer BR-sekrit token=TK-abc123 api_key=AK-k123")
	a.PutStr("url.query", "api_key=QP-apikey&token=TK-abc123&password=PW-hunter2 Bearer BR-sekrit https://u:UI-userpass@h/ api_key=AK-k123")
	a.PutStr("gen_ai.tool.call.arguments", secretJSON)
	a.PutStr("gen_ai.tool.call.result", secretJSON)
	a.PutStr("json.payload", secretJSON)
	a.PutEmptyBytes("bytes.value").FromRaw([]byte(secretText))
	kv := a.PutEmptyMap("kv")
	kv.PutStr("inner", secretText)
	kv.PutStr("password", "PW-hunter2")
	sl := a.PutEmptySlice("list")
	sl.AppendEmpty().SetStr(secretText)
	a.PutStr("authorization", "Bearer BR-sekrit")
	s.TraceState().FromRaw("vendor=token=TK-abc123")
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Status().SetMessage(secretText)
	ev := s.Events().AppendEmpty()
	ev.SetName("event " + secretText)
	ev.Attributes().PutStr("msg", secretText)
	ex := s.Events().AppendEmpty()
	ex.SetName("exception")
	ex.Attributes().PutStr("exception.message", secretText)
	ex.Attributes().PutStr("exception.stacktrace", secretText)
	l := s.Links().AppendEmpty()
	l.TraceState().FromRaw("k=password=PW-hunter2")
	l.Attributes().PutStr("link.note", secretText)
}

// plantResource puts secrets in the resource and scope of ss.
func plantResource(rs ptrace.ResourceSpans, ss ptrace.ScopeSpans) {
	rs.Resource().Attributes().PutStr("deployment.note", secretText)
	rs.Resource().Attributes().PutStr("api_key", "AK-k123")
	ss.Scope().Attributes().PutStr("scope.note", secretText)
	ss.Scope().SetVersion("1.0 " + secretText)
}

// TestFailClosedScopes: a scope that looks like ours but is no contract we know, and a foreign
// span carrying cf.* facts, are untrusted raw: every string sanitized, no raw fact exported,
// counted malformed, never dropped — whatever scrub_foreign_spans says.
func TestFailClosedScopes(t *testing.T) {
	scopes := []string{
		"contextforge.mcp_runtime.v2", "ContextForge.MCP_Runtime", "contextforge.mcp_runtime ",
		" contextforge.mcp_runtime", "contextforge.mcp_runtime\xff", "CONTEXTFORGE-MCP-RUNTIME",
		"contextforge.mcp_runtime/v1", "io.contextforge.mcp_runtime",
	}
	for _, scrub := range []bool{true, false} {
		for _, scope := range scopes {
			td, ss := rawTraces()
			ss.Scope().SetName(scope)
			plantResource(td.ResourceSpans().At(0), ss)
			s := toolInvoke(ss, secretJSON, secretJSON)
			plantEverywhere(s)
			cfg := langfuseConfig()
			cfg.ScrubForeignSpans = scrub
			out := run(t, cfg, td)
			name := fmt.Sprintf("scope %q scrub=%v", scope, scrub)
			assertFailedClosed(t, name, out, 1, planted)
			for _, k := range keys(spanAt(out, 0).Attributes()) {
				assert.False(t, isRawOnlyKey(k), "%s: raw fact %s exported", name, k)
			}
		}
		// A foreign scope whose span carries cf.* facts (any case).
		for _, key := range []string{"cf.op", "CF.user.email", "Cf.anything"} {
			td := ptrace.NewTraces()
			rs := td.ResourceSpans().AppendEmpty()
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName("some.library")
			plantResource(rs, ss)
			s := ss.Spans().AppendEmpty()
			s.Attributes().PutStr(key, secretText)
			plantEverywhere(s)
			cfg := createDefaultConfig()
			cfg.ScrubForeignSpans = scrub
			out := run(t, cfg, td)
			name := fmt.Sprintf("foreign span with %s scrub=%v", key, scrub)
			assertFailedClosed(t, name, out, 1, planted)
			_, kept := spanAt(out, 0).Attributes().Get(key)
			assert.False(t, kept, name)
		}
	}
}

// TestFailClosedOps: under the raw scope, an unknown or odd cf.op leaves nothing unscrubbed.
func TestFailClosedOps(t *testing.T) {
	ops := map[string]func(pcommon.Map){
		"unknown":   func(a pcommon.Map) { a.PutStr("cf.op", "tool.invoke.v2") },
		"missing":   func(a pcommon.Map) { a.Remove("cf.op") },
		"empty":     func(a pcommon.Map) { a.PutStr("cf.op", "") },
		"case":      func(a pcommon.Map) { a.PutStr("cf.op", "Tool.Invoke") },
		"padded":    func(a pcommon.Map) { a.PutStr("cf.op", " tool.invoke ") },
		"int":       func(a pcommon.Map) { a.PutInt("cf.op", 7) },
		"bytes":     func(a pcommon.Map) { a.PutEmptyBytes("cf.op").FromRaw([]byte("tool.invoke")) },
		"list":      func(a pcommon.Map) { a.PutEmptySlice("cf.op").AppendEmpty().SetStr("tool.invoke") },
		"known":     func(pcommon.Map) {},
		"request":   func(a pcommon.Map) { a.PutStr("cf.op", "request") },
		"mcpclient": func(a pcommon.Map) { a.PutStr("cf.op", "mcp.client.call") },
	}
	for name, mutate := range ops {
		td, ss := rawTraces()
		plantResource(td.ResourceSpans().At(0), ss)
		s := toolInvoke(ss, secretJSON, secretJSON)
		plantEverywhere(s)
		mutate(s.Attributes())
		out := run(t, langfuseConfig(), td)
		assertFailedClosed(t, "cf.op "+name, out, 1, planted)
	}
}

// TestWrongTypedFacts: url.* and other facts as kvlist, array or bytes go through every rule.
func TestWrongTypedFacts(t *testing.T) {
	for _, key := range []string{"url.query", "url.path", "cf.upstream.url", "url.full", "gen_ai.tool.name", "cf.user.email", "cf.team.name", "cf.session.id", "cf.correlation_id", "http.request.method", "user_agent.original"} {
		for _, typ := range []string{"kvlist", "array", "bytes", "int"} {
			for _, op := range []string{"request", "tool.invoke", "mcp.client.call"} {
				td, ss := rawTraces()
				s := rawSpan(ss, op, "POST /rpc")
				s.Attributes().PutStr("gen_ai.tool.name", "echo")
				s.Attributes().PutStr("url.path", "/rpc")
				s.Attributes().PutStr("http.request.method", "POST")
				a := s.Attributes()
				switch typ {
				case "kvlist":
					m := a.PutEmptyMap(key)
					m.PutStr("q", secretText)
					m.PutStr("password", "PW-hunter2")
				case "array":
					sl := a.PutEmptySlice(key)
					sl.AppendEmpty().SetStr(secretText)
				case "bytes":
					a.PutEmptyBytes(key).FromRaw([]byte(secretText))
				case "int":
					a.PutInt(key, 42)
				}
				out := run(t, langfuseConfig(), td)
				assertFailedClosed(t, fmt.Sprintf("%s %s on %s", key, typ, op), out, 1, planted)
			}
		}
	}
}

// TestSanitizeBeforeBound: a secret whose context lies past max_trace_payload_size is still
// masked: sanitized whole first, cut after.
func TestSanitizeBeforeBound(t *testing.T) {
	cfg := langfuseConfig()
	cfg.MaxTracePayloadSize = 256
	pad := strings.Repeat("x", 250)
	// The cut falls inside the secret: its context (@, the key) is before or after it.
	long := []string{
		"https://u:UI-userpass" + pad + "@example.com/",
		pad + " password=PW-hunter2",
		"Bearer BR-sekrit" + pad,
		pad[:240] + " token=TK-abc123 " + pad,
	}
	for i, v := range long {
		for _, where := range []string{"tool.name", "status", "capped", "url.query", "foreign.status", "foreign.attr", "link"} {
			td, ss := rawTraces()
			s := toolInvoke(ss, "", "")
			switch where {
			case "tool.name":
				s.Attributes().PutStr("gen_ai.tool.name", v)
			case "status":
				failSpan(s, "Err", v)
			case "capped":
				s.Attributes().PutStr("gen_ai.tool.call.arguments", `{"q":"`+v+`"}`)
				s.Attributes().PutInt("cf.arguments.original_size", 5<<20)
			case "url.query":
				s.Attributes().PutStr("cf.op", "request")
				s.Attributes().PutStr("url.path", "/x")
				s.Attributes().PutStr("http.request.method", "GET")
				s.Attributes().PutStr("url.query", v)
			case "link":
				s.Links().AppendEmpty().Attributes().PutStr("note", v)
			case "foreign.status", "foreign.attr":
				ss.Scope().SetName("fastapi")
				s.Attributes().RemoveIf(func(k string, _ pcommon.Value) bool { return hasRawPrefix(k) })
				if where == "foreign.status" {
					s.Status().SetMessage(v)
				} else {
					s.Attributes().PutStr("note", v)
				}
			}
			out := run(t, cfg, td)
			assertFailedClosed(t, fmt.Sprintf("long value %d in %s", i, where), out, 1, planted)
		}
	}
}

// TestForeignEverywhere: scrub_foreign_spans covers every string of a foreign span, its resource
// and its scope; without it only invalid UTF-8 is repaired.
func TestForeignEverywhere(t *testing.T) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("fastapi")
	plantResource(rs, ss)
	plantEverywhere(ss.Spans().AppendEmpty())
	assertFailedClosed(t, "foreign", run(t, createDefaultConfig(), cloneTraces(td)), 1, planted)

	cfg := createDefaultConfig()
	cfg.ScrubForeignSpans = false
	out := run(t, cfg, cloneTraces(td))
	assert.Equal(t, secretText, str(t, spanAt(out, 0).Attributes(), "free.text"), "scrub off keeps foreign values")
}

// TestValidUTF8Always: invalid UTF-8 in keys, names, resource and scope attributes of every kind
// of span becomes U+FFFD, whatever the config.
func TestValidUTF8Always(t *testing.T) {
	bad := "bad\xff\xfe\xc3("
	for _, scope := range []string{"contextforge.mcp_runtime", "fastapi", "contextforge.mcp_runtime.v9"} {
		for _, scrub := range []bool{true, false} {
			td := ptrace.NewTraces()
			rs := td.ResourceSpans().AppendEmpty()
			rs.Resource().Attributes().PutStr(bad, bad)
			ss := rs.ScopeSpans().AppendEmpty()
			ss.Scope().SetName(scope)
			ss.Scope().SetVersion(bad)
			ss.Scope().Attributes().PutStr(bad, bad)
			s := ss.Spans().AppendEmpty()
			s.SetName(bad)
			s.Attributes().PutStr(bad, bad)
			s.Attributes().PutEmptyMap("nested").PutStr(bad, bad)
			s.Attributes().PutStr("cf.op", "tool.invoke")
			s.Attributes().PutStr("gen_ai.tool.name", bad)
			s.Status().SetMessage(bad)
			ev := s.Events().AppendEmpty()
			ev.SetName(bad)
			ev.Attributes().PutStr(bad, bad)
			l := s.Links().AppendEmpty()
			l.Attributes().PutStr(bad, bad)
			if scope == "fastapi" {
				s.Attributes().Remove("cf.op")
			}
			cfg := langfuseConfig()
			cfg.ScrubForeignSpans = scrub
			out := run(t, cfg, td)
			assertFailedClosed(t, fmt.Sprintf("%s scrub=%v", scope, scrub), out, 1, nil)
		}
	}
}

// TestScrubIdempotentOnPythonSpans runs every Python span of the oracle captures (84 captures)
// through the foreign scrub. With Python's own rules (no D3) nothing changes but the status
// description (D1) and the exception events' attributes (D2). With the product rules the only
// other change is D3: a secret under a JSON-quoted key inside captured text, which the Python
// runtime leaks (b_secrets_capture*: "password": "hunter2" in the tool's echoed output).
func TestScrubIdempotentOnPythonSpans(t *testing.T) {
	files, err := filepath.Glob("../../tests/oracle/*/*.json")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 84, "the oracle captures are vendored in tests/oracle")
	total, d3 := 0, 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		var capture struct {
			Env   map[string]string `json:"env"`
			Spans []pythonSpan      `json:"spans"`
		}
		require.NoError(t, json.Unmarshal(b, &capture), f)
		require.NotEmpty(t, capture.Spans, f)
		cfg := createDefaultConfig()
		if v := capture.Env["OTEL_MAX_TRACE_PAYLOAD_SIZE"]; v != "" {
			_, err := fmt.Sscan(v, &cfg.MaxTracePayloadSize)
			require.NoError(t, err)
		}
		for _, pythonRules := range []bool{true, false} {
			td := tracesFromPython(t, capture.Spans)
			before := pythonView(td)
			p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), cfg)
			require.NoError(t, err)
			if pythonRules {
				p.redactor = redact.New(cfg.RedactFields, redact.Options{})
				p.keys = newKeyPolicies(p.redactor)
			}
			out, err := p.processTraces(context.Background(), td)
			require.NoError(t, err)
			after := pythonView(out)
			require.Equal(t, len(before), len(after), f)
			for i := range before {
				if before[i] == after[i] {
					continue
				}
				if pythonRules {
					t.Errorf("%s span %d changed: %s", filepath.Base(f), i, firstDifference(before[i], after[i]))
					continue
				}
				d3++
				assert.Contains(t, before[i], `\\\"password\\\": \\\"hunter2\\\"`, "%s span %d: a change that is not D3", filepath.Base(f), i)
				assert.NotContains(t, after[i], "hunter2", "%s span %d", filepath.Base(f), i)
			}
			if pythonRules {
				total += len(before)
			}
		}
	}
	t.Logf("%d Python spans unchanged outside D1/D2 under Python's rules; %d spans changed by D3 only", total, d3)
	assert.Equal(t, 642, total, "every Python span of the captures")
}

type pythonSpan struct {
	Name       string                     `json:"name"`
	Kind       string                     `json:"kind"`
	TraceState *string                    `json:"traceState"`
	Status     goldenStatus               `json:"status"`
	Attributes map[string]json.RawMessage `json:"attributes"`
	Events     []goldenEvent              `json:"events"`
	Scope      struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		SchemaURL string `json:"schemaUrl"`
	} `json:"scope"`
	Resource map[string]json.RawMessage `json:"resource"`
}

func tracesFromPython(t *testing.T, spans []pythonSpan) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, s := range spans {
		rs := td.ResourceSpans().AppendEmpty()
		putJSONAttrs(t, rs.Resource().Attributes(), s.Resource)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName(s.Scope.Name)
		ss.Scope().SetVersion(s.Scope.Version)
		ss.SetSchemaUrl(s.Scope.SchemaURL)
		sp := ss.Spans().AppendEmpty()
		sp.SetName(s.Name)
		if s.TraceState != nil {
			sp.TraceState().FromRaw(*s.TraceState)
		}
		if s.Status.Code == "ERROR" {
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
		if s.Status.Message != nil {
			sp.Status().SetMessage(*s.Status.Message)
		}
		putJSONAttrs(t, sp.Attributes(), s.Attributes)
		for _, e := range s.Events {
			ev := sp.Events().AppendEmpty()
			ev.SetName(e.Name)
			putJSONAttrs(t, ev.Attributes(), e.Attributes)
		}
	}
	return td
}

// pythonView is each span as text, without its status description and exception attributes
// (the D1/D2 places).
func pythonView(td ptrace.Traces) []string {
	var out []string
	for i := 0; i < td.ResourceSpans().Len(); i++ {
		rs := td.ResourceSpans().At(i)
		ss := rs.ScopeSpans().At(0)
		s := ss.Spans().At(0)
		var b bytes.Buffer
		fmt.Fprintf(&b, "resource=%s scope=%s|%s|%s|%s name=%q ts=%q status=%s", canonicalMapText(canonicalMap(rs.Resource().Attributes())),
			ss.Scope().Name(), ss.Scope().Version(), ss.SchemaUrl(), canonicalMapText(canonicalMap(ss.Scope().Attributes())),
			s.Name(), s.TraceState().AsRaw(), s.Status().Code())
		keys := keys(s.Attributes())
		sort.Strings(keys)
		fmt.Fprintf(&b, " attrs=%s", canonicalMapText(canonicalMap(s.Attributes())))
		for e := 0; e < s.Events().Len(); e++ {
			ev := s.Events().At(e)
			fmt.Fprintf(&b, " event=%q", ev.Name())
			if ev.Name() != eventException {
				b.WriteString(canonicalMapText(canonicalMap(ev.Attributes())))
			}
		}
		out = append(out, b.String())
	}
	return out
}

// TestURLValuesTextRulesFirst is D10: a URL-keyed value goes through the free-text rules before
// the URL rules, so text secrets inside a URL or path are masked; a URL the text rules leave
// alone comes out exactly as Python's URL rules make it.
func TestURLValuesTextRulesFirst(t *testing.T) {
	cases := []struct{ op, fact, key, in, want string }{
		{"request", "url.path", "url.path", "/rpc password=PW-hunter2", "/rpc password=***"},
		{"request", "url.path", "http.route", "/rpc Bearer BR-sekrit", "/rpc Bearer ***"},
		{"mcp.client.call", "url.full", "url.full", "https://h/x?q=1 password=PW-hunter2", "https://h/x?q=1+password%3D%2A%2A%2A"},
		{"mcp.client.call", "url.full", "url.full", "http://127.0.0.1:9000/mcp", "http://127.0.0.1:9000/mcp"},
		{"mcp.client.call", "url.full", "url.full", "https://u:UI-userpass@h/x?api_key=QP-apikey&q=1", "https://REDACTED:REDACTED@h/x?api_key=REDACTED&q=1"},
	}
	for _, tc := range cases {
		td, ss := rawTraces()
		s := rawSpan(ss, tc.op, "POST /rpc")
		s.Attributes().PutStr("http.request.method", "POST")
		s.Attributes().PutStr("url.path", "/rpc")
		s.Attributes().PutStr(tc.fact, tc.in)
		out := spanAt(run(t, langfuseConfig(), td), 0)
		got, ok := out.Attributes().Get(tc.key)
		require.True(t, ok, "%s: %s missing in %v", tc.in, tc.key, keys(out.Attributes()))
		assert.Equal(t, tc.want, got.Str(), tc.in)
	}
}
