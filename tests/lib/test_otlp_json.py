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
