"""The YAML renderer: round-trips through pyyaml, comments on the right lines."""

from __future__ import annotations

import yaml

from mcpparity.yamlout import render


def test_round_trip_with_comments() -> None:
    data = {"a": {"b": [1, "two", True], "c": {}, "d": None, "e": "${env:X}", "f": "4"},
            "list": [{"name": "X", "valueFrom": {"k": "v"}}, {"name": "Y"}], "empty": []}
    text = render(data, {("a", "e"): "ACTION: set X", ("list", "0", "name"): "first"}, header="title\nsecond line")
    assert yaml.safe_load(text) == data
    lines = text.splitlines()
    assert lines[:2] == ["# title", "# second line"]
    assert lines[lines.index("  # ACTION: set X") + 1] == "  e: ${env:X}"
    assert "  # first" in lines and lines[lines.index("  # first") + 1] == "  - name: X"
    assert "  f: '4'" in lines  # strings that look like numbers stay strings


def test_deterministic() -> None:
    data = {"z": 1, "a": [{"k": "v"}]}
    assert render(data) == render(dict(data))
