// Package contribchain compares the mcpparity processor with the contrib chain an operator would
// otherwise configure (transform + redaction + attributes), on the same batch of 1,000 mixed raw
// spans, in one `go test -bench` run. It is its own module so the processor's go.mod stays clean.
package contribchain

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/attributesprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/redactionprocessor"
	"github.com/open-telemetry/opentelemetry-collector-contrib/processor/transformprocessor"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor"
	"go.opentelemetry.io/collector/processor/processortest"
	"gopkg.in/yaml.v3"

	mcpparity "github.com/mcpparity/mcpparity/processor/mcpparityprocessor"
)

const (
	batchFile = "../../processor/mcpparityprocessor/testdata/bench/mixed_1000.json"
	chainFile = "testdata/contrib_chain.yaml"
	rawScope  = "contextforge.mcp_runtime"
)

// chainOrder is the operator's pipeline order of the contrib processors in chainFile.
var chainOrder = []struct {
	id      string
	factory processor.Factory
}{
	{"transform/mcpparity", transformprocessor.NewFactory()},
	{"redaction/mcpparity", redactionprocessor.NewFactory()},
	{"attributes/mcp_client", attributesprocessor.NewFactory()},
	{"attributes/cleanup", attributesprocessor.NewFactory()},
}

// loadBatch reads the shared benchmark batch (OTLP JSON) written by the processor's generator.
func loadBatch(tb testing.TB) ptrace.Traces {
	tb.Helper()
	raw, err := os.ReadFile(batchFile)
	if err != nil {
		tb.Fatalf("read %s: %v", batchFile, err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
	if err != nil {
		tb.Fatalf("decode %s: %v", batchFile, err)
	}
	return td
}

// loadChainConfigs reads chainFile as the collector would: `$$` is a literal `$` after env expansion.
func loadChainConfigs(tb testing.TB) map[string]map[string]any {
	tb.Helper()
	raw, err := os.ReadFile(chainFile)
	if err != nil {
		tb.Fatalf("read %s: %v", chainFile, err)
	}
	var doc struct {
		Processors map[string]map[string]any `yaml:"processors"`
	}
	if err := yaml.Unmarshal([]byte(strings.ReplaceAll(string(raw), "$$", "$")), &doc); err != nil {
		tb.Fatalf("parse %s: %v", chainFile, err)
	}
	return doc.Processors
}

// pipeline is a started chain of processors ending in a sink.
type pipeline struct {
	first consumer.Traces
	procs []processor.Traces
	sink  *consumertest.TracesSink
}

func (p *pipeline) shutdown(tb testing.TB) {
	for _, proc := range p.procs {
		if err := proc.Shutdown(context.Background()); err != nil {
			tb.Errorf("shutdown: %v", err)
		}
	}
}

func start(tb testing.TB, f processor.Factory, cfg component.Config, next consumer.Traces) processor.Traces {
	tb.Helper()
	if v, ok := cfg.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			tb.Fatalf("%s config: %v", f.Type(), err)
		}
	}
	proc, err := f.CreateTraces(context.Background(), processortest.NewNopSettings(f.Type()), cfg, next)
	if err != nil {
		tb.Fatalf("create %s: %v", f.Type(), err)
	}
	if err := proc.Start(context.Background(), componenttest.NewNopHost()); err != nil {
		tb.Fatalf("start %s: %v", f.Type(), err)
	}
	return proc
}

// newContribChain builds transform -> redaction -> attributes/mcp_client -> attributes/cleanup -> sink.
func newContribChain(tb testing.TB) *pipeline {
	tb.Helper()
	configs := loadChainConfigs(tb)
	p := &pipeline{sink: new(consumertest.TracesSink)}
	var next consumer.Traces = p.sink
	for i := len(chainOrder) - 1; i >= 0; i-- {
		step := chainOrder[i]
		raw, ok := configs[step.id]
		if !ok {
			tb.Fatalf("%s: no processor %q", chainFile, step.id)
		}
		cfg := step.factory.CreateDefaultConfig()
		if err := confmap.NewFromStringMap(raw).Unmarshal(cfg); err != nil {
			tb.Fatalf("%s: %v", step.id, err)
		}
		proc := start(tb, step.factory, cfg, next)
		p.procs = append(p.procs, proc)
		next = proc
	}
	p.first = next
	return p
}

// newContribStage builds one processor of the chain alone (its config from chainFile) -> sink.
func newContribStage(tb testing.TB, id string) *pipeline {
	tb.Helper()
	configs := loadChainConfigs(tb)
	for _, step := range chainOrder {
		if step.id != id {
			continue
		}
		cfg := step.factory.CreateDefaultConfig()
		if err := confmap.NewFromStringMap(configs[step.id]).Unmarshal(cfg); err != nil {
			tb.Fatalf("%s: %v", step.id, err)
		}
		p := &pipeline{sink: new(consumertest.TracesSink)}
		proc := start(tb, step.factory, cfg, p.sink)
		p.procs = []processor.Traces{proc}
		p.first = proc
		return p
	}
	tb.Fatalf("no chain step %q", id)
	return nil
}

// newMcpparity builds mcpparity -> sink with the same policy as the chain: Langfuse and identity
// attributes on, input/output capture for tool.invoke, the gateway's defaults otherwise.
func newMcpparity(tb testing.TB) *pipeline {
	tb.Helper()
	f := mcpparity.NewFactory()
	cfg := f.CreateDefaultConfig()
	if err := confmap.NewFromStringMap(map[string]any{
		"langfuse_attributes":  true,
		"identity_attributes":  true,
		"capture_input_spans":  []any{"tool.invoke"},
		"capture_output_spans": []any{"tool.invoke"},
	}).Unmarshal(cfg); err != nil {
		tb.Fatalf("mcpparity config: %v", err)
	}
	p := &pipeline{sink: new(consumertest.TracesSink)}
	proc := start(tb, f, cfg, p.sink)
	p.procs = []processor.Traces{proc}
	p.first = proc
	return p
}

// benchmarkPipeline pushes a fresh copy of the batch per iteration; the copy is outside the timer.
func benchmarkPipeline(b *testing.B, p *pipeline, batch ptrace.Traces) {
	spans := batch.SpanCount()
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		td := ptrace.NewTraces()
		batch.CopyTo(td)
		p.sink.Reset()
		b.StartTimer()
		if err := p.first.ConsumeTraces(ctx, td); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if got := p.sink.SpanCount(); got != spans {
		b.Fatalf("spans in %d, out %d", spans, got)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(spans), "ns/span")
}

// BenchmarkMixed1000 runs both pipelines on the same batch in the same run; compare ns/op
// (= ns/batch), ns/span and allocs/op of the two sub-benchmarks (bench/run.sh prints the ratio).
func BenchmarkMixed1000(b *testing.B) {
	batch := loadBatch(b)
	b.Run("mcpparity", func(b *testing.B) {
		p := newMcpparity(b)
		defer p.shutdown(b)
		benchmarkPipeline(b, p, batch)
	})
	b.Run("contrib_chain", func(b *testing.B) {
		p := newContribChain(b)
		defer p.shutdown(b)
		benchmarkPipeline(b, p, batch)
	})
}

// TestContribChainDoesWhatItCan checks the chain config is the real thing, not a no-op: on the
// batch it renames raw spans to Python names, strips every cf.* key, masks key-matched secrets and
// sets error semantics, keeping every span.
func TestContribChainDoesWhatItCan(t *testing.T) {
	batch := loadBatch(t)
	p := newContribChain(t)
	defer p.shutdown(t)
	td := ptrace.NewTraces()
	batch.CopyTo(td)
	if err := p.first.ConsumeTraces(context.Background(), td); err != nil {
		t.Fatal(err)
	}
	if got, want := p.sink.SpanCount(), batch.SpanCount(); got != want {
		t.Fatalf("spans in %d, out %d", want, got)
	}
	pythonNames := map[string]bool{"tool.invoke": true, "tool.lookup": true, "tool.gateway_call": true,
		"tool.post_process": true, "mcp.client.call": true, "mcp.client.initialize": true,
		"mcp.client.request": true, "mcp.client.response": true}
	var invokes, errors int
	forEachSpan(p.sink.AllTraces(), func(scope string, s ptrace.Span) {
		if scope != rawScope {
			return
		}
		for k := range s.Attributes().All() {
			if strings.HasPrefix(k, "cf.") {
				t.Errorf("%s: raw key %s left", s.Name(), k)
			}
		}
		if s.Kind() != ptrace.SpanKindServer && !pythonNames[s.Name()] {
			t.Errorf("not a Python span name: %q", s.Name())
		}
		if s.Name() == "tool.invoke" {
			invokes++
			if _, ok := s.Attributes().Get("correlation_id"); !ok {
				t.Errorf("tool.invoke without correlation_id")
			}
		}
		if s.Status().Code() == ptrace.StatusCodeError {
			errors++
			if v, ok := s.Attributes().Get("error.type"); !ok || v.Str() == "" {
				t.Errorf("%s: ERROR without error.type", s.Name())
			}
		}
		if v, ok := s.Attributes().Get("password"); ok && v.Str() != "***" {
			t.Errorf("%s: password not masked: %q", s.Name(), v.Str())
		}
	})
	if invokes == 0 || errors == 0 {
		t.Fatalf("batch exercised too little: %d tool.invoke, %d errors", invokes, errors)
	}
}

func forEachSpan(all []ptrace.Traces, fn func(scope string, s ptrace.Span)) {
	for _, td := range all {
		for _, rs := range td.ResourceSpans().All() {
			for _, ss := range rs.ScopeSpans().All() {
				for _, s := range ss.Spans().All() {
					fn(ss.Scope().Name(), s)
				}
			}
		}
	}
}

// BenchmarkContribStages runs each processor of the chain alone on the raw batch: where the
// chain's time goes (each stage sees raw spans here, so the sum only approximates the chain).
func BenchmarkContribStages(b *testing.B) {
	batch := loadBatch(b)
	for _, step := range chainOrder {
		b.Run(strings.ReplaceAll(step.id, "/", "_"), func(b *testing.B) {
			p := newContribStage(b, step.id)
			defer p.shutdown(b)
			benchmarkPipeline(b, p, batch)
		})
	}
}
