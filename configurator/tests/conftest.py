"""Shared fixtures: paths of the checkout, the shared oracle data and the built collector."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Vendored data (provenance: tests/oracle/PROVENANCE.md); a missing file fails the suite.
ORACLE = REPO / "tests" / "oracle" / "tools-call"
HELM_CHART = Path(__file__).resolve().parent / "data" / "helm" / "opentelemetry-collector-0.170.0"
for _required in (ORACLE, HELM_CHART / "values.schema.json", HELM_CHART / "values.yaml"):
    if not _required.exists():
        raise RuntimeError(f"{_required} is missing from the checkout (vendored data, see tests/oracle/PROVENANCE.md)")
GOLDEN = Path(__file__).resolve().parent / "golden"
COLLECTOR = Path(os.environ.get("MCPPARITY_COLLECTOR", REPO / "bin" / "otelcol-mcpparity"))


@pytest.fixture
def collector_binary() -> Path:
    if not COLLECTOR.is_file():
        pytest.fail(f"{COLLECTOR} does not exist: run `make build` (make test builds it) to check configs with the real collector")
    return COLLECTOR


@pytest.fixture
def write_env(tmp_path: Path):
    def write(text: str, name: str = "gateway.env") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write
