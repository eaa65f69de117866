"""The Go side: build processor/cmd/redactdriver once, feed it every line in one process per run."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any, Sequence

REPO = Path(__file__).resolve().parents[2]
PROCESSOR = REPO / "processor"
DRIVER_BIN = REPO / ".cache" / "bin" / "redactdriver"
BUILD_TIMEOUT_S = 600
RUN_TIMEOUT_S = 300


def build() -> Path:
    """`go build -o .cache/bin/redactdriver ./cmd/redactdriver` in processor/; raises with Go's output."""
    DRIVER_BIN.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        ["go", "build", "-o", str(DRIVER_BIN), "./cmd/redactdriver"],
        cwd=PROCESSOR, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"go build ./cmd/redactdriver failed (rc={proc.returncode}):\n{proc.stderr[-4000:]}")
    return DRIVER_BIN


def run_lines(lines: Sequence[str | bytes], binary: Path = DRIVER_BIN, timeout: float = RUN_TIMEOUT_S) -> list[Any]:
    """All lines through one driver process; one parsed answer per line (a parse failure is kept as text).

    Raises when the process dies or answers a different number of lines: the protocol is one out per one in.
    """
    payload = b"".join((ln if isinstance(ln, bytes) else ln.encode("utf-8")) + b"\n" for ln in lines)
    proc = subprocess.run([str(binary)], input=payload, capture_output=True, timeout=timeout)
    out_lines = proc.stdout.split(b"\n")
    if out_lines and out_lines[-1] == b"":
        out_lines.pop()
    if proc.returncode != 0 or len(out_lines) != len(lines):
        raise RuntimeError(
            f"redactdriver rc={proc.returncode}, answered {len(out_lines)} of {len(lines)} lines; "
            f"stderr tail:\n{proc.stderr.decode('utf-8', 'replace')[-3000:]}"
        )
    answers: list[Any] = []
    for raw in out_lines:
        try:
            answers.append(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            answers.append({"unparsable": raw.decode("utf-8", "replace"), "why": type(exc).__name__})
    return answers
