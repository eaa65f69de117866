#!/usr/bin/env bash
# Instructions per operation of the processor's benchmarks, counted by valgrind's cachegrind:
# a figure the machine's load does not move (wall-clock figures on a shared 2-core VM move by
# 2-3x), so a lever's effect can be shown on a busy machine too. GC off and one P, so the count
# is the work of the code itself, repeatable to ~0.1 %.
#
#   bash bench/instructions.sh [REV ...]     # HEAD's working tree, then each git REV
#
# Each benchmark runs with -benchtime Nx and 1x; (I(N) - I(1)) / (N - 1) is the count per op
# (setup and the first call cancel out). REVs are built in .cache/instructions/ (git worktrees).
# Needs valgrind; prints one line per (tree, benchmark).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/.cache/instructions
BENCHES=${BENCHES:-"MixedBatch1000:20 ToolInvoke2KB:2000"}
command -v valgrind >/dev/null || { echo "instructions: valgrind is missing" >&2; exit 1; }
mkdir -p "$WORK"

count() { # count BINARY BENCH N: instructions of one run
  (cd "$ROOT/processor/mcpparityprocessor" && GOMAXPROCS=1 GOGC=off valgrind --tool=cachegrind --cache-sim=no \
    --cachegrind-out-file=/dev/null "$1" -test.run '^$' -test.bench "^Benchmark$2\$" -test.benchtime "${3}x" 2>&1 >/dev/null |
    awk '/I[ ]+refs:/ { gsub(",", "", $NF); print $NF }')
}

measure() { # measure LABEL BINARY
  for spec in $BENCHES; do
    local bench=${spec%%:*} n=${spec##*:} many one
    many=$(count "$2" "$bench" "$n")
    one=$(count "$2" "$bench" 1)
    awk -v l="$1" -v b="$bench" -v m="$many" -v o="$one" -v n="$n" \
      'BEGIN { printf "%-14s %-16s %12.0f instructions/op\n", l, b, (m - o) / (n - 1) }'
  done
}

(cd "$ROOT/processor" && go test -c -o "$WORK/head.test" ./mcpparityprocessor/)
measure "working-tree" "$WORK/head.test"
for rev in "$@"; do
  tree=$WORK/tree-$rev
  rm -rf "$tree"; git -C "$ROOT" worktree prune
  git -C "$ROOT" worktree add -q --detach "$tree" "$rev"
  (cd "$tree/processor" && go test -c -o "$WORK/$rev.test" ./mcpparityprocessor/)
  git -C "$ROOT" worktree remove --force "$tree"
  measure "$rev" "$WORK/$rev.test"
done
