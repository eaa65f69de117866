"""Bad input through the driver: each line gets exactly one answer (a result or a clean error), the
driver keeps going, never crashes, and whatever it returns for a secret-bearing input holds no secret.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from . import compare, driver

SECRET = "hunter2Zq"
TEN_MB = 10 * 1024 * 1024


def _answer_kind(a: Any) -> str:
    assert isinstance(a, dict) and (set(a) - {"oracle_raises"} in ({"result"}, {"error"})), f"not a protocol answer: {str(a)[:300]}"
    if "error" in a:
        assert isinstance(a["error"], str) and a["error"], a
        return "error"
    return "result"


@pytest.fixture(scope="module")
def oracle_default(oracle_mod: Any) -> Any:
    with oracle_mod.restored_config():
        oracle_mod.configure(None)
        yield oracle_mod


def test_invalid_lines_get_an_error_and_the_driver_goes_on(driver_bin: Any) -> None:
    good = json.dumps({"fn": "sanitize_trace_text", "text": f"password={SECRET}"})
    lines: list[str | bytes] = [
        "this is not json", good,
        "", good,
        '{"fn": "no_such_fn", "text": "x"}', good,
        '{"fn": "sanitize_trace_text"}', good,  # missing text
        '{"fn": "sanitize_trace_text", "text": 42}', good,  # wrong type
        '{"fn": "serialize_trace_payload", "value": {"a": 1}, "max_size": "big"}', good,
        '{"fn": "sanitize_trace_text", "text": "password=x"', good,  # truncated JSON
        '[1, 2, 3]', good,
        '{"fn": "sanitize_trace_text", "text": "password=x"} trailing', good,
    ]
    answers = driver.run_lines(lines, driver_bin)
    for i in range(0, len(lines), 2):
        assert _answer_kind(answers[i]) == "error", (lines[i], answers[i])
        assert answers[i + 1] == {"result": "password=***"}, (lines[i], answers[i + 1])


def test_huge_string_is_answered_and_masked(driver_bin: Any) -> None:
    chunk = f"password={SECRET} see https://u:{SECRET}@h/x?token={SECRET} "
    text = (chunk * (TEN_MB // len(chunk) + 1))[:TEN_MB]
    lines = [json.dumps({"fn": fn, "text": text, "type": "E"}) for fn in ("sanitize_trace_text", "sanitize_span_exception_message")]
    lines.append(json.dumps({"fn": "serialize_trace_payload", "value": {"note": text}, "max_size": 32768}))
    answers = driver.run_lines(lines, driver_bin, timeout=240)
    for line, a in zip(lines, answers):
        if _answer_kind(a) == "result":
            assert SECRET not in a["result"], line[:80]
    if "result" in answers[2]:
        out = answers[2]["result"]
        assert len(out) <= 32768 and json.loads(out)["_truncated"] is True


def test_deep_nesting_is_answered_bounded(driver_bin: Any) -> None:
    depth = 10_000
    deep_list = "[" * depth + json.dumps(f"token={SECRET}") + "]" * depth
    deep_dict = '{"a":' * depth + json.dumps(f"password={SECRET}") + "}" * depth
    lines = []
    for v in (deep_list, deep_dict):
        lines.append('{"fn":"serialize_trace_payload","max_size":512,"value":' + v + "}")
        lines.append('{"fn":"sanitize_trace_attribute_value","key":"note","value":' + v + "}")
    answers = driver.run_lines(lines, driver_bin, timeout=120)
    for line, a in zip(lines, answers):
        if "unparsable" in a:  # deeper than Python's json can read back: check the raw answer line
            assert a["why"] == "RecursionError" and a["unparsable"].startswith('{"result":'), a["unparsable"][:200]
            assert SECRET not in a["unparsable"]
            continue
        if _answer_kind(a) == "result":
            assert SECRET not in compare.canon(a["result"]), line[:80]
            if '"serialize_trace_payload"' in line:
                assert len(a["result"]) <= 512
                json.loads(a["result"])


def test_nan_infinity_and_huge_numbers(driver_bin: Any, oracle_default: Any) -> None:
    """Non-standard NaN/Infinity tokens and numbers beyond float64/int64: a result equal to the oracle, or an error."""
    values = ["NaN", "Infinity", "-Infinity", "[NaN, 1]", '{"x": Infinity}', "1e999", "-1e999", "1" * 400,
              "-" + "9" * 4000, "1" * 5000, "1e-99999", "0." + "0" * 500 + "1", "123456789012345678901234567890.5"]
    lines = []
    for v in values:
        lines.append('{"fn":"serialize_trace_payload","max_size":256,"value":' + v + "}")
        lines.append('{"fn":"sanitize_trace_attribute_value","key":"n","value":' + v + "}")
    answers = driver.run_lines(lines, driver_bin)
    for line, a in zip(lines, answers):
        if _answer_kind(a) == "error":
            continue
        try:
            req = json.loads(line)
        except ValueError:  # Python refuses it too (e.g. over 4300 digits): any bounded result is fine
            continue
        want = oracle_default.answer(req["fn"], req, req["value"])
        if "result" in want:
            got, exp = a["result"], want["result"]
            if isinstance(exp, float) and math.isnan(exp):
                assert isinstance(got, float) and math.isnan(got), line
            else:
                assert compare.canon(got) == compare.canon(exp), (line[:120], got, exp)
        if req["fn"] == "serialize_trace_payload":
            assert len(a["result"]) <= 256


def test_invalid_utf8_and_lone_surrogates(driver_bin: Any) -> None:
    lines: list[str | bytes] = [
        b'{"fn":"sanitize_trace_text","text":"password=hun\xffter2 ok"}',
        b'{"fn":"sanitize_trace_text","text":"\xc3\x28 token=hun\xe2\x82ter2"}',
        '{"fn":"sanitize_trace_text","text":"password=hun\\ud800ter2 ok"}',
        '{"fn":"serialize_trace_payload","max_size":256,"value":{"\\udfff":"token=hun\\udc00ter2"}}',
        '{"fn":"sanitize_url_for_logging","url":"https://u:hun\\ud800ter2@h/?token=hun\\udbffter2"}',
    ]
    answers = driver.run_lines(lines, driver_bin)
    for line, a in zip(lines, answers):
        if _answer_kind(a) == "result":
            assert "ter2" not in compare.canon(a["result"]), (line, a)
