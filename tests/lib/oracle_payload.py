"""Payload serialization by the REAL oracle (`mcp-contextforge-gateway`, pinned in the venv).

`oracle_serialize` runs `tests/lib/oracle_worker.py` in a fresh subprocess of the venv's Python
with only the case's payload settings in its environment: the oracle reads its settings once per
process into module globals, so running it in-process would leak one case's settings into the next.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence

WORKER = Path(__file__).with_name("oracle_worker.py")
REPO = Path(__file__).resolve().parents[2]
VENV_PYTHON = REPO / ".cache" / "venv" / "bin" / "python"
TIMEOUT_SECONDS = 120


@dataclass(frozen=True)
class PayloadRequest:
    """One payload for the oracle: `kind` is `arguments` or `tool_result`; `attribute` the span key."""

    kind: str
    attribute: str
    value: Any


@dataclass(frozen=True)
class PayloadResult:
    """What the oracle made of one payload."""

    single_pass: str  # serialize_trace_payload(value): redacted, compact, truncated
    double_pass: str  # the same after set_span_attribute's second sanitize (what Python exports)
    normalized: Any  # the value the oracle serialized (a tool_result through its ToolResult model)


def oracle_python() -> str:
    """The interpreter that has the pinned oracle installed (the venv's, else the current one)."""
    return str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable


def oracle_env(redact_fields: Optional[str], max_trace_payload_size: Optional[int]) -> dict[str, str]:
    """A clean environment for the oracle: PATH, throwaway startup secrets, the payload settings."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        # The gateway's settings validator refuses placeholder secrets; these are random and unused.
        "JWT_SECRET_KEY": secrets.token_urlsafe(32),
        "AUTH_ENCRYPTION_SECRET": secrets.token_urlsafe(32),
        "PLATFORM_ADMIN_PASSWORD": "Aa1!" + secrets.token_urlsafe(16),
        "BASIC_AUTH_PASSWORD": "Aa1!" + secrets.token_urlsafe(16),
        "LOG_LEVEL": "ERROR",
    }
    if redact_fields is not None:
        env["OTEL_REDACT_FIELDS"] = redact_fields
    if max_trace_payload_size is not None:
        env["OTEL_MAX_TRACE_PAYLOAD_SIZE"] = str(max_trace_payload_size)
    return env


def oracle_serialize(
    requests: Sequence[PayloadRequest],
    redact_fields: Optional[str] = None,
    max_trace_payload_size: Optional[int] = None,
) -> list[PayloadResult]:
    """Serialize each payload with the oracle under the given gateway settings (env string forms)."""
    if not requests:
        return []
    body = json.dumps({"payloads": [{"kind": r.kind, "attribute": r.attribute, "value": r.value} for r in requests]})
    with tempfile.TemporaryDirectory(prefix="mcpparity-oracle-") as cwd:  # no stray .env is read
        proc = subprocess.run(
            [oracle_python(), str(WORKER)],
            input=body,
            capture_output=True,
            text=True,
            env=oracle_env(redact_fields, max_trace_payload_size),
            cwd=cwd,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"oracle worker failed (rc={proc.returncode}): {proc.stderr.strip()[-2000:]}")
    results = json.loads(proc.stdout)["results"]
    return [PayloadResult(r["single_pass"], r["double_pass"], r["normalized"]) for r in results]
