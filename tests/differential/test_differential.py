"""The Go engine (redactdriver) against the real oracle on the seeded corpus, in both modes.

Failures print a compact summary (first few per fn, shrunk repro lines) and write every mismatch
to .cache/differential/mismatches-<mode>.jsonl for whoever fixes the engine.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from . import compare, corpus, driver

SHRINK_PER_FN = 3
DUMP_DIR = driver.REPO / ".cache" / "differential"


def _dump(mode: str, mismatches: list[compare.Mismatch]) -> None:
    DUMP_DIR.mkdir(parents=True, exist_ok=True)
    with open(DUMP_DIR / f"mismatches-{mode}.jsonl", "w", encoding="utf-8") as fh:
        for m in mismatches:
            fh.write(compare.canon({"cid": m.case.cid, "fn": m.case.fn, "why": m.why, "list": m.case.list_name,
                                    "line": m.case.driver_line(mode == "product"), "repro": m.repro,
                                    "oracle": m.oracle, "driver": m.driver}) + "\n")


def _run_mode(mode: str, cases: list[corpus.Case], oracle_answers: dict[int, Any], oracle_mod: Any, driver_bin: Any) -> None:
    answers = driver.run_lines([c.driver_line(deviations=(mode == "product")) for c in cases], driver_bin)
    mismatches = compare.compare_all(cases, mode, oracle_answers, answers)
    if not mismatches:
        return
    shrunk_per_fn: Counter[str] = Counter()
    with oracle_mod.restored_config():
        for m in mismatches:
            if shrunk_per_fn[m.case.fn] >= SHRINK_PER_FN or m.case.fn not in compare.TEXT_ARG:
                continue
            shrunk_per_fn[m.case.fn] += 1
            oracle_mod.configure(m.case.redact_fields)
            m.repro = compare.shrink(m, oracle_mod.answer_case, lambda lines: driver.run_lines(lines, driver_bin))
    _dump(mode, mismatches)
    pytest.fail(compare.summary(mismatches, len(cases)), pytrace=False)


def test_corpus_covers_what_the_issue_asks(cases: list[corpus.Case]) -> None:
    """The seeded corpus is big and mixed enough; a generator change that loses a category fails here."""
    t = compare.tally(cases)
    assert len(cases) >= 100_000
    for fn in corpus.FN_WEIGHTS:
        assert t.get("fn:" + fn, 0) >= 1000, fn
    for name in corpus.REDACT_FIELD_LISTS:
        assert t.get("list:" + name, 0) >= 200, name
    for tag in ("kv", "json_key", "quoted_value", "mask_value", "chained", "bearer", "url", "userinfo", "unicode",
                "unicode_key", "control", "number", "url_like_key", "truncation_boundary", "long_message",
                "blank_message", "single_quoted_key", "escaped_json_key", "key_snake", "key_kebab", "key_camel",
                "key_dotted", "key_upper", "duplicate_key", "url_ws"):
        assert t.get(tag, 0) >= 50, tag
    assert t.get("d3:strict", 0) >= 1000 and t.get("d3:None", 0) >= 10_000, t
    # quoted keys the text rule's IGNORECASE folds to a field (paſſword, to\u212aen) are D3's too
    assert sum(1 for c in cases if "d3_casefold_key" in c.tags and c.d3_secrets) >= 15, t.get("d3_casefold_key")
    assert corpus.generate(200) == corpus.generate(200) != corpus.generate(200, seed=1)  # fixed seed


def test_oracle_answers_are_real(cases: list[corpus.Case], oracle_answers: dict[int, Any]) -> None:
    """Guard against a mis-configured oracle: it must actually mask, and differ per redact_fields list."""
    by_list: dict[str, int] = Counter()
    masked = 0
    for c in cases:
        a = oracle_answers[c.cid]
        if "result" in a and c.secrets and not all(s in compare.canon(a["result"]) for s in c.secrets):
            masked += 1
            by_list[c.list_name] += 1
    assert masked > len(cases) // 3, masked
    assert set(by_list) == set(corpus.REDACT_FIELD_LISTS), by_list
    raises = Counter(a["raises"].split(":")[0] for a in oracle_answers.values() if "raises" in a)
    assert sum(raises.values()) < len(cases) // 20, raises


def test_oracle_exact_mode_has_zero_mismatches(cases, oracle_answers, oracle_mod, driver_bin) -> None:
    _run_mode("exact", cases, oracle_answers, oracle_mod, driver_bin)


def test_product_mode_equals_oracle_except_d3_and_masks_d3(cases, oracle_answers, oracle_mod, driver_bin) -> None:
    _run_mode("product", cases, oracle_answers, oracle_mod, driver_bin)
