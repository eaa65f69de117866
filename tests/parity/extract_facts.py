#!/usr/bin/env python3
"""Write the facts of each oracle capture into tests/parity/cases/<case>.json (facts format v1).

Run once (the cases are committed data, not generated at test time):
    .cache/venv/bin/python tests/parity/extract_facts.py [--oracle tests/oracle/tools-call] [--out tests/parity/cases]

Every fact comes from the capture itself: `env`, `call` (request, headers, JSON-RPC response) and the
`mcp-gateway` spans (tool ids, correlation id, client port, user agent, identity, upstream name/URL,
per-span errors). The only facts not recorded verbatim in a capture are rebuilt from the capture
recipe (tests/oracle/tools-call/README.md, "How to re-run") and are checked against the spans by test_cases.py:
  - the 40 KB argument of d_large_payload_default_32768 (`BIG_ARGS`: its `call.request` is shortened);
  - that case's result, which the gateway built from the echo server's answer
    (`{"echo": <args>, "traceparent_seen": null}`, serialized with orjson OPT_INDENT_2);
  - the identity (JWT subject admin@example.com, a platform admin, no teams) from the oracle README.
Only the keys of docs/facts-format.md are written (raw-span-replay rejects unknown keys).
"""
from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_ORACLE = ROOT / "tests" / "oracle" / "tools-call"
DEFAULT_OUT = Path(__file__).resolve().parent / "cases"
GATEWAY_SCOPE = "mcp-gateway"

# From the capture recipe: the ~40 KB argument of the truncation case (its call.request is shortened).
BIG_ARGS = {"blob": "x" * 40000, "password": "hunter2"}
# The JWT of every capture run: subject admin@example.com (a platform admin), no teams -> public.
IDENTITY = {"auth_method": "jwt", "user_email": "admin@example.com", "is_admin": True, "team_name": None, "team_ids": []}
# Spans whose failure the facts record, in tree order.
ERROR_OPS = ("tool.invoke", "tool.gateway_call", "mcp.client.call", "mcp.client.request")


def gateway_spans(capture: dict) -> list[dict]:
    """The capture's mcp-gateway spans of the tools/call request (the trace holding tool.invoke, else the last root)."""
    spans = [s for s in capture["spans"] if s["scope"].get("name") == GATEWAY_SCOPE]
    traces = capture["tool_invoke_trace_ids"]
    if traces:
        return [s for s in spans if s["traceId"] in traces]
    roots = [s for s in spans if s["kind"] == "SERVER"]
    return [s for s in spans if s["traceId"] == roots[-1]["traceId"]]


def one(spans: list[dict], name: str) -> dict | None:
    found = [s for s in spans if s["name"] == name]
    if len(found) > 1:
        raise ValueError(f"more than one {name} span")
    return found[0] if found else None


def span_error(span: dict) -> dict | None:
    """The exception that escaped a span, worded as the Python runtime words it (raw, unsanitized)."""
    if span["status"]["code"] != "ERROR":
        return None
    short_type = span["attributes"]["error.type"]
    description = span["status"]["message"] or ""
    prefix = f"{short_type}: "
    if not description.startswith(prefix):
        raise ValueError(f"{span['name']}: status description {description!r} does not start with {prefix!r}")
    raw = description[len(prefix):]
    sdk_events = [e for e in span["events"] if e["name"] == "exception" and "exception.stacktrace" in e["attributes"]]
    if sdk_events and sdk_events[0]["attributes"]["exception.message"] != raw:
        raise ValueError(f"{span['name']}: status description and SDK exception event disagree")
    return {"type": short_type, "message": raw}


def jsonrpc_id(call: dict) -> int | str:
    request = call["request"]
    if "_shortened_for_readme" in request:
        match = re.search(r'"id": (\d+)', request["_head"])
        return int(match.group(1))
    return request["id"]


def arguments(case: str, call: dict) -> dict:
    request = call["request"]
    if "_shortened_for_readme" in request:
        if case != "d_large_payload_default_32768":
            raise ValueError(f"{case}: shortened request with no known recipe")
        return BIG_ARGS
    return request["params"]["arguments"]


def result(case: str, call: dict, arguments_: dict) -> dict | None:
    """The CallToolResult the gateway returned (REST: built from the backend's answer); None on a JSON-RPC error."""
    response = call["response"]
    if "_shortened_for_readme" in response:
        if case != "d_large_payload_default_32768":
            raise ValueError(f"{case}: shortened response with no known recipe")
        echoed = {"echo": arguments_, "traceparent_seen": None}
        return {"content": [{"type": "text", "text": json.dumps(echoed, indent=2, ensure_ascii=False)}], "isError": False}
    return response.get("result")


def request_facts(root: dict, call: dict, invoke: dict | None) -> dict:
    a = root["attributes"]
    headers = {k.lower(): v for k, v in call.get("request_headers", {}).items()}
    if call.get("mcp_session_id"):
        headers["mcp-session-id"] = call["mcp_session_id"]
    facts = {
        "method": a["http.request.method"],
        "path": a["url.path"],
        "query": a.get("url.query", ""),
        "http_version": a["network.protocol.version"],
        "server_address": a["server.address"],
        "server_port": a["server.port"],
        "client_address": a["client.address"],
        "client_port": a["client.port"],
        "user_agent": a["user_agent.original"],
        "headers": headers,
        "status_code": a["http.response.status_code"],
    }
    # No X-Correlation-ID header was sent: the runtime generated this id (seen on every create_span span).
    if "x-correlation-id" not in headers and invoke is not None:
        facts["correlation_id"] = invoke["attributes"]["correlation_id"]
    return facts


def tool_facts(spans: list[dict], call: dict) -> dict:
    invoke = one(spans, "tool.invoke")
    if invoke is None:
        return {"name": call["request"]["params"]["name"]}
    a = invoke["attributes"]
    tool = {
        "name": a["tool.name"],
        "id": a["tool.id"],
        "integration_type": a["tool.integration_type"],
        "gateway_id": a.get("tool.gateway_id"),
        "server_id": a.get("server_id"),
    }
    client_call = one(spans, "mcp.client.call")
    if client_call is not None:
        c = client_call["attributes"]
        tool["upstream"] = {"tool_name": c["mcp.tool.name"], "transport": c["contextforge.transport"], "url": c["url.full"]}
    return tool


def facts_of(capture: dict) -> dict:
    case, call = capture["case"], capture["call"]
    spans = gateway_spans(capture)
    roots = [s for s in spans if s["kind"] == "SERVER"]
    if len(roots) != 1:
        raise ValueError(f"{case}: expected one request root in the tools/call trace, got {len(roots)}")
    invoke = one(spans, "tool.invoke")
    args = arguments(case, call)
    outcome: dict = {"found": invoke is not None, "result": None, "errors": {}}
    if invoke is not None:
        errors = {}
        for op in ERROR_OPS:
            span = one(spans, op)
            err = span_error(span) if span else None
            if err:
                errors[op] = err
        outcome["result"] = None if errors else result(case, call, args)
        outcome["errors"] = errors
    return {
        "facts_version": 1,
        "case": case,
        "description": capture["description"],
        "env": capture["env"],
        "request": request_facts(roots[0], call, invoke),
        "identity": IDENTITY,
        "tool": tool_facts(spans, call),
        "call": {"jsonrpc_id": jsonrpc_id(call), "arguments": args},
        "outcome": outcome,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--oracle", type=Path, default=DEFAULT_ORACLE)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    for path in sorted(a.oracle.glob("*.json")):
        capture = json.loads(path.read_text())
        if "spans" not in capture:
            continue  # redaction_examples.json is not a call
        facts = facts_of(capture)
        (a.out / f"{facts['case']}.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
        print(f"{facts['case']}: tool={facts['tool'].get('name')} errors={sorted(facts['outcome'].get('errors', {}))}")


if __name__ == "__main__":
    main()
