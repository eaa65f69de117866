"""The hostile inputs: every class of issue 9 (fail closed), generated combinatorially.

Each input is one OTLP request (otlp_wire model) with secrets planted only where a rule must catch
them: after a redact key (`password=`), after `Bearer`, in URL userinfo, as a sensitive query
parameter, under a JSON-quoted key, as the value of a redact-field attribute key. A secret is a
unique token, so the suite can say which one leaked and from where. `refusable` inputs (nesting,
size) may be refused by the receiver with a clear error; every other input must be accepted.
"""

from __future__ import annotations

import gzip
import json
import random
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from otlp_wire import Bytes, Event, Link, Nested, Resource, Scope, Span, Text

RAW_SCOPE = "contextforge.mcp_runtime"
MAX_TRACE_PAYLOAD_SIZE = 32768  # the generated configs' default (OTEL_MAX_TRACE_PAYLOAD_SIZE)
MAX_REQUEST_BYTES = 4 << 20
MAX_JSON_DEPTH = 256


# Every planted secret has this shape (Planter.new), so a leak scan is one regex pass.
SECRET_PATTERN = re.compile(rb"Hq[0-9]{5}z[0-9a-f]{6}")


class Planter:
    """Makes unique secrets and the contexts that make them secrets."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.secrets: list[str] = []

    def new(self) -> str:
        s = f"Hq{len(self.secrets):05d}z{self.rng.randrange(16**6):06x}"
        self.secrets.append(s)
        return s

    def text(self) -> str:
        """Free text with every context once."""
        return (f"password={self.new()} Authorization: Bearer {self.new()} see https://user:{self.new()}@example.com/p"
                f"?api_key={self.new()}&q=1 token={self.new()} \"api_key\": \"{self.new()}\"")

    def query(self) -> str:
        return f"api_key={self.new()}&token={self.new()}&password={self.new()}"

    def url(self) -> str:
        return f"https://user:{self.new()}@example.com/x?api_key={self.new()}&q=1"

    def json_payload(self) -> str:
        return json.dumps({"password": self.new(), "q": f"token={self.new()} Bearer {self.new()}",
                           "note": f"https://u:{self.new()}@example.com/?api_key={self.new()}", "api_key": self.new(),
                           "nested": {"client_secret": self.new(), "list": [f"password={self.new()}"]}})

    def tool_result(self) -> str:
        return json.dumps({"content": [{"type": "text", "text": self.text()}], "isError": False})

    def past_cut(self) -> str:
        """URL userinfo whose `@` lies past max_trace_payload_size: cut first, the secret would survive."""
        return f"https://user:{self.new()}{'a' * (MAX_TRACE_PAYLOAD_SIZE + 100)}@example.com/"

    def raw_text(self) -> bytes:
        """Free text with invalid UTF-8 around the secrets."""
        return b"\xff " + self.text().encode() + b" \xc3( password=" + self.new().encode() + b" \xfe"


@dataclass
class HostileInput:
    name: str
    cls: str  # the issue-9 item (1..7) it exercises
    request: list[Resource]
    refusable: bool = False
    gzip: bool = False  # sent gzip-compressed over HTTP
    transports: tuple[str, ...] = ("http-json", "http-protobuf", "grpc")
    secrets: list[str] = field(default_factory=list)


class SpanIds:
    def __init__(self, prefix: int):
        self.prefix, self.n = prefix, 0

    def next(self) -> bytes:
        self.n += 1
        return bytes([self.prefix]) + self.n.to_bytes(7, "big")


def raw_facts(p: Planter, op: Any = "tool.invoke") -> dict[Text, Any]:
    """A raw span's facts with secrets in every one that carries text."""
    facts: dict[Text, Any] = {
        "cf.correlation_id": "c0ffee00c0ffee00c0ffee00c0ffee00", "cf.correlation_id.from_header": True,
        "cf.auth.method": "jwt", "cf.user.email": "admin@example.com", "cf.user.is_admin": True,
        "cf.team.ids": ["team-a", p.text()], "cf.team.name": p.text(), "cf.session.id": p.text(),
        "cf.tool.id": p.text(), "cf.tool.integration_type": "REST", "cf.tool.gateway_id": p.text(),
        "cf.arguments.count": 3, "cf.request.has_headers": True, "cf.result.is_error": False,
        "gen_ai.tool.name": p.text(), "cf.upstream.tool_name": p.text(), "cf.upstream.transport": p.text(),
        "cf.upstream.url": p.url(), "url.full": p.url() + " " + p.text(), "cf.server.id": p.text(),
        "http.request.method": "POST", "url.path": "/rpc " + p.text(), "url.query": p.query(),
        "user_agent.original": p.text(), "server.address": "127.0.0.1", "server.port": 4444,
        "http.response.status_code": 200, "cf.baggage": f"tenant=password={p.new()}",
        "gen_ai.tool.call.arguments": p.json_payload(), "gen_ai.tool.call.result": p.tool_result(),
        "custom.note": p.text(), "api_key": p.new(), "cf.extra": p.text(),
    }
    if op is not None:
        facts["cf.op"] = op
    return facts


def plant_span_rest(p: Planter, s: Span, error: bool = True) -> Span:
    """Secrets in the status, events, links and trace state of a span."""
    if error:
        s.status_code = 2
        s.status_message = p.text()
        s.events.append(Event("exception", {"exception.type": "ToolError " + p.text(), "exception.message": p.text(),
                                            "exception.stacktrace": p.text()}))
    s.events.append(Event("log " + p.text(), {"msg": p.text(), "password": p.new()}))
    s.links.append(Link(f"vendor=x password={p.new()}", {"link.note": p.text(), "token": p.new()}))
    s.trace_state = f"vendor=x token={p.new()}"
    return s


def foreign_attributes(p: Planter) -> dict[Text, Any]:
    return {"free.text": p.text(), "url.full": p.url() + " " + p.text(), "http.url": p.url(), "url.query": p.query(),
            "gen_ai.tool.call.arguments": p.json_payload(), "json.value": p.json_payload(),
            "bytes.value": Bytes(p.text().encode()), "kv": {"inner": p.text(), "password": p.new()},
            "list": [p.text(), p.url()], "authorization": f"Bearer {p.new()}", "db.statement": p.text()}


def resource(p: Planter, scopes: list[Scope]) -> list[Resource]:
    return [Resource({"service.name": "mcp-gateway", "deployment.note": p.text(), "api_key": p.new()}, scopes)]


def scope(p: Planter, name: Text, spans: list[Span]) -> Scope:
    return Scope(name, "1.0 " + p.text(), {"scope.note": p.text()}, spans)


NEAR_MISS_SCOPES: list[Text] = [
    "contextforge.mcp_runtime.v2", "ContextForge.MCP_Runtime", "contextforge.mcp_runtime ", " contextforge.mcp_runtime",
    b"contextforge.mcp_runtime\xff", "CONTEXTFORGE.MCP_RUNTIME", "contextforge.mcp_runtime\t", "contextforge.mcp-runtime",
    "contextforge.mcp_runtime.v1.1", "contextforge.mcp_runtime/v2", "io.contextforge.mcp_runtime", "contextforge mcp runtime",
]
ODD_OPS: list[Any] = [
    "tool.invoke.v2", None, "", "Tool.Invoke", "TOOL.INVOKE", " tool.invoke", "tool.invoke ", "unknown", 7, True, 1.5,
    ["tool.invoke"], {"op": "tool.invoke"}, Bytes(b"tool.invoke"), b"tool.invoke\xff",
]
WRONG_TYPED_KEYS = ["url.query", "url.full", "url.path", "cf.upstream.url", "gen_ai.tool.name", "cf.user.email",
                    "cf.team.name", "cf.session.id", "cf.correlation_id", "user_agent.original"]
KNOWN_OPS = ["request", "tool.invoke", "mcp.client.call"]


def wrong_typed(p: Planter, kind: str) -> Any:
    if kind == "kvlist":
        return {"q": p.text(), "password": p.new(), "url": p.url()}
    if kind == "array":
        return [p.text(), p.url(), {"token": p.new()}]
    if kind == "bytes":
        return Bytes(p.text().encode())
    if kind == "raw-string":
        return p.raw_text()
    return 42


def generate(seed: int = 9) -> Iterator[HostileInput]:
    """Every hostile input, in a fixed order (the seed fixes the secrets)."""
    p = Planter(seed)
    ids = SpanIds(0)

    def make(name: str, cls: str, build: Callable[[], list[Resource]], **kw: Any) -> HostileInput:
        first = len(p.secrets)
        request = build()
        return HostileInput(name=name, cls=cls, request=request, secrets=p.secrets[first:], **kw)

    def raw_span(op: Any = "tool.invoke", name: Text = "tools/call echo") -> Span:
        return plant_span_rest(p, Span(ids.next(), name, raw_facts(p, op)))

    def foreign_span(**extra: Any) -> Span:
        attrs = foreign_attributes(p)
        attrs.update(extra)
        return plant_span_rest(p, Span(ids.next(), "GET /x " + p.text(), attrs))

    # 1. near-miss scopes: untrusted raw, whatever span they carry
    for sc in NEAR_MISS_SCOPES:
        for op in KNOWN_OPS:
            yield make(f"1 scope {sc!r} op {op}", "1", lambda: resource(p, [scope(p, sc, [raw_span(op)])]))
        yield make(f"1 scope {sc!r} foreign-like", "1", lambda: resource(p, [scope(p, sc, [foreign_span()])]))
    # 2. odd cf.op under the raw scope
    for op in ODD_OPS:
        for error in (True, False):
            yield make(f"2 cf.op {op!r} error={error}", "2", lambda: resource(
                p, [scope(p, RAW_SCOPE, [plant_span_rest(p, Span(ids.next(), "tools/call x", raw_facts(p, op)), error)])]))
    # 3. wrong-typed facts, on every op that reads them
    for key in WRONG_TYPED_KEYS:
        for kind in ("kvlist", "array", "bytes", "raw-string", "int"):
            for op in KNOWN_OPS:
                def build(key=key, kind=kind, op=op) -> list[Resource]:
                    s = raw_span(op)
                    s.attributes[key] = wrong_typed(p, kind)
                    return resource(p, [scope(p, RAW_SCOPE, [s])])
                yield make(f"3 {key} as {kind} on {op}", "3", build)
    # 4. sanitize before bound: the secret's context lies past max_trace_payload_size
    long_places: dict[str, Callable[[Span], None]] = {
        "tool.name": lambda s: s.attributes.__setitem__("gen_ai.tool.name", p.past_cut()),
        "url.query": lambda s: s.attributes.__setitem__("url.query", p.past_cut()),
        "url.full": lambda s: s.attributes.__setitem__("url.full", p.past_cut()),
        "cf.user.email": lambda s: s.attributes.__setitem__("cf.user.email", p.past_cut()),
        "exception.message": lambda s: s.events[0].attributes.__setitem__("exception.message", p.past_cut()),
        "exception.type": lambda s: s.events[0].attributes.__setitem__("exception.type", p.past_cut()),
        "capped preview": lambda s: (s.attributes.__setitem__("gen_ai.tool.call.arguments", json.dumps({"q": p.past_cut()})),
                                     s.attributes.__setitem__("cf.arguments.original_size", 5 << 20)),
        "capped result": lambda s: (s.attributes.__setitem__("gen_ai.tool.call.result", p.past_cut()),
                                    s.attributes.__setitem__("cf.result.original_size", 5 << 20)),
        "arguments not json": lambda s: s.attributes.__setitem__("gen_ai.tool.call.arguments", p.past_cut()),
        "link": lambda s: s.links[0].attributes.__setitem__("link.note", p.past_cut()),
        "span name": lambda s: setattr(s, "name", p.past_cut()),
    }
    for where, plant in long_places.items():
        for op in KNOWN_OPS + ["no.such.op"]:
            def build(plant=plant, op=op) -> list[Resource]:
                s = raw_span(op)
                plant(s)
                return resource(p, [scope(p, RAW_SCOPE, [s])])
            yield make(f"4 long {where} on {op}", "4", build)
    for where in ("status", "attribute", "event name", "span name", "resource", "scope attribute", "json attribute"):
        def build(where=where) -> list[Resource]:
            s = foreign_span()
            res = resource(p, [scope(p, "fastapi", [s])])
            if where == "status":
                s.status_message = p.past_cut()
            elif where == "attribute":
                s.attributes["note"] = p.past_cut()
            elif where == "event name":
                s.events[0].name = p.past_cut()
            elif where == "span name":
                s.name = p.past_cut()
            elif where == "resource":
                res[0].attributes["note"] = p.past_cut()
            elif where == "scope attribute":
                res[0].scopes[0].attributes["note"] = p.past_cut()
            else:
                s.attributes["json"] = json.dumps({"q": p.past_cut()})
            return res
        yield make(f"4 long foreign {where}", "4", build)
    # 5. foreign spans: every string, under any scope; cf.* facts outside a raw scope
    for sc in ("fastapi", "mcp-gateway", "", "opentelemetry.instrumentation.httpx", b"lib\xff"):
        yield make(f"5 foreign scope {sc!r}", "5", lambda: resource(p, [scope(p, sc, [foreign_span(), foreign_span()])]))
    for key in ("cf.op", "CF.OP", "cf.user.email", "Cf.anything"):
        yield make(f"5 foreign span with {key}", "5", lambda: resource(
            p, [scope(p, "fastapi", [foreign_span(**{key: p.text()}), foreign_span()])]))
    yield make("5 raw and foreign in one request", "5", lambda: resource(
        p, [scope(p, RAW_SCOPE, [raw_span(), raw_span("request")]), scope(p, "fastapi", [foreign_span()]),
            scope(p, NEAR_MISS_SCOPES[0], [raw_span()])]))
    # 6. invalid UTF-8 in every string place, under raw, foreign and near-miss scopes
    bad_places: dict[str, Callable[[list[Resource]], None]] = {
        "attribute key": lambda r: r[0].scopes[0].spans[0].attributes.__setitem__(b"note\xff" + str(len(p.secrets)).encode(), p.raw_text()),
        "attribute value": lambda r: r[0].scopes[0].spans[0].attributes.__setitem__("note", p.raw_text()),
        "span name": lambda r: setattr(r[0].scopes[0].spans[0], "name", p.raw_text()),
        "resource key": lambda r: r[0].attributes.__setitem__(b"res\xfe", p.raw_text()),
        "resource value": lambda r: r[0].attributes.__setitem__("res.note", p.raw_text()),
        "scope name": lambda r: setattr(r[0].scopes[0], "name", r[0].scopes[0].name.encode() + b"\xff"
                                        if isinstance(r[0].scopes[0].name, str) else r[0].scopes[0].name),
        "scope version": lambda r: setattr(r[0].scopes[0], "version", p.raw_text()),
        "event name": lambda r: setattr(r[0].scopes[0].spans[0].events[-1], "name", p.raw_text()),
        "status": lambda r: setattr(r[0].scopes[0].spans[0], "status_message", p.raw_text()),
        "trace state": lambda r: setattr(r[0].scopes[0].spans[0], "trace_state", b"k=\xff " + p.raw_text()),
        "link key": lambda r: r[0].scopes[0].spans[0].links[0].attributes.__setitem__(b"l\xff", p.raw_text()),
        "nested kvlist key": lambda r: r[0].scopes[0].spans[0].attributes.__setitem__("kv", {b"k\xc3(": p.raw_text(), "deep": [p.raw_text()]}),
        "payload": lambda r: r[0].scopes[0].spans[0].attributes.__setitem__("gen_ai.tool.call.arguments", b'{"password": "' + p.new().encode() + b'", "q": "\xff"}'),
    }
    for where, plant in bad_places.items():
        for sc in (RAW_SCOPE, "fastapi", NEAR_MISS_SCOPES[1]):
            def build(plant=plant, sc=sc) -> list[Resource]:
                r = resource(p, [scope(p, sc, [raw_span() if sc != "fastapi" else foreign_span()])])
                plant(r)
                return r
            yield make(f"6 invalid UTF-8 in {where} under {sc!r}", "6", build)
    # 7. nesting and size: refused with a clear error or processed, never a crash or a memory spike
    for depth in (40, 70):
        for kind in ("array", "kvlist"):
            yield make(f"7 {kind} nested {depth}", "7", lambda: resource(
                p, [scope(p, "fastapi", [Span(ids.next(), "deep", {"deep": Nested(depth, p.text(), kind)})])]), refusable=True)
    for kind, per_level in (("array", 28), ("kvlist", 49)):
        depth = (MAX_REQUEST_BYTES - 4096) // per_level
        yield make(f"7 {kind} nested to fill 4 MiB ({depth} levels)", "7", lambda: resource(
            p, [scope(p, "fastapi", [Span(ids.next(), "deep", {"deep": Nested(depth, p.text(), kind)})])]),
            refusable=True, transports=("http-json",))
    yield make("7 600,000 levels gzip-compressed", "7", lambda: resource(
        p, [scope(p, "fastapi", [Span(ids.next(), "deep", {"deep": Nested(600_000, p.text())})])]),
        refusable=True, gzip=True, transports=("http-json",))
    yield make("7 flat 5 MiB over the body limit", "7", lambda: resource(
        p, [scope(p, RAW_SCOPE, [Span(ids.next(), "big", {**raw_facts(p), "blob": "x" * (5 << 20)})])]), refusable=True)
    yield make("7 flat 12 MiB gzip-compressed", "7", lambda: resource(
        p, [scope(p, "fastapi", [Span(ids.next(), "big", {"blob": "password=" + p.new() + " " + "y" * (12 << 20)})])]),
        refusable=True, gzip=True, transports=("http-json", "http-protobuf"))


def compress(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6)
