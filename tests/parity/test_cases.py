"""The parity facts files (tests/parity/cases/*.json) are well-formed and agree with their oracle captures.

Where a capture shows a fact only after the gateway processed it (payload captures, sanitized error
messages), the fact is pushed through the pinned gateway's own helpers (oracle_derive.py) and must
reproduce the captured attribute exactly: that proves the facts are the inputs the oracle saw.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from lib.oracle_data import TOOLS_CALL_CAPTURES
from oracle_derive import derive

HERE = Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
ORACLE_DIR = TOOLS_CALL_CAPTURES
CASE_FILES = sorted(CASES_DIR.glob("*.json"))
HEX32 = re.compile(r"^[0-9a-f]{32}$")
ERROR_OPS = {"tool.invoke", "tool.gateway_call", "mcp.client.call", "mcp.client.request"}
# docs/facts-format.md: keys not listed there are an error for raw-span-replay.
FACTS_KEYS = {
    "": {"facts_version", "case", "description", "env", "request", "identity", "tool", "call", "outcome"},
    "request": {"method", "path", "query", "http_version", "server_address", "server_port", "client_address", "client_port",
                "user_agent", "headers", "correlation_id", "status_code"},
    "identity": {"auth_method", "user_email", "is_admin", "team_name", "team_ids"},
    "tool": {"name", "id", "integration_type", "gateway_id", "server_id", "upstream"},
    "tool.upstream": {"tool_name", "transport", "url"},
    "call": {"jsonrpc_id", "arguments"},
    "outcome": {"found", "result", "errors"},
}


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def capture_of(facts: dict) -> dict:
    return load(ORACLE_DIR / f"{facts['case']}.json")


def gateway_span(capture: dict, name: str) -> dict | None:
    traces = set(capture["tool_invoke_trace_ids"])
    found = [s for s in capture["spans"] if s["scope"].get("name") == "mcp-gateway" and s["name"] == name and (not traces or s["traceId"] in traces)]
    assert len(found) <= 1, f"{name} appears {len(found)} times"
    return found[0] if found else None


@pytest.fixture(scope="module")
def derived() -> dict:
    return derive(CASE_FILES)


def test_one_facts_file_per_oracle_capture():
    captures = sorted(p.stem for p in ORACLE_DIR.glob("*.json") if "spans" in load(p))
    assert [p.stem for p in CASE_FILES] == captures
    assert len(CASE_FILES) == 19


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_facts_file_is_well_formed(path: Path):
    facts = load(path)
    assert facts["facts_version"] == 1
    assert facts["case"] == path.stem
    assert set(facts) >= {"env", "request", "identity", "tool", "call", "outcome"}
    for section, allowed in FACTS_KEYS.items():
        obj = facts
        for part in filter(None, section.split(".")):
            obj = obj.get(part) or {}
        assert set(obj) <= allowed, f"{section or 'top level'}: unknown keys {sorted(set(obj) - allowed)}"
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in facts["env"].items())
    req = facts["request"]
    assert req["method"] == "POST" and req["path"] in ("/rpc", "/mcp")
    assert isinstance(req["server_port"], int) and isinstance(req["client_port"], int)
    assert all(k == k.lower() for k in req["headers"]), "header names are lower-case"
    ident = facts["identity"]
    assert ident == {"auth_method": "jwt", "user_email": "admin@example.com", "is_admin": True, "team_name": None, "team_ids": []}
    assert isinstance(facts["call"]["arguments"], dict)
    outcome = facts["outcome"]
    assert set(outcome["errors"]) <= ERROR_OPS
    for err in outcome["errors"].values():
        assert set(err) == {"type", "message"} and err["type"] and err["message"]
    if outcome["found"]:
        tool = facts["tool"]
        assert HEX32.match(tool["id"]) and tool["integration_type"] in ("REST", "MCP")
        assert ("upstream" in tool) == (tool["integration_type"] == "MCP")
        assert (outcome["result"] is None) == bool(outcome["errors"]), "a result exactly when nothing failed"
        if outcome["errors"]:
            assert "tool.invoke" in outcome["errors"]
        if "x-correlation-id" not in req["headers"]:
            assert HEX32.match(req["correlation_id"])
    else:
        assert outcome["result"] is None and outcome["errors"] == {}


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.stem)
def test_facts_match_the_capture(path: Path):
    facts = load(path)
    capture = capture_of(facts)
    assert facts["env"] == capture["env"]
    call = capture["call"]
    if "_shortened_for_readme" not in call["request"]:
        assert facts["call"]["jsonrpc_id"] == call["request"]["id"]
        assert facts["call"]["arguments"] == call["request"]["params"]["arguments"]
        assert facts["tool"]["name"] == call["request"]["params"]["name"]
    for k, v in call["request_headers"].items():
        assert facts["request"]["headers"][k.lower()] == v

    roots = [s for s in capture["spans"] if s["scope"].get("name") == "mcp-gateway" and s["kind"] == "SERVER"]
    root = roots[-1] if not capture["tool_invoke_trace_ids"] else next(s for s in roots if s["traceId"] in capture["tool_invoke_trace_ids"])
    a = root["attributes"]
    req = facts["request"]
    assert (req["path"], req["client_port"], req["server_port"], req["user_agent"], req["status_code"]) == (
        a["url.path"], a["client.port"], a["server.port"], a["user_agent.original"], a["http.response.status_code"])

    invoke = gateway_span(capture, "tool.invoke")
    assert facts["outcome"]["found"] == (invoke is not None)
    if invoke is None:
        return
    ia = invoke["attributes"]
    tool = facts["tool"]
    assert (tool["name"], tool["id"], tool["integration_type"], tool.get("gateway_id")) == (
        ia["tool.name"], ia["tool.id"], ia["tool.integration_type"], ia.get("tool.gateway_id"))
    assert ia["arguments_count"] == len(facts["call"]["arguments"])
    assert req["correlation_id"] == ia["correlation_id"] == ia["request_id"]
    if "user.email" in ia:
        assert ia["user.email"] == facts["identity"]["user_email"] and ia["team.scope"] == "public"
    client_call = gateway_span(capture, "mcp.client.call")
    if client_call is not None:
        ca = client_call["attributes"]
        assert tool["upstream"] == {"tool_name": ca["mcp.tool.name"], "transport": ca["contextforge.transport"], "url": ca["url.full"]}
    # Exactly the spans that ended in ERROR carry an error fact, with the raw message of the status description.
    for op in ERROR_OPS:
        span = gateway_span(capture, op)
        err = facts["outcome"]["errors"].get(op)
        assert (span is not None and span["status"]["code"] == "ERROR") == (err is not None), op
        if err:
            assert span["status"]["message"] == f"{err['type']}: {err['message']}"
            assert span["attributes"]["error.type"] == err["type"]
    # The success flag of tool.invoke is "a result that is not isError".
    result = facts["outcome"]["result"]
    assert ia["success"] == (result is not None and not result.get("isError", False))


def has_tool_invoke(path: Path) -> bool:
    return gateway_span(capture_of(load(path)), "tool.invoke") is not None


# An unknown tool stops before tool.invoke (c_tool_not_found): its request root is checked above.
INVOKE_CASE_FILES = [p for p in CASE_FILES if has_tool_invoke(p)]


def test_only_the_unknown_tool_case_has_no_tool_invoke():
    assert sorted({p.stem for p in CASE_FILES} - {p.stem for p in INVOKE_CASE_FILES}) == ["c_tool_not_found"]


@pytest.mark.parametrize("path", INVOKE_CASE_FILES, ids=lambda p: p.stem)
def test_the_oracle_helpers_reproduce_the_captured_payloads_and_errors(path: Path, derived: dict):
    facts = load(path)
    capture = capture_of(facts)
    invoke = gateway_span(capture, "tool.invoke")
    ia = invoke["attributes"]
    mine = derived[facts["case"]]
    if "langfuse.observation.input" in ia:
        assert mine["input"] == ia["langfuse.observation.input"]
    if "langfuse.observation.output" in ia:
        assert mine["output"] == ia["langfuse.observation.output"]
    for op, sanitized in mine["errors"].items():
        assert gateway_span(capture, op)["attributes"]["error.message"] == sanitized, op


def test_the_large_case_reconstructs_the_40kb_argument_and_echo():
    facts = load(CASES_DIR / "d_large_payload_default_32768.json")
    capture = capture_of(facts)
    assert capture["call"]["request"]["_chars"] == len(json.dumps({"jsonrpc": "2.0", "id": facts["call"]["jsonrpc_id"], "method": "tools/call",
                                                                   "params": {"name": facts["tool"]["name"], "arguments": facts["call"]["arguments"]}}))
    ia = gateway_span(capture, "tool.invoke")["attributes"]
    for key in ("langfuse.observation.input", "langfuse.observation.output"):
        wrapper = json.loads(ia[key])
        assert wrapper["_truncated"] is True and len(ia[key]) == 32767
