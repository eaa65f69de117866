package contribchain

import (
	"context"
	"sort"
	"testing"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestParityGap runs both pipelines on the batch and reports, span by span (matched by span id),
// how far the contrib chain is from mcpparity's output: spans identical, and the keys that differ
// most. It fails only if either pipeline loses a span or the chain matches no span at all.
func TestParityGap(t *testing.T) {
	batch := loadBatch(t)
	run := func(p *pipeline) map[pcommon.SpanID]ptrace.Span {
		defer p.shutdown(t)
		td := ptrace.NewTraces()
		batch.CopyTo(td)
		if err := p.first.ConsumeTraces(context.Background(), td); err != nil {
			t.Fatal(err)
		}
		out := map[pcommon.SpanID]ptrace.Span{}
		forEachSpan(p.sink.AllTraces(), func(_ string, s ptrace.Span) { out[s.SpanID()] = s })
		if len(out) != batch.SpanCount() {
			t.Fatalf("spans in %d, out %d", batch.SpanCount(), len(out))
		}
		return out
	}
	ours, chain := run(newMcpparity(t)), run(newContribChain(t))

	diffs := map[string]int{}
	identical := 0
	for id, o := range ours {
		c := chain[id]
		same := true
		note := func(what string) { diffs[what]++; same = false }
		if o.Name() != c.Name() {
			note("span name")
		}
		if o.Kind() != c.Kind() {
			note("span kind")
		}
		if o.Status().Code() != c.Status().Code() || o.Status().Message() != c.Status().Message() {
			note("status")
		}
		if o.Events().Len() != c.Events().Len() {
			note("event count")
		}
		for k, v := range o.Attributes().All() {
			cv, ok := c.Attributes().Get(k)
			switch {
			case !ok:
				note("missing " + k)
			case cv.AsString() != v.AsString():
				note("value " + k)
			}
		}
		for k := range c.Attributes().All() {
			if _, ok := o.Attributes().Get(k); !ok {
				note("extra " + k)
			}
		}
		if same {
			identical++
		}
	}
	keys := make([]string, 0, len(diffs))
	for k := range diffs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return diffs[keys[i]] > diffs[keys[j]] || diffs[keys[i]] == diffs[keys[j]] && keys[i] < keys[j]
	})
	t.Logf("contrib chain output identical to mcpparity on %d of %d spans", identical, len(ours))
	for i, k := range keys {
		if i == 25 {
			break
		}
		t.Logf("  %4d spans: %s", diffs[k], k)
	}
	if identical == 0 {
		t.Fatal("the chain matches mcpparity on no span: its config is not doing the job")
	}
}
