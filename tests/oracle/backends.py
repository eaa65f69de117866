"""The loopback servers the oracle harness puts around the real gateway, run as threads of the harness.

- RestBackend: the REST tools' backend. `POST /echo` answers 200 `{"echo": <body>, "traceparent_seen": <header>}`,
  `POST /fail` answers 500 with an error text carrying fake secrets (the facts' HTTP-500 cases).
- UpstreamMcp: a minimal streamable-HTTP MCP server (JSON responses) with `whoami_trace` (returns the
  trace headers and `_meta` it received) and `explode` (a JSON-RPC error carrying fake secrets).
- OtlpSink: an OTLP/HTTP protobuf trace receiver; keeps each ExportTraceServiceRequest as JSON.
All bind 127.0.0.1 on a port the OS picks; `stop()` shuts each down.
"""
from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest, ExportTraceServiceResponse

# Fake secrets the failure cases carry (the oracle captures' words, so re-captures match them).
FAIL_BODY = {"error": "backend exploded: password=hunter2 token=abc123"}
EXPLODE_MESSAGE = "upstream failure: password=hunter2 token=abc123 Authorization: Bearer sekrit-bearer see https://u:p@example.com/x?api_key=zzz&q=1"
UPSTREAM_TOOLS = [
    {"name": "whoami_trace", "description": "Echo text and received trace context", "inputSchema": {"type": "object", "properties": {"text": {"type": "string"}}}},
    {"name": "explode", "description": "Always fails with a JSON-RPC error", "inputSchema": {"type": "object", "properties": {}}},
]
TRACE_HEADERS = ("traceparent", "tracestate", "baggage", "x-correlation-id")


class _Server:
    handler: type[BaseHTTPRequestHandler]

    def __init__(self) -> None:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self.handler)
        self.httpd.owner = self  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, name=type(self).__name__, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def reply(self, status: int, payload: bytes = b"", content_type: str = "application/json") -> None:
        self.send_response(status)
        if payload:
            self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:  # quiet
        pass


class _RestHandler(_Handler):
    def do_POST(self) -> None:  # noqa: N802
        raw = self.body()
        if self.path.startswith("/fail"):
            return self.reply(500, json.dumps(FAIL_BODY).encode())
        try:
            echoed = json.loads(raw or b"{}")
        except ValueError:
            echoed = raw.decode("utf-8", "replace")
        return self.reply(200, json.dumps({"echo": echoed, "traceparent_seen": self.headers.get("traceparent")}).encode())


class RestBackend(_Server):
    handler = _RestHandler


class _McpHandler(_Handler):
    def do_GET(self) -> None:  # noqa: N802  (no server-initiated stream)
        self.reply(405)

    def do_DELETE(self) -> None:  # noqa: N802
        self.reply(200)

    def do_POST(self) -> None:  # noqa: N802
        message = json.loads(self.body() or b"{}")
        rid, method, params = message.get("id"), message.get("method"), message.get("params") or {}
        if rid is None:
            return self.reply(202)  # a notification
        if method == "initialize":
            result = {"protocolVersion": params.get("protocolVersion", "2025-06-18"), "capabilities": {"tools": {}}, "serverInfo": {"name": "upstream", "version": "0"}}
        elif method == "tools/list":
            result = {"tools": UPSTREAM_TOOLS}
        elif method == "ping":
            result = {}
        elif method == "tools/call" and params.get("name") == "whoami_trace":
            seen = {k.lower(): v for k, v in self.headers.items() if k.lower() in TRACE_HEADERS}
            text = json.dumps({"text": (params.get("arguments") or {}).get("text"), "headers": seen, "meta": params.get("_meta")})
            result = {"content": [{"type": "text", "text": text}], "isError": False}
        elif method == "tools/call" and params.get("name") == "explode":
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": EXPLODE_MESSAGE}}).encode())
        else:
            return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": rid, "error": {"code": -32601, "message": f"Method not found: {method}"}}).encode())
        return self.reply(200, json.dumps({"jsonrpc": "2.0", "id": rid, "result": result}).encode())


class UpstreamMcp(_Server):
    handler = _McpHandler


class _SinkHandler(_Handler):
    def do_POST(self) -> None:  # noqa: N802
        raw = self.body()
        if (self.headers.get("content-encoding") or "").lower() == "gzip":
            raw = gzip.decompress(raw)
        request = ExportTraceServiceRequest()
        try:
            request.ParseFromString(raw)
        except Exception as exc:  # noqa: BLE001  (a bad export is recorded, not fatal)
            self.server.owner.record(self.path, self.headers, {"_decode_error": str(exc)})  # type: ignore[attr-defined]
            return self.reply(400)
        self.server.owner.record(self.path, self.headers, MessageToDict(request))  # type: ignore[attr-defined]
        return self.reply(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")


class OtlpSink(_Server):
    handler = _SinkHandler

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[dict] = []
        super().__init__()

    def record(self, path: str, headers, decoded: dict) -> None:
        with self.lock:
            self.records.append({"path": path, "headers": {k.lower(): v for k, v in headers.items()}, "request": decoded})

    def count(self) -> int:
        with self.lock:
            return len(self.records)

    def since(self, n: int) -> list[dict]:
        with self.lock:
            return list(self.records[n:])
