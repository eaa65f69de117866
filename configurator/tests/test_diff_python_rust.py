"""`mcpparity diff` as the operator runs it: the Python runtime's dump (A) against the Rust path's (B) of the same call.

A: the real oracle capture (tests/oracle/tools-call/<case>.json). B: what the built collector
exported when the Rust emitter replayed the same call (tests/data/rust_path, see its README).
Deviations are judged by mcpparity.deviations, the copy the parity suites build their expectation from.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ORACLE
from mcpparity import deviations as dev
from mcpparity.cli import main
from mcpparity.spandiff import compare, parse_spans

RUST_PATH = Path(__file__).resolve().parent / "data" / "rust_path"
FLAGS = ["--scope", "mcp-gateway", "--only-traces-with", "tool.invoke"]
# case -> the deviations its Python and Rust dumps must differ by (tests/lib/expected.py applies the same ones)
CASES = {
    "c_exception_langfuse_attrs": {"D1", "D2"},
    "f_mcp_upstream_jsonrpc_error": {"D1", "D2", "D5"},
    "b_secrets_capture_mcp": {"D3", "D4", "D6"},
}


def pair(case: str) -> tuple[Path, Path]:
    python, rust = ORACLE / f"{case}.json", RUST_PATH / f"{case}.json"
    for path in (python, rust):
        assert path.is_file(), f"{path} is missing from the checkout"
    return python, rust


def run_diff(*args: str):
    return CliRunner().invoke(main, ["diff", *args])


def listed(stdout: str) -> set[str]:
    return set(re.findall(r"^  (D[1-9]) ", stdout, flags=re.M))


@pytest.mark.parametrize("case", sorted(CASES))
def test_python_and_rust_dumps_of_one_call_are_the_same_with_the_deviations_listed(case: str) -> None:
    python, rust = pair(case)
    result = run_diff(*FLAGS, str(python), str(rust))
    assert result.exit_code == 0, result.output
    assert "A=" not in result.stdout  # no difference line
    assert listed(result.stdout) == CASES[case]
    assert "values not compared (presence and type are): duration.ms (measured time), correlation_id" in result.stdout
    assert "have the same span trees" in result.stderr


@pytest.mark.parametrize("case", sorted(CASES))
def test_strict_reports_each_deviation_as_a_difference(case: str) -> None:
    python, rust = pair(case)
    result = run_diff("--strict", *FLAGS, str(python), str(rust))
    assert result.exit_code == 1
    assert listed(result.stdout) == set()
    fields = set(re.findall(r"^[^:\n]+: ([a-z.]+(?:\.[a-z_.]+)?):", result.stdout, flags=re.M))
    want = {"D1": "status.message", "D2": "events.count", "D5": "attributes.contextforge.runtime",
            "D3": "attributes.langfuse.observation.output", "D4": "attributes.langfuse.observation.output", "D6": "span"}
    assert {want[d] for d in CASES[case]} <= fields, result.stdout


def tampered(tmp_path: Path, case: str, edit) -> Path:
    """The Rust dump with one span attribute (OTLP JSON) changed by edit(span) -> None."""
    _, rust = pair(case)
    lines = []
    for line in rust.read_text().splitlines():
        doc = json.loads(line)
        for rs in doc["resourceSpans"]:
            for ss in rs["scopeSpans"]:
                for span in ss["spans"]:
                    edit(span)
        lines.append(json.dumps(doc))
    out = tmp_path / f"{case}.tampered.json"
    out.write_text("\n".join(lines) + "\n")
    return out


def set_attribute(span_name: str, key: str, value: dict):
    def edit(span: dict) -> None:
        if span["name"] == span_name:
            found = [kv for kv in span["attributes"] if kv["key"] == key]
            assert found, f"{span_name} has no {key}"
            found[0]["value"] = value
    return edit


@pytest.mark.parametrize("case,span,key,value", [
    ("c_exception_langfuse_attrs", "tool.invoke", "tool.name", {"stringValue": "other-tool"}),
    ("c_exception_langfuse_attrs", "tool.gateway_call", "error.message", {"stringValue": "All connection attempts failed!"}),
    ("f_mcp_upstream_jsonrpc_error", "mcp.client.request", "contextforge.runtime", {"stringValue": "go"}),
    ("b_secrets_capture_mcp", "tool.invoke", "arguments_count", {"stringValue": "1"}),
])
def test_a_tampered_attribute_is_a_difference(tmp_path: Path, case: str, span: str, key: str, value: dict) -> None:
    python, _ = pair(case)
    result = run_diff(*FLAGS, str(python), str(tampered(tmp_path, case, set_attribute(span, key, value))))
    assert result.exit_code == 1, result.output
    assert re.search(rf"^[^\n]*{re.escape(span)}: attributes\.{re.escape(key)}: ", result.stdout, flags=re.M), result.stdout


def test_a_deviation_never_hides_a_real_difference_in_the_same_field(tmp_path: Path) -> None:
    python, _ = pair("c_exception_langfuse_attrs")

    def status(span: dict) -> None:  # D1 allows exactly the sanitized error.message, nothing else
        if span["name"] == "tool.invoke":
            span["status"]["message"] = "Tool invocation failed"
    result = run_diff(*FLAGS, str(python), str(tampered(tmp_path, "c_exception_langfuse_attrs", status)))
    assert result.exit_code == 1 and "tool.invoke: status.message:" in result.stdout

    python, _ = pair("b_secrets_capture_mcp")

    def payload(span: dict) -> None:  # D3/D4 allow masking and the second pass's escapes, not a changed word
        for kv in span["attributes"]:
            if kv["key"] == dev.OUTPUT_KEY:
                kv["value"]["stringValue"] = kv["value"]["stringValue"].replace("example.com", "example.org")
    result = run_diff(*FLAGS, str(python), str(tampered(tmp_path, "b_secrets_capture_mcp", payload)))
    assert result.exit_code == 1 and f"tool.invoke: attributes.{dev.OUTPUT_KEY}:" in result.stdout


def test_json_lists_differences_deviations_and_what_is_not_compared() -> None:
    python, rust = pair("f_mcp_upstream_jsonrpc_error")
    result = run_diff(*FLAGS, "--json", str(python), str(rust))
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["same"] is True and doc["differences"] == []
    assert {d["deviation"] for d in doc["deviations"]} == {"D1", "D2", "D5"}
    assert doc["not_compared"] == dev.GENERATED_VALUES
    assert {"path": "POST /rpc > tool.invoke > tool.gateway_call > mcp.client.call", "field": "attributes.contextforge.runtime",
            "deviation": "D5", "python": dev.DEVIATIONS["D5"].python, "rust": "rust"} in doc["deviations"]


# ---------------------------------------------------------------- D6–D9 on spans the families produce

def span(name: str, attributes: dict, span_id: str = "1", parent: str = "", kind: str = "INTERNAL") -> dict:
    return {"name": name, "kind": kind, "traceId": "t", "spanId": span_id, "parentSpanId": parent,
            "status": {"code": "OK"}, "attributes": attributes, "events": []}


def judge(a: list[dict], b: list[dict], **kw):
    return compare(parse_spans(json.dumps(a)), parse_spans(json.dumps(b)), **kw)


def test_d9_user_follows_the_identity_switch() -> None:
    python = [span("POST /rpc", {}, "r", kind="SERVER"), span("resource.read", {"resource.uri": "x://a", "user": "a@example.com"}, "1", "r")]
    rust = [span("POST /rpc", {}, "r", kind="SERVER"), span("resource.read", {"resource.uri": "x://a"}, "1", "r")]
    result = judge(python, rust)
    assert result.same and [u.deviation for u in result.deviations] == ["D9"]
    # with identity on (user.email present) the Rust path must keep `user`
    python[1]["attributes"]["user.email"] = rust[1]["attributes"]["user.email"] = "a@example.com"
    assert [d.field for d in judge(python, rust).differences] == ["attributes.user"]


def test_d8_resource_uri_masks_values_and_nothing_else() -> None:
    assert dev.d8_masked("config://vault/db/password=hunter2&mode=ro", "config://vault/db/password=***&mode=ro")
    assert not dev.d8_masked("config://vault/db/password=hunter2&mode=ro", "config://vault/db/password=***&mode=rw")
    assert not dev.d8_masked("config://vault/db/password=hunter2", "config://vault/db/password=hunter2")
    python = [span("resource.read", {"resource.uri": "config://vault/db/password=hunter2&mode=ro"})]
    rust = [span("resource.read", {"resource.uri": "config://vault/db/password=***&mode=ro"})]
    assert [u.deviation for u in judge(python, rust).deviations] == ["D8"]
    assert not judge(python, rust, deviations=False).same


def test_d10_url_values_masked_by_the_text_rules_too() -> None:
    python = [span("POST /rpc", {"url.path": "/rpc password=hunter2"}, "r", kind="SERVER")]
    rust = [span("POST /rpc", {"url.path": "/rpc password=***"}, "r", kind="SERVER")]
    assert [u.deviation for u in judge(python, rust).deviations] == ["D10"]
    # anything else changed in the same value is a difference, and a non-URL key is never D10
    assert not judge(python, [span("POST /rpc", {"url.path": "/rpd password=***"}, "r", kind="SERVER")]).same
    assert not judge([span("x", {"note": "password=hunter2"})], [span("x", {"note": "password=***"})]).same


def test_d7_big_integers_stay_exact() -> None:
    big = 2**70
    python = json.dumps({"n": float(big), "m": 1}, separators=(",", ":"))
    rust = json.dumps({"n": big, "m": 1}, separators=(",", ":"))
    assert dev.explain_payload(python, rust, ()) == ["D7"]
    assert dev.explain_payload(python.replace('"m":1', '"m":2'), rust, ()) is None
    small = json.dumps({"n": 5.0}), json.dumps({"n": 5})  # within 64 bits a float is a real difference
    assert dev.explain_payload(*small, ()) is None


def test_d6_only_inside_an_mcp_tools_call_trace() -> None:
    def trace(root: str, with_list: bool) -> list[dict]:
        spans = [span(root, {}, "r", kind="SERVER"), span("tool.invoke", {}, "i", "r")]
        return spans + ([span("tool.list", {}, "l", "r")] if with_list else [])
    result = judge(trace("POST /mcp", True), trace("POST /mcp", False))
    assert result.same and [(u.deviation, u.path) for u in result.deviations] == [("D6", "POST /mcp > tool.list")]
    assert [d.path for d in judge(trace("POST /rpc", True), trace("POST /rpc", False)).differences] == ["POST /rpc > tool.list"]


def test_d3_truncated_payload_judged_by_its_preview() -> None:
    def wrapper(size: int, preview: str) -> str:
        return json.dumps({"_truncated": True, "_original_size": size, "_preview": preview}, separators=(",", ":"))
    text = '{"echo":{"password":"hunter2","blob":"xx'
    assert dev.explain_payload(wrapper(100, text), wrapper(96, text.replace("hunter2", "***")), ["password"]) == ["D3"]
    # the masked secret lies beyond the preview: only _original_size shows it
    assert dev.explain_payload(wrapper(100, '{"blob":"xx'), wrapper(96, '{"blob":"xx'), ["password"]) == ["D3"]
    # a secret the Rust path left in clear is not D3
    assert dev.explain_payload(wrapper(100, text), wrapper(96, text), ["password"]) is None
    assert dev.explain_payload(wrapper(100, text), wrapper(100, text.replace("xx", "yy")), ["password"]) is None


def test_redact_fields_come_from_the_gateway_env_file(tmp_path: Path, write_env) -> None:
    python, rust = pair("b_secrets_capture_mcp")
    # with `password`/`api_key` not redact fields, the Rust masks are no longer D3: a real difference
    narrow = write_env("OTEL_REDACT_FIELDS=token\n")
    result = run_diff(*FLAGS, "--env-file", str(narrow), str(python), str(rust))
    assert result.exit_code == 1 and f"tool.invoke: attributes.{dev.OUTPUT_KEY}:" in result.stdout
    default = write_env("OTEL_SERVICE_NAME=mcp-gateway\n", "default.env")
    result = run_diff(*FLAGS, "--env-file", str(default), str(python), str(rust))
    assert result.exit_code == 0 and listed(result.stdout) == CASES["b_secrets_capture_mcp"]
    assert run_diff(*FLAGS, "--env-file", str(default), "--redact-field", "x", str(python), str(rust)).exit_code == 2
