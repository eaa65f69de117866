"""Compare two span dumps as trees: names, kinds, structure, status, typed attributes, events.

Inputs (auto-detected): OTLP JSON as the collector's file exporter writes it (JSON lines of
ExportTraceServiceRequest objects, hex ids), an oracle capture (`{"spans": [...]}`), or a plain
list of spans in the capture format. Ids and times are never compared; the values of
`deviations.GENERATED_VALUES` (`duration.ms`, `correlation_id`, `request_id`) are compared for
presence and type only. Siblings are matched by name, then by start time (then input order) among
equal names.

`compare` reads A as the Python runtime's dump and B as the Rust path's: with `deviations` on (the
default of `mcpparity diff`), a difference that one of the deliberate deviations D1–D9 explains
(`deviations.py`, the one copy of those rules) is not a difference but listed as that deviation.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from . import deviations as dev
from .settings import GATEWAY_DEFAULT_REDACT_FIELDS

DEFAULT_IGNORED_KEYS = ("duration.ms",)
_KINDS = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
_STATUS = {0: "UNSET", 1: "OK", 2: "ERROR"}
ABSENT = "absent"


class SpanDumpError(ValueError):
    """The input is not a span dump this tool reads."""


TypedValue = tuple[str, Any]  # (type, plain JSON value)


@dataclass
class Span:
    name: str
    kind: str
    scope: str
    trace_id: str
    span_id: str
    parent_id: str
    start: int
    order: int
    status_code: str
    status_message: str
    attributes: dict[str, TypedValue]
    events: list[tuple[str, dict[str, TypedValue]]]
    children: list["Span"] = field(default_factory=list)

    def view(self) -> dict[str, Any]:
        """The span in the capture format the deviation rules read (plain JSON values)."""
        return {
            "name": self.name,
            "status": {"code": self.status_code, "message": self.status_message},
            "attributes": {k: _plain(v) for k, v in self.attributes.items()},
            "events": [{"name": name, "attributes": {k: _plain(v) for k, v in attrs.items()}} for name, attrs in self.events],
        }


@dataclass(frozen=True)
class Difference:
    path: str
    field: str
    a: Any
    b: Any
    a_type: str | None = None
    b_type: str | None = None

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"path": self.path, "field": self.field, "a": self.a, "b": self.b}
        if self.a_type is not None or self.b_type is not None:
            out["a_type"], out["b_type"] = self.a_type, self.b_type
        return out

    def __str__(self) -> str:
        def show(value: Any, kind: str | None) -> str:
            if kind == ABSENT:
                return "(absent)"
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
            return f"{text} ({kind})" if kind else text

        return f"{self.path}: {self.field}: A={show(self.a, self.a_type)} B={show(self.b, self.b_type)}"


# ------------------------------------------------------------------ value typing

def _typed_json(value: Any) -> TypedValue:
    """A capture-format (decoded JSON) value with its OTLP type."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("double", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        items = [_typed_json(item) for item in value]
        return ("array", [list(item) for item in items])
    if value is None:
        return ("empty", None)
    if isinstance(value, dict):
        return ("kvlist", {k: list(_typed_json(v)) for k, v in sorted(value.items())})
    raise SpanDumpError(f"unsupported attribute value {value!r}")


def _typed_otlp(value: dict[str, Any]) -> TypedValue:
    """An OTLP JSON AnyValue (`{"stringValue": ...}`) with its type."""
    if not isinstance(value, dict) or not value:
        return ("empty", None)
    (key, raw), = list(value.items())[:1]
    if key == "stringValue":
        return ("string", raw)
    if key == "boolValue":
        return ("bool", bool(raw))
    if key == "intValue":
        return ("int", int(raw))
    if key == "doubleValue":
        return ("double", float(raw))
    if key == "arrayValue":
        return ("array", [list(_typed_otlp(item)) for item in (raw or {}).get("values", [])])
    if key == "kvlistValue":
        return ("kvlist", {kv["key"]: list(_typed_otlp(kv.get("value", {}))) for kv in sorted((raw or {}).get("values", []), key=lambda kv: kv["key"])})
    if key == "bytesValue":
        return ("bytes", base64.b64decode(raw).hex())
    raise SpanDumpError(f"unsupported OTLP value {key}")


def _plain(typed: TypedValue) -> Any:
    kind, value = typed
    if kind == "array":
        return [_plain(tuple(item)) for item in value]  # type: ignore[arg-type]
    if kind == "kvlist":
        return {k: _plain(tuple(v)) for k, v in value.items()}  # type: ignore[arg-type]
    return value


# ------------------------------------------------------------------ loading

def _kind(raw: Any) -> str:
    if isinstance(raw, int):
        return _KINDS.get(raw, str(raw))
    text = str(raw or "UNSPECIFIED").upper()
    return text.removeprefix("SPAN_KIND_")


def _status_code(raw: Any) -> str:
    if isinstance(raw, int):
        return _STATUS.get(raw, str(raw))
    text = str(raw or "UNSET").upper()
    return text.removeprefix("STATUS_CODE_")


def _capture_span(raw: dict[str, Any], order: int) -> Span:
    if not isinstance(raw, dict) or "name" not in raw:
        raise SpanDumpError(f"span {order} has no name")
    status = raw.get("status") or {}
    attributes = raw.get("attributes") or {}
    if not isinstance(attributes, dict):
        raise SpanDumpError(f"span {order} ({raw['name']}): attributes must be an object in the capture format")
    return Span(
        name=str(raw["name"]),
        kind=_kind(raw.get("kind")),
        scope=str((raw.get("scope") or {}).get("name") or ""),
        trace_id=str(raw.get("traceId") or ""),
        span_id=str(raw.get("spanId") or f"#{order}"),
        parent_id=str(raw.get("parentSpanId") or ""),
        start=int(raw.get("startTimeUnixNano") or 0),
        order=order,
        status_code=_status_code(status.get("code")),
        status_message=str(status.get("message") or ""),
        attributes={str(k): _typed_json(v) for k, v in attributes.items()},
        events=[(str(e.get("name", "")), {str(k): _typed_json(v) for k, v in (e.get("attributes") or {}).items()}) for e in raw.get("events") or []],
    )


def _otlp_spans(request: dict[str, Any], start_order: int) -> list[Span]:
    spans: list[Span] = []
    for resource_spans in request.get("resourceSpans") or []:
        for scope_spans in resource_spans.get("scopeSpans") or []:
            scope = str((scope_spans.get("scope") or {}).get("name") or "")
            for raw in scope_spans.get("spans") or []:
                order = start_order + len(spans)
                status = raw.get("status") or {}
                spans.append(Span(
                    name=str(raw.get("name", "")),
                    kind=_kind(raw.get("kind")),
                    scope=scope,
                    trace_id=str(raw.get("traceId") or ""),
                    span_id=str(raw.get("spanId") or f"#{order}"),
                    parent_id=str(raw.get("parentSpanId") or ""),
                    start=int(raw.get("startTimeUnixNano") or 0),
                    order=order,
                    status_code=_status_code(status.get("code")),
                    status_message=str(status.get("message") or ""),
                    attributes={kv["key"]: _typed_otlp(kv.get("value") or {}) for kv in raw.get("attributes") or []},
                    events=[(str(e.get("name", "")), {kv["key"]: _typed_otlp(kv.get("value") or {}) for kv in e.get("attributes") or []})
                            for e in raw.get("events") or []],
                ))
    return spans


def parse_spans(text: str, source: str = "input") -> list[Span]:
    """Spans of one dump, in input order."""
    stripped = text.strip()
    if not stripped:
        return []
    try:
        document = json.loads(stripped)
        documents = [document]
    except json.JSONDecodeError:
        documents = []
        for number, line in enumerate(stripped.splitlines(), start=1):
            if line.strip():
                try:
                    documents.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SpanDumpError(f"{source}: line {number} is not JSON ({exc.msg})") from exc
    spans: list[Span] = []
    for document in documents:
        try:
            if isinstance(document, dict) and "resourceSpans" in document:
                spans.extend(_otlp_spans(document, len(spans)))
            elif isinstance(document, dict) and isinstance(document.get("spans"), list):
                spans.extend(_capture_span(raw, len(spans) + i) for i, raw in enumerate(document["spans"]))
            elif isinstance(document, list):
                spans.extend(_capture_span(raw, len(spans) + i) for i, raw in enumerate(document))
            else:
                raise SpanDumpError("neither OTLP JSON (resourceSpans), an oracle capture (spans) nor a list of spans")
        except (KeyError, TypeError, ValueError) as exc:
            if isinstance(exc, SpanDumpError):
                raise SpanDumpError(f"{source}: {exc}") from exc
            raise SpanDumpError(f"{source}: malformed span dump ({exc.__class__.__name__}: {exc})") from exc
    return spans


def load_spans(path: str | Path) -> list[Span]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise SpanDumpError(f"{path}: {exc.strerror or exc}") from exc
    return parse_spans(text, str(path))


# ------------------------------------------------------------------ trees

def build_forest(spans: list[Span], scope: str | None = None, ignore_spans: Iterable[str] = ()) -> list[Span]:
    """Roots of the span trees; dropped spans (other scope, ignored names) hand their children to the nearest kept ancestor."""
    ignored = set(ignore_spans)
    by_id = {span.span_id: span for span in spans}

    def kept(span: Span) -> bool:
        return (scope is None or span.scope == scope) and span.name not in ignored

    def kept_parent(span: Span) -> Span | None:
        seen = {span.span_id}
        parent = by_id.get(span.parent_id)
        while parent is not None and not kept(parent):
            if parent.span_id in seen:
                return None
            seen.add(parent.span_id)
            parent = by_id.get(parent.parent_id)
        return parent

    for span in spans:
        span.children = []
    roots: list[Span] = []
    for span in spans:
        if not kept(span):
            continue
        parent = kept_parent(span)
        (parent.children if parent is not None else roots).append(span)
    return roots


def keep_traces_with(spans: list[Span], span_name: str) -> list[Span]:
    """Only the spans of traces that hold a span named `span_name` (e.g. the tools/call trace of an /mcp session)."""
    wanted = {span.trace_id for span in spans if span.name == span_name}
    return [span for span in spans if span.trace_id in wanted]


@dataclass(frozen=True)
class DeviationUse:
    """One place where a deliberate deviation, not a difference, separates A (Python) from B (Rust)."""

    deviation: str
    path: str
    field: str

    def as_json(self) -> dict[str, Any]:
        d = dev.DEVIATIONS[self.deviation]
        return {"deviation": self.deviation, "path": self.path, "field": self.field, "python": d.python, "rust": d.rust}

    def __str__(self) -> str:
        d = dev.DEVIATIONS[self.deviation]
        return f"{self.deviation} {self.path}: {self.field}: Python: {d.python}; Rust: {d.rust}"


@dataclass
class Comparison:
    differences: list[Difference]
    deviations: list[DeviationUse]
    not_compared: dict[str, str]  # attribute key -> why its value is not compared

    @property
    def same(self) -> bool:
        return not self.differences


@dataclass
class _Rules:
    ignored: set[str]
    uncompared: Mapping[str, str]
    deviations: bool
    redact_fields: tuple[str, ...]
    differences: list[Difference] = field(default_factory=list)
    used: list[DeviationUse] = field(default_factory=list)

    def explained(self, ids: list[str] | str | None, path: str, what: str) -> bool:
        if not self.deviations or not ids:
            return False
        for deviation in [ids] if isinstance(ids, str) else ids:
            self.used.append(DeviationUse(deviation, path, what))
        return True


def _ordered(spans: list[Span]) -> list[Span]:
    return sorted(spans, key=lambda s: (s.name, s.start, s.order))


def _label(span: Span, index: int) -> str:
    return span.name if index == 0 else f"{span.name}#{index + 1}"


def _compare_attributes(prefix: str, path: str, a: Span | None, b: Span | None, a_attrs: dict[str, TypedValue], b_attrs: dict[str, TypedValue], rules: _Rules) -> None:
    for key in sorted(set(a_attrs) | set(b_attrs)):
        if key in rules.ignored:
            continue
        va, vb = a_attrs.get(key), b_attrs.get(key)
        if va == vb:
            continue
        if key in rules.uncompared and va is not None and vb is not None and va[0] == vb[0]:
            continue
        if a is not None and b is not None and rules.explained(dev.explain_attribute(key, a.view(), b.view(), rules.redact_fields), path, f"{prefix}{key}"):
            continue
        rules.differences.append(Difference(path, f"{prefix}{key}",
                                            _plain(va) if va else None, _plain(vb) if vb else None,
                                            va[0] if va else ABSENT, vb[0] if vb else ABSENT))


def _compare_span(a: Span, b: Span, path: str, rules: _Rules, root: Span) -> None:
    out = rules.differences
    if a.kind != b.kind:
        out.append(Difference(path, "kind", a.kind, b.kind))
    if a.status_code != b.status_code:
        out.append(Difference(path, "status.code", a.status_code, b.status_code))
    if a.status_message != b.status_message and not rules.explained(dev.explain_status_message(a.view(), b.view()), path, "status.message"):
        out.append(Difference(path, "status.message", a.status_message, b.status_message))
    _compare_attributes("attributes.", path, a, b, a.attributes, b.attributes, rules)
    a_events = a.events
    if len(a.events) != len(b.events) and rules.deviations:
        if rules.explained(dev.explain_events(a.view()["events"], b.view()["events"]), path, "events"):
            a_events = [e for e in a.events if not dev.d2_is_sdk_exception_event({"name": e[0], "attributes": e[1]})]
    if len(a_events) != len(b.events):
        out.append(Difference(path, "events.count", len(a_events), len(b.events)))
    for index, (ea, eb) in enumerate(zip(a_events, b.events)):
        if ea[0] != eb[0]:
            out.append(Difference(path, f"events[{index}].name", ea[0], eb[0]))
        _compare_attributes(f"events[{index}].attributes.", path, None, None, ea[1], eb[1], rules)
    _compare_children(a.children, b.children, path, rules, root)


def _trace_names(span: Span) -> set[str]:
    names = {span.name}
    for child in span.children:
        names |= _trace_names(child)
    return names


def _compare_children(a: list[Span], b: list[Span], parent_path: str, rules: _Rules, root: Span | None = None) -> None:
    """`root`: the root of A's tree these spans belong to (None at the top: each span is its own root)."""
    a_sorted, b_sorted = _ordered(a), _ordered(b)
    names = sorted({s.name for s in a_sorted} | {s.name for s in b_sorted})
    for name in names:
        group_a = [s for s in a_sorted if s.name == name]
        group_b = [s for s in b_sorted if s.name == name]
        for index in range(max(len(group_a), len(group_b))):
            label = _label(group_a[index] if index < len(group_a) else group_b[index], index)
            path = f"{parent_path} > {label}" if parent_path else label
            if index >= len(group_b):
                extra = group_a[index]
                cache_fill = root is not None and not extra.children and dev.d6_is_cache_fill(extra.name, root.name, _trace_names(root))
                if not rules.explained("D6" if cache_fill else None, path, "span"):
                    rules.differences.append(Difference(path, "span", "present", None, None, ABSENT))
            elif index >= len(group_a):
                rules.differences.append(Difference(path, "span", None, "present", ABSENT, None))
            else:
                _compare_span(group_a[index], group_b[index], path, rules, root if root is not None else group_a[index])


def compare(a: list[Span], b: list[Span], *, ignore_keys: Iterable[str] = (), uncompared: Mapping[str, str] | None = None,
            scope: str | None = None, ignore_spans: Iterable[str] = (), only_traces_with: str | None = None,
            deviations: bool = True, redact_fields: Iterable[str] = GATEWAY_DEFAULT_REDACT_FIELDS) -> Comparison:
    """Compare A (the Python runtime's dump) with B (the Rust path's) as forests.

    `uncompared`: attribute values compared for presence and type only (default
    `deviations.GENERATED_VALUES`); `ignore_keys`: attributes not compared at all; `deviations`:
    a difference D1–D9 explains is listed as that deviation instead (`redact_fields`: the
    gateway's `OTEL_REDACT_FIELDS`, for D3).
    """
    if only_traces_with is not None:
        a, b = keep_traces_with(a, only_traces_with), keep_traces_with(b, only_traces_with)
    uncompared = dict(dev.GENERATED_VALUES if uncompared is None else uncompared)
    ignore_spans = list(ignore_spans)
    rules = _Rules(set(ignore_keys), uncompared, deviations, tuple(redact_fields))
    _compare_children(build_forest(a, scope, ignore_spans), build_forest(b, scope, ignore_spans), "", rules)
    return Comparison(rules.differences, rules.used, {k: v for k, v in uncompared.items() if k not in rules.ignored})


def diff_spans(a: list[Span], b: list[Span], ignore_keys: Iterable[str] = DEFAULT_IGNORED_KEYS,
               scope: str | None = None, ignore_spans: Iterable[str] = ()) -> list[Difference]:
    """Every difference between two span lists, compared as forests: no deviation applies, `ignore_keys` not compared."""
    return compare(a, b, ignore_keys=ignore_keys, uncompared={}, scope=scope, ignore_spans=ignore_spans, deviations=False).differences
