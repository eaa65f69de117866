#!/usr/bin/env bash
# Collector throughput on this machine, with and without mcpparity: the built otelcol-mcpparity on
# free loopback ports (otlp -> memory_limiter -> [mcpparity] -> batch -> debug), fed the shared
# 1,000-span batch over OTLP/gRPC by `load` (main.go) for DURATION (default 5s) per mode, ROUNDS
# (default 5) alternating rounds; prints each round and the medians. A third mode feeds the same
# requests as contract-v2 bundles (mixed_1000_v2.json: 161 raw spans that mcpparity expands into
# the same 1,000 spans; the emitter's default output) and counts the 1,000 spans they stand for.
# The load generator runs on the same cores as the collector; the figures say so.
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
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

(cd "$ROOT/bench/load" && go build -o "$work/load" .)

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

run_mode() { # run_mode LABEL PROCESSORS BATCH [LOAD_FLAGS...]
  local label=$1 processors=$2 batch=$3 grpc health metrics
  shift 3
  grpc=$(free_port); health=$(free_port); metrics=$(free_port)
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
  batch: {timeout: 200ms}
exporters:
  debug: {verbosity: basic, sampling_initial: 1, sampling_thereafter: 100000}
extensions:
  health_check: {endpoint: "127.0.0.1:$health"}
service:
  extensions: [health_check]
  telemetry:
    logs: {level: warn}
    metrics:
      level: none
  pipelines:
    traces: {receivers: [otlp], processors: [$processors], exporters: [debug]}
EOF
  "$COLLECTOR" --config="$work/$label.yaml" >"$work/$label.out" 2>"$work/$label.err" &
  pid=$!
  local up=0
  for _ in $(seq 1 300); do
    if curl -fs "http://127.0.0.1:$health/" >/dev/null 2>&1; then up=1; break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if [ $up -ne 1 ]; then echo "load: collector ($label) not healthy:" >&2; tail -20 "$work/$label.err" >&2; return 1; fi
  "$work/load" -endpoint "127.0.0.1:$grpc" -batch "$batch" -duration "$DURATION" -concurrency "$CONCURRENCY" -label "$label" "$@"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true; pid=""
}

echo "load: $(nproc) cores, $ROUNDS rounds x $DURATION per mode (alternating), $CONCURRENCY gRPC clients on the same cores, batch of 1,000 mixed raw spans (v2: the same requests as 161 bundles, counted as the 1,000 spans they expand into)"
for round in $(seq 1 "$ROUNDS"); do
  run_mode without_mcpparity "memory_limiter, batch" "$BATCH" | tee -a "$work/results.jsonl"
  run_mode with_mcpparity "memory_limiter, mcpparity, batch" "$BATCH" | tee -a "$work/results.jsonl"
  run_mode with_mcpparity_v2 "memory_limiter, mcpparity, batch" "$BATCH_V2" -count-as 1000 | tee -a "$work/results.jsonl"
done
python3 - "$work/results.jsonl" <<'PY'
import json, statistics, sys
rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
by = {}
for r in rows:
    by.setdefault(r["label"], []).append(r["spans_per_second"])
for label, values in by.items():
    print(f"{label:18s} median {statistics.median(values):>10,.0f} spans/s  [min {min(values):,.0f} - max {max(values):,.0f}] over {len(values)} rounds")
if "without_mcpparity" in by and "with_mcpparity" in by:
    ratio = statistics.median(by["without_mcpparity"]) / statistics.median(by["with_mcpparity"])
    print(f"mcpparity costs {ratio:.2f}x collector throughput on this machine (generator on the same cores)")
PY
