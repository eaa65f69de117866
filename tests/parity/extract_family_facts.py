#!/usr/bin/env python3
"""Write the facts of each family capture into tests/parity/cases/families/<case>.json (facts format v1.1).

Run once (the cases are committed data, not generated at test time):
    .cache/venv/bin/python tests/parity/extract_family_facts.py [--oracle tests/oracle/families] [--out tests/parity/cases/families]

Every fact comes from the capture (`env`, `setup`, `call`/`call_full`, the `mcp-gateway` spans of
`method_trace_ids`) by the rules of docs/span-families.md; what a capture does not record verbatim
is rebuilt from its fixtures and then checked against the spans (test_family_cases.py):
  - `resource.content` (the gateway's `ResourceContent`, raw): the setup resource's id + the
    response's content; for a URI that matched the template, the template's id and URI with the
    URI as text (`uri_template.format(**params)`); the captured output (redacted) only when neither
    applies. Its Python `len(str(...))` must equal the captured `content.size`;
  - `prompt.result` (`PromptResult` dump, raw): the response's messages with `annotations`/`_meta`
    null when absent; the captured output only when the response has none;
  - the identity (JWT subject from `setup.token`, platform admin, no teams claim -> public).
roots/list is a fallback (the runtime forwards it to Python, docs/span-families.md §1): `served: false`.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))

from lib.family_expected import method_spans, resource_content_repr_len  # noqa: E402
from lib.gateway_settings import trace_settings  # noqa: E402
from lib.oracle_data import FAMILY_CAPTURES  # noqa: E402

DEFAULT_OUT = Path(__file__).resolve().parent / "cases" / "families"
LIST_METHODS = ("tools/list", "resources/list", "prompts/list", "resources/templates/list")
FALLBACK_METHODS = ("roots/list",)


def span_value(spans: list[dict], key: str):
    return next((s["attributes"][key] for s in spans if key in s["attributes"]), None)


def team_ids_of(scope: str) -> list[str] | None:
    """Invert format_trace_team_scope (up to the 5 ids it shows)."""
    if scope == "admin":
        return None
    if scope == "public":
        return []
    return [t for t in scope.split(",") if t and t != "..."]


def identity(capture: dict) -> dict:
    """The caller: from the spans when identity capture exported it, else from the token recipe."""
    token = capture["setup"]["token"]
    spans = method_spans(capture)
    m = re.search(r"--username (\S+)", token)
    email = span_value(spans, "user.email") or span_value(spans, "user") or (m.group(1) if m else None)
    if email is None:
        raise ValueError(f"{capture['case']}: no caller email in the spans or setup.token {token!r}")
    scope = span_value(spans, "team.scope")
    if scope is not None:
        team_ids = team_ids_of(scope)
    elif "no teams claim" in token:
        team_ids = []
    else:
        teams = re.search(r"--teams? (\S+)", token)
        team_ids = teams.group(1).split(",") if teams else []
    is_admin = span_value(spans, "user.is_admin")
    auth = span_value(spans, "auth.method") or "jwt"
    return {"auth_method": auth, "user_email": email, "is_admin": True if is_admin is None else is_admin,
            "team_name": span_value(spans, "team.name"), "team_ids": team_ids}


def request_facts(capture: dict, root: dict, family: dict | None) -> dict:
    a = root["attributes"]
    headers = {k.lower(): v for k, v in (capture["call"].get("request_headers") or {}).items()}
    out = {
        "method": a["http.request.method"], "path": a["url.path"], "query": "",
        "http_version": a.get("network.protocol.version"), "server_address": a.get("server.address"),
        "server_port": a.get("server.port"), "client_address": a.get("client.address"),
        "client_port": a.get("client.port"), "user_agent": a.get("user_agent.original"),
        "headers": headers, "status_code": a.get("http.response.status_code", 200),
    }
    if family and "correlation_id" in family["attributes"] and "x-correlation-id" not in headers:
        out["correlation_id"] = family["attributes"]["correlation_id"]
    return out


def errors_of(spans: list[dict]) -> dict:
    """The raw exception (type, str(exc)) of each ERROR span: the SDK's own event has the raw message."""
    out = {}
    for s in spans:
        if s["status"]["code"] != "ERROR":
            continue
        raw = [e for e in s["events"] if e["name"] == "exception" and "exception.stacktrace" in e["attributes"]]
        event = (raw or [e for e in s["events"] if e["name"] == "exception"])[0]["attributes"]
        out[s["name"]] = {"type": s["attributes"]["error.type"], "message": event["exception.message"]}
    return out


def list_facts(path: str, ident: dict, server_id: str | None, templates: bool = False, span: dict | None = None,
               identity_on: bool = False) -> dict:
    attrs = (span or {}).get("attributes") or {}
    if templates:
        out = {"include_inactive": attrs.get("include_inactive", False), "tags_count": attrs.get("tags.count", 0)}
        if server_id:
            out["server_id"] = server_id
        return out
    # The explicit identity the service got: with identity capture on, a key the span lacks was None.
    email = ident["user_email"] if not identity_on or "user.email" in attrs else None
    teams = ident["team_ids"] if not identity_on or "team.scope" in attrs else None
    if identity_on and "team.scope" in attrs:
        teams = team_ids_of(attrs["team.scope"])
    out = ({"variant": "server", "server_id": server_id, "include_inactive": attrs.get("include_inactive", False), "include_metrics": attrs.get("include_metrics", False)}
           if server_id else
           {"variant": "catalog", "include_inactive": attrs.get("include_inactive", False), "tags_count": attrs.get("tags.count", 0), "limit": attrs.get("limit", 0)})
    out["user_email"] = email
    out["team_ids"] = teams
    return out


def captured_json(span: dict, key: str):
    """A captured payload as JSON, or None (absent, or Python's second pass broke its JSON: D4)."""
    try:
        return json.loads(span["attributes"][key])
    except (KeyError, ValueError):
        return None


def resource_content(capture: dict, span: dict, uri: str) -> dict | None:
    """The raw ResourceContent the service held: rebuilt from the setup and the (unredacted)
    response first; the captured output only when that is impossible (it is redacted)."""
    if "content.size" not in span["attributes"] and "langfuse.observation.output" not in span["attributes"]:
        return None
    resources = {r["uri"]: r for r in capture["setup"]["resources"]}
    result = (capture["call_full"].get("response") or {}).get("result") or {}
    if uri in resources and result.get("contents"):
        contents = result["contents"][0]
        return {"type": "resource", "id": resources[uri]["id"], "uri": uri, "mimeType": contents.get("mimeType"),
                "text": contents.get("text"), "blob": contents.get("blob"), "_meta": contents.get("_meta")}
    for r in capture["setup"]["resources"]:  # the template the URI matched
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(r["uri"])) + "$"
        if "{" in r["uri"] and re.match(pattern, uri):
            return {"type": "resource", "id": r["id"], "uri": r["uri"], "mimeType": "text/plain", "text": uri, "blob": None, "_meta": None}
    captured = captured_json(span, "langfuse.observation.output")
    if captured is not None:
        return captured
    raise ValueError(f"{capture['case']}: cannot rebuild the content of {uri}")


def prompt_result(capture: dict, span: dict) -> dict | None:
    """The PromptResult dump, rebuilt from the (unredacted) response; else the captured output."""
    if span["status"]["code"] == "ERROR":
        return None
    result = (capture["call_full"].get("response") or {}).get("result")
    if result and "messages" in result:
        messages = [{"role": m["role"], "content": {**m["content"], "annotations": m["content"].get("annotations"), "_meta": m["content"].get("_meta")}}
                    for m in result["messages"]]
        return {"messages": messages, "description": result.get("description")}
    captured = captured_json(span, "langfuse.observation.output")
    if captured is None:
        raise ValueError(f"{capture['case']}: no prompt result in the response or the capture")
    return captured


def facts_of(capture: dict) -> dict:
    spans = method_spans(capture)
    root = next(s for s in spans if s["kind"] == "SERVER")
    family = next((s for s in spans if s["kind"] != "SERVER" and s["name"] != "resource_template.list"), None) \
        or next((s for s in spans if s["kind"] != "SERVER"), None)
    method = capture["method"]
    params = capture["call_full"]["request"].get("params") or {}
    path = root["attributes"]["url.path"]
    server_id = capture["setup"]["server"]["id"] if path.startswith("/servers/") else None
    ident = identity(capture)
    facts = {
        "facts_version": 1, "case": capture["case"], "description": capture["description"],
        "env": capture["env"], "method": method,
    }
    if method in FALLBACK_METHODS:
        facts["served"] = False
    facts["request"] = request_facts(capture, root, family)
    facts["identity"] = ident
    if method in LIST_METHODS:
        facts["list"] = list_facts(path, ident, server_id, templates=method == "resources/templates/list", span=family,
                                   identity_on=trace_settings(capture["env"]).identity_attributes)
    elif method == "resources/read":
        uri = params["uri"]
        r = {"uri": uri}
        if params.get("requestId"):
            r["request_id"] = params["requestId"]
        if server_id:
            r["server_id"] = server_id
        r["user"] = ident["user_email"]
        content = resource_content(capture, family, uri)
        if content is not None:
            r["content"] = content
            size = family["attributes"].get("content.size")
            if size is not None and resource_content_repr_len(content) != size:
                raise ValueError(f"{capture['case']}: rebuilt content has str() length {resource_content_repr_len(content)}, capture {size}")
        r["success_marked"] = family["status"]["code"] == "ERROR" and family["attributes"].get("success") is True
        if any(s["name"] == "resource_template.list" for s in spans):
            r["template_list"] = list_facts(path, ident, server_id, templates=True,
                                            span=next(s for s in spans if s["name"] == "resource_template.list"))
        facts["resource"] = r
    elif method == "prompts/get":
        p = {"name": params["name"], "arguments": params.get("arguments") or {}, "user": ident["user_email"]}
        if server_id:
            p["server_id"] = server_id
        result = prompt_result(capture, family)
        if result is not None:
            p["canonical_name"] = family["attributes"].get("langfuse.observation.prompt.name", params["name"])
            p["version"] = family["attributes"].get("langfuse.observation.prompt.version", 1)
            p["result"] = result
        facts["prompt"] = p
    elif method == "initialize":
        i = {"protocol_version": params.get("protocolVersion")}
        sid = params.get("sessionId") or params.get("session_id") or facts["request"]["headers"].get("mcp-session-id")
        if sid and sid != "not-provided":
            i["session_id"] = sid
        if server_id:
            i["server_id"] = server_id
        facts["initialize"] = i
    facts["outcome"] = {"errors": errors_of(spans)}
    return facts


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--oracle", type=Path, default=FAMILY_CAPTURES)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    a = ap.parse_args()
    a.out.mkdir(parents=True, exist_ok=True)
    files = sorted(a.oracle.glob("g_*.json"))
    for path in files:
        capture = json.loads(path.read_text())
        facts = facts_of(capture)
        (a.out / f"{capture['case']}.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {len(files)} facts files to {a.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
