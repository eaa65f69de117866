#!/usr/bin/env bash
# Instructions per call of the emitter's request path (contract v2, the bundle queue), counted by
# valgrind's callgrind: a figure the machine's load does not move, so an emitter lever can be
# shown on a busy 2-core VM (the bench's µs move by 2x there).
#
#   bash bench/emitter_instructions.sh [REV ...]     # the working tree, then each git REV
#
# The driver is the bench binary's `--count CASE --iters N` mode (emitter/benches/request_path.rs,
# `count_driver`): a fixed warm-up, N calls of CASE in `measured_calls` with the exporter thread
# idle, exit without exporting. Callgrind collects only inside `measured_calls` (the warm-up's
# channel waits spin a varying number of times); I / N is the request thread's own instructions
# per call, repeatable to a few instructions. A REV is
# built with the working tree's bench file (so an older revision gets the same driver), in
# .cache/emitter-instructions/ (a git worktree, and a cargo target dir of its own per REV: in a
# target dir shared with the working tree, cargo gives both builds the same artifact name and may
# then hand out the other tree's binary as fresh).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$ROOT/.cache/emitter-instructions
CASES=${CASES:-"rest mcp list read prompt empty"}
N=${N:-2000}
command -v valgrind >/dev/null || { echo "emitter_instructions: valgrind is missing" >&2; exit 1; }
mkdir -p "$WORK"

build() { # build LABEL TREE TARGET: the bench binary of TREE's emitter (cargo target dir TARGET), copied to $WORK/LABEL
  local bin
  bin=$(CARGO_TARGET_DIR=$3 cargo bench --locked --manifest-path "$2/emitter/Cargo.toml" --bench request_path --no-run \
    --message-format=json 2>/dev/null |
    sed -n 's/.*"executable":"\([^"]*\)".*/\1/p' | tail -1)
  cp "$bin" "$WORK/$1"
}

count() { # count LABEL CASE N: instructions collected in the N measured calls
  valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='*measured_calls*' \
    "$WORK/$1" --count "$2" --iters "$3" 2>&1 >/dev/null |
    awk '/Collected :/ { print $NF }'
}

measure() { # measure LABEL
  local case many
  for case in $CASES; do
    many=$(count "$1" "$case" "$N")
    awk -v l="$1" -v c="$case" -v m="$many" -v n="$N" \
      'BEGIN { printf "%-14s %-8s %8.0f instructions/call\n", l, c, m / n }'
  done
}

build working-tree "$ROOT" "$ROOT/emitter/target"
measure working-tree
for rev in "$@"; do
  tree=$WORK/tree-$rev
  rm -rf "$tree"; git -C "$ROOT" worktree prune
  git -C "$ROOT" worktree add -q --detach "$tree" "$rev"
  cp "$ROOT/emitter/benches/request_path.rs" "$tree/emitter/benches/request_path.rs"
  build "$rev" "$tree" "$WORK/target-$rev"
  git -C "$ROOT" worktree remove --force "$tree"
  measure "$rev"
done
