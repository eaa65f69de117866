"""Spans that are not raw (the Python runtime's own, a framework's) pass through the built collector
unchanged but for the safety net: status descriptions and `exception` events are scrubbed, because
the Python runtime leaks raw text there (SEMANTICS.md §6)."""

from __future__ import annotations

from typing import Any

import pytest
from opentelemetry.trace import SpanKind, Status, StatusCode

from e2e_collector import leaked_secrets
from e2e_rawspans import RawSpanSender

RAW_MESSAGE = "McpError: upstream failure: password=hunter2-foreign Authorization: Bearer foreignbearer see https://u:pw-foreign@example.com/x?api_key=zzz-foreign&q=1"
SECRETS = ["hunter2-foreign", "foreignbearer", "pw-foreign", "zzz-foreign"]


def send_foreign(collector: Any, protocol: str) -> str:
    sender = RawSpanSender(protocol, collector.http_endpoint if protocol == "http" else collector.grpc_endpoint)
    tracer = sender.provider.get_tracer("mcp-gateway", "1.0.7-20260921")  # the Python runtime's scope
    span = tracer.start_span("mcp.client.request", kind=SpanKind.INTERNAL,
                             attributes={"mcp.tool.name": "explode", "contextforge.runtime": "python"})
    span.add_event("exception", {"exception.type": "mcp.shared.exceptions.McpError", "exception.message": RAW_MESSAGE,
                                 "exception.stacktrace": "Traceback (most recent call last):\n  " + RAW_MESSAGE,
                                 "exception.escaped": "False"})
    span.set_status(Status(StatusCode.ERROR, RAW_MESSAGE))
    span.end()
    sender.started += 1
    sender.close()
    return format(span.get_span_context().trace_id, "032x")


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_foreign_span_scrubbed_not_transformed(start_collector: Any, protocol: str) -> None:
    collector = start_collector({})
    trace_id = send_foreign(collector, protocol)
    [span] = collector.wait_for_spans(1, {trace_id})
    raw = collector.raw_output()
    leaked = leaked_secrets(raw, SECRETS)
    assert not leaked, f"safety net let secrets through: {leaked}"
    assert span["scope"]["name"] == "mcp-gateway" and span["name"] == "mcp.client.request"
    assert span["attributes"] == {"mcp.tool.name": "explode", "contextforge.runtime": "python"}, "foreign attributes kept as sent"
    assert span["status"]["code"] == "ERROR"
    assert "password=***" in span["status"]["message"] and "REDACTED:REDACTED@" in span["status"]["message"]
    [event] = span["events"]
    assert event["attributes"]["exception.type"] == "mcp.shared.exceptions.McpError"
    assert "Bearer ***" in event["attributes"]["exception.message"] or "Authorization: ***" in event["attributes"]["exception.message"]


def test_scrub_foreign_spans_off_passes_them_verbatim(start_collector: Any) -> None:
    """The operator's switch is honoured: with scrub_foreign_spans false a foreign span is untouched."""
    collector = start_collector({"scrub_foreign_spans": False})
    trace_id = send_foreign(collector, "http")
    [span] = collector.wait_for_spans(1, {trace_id})
    assert span["status"]["message"] == RAW_MESSAGE
    assert span["events"][0]["attributes"]["exception.message"] == RAW_MESSAGE
