"""The e2e suite's collector pipeline and its leak scan; running the collector and reading its
output are tests/lib/collector.py and tests/lib/otlp_json.py (shared with the parity runner)."""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any


def collector_config(mcpparity: dict[str, Any], out_file: Path) -> dict[str, Any]:
    """otlp -> memory_limiter -> mcpparity -> batch -> file: the operator's processors ahead of a
    local file exporter (the batch processor only groups the file's lines; generated configs with a
    network exporter batch inside its persistent queue instead, see tests/durability).

    Its listeners are on port 0: lib.collector.bind_free_ports moves them to free loopback ports."""
    return {
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": "127.0.0.1:0", "max_recv_msg_size_mib": 64},
                    "http": {"endpoint": "127.0.0.1:0", "max_request_body_size": 64 << 20},
                }
            }
        },
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_mib": 1024, "spike_limit_mib": 256},
            "mcpparity": mcpparity,
            "batch": {"timeout": "100ms"},
        },
        "exporters": {"file": {"path": str(out_file), "format": "json", "flush_interval": "100ms"}},
        "extensions": {"health_check": {"endpoint": "127.0.0.1:0"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {
                "logs": {"level": "warn"},
                # Own metrics pulled on a loopback port (moved to a free one), so parallel collectors never fight over :8888.
                "metrics": {
                    "level": "detailed",
                    "readers": [
                        {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": 0}}}}
                    ],
                },
            },
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "mcpparity", "batch"],
                    "exporters": ["file"],
                }
            },
        },
    }


BASE64_TOKEN = re.compile(rb"[A-Za-z0-9+/]{12,}={0,2}")


def leaked_secrets(raw: bytes, secrets: list[str]) -> list[str]:
    """The secrets found in the exporter's output: verbatim, or inside any base64 run (the file's
    bytesValue encoding, or a bytes value a processor turned into its base64 text)."""
    found = {s for s in secrets if s.encode() in raw}
    for token in BASE64_TOKEN.findall(raw):
        for start in range(4):  # a run may begin mid-quantum inside a longer text
            chunk = token[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4] if not chunk.endswith(b"=") else chunk
            try:
                decoded = base64.b64decode(chunk, validate=False)
            except (binascii.Error, ValueError):
                continue
            found.update(s for s in secrets if s.encode() in decoded)
    return sorted(found)
