"""A bad `mcpparity:` config stops the built collector at start, and stderr names the key path."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from e2e_collector import collector_config
from lib.collector import bind_free_ports, run_until_exit


@pytest.mark.parametrize(
    "mcpparity,key_path",
    [
        ({"max_trace_payload_size": 100}, "max_trace_payload_size"),  # the gateway's ge=256
        ({"no_such_key": True}, "no_such_key"),  # confmap refuses unknown keys
        ({"redact_fields": []}, "redact_fields"),  # would silently disable key redaction
        ({"baggage": {"max_items": 0}}, "baggage.max_items"),
        ({"capture_input_spans": ["tool.invoke", ""]}, "capture_input_spans[1]"),
    ],
)
def test_bad_config_exits_non_zero_naming_the_key(tmp_path: Path, built_collector: Path, mcpparity: dict[str, Any], key_path: str) -> None:
    config = collector_config(mcpparity, tmp_path / "out.jsonl")
    bind_free_ports(config)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    proc = run_until_exit(config_file)
    assert proc.returncode != 0, f"collector accepted a bad config:\n{proc.stderr[-2000:]}"
    assert "mcpparity" in proc.stderr, proc.stderr[-2000:]
    assert key_path in proc.stderr, f"stderr does not name {key_path!r}:\n{proc.stderr[-2000:]}"
    assert not (tmp_path / "out.jsonl").exists() or not (tmp_path / "out.jsonl").read_bytes()


def test_good_config_starts_and_validates(tmp_path: Path, built_collector: Path) -> None:
    """The same config shape with valid values passes the binary's own `validate` (control case)."""
    config = collector_config({"max_trace_payload_size": 256}, tmp_path / "out.jsonl")
    bind_free_ports(config)
    config_file = tmp_path / "config.yaml"
    config_file.write_text(yaml.safe_dump(config))
    proc = subprocess.run([str(built_collector), "validate", f"--config={config_file}"], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
