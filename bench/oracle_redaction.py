#!/usr/bin/env python3
"""Time the Python oracle's redaction on the same inputs as the Go engine benchmarks.

The inputs are processor/internal/redact/testdata/bench/ (text_2k.txt, text_clean_2k.txt,
text_secrets_2k.txt, payload_2k.json,
payload_40k.json) and the short attribute tool.name=echo-tool, with the gateway's default settings
(default redact fields, max payload size 32768), as in processor/internal/redact/bench_test.go. As
there, the JSON payloads are parsed once outside the timed call. Each row is the median of
--repeat timeit runs, in microseconds per call.

usage: .cache/venv/bin/python bench/oracle_redaction.py [--repeat 7]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import timeit
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parents[1]
INPUTS = ROOT / "processor" / "internal" / "redact" / "testdata" / "bench"
MAX_SIZE = 32768  # the gateway default OTEL_MAX_TRACE_PAYLOAD_SIZE, as payload.DefaultMaxSize in Go

# The gateway only needs these to import; fake values, no network (observability stays off).
IMPORT_ENV = {
    "JWT_SECRET_KEY": "Zq8vN3kLp2Xw7RtY5mB9cH4jD6fG1sA0eU8iO3yT",
    "AUTH_ENCRYPTION_SECRET": "Hk3Lm9Qw2Er7Ty5Ui8Op1As4Df6Gh0Jk2Lz8Xc5V",
    "OTEL_ENABLE_OBSERVABILITY": "false",
}


def load_oracle() -> Any:
    for k in [k for k in os.environ if k.startswith(("OTEL_", "LANGFUSE_"))]:
        del os.environ[k]  # default settings: the gateway's 16 redact fields, 32768 characters
    os.environ.update(IMPORT_ENV)
    logging.disable(logging.CRITICAL)  # the gateway logs its config warnings at import
    from mcpgateway.utils import trace_redaction  # pylint: disable=import-outside-toplevel

    trace_redaction.reload_trace_redaction_config()
    return trace_redaction


def time_call(fn: Callable[[], Any], repeat: int) -> tuple[float, int]:
    """Median µs per call over `repeat` runs, each sized by timeit's autorange (>= 0.2 s)."""
    timer = timeit.Timer(fn)
    number, _ = timer.autorange()
    runs = timer.repeat(repeat=repeat, number=number)
    return statistics.median(runs) / number * 1e6, number


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timeit runs per row (median is printed)")
    args = parser.parse_args()

    missing = [n for n in ("text_2k.txt", "text_clean_2k.txt", "text_secrets_2k.txt", "payload_2k.json", "payload_40k.json")
               if not (INPUTS / n).is_file()]
    if missing:
        print(f"oracle_redaction: missing benchmark inputs in {INPUTS}: {', '.join(missing)}", file=sys.stderr)
        return 2

    tr = load_oracle()
    text = (INPUTS / "text_2k.txt").read_text(encoding="utf-8")
    clean = (INPUTS / "text_clean_2k.txt").read_text(encoding="utf-8")
    dense = (INPUTS / "text_secrets_2k.txt").read_text(encoding="utf-8")
    p2k_raw = (INPUTS / "payload_2k.json").read_text(encoding="utf-8")
    p40k_raw = (INPUTS / "payload_40k.json").read_text(encoding="utf-8")
    p2k, p40k = json.loads(p2k_raw), json.loads(p40k_raw)

    rows = [
        ("sanitize_trace_text", f"text_2k.txt ({len(text.encode())} B)", lambda: tr.sanitize_trace_text(text)),
        ("sanitize_trace_text", f"text_clean_2k.txt ({len(clean.encode())} B)", lambda: tr.sanitize_trace_text(clean)),
        ("sanitize_trace_text", f"text_secrets_2k.txt ({len(dense.encode())} B)", lambda: tr.sanitize_trace_text(dense)),
        ("serialize_trace_payload", f"payload_2k.json ({len(p2k_raw.encode())} B)", lambda: tr.serialize_trace_payload(p2k, max_size=MAX_SIZE)),
        ("serialize_trace_payload", f"payload_40k.json ({len(p40k_raw.encode())} B)", lambda: tr.serialize_trace_payload(p40k, max_size=MAX_SIZE)),
        ("sanitize_trace_attribute_value", "tool.name=echo-tool", lambda: tr.sanitize_trace_attribute_value("tool.name", "echo-tool")),
    ]
    print(f"Python oracle (mcpgateway {_gateway_version()}, Python {sys.version.split()[0]}): median of {args.repeat} runs")
    print(f"{'function':<32} {'input':<28} {'µs/op':>10} {'calls/run':>10}")
    for fn_name, input_name, call in rows:
        us, number = time_call(call, args.repeat)
        print(f"{fn_name:<32} {input_name:<28} {us:>10.2f} {number:>10}")
    return 0


def _gateway_version() -> str:
    try:
        import mcpgateway  # pylint: disable=import-outside-toplevel

        return str(getattr(mcpgateway, "__version__", "?"))
    except ImportError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
