#!/usr/bin/env bash
# A/B of the redaction engine and the processor: the Go benchmarks of BASE (a commit) and of the
# work tree, built once each and run interleaved ROUNDS times, so both see the same machine load.
# Prints `go test -bench` lines tagged base/new, then the on-CPU time per op (perf task-clock of an
# N-iteration run minus a 1-iteration run; needs perf) which a loaded machine inflates far less.
# usage: bash bench/results/ab_engine.sh [BASE] > bench/results/engineperf-ab.txt
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BASE=${1:-1c79133}
ROUNDS=${ROUNDS:-5}
N=${N:-20000}
work=$(mktemp -d "${TMPDIR:-/tmp}/mcpparity-ab.XXXXXX")
trap 'rm -rf "$work"' EXIT

git -C "$ROOT" archive "$BASE" processor | tar -x -C "$work"
# the base gets today's benchmark file and inputs, so both sides time the same bytes
cp "$ROOT"/processor/internal/redact/bench_test.go "$work"/processor/internal/redact/
cp "$ROOT"/processor/internal/redact/testdata/bench/*.txt "$work"/processor/internal/redact/testdata/bench/
sed -i -e '/^func TestBenchTextsOracleShape/,$d' -e '/^\t"strings"$/d' "$work"/processor/internal/redact/bench_test.go
for side in base new; do
  src=$ROOT/processor; [ $side = base ] && src=$work/processor
  (cd "$src" && go test -c -o "$work/redact.$side" ./internal/redact/ && go test -c -o "$work/proc.$side" ./mcpparityprocessor/)
done

bench() { # bench BIN DIR REGEX
  (cd "$2" && "$1" -test.run '^$' -test.bench "$3" -test.benchmem) | grep '^Benchmark'
}
cpu_ns() { # cpu_ns BIN DIR BENCH
  local a b
  a=$(cd "$2" && perf stat -x, -e task-clock "$1" -test.run '^$' -test.bench "^$3\$" -test.benchtime 1x -test.cpu 1 2>&1 >/dev/null | awk -F, '/task-clock/{print $1}')
  b=$(cd "$2" && perf stat -x, -e task-clock "$1" -test.run '^$' -test.bench "^$3\$" -test.benchtime "${N}x" -test.cpu 1 2>&1 >/dev/null | awk -F, '/task-clock/{print $1}')
  awk -v a="$a" -v b="$b" -v n="$N" 'BEGIN{printf "%.0f", (b-a)*1e6/(n-1)}'
}

echo "# $(date -u +%FT%TZ) $(nproc) cores, load: $(cut -d' ' -f1-3 /proc/loadavg); base $BASE, new $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet -- processor || echo +dirty)"
echo "## go test -bench, interleaved, $ROUNDS rounds"
for r in $(seq 1 "$ROUNDS"); do
  for side in base new; do
    bench "$work/redact.$side" "$ROOT/processor/internal/redact" 'SanitizeText|SerializeTracePayload' | sed "s/^/$side /"
    bench "$work/proc.$side" "$ROOT/processor/mcpparityprocessor" 'ToolInvoke2KB|MixedBatch1000' | sed "s/^/$side /"
  done
done
if command -v perf >/dev/null; then
  echo "## on-CPU ns/op (perf task-clock, $N iterations minus 1), interleaved, $ROUNDS rounds"
  for r in $(seq 1 "$ROUNDS"); do
    for b in BenchmarkSanitizeText2K BenchmarkSanitizeTextClean2K BenchmarkSanitizeTextSecrets2K; do
      for side in base new; do
        echo "$side $b $(cpu_ns "$work/redact.$side" "$ROOT/processor/internal/redact" $b) ns/op-cpu bytes=$(wc -c <"$ROOT/processor/internal/redact/testdata/bench/$(case $b in *Clean*) echo text_clean_2k.txt;; *Secrets*) echo text_secrets_2k.txt;; *) echo text_2k.txt;; esac)")"
      done
    done
  done
fi
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
