"""Every config we generate passes the built otelcol-mcpparity's own `validate`; `check` against the running binary."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import GOLDEN, REPO
from mcpparity.cli import main
from mcpparity.collector_binary import validate_with_binary
from mcpparity.collector_config import EXPORTER_CHOICES, build_collector_config
from mcpparity.probe import check
from mcpparity.settings import parse_gateway_settings

CONFIGS = sorted((REPO / "collector-config").glob("*.yaml")) + sorted(GOLDEN.glob("generate_*.yaml"))


@pytest.mark.parametrize("config", CONFIGS, ids=[f"{p.parent.name}/{p.name}" for p in CONFIGS])
def test_generated_config_passes_the_binary(config: Path, collector_binary: Path) -> None:
    result = validate_with_binary(config, collector_binary, env={"PATH": "/usr/bin:/bin"})
    assert result.ran and result.ok, result.output


@pytest.mark.parametrize("exporter", [e for e in EXPORTER_CHOICES if e != "auto"])
def test_every_exporter_choice_passes_the_binary(exporter: str, collector_binary: Path, tmp_path: Path) -> None:
    settings = parse_gateway_settings({"LANGFUSE_OTEL_ENDPOINT": "https://cloud.langfuse.com/api/public/otel/v1/traces",
                                       "LANGFUSE_OTEL_AUTH": "cGs6c2s=", "OTEL_EXPORTER_OTLP_HEADERS": "x-tenant=a"})
    path = tmp_path / f"{exporter}.yaml"
    path.write_text(yaml.safe_dump(build_collector_config(settings, exporter=exporter, file_path=str(tmp_path / "t.json")).config))
    result = validate_with_binary(path, collector_binary, env={"PATH": "/usr/bin:/bin"})
    assert result.ok, result.output


def test_the_binary_rejects_what_the_processor_rejects(collector_binary: Path, tmp_path: Path) -> None:
    """Guards against a validate that cannot fail: a bad mcpparity key must be refused by the binary too."""
    config = build_collector_config(parse_gateway_settings({})).config
    config["processors"]["mcpparity"]["max_trace_payload_size"] = 100
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = validate_with_binary(path, collector_binary, env={"PATH": "/usr/bin:/bin"})
    assert result.ran and not result.ok
    assert "max_trace_payload_size" in result.output


def test_cli_validate_runs_the_binary(collector_binary: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(REPO / "collector-config" / "langfuse.yaml"), "--binary", str(collector_binary)])
    assert result.exit_code == 0, result.output
    assert "validate passed" in result.stderr and "LANGFUSE_OTEL_AUTH" in result.stderr


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def test_check_against_the_running_binary(collector_binary: Path, tmp_path: Path) -> None:
    grpc, http, health = _free_ports(3)
    out = tmp_path / "traces.json"
    config = build_collector_config(parse_gateway_settings({}), file_path=str(out)).config
    config["receivers"]["otlp"]["protocols"] = {"grpc": {"endpoint": f"127.0.0.1:{grpc}"}, "http": {"endpoint": f"127.0.0.1:{http}"}}
    config["extensions"]["health_check"]["endpoint"] = f"127.0.0.1:{health}"
    config["processors"]["batch"] = {"timeout": "100ms"}
    config["service"]["telemetry"] = {"metrics": {"level": "none"}}
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(config))
    proc = subprocess.Popen([str(collector_binary), f"--config=file:{path}"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        urls = {"otlp_url": f"http://127.0.0.1:{http}/v1/traces", "health_url": f"http://127.0.0.1:{health}/", "grpc_target": f"127.0.0.1:{grpc}"}
        deadline = time.monotonic() + 30
        results = check(timeout=2, **urls)
        while not results[0].ok and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.2)
            results = check(timeout=2, **urls)
        assert all(r.ok for r in results), [str(r) for r in results]
        while time.monotonic() < deadline and not (out.is_file() and out.read_text().count('"POST /mcpparity/check"') >= 2):  # one per protocol
            time.sleep(0.2)
        exported = [json.loads(line) for line in out.read_text().splitlines() if line.strip()]
        names = [span["name"] for line in exported for rs in line["resourceSpans"] for ss in rs["scopeSpans"] for span in ss["spans"]]
        assert names == ["POST /mcpparity/check"] * 2
        attributes = [kv["key"] for line in exported for rs in line["resourceSpans"] for ss in rs["scopeSpans"] for span in ss["spans"] for kv in span.get("attributes", [])]
        assert not any(key.startswith("cf.") for key in attributes), "the processor strips every raw cf.* fact"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
