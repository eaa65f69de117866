#!/usr/bin/env python3
"""Derive, with the pinned gateway's own helpers, what the Python runtime exports for a facts file.

Reads facts files (paths on argv), prints one JSON object {case: derived} on stdout, where derived has:
  input:  sanitize_trace_attribute_value("langfuse.observation.input", serialize_trace_payload(arguments))
  output: the same for the ToolResult built from outcome.result (None when the call failed)
  errors: {op: _sanitize_span_exception_message(<exception with the raw message>)}

It must run in a clean process (the gateway's settings load once, at import, from the environment),
so callers use derive(): a subprocess with fresh fake credentials and an empty working directory.
"""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from pathlib import Path

VENV_PY = Path(__file__).resolve().parents[2] / ".cache" / "venv" / "bin" / "python"


def derive(facts_paths: list[Path], env_overrides: dict[str, str] | None = None, timeout: float = 120) -> dict:
    """Run this module in a subprocess with the gateway's startup secrets set to fresh fakes."""
    with tempfile.TemporaryDirectory(prefix="oracle-derive-") as work:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": work,
            "JWT_SECRET_KEY": secrets.token_urlsafe(32),
            "AUTH_ENCRYPTION_SECRET": secrets.token_urlsafe(32),
            "PLATFORM_ADMIN_PASSWORD": "Pw-" + secrets.token_urlsafe(16) + "!9a",
            "BASIC_AUTH_PASSWORD": "Pw-" + secrets.token_urlsafe(16) + "!9a",
            "LOG_LEVEL": "ERROR",
            **(env_overrides or {}),
        }
        proc = subprocess.run(
            [str(VENV_PY), str(Path(__file__).resolve()), *map(str, facts_paths)],
            env=env, cwd=work, capture_output=True, text=True, timeout=timeout, check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"oracle_derive failed (rc={proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _derive_one(facts: dict) -> dict:
    # Imported here: the gateway reads its settings at import time.
    from mcpgateway.common.models import ToolResult  # noqa: PLC0415
    from mcpgateway.observability import _sanitize_span_exception_message  # noqa: PLC0415
    from mcpgateway.utils.trace_redaction import sanitize_trace_attribute_value, serialize_trace_payload  # noqa: PLC0415

    def captured(key: str, obj) -> str:
        return sanitize_trace_attribute_value(key, serialize_trace_payload(obj))

    outcome = facts["outcome"]
    result = outcome.get("result")
    output = None
    if result is not None and not outcome.get("errors"):
        output = captured("langfuse.observation.output", ToolResult.model_validate(result).model_dump(mode="json", by_alias=True))
    errors = {}
    for op, err in (outcome.get("errors") or {}).items():
        exc_type = type(err["type"], (Exception,), {})
        errors[op] = _sanitize_span_exception_message(exc_type(err["message"]))
    return {"input": captured("langfuse.observation.input", facts["call"]["arguments"] or {}), "output": output, "errors": errors}


def main() -> None:
    out = {}
    for path in sys.argv[1:]:
        facts = json.loads(Path(path).read_text())
        out[facts["case"]] = _derive_one(facts)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
