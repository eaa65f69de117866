#!/usr/bin/env bash
# Instructions per operation of the processor's and the text engine's benchmarks, counted by
# valgrind's cachegrind:
# a figure the machine's load does not move (wall-clock figures on a shared 2-core VM move by
# 2-3x), so a lever's effect can be shown on a busy machine too. GC off and one P, so the count
# is the work of the code itself, repeatable to ~0.1 %.
#
#   bash bench/instructions.sh [REV ...]     # HEAD's working tree, then each git REV
#
# Each benchmark (BENCHES: package:benchmark:N, package under processor/) runs with -benchtime Nx
# and 1x; (I(N) - I(1)) / (N - 1) is the count per op (setup and the first call cancel out).
# REVs are built in .cache/instructions/ (git worktrees). Needs valgrind; prints one line per
# (tree, benchmark). BENCH_FILES (paths from the repo's root, e.g. a *_bench_test.go added since
# REV) are copied from the working tree into each REV's tree that lacks them, so a new
# benchmark is counted at an older REV too (its inputs are read from the working tree).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/.cache/instructions
BENCHES=${BENCHES:-"mcpparityprocessor:MixedBatch1000:20 mcpparityprocessor:ToolInvoke2KB:2000 internal/redact:SerializeToolArguments2K:2000 internal/redact:SerializeToolResult2K:2000 internal/redact:SanitizeTextClean2K:2000 internal/redact:SanitizeTextSecrets2K:500 internal/redact:SanitizeText2K:1000"}
command -v valgrind >/dev/null || { echo "instructions: valgrind is missing" >&2; exit 1; }
mkdir -p "$WORK"

count() { # count TREE PACKAGE BENCH N: instructions of one run of the test binary of PACKAGE in TREE
  local bin=$WORK/$1-${2//\//_}.test
  (cd "$ROOT/processor/$2" && GOMAXPROCS=1 GOGC=off valgrind --tool=cachegrind --cache-sim=no \
    --cachegrind-out-file=/dev/null "$bin" -test.run '^$' -test.bench "^Benchmark$3\$" -test.benchtime "${4}x" 2>&1 >/dev/null |
    awk '/I[ ]+refs:/ { gsub(",", "", $NF); print $NF }')
}

build() { # build TREE SOURCE: the test binaries of every package of BENCHES, from SOURCE/processor
  local pkg
  for pkg in $(for spec in $BENCHES; do echo "${spec%%:*}"; done | sort -u); do
    (cd "$2/processor" && go test -c -o "$WORK/$1-${pkg//\//_}.test" "./$pkg/")
  done
}

measure() { # measure TREE
  local spec pkg rest bench n many one
  for spec in $BENCHES; do
    pkg=${spec%%:*}; rest=${spec#*:}; bench=${rest%%:*}; n=${rest##*:}
    many=$(count "$1" "$pkg" "$bench" "$n")
    one=$(count "$1" "$pkg" "$bench" 1)
    awk -v l="$1" -v b="$bench" -v m="$many" -v o="$one" -v n="$n" \
      'BEGIN { if (m - o <= 0) printf "%-14s %-24s %12s (no such benchmark in this tree)\n", l, b, "-"
               else printf "%-14s %-24s %12.0f instructions/op\n", l, b, (m - o) / (n - 1) }'
  done
}

build working-tree "$ROOT"
measure working-tree
for rev in "$@"; do
  tree=$WORK/tree-$rev
  rm -rf "$tree"; git -C "$ROOT" worktree prune
  git -C "$ROOT" worktree add -q --detach "$tree" "$rev"
  for file in ${BENCH_FILES:-}; do
    [ -e "$tree/$file" ] || cp "$ROOT/$file" "$tree/$file"
  done
  build "$rev" "$tree"
  git -C "$ROOT" worktree remove --force "$tree"
  measure "$rev"
done
