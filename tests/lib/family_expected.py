"""The spans our pipeline must export for one family capture (tests/oracle/families/<case>.json).

Like `expected.py` for tools/call: the `mcp-gateway` spans of the method's traces
(`method_trace_ids`), framework spans (`fastapi.endpoint`) removed and their children re-parented,
in start order, in the oracle's span format; then only the deliberate deviations, each its own
function returning what it changed:
- D1 / D2 as for tools/call (`expected.d1_sanitized_status_description`, `d2_drop_sdk_exception_event`);
- D8 `d8_resource_uri_text_sanitized`: `resource.uri` also gets the free-text rules (Python: URL
  rules only), computed by the real oracle's sanitizers (`oracle_payload.oracle_sanitize`);
- D9 `d9_user_follows_identity`: `user` on `resource.read`/`prompt.render` only with identity capture.
A fallback method (roots/list, docs/span-families.md §1) expects no span of ours at all: Python
traces it; `fallback_case` says so.
"""
from __future__ import annotations

import copy
from typing import Mapping

from .expected import (
    GATEWAY_SCOPE,
    Change,
    ExpectationError,
    ExpectedCall,
    d1_sanitized_status_description,
    d2_drop_sdk_exception_event,
    ignored_values,
    nearest_kept_parent,
)
from .gateway_settings import trace_settings

# Methods the runtime does not serve itself (it forwards them; Python traces them).
FALLBACK_METHODS = frozenset({"roots/list"})
# Family spans the runtime emits (contract v1.1), besides the request root.
FAMILY_NAMES = frozenset({
    "tool.list", "resource.list", "prompt.list", "resource_template.list",
    "resource.read", "prompt.render", "mcp.initialize",
})
USER_SPANS = ("resource.read", "prompt.render")


def method_spans(capture: Mapping) -> list[dict]:
    """The method request's gateway spans in start order (framework spans removed, children re-parented)."""
    case = capture.get("case")
    traces = set(capture.get("method_trace_ids") or [])
    if not traces:
        raise ExpectationError(f"{case}: no method_trace_ids")
    in_traces = [s for s in capture["spans"] if s["traceId"] in traces]
    by_id = {s["spanId"]: s for s in in_traces}
    kept = sorted((s for s in in_traces if s["scope"]["name"] == GATEWAY_SCOPE), key=lambda s: s["startTimeUnixNano"])
    index_of = {s["spanId"]: i for i, s in enumerate(kept)}
    out = []
    for span in kept:
        if span["kind"] != "SERVER" and span["name"] not in FAMILY_NAMES:
            raise ExpectationError(f"{case}: span {span['name']!r} has no raw contract op")
        parent = nearest_kept_parent(span, by_id, index_of)
        out.append({
            "name": span["name"], "kind": span["kind"], "parent": parent,
            "parentName": kept[parent]["name"] if isinstance(parent, int) else None,
            "status": {"code": span["status"]["code"], "message": span["status"].get("message")},
            "attributes": copy.deepcopy(span["attributes"]),
            "events": [{"name": e["name"], "attributes": copy.deepcopy(e.get("attributes") or {})} for e in span.get("events", [])],
        })
    if sum(1 for s in out if not isinstance(s["parent"], int)) != 1:
        raise ExpectationError(f"{case}: expected one request root in the method's trace")
    return out


def fallback_case(capture: Mapping) -> bool:
    return capture.get("method") in FALLBACK_METHODS


def d8_resource_uri_text_sanitized(spans: list[dict], sanitize) -> list[Change]:
    """D8: `resource.uri` = free-text rules, then URL rules (Python: URL rules only)."""
    changes = []
    for i, span in enumerate(spans):
        uri = span["attributes"].get("resource.uri")
        if span["name"] == "resource.read" and isinstance(uri, str):
            ours = sanitize(uri)
            if ours != uri:
                changes.append(Change("D8", i, span["name"], "attributes.resource.uri", uri, ours))
                span["attributes"]["resource.uri"] = ours
    return changes


def d9_user_follows_identity(spans: list[dict], identity_on: bool) -> list[Change]:
    """D9: the caller email in `user` is an identity value: absent with identity capture off."""
    changes = []
    if identity_on:
        return changes
    for i, span in enumerate(spans):
        if span["name"] in USER_SPANS and "user" in span["attributes"]:
            changes.append(Change("D9", i, span["name"], "attributes.user", span["attributes"]["user"], None))
            del span["attributes"]["user"]
    return changes


def expected_family(capture: Mapping, facts: Mapping | None = None, sanitize=None) -> ExpectedCall:
    """The spans our pipeline must export for a family capture, D1, D2, D8, D9 applied.

    `sanitize(uri)` is the text-then-URL sanitization of D8 (the oracle's functions); without it
    a URI the text rules would change is an error, never a silent pass.
    """
    settings = trace_settings(capture.get("env") or {})
    spans = method_spans(capture)

    def strict(uri: str) -> str:
        return uri

    deviations = {
        "D1": d1_sanitized_status_description(spans),
        "D2": d2_drop_sdk_exception_event(spans),
        "D8": d8_resource_uri_text_sanitized(spans, sanitize or strict),
        "D9": d9_user_follows_identity(spans, settings.identity_attributes),
    }
    return ExpectedCall(capture.get("case", ""), spans, ignored_values(spans, facts), deviations)


def resource_content_repr_len(content: Mapping) -> int:
    """len(str(ResourceContent(**content))): pydantic's `field=repr(value)` joined by spaces."""
    fields = (("type", "type"), ("id", "id"), ("uri", "uri"), ("mime_type", "mimeType"),
              ("text", "text"), ("blob", "blob"), ("meta", "_meta"))
    parts = []
    for name, alias in fields:
        value = content.get(alias)
        if name == "blob" and isinstance(value, str):
            value = value.encode()
        parts.append(f"{name}={value!r}")
    return len(" ".join(parts))
