#!/usr/bin/env bash
# Runs every benchmark the project has, keeps each raw output in bench/results/ (and the Python
# tracing cost in bench/python-tracing-cost/results.json), then rewrites the tables of
# bench/README.md from them with bench/tables.py (`make bench` calls it).
# A part that is not there yet is skipped with a message; a part that fails is reported and the
# script goes on, then exits non-zero. BENCHTIME (default 1s) is passed to `go test -benchtime`;
# COUNT (default 5) is the number of runs each table takes its median and [min–max] over.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PY=${PY:-$ROOT/.cache/venv/bin/python}
BENCHTIME=${BENCHTIME:-1s}
COUNT=${COUNT:-5}
RESULTS=$ROOT/bench/results
mkdir -p "$RESULTS"
failed=()

section() { printf '\n=== %s\n' "$1"; }
skip() { printf 'skipped: %s\n' "$1"; }
run() { # run NAME CMD...: run one part, remember a failure
  local name=$1; shift
  if ! "$@"; then
    printf 'FAILED: %s\n' "$name"
    failed+=("$name")
  fi
}

# contrib_ratio: from `go test -bench` output of bench/contribchain, print ns/span, allocs/span and
# the ratio contrib chain / mcpparity (how many times faster mcpparity is).
contrib_ratio() {
  awk '
    /^BenchmarkMixed1000\// {
      split($1, parts, "/"); name = parts[2]; sub(/-[0-9]+$/, "", name)
      for (i = 2; i < NF; i++) {
        if ($(i + 1) == "ns/op") nsop[name] = $i
        if ($(i + 1) == "ns/span") nsspan[name] = $i
        if ($(i + 1) == "allocs/op") allocs[name] = $i
        if ($(i + 1) == "B/op") bytes[name] = $i
      }
    }
    END {
      if (!("mcpparity" in nsop) || !("contrib_chain" in nsop)) { print "ratio: missing a benchmark line"; exit 1 }
      for (n in nsop) printf "%-14s %12.0f ns/batch %9.0f ns/span %8.1f allocs/span %10.0f B/batch\n", n, nsop[n], nsspan[n], allocs[n] / 1000, bytes[n]
      printf "ratio contrib_chain / mcpparity: %.2fx time, %.2fx allocs (target >= 3x time)\n", nsop["contrib_chain"] / nsop["mcpparity"], allocs["contrib_chain"] / allocs["mcpparity"]
    }'
}

section "Go: processor and engines (processor/...)"
if [ -f "$ROOT/processor/go.mod" ]; then
  run processor bash -c "set -o pipefail; cd '$ROOT/processor' && go test -run '^\$' -bench . -benchmem -benchtime '$BENCHTIME' -count '$COUNT' ./... | tee '$RESULTS/processor.txt'"
else
  skip "processor/go.mod not found"
fi

section "Go: instructions per op of the processor benchmarks (bench/instructions.sh, cachegrind)"
if command -v valgrind >/dev/null 2>&1; then
  # INSTRUCTIONS_BASE: git revisions to count beside the working tree (e.g. the commit before a change).
  # shellcheck disable=SC2086
  run instructions bash -c "set -o pipefail; bash '$ROOT/bench/instructions.sh' ${INSTRUCTIONS_BASE:-} | tee '$RESULTS/instructions.txt'"
else
  skip "valgrind not found"
fi

section "Go: mcpparity vs the contrib chain (bench/contribchain, 1,000 mixed raw spans)"
if [ -f "$ROOT/bench/contribchain/go.mod" ]; then
  # first the chain's own checks: it really works, and how far it stays from mcpparity's output
  run contribchain-tests bash -c "set -o pipefail; cd '$ROOT/bench/contribchain' && go test -count=1 -run 'TestContribChain|TestParityGap' -v . | grep -E '^(---|ok|FAIL)|gap_test'"
  out=$(cd "$ROOT/bench/contribchain" && go test -run '^$' -bench . -benchmem -benchtime "$BENCHTIME" -count "$COUNT" . 2>&1)
  rc=$?
  printf '%s\n' "$out" | tee "$RESULTS/contribchain.txt"
  if [ $rc -eq 0 ]; then
    run contribchain-ratio contrib_ratio <<<"$out"
  else
    printf 'FAILED: contribchain\n'; failed+=(contribchain)
  fi
else
  skip "bench/contribchain/go.mod not found"
fi

section "Rust: raw span emission (emitter/)"
if [ -f "$ROOT/emitter/Cargo.toml" ] && { [ -d "$ROOT/emitter/benches" ] || grep -q '^\[\[bench\]\]' "$ROOT/emitter/Cargo.toml"; }; then
  : >"$RESULTS/emitter.txt"
  for _ in $(seq 1 "$COUNT"); do
    run emitter bash -c "set -o pipefail; cargo bench --locked --manifest-path '$ROOT/emitter/Cargo.toml' --bench request_path | tee -a '$RESULTS/emitter.txt'"
  done
else
  skip "emitter/ has no benches (emitter/benches or [[bench]] in Cargo.toml)"
fi

section "Rust: request-thread instructions per call (bench/emitter_instructions.sh, callgrind)"
if command -v valgrind >/dev/null 2>&1; then
  # EMITTER_INSTRUCTIONS_BASE: git revisions to count beside the working tree (built with today's bench file).
  # shellcheck disable=SC2086
  run emitter-instructions bash -c "set -o pipefail; bash '$ROOT/bench/emitter_instructions.sh' ${EMITTER_INSTRUCTIONS_BASE:-} | tee '$RESULTS/emitter_instructions.txt'"
else
  skip "valgrind not found"
fi

section "Python: the oracle's redaction and serialization (bench/oracle_redaction.py)"
if [ -f "$ROOT/bench/oracle_redaction.py" ]; then
  : >"$RESULTS/oracle_redaction.txt"
  for _ in $(seq 1 "$COUNT"); do
    run oracle_redaction bash -c "set -o pipefail; '$PY' '$ROOT/bench/oracle_redaction.py' | tee -a '$RESULTS/oracle_redaction.txt'"
  done
else
  skip "bench/oracle_redaction.py not found"
fi

section "Python: tracing cost of the Python runtime (bench/python-tracing-cost/)"
ptc="$ROOT/bench/python-tracing-cost"
if [ -f "$ptc/bench_tracing.py" ]; then
  run python-tracing-cost "$PY" "$ptc/bench_tracing.py" --runs "${PTC_RUNS:-5}" --json "$ptc/results.json"
else
  skip "bench/python-tracing-cost/bench_tracing.py not found"
fi

section "Collector: spans/s on loopback with and without mcpparity (bench/load/)"
if [ -f "$ROOT/bench/load/run.sh" ]; then
  run load bash -c "set -o pipefail; bash '$ROOT/bench/load/run.sh' | tee '$RESULTS/load.txt'"
else
  skip "bench/load/run.sh not found"
fi

section "Tables of bench/README.md from bench/results/ (bench/tables.py)"
run tables python3 "$ROOT/bench/tables.py" --write

if [ ${#failed[@]} -gt 0 ]; then
  printf '\nbench: failed parts: %s\n' "${failed[*]}"
  exit 1
fi
printf '\nbench: done\n'
