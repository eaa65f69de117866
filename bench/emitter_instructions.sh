#!/usr/bin/env bash
# Instructions per call of the emitter's request path (contract v2, the bundle queue), counted by
# valgrind's cachegrind: a figure the machine's load does not move, so an emitter lever can be
# shown on a busy 2-core VM (the bench's µs move by 2x there).
#
#   bash bench/emitter_instructions.sh [REV ...]     # the working tree, then each git REV
#
# The driver is the bench binary's `--count CASE --iters N` mode (emitter/benches/request_path.rs,
# `count_driver`): a fixed warm-up, N calls of CASE with the exporter thread idle, exit without
# exporting. (I(N) - I(1)) / (N - 1) is the request thread's own instructions per call. A REV is
# built with the working tree's bench file (so an older revision gets the same driver), in
# .cache/emitter-instructions/ (git worktrees; the working tree's cargo target dir is shared).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/.cache/emitter-instructions
CASES=${CASES:-"rest mcp list read prompt empty"}
N=${N:-2000}
command -v valgrind >/dev/null || { echo "emitter_instructions: valgrind is missing" >&2; exit 1; }
mkdir -p "$WORK"
export CARGO_TARGET_DIR=$ROOT/emitter/target

build() { # build LABEL TREE: the bench binary of TREE's emitter, copied to $WORK/LABEL
  local bin
  bin=$(cargo bench --locked --manifest-path "$2/emitter/Cargo.toml" --bench request_path --no-run \
    --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  cp "$bin" "$WORK/$1"
}

count() { # count LABEL CASE N: instructions of one driver run
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null \
    "$WORK/$1" --count "$2" --iters "$3" 2>&1 >/dev/null |
    awk '/I[ ]+refs:/ { gsub(",", "", $NF); print $NF }'
}

measure() { # measure LABEL
  local case many one
  for case in $CASES; do
    many=$(count "$1" "$case" "$N")
    one=$(count "$1" "$case" 1)
    awk -v l="$1" -v c="$case" -v m="$many" -v o="$one" -v n="$N" \
      'BEGIN { printf "%-14s %-8s %8.0f instructions/call\n", l, c, (m - o) / (n - 1) }'
  done
}

build working-tree "$ROOT"
measure working-tree
for rev in "$@"; do
  tree=$WORK/tree-$rev
  rm -rf "$tree"; git -C "$ROOT" worktree prune
  git -C "$ROOT" worktree add -q --detach "$tree" "$rev"
  cp "$ROOT/emitter/benches/request_path.rs" "$tree/emitter/benches/request_path.rs"
  build "$rev" "$tree"
  git -C "$ROOT" worktree remove --force "$tree"
  measure "$rev"
done
