"""Malformed raw spans through the built distribution: every one is exported (spans in = spans out),
bounded and redacted, no `cf.*` key survives, no secret reaches the file, and the processor's
malformed counter counts them.

Invalid UTF-8 goes the only way the SDK lets it: as bytes values (OTLP `bytesValue`); a string with
a lone surrogate cannot be encoded by protobuf at all. Secrets are looked for verbatim and inside
every base64 run of the output, so a bytes value exported as its base64 text cannot hide one."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest

from e2e_collector import leaked_secrets
from e2e_rawspans import RawSpanSender
from opentelemetry.trace import SpanKind

MAX_PAYLOAD = 4096
MAX_ERROR_MESSAGE = 1024
TEN_MB = 10 * 1024 * 1024
MANY_ATTRIBUTES = 10_000
# Secrets that only the malformed inputs carry: none may reach the exporter.
SECRETS = ["hunter2-bytes", "abc123bytes", "hunter2-malformed", "abc123malformed", "malformedbearertoken", "pw-in-url-malformed",
           "zzz-malformed", "tenmb-secret", "many-attrs-secret", "baggage-secret"]

CONFIG = {
    "langfuse_attributes": True,
    "identity_attributes": True,
    "capture_input_spans": ["tool.invoke"],
    "capture_output_spans": ["tool.invoke"],
    "max_trace_payload_size": MAX_PAYLOAD,
}


def ctx(op: Any, **extra: Any) -> dict[str, Any]:
    a: dict[str, Any] = {"cf.correlation_id": "c0ffee00c0ffee00c0ffee00c0ffee00", "cf.correlation_id.from_header": False,
                         "cf.auth.method": "jwt", "cf.user.email": "admin@example.com", "cf.team.ids": []}
    if op is not None:
        a["cf.op"] = op
    a.update(extra)
    return a


def malformed_spans() -> list[tuple[str, dict[str, Any], Any]]:
    """(raw name, attributes, error) of each malformed raw span."""
    big_args = json.dumps({"password": "tenmb-secret", "blob": "x" * TEN_MB})
    many = {f"attr.{i:05d}": f"value {i}" for i in range(MANY_ATTRIBUTES - 40)}
    many.update(ctx("tool.lookup", **{"gen_ai.tool.name": "echo-tool", "cf.tool.id": "t1",
                                      "cf.tool.integration_type": "REST"}))
    many["password"] = "many-attrs-secret"
    many["note"] = "Authorization: Bearer malformedbearertoken"
    long_message = "boom " * 1200 + "password=hunter2-malformed"
    return [
        ("tools/call wrong-op-type", ctx(7, **{"gen_ai.tool.name": "echo-tool"}), None),
        ("tools/call wrong-types", ctx("tool.invoke", **{
            "cf.correlation_id": 12345, "cf.user.is_admin": "yes", "cf.team.ids": "team-a",
            "cf.arguments.count": "four", "cf.result.is_error": "no", "gen_ai.tool.name": 42,
            "cf.request.has_headers": "maybe"}), None),
        ("tools/call bad-json", ctx("tool.invoke", **{
            "gen_ai.tool.name": "echo-tool", "cf.tool.id": "t1", "cf.tool.integration_type": "REST",
            "cf.arguments.count": 1, "cf.request.has_headers": True, "cf.result.is_error": False,
            "gen_ai.tool.call.arguments": '{"password": "hunter2-malformed", "q": token=abc123malformed',
            "gen_ai.tool.call.result": "not json: Bearer malformedbearertoken https://u:pw-in-url-malformed@h/x?api_key=zzz-malformed"}), None),
        ("tool.teleport", ctx("tool.teleport", **{"url.full": "https://u:pw-in-url-malformed@h/x"}), None),
        ("no op at all", ctx(None, **{"cf.baggage": "session=baggage-secret"}), None),
        ("tools/call missing-facts", ctx("tool.invoke"), None),
        # invalid UTF-8 the SDK does allow: bytes values (OTLP bytesValue), and a map where text is due
        ("tools/call invalid-utf8", ctx("tool.invoke", **{
            "gen_ai.tool.name": "echo-tool", "cf.tool.id": "t1", "cf.tool.integration_type": "REST",
            "cf.arguments.count": 1, "cf.request.has_headers": True, "cf.result.is_error": False,
            "cf.correlation_id": b"\xff\xfe-corr", "cf.user.email": b"admin\xff@example.com",
            "gen_ai.tool.call.arguments": b'{"password": "hunter2-bytes", "q": "\xff\xfe"}',
            "gen_ai.tool.call.result": {"content": [{"type": "text", "text": "token=abc123bytes"}]}}), None),
        ("tools/call ten-mb", ctx("tool.invoke", **{
            "gen_ai.tool.name": "echo-tool", "cf.tool.id": "t1", "cf.tool.integration_type": "REST",
            "cf.arguments.count": 2, "cf.request.has_headers": True, "cf.result.is_error": False,
            "gen_ai.tool.call.arguments": big_args, "gen_ai.tool.call.result": big_args}), None),
        ("tool.lookup", many, None),
        ("tools/call long-error", ctx("tool.invoke", **{"gen_ai.tool.name": "echo-tool", "cf.tool.id": "t1",
                                                      "cf.tool.integration_type": "REST"}),
         ("ToolInvocationError", long_message)),
        ("tools/call empty-error", ctx("tool.invoke", **{"gen_ai.tool.name": "echo-tool", "cf.tool.id": "t1",
                                                       "cf.tool.integration_type": "REST"}),
         ("ToolTimeoutError", "")),
    ]


def counter(metrics: str, name: str) -> float:
    """Sum of one of the processor's self-telemetry counters over its label sets (Prometheus text)."""
    total = 0.0
    for line in metrics.splitlines():
        m = re.match(r"^otelcol_processor_mcpparity_" + name + r"(?:_total)?(?:\{[^}]*\})?\s+([0-9.eE+-]+)$", line)
        if m:
            total += float(m.group(1))
    return total


@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_malformed_raw_spans_exported_bounded_redacted(start_collector: Any, protocol: str) -> None:
    collector = start_collector(CONFIG)
    sender = RawSpanSender(protocol, collector.http_endpoint if protocol == "http" else collector.grpc_endpoint,
                           max_attributes=MANY_ATTRIBUTES + 100)
    cases = malformed_spans()
    trace_ids = set()
    for name, attributes, error in cases:
        span = sender.span(name, attributes, kind=SpanKind.SERVER if name == "no op at all" else SpanKind.INTERNAL,
                           error=error)
        trace_ids.add(format(span.get_span_context().trace_id, "032x"))
        span.end()
    sender.close()

    ours = collector.wait_for_spans(len(cases), trace_ids)
    assert len(ours) == len(cases), f"spans in {len(cases)} != spans out {len(ours)}"
    raw = collector.raw_output()
    leaked = leaked_secrets(raw, SECRETS)
    assert not leaked, f"secrets reached the exporter (verbatim or base64): {leaked}"
    assert len(raw) < 4 * 1024 * 1024, f"output not bounded: {len(raw)} bytes for two 10 MB payloads"

    for span in ours:
        raw_keys = [k for k in span["attributes"] if k.startswith("cf.") or k.startswith("gen_ai.tool.call.")]
        assert not raw_keys, f"{span['name']}: raw keys exported {raw_keys[:5]}"
        for key in ("langfuse.observation.input", "langfuse.observation.output"):
            if key in span["attributes"]:
                assert len(span["attributes"][key]) <= MAX_PAYLOAD, f"{span['name']}.{key}: {len(span['attributes'][key])} chars"
        if "error.message" in span["attributes"]:
            assert len(span["attributes"]["error.message"]) <= MAX_ERROR_MESSAGE
        for event in span["events"]:
            for value in event["attributes"].values():
                assert not isinstance(value, str) or len(value) <= MAX_ERROR_MESSAGE, f"{span['name']}: event value unbounded"

    many = next(s for s in ours if s["name"] == "tool.lookup")
    assert many["attributes"].get("password", "***") == "***", "a key-matched foreign attribute is masked or dropped"
    ten_mb = [s for s in ours if isinstance(s["attributes"].get("langfuse.observation.input"), str)
              and '"_truncated":true' in s["attributes"]["langfuse.observation.input"]]
    assert ten_mb, "the 10 MB arguments come out as the _truncated wrapper"
    assert json.loads(ten_mb[0]["attributes"]["langfuse.observation.input"])["_original_size"] > TEN_MB
    errors = [s for s in ours if s["status"]["code"] == "ERROR"]
    assert len(errors) == 2 and all(s["attributes"].get("error") is True for s in errors)
    empty = next(s for s in errors if s["attributes"].get("error.type") == "ToolTimeoutError")
    assert empty["attributes"]["error.message"] == "ToolTimeoutError", "empty message becomes the class name"

    metrics = collector.metrics_text()
    assert counter(metrics, "spans_transformed") == len(cases)
    # at least: op of the wrong type, wrong fact types, bad JSON, unknown op, no op, missing facts, 10,000 attributes
    assert counter(metrics, "malformed_spans") >= 7, metrics
    assert counter(metrics, "truncations") >= 2, "the two 10 MB payloads"
    assert counter(metrics, "redactions") >= 1


def test_leak_scan_sees_through_base64() -> None:
    """The scan the no-leak assertions rely on finds a secret verbatim and base64-encoded at any offset."""
    for prefix in (b"", b"x", b"xy"):
        encoded = base64.b64encode(prefix + b'{"password": "hunter2-bytes"}')
        assert leaked_secrets(b'{"stringValue":"' + encoded + b'"}', ["hunter2-bytes"]) == ["hunter2-bytes"]
    assert leaked_secrets(b"token=hunter2-malformed", ["hunter2-malformed", "absent"]) == ["hunter2-malformed"]
    assert leaked_secrets(base64.b64encode(b"nothing secret in here at all"), ["hunter2-bytes"]) == []
