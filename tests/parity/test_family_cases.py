"""The committed family facts files are what extract_family_facts.py derives from the captures, and
their rebuilt facts agree with the captured spans (content.size, errors, fallbacks)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from extract_family_facts import DEFAULT_OUT, facts_of  # noqa: E402
from lib.family_expected import FALLBACK_METHODS, method_spans, resource_content_repr_len  # noqa: E402
from lib.oracle_data import FAMILY_CAPTURES  # noqa: E402

CAPTURES = sorted(FAMILY_CAPTURES.glob("g_*.json"))


def test_one_facts_file_per_capture():
    assert len(CAPTURES) == 65
    assert sorted(p.stem for p in DEFAULT_OUT.glob("*.json")) == [p.stem for p in CAPTURES]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_facts_are_current_and_agree_with_the_spans(path):
    capture = json.loads(path.read_text())
    facts = facts_of(capture)
    assert json.loads((DEFAULT_OUT / f"{path.stem}.json").read_text()) == facts
    spans = method_spans(capture)
    if capture["method"] in FALLBACK_METHODS:
        assert facts["served"] is False and [s["kind"] for s in spans] == ["SERVER"]
        return
    errors = {s["name"] for s in spans if s["status"]["code"] == "ERROR"}
    assert set(facts["outcome"]["errors"]) == errors
    read = next((s for s in spans if s["name"] == "resource.read"), None)
    if read and "content.size" in read["attributes"]:
        assert resource_content_repr_len(facts["resource"]["content"]) == read["attributes"]["content.size"]
