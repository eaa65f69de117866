"""Read the collector file exporter's output (OTLP JSON lines) into oracle-format span dicts.

One span dict has the keys of an oracle capture's span (tests/oracle/tools-call/*.json): name, kind and
status.code as names ("SERVER", "ERROR"), hex ids (parentSpanId None for a root), attributes and
event attributes decoded to Python values, its scope and resource, startTimeUnixNano and durationMs.
The configurator's comparator (`mcpparity.spandiff`) keeps its own typed reader: it is the product.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any, Callable, Optional

KIND_NAMES = {0: "UNSPECIFIED", 1: "INTERNAL", 2: "SERVER", 3: "CLIENT", 4: "PRODUCER", 5: "CONSUMER"}
STATUS_NAMES = {0: "UNSET", 1: "OK", 2: "ERROR"}


def any_value(v: dict[str, Any]) -> Any:
    """Decode an OTLP JSON AnyValue (ptrace JSON: ints as strings, arrays as values lists, bytes as base64)."""
    if "stringValue" in v:
        return v["stringValue"]
    if "boolValue" in v:
        return v["boolValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return float(v["doubleValue"])
    if "arrayValue" in v:
        return [any_value(x) for x in v["arrayValue"].get("values", [])]
    if "kvlistValue" in v:
        return {kv["key"]: any_value(kv.get("value", {})) for kv in v["kvlistValue"].get("values", [])}
    if "bytesValue" in v:
        return base64.b64decode(v["bytesValue"])
    return None  # an empty AnyValue


def attributes(kvs: Optional[list[dict[str, Any]]]) -> dict[str, Any]:
    """An OTLP JSON key/value list as a dict of decoded values."""
    return {kv["key"]: any_value(kv.get("value", {})) for kv in kvs or []}


def enum_name(value: Any, names: dict[int, str], prefix: str) -> str:
    """OTLP JSON enums arrive as numbers (file exporter) or as names (`SPAN_KIND_SERVER`)."""
    if isinstance(value, int):
        return names.get(value, str(value))
    return str(value).replace(prefix, "") if value else names[0]


def hex_id(value: Optional[str]) -> Optional[str]:
    """Span and trace ids as the file exporter writes them (hex already); empty means none."""
    return value or None


def base64_id(value: Optional[str]) -> Optional[str]:
    """Span and trace ids of the protobuf JSON mapping (base64 bytes) as hex; empty means none."""
    return base64.b64decode(value).hex() if value else None


def request_spans(doc: dict[str, Any], decode_id: Callable[[Optional[str]], Optional[str]] = hex_id) -> list[dict[str, Any]]:
    """The spans of one ExportTraceServiceRequest in OTLP JSON, in their order.

    `decode_id` turns the document's id encoding into hex: `hex_id` for the file exporter's
    ptrace JSON, `base64_id` for protobuf's standard JSON mapping."""
    spans: list[dict[str, Any]] = []
    for rs in doc.get("resourceSpans", []):
        resource = attributes(rs.get("resource", {}).get("attributes"))
        for ss in rs.get("scopeSpans", []):
            scope = dict(ss.get("scope", {}), schemaUrl=ss.get("schemaUrl"))
            for s in ss.get("spans", []):
                status = s.get("status", {})
                start, end = int(s.get("startTimeUnixNano", 0)), int(s.get("endTimeUnixNano", 0))
                spans.append({
                    "name": s.get("name", ""),
                    "kind": enum_name(s.get("kind"), KIND_NAMES, "SPAN_KIND_"),
                    "traceId": decode_id(s.get("traceId")) or "",
                    "spanId": decode_id(s.get("spanId")) or "",
                    "parentSpanId": decode_id(s.get("parentSpanId")),
                    "traceState": s.get("traceState"),
                    "flags": s.get("flags"),
                    "status": {"code": enum_name(status.get("code", 0), STATUS_NAMES, "STATUS_CODE_"),
                               "message": status.get("message")},
                    "attributes": attributes(s.get("attributes")),
                    "events": [{"name": e.get("name", ""), "attributes": attributes(e.get("attributes"))}
                               for e in s.get("events", [])],
                    "links": [{"traceId": decode_id(x.get("traceId")), "spanId": decode_id(x.get("spanId")),
                               "attributes": attributes(x.get("attributes"))} for x in s.get("links", [])],
                    "scope": scope,
                    "resource": resource,
                    "startTimeUnixNano": start,
                    "durationMs": (end - start) / 1e6,
                })
    return spans


def parse_export_lines(text: str) -> list[dict[str, Any]]:
    """Every span of the file exporter's lines (one ExportTraceServiceRequest each), by start time.

    A line still being written raises json.JSONDecodeError; a caller polling the file reads again."""
    spans: list[dict[str, Any]] = []
    for line in text.splitlines():
        if line.strip():
            spans.extend(request_spans(json.loads(line)))
    spans.sort(key=lambda s: s["startTimeUnixNano"])
    return spans


def read_exported(path: Path) -> list[dict[str, Any]]:
    """The spans of a file exporter's output file; none while the file does not exist yet."""
    if not path.exists():
        return []
    return parse_export_lines(path.read_bytes().decode("utf-8", errors="replace"))
