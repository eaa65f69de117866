"""The shared reader of the file exporter's OTLP JSON lines (lib/otlp_json.py)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from lib.otlp_json import any_value, parse_export_lines, read_exported


def line(spans: list[dict], resource: list | None = None, scope: dict | None = None) -> str:
    return json.dumps({"resourceSpans": [{"resource": {"attributes": resource or []},
                                          "scopeSpans": [{"scope": scope or {"name": "mcp-gateway"}, "spans": spans}]}]})


def test_any_value_decodes_every_otlp_type() -> None:
    assert any_value({"stringValue": "x"}) == "x"
    assert any_value({"boolValue": False}) is False
    assert any_value({"intValue": "9007199254740993"}) == 9007199254740993  # ptrace JSON writes ints as strings
    assert any_value({"doubleValue": 1.5}) == 1.5
    assert any_value({"arrayValue": {"values": [{"intValue": "1"}, {"stringValue": "a"}]}}) == [1, "a"]
    assert any_value({"arrayValue": {}}) == []
    assert any_value({"kvlistValue": {"values": [{"key": "k", "value": {"boolValue": True}}, {"key": "e"}]}}) == {"k": True, "e": None}
    assert any_value({"bytesValue": base64.b64encode(b"\xff\x00").decode()}) == b"\xff\x00"
    assert any_value({}) is None


def test_spans_in_oracle_format_sorted_by_start() -> None:
    late = {"traceId": "ab" * 16, "spanId": "02" * 8, "parentSpanId": "01" * 8, "name": "tool.invoke", "kind": 1,
            "startTimeUnixNano": "3000000", "endTimeUnixNano": "5500000",
            "attributes": [{"key": "n", "value": {"intValue": "7"}}],
            "events": [{"name": "exception", "attributes": [{"key": "exception.type", "value": {"stringValue": "E"}}]}],
            "status": {"code": 2, "message": "E: boom"}}
    early = {"traceId": "ab" * 16, "spanId": "01" * 8, "parentSpanId": "", "name": "POST /rpc",
             "kind": "SPAN_KIND_SERVER", "startTimeUnixNano": "1000", "endTimeUnixNano": "2000", "status": {}}
    text = line([late], resource=[{"key": "service.name", "value": {"stringValue": "gw"}}]) + "\n\n" + line([early]) + "\n"
    first, second = parse_export_lines(text)
    assert (first["name"], first["kind"], first["parentSpanId"], first["status"]) == ("POST /rpc", "SERVER", None, {"code": "UNSET", "message": None})
    assert first["resource"] == {}
    assert second["kind"] == "INTERNAL" and second["status"] == {"code": "ERROR", "message": "E: boom"}
    assert second["parentSpanId"] == "01" * 8 and second["attributes"] == {"n": 7}
    assert second["events"] == [{"name": "exception", "attributes": {"exception.type": "E"}}]
    assert second["resource"] == {"service.name": "gw"} and second["scope"]["name"] == "mcp-gateway"
    assert second["durationMs"] == 2.5


def test_a_line_still_being_written_raises_and_a_missing_file_is_empty(tmp_path: Path) -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_export_lines(line([])[:-3])
    assert read_exported(tmp_path / "not-yet.json") == []


def test_protobuf_json_mapping_base64_ids_and_links() -> None:
    """The oracle harness receives protobuf's standard JSON mapping (MessageToDict): base64 ids, enum names."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

    from lib.otlp_json import base64_id, request_spans

    req = ExportTraceServiceRequest()
    span = req.resource_spans.add().scope_spans.add().spans.add()
    span.trace_id, span.span_id, span.parent_span_id = bytes(range(16)), b"\x01" * 8, b"\x02" * 8
    span.name, span.kind = "tool.invoke", 1
    span.status.code = 2
    span.attributes.add(key="n").value.int_value = 7
    link = span.links.add()
    link.trace_id, link.span_id = b"\xaa" * 16, b"\xbb" * 8
    (got,) = request_spans(MessageToDict(req), decode_id=base64_id)
    assert got["traceId"] == bytes(range(16)).hex()
    assert (got["spanId"], got["parentSpanId"]) == ("01" * 8, "02" * 8)
    assert (got["kind"], got["status"]["code"], got["attributes"]) == ("INTERNAL", "ERROR", {"n": 7})
    assert got["links"] == [{"traceId": "aa" * 16, "spanId": "bb" * 8, "attributes": {}}]
