"""`mcpparity diff`: span dumps compared as trees, on the real oracle captures and on OTLP JSON."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ORACLE
from golden_util import assert_golden
from mcpparity.cli import main
from mcpparity.spandiff import SpanDumpError, diff_spans, load_spans, parse_spans


def capture(name: str) -> dict:
    path = ORACLE / f"{name}.json"
    if not path.is_file():
        pytest.fail(f"{path} is missing from the checkout")
    return json.loads(path.read_text())


def _otlp_value(value):
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [_otlp_value(v) for v in value]}}
    return {"stringValue": value}


def to_file_exporter_lines(spans: list[dict]) -> str:
    """The capture's spans as the file exporter writes them: one ExportTraceServiceRequest per line, ints for enums."""
    kinds = {"INTERNAL": 1, "SERVER": 2, "CLIENT": 3}
    codes = {"UNSET": 0, "OK": 1, "ERROR": 2}
    lines = []
    for span in reversed(spans):  # a different order than the capture: matching must not depend on it
        otlp = {
            "traceId": span["traceId"], "spanId": span["spanId"], "parentSpanId": span.get("parentSpanId") or "",
            "name": span["name"], "kind": kinds[span["kind"]], "startTimeUnixNano": str(span["startTimeUnixNano"]),
            "attributes": [{"key": k, "value": _otlp_value(v)} for k, v in span["attributes"].items()],
            "events": [{"name": e["name"], "attributes": [{"key": k, "value": _otlp_value(v)} for k, v in e["attributes"].items()]} for e in span["events"]],
            "status": {k: v for k, v in (("code", codes[span["status"]["code"]]), ("message", span["status"]["message"])) if v},
        }
        lines.append(json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": span["scope"]["name"]}, "spans": [otlp]}]}]}))
    return "\n".join(lines) + "\n"


def test_a_capture_equals_itself_in_both_formats(tmp_path: Path) -> None:
    data = capture("f_mcp_upstream_jsonrpc_error")
    otlp = tmp_path / "out.json"
    otlp.write_text(to_file_exporter_lines(data["spans"]))
    assert diff_spans(load_spans(ORACLE / "f_mcp_upstream_jsonrpc_error.json"), load_spans(otlp)) == []


def test_two_runs_of_the_same_case_differ_only_in_ids_and_times() -> None:
    a = parse_spans(json.dumps(capture("c_http500")))
    b = parse_spans(json.dumps(capture("c_http500")))
    for span in b:
        span.span_id, span.start = "x" + span.span_id, span.start + 5
        span.parent_id = "x" + span.parent_id if span.parent_id else ""
    assert diff_spans(a, b, ignore_keys=("duration.ms",)) == []


def test_attribute_value_and_type_differences_are_reported_with_the_span_path() -> None:
    data = capture("c_exception_connect_refused")
    changed = copy.deepcopy(data)
    invoke = next(s for s in changed["spans"] if s["name"] == "tool.invoke")
    invoke["attributes"]["arguments_count"] = str(invoke["attributes"]["arguments_count"])
    invoke["attributes"]["error.message"] = "changed"
    gateway_call = next(s for s in changed["spans"] if s["name"] == "tool.gateway_call")
    gateway_call["events"] = gateway_call["events"][:1]
    diffs = diff_spans(parse_spans(json.dumps(data)), parse_spans(json.dumps(changed)), scope="mcp-gateway")
    got = [(d.path, d.field, d.a_type, d.b_type) for d in diffs]
    assert got == [
        ("POST /rpc > tool.invoke", "attributes.arguments_count", "int", "string"),
        ("POST /rpc > tool.invoke", "attributes.error.message", "string", "string"),
        ("POST /rpc > tool.invoke > tool.gateway_call", "events.count", None, None),
    ]


def test_scope_filter_reparents_children_of_framework_spans() -> None:
    data = capture("a_success_rpc")
    spans = parse_spans(json.dumps(data))
    assert any(s.scope == "fastapi" for s in spans)
    from mcpparity.spandiff import build_forest
    roots = build_forest(spans, scope="mcp-gateway")
    root = next(r for r in roots if r.name == "POST /rpc")
    assert [c.name for c in root.children] == ["tool.invoke"]
    assert sorted(c.name for c in root.children[0].children) == ["tool.gateway_call", "tool.lookup", "tool.post_process"]


def test_missing_and_extra_spans_and_ignore_span(tmp_path: Path) -> None:
    data = capture("a_success_rpc")
    fewer = copy.deepcopy(data)
    fewer["spans"] = [s for s in fewer["spans"] if s["name"] != "tool.post_process"]
    diffs = diff_spans(parse_spans(json.dumps(data)), parse_spans(json.dumps(fewer)), scope="mcp-gateway")
    assert [(d.path, d.field, d.a, d.b_type) for d in diffs] == [("POST /rpc > tool.invoke > tool.post_process", "span", "present", "absent")]
    assert diff_spans(parse_spans(json.dumps(data)), parse_spans(json.dumps(fewer)), scope="mcp-gateway", ignore_spans=["tool.post_process"]) == []


def test_same_named_siblings_are_matched_in_start_order() -> None:
    def span(span_id, start, value, parent=""):
        return {"name": "child" if parent else "root", "kind": "INTERNAL", "spanId": span_id, "parentSpanId": parent,
                "startTimeUnixNano": start, "status": {"code": "OK"}, "attributes": {"v": value}, "events": []}
    a = [span("r", 0, 0), span("c1", 1, "first", "r"), span("c2", 2, "second", "r")]
    b = [span("r", 0, 0), span("d2", 2, "second", "r"), span("d1", 1, "FIRST", "r")]
    diffs = diff_spans(parse_spans(json.dumps(a)), parse_spans(json.dumps(b)))
    assert [(d.path, d.field, d.a, d.b) for d in diffs] == [("root > child", "attributes.v", "first", "FIRST")]


def test_bad_inputs_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(SpanDumpError, match="line 2 is not JSON"):
        parse_spans('{"resourceSpans": []}\nnot json\n')
    with pytest.raises(SpanDumpError, match="neither OTLP JSON"):
        parse_spans('{"something": 1}')
    with pytest.raises(SpanDumpError, match="no such file|No such file"):
        load_spans(tmp_path / "absent.json")


def test_cli_exit_codes_and_json_golden(tmp_path: Path) -> None:
    data = capture("c_exception_langfuse_attrs")
    changed = copy.deepcopy(data)
    invoke = next(s for s in changed["spans"] if s["name"] == "tool.invoke")
    invoke["status"]["message"] = "ToolInvocationError: sanitized"
    invoke["attributes"].pop("langfuse.observation.level")
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    a.write_text(json.dumps(data))
    b.write_text(json.dumps(changed))
    runner = CliRunner()
    same = runner.invoke(main, ["diff", str(a), str(a)])
    assert same.exit_code == 0 and "A=" not in same.stdout and "values not compared" in same.stdout
    different = runner.invoke(main, ["diff", str(a), str(b), "--scope", "mcp-gateway", "--json", "--ignore-key", "correlation_id"])
    assert different.exit_code == 1
    assert_golden("diff_c_exception_langfuse_attrs.json", different.stdout)
    text = runner.invoke(main, ["diff", str(a), str(b), "--scope", "mcp-gateway"])
    assert "POST /rpc > tool.invoke: attributes.langfuse.observation.level: A=\"ERROR\" (string) B=(absent)" in text.stdout
    assert runner.invoke(main, ["diff", str(a), str(tmp_path / "absent.json")]).exit_code == 2


def test_family_spans_are_compared_as_trees() -> None:
    """`mcpparity diff` on the family spans (contract v1.1): the nested resource_template.list under
    resource.read, content.size as an int, a missing user (D9's difference from Python)."""
    path = ORACLE.parent / "families" / "g_lf_srv_resources_read_template_unresolved.json"
    data = json.loads(path.read_text())
    data["spans"] = [s for s in data["spans"] if s["traceId"] in set(data["method_trace_ids"])]
    changed = copy.deepcopy(data)
    read = next(s for s in changed["spans"] if s["name"] == "resource.read")
    read["attributes"]["content.size"] = float(read["attributes"]["content.size"])
    del read["attributes"]["user"]
    lookup = next(s for s in changed["spans"] if s["name"] == "resource_template.list")
    lookup["attributes"]["tags.count"] = 1
    diffs = diff_spans(parse_spans(json.dumps(data)), parse_spans(json.dumps(changed)), scope="mcp-gateway")
    root = next(s["name"] for s in data["spans"] if s["kind"] == "SERVER" and s["scope"]["name"] == "mcp-gateway")
    got = sorted((d.path, d.field, d.a_type, d.b_type) for d in diffs)
    assert got == sorted([
        (f"{root} > resource.read", "attributes.content.size", "int", "double"),
        (f"{root} > resource.read", "attributes.user", "string", "absent"),
        (f"{root} > resource.read > resource_template.list", "attributes.tags.count", "int", "int"),
    ])
