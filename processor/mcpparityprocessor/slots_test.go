package mcpparityprocessor

import (
	"context"
	"strings"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadatatest"
)

// TestSlotsKeepOnlyUnchangedValues: at a batch's end a key's slot keeps its value only when the
// value was exported unchanged, as a copy of its own; a value the rules changed (a secret in it)
// leaves no trace in the scratch.
func TestSlotsKeepOnlyUnchangedValues(t *testing.T) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	td, ss := rawTraces()
	span := rawSpan(ss, "tool.lookup", "tool.lookup")
	rawTool := strings.Repeat("echo-tool", 2)
	span.Attributes().PutStr("gen_ai.tool.name", rawTool)
	span.Attributes().PutStr("cf.team.name", "ops token=abc123")
	var c counts
	p.transformSafe(spanAt(td, 0), &c, nil)
	s := c.scratch
	require.NotNil(t, s)
	c.release()
	kept := map[string]bool{}
	for i, l := range s.last {
		assert.False(t, l.batch, "slot %d still holds the batch's strings", i)
		assert.NotContains(t, l.s+l.clean, "abc123", "slot %d", i)
		if l.set {
			assert.True(t, l.keep, "slot %d", i)
			kept[l.s] = true
			if l.s == rawTool {
				assert.True(t, unsafe.StringData(rawTool) != unsafe.StringData(l.s), "a kept value is a copy")
			}
		}
	}
	assert.True(t, kept[rawTool], "the unchanged tool name is kept: %v", kept)
	assert.True(t, kept["admin@example.com"], "the unchanged email is kept: %v", kept)
}

// TestSlotsOfAnotherProcessor: a pooled scratch whose slots another processor filled (other
// redact fields: other answers for the same keys) answers nothing for this one.
func TestSlotsOfAnotherProcessor(t *testing.T) {
	plain, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	cfg := langfuseConfig()
	cfg.RedactFields = append(cfg.RedactFields, "user.email")
	masking, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	var c counts
	td, ss := rawTraces()
	toolInvoke(ss, `{"q":1}`, "")
	plain.transformSafe(spanAt(td, 0), &c, nil)
	require.Equal(t, "admin@example.com", str(t, spanAt(td, 0).Attributes(), "user.email"))
	s := c.scratch
	c.release()
	c.scratch = s // the next batch, of the other processor, gets this scratch
	td2, ss2 := rawTraces()
	toolInvoke(ss2, `{"q":1}`, "")
	masking.transformSafe(spanAt(td2, 0), &c, nil)
	c.release()
	assert.Equal(t, mask, str(t, spanAt(td2, 0).Attributes(), "user.email"))
}

// TestSlotsAcrossBatches: the mixed batch processed again by the same processor (its slots
// kept from the first time) exports the same spans as a fresh processor and counts the same
// redactions.
func TestSlotsAcrossBatches(t *testing.T) {
	batch := func() ptrace.Traces { return readBatch(t, "mixed_1000.json") }
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	sink := new(consumertest.TracesSink)
	p, err := NewFactory().CreateTraces(context.Background(), metadatatest.NewSettings(tt), langfuseConfig(), sink)
	require.NoError(t, err)
	redactions := func() int64 {
		m, err := tt.GetMetric("otelcol_processor_mcpparity_redactions")
		require.NoError(t, err)
		var n int64
		for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
			n += dp.Value
		}
		return n
	}
	require.NoError(t, p.ConsumeTraces(context.Background(), batch()))
	first := redactions()
	require.Positive(t, first)
	require.NoError(t, p.ConsumeTraces(context.Background(), batch()))
	assert.Equal(t, 2*first, redactions())
	fresh := allSpans(run(t, langfuseConfig(), batch()))
	again := allSpans(sink.AllTraces()[1])
	require.Len(t, again, len(fresh))
	for i := range fresh {
		require.Equal(t, fresh[i].Attributes().AsRaw(), again[i].Attributes().AsRaw(), "span %d (%s)", i, again[i].Name())
	}
}

// TestExceptionAnswerPerMessageAndType: the spans a failure passes through repeat its exception;
// each exports what the engine answers for its own type and message (an empty message becomes
// its type's name: the same message under another type is answered again), counts its own
// redaction, and the batch's end leaves no exception text in the scratch.
func TestExceptionAnswerPerMessageAndType(t *testing.T) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	const secret = "Tool invocation failed: password=hunter2"
	failures := [][2]string{
		{"ToolInvocationError", secret}, {"ToolInvocationError", secret}, {"ValueError", " "}, {"KeyError", " "},
	}
	td, ss := rawTraces()
	for _, fl := range failures {
		failSpan(toolInvoke(ss, "", ""), fl[0], fl[1])
	}
	var c counts
	for i := range failures {
		p.transformSafe(spanAt(td, i), &c, nil)
	}
	s := c.scratch
	c.release()
	assert.Equal(t, exceptionAnswer{}, s.lastException)
	for i, fl := range failures {
		want := p.redactor.SanitizeExceptionMessage(fl[1], fl[0])
		got := str(t, spanAt(td, i).Attributes(), "error.message")
		assert.Equal(t, want, got, "span %d (%s)", i, fl[0])
		assert.NotContains(t, got, "hunter2")
	}
	assert.Equal(t, "KeyError", str(t, spanAt(td, 3).Attributes(), "error.message"))
	// Every failing span counts its message's redaction, besides what a clean span counts.
	clean, ssClean := rawTraces()
	toolInvoke(ssClean, "", "")
	var cc counts
	p.transformSafe(spanAt(clean, 0), &cc, nil)
	cc.release()
	assert.Equal(t, int64(len(failures))*(cc.redactions+1), c.redactions)
}

// TestResourceKeepsOnlyUnchangedAttributes: a resource's attributes the rules left unchanged are
// skipped when the next batch repeats them; a changed value at the same place, a masked key or a
// redacted value is sanitized again every time, and another processor's rules (here masking
// service.name) are never answered from this scratch.
func TestResourceKeepsOnlyUnchangedAttributes(t *testing.T) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	batch := func(note string) (ptrace.Traces, pcommon.Map) {
		td, ss := rawTraces()
		res := td.ResourceSpans().At(0).Resource().Attributes()
		res.PutStr("note", note)
		res.PutStr("api_key", "k-123")
		toolInvoke(ss, "", "")
		return td, res
	}
	td, _ := batch("plain words")
	// The first batch fills the scratch, the second reuses it (as the pool would).
	run := func(p *parityProcessor, td ptrace.Traces, s *transformScratch) *transformScratch {
		var c counts
		c.scratch = s
		rs := td.ResourceSpans().At(0)
		p.transformSafe(rs.ScopeSpans().At(0).Spans().At(0), &c, nil)
		p.scrubResource(rs.Resource().Attributes(), &c)
		s = c.scratch
		c.release()
		return s
	}
	s := run(p, td, nil)
	kept := map[string]string{}
	for _, e := range s.resource {
		if e.set {
			kept[e.key] = e.value
			assert.False(t, e.batch)
			assert.True(t, unsafe.StringData(e.value) != unsafe.StringData(str(t, td.ResourceSpans().At(0).Resource().Attributes(), e.key)), "a kept value is a copy")
		}
	}
	assert.Equal(t, map[string]string{"service.name": "mcp-gateway", "note": "plain words"}, kept)

	td2, res2 := batch("token=abc123 plain words")
	s = run(p, td2, s)
	assert.Equal(t, "mcp-gateway", str(t, res2, "service.name"))
	assert.NotContains(t, str(t, res2, "note"), "abc123", "a changed value is sanitized again")
	assert.Equal(t, mask, str(t, res2, "api_key"))

	cfg := langfuseConfig()
	cfg.RedactFields = append(cfg.RedactFields, "service.name")
	masking, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	td3, res3 := batch("plain words")
	run(masking, td3, s)
	assert.Equal(t, mask, str(t, res3, "service.name"), "another processor's scratch answers nothing")
}
