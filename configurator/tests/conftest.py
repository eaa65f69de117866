"""Shared fixtures: paths of the checkout, the shared oracle data and the built collector."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("MCPPARITY_SHARED", REPO.parent / "shared"))
ORACLE = SHARED / "oracle"
HELM_CHART = SHARED / "helm" / "opentelemetry-collector-0.170.0"
GOLDEN = Path(__file__).resolve().parent / "golden"
COLLECTOR = Path(os.environ.get("MCPPARITY_COLLECTOR", REPO / "bin" / "otelcol-mcpparity"))


@pytest.fixture
def collector_binary() -> Path:
    if not COLLECTOR.is_file():
        pytest.skip(f"{COLLECTOR} does not exist: run `make build` to check configs with the real collector")
    return COLLECTOR


@pytest.fixture
def write_env(tmp_path: Path):
    def write(text: str, name: str = "gateway.env") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write
