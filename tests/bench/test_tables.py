"""bench/README.md's tables are what bench/tables.py derives from the committed raw outputs."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("bench_tables", ROOT / "bench" / "tables.py")
tables = importlib.util.module_from_spec(_spec)
sys.modules["bench_tables"] = tables  # dataclasses look their module up there
_spec.loader.exec_module(tables)


def test_readme_tables_equal_the_raw_outputs() -> None:
    readme = tables.README.read_text(encoding="utf-8")
    assert tables.render(readme) == readme, "bench/README.md differs from bench/results/: run `python3 bench/tables.py --write`"


def test_every_table_has_its_marker_and_figures() -> None:
    readme = tables.README.read_text(encoding="utf-8")
    bodies = {m.group("name"): m.group("body") for m in tables.MARK.finditer(readme)}
    assert set(bodies) == set(tables.TABLES)
    for name, body in bodies.items():
        assert body.startswith("| ") and body.count("\n") >= 3, name


def test_go_bench_lines_per_run_and_the_median_with_its_range() -> None:
    text = "\n".join([
        "goos: linux",
        "BenchmarkToolInvoke2KB-2   \t   40000\t     30000 ns/op\t    8938 B/op\t      46 allocs/op",
        "BenchmarkToolInvoke2KB-2   \t   40000\t     28000 ns/op\t    8938 B/op\t      46 allocs/op",
        "BenchmarkToolInvoke2KB-2   \t   40000\t     35000 ns/op\t    8940 B/op\t      46 allocs/op",
        "BenchmarkMixed1000/mcpparity-2   10   7800000 ns/op   7800 ns/span   2800000 B/op   30700 allocs/op",
        "ok  \tgithub.com/x\t3.1s",
    ])
    go = tables.go_bench(text)
    ns = tables.go_figure(go, "BenchmarkToolInvoke2KB", "ns/op", "t")
    assert ns.values == (30000, 28000, 35000)
    assert ns.show(tables.n0) == "30,000 [28,000–35,000]"
    assert tables.go_figure(go, "BenchmarkToolInvoke2KB", "allocs/op", "t").show(tables.n0) == "46"
    assert tables.go_figure(go, "BenchmarkMixed1000/mcpparity", "ns/span", "t").values == (7800,)
    with pytest.raises(tables.RawOutputError, match="no `BenchmarkAbsent` line"):
        tables.go_figure(go, "BenchmarkAbsent", "ns/op", "t")


def test_emitter_rows_keep_the_export_mode_of_each_cost_row() -> None:
    text = "\n".join([
        "case                                            wall µs     cpu µs  allocs/call",
        "REST tree (5 spans), export between samples           2.600      2.500         23.0",
        "REST tree (5 spans), not traced                       0.001      0.001          0.0",
        "REST tree (5 spans), cost                             2.599      2.499         23.0",
        "REST tree (5 spans), export during calls              3.100      3.000         23.0",
        "REST tree (5 spans), not traced                       0.001      0.001          0.0",
        "REST tree (5 spans), cost                             3.099      2.999         23.0",
    ])
    rows = tables.emitter_rows(text)
    assert rows["REST tree (5 spans), cost (export between samples)"]["wall"] == [2.599]
    assert rows["REST tree (5 spans), cost (export during calls)"]["wall"] == [3.099]


def test_a_missing_raw_output_is_an_error_naming_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(tables, "RESULTS", tmp_path)
    with pytest.raises(tables.RawOutputError, match="processor.txt is missing"):
        tables.processor()


def test_a_readme_without_a_table_marker_is_refused() -> None:
    readme = tables.README.read_text(encoding="utf-8").replace("<!-- tables.py: driver -->", "")
    with pytest.raises(tables.RawOutputError, match="missing markers \\['driver'\\]"):
        tables.render(readme)


def test_instructions_rows_per_tree_and_the_change(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "instructions.txt").write_text(
        "working-tree   MixedBatch1000       50000000 instructions/op\n"
        "abc1234        MixedBatch1000      100000000 instructions/op\n", encoding="utf-8")
    monkeypatch.setattr(tables, "RESULTS", tmp_path)
    body = tables.instructions()
    assert "| `BenchmarkMixedBatch1000` | 50,000,000 | 100,000,000 | -50 % |" in body


def test_emitter_instructions_rows_name_the_request_and_the_change(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / "emitter_instructions.txt").write_text(
        "working-tree   mcp          4413 instructions/call\n"
        "working-tree   rest         3378 instructions/call\n"
        "1235550        mcp         14354 instructions/call\n", encoding="utf-8")
    monkeypatch.setattr(tables, "RESULTS", tmp_path)
    body = tables.emitter_instructions()
    assert "| `tools/call`, MCP tree (9 ops) | 4,413 | 14,354 | -69 % |" in body
    assert "| `tools/call`, REST tree (5 ops) | 3,378 | – | – |" in body


def test_goals_refuse_a_run_without_the_request_path_rows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for f in tables.RESULTS.iterdir():
        if f.is_file():
            (tmp_path / f.name).write_bytes(f.read_bytes())
    (tmp_path / "emitter.txt").write_text("REST tree (5 spans), export between samples  2.6  2.5  23.0\n", encoding="utf-8")
    monkeypatch.setattr(tables, "RESULTS", tmp_path)
    with pytest.raises(tables.RawOutputError, match="no row `v2 queue, REST tree"):
        tables.goals()


def test_load_rounds_read_one_field_per_round_and_refuse_what_is_missing() -> None:
    text = "\n".join([
        "load: 2 cores",
        '{"label": "with_mcpparity", "batches_failed": 0, "spans_per_second": 140000.0, "collector_cpu_us_per_span": 12.5}',
        '{"label": "with_mcpparity", "batches_failed": 0, "spans_per_second": 150000.0, "collector_cpu_us_per_span": 11.5}',
    ])
    assert tables.load_rounds(text) == {"with_mcpparity": [140000.0, 150000.0]}
    assert tables.load_rounds(text, "collector_cpu_us_per_span") == {"with_mcpparity": [12.5, 11.5]}
    with pytest.raises(tables.RawOutputError, match="round of with_mcpparity has no sink_cpu_us_per_span"):
        tables.load_rounds(text, "sink_cpu_us_per_span")
    failed = text.replace('"batches_failed": 0, "spans_per_second": 150000.0', '"batches_failed": 3, "spans_per_second": 150000.0')
    with pytest.raises(tables.RawOutputError, match="had failed batches"):
        tables.load_rounds(failed)
