#!/usr/bin/env python3
"""The Python runtime's own tracing cost for one tools/call, measured in process with the pinned gateway.

Driver (default): runs `--runs` fresh processes per settings mode, alternating the mode order, and
prints the median of the runs' figures [min-max], in µs per call; `--json F` keeps every figure.
    .cache/venv/bin/python bench/python-tracing-cost/bench_tracing.py [--runs 5] [--json out.json]

Worker (`--worker MODE`): one process with the gateway's settings of MODE, timing every variant.
  MODE default      OTEL on, OTLP/HTTP exporter (replaced by a no-op before the gateway builds it)
  MODE langfuse_io  default + OTEL_EMIT_LANGFUSE_ATTRIBUTES=true + OTEL_CAPTURE_INPUT/OUTPUT_SPANS=tool.invoke

The work timed is the tracing code path of ToolService.invoke_tool for one successful call, with the
same helpers, attributes and order as the gateway (mcpgateway/services/tool_service.py 1.0.7):
  rest: capture check + serialize_trace_payload(args), create_span("tool.invoke", 9 attrs),
        tool.lookup / tool.gateway_call(REST) / tool.post_process children, success + duration.ms,
        output capture (serialize_trace_payload(ToolResult) + set_span_attribute) when enabled;
  mcp:  the same, with the per-call MCP client spans inside tool.gateway_call: mcp.client.call
        (10 attrs, inject_trace_context_headers), mcp.client.initialize, .request, .response.
  *_with_root: the same wrapped in the gateway's OpenTelemetryRequestMiddleware for POST /rpc
        (the request-root span), with an inner app that does nothing else.
"Off" is the same code with observability._TRACER = None, exactly what OTEL_ENABLE_OBSERVABILITY=false
gives (create_span returns a nullcontext, the middleware passes through). The payloads: 2 KB of
compact JSON arguments and a ToolResult whose text is 2 KB (the Rust benchmark's sizes).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from pathlib import Path

MODES = ("default", "langfuse_io")
VARIANTS = ("rest", "mcp", "rest_with_root", "mcp_with_root")
MODE_ENV = {
    "default": {},
    "langfuse_io": {"OTEL_EMIT_LANGFUSE_ATTRIBUTES": "true", "OTEL_CAPTURE_INPUT_SPANS": "tool.invoke", "OTEL_CAPTURE_OUTPUT_SPANS": "tool.invoke"},
}


def args_2k() -> dict:
    """2,048 bytes of compact JSON: a query, prose, nested options, tags and scalars (no secrets)."""
    prose = ("The quick brown fox jumps over the lazy dog while the gateway routes a tool call. " * 30)
    doc = {"query": "summarize the quarterly report for the platform team", "text": "", "options": {"lang": "en", "max_tokens": 512, "style": {"tone": "neutral", "bullets": True}},
           "tags": [f"tag-{i}" for i in range(8)], "limit": 25, "score": 0.75}
    base = len(json.dumps(doc, separators=(",", ":")))
    doc["text"] = prose[: 2048 - base]
    assert len(json.dumps(doc, separators=(",", ":"))) == 2048
    return doc


# ---------------------------------------------------------------- worker
def worker(mode: str, repeats: int, target_s: float) -> dict:
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult  # noqa: PLC0415

    exported = {"spans": 0}

    class NoopExporter(SpanExporter):
        """Stands in for the OTLP exporter: counts spans, sends nothing."""

        def __init__(self, *args, **kwargs):
            pass

        def export(self, spans):
            exported["spans"] += len(spans)
            return SpanExportResult.SUCCESS

        def shutdown(self):
            pass

    import opentelemetry.exporter.otlp.proto.grpc.trace_exporter as grpc_exp  # noqa: PLC0415
    import opentelemetry.exporter.otlp.proto.http.trace_exporter as http_exp  # noqa: PLC0415

    grpc_exp.OTLPSpanExporter = NoopExporter
    http_exp.OTLPSpanExporter = NoopExporter

    from mcpgateway import observability as obs  # noqa: PLC0415
    from mcpgateway.common.models import TextContent, ToolResult  # noqa: PLC0415
    from mcpgateway.observability import create_child_span, create_span, inject_trace_context_headers, set_span_attribute  # noqa: PLC0415
    from mcpgateway.utils import trace_context as tc  # noqa: PLC0415
    from mcpgateway.utils.correlation_id import set_correlation_id  # noqa: PLC0415
    from mcpgateway.utils.trace_redaction import is_input_capture_enabled, is_output_capture_enabled, serialize_trace_payload  # noqa: PLC0415
    from opentelemetry import trace  # noqa: PLC0415

    tracer_on = obs._TRACER
    assert tracer_on is not None, "tracing did not initialise"
    # The request context the auth middleware leaves for a JWT admin call.
    set_correlation_id(secrets.token_hex(16))
    tc.set_trace_user_email("admin@example.com")
    tc.set_trace_user_is_admin(True)
    tc.set_trace_team_scope("public")
    tc.set_trace_auth_method("jwt")

    arguments = args_2k()
    tool_result = ToolResult(content=[TextContent(type="text", text=json.dumps(arguments, separators=(",", ":")))])
    name, tool_id, gateway_id = "echo-tool", secrets.token_hex(16), secrets.token_hex(16)
    server_url = "http://localhost:18090/mcp"

    def invoke(integration: str) -> None:
        start = time.monotonic()
        span_attributes = {"tool.name": name, "tool.id": tool_id, "tool.integration_type": integration,
                           "tool.gateway_id": gateway_id if integration == "MCP" else None, "arguments_count": len(arguments),
                           "has_headers": True, "user.email": "admin@example.com", "team.scope": "public", "server_id": None}
        if is_input_capture_enabled("tool.invoke"):
            span_attributes["langfuse.observation.input"] = serialize_trace_payload(arguments or {})
        with create_span("tool.invoke", span_attributes) as span:
            with create_child_span("tool.lookup", {"tool.name": name, "tool.id": tool_id, "tool.integration_type": integration}):
                pass
            with create_child_span("tool.gateway_call", {"tool.name": name, "tool.id": tool_id, "tool.integration_type": integration}):
                if integration == "MCP":
                    with create_span("mcp.client.call", {"mcp.tool.name": "echo", "contextforge.tool.id": tool_id, "contextforge.gateway_id": gateway_id,
                                                         "contextforge.runtime": "python", "contextforge.transport": "streamablehttp", "network.protocol.name": "mcp",
                                                         "server.address": "localhost", "server.port": 18090, "url.path": "/mcp", "url.full": server_url}):
                        inject_trace_context_headers({})
                        with create_span("mcp.client.initialize", {"contextforge.transport": "streamablehttp", "contextforge.runtime": "python"}):
                            pass
                        with create_span("mcp.client.request", {"mcp.tool.name": "echo", "contextforge.tool.id": tool_id, "contextforge.gateway_id": gateway_id, "contextforge.runtime": "python"}):
                            pass
                        with create_span("mcp.client.response", {"mcp.tool.name": "echo", "contextforge.tool.id": tool_id, "contextforge.gateway_id": gateway_id,
                                                                 "contextforge.runtime": "python", "upstream.response.success": True}):
                            pass
            with create_child_span("tool.post_process", {"tool.name": name, "tool.id": tool_id}):
                pass
            if span:
                set_span_attribute(span, "success", True)
                set_span_attribute(span, "duration.ms", (time.monotonic() - start) * 1000)
                if is_output_capture_enabled("tool.invoke"):
                    set_span_attribute(span, "langfuse.observation.output", serialize_trace_payload(tool_result))

    loop = asyncio.new_event_loop()
    scope = {"type": "http", "method": "POST", "path": "/rpc", "query_string": b"", "http_version": "1.1", "scheme": "http",
             "server": ("127.0.0.1", 4444), "client": ("127.0.0.1", 50000),
             "headers": [(b"user-agent", b"python-httpx/0.28.1"), (b"content-type", b"application/json")]}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message):
        return None

    def with_root(integration: str):
        async def app(_scope, _receive, _send):
            invoke(integration)
            await _send({"type": "http.response.start", "status": 200, "headers": []})
            await _send({"type": "http.response.body", "body": b"{}"})

        middleware = obs.OpenTelemetryRequestMiddleware(app)
        return lambda: loop.run_until_complete(middleware(scope, receive, send))

    work = {"rest": lambda: invoke("REST"), "mcp": lambda: invoke("MCP"), "rest_with_root": with_root("REST"), "mcp_with_root": with_root("MCP")}

    def set_tracing(on: bool) -> None:
        obs._TRACER = tracer_on if on else None

    def spans_of_one_call(fn) -> int:
        """Counted from the exporter, not assumed: one traced call of the variant, flushed."""
        trace.get_tracer_provider().force_flush(30_000)
        before = exported["spans"]
        fn()
        trace.get_tracer_provider().force_flush(30_000)
        return exported["spans"] - before

    set_tracing(True)
    spans_per_call = {key: spans_of_one_call(fn) for key, fn in work.items()}

    # Calibrate numbers of calls so each repeat lasts about target_s.
    number = {}
    for key, fn in work.items():
        for on in (False, True):
            set_tracing(on)
            t = timeit.Timer(fn)
            n, _ = t.autorange()
            per = t.timeit(n) / n
            number[(key, on)] = max(1, int(target_s / per))
    samples = {(key, on): [] for key in work for on in (False, True)}
    created = 0
    for _ in range(repeats):  # interleave the variants within each repeat
        for key, fn in work.items():
            for on in (False, True):
                set_tracing(on)
                n = number[(key, on)]
                samples[(key, on)].append(timeit.Timer(fn).timeit(n) / n * 1e6)
                if on:
                    created += n
    set_tracing(True)
    trace.get_tracer_provider().force_flush(30_000)
    return {
        "mode": mode,
        "us_per_call": {f"{key}_{'on' if on else 'off'}": statistics.median(v) for (key, on), v in samples.items()},
        "spans_exported": exported["spans"],
        "spans_per_call": spans_per_call,
        "timed_calls_on": created,
    }


# ---------------------------------------------------------------- driver
def run_worker(mode: str, repeats: int, target_s: float) -> dict:
    with tempfile.TemporaryDirectory(prefix="pytrace-bench-") as work:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": work,
            # Fresh fakes for the gateway's startup validators (settings load at import).
            "JWT_SECRET_KEY": secrets.token_urlsafe(32), "AUTH_ENCRYPTION_SECRET": secrets.token_urlsafe(32),
            "PLATFORM_ADMIN_PASSWORD": "Pw-" + secrets.token_urlsafe(16) + "!9a", "BASIC_AUTH_PASSWORD": "Pw-" + secrets.token_urlsafe(16) + "!9a",
            "LOG_LEVEL": "WARNING", "OTEL_ENABLE_OBSERVABILITY": "true", "OTEL_TRACES_EXPORTER": "otlp",
            "OTEL_EXPORTER_OTLP_PROTOCOL": "http", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:9/v1/traces",
            **MODE_ENV[mode],
        }
        proc = subprocess.run([sys.executable, __file__, "--worker", mode, "--repeats", str(repeats), "--target-ms", str(target_s * 1000)],
                              env=env, cwd=work, capture_output=True, text=True, timeout=900, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"worker {mode} failed: {proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description="Python runtime tracing cost per tools/call (pinned gateway, in process)")
    ap.add_argument("--worker", choices=MODES)
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per mode")
    ap.add_argument("--repeats", type=int, default=9, help="timed repeats per variant per process")
    ap.add_argument("--target-ms", type=float, default=60, help="duration of one repeat")
    ap.add_argument("--json", type=Path, help="write every run's figures here")
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.repeats, a.target_ms / 1000)))
        return
    runs = {m: [] for m in MODES}
    for i in range(a.runs):
        for mode in (MODES if i % 2 == 0 else MODES[::-1]):
            r = run_worker(mode, a.repeats, a.target_ms / 1000)
            runs[mode].append(r)
            print(f"run {i + 1}/{a.runs} {mode}: " + ", ".join(f"{k}={v:.1f}" for k, v in r["us_per_call"].items()), file=sys.stderr)
    import mcpgateway  # noqa: PLC0415

    print(f"Python runtime tracing cost per tools/call, mcpgateway {mcpgateway.__version__}, median of {a.runs} processes [min-max], µs per call")
    print(f"{'variant':<16} {'mode':<12} {'off':>22} {'on':>26} {'tracing cost (on-off)':>28}")
    summary = {}
    for mode in MODES:
        for v in VARIANTS:
            off = [r["us_per_call"][f"{v}_off"] for r in runs[mode]]
            on = [r["us_per_call"][f"{v}_on"] for r in runs[mode]]
            cost = [b - a_ for a_, b in zip(off, on)]
            summary[f"{mode}/{v}"] = {"off": statistics.median(off), "on": statistics.median(on), "cost": statistics.median(cost)}

            def fmt(xs):
                return f"{statistics.median(xs):,.1f} [{min(xs):,.1f}-{max(xs):,.1f}]"

            print(f"{v:<16} {mode:<12} {fmt(off):>22} {fmt(on):>26} {fmt(cost):>28}")
    for mode in MODES:
        for r in runs[mode]:
            if r["spans_exported"] < r["timed_calls_on"] * min(r["spans_per_call"].values()):
                raise SystemExit(f"{mode}: the batch processor dropped spans ({r['spans_exported']} exported for {r['timed_calls_on']} traced calls)")
    if a.json:
        a.json.write_text(json.dumps({"summary_us": summary, "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
