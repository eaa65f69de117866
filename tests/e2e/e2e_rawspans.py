"""Contract-v1 raw spans (docs/raw-span-contract.md), made with the real opentelemetry-sdk and sent
over OTLP/HTTP or OTLP/gRPC exactly as the Rust runtime would put them on the wire. Every key comes
from mcpparity.contract (generated from contract/raw-span-contract.yaml)."""

from __future__ import annotations

import json
import secrets
from typing import Any, Optional, Sequence
from urllib.parse import urlsplit

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter as GrpcSpanExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter as HttpSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from mcpparity import contract as ct
from mcpparity.settings import parse_gateway_settings

RAW_SCOPE = ct.RAW_SCOPE_NAME
EXPORT_TIMEOUT_MILLIS = 60_000


class RecordingExporter(SpanExporter):
    """Delegates to the OTLP exporter and records how many spans were accepted or refused."""

    def __init__(self, inner: SpanExporter):
        self.inner = inner
        self.exported = 0
        self.failed = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self.inner.export(spans)
        if result == SpanExportResult.SUCCESS:
            self.exported += len(spans)
        else:
            self.failed += len(spans)
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.inner.force_flush(timeout_millis)


class RawSpanSender:
    """A TracerProvider of the raw scope wired to one collector endpoint; `close()` flushes it."""

    def __init__(self, protocol: str, endpoint: str, max_attributes: int = 128):
        if protocol == "http":
            inner: SpanExporter = HttpSpanExporter(endpoint=endpoint, timeout=60)
        elif protocol == "grpc":
            inner = GrpcSpanExporter(endpoint=endpoint, insecure=True, timeout=60)
        else:
            raise ValueError(f"protocol must be http or grpc, got {protocol!r}")
        self.exporter = RecordingExporter(inner)
        self.provider = TracerProvider(
            resource=Resource.create({"service.name": "mcp-gateway", "contextforge.runtime": "rust"}),
            span_limits=SpanLimits(max_span_attributes=max_attributes, max_attribute_length=None),
        )
        self.provider.add_span_processor(BatchSpanProcessor(self.exporter, max_export_batch_size=64))
        self.tracer = self.provider.get_tracer(RAW_SCOPE, "0.1.0")
        self.started = 0

    def span(
        self,
        name: str,
        attributes: dict[str, Any],
        kind: SpanKind = SpanKind.INTERNAL,
        parent: Optional[trace.Span] = None,
        error: Optional[tuple[str, str]] = None,
        context: Optional[Context] = None,
    ) -> trace.Span:
        """Start a raw span (end it with `.end()`); `error` = (exception.type, raw message);
        `context` = an extracted remote parent (for a root)."""
        ctx = trace.set_span_in_context(parent) if parent is not None else context
        span = self.tracer.start_span(name, context=ctx, kind=kind, attributes=attributes)
        if error is not None:
            span.add_event(ct.EXCEPTION_EVENT, {ct.EXCEPTION_TYPE: error[0], ct.EXCEPTION_MESSAGE: error[1]})
            span.set_status(Status(StatusCode.ERROR, error[1]))
        self.started += 1
        return span

    def close(self) -> None:
        """Flush and shut down; raises when any span was refused by the collector."""
        flushed = self.provider.force_flush(EXPORT_TIMEOUT_MILLIS)
        self.provider.shutdown()
        if not flushed or self.exporter.failed or self.exporter.exported != self.started:
            raise AssertionError(
                f"raw spans not all accepted: started={self.started} exported={self.exporter.exported} "
                f"failed={self.exporter.failed} flushed={flushed}"
            )


def _context(facts: dict[str, Any], op: str) -> dict[str, Any]:
    """The request context every raw span of the call carries."""
    req, ident = facts["request"], facts.get("identity") or {}
    headers = req.get("headers") or {}
    a: dict[str, Any] = {
        ct.OP: op,
        ct.CORRELATION_ID: _correlation_id(facts),
        ct.CORRELATION_ID_FROM_HEADER: "x-correlation-id" in headers,
        ct.AUTH_METHOD: ident.get("auth_method") or "anonymous",
    }
    if ident.get("user_email") is not None:
        a[ct.USER_EMAIL] = ident["user_email"]
    if ident.get("is_admin") is not None:
        a[ct.USER_IS_ADMIN] = ident["is_admin"]
    if ident.get("team_name") is not None:
        a[ct.TEAM_NAME] = ident["team_name"]
    if ident and ident.get("team_ids") is not None:
        a[ct.TEAM_IDS] = list(ident["team_ids"])
    session = headers.get("mcp-session-id") or headers.get("x-mcp-session-id")
    if session:
        a[ct.SESSION_ID] = session
    if headers.get("baggage"):
        a[ct.BAGGAGE] = headers["baggage"]
    return a


def _correlation_id(facts: dict[str, Any]) -> str:
    """The header wins, else the recorded id, else one generated (and kept) for this call."""
    req = facts["request"]
    header = (req.get("headers") or {}).get("x-correlation-id")
    if header:
        return header
    if not req.get("correlation_id"):
        req["correlation_id"] = secrets.token_hex(16)
    return req["correlation_id"]


def _tool(facts: dict[str, Any], op: str) -> dict[str, Any]:
    tool = facts["tool"]
    a = _context(facts, op)
    a[ct.GEN_AI_TOOL_NAME] = tool["name"]
    a[ct.TOOL_ID] = tool["id"]
    if op != "tool.post_process":
        a[ct.TOOL_INTEGRATION_TYPE] = tool["integration_type"]
    return a


def _upstream(facts: dict[str, Any], op: str) -> dict[str, Any]:
    tool = facts["tool"]
    a = _context(facts, op)
    a.update({ct.UPSTREAM_TOOL_NAME: tool["upstream"]["tool_name"], ct.TOOL_ID: tool["id"],
              ct.TOOL_GATEWAY_ID: tool["gateway_id"]})
    return a


def _error(facts: dict[str, Any], op: str) -> Optional[tuple[str, str]]:
    err = ((facts.get("outcome") or {}).get("errors") or {}).get(op)
    return (err["type"], err["message"]) if err else None




def emit_call(sender: RawSpanSender, facts: dict[str, Any]) -> str:
    """Emit the contract-v1 raw spans of one recorded call (facts format v1, docs/facts-format.md),
    ended in the order the runtime ends them; return the trace id (hex)."""
    req = facts["request"]
    # The runtime's own decision on its settings (the one parser; the emitter decides the same,
    # tests/contract/test_settings_agree.py): payloads only for the spans the gateway would capture.
    settings = parse_gateway_settings(facts.get("env") or {})
    outcome = facts.get("outcome") or {}
    errors = outcome.get("errors") or {}
    root_attrs = _context(facts, "request")
    root_attrs.update({ct.HTTP_REQUEST_METHOD: req["method"], ct.URL_PATH: req["path"],
                       ct.HTTP_RESPONSE_STATUS_CODE: req.get("status_code", 200)})
    for fact, key in (("http_version", ct.NETWORK_PROTOCOL_VERSION), ("server_address", ct.SERVER_ADDRESS),
                      ("server_port", ct.SERVER_PORT), ("client_address", ct.CLIENT_ADDRESS),
                      ("client_port", ct.CLIENT_PORT), ("user_agent", ct.USER_AGENT_ORIGINAL)):
        if req.get(fact) is not None:
            root_attrs[key] = req[fact]
    if req.get("query"):
        root_attrs[ct.URL_QUERY] = req["query"]
    # The runtime parents its root on the incoming W3C context, as the gateway's middleware does.
    carrier = {k: v for k, v in (req.get("headers") or {}).items() if k in ("traceparent", "tracestate")}
    remote = TraceContextTextMapPropagator().extract(carrier) if carrier else None
    root = sender.span(f"{req['method']} {req['path']}", root_attrs, kind=SpanKind.SERVER, context=remote)
    tool = facts.get("tool")
    if tool is None or not outcome.get("found", True):
        root.end()
        return format(root.get_span_context().trace_id, "032x")

    call = facts["call"]
    arguments = call.get("arguments") or {}
    result = outcome.get("result")
    inv = _tool(facts, "tool.invoke")
    inv.update({
        ct.MCP_METHOD_NAME: "tools/call", ct.GEN_AI_OPERATION_NAME: "execute_tool",
        ct.JSONRPC_REQUEST_ID: str(call["jsonrpc_id"]), ct.ARGUMENTS_COUNT: len(arguments),
        ct.REQUEST_HAS_HEADERS: True,
    })
    if tool.get("gateway_id") is not None:
        inv[ct.TOOL_GATEWAY_ID] = tool["gateway_id"]
    if tool.get("server_id") is not None:
        inv[ct.SERVER_ID] = tool["server_id"]
    if "tool.invoke" in settings.capture_input_spans:
        inv[ct.TOOL_CALL_ARGUMENTS] = json.dumps(arguments, ensure_ascii=False)
    if result is not None:
        inv[ct.RESULT_IS_ERROR] = bool(result.get("isError"))
        if "tool.invoke" in settings.capture_output_spans:
            inv[ct.TOOL_CALL_RESULT] = json.dumps(result, ensure_ascii=False)
    invoke = sender.span(f"tools/call {tool['name']}", inv, parent=root, error=_error(facts, "tool.invoke"))

    sender.span("tool.lookup", _tool(facts, "tool.lookup"), parent=invoke).end()
    gw = sender.span("tool.gateway_call", _tool(facts, "tool.gateway_call"), parent=invoke,
                     error=_error(facts, "tool.gateway_call"))
    upstream = tool.get("upstream")
    if upstream:
        url = urlsplit(upstream["url"])
        c = _upstream(facts, "mcp.client.call")
        c.update({ct.UPSTREAM_TRANSPORT: upstream["transport"], ct.SERVER_ADDRESS: url.hostname or "",
                  ct.URL_PATH: url.path or "/", ct.URL_FULL: upstream["url"]})
        if url.port is not None:
            c[ct.SERVER_PORT] = url.port
        client = sender.span("mcp.client.call", c, parent=gw, error=_error(facts, "mcp.client.call"))
        init = _context(facts, "mcp.client.initialize")
        init[ct.UPSTREAM_TRANSPORT] = upstream["transport"]
        sender.span("mcp.client.initialize", init, parent=client, error=_error(facts, "mcp.client.initialize")).end()
        sender.span("mcp.client.request", _upstream(facts, "mcp.client.request"), parent=client,
                    error=_error(facts, "mcp.client.request")).end()
        if not errors:
            resp = _upstream(facts, "mcp.client.response")
            resp[ct.UPSTREAM_SUCCESS] = not bool((result or {}).get("isError"))
            sender.span("mcp.client.response", resp, parent=client).end()
        client.end()
    gw.end()
    if not errors:
        sender.span("tool.post_process", _tool(facts, "tool.post_process"), parent=invoke).end()
    invoke.end()
    root.end()
    return format(root.get_span_context().trace_id, "032x")
