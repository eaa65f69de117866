"""The deliberate deviations D1–D9 of the Rust path from the Python runtime: the one copy of the rules.

docs/parity.md lists them (D1–D5 in docs/design.md, D6–D9 in docs/span-families.md §4.1). Each
rule is written once here, over spans in the oracle capture format (`name`, `status` {`code`,
`message`}, `attributes` with JSON values, `events` [{`name`, `attributes`}]), and used twice:
- the parity suites (tests/lib/expected.py) turn a Python capture into the spans the Rust path
  must export (`d1_sanitized_status_description`, `d2_drop_sdk_exception_event`, …, each returning
  the `Change`s it made);
- `mcpparity diff` asks whether a deviation explains one difference between a Python dump (A) and
  a Rust dump (B) of the same call (`explain_*`): a deviation explains a difference only when B
  holds exactly what the rule derives from A (or, where A lost the information, what the rule
  allows), so any other change of the same field is still a difference.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Optional
from urllib.parse import unquote


@dataclass(frozen=True)
class Deviation:
    id: str
    python: str  # what the Python runtime exports
    rust: str  # what the Rust path exports instead


DEVIATIONS: dict[str, Deviation] = {d.id: d for d in (
    Deviation("D1", "status description is the raw `Type: message`", "the sanitized error.message"),
    Deviation("D2", "a second, raw SDK `exception` event with the stack trace", "only the sanitized exception event"),
    Deviation("D3", "secrets under JSON-quoted keys inside captured text in clear", "masked (`***`)"),
    Deviation("D4", "a second sanitizing pass over the serialized capture (can corrupt the JSON)", "one structured pass, valid JSON"),
    Deviation("D5", "contextforge.runtime=python on mcp.client.*", "rust"),
    Deviation("D6", "a tool.list cache-fill span inside an /mcp tools/call trace", "no such span"),
    Deviation("D7", "captured integers beyond 64 bits turned into floats", "the client's numbers exactly"),
    Deviation("D8", "resource.uri through the URL sanitizer only", "full sanitization (text rules, then URL rules)"),
    Deviation("D9", "`user` (caller email) even with identity capture off", "gated like user.email"),
)}

# Attribute values two dumps of the same call never share: compared for presence and type only.
GENERATED_VALUES: dict[str, str] = {
    "duration.ms": "measured time",
    "correlation_id": "generated per request",
    "request_id": "generated per request",
}

INPUT_KEY = "langfuse.observation.input"
OUTPUT_KEY = "langfuse.observation.output"
PAYLOAD_KEYS = (INPUT_KEY, OUTPUT_KEY)
SDK_EXCEPTION_EVENT_MARKER = "exception.stacktrace"
D9_SPANS = frozenset({"resource.read", "prompt.render"})
# The MCP SDK fills its tool cache with a tool.list span under the /mcp request root of a tools/call (D6).
D6_SPAN = "tool.list"
D6_CALL_SPAN = "tool.invoke"
_INT64_MAX = 2**63 - 1


@dataclass
class Change:
    """One change a deviation made to a Python span: on which span (index, name), which field, Python vs ours."""

    deviation: str
    span_index: int
    span_name: str
    field: str
    oracle: Any
    ours: Any


# ---------------------------------------------------------------- per-span rules

def d1_status_description(span: Mapping) -> Optional[str]:
    """D1: the status description the Rust path exports on an ERROR span (its `error.message`), None if D1 does not apply."""
    sanitized = span["attributes"].get("error.message")
    if span["status"]["code"] == "ERROR" and isinstance(sanitized, str):
        return sanitized
    return None


def d2_is_sdk_exception_event(event: Mapping) -> bool:
    """D2: the SDK's raw `exception` event is the one with a stack trace; the Rust path never exports it."""
    return event["name"] == "exception" and SDK_EXCEPTION_EVENT_MARKER in (event.get("attributes") or {})


def d5_runtime(span: Mapping) -> Optional[str]:
    """D5: `contextforge.runtime` on `mcp.client.*` spans says the runtime that made the call."""
    if span["name"].startswith("mcp.client.") and "contextforge.runtime" in span["attributes"]:
        return "rust"
    return None


def d6_is_cache_fill(span_name: str, root_name: str, trace_names: Iterable[str]) -> bool:
    """D6: a tool.list span in the trace of an /mcp tools/call (the root is `POST …/mcp`, the trace holds tool.invoke)."""
    return span_name == D6_SPAN and root_name.endswith("/mcp") and D6_CALL_SPAN in set(trace_names)


def d9_drops_user(span: Mapping) -> bool:
    """D9: the Rust path gates `user` like `user.email`: with no `user.email` on the span, no `user` either."""
    return span["name"] in D9_SPANS and "user" in span["attributes"] and "user.email" not in span["attributes"]


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
# rules), and so does our engine (D3 is a free-text step): docs/oracle-semantics.md §9.
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


# ---------------------------------------------------------------- a Python capture -> the Rust path's spans

def d1_sanitized_status_description(spans: list[dict]) -> list[Change]:
    """D1 over a call's spans: an ERROR span's status description is its sanitized message."""
    changes = []
    for i, span in enumerate(spans):
        sanitized = d1_status_description(span)
        if sanitized is not None and span["status"]["message"] != sanitized:
            changes.append(Change("D1", i, span["name"], "status.message", span["status"]["message"], sanitized))
            span["status"]["message"] = sanitized
    return changes


def d2_drop_sdk_exception_event(spans: list[dict]) -> list[Change]:
    """D2 over a call's spans: the SDK's raw `exception` event is not exported."""
    changes = []
    for i, span in enumerate(spans):
        kept = []
        for event in span["events"]:
            if d2_is_sdk_exception_event(event):
                changes.append(Change("D2", i, span["name"], "events", event, None))
            else:
                kept.append(event)
        span["events"] = kept
    return changes


def d5_runtime_rust(spans: list[dict]) -> list[Change]:
    """D5 over a call's spans: `contextforge.runtime` says `rust` on `mcp.client.*` spans."""
    changes = []
    for i, span in enumerate(spans):
        runtime = d5_runtime(span)
        if runtime is not None and span["attributes"]["contextforge.runtime"] != runtime:
            changes.append(Change("D5", i, span["name"], "attributes.contextforge.runtime", span["attributes"]["contextforge.runtime"], runtime))
            span["attributes"]["contextforge.runtime"] = runtime
    return changes


def d9_gate_user(spans: list[dict], identity_on: Optional[bool] = None) -> list[Change]:
    """D9 over a call's spans: `user` leaves when identity capture is off.

    With `identity_on` unknown (a dump without its settings), the span tells: no `user.email`, no `user`.
    """
    changes = []
    for i, span in enumerate(spans):
        drops = d9_drops_user(span) if identity_on is None else (
            not identity_on and span["name"] in D9_SPANS and "user" in span["attributes"])
        if drops:
            changes.append(Change("D9", i, span["name"], "attributes.user", span["attributes"].pop("user"), None))
    return changes


# ---------------------------------------------------------------- does a deviation explain a difference (A = Python, B = Rust)?

def explain_status_message(a: Mapping, b: Mapping) -> Optional[str]:
    sanitized = d1_status_description(a)
    if sanitized is not None and b["status"]["message"] == sanitized:
        return "D1"
    return None


def explain_events(a_events: list[Mapping], b_events: list[Mapping]) -> Optional[str]:
    """D2 when A without its SDK exception events has as many events as B, and B has none of them.

    The caller then compares A's remaining events with B's one by one.
    """
    kept = [e for e in a_events if not d2_is_sdk_exception_event(e)]
    if len(kept) != len(a_events) and len(kept) == len(b_events) and not any(d2_is_sdk_exception_event(e) for e in b_events):
        return "D2"
    return None


def explain_attribute(key: str, a: Mapping, b: Mapping, redact_fields: Iterable[str]) -> Optional[list[str]]:
    """The deviations that explain why attribute `key` differs between span A and span B, or None."""
    va, vb = a["attributes"].get(key), b["attributes"].get(key)
    if key == "contextforge.runtime" and va is not None and vb == d5_runtime(a):
        return ["D5"]
    if key == "user" and "user" not in b["attributes"] and d9_drops_user(a):
        return ["D9"]
    if key == "resource.uri" and isinstance(va, str) and isinstance(vb, str) and d8_masked(va, vb):
        return ["D8"]
    if d10_url_like(key) and isinstance(va, str) and isinstance(vb, str) and d8_masked(va, vb):
        return ["D10"]
    if key in PAYLOAD_KEYS and isinstance(va, str) and isinstance(vb, str):
        return explain_payload(va, vb, redact_fields)
    return None


def d10_url_like(key: str) -> bool:
    """D10: a URL-like attribute key (the gateway's substring test) whose value also gets the free-text rules."""
    return key != "resource.uri" and any(w in normalize_field(key) for w in URL_LIKE_FIELD_WORDS)


def d8_masked(python: str, rust: str) -> bool:
    """D8: the Rust value is the Python one with one or more values replaced by `***` (nothing else changed)."""
    if rust.count("***") <= python.count("***"):
        return False
    pattern = r"[^\s&;,/?#]+".join(re.escape(part) for part in rust.split("***"))
    return re.fullmatch(pattern, python) is not None


def explain_payload(python: str, rust: str, redact_fields: Iterable[str]) -> Optional[list[str]]:
    """D3, D4, D7 on a captured payload (`langfuse.observation.input/output`).

    D3: the Python text with D3 masking equals the Rust text. D4: equal once percent-escapes are
    decoded (Python's second pass re-encodes URL characters, `\\"` → `%5C"`), the Rust text valid
    JSON. D7: both JSON and equal but for integers beyond 64 bits that Python holds as floats. A
    truncated payload (`_truncated`) is judged by its preview; its `_original_size` counts text
    beyond the preview that neither dump shows, so a different size is taken as D3 there.
    """
    fields = tuple(redact_fields)
    masked = mask_json_quoted_secrets(python, fields)
    found = ["D3"] if masked != python else []
    if masked == rust:
        return found
    if _json(rust) is not None and unquote(masked) == unquote(rust):
        return found + ["D4"]
    ja, jb = _json(masked), _json(rust)
    if isinstance(ja, dict) and isinstance(jb, dict) and ja.get("_truncated") is True and jb.get("_truncated") is True:
        if set(ja) != set(jb) or not isinstance(ja.get("_preview"), str) or not isinstance(jb.get("_preview"), str):
            return None
        preview = explain_payload(ja["_preview"], jb["_preview"], fields)
        if preview is None or any(ja[k] != jb[k] for k in ja if k not in ("_preview", "_original_size")):
            return None
        size = ["D3"] if ja["_original_size"] != jb["_original_size"] else []
        return sorted(set(found + preview + size)) or None
    if ja is not None and jb is not None and _same_but_big_ints(ja, jb):
        return found + ["D7"]
    return None


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return None


def _same_but_big_ints(python: Any, rust: Any) -> bool:
    """Equal, except that an integer beyond 64 bits on the Rust side may be a float on the Python side (D7); at least one such."""
    found = []

    def same(a: Any, b: Any) -> bool:
        if isinstance(b, int) and not isinstance(b, bool) and isinstance(a, float) and abs(b) > _INT64_MAX and float(b) == a:
            found.append(b)
            return True
        if type(a) is not type(b):
            return False
        if isinstance(a, dict):
            return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
        if isinstance(a, list):
            return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
        return a == b

    return same(python, rust) and bool(found)
