package mcpparityprocessor

import (
	"strings"
	"testing"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mcpparity/mcpparity/processor/internal/redact"
)

// FuzzRawToolInvoke feeds arbitrary facts, payloads and error texts to the processor. Invariants:
// no panic, the span is exported, no raw key leaves, every string is valid UTF-8 and bounded, and
// a secret planted under a redact field never appears in the export.
func FuzzRawToolInvoke(f *testing.F) {
	f.Add("echo-tool", `{"q":"x"}`, `{"content":[{"type":"text","text":"hi"}]}`, "boom", "tool.invoke", int64(1))
	f.Add("t\xff", `{"password":`, `not json`, "password=hunter2 \x00", "tool.gateway_call", int64(-1))
	f.Add(strings.Repeat("a", 300), `[1,2,{"token":"x"}]`, `{"content":"x","isError":true}`, "", "mcp.client.request", int64(0))
	f.Add("", "", "", "Bearer x", "nope", int64(1<<40))
	f.Fuzz(func(t *testing.T, tool, args, result, excMsg, op string, count int64) {
		const planted = "plantedsecret9431"
		cfg := langfuseConfig()
		cfg.MaxTracePayloadSize = 256
		td, ss := rawTraces()
		s := toolInvoke(ss, args, result)
		a := s.Attributes()
		a.PutStr("cf.op", op)
		a.PutStr("gen_ai.tool.name", tool)
		a.PutInt("cf.arguments.count", count)
		a.PutStr("password", planted)
		a.PutStr("gen_ai.tool.call.arguments", `{"password":"`+planted+`","x":`+args+`}`)
		if excMsg != "" {
			failSpan(s, "ToolInvocationError", excMsg+" password="+planted)
		}
		out := run(t, cfg, td)
		if out.SpanCount() != 1 {
			t.Fatalf("span dropped")
		}
		text := exportedText(t, out)
		if strings.Contains(text, planted) {
			t.Fatalf("planted secret exported: %s", text)
		}
		got := spanAt(out, 0)
		got.Attributes().Range(func(k string, v pcommon.Value) bool {
			if isRawOnlyKey(k) {
				t.Fatalf("raw key %s exported", k)
			}
			sv := v.AsString()
			limit := cfg.MaxTracePayloadSize
			if k == keyErrorMessage || k == keyLfStatusMsg {
				limit = redact.MaxExceptionMessageLength // Python's own cut of an exception message (1021 + "..."), whatever max_trace_payload_size
			}
			if !utf8.ValidString(sv) || utf8.RuneCountInString(sv) > limit {
				t.Fatalf("%s: unbounded or invalid value (%d chars)", k, utf8.RuneCountInString(sv))
			}
			return true
		})
		if !utf8.ValidString(got.Name()) || !utf8.ValidString(got.Status().Message()) {
			t.Fatalf("invalid UTF-8 in name or status")
		}
	})
}
