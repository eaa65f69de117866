#!/usr/bin/env bash
# Regenerate collector-config/*.yaml from collector-config/env/*.env with `mcpparity generate`,
# and keep the configurator's packaged copy of processor/mcpparityprocessor/config.schema.yaml in sync.
#   --write  rewrite the files      --check  fail (exit 1) when any file differs from what it would be
set -euo pipefail
mode="${1:-}"
case "$mode" in --write|--check) ;; *) echo "usage: $0 --write|--check" >&2; exit 2 ;; esac
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
mcpparity="${MCPPARITY:-$root/.cache/venv/bin/mcpparity}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

pairs=()
for env in collector-config/env/*.env; do
  name="$(basename "$env" .env)"
  if ! "$mcpparity" generate --env-file "$env" -o "$out/$name.yaml" 2>"$out/$name.log"; then
    cat "$out/$name.log" >&2; exit 1
  fi
  pairs+=("$out/$name.yaml:collector-config/$name.yaml")
done
schema_copy=configurator/src/mcpparity/data/processor-config.schema.yaml
if [[ -f processor/mcpparityprocessor/config.schema.yaml ]]; then
  pairs+=("processor/mcpparityprocessor/config.schema.yaml:$schema_copy")
fi

drift=0
for pair in "${pairs[@]}"; do
  src="${pair%%:*}" dst="${pair#*:}"
  if ! cmp -s "$src" "$dst"; then
    if [[ "$mode" == --write ]]; then
      cp "$src" "$dst"; echo "make-configs: wrote $dst" >&2
    else
      echo "make-configs: $dst is out of date (run: make configs)" >&2
      diff -u "$dst" "$src" >&2 || true
      drift=1
    fi
  fi
done
exit "$drift"
