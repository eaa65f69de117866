"""Run the built `otelcol-mcpparity` on free loopback ports and read what its file exporter wrote.

The collector is the real distribution (`make build` leaves it at bin/otelcol-mcpparity, or
$MCPPARITY_COLLECTOR). Every wait is bounded; every process is stopped by its own handle
(terminate, then kill).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional

import requests
import yaml

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
EXPORT_TIMEOUT_SECONDS = 30.0


START_ATTEMPTS = 3


class PortTakenError(RuntimeError):
    """Another process bound one of the picked ports before the collector did."""


def collector_binary() -> Path:
    """The built distribution: $MCPPARITY_COLLECTOR (set by the Makefile) or bin/otelcol-mcpparity."""
    return Path(os.environ.get("MCPPARITY_COLLECTOR") or REPO / "bin" / "otelcol-mcpparity")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def collector_config(
    mcpparity: dict[str, Any], grpc_port: int, http_port: int, health_port: int, metrics_port: int, out_file: Path
) -> dict[str, Any]:
    """The pipeline an operator runs: otlp -> memory_limiter -> mcpparity -> batch -> file."""
    return {
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"127.0.0.1:{grpc_port}", "max_recv_msg_size_mib": 64},
                    "http": {"endpoint": f"127.0.0.1:{http_port}", "max_request_body_size": 64 << 20},
                }
            }
        },
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_mib": 1024, "spike_limit_mib": 256},
            "mcpparity": mcpparity,
            "batch": {"timeout": "100ms"},
        },
        "exporters": {"file": {"path": str(out_file), "format": "json", "flush_interval": "100ms"}},
        "extensions": {"health_check": {"endpoint": f"127.0.0.1:{health_port}"}},
        "service": {
            "extensions": ["health_check"],
            "telemetry": {
                "logs": {"level": "warn"},
                # Own metrics on a free loopback port, so parallel collectors never fight over :8888.
                "metrics": {
                    "level": "detailed",
                    "readers": [
                        {"pull": {"exporter": {"prometheus": {"host": "127.0.0.1", "port": metrics_port}}}}
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


@dataclass
class ExportedSpan:
    """One span of the file exporter's output, with its scope and resource (OTLP JSON values decoded)."""

    name: str
    kind: int
    trace_id: str
    span_id: str
    parent_span_id: str
    status_code: int
    status_message: str
    attributes: dict[str, Any]
    events: list[dict[str, Any]]
    scope_name: str
    resource: dict[str, Any] = field(default_factory=dict)


SPAN_KIND_INTERNAL = 1
SPAN_KIND_SERVER = 2
STATUS_UNSET, STATUS_OK, STATUS_ERROR = 0, 1, 2


def any_value(v: dict[str, Any]) -> Any:
    """Decode an OTLP JSON AnyValue (ptrace JSON: ints as strings, arrays as values lists)."""
    if "stringValue" in v:
        return v["stringValue"]
    if "boolValue" in v:
        return v["boolValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "arrayValue" in v:
        return [any_value(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: any_value(kv.get("value", {})) for kv in v["kvlistValue"].get("values", [])}
    if "bytesValue" in v:
        return base64.b64decode(v["bytesValue"])
    return None  # an empty AnyValue


def attrs(kvs: Optional[list[dict[str, Any]]]) -> dict[str, Any]:
    return {kv["key"]: any_value(kv.get("value", {})) for kv in kvs or []}


def parse_export_lines(text: str) -> Iterator[ExportedSpan]:
    """Every span of the file exporter's JSON lines (one ExportTraceServiceRequest per line)."""
    for line in text.splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        for rs in doc.get("resourceSpans", []):
            resource = attrs(rs.get("resource", {}).get("attributes"))
            for ss in rs.get("scopeSpans", []):
                scope = ss.get("scope", {}).get("name", "")
                for sp in ss.get("spans", []):
                    status = sp.get("status", {})
                    yield ExportedSpan(
                        name=sp.get("name", ""),
                        kind=int(sp.get("kind", 0)),
                        trace_id=sp.get("traceId", ""),
                        span_id=sp.get("spanId", ""),
                        parent_span_id=sp.get("parentSpanId", ""),
                        status_code=int(status.get("code", 0)),
                        status_message=status.get("message", ""),
                        attributes=attrs(sp.get("attributes")),
                        events=[{"name": e.get("name", ""), "attributes": attrs(e.get("attributes"))} for e in sp.get("events", [])],
                        scope_name=scope,
                        resource=resource,
                    )


class Collector:
    """One running otelcol-mcpparity with a given `mcpparity:` processor config."""

    def __init__(self, workdir: Path, mcpparity: dict[str, Any]):
        self.workdir = workdir
        self.mcpparity = mcpparity
        self.out_file = workdir / "traces.jsonl"
        self.config_file = workdir / "config.yaml"
        self.stdout_file = workdir / "collector.stdout"
        self.stderr_file = workdir / "collector.stderr"
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self._write_config()

    def _write_config(self) -> None:
        """Fresh free ports and the config that uses them."""
        self.grpc_port, self.http_port = free_port(), free_port()
        self.health_port, self.metrics_port = free_port(), free_port()
        config = collector_config(
            self.mcpparity, self.grpc_port, self.http_port, self.health_port, self.metrics_port, self.out_file
        )
        self.config_file.write_text(yaml.safe_dump(config, sort_keys=True))

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/v1/traces"

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self.grpc_port}"

    def start(self) -> None:
        """Start and wait for health; a port taken between pick and bind (other collectors run on
        this machine too) is retried with new ports, a bounded number of times."""
        for attempt in range(START_ATTEMPTS):
            try:
                self._start_once()
                return
            except PortTakenError:
                if attempt == START_ATTEMPTS - 1:
                    raise
                self._write_config()

    def _start_once(self) -> None:
        binary = collector_binary()
        if not binary.exists():
            raise FileNotFoundError(f"{binary} is missing: run `make build` first")
        with open(self.stdout_file, "wb") as out, open(self.stderr_file, "wb") as err:
            self.proc = subprocess.Popen(
                [str(binary), f"--config={self.config_file}"], stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.stderr():
                    raise PortTakenError(self.stderr()[-1000:])
                raise RuntimeError(f"collector exited rc={self.proc.returncode} at start:\n{self.stderr()[-4000:]}")
            try:
                if requests.get(f"http://127.0.0.1:{self.health_port}/", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise TimeoutError(f"collector not healthy within {START_TIMEOUT_SECONDS}s:\n{self.stderr()[-4000:]}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT_SECONDS)

    def stderr(self) -> str:
        return self.stderr_file.read_text(errors="replace") if self.stderr_file.exists() else ""

    def raw_output(self) -> bytes:
        return self.out_file.read_bytes() if self.out_file.exists() else b""

    def spans(self) -> list[ExportedSpan]:
        return list(parse_export_lines(self.raw_output().decode("utf-8", errors="replace")))

    def wait_for_spans(self, count: int, trace_ids: Optional[set[str]] = None) -> list[ExportedSpan]:
        """Poll the file until `count` spans (of `trace_ids`, if given) arrived; fail after a bound."""
        deadline = time.monotonic() + EXPORT_TIMEOUT_SECONDS
        got: list[ExportedSpan] = []
        while time.monotonic() < deadline:
            try:
                got = [s for s in self.spans() if trace_ids is None or s.trace_id in trace_ids]
            except json.JSONDecodeError:
                got = []  # a line still being written; read again
            if len(got) >= count:
                time.sleep(0.3)  # let a straggler (a duplicate would be a bug) land before the final read
                return [s for s in self.spans() if trace_ids is None or s.trace_id in trace_ids]
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"collector died rc={self.proc.returncode}:\n{self.stderr()[-4000:]}")
            time.sleep(0.1)
        raise TimeoutError(f"expected {count} spans, the file exporter wrote {len(got)} within {EXPORT_TIMEOUT_SECONDS}s")

    def metrics_text(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text


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


def run_until_exit(config_file: Path, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Start the collector on a config that must not start; return its exit status and output."""
    return subprocess.run(
        [str(collector_binary()), f"--config={config_file}"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
        check=False,
    )
