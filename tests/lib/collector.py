"""Run the built `otelcol-mcpparity` on free loopback ports and read what its file exporter wrote.

    with Collector(workdir, config, env=…) as collector:   # listeners moved to free ports, health waited for
        send(collector.http_endpoint)
        spans = collector.wait_for_spans(3)                # oracle-format dicts (lib/otlp_json.py)

The collector is the real distribution ($MCPPARITY_COLLECTOR, else bin/otelcol-mcpparity). Every wait
is bounded, the process lives at most `lifetime_s` (coreutils `timeout`) and is stopped by its own
handle (terminate, then kill); a failure carries the tail of the collector's log. `kill9()` and
`rss_mib()` act on the collector itself (the child of `timeout`), for the durability scenario.
"""

from __future__ import annotations

import copy
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import yaml

from .otlp_json import read_exported

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_SECONDS = 30.0
STOP_TIMEOUT_SECONDS = 10.0
EXPORT_TIMEOUT_SECONDS = 30.0
LIFETIME_SECONDS = 600.0
START_ATTEMPTS = 3
LOG_TAIL_CHARS = 2000


class CollectorError(RuntimeError):
    """The collector did not start, died, or did not export in time; the message ends with its log tail."""


class PortTakenError(CollectorError):
    """Another process bound one of the picked ports before the collector did."""


def collector_binary() -> Path:
    """The built distribution: $MCPPARITY_COLLECTOR (set by the Makefile) or bin/otelcol-mcpparity."""
    return Path(os.environ.get("MCPPARITY_COLLECTOR") or REPO / "bin" / "otelcol-mcpparity")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class ListenPorts:
    grpc: int
    http: int
    health: int
    metrics: Optional[int]  # the collector's own Prometheus endpoint, when the config has one


def bind_free_ports(config: dict[str, Any]) -> ListenPorts:
    """Move a config's listeners to free loopback ports, in place (nothing else is changed).

    OTLP gRPC and HTTP receivers and the health_check extension (added when absent) always; the
    collector's own metrics move with them when the config pulls them over Prometheus, and are
    switched off otherwise (the default :8888 would collide between collectors running at once)."""
    protocols = config["receivers"]["otlp"]["protocols"]
    grpc, http, health = free_port(), free_port(), free_port()
    protocols.setdefault("grpc", {})["endpoint"] = f"127.0.0.1:{grpc}"
    protocols.setdefault("http", {})["endpoint"] = f"127.0.0.1:{http}"
    config.setdefault("extensions", {}).setdefault("health_check", {})["endpoint"] = f"127.0.0.1:{health}"
    service = config.setdefault("service", {})
    if "health_check" not in service.setdefault("extensions", []):
        service["extensions"].append("health_check")
    telemetry = service.setdefault("telemetry", {})
    prometheus = [r["pull"]["exporter"]["prometheus"] for r in (telemetry.get("metrics") or {}).get("readers", [])
                  if "prometheus" in r.get("pull", {}).get("exporter", {})]
    metrics = None
    if prometheus:
        metrics = free_port()
        for exporter in prometheus:
            exporter.update(host="127.0.0.1", port=metrics)
    else:
        telemetry["metrics"] = {"level": "none"}
    return ListenPorts(grpc=grpc, http=http, health=health, metrics=metrics)


class Collector:
    """One running otelcol-mcpparity on a config dict with a `file` exporter (a context manager).

    The config is copied; its listeners go to free loopback ports (lib.collector.bind_free_ports) and
    it is written to workdir/collector.yaml. `env` is added to the collector's environment (configs
    reference credentials as ${env:…}). A config without a `file` exporter runs too (no spans() then).
    A restart on the same config (and so the same queue directory) is a new Collector on the same dict
    in another workdir: it gets its own free ports, config file and log."""

    def __init__(self, workdir: Path, config: dict[str, Any], env: Optional[dict[str, str]] = None,
                 lifetime_s: float = LIFETIME_SECONDS):
        self.workdir = workdir
        self.config = copy.deepcopy(config)
        self.env = {**os.environ, **(env or {})}
        self.lifetime_s = lifetime_s
        file_exporter = self.config["exporters"].get("file")
        self.traces_file = Path(file_exporter["path"]) if file_exporter else None
        self.config_file = workdir / "collector.yaml"
        self.log_file = workdir / "collector.log"
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.ports: Optional[ListenPorts] = None

    def __enter__(self) -> "Collector":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def http_endpoint(self) -> str:
        return f"http://127.0.0.1:{self._ports().http}/v1/traces"

    @property
    def grpc_endpoint(self) -> str:
        return f"127.0.0.1:{self._ports().grpc}"

    def _ports(self) -> ListenPorts:
        if self.ports is None:
            raise CollectorError("the collector has not been started")
        return self.ports

    def start(self) -> None:
        """Start and wait (bounded) for health; a port taken between pick and bind (other collectors
        run on this machine too) is retried with new ports, a bounded number of times."""
        for attempt in range(START_ATTEMPTS):
            try:
                self._start_once()
                return
            except PortTakenError:
                if attempt == START_ATTEMPTS - 1:
                    raise

    def _start_once(self) -> None:
        binary = collector_binary()
        if not binary.exists():
            raise FileNotFoundError(f"{binary} is missing: run `make build` first")
        self.ports = bind_free_ports(self.config)
        self.config_file.write_text(yaml.safe_dump(self.config, sort_keys=False))
        with open(self.log_file, "wb") as log:
            self.proc = subprocess.Popen(
                ["timeout", str(self.lifetime_s), str(binary), f"--config={self.config_file}"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=self.env, start_new_session=True,
            )
        health = f"http://127.0.0.1:{self.ports.health}/"
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                if "address already in use" in self.log():
                    raise PortTakenError(self.log_tail())
                raise CollectorError(f"collector exited rc={self.proc.returncode} at start: {self.log_tail()}")
            try:
                with urllib.request.urlopen(health, timeout=1) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise CollectorError(f"collector not healthy at {health} within {START_TIMEOUT_SECONDS}s: {self.log_tail()}")

    def stop(self) -> None:
        """Terminate, then kill after a bound; a stopped or never started collector is left alone."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # its own session: `timeout` and the collector, not only `timeout`
            self.proc.wait(timeout=STOP_TIMEOUT_SECONDS)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def collector_pid(self) -> int:
        """The collector's own pid: the one child of the `timeout` process that Popen started."""
        if not self.alive():
            raise CollectorError("the collector is not running")
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        if len(children) != 1:
            raise CollectorError(f"`timeout` (pid {self.proc.pid}) has {len(children)} children, expected the collector")
        return int(children[0])

    def kill9(self) -> int:
        """SIGKILL the collector (no shutdown, no flush) and return the exit status: -9. `timeout` reaps
        it and dies by the same signal, so when this returns the process and its file locks are gone."""
        os.kill(self.collector_pid(), signal.SIGKILL)
        assert self.proc is not None
        return self.proc.wait(timeout=STOP_TIMEOUT_SECONDS)

    def rss_mib(self) -> float:
        """The collector's resident memory (VmRSS from /proc) in MiB; 0 when it is not running."""
        try:
            for line in Path(f"/proc/{self.collector_pid()}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except (OSError, CollectorError):
            pass  # it exited between the check and the read
        return 0.0

    def log(self) -> str:
        return self.log_file.read_text(errors="replace") if self.log_file.exists() else ""

    def log_tail(self) -> str:
        return self.log()[-LOG_TAIL_CHARS:].strip()

    def _traces_file(self) -> Path:
        if self.traces_file is None:
            raise CollectorError("this collector's config has no file exporter")
        return self.traces_file

    def raw_output(self) -> bytes:
        traces_file = self._traces_file()
        return traces_file.read_bytes() if traces_file.exists() else b""

    def spans(self) -> list[dict[str, Any]]:
        return read_exported(self._traces_file())

    def wait_for_spans(self, count: int, trace_ids: Optional[set[str]] = None,
                       timeout_s: float = EXPORT_TIMEOUT_SECONDS) -> list[dict[str, Any]]:
        """Poll the file until `count` spans (of `trace_ids`, if given) arrived, then read once more
        after a short pause so a straggler (an extra span would be a bug) is seen too; fail after a bound."""
        def ours() -> list[dict[str, Any]]:
            return [s for s in self.spans() if trace_ids is None or s["traceId"] in trace_ids]

        deadline = time.monotonic() + timeout_s
        got: list[dict[str, Any]] = []
        while time.monotonic() < deadline:
            try:
                got = ours()
            except json.JSONDecodeError:
                got = []  # a line still being written; read again
            if len(got) >= count:
                time.sleep(0.3)
                return ours()
            if self.proc is not None and self.proc.poll() is not None:
                raise CollectorError(f"collector died rc={self.proc.returncode}: {self.log_tail()}")
            time.sleep(0.1)
        raise CollectorError(f"the file exporter wrote {len(got)} of {count} spans within {timeout_s}s")

    def metrics_text(self) -> str:
        """The collector's own metrics (the config must pull them over Prometheus)."""
        port = self._ports().metrics
        if port is None:
            raise CollectorError("this collector's config exports no Prometheus metrics")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as resp:
            return resp.read().decode("utf-8", errors="replace")


def run_until_exit(config_file: Path, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Start the collector on a config that must not start; return its exit status and output."""
    return subprocess.run(
        [str(collector_binary()), f"--config={config_file}"],
        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=timeout, check=False,
    )
