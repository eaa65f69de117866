"""Fixtures of the end-to-end suite: running collectors, stopped at teardown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))  # tests/: the shared expectation package `lib` (oracle-derived)

from e2e_collector import collector_config  # noqa: E402
from lib.collector import Collector, collector_binary  # noqa: E402


@pytest.fixture(scope="session")
def built_collector() -> Path:
    binary = collector_binary()
    if not binary.exists():
        pytest.fail(f"{binary} is missing: run `make build` (make e2e does) before the e2e suite", pytrace=False)
    return binary


@pytest.fixture
def start_collector(tmp_path: Path, built_collector: Path) -> Iterator[Callable[[dict[str, Any]], Collector]]:
    """Start a collector with the given `mcpparity:` config; every one is stopped at teardown."""
    started: list[Collector] = []

    def start(mcpparity: dict[str, Any]) -> Collector:
        workdir = tmp_path / f"collector{len(started)}"
        workdir.mkdir()
        c = Collector(workdir, collector_config(mcpparity, workdir / "traces.jsonl"))
        started.append(c)
        c.start()
        return c

    yield start
    for c in started:
        c.stop()
