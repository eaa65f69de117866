"""The spans our pipeline must export for one recorded call, derived from its oracle capture.

Given a capture (`tests/oracle/tools-call/<case>.json`: spans the real Python runtime exported), return the
spans that raw contract v1 + the `mcpparity` processor must produce for that call, in the oracle's
span format: name, kind, parent (index into the list, `None` for a root, `"remote"` for a parent in
another process), status {code, message}, attributes (JSON types kept), events (order kept).

What is taken from the capture:
- the `mcp-gateway`-scope spans of the `tool_invoke_trace_ids` traces; for a call without
  `tool.invoke` (`c_tool_not_found`), the trace of the last `mcp-gateway` request root, i.e. the
  tools/call request, which holds only the root;
- framework spans (other scopes: `fastapi.endpoint`, `fastapi.dependencies`, …) are removed and
  their children re-parented to the nearest kept ancestor.

What is removed because raw contract v1 does not carry it (the runtime never emits it):
- the initialize (`mcp.initialize`) and notifications/initialized traces of the `/mcp` cases (they
  are separate traces, never in `tool_invoke_trace_ids`).

What is changed: only the deliberate deviations (docs/parity.md), each its own function returning
what it changed (a list of `Change`), so callers can assert each D explicitly. The rules are the
configurator's (`mcpparity.deviations`, the one copy `mcpparity diff` also judges with); only D3/D4
need the real oracle here, to recompute the payloads:
- D1 `d1_sanitized_status_description`: an ERROR span's status message = its `error.message`;
- D2 `d2_drop_sdk_exception_event`: the SDK's raw `exception` event (with `exception.stacktrace`) dropped;
- D4 `d4_single_pass_payloads`: captured payloads are the oracle's single-pass serialization;
- D3 `d3_mask_json_quoted_secrets`: secrets under JSON-quoted keys inside captured text masked;
- D5 `d5_runtime_rust`: `contextforge.runtime` = `rust` on `mcp.client.*` spans;
- D6: the `tool.list` cache fill under an `/mcp` tools/call root left out (`select_call_spans`);
- D9 `d9_gate_user`: `user` on `resource.read`/`prompt.render` follows the identity switch.

Values that comparers must not compare are listed, never invented: `IGNORED_VALUES` (times and
generated ids; the key must still be present with the same type). Span ids, trace ids and
timestamps are not part of the format at all.

D3/D4 payloads are computed with the REAL oracle (`serialize_trace_payload`, see
`oracle_payload.py`) from the call's arguments and tool result, under the case's settings; the
capture itself is used to check that reconstruction (the oracle's double pass must reproduce the
captured value exactly). This module is the expectation side: it never imports our Go code.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Mapping, Optional, Union

from mcpparity.deviations import (  # noqa: F401  (re-exported: the suites read the rules from here)
    GENERATED_VALUES,
    INPUT_KEY,
    OUTPUT_KEY,
    SDK_EXCEPTION_EVENT_MARKER,
    URL_LIKE_FIELD_WORDS,
    Change,
    d1_sanitized_status_description,
    d2_drop_sdk_exception_event,
    d5_runtime_rust,
    d6_is_cache_fill,
    d9_gate_user,
    mask_json_quoted_secrets,
    mask_json_quoted_secrets_in,
    normalize_field,
)

from .gateway_settings import TraceSettings, trace_settings
from .oracle_payload import PayloadRequest, oracle_serialize

GATEWAY_SCOPE = "mcp-gateway"
# Spans the Python runtime emits that raw contract v1 has no op for (see the module docstring); tool.list is D6.
OUTSIDE_CONTRACT_V1 = frozenset({"tool.list", "mcp.initialize"})
# Span names our pipeline produces (besides the request root, "{METHOD} {path}", kind SERVER).
CONTRACT_V1_NAMES = frozenset({
    "tool.invoke", "tool.lookup", "tool.gateway_call", "tool.post_process",
    "mcp.client.call", "mcp.client.initialize", "mcp.client.request", "mcp.client.response",
})
# Attribute values a comparer must not compare (presence and type still count), with the reason.
DURATION_KEYS = {k: v for k, v in GENERATED_VALUES.items() if k == "duration.ms"}
GENERATED_ID_KEYS = {k: v for k, v in GENERATED_VALUES.items() if k != "duration.ms"}

Parent = Union[None, str, int]


class ExpectationError(ValueError):
    """The capture cannot be turned into expected spans (says which case and why)."""


@dataclass
class ExpectedCall:
    """The expected export of one call."""

    case: str
    spans: list[dict]
    ignored_values: dict[str, str]
    deviations: dict[str, list[Change]]

    def to_json(self) -> dict:
        """The `expected.json` form (deterministic key order)."""
        return {
            "case": self.case,
            "format": "oracle span format; parent = index in spans, null = root, \"remote\" = parent in another process",
            "ignored_values": self.ignored_values,
            # Where each D applies; the values are left out (the oracle's leak; the final ones are in spans).
            "deviations": {d: [{k: v for k, v in asdict(c).items() if k not in ("oracle", "ours")} for c in changes] for d, changes in self.deviations.items()},
            "spans": self.spans,
        }


# ---------------------------------------------------------------- selection

def load_capture(path: Union[str, Path]) -> dict:
    """Read one oracle capture."""
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def call_trace_ids(capture: Mapping) -> list[str]:
    """The traces of the tools/call request: `tool_invoke_trace_ids`, else the last gateway root's."""
    ids = list(capture.get("tool_invoke_trace_ids") or [])
    if ids:
        return ids
    roots = [s for s in capture["spans"] if s["scope"]["name"] == GATEWAY_SCOPE and s["kind"] == "SERVER"]
    if not roots:
        raise ExpectationError(f"{capture.get('case')}: no {GATEWAY_SCOPE} request root in the capture")
    return [max(roots, key=lambda s: s["startTimeUnixNano"])["traceId"]]


def select_call_spans(capture: Mapping, d6: Optional[list[Change]] = None) -> list[dict]:
    """The call's gateway spans in start order, framework spans removed and children re-parented.

    A `tool.list` cache fill (D6) is left out and recorded in `d6` (span_index = its place in the capture).
    """
    case = capture.get("case")
    traces = set(call_trace_ids(capture))
    in_traces = [s for s in capture["spans"] if s["traceId"] in traces]
    by_id = {s["spanId"]: s for s in in_traces}
    for trace in sorted(traces) if d6 is not None else ():
        spans = [s for s in in_traces if s["traceId"] == trace and s["scope"]["name"] == GATEWAY_SCOPE]
        root = next((s for s in spans if s["kind"] == "SERVER"), None)
        for span in spans:
            if root is not None and d6_is_cache_fill(span["name"], root["name"], (s["name"] for s in spans)):
                d6.append(Change("D6", capture["spans"].index(span), span["name"], "span", span["name"], None))
    kept = sorted(
        (s for s in in_traces if s["scope"]["name"] == GATEWAY_SCOPE and s["name"] not in OUTSIDE_CONTRACT_V1),
        key=lambda s: s["startTimeUnixNano"],
    )
    index_of = {s["spanId"]: i for i, s in enumerate(kept)}
    out = []
    for span in kept:
        parent = nearest_kept_parent(span, by_id, index_of)
        if span["kind"] != "SERVER" and span["name"] not in CONTRACT_V1_NAMES:
            raise ExpectationError(f"{case}: span {span['name']!r} has no raw contract v1 op")
        out.append({
            "name": span["name"],
            "kind": span["kind"],
            "parent": parent,
            "parentName": kept[parent]["name"] if isinstance(parent, int) else None,
            "status": {"code": span["status"]["code"], "message": span["status"].get("message")},
            "attributes": copy.deepcopy(span["attributes"]),
            "events": [{"name": e["name"], "attributes": copy.deepcopy(e.get("attributes") or {})} for e in span.get("events", [])],
        })
    roots = [s for s in out if not isinstance(s["parent"], int)]
    if len(roots) != 1:
        raise ExpectationError(f"{case}: expected one request root in the call's trace, found {len(roots)}")
    return out


def nearest_kept_parent(span: Mapping, by_id: Mapping[str, dict], index_of: Mapping[str, int]) -> Parent:
    """Walk up through removed (framework) spans to the nearest kept ancestor."""
    parent_id = span.get("parentSpanId")
    seen = set()
    while parent_id:
        if parent_id in index_of:
            return index_of[parent_id]
        if parent_id not in by_id or parent_id in seen:
            return "remote"  # the parent lives in another process (incoming traceparent)
        seen.add(parent_id)
        parent_id = by_id[parent_id].get("parentSpanId")
    return None


# ---------------------------------------------------------------- deviations

@dataclass(frozen=True)
class CapturedPayload:
    """One captured payload attribute of `tool.invoke`, as each stage makes it."""

    key: str  # langfuse.observation.input | .output
    python: str  # what the Python runtime exported (the capture)
    single_pass: str  # the oracle's serialize_trace_payload, no second pass (D4)
    single_pass_d3: str  # the same with D3 applied before serialization (D4 + D3)


def payload_sources(capture: Mapping, facts: Optional[Mapping] = None) -> dict[str, Any]:
    """The call's arguments and tool result: from the facts file if given, else the capture's call."""
    if facts is not None:
        return {"arguments": facts["call"].get("arguments") or {}, "tool_result": (facts.get("outcome") or {}).get("result")}
    call = capture.get("call") or {}
    request, response = call.get("request") or {}, call.get("response") or {}
    sources: dict[str, Any] = {"arguments": None, "tool_result": None}
    if not request.get("_shortened_for_readme"):
        sources["arguments"] = (request.get("params") or {}).get("arguments") or {}
    if not response.get("_shortened_for_readme"):
        sources["tool_result"] = response.get("result")
    return sources


def captured_payloads(capture: Mapping, spans: list[dict], settings: TraceSettings, facts: Optional[Mapping] = None) -> list[CapturedPayload]:
    """Recompute every captured payload with the real oracle and check it reproduces the capture."""
    case = capture.get("case")
    sources = payload_sources(capture, facts)
    wanted = []
    for span in spans:
        for key, kind in ((INPUT_KEY, "arguments"), (OUTPUT_KEY, "tool_result")):
            if key in span["attributes"]:
                if sources[kind] is None:
                    raise ExpectationError(f"{case}: the capture shortens the call's {kind}; pass the case's facts file")
                wanted.append((key, kind, span["attributes"][key]))
    if not wanted:
        return []
    requests = []
    for key, kind, _ in wanted:
        requests.append(PayloadRequest(kind, key, sources[kind]))
        requests.append(PayloadRequest(kind, key, mask_json_quoted_secrets_in(sources[kind], settings.redact_fields)))
    results = oracle_serialize(requests, settings.redact_fields_env, settings.max_trace_payload_size_env)
    out = []
    for n, (key, kind, captured) in enumerate(wanted):
        plain, masked = results[2 * n], results[2 * n + 1]
        if plain.double_pass != captured:
            raise ExpectationError(f"{case}: the oracle's double pass over the reconstructed {kind} does not reproduce the captured {key}")
        out.append(CapturedPayload(key, captured, plain.single_pass, masked.single_pass))
    return out


def d4_single_pass_payloads(spans: list[dict], payloads: list[CapturedPayload]) -> list[Change]:
    """D4: a captured payload is the single-pass serialization (valid JSON), not Python's double pass."""
    return _set_payloads(spans, payloads, "D4", lambda p: p.single_pass)


def d3_mask_json_quoted_secrets(spans: list[dict], payloads: list[CapturedPayload]) -> list[Change]:
    """D3: secrets under JSON-quoted keys inside captured text are masked (after D4)."""
    return _set_payloads(spans, payloads, "D3", lambda p: p.single_pass_d3)


def _set_payloads(spans: list[dict], payloads: list[CapturedPayload], deviation: str, pick) -> list[Change]:
    changes = []
    by_key = {p.key: p for p in payloads}
    for i, span in enumerate(spans):
        for key, payload in by_key.items():
            if key in span["attributes"] and span["attributes"][key] != pick(payload):
                changes.append(Change(deviation, i, span["name"], f"attributes.{key}", span["attributes"][key], pick(payload)))
                span["attributes"][key] = pick(payload)
    return changes


# ---------------------------------------------------------------- the whole expectation

def ignored_values(spans: list[dict], facts: Optional[Mapping] = None) -> dict[str, str]:
    """Keys whose values are not compared: durations always; correlation ids when nothing pins them.

    The id is pinned when the request root carries it (it came from X-Correlation-ID) or when the
    facts record the id the runtime generated (`request.correlation_id`) and it is the capture's.
    """
    ignored = dict(DURATION_KEYS)
    root = next(s for s in spans if not isinstance(s["parent"], int))
    captured = [s["attributes"]["correlation_id"] for s in spans if "correlation_id" in s["attributes"]]
    recorded = ((facts or {}).get("request") or {}).get("correlation_id")
    pinned = "correlation_id" in root["attributes"] or (recorded is not None and captured and set(captured) == {recorded})
    if not pinned:
        ignored.update(GENERATED_ID_KEYS)
    return ignored


def expected_call(capture: Mapping, facts: Optional[Mapping] = None) -> ExpectedCall:
    """The spans our pipeline must export for the capture's call, with the deviations applied."""
    settings = trace_settings(capture.get("env") or {})
    d6: list[Change] = []
    spans = select_call_spans(capture, d6)
    payloads = captured_payloads(capture, spans, settings, facts)
    deviations = {
        "D1": d1_sanitized_status_description(spans),
        "D2": d2_drop_sdk_exception_event(spans),
        "D4": d4_single_pass_payloads(spans, payloads),
        "D3": d3_mask_json_quoted_secrets(spans, payloads),
        "D5": d5_runtime_rust(spans),
        "D6": d6,
        "D9": d9_gate_user(spans),
    }
    return ExpectedCall(capture.get("case", ""), spans, ignored_values(spans, facts), deviations)
