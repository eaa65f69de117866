#!/usr/bin/env bash
# Collector throughput on this machine, with and without mcpparity: the built otelcol-mcpparity on
# free loopback ports (otlp -> memory_limiter -> [mcpparity] -> batch -> exporter), fed the shared
# 1,000-span batch over OTLP/gRPC by `load` (main.go) for DURATION (default 5s) per mode, ROUNDS
# (default 5) alternating rounds; prints each round and the medians. A third mode feeds the same
# requests as contract-v2 bundles (mixed_1000_v2.json: 161 raw spans that mcpparity expands into
# the same 1,000 spans; the emitter's default output) and counts the 1,000 spans they stand for.
#
# Two exporters, each with the three modes:
# - debug (basic verbosity): counts what reaches it and sends nothing; the collector's work is the
#   receiver's decode and the processors. Issue 11's goal is measured so.
# - otlp_grpc (the _otlp modes): forwards, as a deployment does, over OTLP/gRPC with gzip (the
#   exporter's default) to a sink collector (otlp -> debug) started once on another free loopback
#   port. The sending queue is small and blocks when full (4 consumers, 4 requests,
#   block_on_overflow), so exports run in parallel, as with the default queue, and the receiver
#   is held back as soon as they fall behind; no retries. The figure of these modes is what
#   reached the sink (its otelcol_receiver_accepted_spans, read before and after the round), the
#   load generator's accepted rate beside it.
# Two more debug pipelines say where mcpparity's cost goes: mcpparity/nocapture (no payload
# capture) and mcpparity/minimal (no capture, no Langfuse or identity attributes).
# Each round also records the CPU each process spent per span: the collector's and the sink's from
# /proc/PID/stat over the round, the load generator's from its own rusage.
# The load generator, and the sink, run on the same cores as the collector; the figures say so.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
COLLECTOR=${MCPPARITY_COLLECTOR:-$ROOT/bin/otelcol-mcpparity}
DURATION=${DURATION:-5s}
ROUNDS=${ROUNDS:-5}
CONCURRENCY=${CONCURRENCY:-2}
BATCH=$ROOT/processor/mcpparityprocessor/testdata/bench/mixed_1000.json
BATCH_V2=$ROOT/processor/mcpparityprocessor/testdata/bench/mixed_1000_v2.json

[ -x "$COLLECTOR" ] || { echo "load: $COLLECTOR missing: run make build" >&2; exit 1; }
for f in "$BATCH" "$BATCH_V2"; do [ -f "$f" ] || { echo "load: $f missing" >&2; exit 1; }; done

work=$(mktemp -d "${TMPDIR:-/tmp}/mcpparity-load.XXXXXX")
pid=""
sink_pid=""
stop() { # stop PID: TERM, then KILL after 5 s
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null || true
  fi
}
cleanup() {
  stop "$pid"
  stop "$sink_pid"
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$ROOT/bench/load" && go build -o "$work/load" .)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

healthy() { # healthy LABEL PID HEALTH_PORT: waits up to 30 s for the collector's health check
  for _ in $(seq 1 300); do
    if curl -fs "http://127.0.0.1:$3/" >/dev/null 2>&1; then return 0; fi
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  echo "load: collector ($1) not healthy:" >&2
  tail -20 "$work/$1.err" >&2
  return 1
}

# collector LABEL PROCESSORS EXPORTER [METRICS_PORT]: starts a collector (otlp -> PROCESSORS ->
# EXPORTER) on free loopback ports, its own metrics served on METRICS_PORT if given, and waits for
# its health check; sets started (its pid) and grpc (its port).
collector() {
  local label=$1 health metrics="metrics: {level: none}"
  grpc=$(free_port); health=$(free_port)
  if [ -n "${4:-}" ]; then
    metrics="metrics: {level: basic, readers: [{pull: {exporter: {prometheus: {host: 127.0.0.1, port: $4}}}}]}"
  fi
  cat >"$work/$label.yaml" <<EOF
receivers:
  otlp:
    protocols:
      grpc: {endpoint: "127.0.0.1:$grpc", max_recv_msg_size_mib: 64}
processors:
  memory_limiter: {check_interval: 1s, limit_mib: 1024, spike_limit_mib: 256}
  mcpparity:
    langfuse_attributes: true
    identity_attributes: true
    capture_input_spans: [tool.invoke]
    capture_output_spans: [tool.invoke]
  mcpparity/nocapture: {langfuse_attributes: true, identity_attributes: true}
  mcpparity/minimal: {langfuse_attributes: false, identity_attributes: false}
  batch: {timeout: 200ms}
exporters:
  debug: {verbosity: basic, sampling_initial: 1, sampling_thereafter: 100000}
  otlp_grpc:
    endpoint: "127.0.0.1:${sink_grpc:-0}"
    tls: {insecure: true}
    sending_queue: {enabled: true, num_consumers: 4, queue_size: 4, sizer: requests, block_on_overflow: true}
    retry_on_failure: {enabled: false}
extensions:
  health_check: {endpoint: "127.0.0.1:$health"}
service:
  extensions: [health_check]
  telemetry:
    logs: {level: warn}
    $metrics
  pipelines:
    traces: {receivers: [otlp], processors: [$2], exporters: [$3]}
EOF
  "$COLLECTOR" --config="$work/$label.yaml" >"$work/$label.out" 2>"$work/$label.err" &
  started=$!
  healthy "$label" "$started" "$health"
}

# The sink of the _otlp modes: a collector that receives and counts (debug exporter), nothing else.
sink_grpc=""
sink_metrics=$(free_port)
collector sink "" debug "$sink_metrics"
sink_pid=$started sink_grpc=$grpc

ticks() { # the CPU time (user + system, clock ticks) process $1 has used so far
  sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}
CLK_TCK=$(getconf CLK_TCK)

delivered() { # the spans the sink has received so far
  local page
  page=$(curl -fs "http://127.0.0.1:$sink_metrics/metrics") || { echo "load: the sink's metrics (127.0.0.1:$sink_metrics) did not answer" >&2; return 1; }
  awk '/^otelcol_receiver_accepted_spans/ { n += $NF } END { printf "%d\n", n }' <<<"$page"
}

# run_mode LABEL PROCESSORS EXPORTER BATCH [LOAD_FLAGS...] (EXPORTER: debug or otlp_grpc): one
# round of one pipeline; its result line goes to the output and to results.jsonl. Not called in a
# pipeline: the collector's pid stays this shell's, for cleanup.
run_mode() {
  local label=$1 exporter=$3 batch=$4 before=0 after=0 cpu0 cpu1 sink0=0 sink1=0
  collector "$label" "$2" "$exporter"
  pid=$started
  shift 4
  [ "$exporter" = otlp_grpc ] && before=$(delivered) && sink0=$(ticks "$sink_pid")
  cpu0=$(ticks "$pid")
  "$work/load" -endpoint "127.0.0.1:$grpc" -batch "$batch" -duration "$DURATION" -concurrency "$CONCURRENCY" -label "$label" "$@" >"$work/round.json"
  cpu1=$(ticks "$pid")
  [ "$exporter" = otlp_grpc ] && after=$(delivered) && sink1=$(ticks "$sink_pid")
  stop "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  # Exports run off the receiver's path (the batch processor's goroutine, the queue's consumers):
  # a failed one is logged, not returned to the load generator, so a round with one is no figure.
  if grep -qE "Exporting failed|Sender failed" "$work/$label.err"; then
    echo "load: $label: an export failed:" >&2
    grep -m3 -E "Exporting failed|Sender failed" "$work/$label.err" >&2
    return 1
  fi
  # A forwarding round's figure is what reached the sink (the generator's accepted rate is kept
  # beside it); every round gets each process's CPU per span counted.
  python3 - "$work/round.json" "$exporter" "$((after - before))" "$((cpu1 - cpu0))" "$((sink1 - sink0))" "$CLK_TCK" <<'PY'
import json, sys
path, exporter, delivered, cpu, sink, hz = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:])
r = json.load(open(path))
spans = r["batches_ok"] * r["spans_per_batch"]
if exporter == "otlp_grpc":
    r["accepted_spans_per_second"] = r["spans_per_second"]
    r["delivered_spans"] = spans = delivered
    r["spans_per_second"] = delivered / r["seconds"]
    r["sink_cpu_us_per_span"] = 1e6 * sink / hz / spans
r["collector_cpu_us_per_span"] = 1e6 * cpu / hz / spans
r["load_cpu_us_per_span"] = 1e6 * r["cpu_seconds"] / spans
json.dump(r, open(path, "w"))
PY
  cat "$work/round.json"; echo
  cat "$work/round.json" >>"$work/results.jsonl"; echo >>"$work/results.jsonl"
}

echo "load: $(nproc) cores, $ROUNDS rounds x $DURATION per mode (alternating), $CONCURRENCY gRPC clients on the same cores, batch of 1,000 mixed raw spans (v2: the same requests as 161 bundles, counted as the 1,000 spans they expand into); _otlp: forwarded over OTLP/gRPC (gzip) to a sink collector on the same cores"
for round in $(seq 1 "$ROUNDS"); do
  for exporter in debug otlp_grpc; do
    suffix=""
    [ "$exporter" = otlp_grpc ] && suffix=_otlp
    run_mode "without_mcpparity$suffix" "memory_limiter, batch" "$exporter" "$BATCH"
    run_mode "with_mcpparity$suffix" "memory_limiter, mcpparity, batch" "$exporter" "$BATCH"
    run_mode "with_mcpparity_v2$suffix" "memory_limiter, mcpparity, batch" "$exporter" "$BATCH_V2" -count-as 1000
  done
  run_mode with_mcpparity_nocapture "memory_limiter, mcpparity/nocapture, batch" debug "$BATCH"
  run_mode with_mcpparity_minimal "memory_limiter, mcpparity/minimal, batch" debug "$BATCH"
done
python3 - "$work/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {}
for r in rows:
    by.setdefault(r["label"], []).append(r["spans_per_second"])
for label, values in by.items():
    print(f"{label:24s} median {statistics.median(values):>10,.0f} spans/s  [min {min(values):,.0f} - max {max(values):,.0f}] over {len(values)} rounds")
for suffix, exporter in (("", "debug exporter"), ("_otlp", "OTLP exporter to a sink")):
    if "without_mcpparity" + suffix in by and "with_mcpparity" + suffix in by:
        ratio = statistics.median(by["without_mcpparity" + suffix]) / statistics.median(by["with_mcpparity" + suffix])
        print(f"mcpparity costs {ratio:.2f}x collector throughput on this machine, {exporter} (generator on the same cores)")
PY
