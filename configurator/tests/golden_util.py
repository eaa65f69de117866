"""Golden files: compare, or rewrite them with MCPPARITY_UPDATE_GOLDEN=1 (then review the diff)."""

from __future__ import annotations

import os

from conftest import GOLDEN


def assert_golden(name: str, actual: str) -> None:
    path = GOLDEN / name
    if os.environ.get("MCPPARITY_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.is_file(), f"missing golden {path}; run with MCPPARITY_UPDATE_GOLDEN=1 and review it"
    assert actual == path.read_text(encoding="utf-8"), f"output differs from golden {name}"
