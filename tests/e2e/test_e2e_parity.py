"""The built distribution turns raw spans (sent with the real OTel SDK over OTLP/HTTP and OTLP/gRPC)
into the Python runtime's spans: every kept span of the oracle capture, D1-D5 applied
(tests/lib/expected.py), compared by the project's comparator (`mcpparity diff`: tree, names,
kinds, status, typed attributes, events) and by what only the wire shows."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from e2e_collector import leaked_secrets
from e2e_rawspans import RawSpanSender, emit_call
from lib.expected import GATEWAY_SCOPE, expected_call, load_capture, mask_json_quoted_secrets_in
from lib.gateway_settings import trace_settings
from lib.oracle_data import TOOLS_CALL_CAPTURES, require
from lib.oracle_payload import PayloadRequest, oracle_serialize
from parity.run_parity import diff as parity_diff, expected_as_capture

REPO = Path(__file__).resolve().parents[2]
CASES = REPO / "tests" / "parity" / "cases"

# The secrets of the recorded calls' inputs (SECRET_ARGS, the upstream's error text): none may be exported.
SECRETS = ["hunter2", "abc123", "k-123", "sekrit-bearer", "api_key=zzz", "u:p@", "Bearer xyz"]


def oracle_dir() -> Path:
    return require(TOOLS_CALL_CAPTURES)


def load_case(case: str) -> tuple[dict[str, Any], dict[str, Any]]:
    facts = json.loads((CASES / f"{case}.json").read_text())
    return facts, load_capture(oracle_dir() / f"{case}.json")


def compare_call(expected: Any, ours: list[dict[str, Any]], exported_text: str) -> None:
    """The project's one comparator (`mcpparity diff`, as the parity suite runs it) on the whole
    tree, plus what only the wire shows: scope, remote parent, ignored values present and typed."""
    differences = parity_diff(expected_as_capture(expected), exported_text, list(expected.ignored_values))
    assert not differences, "differences from the oracle (A = expected):\n  " + "\n  ".join(differences[:20])
    assert len(ours) == len(expected.spans), f"{len(ours)} spans exported, {len(expected.spans)} expected"
    by_id = {s["spanId"]: s for s in ours}
    for want in expected.spans:
        where = want["name"]
        candidates = [
            s for s in ours
            if s["name"] == want["name"]
            and (by_id[s["parentSpanId"]]["name"] if s["parentSpanId"] in by_id else None) == want["parentName"]
        ]
        assert candidates, f"{where}: no span under {want['parentName']!r}"
        for got in candidates:
            assert got["scope"]["name"] == GATEWAY_SCOPE, f"{where}: scope {got['scope']['name']!r}"
            if want["parent"] == "remote":
                assert got["parentSpanId"] and got["parentSpanId"] not in by_id, f"{where}: not parented on the incoming traceparent"
            elif want["parent"] is None:
                assert not got["parentSpanId"], f"{where}: a root with a parent"
            for key in expected.ignored_values:
                if key in want["attributes"]:
                    assert type(got["attributes"].get(key)) is type(want["attributes"][key]), f"{where}.{key}: missing or wrong type"


def assert_no_secret(raw: bytes, secrets: list[str]) -> None:
    leaked = leaked_secrets(raw, secrets)
    assert not leaked, f"secrets reached the exporter (verbatim or base64): {leaked}"


def run_case(start_collector: Any, case: str, protocol: str) -> tuple[Any, list[dict[str, Any]], bytes]:
    facts, capture = load_case(case)
    expected = expected_call(capture, facts)
    collector = start_collector(trace_settings(facts["env"]).processor_config())
    sender = RawSpanSender(protocol, collector.http_endpoint if protocol == "http" else collector.grpc_endpoint)
    trace_id = emit_call(sender, facts)
    sender.close()
    ours = collector.wait_for_spans(sender.started, {trace_id})
    assert len(ours) == sender.started, f"spans in {sender.started} != out {len(ours)}"
    return expected, ours, collector.raw_output()


ALL_CASES = sorted(p.stem for p in CASES.glob("*.json"))


@pytest.mark.parametrize(
    "case,protocol",
    # every recorded call, alternating the two OTLP transports the Rust runtime may use
    [(case, "http" if n % 2 == 0 else "grpc") for n, case in enumerate(ALL_CASES)],
)
def test_recorded_call_matches_oracle(start_collector: Any, case: str, protocol: str) -> None:
    expected, ours, raw = run_case(start_collector, case, protocol)
    compare_call(expected, ours, raw.decode("utf-8"))
    for span in ours:
        leftovers = [k for k in span["attributes"] if k.startswith("cf.") or k.startswith("gen_ai.tool.call.")]
        assert not leftovers, f"{span['name']}: raw keys exported {leftovers}"
    assert_no_secret(raw, SECRETS)


def test_deviations_are_exercised() -> None:
    """The two headline cases really hit D1-D5, so the comparison above proves the deviations."""
    for case, wanted in (("b_secrets_capture", {"D3", "D4"}), ("f_mcp_upstream_jsonrpc_error", {"D1", "D2", "D5"})):
        facts, capture = load_case(case)
        hit = {d for d, changes in expected_call(capture, facts).deviations.items() if changes}
        assert wanted <= hit, f"{case}: deviations {sorted(hit)} do not include {sorted(wanted)}"


def test_payloads_stay_valid_json(start_collector: Any) -> None:
    """D4: both captured payloads of the secrets case parse as JSON (Python's double pass breaks them)."""
    _, ours, _ = run_case(start_collector, "b_secrets_capture", "grpc")
    invoke = next(s for s in ours if s["name"] == "tool.invoke")
    arguments = json.loads(invoke["attributes"]["langfuse.observation.input"])
    result = json.loads(invoke["attributes"]["langfuse.observation.output"])
    assert arguments["password"] == "***" and arguments["api_key"] == "***"
    assert result["isError"] is False
    echoed = json.loads(result["content"][0]["text"])["echo"]
    assert echoed["password"] == "***", "D3: the JSON-quoted password in the echoed text is masked"


SETTINGS = [
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": "256"},  # the minimum: both payloads become the _truncated wrapper
    {"OTEL_REDACT_FIELDS": "query,password"},  # replaces the list: api_key no longer masked by key
    {"OTEL_REDACT_FIELDS": ""},  # empty: the module fallback, which adds session_token
    {"OTEL_REDACT_FIELDS": "query,password,session_token", "OTEL_MAX_TRACE_PAYLOAD_SIZE": "300"},
]


@pytest.mark.parametrize("overrides", SETTINGS, ids=lambda o: ",".join(f"{k}={v}" for k, v in o.items()))
def test_payloads_follow_the_oracle_under_gateway_settings(start_collector: Any, overrides: dict[str, str]) -> None:
    """Non-default payload settings, turned into the processor config, give exactly the payloads
    the real oracle serializes under the same settings (single pass = D4, JSON-quoted keys = D3)."""
    facts, _ = load_case("b_secrets_capture")
    facts["env"].update(overrides)
    facts["call"]["arguments"] = dict(facts["call"]["arguments"], session_token="st-e2e-secret", filler="f" * 300)
    settings = trace_settings(facts["env"])
    requests = [
        PayloadRequest(kind, key, mask_json_quoted_secrets_in(value, settings.redact_fields))
        for kind, key, value in (("arguments", "langfuse.observation.input", facts["call"]["arguments"]),
                                 ("tool_result", "langfuse.observation.output", facts["outcome"]["result"]))
    ]
    want = oracle_serialize(requests, settings.redact_fields_env, settings.max_trace_payload_size_env)

    collector = start_collector(settings.processor_config())
    sender = RawSpanSender("http", collector.http_endpoint)
    trace_id = emit_call(sender, facts)
    sender.close()
    invoke = next(s for s in collector.wait_for_spans(sender.started, {trace_id}) if s["name"] == "tool.invoke")
    for request, result in zip(requests, want):
        assert invoke["attributes"][request.attribute] == result.single_pass, request.attribute
        assert len(invoke["attributes"][request.attribute]) <= settings.max_trace_payload_size
        if settings.max_trace_payload_size_env is not None:  # the 300-char filler overflows these limits
            assert invoke["attributes"][request.attribute].startswith('{"_truncated":true'), request.attribute


def test_many_calls_over_both_transports_none_dropped(start_collector: Any) -> None:
    """Every recorded call five times, over OTLP/HTTP and gRPC at once: spans in = spans out, per trace."""
    collector = start_collector(trace_settings({"OTEL_EMIT_LANGFUSE_ATTRIBUTES": "true",
                                                "OTEL_CAPTURE_INPUT_SPANS": "tool.invoke",
                                                "OTEL_CAPTURE_OUTPUT_SPANS": "tool.invoke"}).processor_config())
    senders = {"http": RawSpanSender("http", collector.http_endpoint),
               "grpc": RawSpanSender("grpc", collector.grpc_endpoint)}
    sent: dict[str, int] = {}
    lock = threading.Lock()

    def send(protocol: str) -> None:
        sender = senders[protocol]
        for _ in range(5):
            for case in ALL_CASES:
                facts, _ = load_case(case)
                before = sender.started
                trace_id = emit_call(sender, facts)
                with lock:  # calls with an incoming traceparent share its trace id: add up
                    sent[trace_id] = sent.get(trace_id, 0) + sender.started - before

    threads = [threading.Thread(target=send, args=(p,)) for p in senders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    for sender in senders.values():
        sender.close()
    total = sum(sent.values())
    ours = collector.wait_for_spans(total, set(sent))
    assert len(ours) == total
    got: dict[str, int] = {}
    for span in ours:
        got[span["traceId"]] = got.get(span["traceId"], 0) + 1
    assert got == sent, "a trace lost or gained spans"
