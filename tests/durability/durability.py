"""Soak + outage + kill -9 scenario of otelcol-mcpparity with the generated durability defaults.

    result = run_scenario(workdir, Scenario(outage_s=20, rate=1000))
    assert result.lost == 0

What runs, all on 127.0.0.1 and bounded in time:
  1. a config from `mcpparity generate` (the shipped defaults: persistent sending queue in
     workdir/queue, otlp_grpc or otlp_http exporter, memory_limiter from --memory-limit-mib) whose
     exporter points at a backend port where nothing listens yet: the exporter is down (connection refused);
  2. the real collector, fed raw spans over OTLP/HTTP at `rate` spans/s by a sender that records
     every span id the collector acknowledged (HTTP 200 without rejected spans) and counts refusals;
  3. `kill -9` of the collector after `outage_s`, while the sender is still sending;
  4. a restart on the same config and queue directory, then the backend comes up (an OTLP/gRPC or
     OTLP/HTTP server that records every span id it receives), with `after_s` more seconds of load;
  5. the comparison: every acknowledged span id must arrive (at least once; duplicates counted).

The collector's RSS is sampled from /proc every 0.25 s; the queue directory's size too.
"""

from __future__ import annotations

import gzip
import os
import struct
import sys
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from concurrent import futures
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import grpc
import requests
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared `lib`
from lib.collector import Collector, free_port  # noqa: E402

from mcpparity.collector_config import build_collector_config  # noqa: E402
from mcpparity.settings import parse_gateway_settings  # noqa: E402

RAW_SCOPE = "contextforge.mcp_runtime"
REQUEST_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Scenario:
    outage_s: float = 20.0          # exporter down, load on, then kill -9
    after_s: float = 5.0            # load after the restart, backend up
    rate: int = 1000                # offered spans/s
    spans_per_request: int = 100    # 50 calls of 2 raw spans (request + tool.invoke)
    senders: int = 2                # concurrent OTLP/HTTP clients
    memory_limit_mib: int = 512     # mcpparity generate --memory-limit-mib (the documented default)
    queue_size_mib: int = 1024      # mcpparity generate --queue-size-mib (the documented default)
    drain_timeout_s: float = 120.0  # bound for every acknowledged span to arrive after the restart
    persistent: bool = True         # False: the negative control, the same config with an in-memory queue
    protocol: str = "grpc"          # the backend's OTLP protocol: grpc (exporter otlp_grpc) or http (otlp_http)


@dataclass
class Result:
    scenario: Scenario
    offered: int = 0                 # spans the sender tried to send
    acked: int = 0                   # spans the collector acknowledged
    acked_before_kill: int = 0
    refused: int = 0                 # spans answered with a retryable refusal (HTTP 429/503)
    failed: int = 0                  # spans whose request failed otherwise (connection reset by the kill, timeout)
    refusal_statuses: Counter = field(default_factory=Counter)
    failure_statuses: Counter = field(default_factory=Counter)
    received_before_restart: int = 0  # spans the backend got before the restart (it was down: must be 0)
    received_unique: int = 0
    duplicates: int = 0              # extra copies of a span (at-least-once delivery)
    lost: int = 0                    # acknowledged and never received
    unacked_received: int = 0        # received although never acknowledged (e.g. answered after the kill)
    killed_rc: Optional[int] = None
    queue_bytes_at_kill: int = 0
    rss_max_mib: float = 0.0
    rss_max_mib_before_kill: float = 0.0
    queue_max_mib: float = 0.0
    outage_seconds: float = 0.0
    deprecation_warnings: list[str] = field(default_factory=list)  # e.g. `"otlp" alias is deprecated`
    drain_seconds: float = 0.0

    @property
    def held_spans_per_second(self) -> float:
        """Acknowledged spans per second while the exporter was down."""
        return self.acked_before_kill / self.outage_seconds if self.outage_seconds else 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "outage_s": round(self.outage_seconds, 1), "offered_spans_per_s": self.scenario.rate,
            "held_spans_per_s": round(self.held_spans_per_second), "acked": self.acked,
            "acked_before_kill": self.acked_before_kill, "refused": self.refused,
            "refusal_statuses": dict(self.refusal_statuses), "failed": self.failed,
            "failure_statuses": dict(self.failure_statuses), "lost": self.lost,
            "duplicates": self.duplicates, "unacked_received": self.unacked_received,
            "received_before_restart": self.received_before_restart, "killed_rc": self.killed_rc,
            "queue_mib_at_kill": round(self.queue_bytes_at_kill / (1 << 20), 1),
            "queue_max_mib": round(self.queue_max_mib, 1), "rss_max_mib": round(self.rss_max_mib, 1),
            "rss_max_mib_before_kill": round(self.rss_max_mib_before_kill, 1), "drain_s": round(self.drain_seconds, 1),
        }


# ---------------------------------------------------------------- spans with unique ids

class SpanFactory:
    """Raw runtime spans (contract v1) whose span ids are a run nonce + a counter: unique, countable."""

    def __init__(self) -> None:
        self.nonce = os.urandom(4)
        self._next = 0
        self._lock = threading.Lock()

    def _take(self, count: int) -> int:
        with self._lock:
            first = self._next
            self._next += count
            return first

    def span_id(self, n: int) -> bytes:
        return self.nonce + struct.pack(">I", n)

    def request(self, spans: int) -> tuple[bytes, list[bytes]]:
        """One serialized ExportTraceServiceRequest of `spans` spans (pairs: request root + tool.invoke)."""
        calls = max(1, spans // 2)
        first = self._take(2 * calls)
        req = trace_service_pb2.ExportTraceServiceRequest()
        rs = req.resource_spans.add()
        rs.resource.attributes.extend([_kv("service.name", "mcp-gateway"), _kv("contextforge.runtime", "rust")])
        ss = rs.scope_spans.add()
        ss.scope.name = RAW_SCOPE
        now = time.time_ns()
        ids = []
        for call in range(calls):
            n = first + 2 * call
            trace_id = self.nonce + struct.pack(">Q", n) + b"\0\0\0\1"
            root, child = self.span_id(n), self.span_id(n + 1)
            ids += [root, child]
            correlation = [_kv("cf.correlation_id", f"{n:032x}"), _kv("cf.correlation_id.from_header", False),
                           _kv("cf.auth.method", "anonymous")]
            s = ss.spans.add(trace_id=trace_id, span_id=root, name="POST /rpc", kind=trace_pb2.Span.SPAN_KIND_SERVER,
                             start_time_unix_nano=now - 5_000_000, end_time_unix_nano=now)
            s.attributes.extend([_kv("cf.op", "request"), *correlation, _kv("http.request.method", "POST"),
                                 _kv("url.path", "/rpc"), _kv("http.response.status_code", 200)])
            c = ss.spans.add(trace_id=trace_id, span_id=child, parent_span_id=root, name="tool.invoke",
                             kind=trace_pb2.Span.SPAN_KIND_INTERNAL, start_time_unix_nano=now - 4_000_000,
                             end_time_unix_nano=now - 1_000_000)
            c.attributes.extend([_kv("cf.op", "tool.invoke"), *correlation, _kv("gen_ai.tool.name", "echo"),
                                 _kv("cf.tool.id", "tool-1"), _kv("cf.tool.integration_type", "MCP"),
                                 _kv("mcp.method.name", "tools/call"), _kv("gen_ai.operation.name", "execute_tool"),
                                 _kv("jsonrpc.request.id", str(n)), _kv("cf.arguments.count", 1),
                                 _kv("cf.request.has_headers", True)])
        return req.SerializeToString(), ids


def _kv(key: str, value: Any) -> common_pb2.KeyValue:
    kv = common_pb2.KeyValue(key=key)
    if isinstance(value, bool):
        kv.value.bool_value = value
    elif isinstance(value, int):
        kv.value.int_value = value
    else:
        kv.value.string_value = str(value)
    return kv


# ---------------------------------------------------------------- the backend: an OTLP/gRPC server we control

class _TraceService(trace_service_pb2_grpc.TraceServiceServicer):
    def __init__(self, backend: "Backend") -> None:
        self.backend = backend

    def Export(self, request, context):  # noqa: N802 (gRPC method name)
        ids = [span.span_id for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]
        with self.backend.lock:
            self.backend.received.update(ids)
        return trace_service_pb2.ExportTraceServiceResponse()


class _TraceHandler(BaseHTTPRequestHandler):
    backend: "Backend"

    def do_POST(self) -> None:  # noqa: N802 (http.server method name)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        request = trace_service_pb2.ExportTraceServiceRequest()
        request.ParseFromString(body)
        ids = [span.span_id for rs in request.resource_spans for ss in rs.scope_spans for span in ss.spans]
        with self.backend.lock:
            self.backend.received.update(ids)
        out = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args: Any) -> None:
        pass


class Backend:
    """OTLP/gRPC or OTLP/HTTP on 127.0.0.1:port; down (connection refused) until `start()`."""

    def __init__(self, port: int, protocol: str = "grpc") -> None:
        if protocol not in ("grpc", "http"):
            raise ValueError(f"protocol must be grpc or http, got {protocol!r}")
        self.port = port
        self.protocol = protocol
        self.lock = threading.Lock()
        self.received: Counter[bytes] = Counter()
        self.server: Optional[grpc.Server] = None
        self.http: Optional[ThreadingHTTPServer] = None

    def start(self) -> None:
        if self.protocol == "http":
            handler = type("Handler", (_TraceHandler,), {"backend": self})
            self.http = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
            threading.Thread(target=self.http.serve_forever, daemon=True).start()
            return
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4),
                                  options=[("grpc.max_receive_message_length", 64 << 20)])
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(_TraceService(self), self.server)
        if self.server.add_insecure_port(f"127.0.0.1:{self.port}") == 0:
            raise RuntimeError(f"backend: cannot bind 127.0.0.1:{self.port}")
        self.server.start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop(grace=2).wait(5)
            self.server = None
        if self.http is not None:
            self.http.shutdown()
            self.http.server_close()
            self.http = None

    def snapshot(self) -> Counter[bytes]:
        with self.lock:
            return Counter(self.received)


# ---------------------------------------------------------------- the sender

class Sender:
    """`senders` threads posting OTLP/HTTP protobuf at `rate` spans/s in total until stopped."""

    def __init__(self, factory: SpanFactory, scenario: Scenario) -> None:
        self.factory = factory
        self.scenario = scenario
        self.url = ""
        self.lock = threading.Lock()
        self.acked: set[bytes] = set()
        self.offered = self.refused = self.failed = 0
        self.statuses: Counter[int] = Counter()  # refusals (429, 503) by status
        self.failures: Counter[int] = Counter()  # other answers by status; 0: none (connection reset by the kill, timeout)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self, url: str) -> None:
        self.url = url
        self._stop.clear()
        per_thread = self.scenario.rate / self.scenario.senders / self.scenario.spans_per_request  # requests/s
        self._threads = [threading.Thread(target=self._run, args=(1.0 / per_thread,), daemon=True)
                         for _ in range(self.scenario.senders)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(REQUEST_TIMEOUT_S + 5)

    def acked_count(self) -> int:
        with self.lock:
            return len(self.acked)

    def _run(self, interval: float) -> None:
        session = requests.Session()
        next_at = time.monotonic()
        while not self._stop.is_set():
            body, ids = self.factory.request(self.scenario.spans_per_request)
            status = self._post(session, body)
            with self.lock:
                self.offered += len(ids)
                if status == 200:
                    self.acked.update(ids)
                elif status in (429, 503):
                    self.refused += len(ids)
                    self.statuses[status] += 1
                else:
                    self.failed += len(ids)
                    self.failures[status] += 1
            next_at += interval
            delay = next_at - time.monotonic()
            if delay > 0:
                self._stop.wait(delay)
            else:
                next_at = time.monotonic()  # behind schedule: do not burst to catch up

    def _post(self, session: requests.Session, body: bytes) -> int:
        """HTTP status; 200 only when the response names no rejected span; 0 when no answer came."""
        try:
            response = session.post(self.url, data=body, timeout=REQUEST_TIMEOUT_S,
                                    headers={"Content-Type": "application/x-protobuf"})
        except requests.RequestException:
            return 0
        if response.status_code != 200:
            return response.status_code
        parsed = trace_service_pb2.ExportTraceServiceResponse()
        parsed.ParseFromString(response.content)
        return 200 if parsed.partial_success.rejected_spans == 0 else 206


def dir_bytes(path: Path) -> int:
    """Allocated bytes of the files under `path` (what the queue really takes on disk)."""
    total = 0
    for p in path.rglob("*"):
        try:
            if p.is_file():
                total += p.stat().st_blocks * 512
        except OSError:
            pass
    return total


class Sampler:
    """RSS of the current collector and the queue directory's size, every `period` seconds."""

    def __init__(self, queue_dir: Path, period: float = 0.25) -> None:
        self.queue_dir = queue_dir
        self.period = period
        self.collector: Optional[Collector] = None
        self.rss_max = 0.0
        self.queue_max = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.wait(self.period):
            if self.collector is not None:
                self.rss_max = max(self.rss_max, self.collector.rss_mib())
            self.queue_max = max(self.queue_max, dir_bytes(self.queue_dir))


# ---------------------------------------------------------------- the scenario

def generated_config(workdir: Path, backend_port: int, scenario: Scenario) -> dict[str, Any]:
    """`mcpparity generate` for the backend (lib.collector.Collector moves the listeners to free ports)."""
    settings = parse_gateway_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{backend_port}",
                                       "OTEL_EXPORTER_OTLP_PROTOCOL": scenario.protocol})
    config = build_collector_config(settings, queue_dir=str(workdir / "queue"), memory_limit_mib=scenario.memory_limit_mib,
                                    queue_size_mib=scenario.queue_size_mib).config
    if not scenario.persistent:
        for exporter in config["exporters"].values():
            del exporter["sending_queue"]["storage"]
    config["service"].setdefault("telemetry", {})["logs"] = {"level": "warn"}
    return config


def _collector(workdir: Path, name: str, config: dict[str, Any], lifetime_s: float) -> Collector:
    """A collector on `config` with its config file and log in workdir/name. The restarted one is a
    second such collector on the same config: the same queue directory, new free listener ports (the
    killed one's may linger)."""
    (workdir / name).mkdir(exist_ok=True)
    return Collector(workdir / name, config, lifetime_s=lifetime_s)


def run_scenario(workdir: Path, scenario: Scenario, log=lambda message: None) -> Result:
    workdir.mkdir(parents=True, exist_ok=True)
    result = Result(scenario=scenario)
    backend = Backend(free_port(), scenario.protocol)
    config = generated_config(workdir, backend.port, scenario)
    expected = {"grpc": "otlp_grpc", "http": "otlp_http"}[scenario.protocol]
    assert list(config["exporters"]) == [expected], f"the scenario tests the generated {expected} exporter"

    factory = SpanFactory()
    sender = Sender(factory, scenario)
    sampler = Sampler(workdir / "queue")
    lifetime_s = scenario.outage_s + scenario.after_s + scenario.drain_timeout_s + 120  # a bound, never reached
    first = _collector(workdir, "collector-1", config, lifetime_s)
    second: Optional[Collector] = None
    try:
        first.start()
        sampler.collector = first
        sampler.start()
        log(f"collector 1 up; backend 127.0.0.1:{backend.port} down; sending {scenario.rate} spans/s for {scenario.outage_s:g}s")
        started = time.monotonic()
        sender.start(first.http_endpoint)
        next_report = started + 30
        while time.monotonic() - started < scenario.outage_s:
            time.sleep(0.2)
            if not first.alive():
                raise RuntimeError(f"collector 1 died during the outage: {first.log_tail()}")
            if time.monotonic() >= next_report:
                next_report += 30
                log(f"  {time.monotonic() - started:5.0f}s acked={sender.acked_count()} refused={sender.refused} "
                    f"rss={first.rss_mib():.0f}MiB queue={dir_bytes(workdir / 'queue') / (1 << 20):.0f}MiB")
        result.rss_max_mib_before_kill = sampler.rss_max
        result.queue_bytes_at_kill = dir_bytes(workdir / "queue")
        result.killed_rc = first.kill9()  # under load: requests in flight fail and are not acknowledged
        result.outage_seconds = time.monotonic() - started
        sender.stop()
        result.acked_before_kill = sender.acked_count()
        result.received_before_restart = sum(backend.snapshot().values())
        log(f"kill -9 after {result.outage_seconds:.1f}s: rc={result.killed_rc} acked={result.acked_before_kill} "
            f"queue={result.queue_bytes_at_kill / (1 << 20):.1f}MiB")

        second = _collector(workdir, "collector-2", config, lifetime_s)
        second.start()
        sampler.collector = second
        backend.start()
        log("collector 2 up on the same queue; backend up")
        sender.start(second.http_endpoint)
        time.sleep(scenario.after_s)
        sender.stop()
        result.acked = sender.acked_count()
        drain_started = time.monotonic()
        with sender.lock:
            acked = set(sender.acked)
        while time.monotonic() - drain_started < scenario.drain_timeout_s:
            received = backend.snapshot()
            if not acked - received.keys():
                break
            if not second.alive():
                raise RuntimeError(f"collector 2 died while draining: {second.log_tail()}")
            time.sleep(0.5)
        result.drain_seconds = time.monotonic() - drain_started
        second.stop()  # SIGTERM: whatever is still queued stays on disk
        time.sleep(0.5)
    finally:
        sender.stop()
        sampler.stop()
        for process in (first, second):
            if process is not None:
                process.stop()
        backend.stop()

    for process in (first, second):
        if process is not None:
            result.deprecation_warnings += [line for line in process.log().splitlines() if "deprecated" in line]
    received = backend.snapshot()
    ours = {span_id: n for span_id, n in received.items() if span_id[:4] == factory.nonce}
    result.offered, result.refused, result.failed = sender.offered, sender.refused, sender.failed
    result.refusal_statuses = Counter({str(k): v for k, v in sender.statuses.items()})
    result.failure_statuses = Counter({str(k): v for k, v in sender.failures.items()})
    result.received_unique = len(ours)
    result.duplicates = sum(ours.values()) - len(ours)
    result.lost = len(acked - ours.keys())
    result.unacked_received = len(ours.keys() - acked)
    result.rss_max_mib = sampler.rss_max
    result.queue_max_mib = sampler.queue_max / (1 << 20)
    return result
