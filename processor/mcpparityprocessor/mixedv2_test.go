package mcpparityprocessor

import (
	"fmt"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
)

// testdata/bench/mixed_1000_v2.json holds the requests of mixed_1000.json as contract-v2 bundles
// (one raw span per request, as the emitter's default sink sends them; testdata/bench/gen).

// exportedSpan is an exported span without its ids: its parent is named by its parent's place.
type exportedSpan struct {
	place, parent string
	span          ptrace.Span
}

// placeOf names a span by trace, start and name: unique in the bench batches.
func placeOf(s ptrace.Span) string {
	return fmt.Sprintf("%s/%d/%s", s.TraceID(), s.StartTimestamp(), s.Name())
}

func exportedSpans(t *testing.T, td ptrace.Traces) []exportedSpan {
	t.Helper()
	places := map[pcommon.SpanID]string{}
	var spans []ptrace.Span
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			for k := 0; k < sss.At(j).Spans().Len(); k++ {
				s := sss.At(j).Spans().At(k)
				require.NotContains(t, places, s.SpanID(), "span ids are unique")
				places[s.SpanID()] = placeOf(s)
				spans = append(spans, s)
			}
		}
	}
	out := make([]exportedSpan, 0, len(spans))
	for _, s := range spans {
		parent := ""
		if !s.ParentSpanID().IsEmpty() {
			parent = places[s.ParentSpanID()]
			require.NotEmpty(t, parent, "the parent of %s is exported", placeOf(s))
		}
		out = append(out, exportedSpan{placeOf(s), parent, s})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].place < out[b].place })
	return out
}

// TestMixedBatchV2ExportsTheV1Batch: the 141 requests of the bench batch export the same spans
// (names, kinds, times, status, events, attributes in order, tree) whether they arrive as v1 raw
// spans or as v2 bundles; only the children's span ids differ (v2 derives them).
func TestMixedBatchV2ExportsTheV1Batch(t *testing.T) {
	v1 := run(t, langfuseConfig(), readBatch(t, "mixed_1000.json"))
	bundles := readBatch(t, "mixed_1000_v2.json")
	require.Equal(t, 161, bundles.SpanCount(), "141 bundles and 20 foreign spans")
	v2 := run(t, langfuseConfig(), bundles)
	require.Equal(t, 1000, v2.SpanCount())
	want, got := exportedSpans(t, v1), exportedSpans(t, v2)
	require.Len(t, got, len(want))
	for i := range want {
		w, g := want[i], got[i]
		require.Equal(t, w.place, g.place)
		require.Equal(t, w.parent, g.parent, w.place)
		require.Equal(t, w.span.Kind(), g.span.Kind(), w.place)
		require.Equal(t, w.span.EndTimestamp(), g.span.EndTimestamp(), w.place)
		require.Equal(t, w.span.Status().Code(), g.span.Status().Code(), w.place)
		require.Equal(t, w.span.Status().Message(), g.span.Status().Message(), w.place)
		require.Equal(t, w.span.TraceState().AsRaw(), g.span.TraceState().AsRaw(), w.place)
		require.Equal(t, keys(w.span.Attributes()), keys(g.span.Attributes()), w.place)
		require.Equal(t, w.span.Attributes().AsRaw(), g.span.Attributes().AsRaw(), w.place)
		require.Equal(t, w.span.Events().Len(), g.span.Events().Len(), w.place)
		for e := 0; e < w.span.Events().Len(); e++ {
			we, ge := w.span.Events().At(e), g.span.Events().At(e)
			require.Equal(t, we.Name(), ge.Name(), w.place)
			require.Equal(t, we.Timestamp(), ge.Timestamp(), w.place)
			require.Equal(t, we.Attributes().AsRaw(), ge.Attributes().AsRaw(), w.place)
		}
	}
	require.Equal(t, v1.ResourceSpans().At(0).Resource().Attributes().AsRaw(),
		v2.ResourceSpans().At(0).Resource().Attributes().AsRaw())
	assertNoRawKeys(t, v2)
	assertNoSecretsExported(t, v2)
}

// BenchmarkMixedBatch1000V2 processes the bench batch's requests as v2 bundles (161 raw spans that
// expand into the same 1,000 spans as BenchmarkMixedBatch1000); ns/span is per exported span.
func BenchmarkMixedBatch1000V2(b *testing.B) {
	td := readBatch(b, "mixed_1000_v2.json")
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(b, err)
	benchProcess(b, p, td, 4)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/span")
}
