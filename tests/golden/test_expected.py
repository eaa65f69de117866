"""The expectation side: tests/lib/expected.py against the real captures, and the committed golden files."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from lib import expected as ex  # noqa: E402
from lib.gateway_settings import trace_settings  # noqa: E402
from lib.oracle_data import tools_call_capture, tools_call_captures  # noqa: E402

CASES = REPO / "tests" / "parity" / "cases"
GOLDEN = REPO / "processor" / "mcpparityprocessor" / "testdata" / "golden"
SECRETS = ("hunter2", "abc123", "sekrit-bearer", "k-123", "zzz", "u:p@")
CASE_NAMES = sorted(p.stem for p in CASES.glob("*.json"))


def capture(case: str) -> dict:
    return ex.load_capture(tools_call_capture(case))


def facts(case: str) -> dict:
    return json.loads((CASES / f"{case}.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def all_expected() -> dict:
    return {case: ex.expected_call(capture(case), facts(case)) for case in CASE_NAMES}


def test_nineteen_cases():
    assert len(CASE_NAMES) == 19


def test_one_root_and_only_contract_names(all_expected):
    for case, call in all_expected.items():
        roots = [s for s in call.spans if not isinstance(s["parent"], int)]
        assert len(roots) == 1 and roots[0]["kind"] == "SERVER", case
        for span in call.spans:
            assert span["name"] not in ex.OUTSIDE_CONTRACT_V1, case
            assert span["kind"] == "SERVER" or span["name"] in ex.CONTRACT_V1_NAMES, case


def test_framework_spans_removed_and_children_reparented():
    call = ex.expected_call(capture("a_success_rpc"), facts("a_success_rpc"))
    names = [s["name"] for s in call.spans]
    assert names == ["POST /rpc", "tool.invoke", "tool.lookup", "tool.gateway_call", "tool.post_process"]
    assert call.spans[1]["parent"] == 0  # was fastapi.endpoint
    assert [call.spans[i]["parent"] for i in (2, 3, 4)] == [1, 1, 1]


def test_tool_list_and_mcp_side_traces_removed():
    call = ex.expected_call(capture("a_success_mcp"), facts("a_success_mcp"))
    assert [s["name"] for s in call.spans] == ["POST /mcp", "tool.invoke", "tool.lookup", "tool.gateway_call", "tool.post_process"]


def test_tool_not_found_is_only_the_root():
    call = ex.expected_call(capture("c_tool_not_found"), facts("c_tool_not_found"))
    assert [s["name"] for s in call.spans] == ["POST /rpc"]


def test_incoming_traceparent_root_has_a_remote_parent():
    call = ex.expected_call(capture("a_success_rpc_incoming_traceparent"), facts("a_success_rpc_incoming_traceparent"))
    assert call.spans[0]["parent"] == "remote"


def test_d1_status_description_is_the_sanitized_message(all_expected):
    call = all_expected["f_mcp_upstream_jsonrpc_error"]
    assert {c.span_name for c in call.deviations["D1"]} == {"tool.invoke", "tool.gateway_call", "mcp.client.call", "mcp.client.request"}
    for span in call.spans:
        if span["status"]["code"] == "ERROR":
            assert span["status"]["message"] == span["attributes"]["error.message"]
    invoke = next(c for c in call.deviations["D1"] if c.span_name == "tool.invoke")
    assert invoke.oracle.startswith("ToolInvocationError: ") and "hunter2" in invoke.oracle
    assert "hunter2" not in invoke.ours


def test_d2_only_the_sdk_exception_event_is_dropped(all_expected):
    call = all_expected["c_exception_connect_refused"]
    assert len(call.deviations["D2"]) == 2
    for span in call.spans:
        if span["status"]["code"] == "ERROR":
            assert [e["name"] for e in span["events"]] == ["exception"]
            assert span["events"][0]["attributes"]["exception.escaped"] is True
            assert ex.SDK_EXCEPTION_EVENT_MARKER not in span["events"][0]["attributes"]


def test_d3_d4_payloads(all_expected):
    call = all_expected["b_secrets_capture"]
    output = call.spans[1]["attributes"][ex.OUTPUT_KEY]
    parsed = json.loads(output)  # D4: valid JSON
    text = parsed["content"][0]["text"]
    assert '"password": "***"' in text and '"api_key": "***"' in text  # D3
    assert [c.deviation for c in call.deviations["D4"]] == ["D4"] and "%5C" in call.deviations["D4"][0].oracle
    assert "hunter2" in call.deviations["D3"][0].oracle and "hunter2" not in call.deviations["D3"][0].ours
    # the input was already clean in Python: neither D changes it
    assert all(c.field.endswith(ex.OUTPUT_KEY) for c in call.deviations["D3"] + call.deviations["D4"])


def test_d3_changes_the_truncated_output_size(all_expected):
    call = all_expected["d_large_payload_default_32768"]
    output = json.loads(call.spans[1]["attributes"][ex.OUTPUT_KEY])
    assert output["_truncated"] is True and len(call.spans[1]["attributes"][ex.OUTPUT_KEY]) == 32767
    # D3 runs before serialization: the echoed "password": "hunter2" (past the preview) shrinks the size
    (change,) = call.deviations["D3"]
    assert json.loads(change.oracle)["_original_size"] == 40232 and output["_original_size"] == 40228


def test_d5_runtime_is_rust_on_mcp_client_spans(all_expected):
    call = all_expected["f_mcp_upstream_success"]
    assert len(call.deviations["D5"]) == 4
    for span in call.spans:
        if span["name"].startswith("mcp.client."):
            assert span["attributes"]["contextforge.runtime"] == "rust"


def test_mask_json_quoted_secrets_forms():
    fields = ("password", "api_key")
    assert ex.mask_json_quoted_secrets('{"password": "hunter2", "q": "x"}', fields) == '{"password": "***", "q": "x"}'
    assert ex.mask_json_quoted_secrets('{\\"Api-Key\\":\\"k-123\\"}', fields) == '{\\"Api-Key\\":\\"***\\"}'
    assert ex.mask_json_quoted_secrets('{"user_password": "keep"}', fields) == '{"user_password": "keep"}'
    payload = {"note": '{"password": "x"}', "callback_url": '{"password": "x"}', "items": ['{"api_key": "k"}']}
    assert ex.mask_json_quoted_secrets_in(payload, fields) == {
        "note": '{"password": "***"}', "callback_url": '{"password": "x"}', "items": ['{"api_key": "***"}'],
    }


def test_settings_from_env():
    s = trace_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h/api/public/otel/v1/traces",
                        "LANGFUSE_PUBLIC_KEY": "pk-lf-a", "LANGFUSE_SECRET_KEY": "sk-lf-b"})
    assert s.langfuse_attributes and s.identity_attributes
    s = trace_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h/v1/traces", "OTEL_EMIT_LANGFUSE_ATTRIBUTES": "true", "OTEL_CAPTURE_IDENTITY_ATTRIBUTES": "false"})
    assert s.langfuse_attributes and not s.identity_attributes
    assert trace_settings({"OTEL_REDACT_FIELDS": ""}).redact_fields[-1] == "session_token"
    assert trace_settings({"OTEL_REDACT_FIELDS": "query, password"}).redact_fields == ("query", "password")
    with pytest.raises(ValueError, match="OTEL_MAX_TRACE_PAYLOAD_SIZE"):
        trace_settings({"OTEL_MAX_TRACE_PAYLOAD_SIZE": "100"})
    # One parser (mcpparity.settings), the gateway's rules: no stripping of a bool, "" is not "auto",
    # and a Langfuse endpoint without credentials is refused as the gateway refuses to start.
    for env, setting in (({"OTEL_EMIT_LANGFUSE_ATTRIBUTES": " true "}, "OTEL_EMIT_LANGFUSE_ATTRIBUTES"),
                         ({"OTEL_EMIT_LANGFUSE_ATTRIBUTES": ""}, "OTEL_EMIT_LANGFUSE_ATTRIBUTES"),
                         ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h/api/public/otel/v1/traces"}, "LANGFUSE_OTEL_AUTH")):
        with pytest.raises(ValueError, match=setting):
            trace_settings(env)
    assert trace_settings({"otel_capture_input_spans": "tool.invoke"}).capture_input_spans == ("tool.invoke",)


def test_committed_golden_files_are_current_and_secret_free():
    sys.path.insert(0, str(REPO / "tests" / "golden"))
    import make_golden  # noqa: PLC0415

    assert make_golden.main(["--check"]) == 0
    for path in GOLDEN.glob("*/expected.json"):
        text = path.read_text(encoding="utf-8")
        for secret in SECRETS:
            assert secret not in text, f"{path}: {secret}"


def test_d6_drops_the_tool_list_cache_fill_of_mcp_tools_call():
    """D6: the /mcp tools/call captures hold the SDK's tool.list; the expectation names it as D6."""
    mcp_cases = [p for p in tools_call_captures() if p.stem.endswith("_mcp")]
    assert mcp_cases
    seen = 0
    for path in mcp_cases:
        capture = ex.load_capture(path)
        traces = set(ex.call_trace_ids(capture))
        call = ex.expected_call(capture, json.loads((CASES / f"{path.stem}.json").read_text()))
        fills = [s for s in capture["spans"] if s["traceId"] in traces and s["scope"]["name"] == ex.GATEWAY_SCOPE and s["name"] == "tool.list"]
        assert [c.span_name for c in call.deviations["D6"]] == ["tool.list"] * len(fills), path.stem
        assert all(s["name"] != "tool.list" for s in call.spans), path.stem
        assert all(not isinstance(s["parent"], int) or s["parent"] < len(call.spans) for s in call.spans)
        seen += len(fills)
    assert seen, "no /mcp tools/call capture has the cache-fill tool.list (D6 would be untested)"
