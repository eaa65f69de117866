"""The parity runner's own checks: an export equal to the expectation passes, each kind of violation fails.

The exports here are the expected spans of real cases rendered as the collector's file exporter writes
them (OTLP JSON lines), so these tests exercise run_parity's reading, comparing (via the configurator's
spandiff) and its D1–D5 / no-secret assertions without starting a collector.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

import run_parity as rp
from lib.otlp_json import read_exported  # run_parity put tests/ on sys.path

CASES = rp.CASES_DIR


def otlp_value(v):
    if isinstance(v, bool):
        return {"boolValue": v}
    if isinstance(v, int):
        return {"intValue": str(v)}
    if isinstance(v, float):
        return {"doubleValue": v}
    if isinstance(v, list):
        return {"arrayValue": {"values": [otlp_value(x) for x in v]}}
    return {"stringValue": v}


def render(spans: list[dict], traceparent: str | None = None) -> str:
    """Expected-format spans as one file-exporter line (numbers for enums, hex ids)."""
    trace_id, remote_parent = ("ab" * 16, None)
    if traceparent:
        _, trace_id, remote_parent, _ = traceparent.split("-")
    out = []
    for i, s in enumerate(spans):
        parent = s["parent"]
        out.append({
            "traceId": trace_id, "spanId": f"{i + 1:016x}",
            "parentSpanId": f"{parent + 1:016x}" if isinstance(parent, int) else (remote_parent or ""),
            "name": s["name"], "kind": {"SERVER": 2, "INTERNAL": 1}[s["kind"]],
            "startTimeUnixNano": str(1000 + i), "endTimeUnixNano": str(2000 + i),
            "attributes": [{"key": k, "value": otlp_value(v)} for k, v in s["attributes"].items()],
            "events": [{"name": e["name"], "attributes": [{"key": k, "value": otlp_value(v)} for k, v in e["attributes"].items()]} for e in s["events"]],
            "status": {k: v for k, v in {"code": {"OK": 1, "ERROR": 2, "UNSET": 0}[s["status"]["code"]], "message": s["status"]["message"]}.items() if v},
        })
    return json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {"name": "mcp-gateway"}, "spans": out}]}]}) + "\n"


def evaluate(case: str, mutate=None) -> list[str]:
    """What run_case checks after the export, on a rendered expectation (optionally mutated)."""
    facts = json.loads((CASES / f"{case}.json").read_text())
    expected = rp.expected_call(rp.load_capture(rp.ORACLE_DIR / f"{case}.json"), facts)
    spans = copy.deepcopy(expected.spans)
    if mutate:
        mutate(spans)
    raw = render(spans, facts["request"]["headers"].get("traceparent"))
    path = Path(__file__).parent / ".test-export.json"
    try:
        path.write_text(raw)
        exported = read_exported(path)
    finally:
        path.unlink(missing_ok=True)
    rp.check_no_secret(raw, facts)
    differences = rp.diff(rp.expected_as_capture(expected), raw, sorted(expected.ignored_values))
    if differences:
        raise rp.CaseFailure(differences[0])
    rp.check_ignored_values(expected, exported)
    rp.check_trace_context(exported, facts)
    return rp.check_deviations(expected, exported, facts)


@pytest.mark.parametrize("case", [p.stem for p in sorted(CASES.glob("*.json"))])
def test_the_expectation_itself_passes(case):
    asserted = evaluate(case)
    facts = json.loads((CASES / f"{case}.json").read_text())
    if facts["outcome"]["errors"]:
        assert {"D1", "D2"} <= set(asserted)
    if facts["tool"].get("upstream"):
        assert "D5" in asserted


def span(spans, name):
    return next(s for s in spans if s["name"] == name)


def test_a_raw_status_description_fails_d1():
    def raw_status(spans):
        s = span(spans, "tool.invoke")
        s["status"]["message"] = "ToolInvocationError: Tool invocation failed: upstream failure: password=hunter2"
    with pytest.raises(rp.CaseFailure, match="status.message|D1|secret"):
        evaluate("f_mcp_upstream_jsonrpc_error", raw_status)


def test_an_sdk_exception_event_fails():
    def add_sdk_event(spans):
        span(spans, "tool.gateway_call")["events"].append(
            {"name": "exception", "attributes": {"exception.type": "httpx.ConnectError", "exception.message": "All connection attempts failed", "exception.stacktrace": "Traceback …"}})
    with pytest.raises(rp.CaseFailure, match="events"):
        evaluate("c_exception_connect_refused", add_sdk_event)


def test_a_json_quoted_secret_in_a_payload_fails():
    def leak(spans):
        s = span(spans, "tool.invoke")
        s["attributes"]["langfuse.observation.output"] = s["attributes"]["langfuse.observation.output"].replace('\\"password\\": \\"***\\"', '\\"password\\": \\"hunter2\\"')
    with pytest.raises(rp.CaseFailure, match="hunter2"):
        evaluate("b_secrets_capture", leak)


def test_python_runtime_label_on_mcp_client_spans_fails():
    def python_runtime(spans):
        span(spans, "mcp.client.request")["attributes"]["contextforge.runtime"] = "python"
    with pytest.raises(rp.CaseFailure, match="contextforge.runtime"):
        evaluate("f_mcp_upstream_success", python_runtime)


def test_a_missing_span_fails():
    with pytest.raises(rp.CaseFailure, match="tool.post_process"):
        evaluate("a_success_rpc", lambda spans: spans.pop())


def test_a_root_outside_the_incoming_trace_fails(monkeypatch):
    original = rp.check_trace_context

    def lost_parent(exported, facts):
        for s in exported:
            if s["kind"] == "SERVER":
                s["parentSpanId"] = None
        return original(exported, facts)

    monkeypatch.setattr(rp, "check_trace_context", lost_parent)
    with pytest.raises(rp.CaseFailure, match="traceparent"):
        evaluate("a_success_rpc_incoming_traceparent")


def test_every_input_secret_is_looked_for():
    facts = json.loads((CASES / "f_mcp_upstream_jsonrpc_error.json").read_text())
    assert {"hunter2", "abc123", "sekrit-bearer", "zzz", "u:p"} <= rp.input_secrets(facts)
    facts = json.loads((CASES / "e_langfuse_endpoint_success.json").read_text())
    assert "sk-lf-capture" in rp.input_secrets(facts)
