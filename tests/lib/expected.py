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

What is removed because the runtime never emits it:
- D6 `d6_no_tool_list_cache_fill`: `tool.list` inside a `tools/call` trace (the Python MCP SDK's
  tool-definition cache fill under the `/mcp` root; the Rust runtime does no such work);
- the initialize (`mcp.initialize`) and notifications/initialized traces of the `/mcp` cases (they
  are separate traces, never in `tool_invoke_trace_ids`).

What is changed: only the deliberate deviations of DESIGN.md, each its own function returning what
it changed (a list of `Change`), so callers can assert each D explicitly:
- D1 `d1_sanitized_status_description`: an ERROR span's status message = its `error.message`;
- D2 `d2_drop_sdk_exception_event`: the SDK's raw `exception` event (with `exception.stacktrace`) dropped;
- D4 `d4_single_pass_payloads`: captured payloads are the oracle's single-pass serialization;
- D3 `d3_mask_json_quoted_secrets`: secrets under JSON-quoted keys inside captured text masked;
- D5 `d5_runtime_rust`: `contextforge.runtime` = `rust` on `mcp.client.*` spans.

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
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Optional, Union

from .gateway_settings import TraceSettings, trace_settings
from .oracle_payload import PayloadRequest, oracle_serialize

GATEWAY_SCOPE = "mcp-gateway"
# Spans of other requests' traces that never belong to a tools/call expectation (the handshake).
OUTSIDE_CONTRACT_V1 = frozenset({"mcp.initialize"})
# D6: the SDK's tool cache fill inside a tools/call trace.
CACHE_FILL_SPAN = "tool.list"
# Span names our pipeline produces (besides the request root, "{METHOD} {path}", kind SERVER).
CONTRACT_V1_NAMES = frozenset({
    "tool.invoke", "tool.lookup", "tool.gateway_call", "tool.post_process",
    "mcp.client.call", "mcp.client.initialize", "mcp.client.request", "mcp.client.response",
})
INPUT_KEY = "langfuse.observation.input"
OUTPUT_KEY = "langfuse.observation.output"
# Attribute values a comparer must not compare (presence and type still count), with the reason.
DURATION_KEYS = {"duration.ms": "measured time"}
GENERATED_ID_KEYS = {"correlation_id": "generated per request", "request_id": "generated per request"}
SDK_EXCEPTION_EVENT_MARKER = "exception.stacktrace"

Parent = Union[None, str, int]


class ExpectationError(ValueError):
    """The capture cannot be turned into expected spans (says which case and why)."""


@dataclass
class Change:
    """One change a deviation made: on which span (index, name), which field, oracle vs ours."""

    deviation: str
    span_index: int
    span_name: str
    field: str
    oracle: Any
    ours: Any


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


def select_call_spans(capture: Mapping) -> list[dict]:
    """The call's gateway spans in start order, framework spans removed and children re-parented."""
    case = capture.get("case")
    traces = set(call_trace_ids(capture))
    in_traces = [s for s in capture["spans"] if s["traceId"] in traces]
    by_id = {s["spanId"]: s for s in in_traces}
    kept = sorted(
        (s for s in in_traces if s["scope"]["name"] == GATEWAY_SCOPE and s["name"] not in OUTSIDE_CONTRACT_V1),
        key=lambda s: s["startTimeUnixNano"],
    )
    index_of = {s["spanId"]: i for i, s in enumerate(kept)}
    out = []
    for span in kept:
        parent = nearest_kept_parent(span, by_id, index_of)
        if span["kind"] != "SERVER" and span["name"] not in CONTRACT_V1_NAMES and span["name"] != CACHE_FILL_SPAN:
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

def d6_no_tool_list_cache_fill(spans: list[dict]) -> list[Change]:
    """D6: no `tool.list` cache-fill span in a `tools/call` trace (its children re-parented, none in practice)."""
    changes = []
    for i in reversed(range(len(spans))):
        if spans[i]["name"] != CACHE_FILL_SPAN:
            continue
        changes.append(Change("D6", i, CACHE_FILL_SPAN, "span", spans[i]["name"], None))
        removed = spans.pop(i)
        for s in spans:
            if isinstance(s["parent"], int):
                if s["parent"] == i:
                    s["parent"] = removed["parent"]
                elif s["parent"] > i:
                    s["parent"] -= 1
    for s in spans:
        s["parentName"] = spans[s["parent"]]["name"] if isinstance(s["parent"], int) else None
    return changes


def d1_sanitized_status_description(spans: list[dict]) -> list[Change]:
    """D1: an ERROR span's status description is its sanitized message (`error.message`)."""
    changes = []
    for i, span in enumerate(spans):
        sanitized = span["attributes"].get("error.message")
        if span["status"]["code"] == "ERROR" and sanitized is not None and span["status"]["message"] != sanitized:
            changes.append(Change("D1", i, span["name"], "status.message", span["status"]["message"], sanitized))
            span["status"]["message"] = sanitized
    return changes


def d2_drop_sdk_exception_event(spans: list[dict]) -> list[Change]:
    """D2: the SDK's raw `exception` event (the one with `exception.stacktrace`) is not exported."""
    changes = []
    for i, span in enumerate(spans):
        kept = []
        for event in span["events"]:
            if event["name"] == "exception" and SDK_EXCEPTION_EVENT_MARKER in event["attributes"]:
                changes.append(Change("D2", i, span["name"], "events", event, None))
            else:
                kept.append(event)
        span["events"] = kept
    return changes


def d5_runtime_rust(spans: list[dict]) -> list[Change]:
    """D5: `contextforge.runtime` says `rust` on `mcp.client.*` spans."""
    changes = []
    for i, span in enumerate(spans):
        if span["name"].startswith("mcp.client.") and "contextforge.runtime" in span["attributes"]:
            old = span["attributes"]["contextforge.runtime"]
            if old != "rust":
                changes.append(Change("D5", i, span["name"], "attributes.contextforge.runtime", old, "rust"))
                span["attributes"]["contextforge.runtime"] = "rust"
    return changes


def normalize_field(name: str) -> str:
    """The gateway's key normalization: lower case, alphanumerics only."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


# "key": "value" in plain JSON text, and \"key\": \"value\" in JSON text that is itself escaped.
_PLAIN_QUOTED_PAIR = re.compile(r'"([^"\\\n]{1,256})"(\s*:\s*)"((?:[^"\\]|\\.)*)"')
_ESCAPED_QUOTED_PAIR = re.compile(r'\\"([^"\\\n]{1,256})\\"(\s*:\s*)\\"((?:(?!\\")[^"])*)\\"')


def mask_json_quoted_secrets(text: str, redact_fields: Iterable[str]) -> str:
    """D3 on one text: the string value under a JSON-quoted redact key becomes `***`."""
    fields = {normalize_field(f) for f in redact_fields}

    def plain(match: re.Match) -> str:
        if normalize_field(match.group(1)) not in fields or match.group(3) == "***":
            return match.group(0)
        return f'"{match.group(1)}"{match.group(2)}"***"'

    def escaped(match: re.Match) -> str:
        if normalize_field(match.group(1)) not in fields or match.group(3) == "***":
            return match.group(0)
        return f'\\"{match.group(1)}\\"{match.group(2)}\\"***\\"'

    return _ESCAPED_QUOTED_PAIR.sub(escaped, _PLAIN_QUOTED_PAIR.sub(plain, text))


# The oracle sends strings under these field names through its URL sanitizer only (no free-text
# rules), and so does our engine (D3 is a free-text step): SEMANTICS.md §9.
URL_LIKE_FIELD_WORDS = ("url", "uri", "endpoint", "href", "link", "redirect", "callback", "webhook")


def mask_json_quoted_secrets_in(value: Any, redact_fields: Iterable[str], field: Optional[str] = None) -> Any:
    """D3 over a payload before serialization: every free-text string value, at any depth.

    Lists keep their field's name (the top level is "item"), as the oracle's walk does.
    """
    fields = tuple(redact_fields)
    if isinstance(value, str):
        if field is not None and any(w in normalize_field(field) for w in URL_LIKE_FIELD_WORDS):
            return value
        return mask_json_quoted_secrets(value, fields)
    if isinstance(value, list):
        return [mask_json_quoted_secrets_in(v, fields, field or "item") for v in value]
    if isinstance(value, dict):
        return {k: mask_json_quoted_secrets_in(v, fields, str(k)) for k, v in value.items()}
    return value


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
    """The spans our pipeline must export for the capture's call, with D1–D5 applied."""
    settings = trace_settings(capture.get("env") or {})
    spans = select_call_spans(capture)
    d6 = d6_no_tool_list_cache_fill(spans)
    payloads = captured_payloads(capture, spans, settings, facts)
    deviations = {
        "D6": d6,
        "D1": d1_sanitized_status_description(spans),
        "D2": d2_drop_sdk_exception_event(spans),
        "D4": d4_single_pass_payloads(spans, payloads),
        "D3": d3_mask_json_quoted_secrets(spans, payloads),
        "D5": d5_runtime_rust(spans),
    }
    return ExpectedCall(capture.get("case", ""), spans, ignored_values(spans, facts), deviations)
