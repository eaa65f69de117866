"""`mcpparity check` against a tiny OTLP/HTTP + health server and an OTLP gRPC trace service on 127.0.0.1."""

from __future__ import annotations

import socket
import threading
from concurrent import futures
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import grpc
import pytest
from click.testing import CliRunner
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceServicer, add_TraceServiceServicer_to_server

from mcpparity.cli import main
from mcpparity.probe import HopCredentials, check


class FakeCollector:
    """Serves / (health) and /v1/traces; records decoded requests. Behaviour is set per test."""

    def __init__(self) -> None:
        self.health_status = 200
        self.otlp_status = 200
        self.rejected = 0
        self.received: list[ExportTraceServiceRequest] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:
                self.send_response(collector.health_status)
                self.end_headers()
                self.wfile.write(b'{"status":"Server available"}')

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                collector.received.append(request)
                response = ExportTraceServiceResponse()
                if collector.rejected:
                    response.partial_success.rejected_spans = collector.rejected
                    response.partial_success.error_message = "raw span refused"
                payload = response.SerializeToString()
                self.send_response(collector.otlp_status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def urls(self) -> dict[str, str]:
        return {"otlp_url": f"http://127.0.0.1:{self.port}/v1/traces", "health_url": f"http://127.0.0.1:{self.port}/"}


@pytest.fixture
def fake() -> Iterator[FakeCollector]:
    collector = FakeCollector()
    collector.thread.start()
    yield collector
    collector.server.shutdown()
    collector.server.server_close()
    collector.thread.join(timeout=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_healthy_collector_receives_one_raw_span(fake: FakeCollector) -> None:
    results = check(timeout=3, **fake.urls)
    assert [r.ok for r in results] == [True, True]
    (request,) = fake.received
    scope_spans = request.resource_spans[0].scope_spans[0]
    assert scope_spans.scope.name == "contextforge.mcp_runtime"
    (span,) = scope_spans.spans
    attributes = {kv.key: kv.value for kv in span.attributes}
    assert span.name == "POST /mcpparity/check" and span.kind == span.SPAN_KIND_SERVER
    assert attributes["cf.op"].string_value == "request"
    assert len(attributes["cf.correlation_id"].string_value) == 32


def test_unhealthy_collector_gets_no_span(fake: FakeCollector) -> None:
    fake.health_status = 503
    health, otlp = check(timeout=3, **fake.urls)
    assert not health.ok and "answered HTTP 503" in health.message
    assert not otlp.ok and "skipped" in otlp.message
    assert fake.received == []


def test_rejected_spans_and_http_errors_are_explained(fake: FakeCollector) -> None:
    fake.rejected = 1
    assert "rejected 1 span(s): raw span refused" in check(timeout=3, **fake.urls)[1].message
    fake.rejected, fake.otlp_status = 0, 400
    assert "answered HTTP 400" in check(timeout=3, **fake.urls)[1].message
    wrong_path = {**fake.urls, "otlp_url": f"http://127.0.0.1:{fake.port}/v1/trace"}
    assert "the OTLP/HTTP traces path is /v1/traces" in check(timeout=3, **wrong_path)[1].message


def test_nothing_listening() -> None:
    port = free_port()
    health, _ = check(otlp_url=f"http://127.0.0.1:{port}/v1/traces", health_url=f"http://127.0.0.1:{port}/", timeout=2)
    assert not health.ok and "cannot connect" in health.message


def test_cli_check_exit_codes(fake: FakeCollector) -> None:
    args = ["check", "--otlp", fake.urls["otlp_url"], "--health", fake.urls["health_url"], "--timeout", "3"]
    ok = CliRunner().invoke(main, args)
    assert ok.exit_code == 0 and "otlp: ok" in ok.stdout
    fake.otlp_status = 500
    failed = CliRunner().invoke(main, args)
    assert failed.exit_code == 1 and "otlp: FAILED" in failed.stdout and "not ready" in failed.stderr


class FakeGrpcTraceService(TraceServiceServicer):
    """An OTLP gRPC trace service on 127.0.0.1: records requests, rejects `rejected` spans."""

    def __init__(self) -> None:
        self.received: list[ExportTraceServiceRequest] = []
        self.metadata: list[dict[str, str]] = []
        self.rejected = 0

    def Export(self, request, context):  # noqa: N802 - the generated servicer's name
        self.metadata.append(dict(context.invocation_metadata()))
        self.received.append(request)
        response = ExportTraceServiceResponse()
        if self.rejected:
            response.partial_success.rejected_spans = self.rejected
            response.partial_success.error_message = "raw span refused"
        return response


@pytest.fixture
def fake_grpc() -> Iterator[tuple[FakeGrpcTraceService, str]]:
    service = FakeGrpcTraceService()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    add_TraceServiceServicer_to_server(service, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield service, f"127.0.0.1:{port}"
    server.stop(grace=None).wait(5)


def test_grpc_probe_sends_the_same_raw_span(fake: FakeCollector, fake_grpc) -> None:
    service, target = fake_grpc
    results = check(timeout=3, grpc_target=target, **fake.urls)
    assert [(r.step, r.ok) for r in results] == [("health", True), ("otlp", True), ("otlp-grpc", True)]
    (request,) = service.received
    (span,) = request.resource_spans[0].scope_spans[0].spans
    assert span.name == "POST /mcpparity/check"
    assert request.resource_spans[0].scope_spans[0].scope.name == "contextforge.mcp_runtime"
    service.rejected = 1
    assert "rejected 1 span(s): raw span refused" in check(timeout=3, grpc_target=target, **fake.urls)[2].message


def test_grpc_probe_failures_are_explained_and_fail_the_cli(fake: FakeCollector) -> None:
    target = f"127.0.0.1:{free_port()}"
    health, otlp, over_grpc = check(timeout=2, grpc_target=target, **fake.urls)
    assert health.ok and otlp.ok
    assert not over_grpc.ok and "UNAVAILABLE" in over_grpc.message and "grpc protocol" in over_grpc.message
    result = CliRunner().invoke(main, ["check", "--otlp", fake.urls["otlp_url"], "--health", fake.urls["health_url"], "--grpc", target, "--timeout", "2"])
    assert result.exit_code == 1 and "otlp-grpc: FAILED" in result.stdout
    fake.health_status = 503
    assert [r.message for r in check(timeout=2, grpc_target=target, **fake.urls)[1:]] == ["skipped: the health check failed"] * 2


def test_grpc_probe_carries_the_bearer_token_and_names_an_unreadable_ca(fake: FakeCollector, fake_grpc, tmp_path) -> None:
    service, target = fake_grpc
    results = check(timeout=3, grpc_target=target, hop=HopCredentials(token="s3cret-token"), **fake.urls)
    assert results[2].ok and service.metadata[-1]["authorization"] == "Bearer s3cret-token"
    assert "s3cret-token" not in " ".join(str(r) for r in results)
    missing_ca = str(tmp_path / "absent-ca.pem")
    over_grpc = check(timeout=3, grpc_target=target, hop=HopCredentials(ca_file=missing_ca), **{**fake.urls, "otlp_url": fake.urls["otlp_url"]})[2]
    assert not over_grpc.ok and over_grpc.message == f"cannot read {missing_ca}: No such file or directory"
