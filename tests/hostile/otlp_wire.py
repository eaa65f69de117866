"""Hand-built OTLP trace requests, encoded as protobuf and as OTLP/JSON byte for byte.

No SDK and no generated protobuf classes: a hostile input must be able to carry what they refuse
(invalid UTF-8 in any string field, a wrong-typed attribute, a value nested 100,000 levels deep).
Model: plain Python values. In a string position a `str` is written as UTF-8 and a `bytes` is
written as its raw bytes (so it may be invalid UTF-8); `Bytes(b)` is an AnyValue bytes_value;
int, bool, float, list and dict (a kvlist, keys str or bytes) are the other AnyValue kinds.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from typing import Any, Union

Text = Union[str, bytes]


@dataclass(frozen=True)
class Bytes:
    """An AnyValue bytes_value."""

    data: bytes


@dataclass(frozen=True)
class Nested:
    """An AnyValue nested `depth` levels deep (array or kvlist) around `leaf`, encoded without recursion."""

    depth: int
    leaf: Any
    kind: str = "array"  # or "kvlist"


@dataclass
class Event:
    name: Text
    attributes: dict[Text, Any] = field(default_factory=dict)


@dataclass
class Link:
    trace_state: Text = ""
    attributes: dict[Text, Any] = field(default_factory=dict)


@dataclass
class Span:
    span_id: bytes
    name: Text
    attributes: dict[Text, Any] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    status_code: int = 0  # 0 unset, 1 ok, 2 error
    status_message: Text = ""
    trace_state: Text = ""
    kind: int = 1
    trace_id: bytes = b"\x01" * 16


@dataclass
class Scope:
    name: Text
    version: Text = ""
    attributes: dict[Text, Any] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)


@dataclass
class Resource:
    attributes: dict[Text, Any] = field(default_factory=dict)
    scopes: list[Scope] = field(default_factory=list)


def span_ids(request: list[Resource]) -> list[str]:
    return [s.span_id.hex() for r in request for sc in r.scopes for s in sc.spans]


# ---------------------------------------------------------------- protobuf

def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _ld(field_no: int, payload: bytes) -> bytes:
    return _varint(field_no << 3 | 2) + _varint(len(payload)) + payload


def _text(field_no: int, s: Text) -> bytes:
    data = s.encode("utf-8") if isinstance(s, str) else s
    return _ld(field_no, data) if data else b""


def _pb_any(v: Any) -> bytes:
    if isinstance(v, Nested):
        inner = _pb_any(v.leaf)
        for _ in range(v.depth):
            if v.kind == "array":
                inner = _ld(5, _ld(1, inner))  # AnyValue.array_value{values: [inner]}
            else:
                inner = _ld(6, _ld(1, _text(1, "k") + _ld(2, inner)))  # kvlist_value{values: [{k: inner}]}
        return inner
    if isinstance(v, bool):
        return _varint(2 << 3) + _varint(int(v))
    if isinstance(v, int):
        return _varint(3 << 3) + _varint(v)
    if isinstance(v, float):
        return _varint(4 << 3 | 1) + struct.pack("<d", v)
    if isinstance(v, Bytes):
        return _ld(7, v.data)
    if isinstance(v, list):
        return _ld(5, b"".join(_ld(1, _pb_any(x)) for x in v))
    if isinstance(v, dict):
        return _ld(6, b"".join(_ld(1, _pb_kv(k, x)) for k, x in v.items()))
    return _ld(1, v.encode("utf-8") if isinstance(v, str) else v)


def _pb_kv(k: Text, v: Any) -> bytes:
    return _text(1, k) + _ld(2, _pb_any(v))


def _pb_attrs(field_no: int, attrs: dict[Text, Any]) -> bytes:
    return b"".join(_ld(field_no, _pb_kv(k, v)) for k, v in attrs.items())


def _fixed64(field_no: int, n: int) -> bytes:
    return _varint(field_no << 3 | 1) + struct.pack("<Q", n)


def _pb_span(s: Span) -> bytes:
    out = _ld(1, s.trace_id) + _ld(2, s.span_id) + _text(3, s.trace_state) + _text(5, s.name)
    out += _varint(6 << 3) + _varint(s.kind) + _fixed64(7, 1_700_000_000_000_000_000) + _fixed64(8, 1_700_000_000_012_000_000)
    out += _pb_attrs(9, s.attributes)
    for e in s.events:
        out += _ld(11, _fixed64(1, 1_700_000_000_011_000_000) + _text(2, e.name) + _pb_attrs(3, e.attributes))
    for link in s.links:
        out += _ld(13, _ld(1, b"\x02" * 16) + _ld(2, b"\x03" * 8) + _text(3, link.trace_state) + _pb_attrs(4, link.attributes))
    out += _ld(15, _text(2, s.status_message) + (_varint(3 << 3) + _varint(s.status_code) if s.status_code else b""))
    return out


def to_protobuf(request: list[Resource]) -> bytes:
    """ExportTraceServiceRequest as protobuf bytes."""
    out = b""
    for r in request:
        body = _ld(1, _pb_attrs(1, r.attributes))
        for sc in r.scopes:
            scope = _text(1, sc.name) + _text(2, sc.version) + _pb_attrs(3, sc.attributes)
            body += _ld(2, _ld(1, scope) + b"".join(_ld(2, _pb_span(s)) for s in sc.spans))
        out += _ld(1, body)
    return out


# ---------------------------------------------------------------- OTLP/JSON

def _js(s: Text) -> bytes:
    """A JSON string; raw bytes stay raw (invalid UTF-8 inside a JSON string, as an attacker sends it)."""
    if isinstance(s, str):
        return json.dumps(s, ensure_ascii=False).encode("utf-8")
    out = bytearray(b'"')
    for b in s:
        if b in (0x22, 0x5C):
            out += b"\\" + bytes([b])
        elif b < 0x20:
            out += b"\\u%04x" % b
        else:
            out.append(b)
    return bytes(out + b'"')


def _json_any(v: Any) -> bytes:
    if isinstance(v, Nested):
        leaf = _json_any(v.leaf)
        if v.kind == "array":
            head, tail = b'{"arrayValue":{"values":[', b"]}}"
        else:
            head, tail = b'{"kvlistValue":{"values":[{"key":"k","value":', b"}]}}"
        return head * v.depth + leaf + tail * v.depth
    if isinstance(v, bool):
        return b'{"boolValue":%s}' % (b"true" if v else b"false")
    if isinstance(v, int):
        return b'{"intValue":"%d"}' % v
    if isinstance(v, float):
        return b'{"doubleValue":%s}' % repr(v).encode()
    if isinstance(v, Bytes):
        return b'{"bytesValue":"%s"}' % base64.b64encode(v.data)
    if isinstance(v, list):
        return b'{"arrayValue":{"values":[' + b",".join(_json_any(x) for x in v) + b"]}}"
    if isinstance(v, dict):
        return b'{"kvlistValue":{"values":[' + b",".join(_json_kv(k, x) for k, x in v.items()) + b"]}}"
    return b'{"stringValue":' + _js(v) + b"}"


def _json_kv(k: Text, v: Any) -> bytes:
    return b'{"key":' + _js(k) + b',"value":' + _json_any(v) + b"}"


def _json_attrs(attrs: dict[Text, Any]) -> bytes:
    return b"[" + b",".join(_json_kv(k, v) for k, v in attrs.items()) + b"]"


def _json_span(s: Span) -> bytes:
    parts = [
        b'"traceId":"%s"' % s.trace_id.hex().encode(), b'"spanId":"%s"' % s.span_id.hex().encode(),
        b'"traceState":' + _js(s.trace_state), b'"name":' + _js(s.name), b'"kind":%d' % s.kind,
        b'"startTimeUnixNano":"1700000000000000000"', b'"endTimeUnixNano":"1700000000012000000"',
        b'"attributes":' + _json_attrs(s.attributes),
        b'"events":[' + b",".join(b'{"timeUnixNano":"1700000000011000000","name":' + _js(e.name) + b',"attributes":'
                                  + _json_attrs(e.attributes) + b"}" for e in s.events) + b"]",
        b'"links":[' + b",".join(b'{"traceId":"' + b"02" * 16 + b'","spanId":"' + b"03" * 8 + b'","traceState":'
                                 + _js(link.trace_state) + b',"attributes":' + _json_attrs(link.attributes) + b"}" for link in s.links) + b"]",
        b'"status":{"message":' + _js(s.status_message) + b',"code":%d}' % s.status_code,
    ]
    return b"{" + b",".join(parts) + b"}"


def to_json(request: list[Resource]) -> bytes:
    """ExportTraceServiceRequest as OTLP/JSON bytes."""
    rss = []
    for r in request:
        scopes = []
        for sc in r.scopes:
            scope = b'{"name":' + _js(sc.name) + b',"version":' + _js(sc.version) + b',"attributes":' + _json_attrs(sc.attributes) + b"}"
            scopes.append(b'{"scope":' + scope + b',"spans":[' + b",".join(_json_span(s) for s in sc.spans) + b"]}")
        rss.append(b'{"resource":{"attributes":' + _json_attrs(r.attributes) + b'},"scopeSpans":[' + b",".join(scopes) + b"]}")
    return b'{"resourceSpans":[' + b",".join(rss) + b"]}"
