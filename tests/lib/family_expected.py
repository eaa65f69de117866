"""The spans our pipeline must export for one family capture (tests/oracle/families/<case>.json).

Like `expected.py` for tools/call: the `mcp-gateway` spans of the method's traces
(`method_trace_ids`), framework spans (`fastapi.endpoint`) removed and their children re-parented,
in start order, in the oracle's span format; then only the deliberate deviations, each its own
function returning what it changed:
- D1 / D2 as for tools/call (`expected.d1_sanitized_status_description`, `d2_drop_sdk_exception_event`);
- D8 `d8_resource_uri_text_sanitized`: `resource.uri` also gets the free-text rules (Python: URL
  rules only), computed by the real oracle's sanitizers (`oracle_payload.oracle_sanitize`);
- D9 `mcpparity.deviations.d9_gate_user`: `user` on `resource.read`/`prompt.render` only with identity capture.
A fallback method (roots/list, docs/span-families.md §1) expects no span of ours at all: Python
traces it; `fallback_case` says so.
"""
from __future__ import annotations

import copy
import json
from typing import Mapping

from .expected import (
    GATEWAY_SCOPE,
    Change,
    ExpectationError,
    ExpectedCall,
    d1_sanitized_status_description,
    d2_drop_sdk_exception_event,
    d9_gate_user,
    ignored_values,
    nearest_kept_parent,
)
from .expected import INPUT_KEY, OUTPUT_KEY, mask_json_quoted_secrets_in
from .gateway_settings import trace_settings
from .oracle_payload import PayloadRequest, oracle_serialize

# Methods the runtime does not serve itself (it forwards them; Python traces them).
FALLBACK_METHODS = frozenset({"roots/list"})
# Family spans the runtime emits (contract v1.1), besides the request root.
FAMILY_NAMES = frozenset({
    "tool.list", "resource.list", "prompt.list", "resource_template.list",
    "resource.read", "prompt.render", "mcp.initialize",
})

# The only family spans that capture payloads (docs/span-families.md).
CAPTURE_SPANS = ("resource.read", "prompt.render")


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


# The oracle runs in a subprocess (~1–3 s each): results are cached per settings and request, and
# `prefetch` fills the cache for many cases with one run per settings group.
_CACHE: dict[tuple, object] = {}


def _key(settings, r: PayloadRequest) -> tuple:
    return (settings.redact_fields_env, settings.max_trace_payload_size_env, r.kind, r.attribute, json.dumps(r.value, sort_keys=False))


def cached_serialize(requests: list[PayloadRequest], settings) -> list:
    missing = [r for r in requests if _key(settings, r) not in _CACHE]
    if missing:
        for r, result in zip(missing, oracle_serialize(missing, settings.redact_fields_env, settings.max_trace_payload_size_env)):
            _CACHE[_key(settings, r)] = result
    return [_CACHE[_key(settings, r)] for r in requests]


def oracle_requests(capture: Mapping, facts: Mapping, phase: int) -> list[PayloadRequest]:
    """The oracle requests expected_family makes for this case (for `prefetch`): phase 0 the URIs
    (D8), phase 1 the payloads (whose resources/read output needs phase 0's content URI)."""
    settings = trace_settings(capture.get("env") or {})
    out = []
    for span in method_spans(capture):
        if span["name"] not in CAPTURE_SPANS:
            continue
        if phase == 0:
            if span["name"] == "resource.read":
                out.append(PayloadRequest("uri", "resource.uri", (facts.get("resource") or {}).get("uri") or span["attributes"].get("resource.uri")))
                content = (facts.get("resource") or {}).get("content")
                if OUTPUT_KEY in span["attributes"] and isinstance(content, dict) and isinstance(content.get("uri"), str):
                    out.append(PayloadRequest("uri", "resource.uri", content["uri"]))
            continue
        sources = payload_sources(span, facts, settings)
        d8_sources = payload_sources(span, facts, settings, d8=True)
        for key, value in sources.items():
            if key in span["attributes"] and value is not None:
                out += [PayloadRequest("arguments", key, value),
                        PayloadRequest("arguments", key, mask_json_quoted_secrets_in(d8_sources[key], settings.redact_fields))]
    return out


def prefetch(cases: list[tuple[Mapping, Mapping]]) -> None:
    """Run the oracle once per settings group and phase for every request of `cases` ((capture, facts) pairs)."""
    for phase in (0, 1):
        groups: dict[tuple, tuple] = {}
        for capture, facts in cases:
            settings = trace_settings(capture.get("env") or {})
            key = (settings.redact_fields_env, settings.max_trace_payload_size_env)
            groups.setdefault(key, (settings, []))[1].extend(oracle_requests(capture, facts, phase))
        for settings, requests in groups.values():
            if requests:
                cached_serialize(requests, settings)


def payload_sources(span: Mapping, facts: Mapping, settings, d8: bool = False) -> dict[str, object]:
    """The raw values behind a family span's captures, from the facts (what the runtime sends).

    With `d8`, the content's `uri` already carries D8's text rules (as resource.uri does).
    """
    if span["name"] == "prompt.render":
        p = facts.get("prompt") or {}
        return {INPUT_KEY: p.get("arguments") or {}, OUTPUT_KEY: p.get("result")}
    if span["name"] == "resource.read":
        content = (facts.get("resource") or {}).get("content")
        if d8 and isinstance(content, dict) and isinstance(content.get("uri"), str):
            (uri,) = cached_serialize([PayloadRequest("uri", "resource.uri", content["uri"])], settings)
            content = {**content, "uri": uri.single_pass}
        return {OUTPUT_KEY: content}
    return {}


def d4_d3_family_payloads(capture: Mapping, spans: list[dict], facts: Mapping, settings) -> tuple[list[Change], list[Change]]:
    """D4 (single structured pass) then D3 (JSON-quoted secrets masked) on every family capture.

    Each value is recomputed by the real oracle from the facts; its double pass must reproduce the
    captured value (else the facts are wrong). `resource.read`'s input is `{"uri": <resource.uri>}`
    built from the D8 value, so the URI in it is sanitized exactly like the attribute.
    """
    wanted = []
    for i, span in enumerate(spans):
        sources = payload_sources(span, facts, settings)
        d8_sources = payload_sources(span, facts, settings, d8=True)
        for key in (INPUT_KEY, OUTPUT_KEY):
            if key not in span["attributes"]:
                continue
            if span["name"] == "resource.read" and key == INPUT_KEY:
                value = {"uri": span["attributes"]["resource.uri"]}  # after D8
                wanted.append((i, key, value, value))
                continue
            if sources.get(key) is None:
                raise ExpectationError(f"{capture.get('case')}: {span['name']} captures {key} but the facts have no source for it")
            wanted.append((i, key, sources[key], mask_json_quoted_secrets_in(d8_sources[key], settings.redact_fields)))
    if not wanted:
        return [], []
    requests = []
    for _, key, plain, masked in wanted:
        requests += [PayloadRequest("arguments", key, plain), PayloadRequest("arguments", key, masked)]
    results = cached_serialize(requests, settings)
    d4, d3 = [], []
    for n, (i, key, _, _) in enumerate(wanted):
        span = spans[i]
        plain, masked = results[2 * n], results[2 * n + 1]
        captured = span["attributes"][key]
        is_uri_input = span["name"] == "resource.read" and key == INPUT_KEY
        if not is_uri_input and plain.double_pass != captured:
            raise ExpectationError(f"{capture.get('case')}: the oracle's double pass over the facts does not reproduce {span['name']} {key}")
        if plain.single_pass != captured:
            d4.append(Change("D8" if is_uri_input else "D4", i, span["name"], f"attributes.{key}", captured, plain.single_pass))
        if masked.single_pass != plain.single_pass:
            # D3 (quoted secrets) and, for resources/read's output, D8 on the content's uri.
            d3.append(Change("D3", i, span["name"], f"attributes.{key}", plain.single_pass, masked.single_pass))
        span["attributes"][key] = masked.single_pass
    return d4, d3


def oracle_d8(settings, raw_uri: str | None):
    """D8 by the real oracle: sanitize_trace_attribute_value("resource.uri", sanitize_trace_text(raw))
    over the raw URI of the facts; Python's form of it (URL rules only) must be the captured value."""

    def sanitize(captured: str) -> str:
        raw = raw_uri if raw_uri is not None else captured
        (result,) = cached_serialize([PayloadRequest("uri", "resource.uri", raw)], settings)
        if result.double_pass != captured:
            raise ExpectationError(f"the oracle's URL rules over the facts' URI do not give the captured resource.uri {captured!r}")
        return result.single_pass

    return sanitize


def expected_family(capture: Mapping, facts: Mapping | None = None, sanitize=None) -> ExpectedCall:
    """The spans our pipeline must export for a family capture, D1–D4, D8, D9 applied.

    `sanitize(captured_uri)` gives D8's value; by default the real oracle's text-then-URL
    sanitization of the facts' raw URI.
    """
    settings = trace_settings(capture.get("env") or {})
    spans = method_spans(capture)
    deviations = {
        "D1": d1_sanitized_status_description(spans),
        "D2": d2_drop_sdk_exception_event(spans),
        "D8": d8_resource_uri_text_sanitized(spans, sanitize or oracle_d8(settings, ((facts or {}).get("resource") or {}).get("uri"))),
        "D9": d9_gate_user(spans, settings.identity_attributes),
    }
    d4, d3 = d4_d3_family_payloads(capture, spans, facts or {}, settings)
    deviations["D8"] += [c for c in d4 if c.deviation == "D8"]
    deviations["D4"] = [c for c in d4 if c.deviation == "D4"]
    deviations["D3"] = d3
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
