// Command load pushes one OTLP batch (the shared 1,000 mixed raw spans) at a collector's OTLP/gRPC
// receiver from a few concurrent clients for a fixed time, and prints the accepted spans per second.
// Loopback only; every call has a timeout and the run is bounded by -duration.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/pdata/ptrace/ptraceotlp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

type result struct {
	Label         string  `json:"label"`
	Seconds       float64 `json:"seconds"`
	Concurrency   int     `json:"concurrency"`
	SpansPerBatch int     `json:"spans_per_batch"`
	// RawSpansPerBatch is what the batch holds (161 for the v2 batch, whose 1,000 spans it stands
	// for are SpansPerBatch).
	RawSpansPerBatch int     `json:"raw_spans_per_batch"`
	BatchesOK        int64   `json:"batches_ok"`
	BatchesFailed    int64   `json:"batches_failed"`
	SpansPerSecond   float64 `json:"spans_per_second"`
	// CPUSeconds is this process's own CPU time (user + system) over its whole run: the load
	// generator's share of the cores it shares with the collector.
	CPUSeconds float64 `json:"cpu_seconds"`
	FirstError string  `json:"first_error,omitempty"`
}

func main() {
	endpoint := flag.String("endpoint", "", "OTLP/gRPC host:port on 127.0.0.1")
	batchPath := flag.String("batch", "../../processor/mcpparityprocessor/testdata/bench/mixed_1000.json", "OTLP JSON batch to send")
	duration := flag.Duration("duration", 10*time.Second, "how long to send")
	concurrency := flag.Int("concurrency", 2, "concurrent clients")
	label := flag.String("label", "", "label printed with the result")
	countAs := flag.Int("count-as", 0, "spans one batch stands for (default: its span count; a batch of v2 bundles: the spans they expand into)")
	flag.Parse()
	if *endpoint == "" || *duration <= 0 || *duration > 5*time.Minute || *concurrency < 1 || *countAs < 0 {
		fmt.Fprintln(os.Stderr, "load: -endpoint is required, -duration in (0, 5m], -concurrency >= 1, -count-as >= 0")
		os.Exit(2)
	}
	raw, err := os.ReadFile(*batchPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: decode batch:", err)
		os.Exit(1)
	}
	conn, err := grpc.NewClient(*endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	defer conn.Close()
	client := ptraceotlp.NewGRPCClient(conn)

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(*duration)
	for i := 0; i < *concurrency; i++ {
		own := ptrace.NewTraces()
		td.CopyTo(own) // one request per client: no shared pdata between goroutines
		req := ptraceotlp.NewExportRequestFromTraces(own)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := client.Export(ctx, req)
				cancel()
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					time.Sleep(10 * time.Millisecond) // a refusing collector (memory_limiter) is not spun on
					continue
				}
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	spans := td.SpanCount()
	if *countAs > 0 {
		spans = *countAs
	}
	r := result{Label: *label, Seconds: elapsed, Concurrency: *concurrency, SpansPerBatch: spans,
		RawSpansPerBatch: td.SpanCount(), BatchesOK: ok.Load(), BatchesFailed: failed.Load(),
		SpansPerSecond: float64(ok.Load()) * float64(spans) / elapsed, CPUSeconds: cpuSeconds()}
	if e, _ := firstErr.Load().(string); e != "" {
		r.FirstError = e
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}

// cpuSeconds is the CPU time (user + system) this process has used so far.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}
