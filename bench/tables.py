#!/usr/bin/env python3
"""The figure tables of bench/README.md, derived from the raw benchmark outputs (nothing typed by hand).

Inputs (bench/results/, written by `bench/run.sh`; see bench/results/README.md for when and how):
  processor.txt          `go test -bench . -benchmem -count N ./...` in processor/
  contribchain.txt       `go test -bench . -benchmem -count N .` in bench/contribchain/
  emitter.txt            N runs of `cargo bench --bench request_path`
  oracle_redaction.txt   N runs of bench/oracle_redaction.py
  load.txt               bench/load/run.sh (one JSON line per round and mode)
and bench/python-tracing-cost/results.json (that benchmark's own output, 5 processes per mode).

Every figure is the median over the runs with [min–max]. Each table sits in bench/README.md
between `<!-- tables.py: NAME -->` and `<!-- /tables.py -->`.

    python3 bench/tables.py            # print the tables
    python3 bench/tables.py --write    # rewrite them in bench/README.md (make bench does)
    python3 bench/tables.py --check    # exit 1 when bench/README.md differs from the raw outputs
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
README = BENCH / "README.md"
PYTHON_TRACING = BENCH / "python-tracing-cost" / "results.json"
MARK = re.compile(r"(<!-- tables\.py: (?P<name>[a-z_]+) -->\n)(?P<body>.*?)(<!-- /tables\.py -->)", re.S)


class RawOutputError(ValueError):
    """A raw output is missing or lacks a figure a table needs (names the file and the row)."""


# ---------------------------------------------------------------- figures

@dataclass(frozen=True)
class Figure:
    values: tuple[float, ...]

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def show(self, fmt: Callable[[float], str], unit: str = "") -> str:
        lo, hi = min(self.values), max(self.values)
        text = fmt(self.median) + unit
        if len(self.values) > 1 and fmt(lo) != fmt(hi):
            text += f" [{fmt(lo)}–{fmt(hi)}]"
        return text

    def map(self, f: Callable[[float], float]) -> "Figure":
        return Figure(tuple(f(v) for v in self.values))


def figure(values: Iterable[float], what: str) -> Figure:
    values = tuple(values)
    if not values:
        raise RawOutputError(f"no figure for {what}")
    return Figure(values)


def paired(a: Figure, b: Figure, op: Callable[[float, float], float]) -> Figure:
    """Run i of a with run i of b (the same process / the same go test -count round)."""
    if len(a.values) != len(b.values):
        raise RawOutputError("paired figures from different numbers of runs")
    return Figure(tuple(op(x, y) for x, y in zip(a.values, b.values)))


def n0(v: float) -> str:
    return f"{v:,.0f}"


def n1(v: float) -> str:
    return f"{v:,.1f}"


def n2(v: float) -> str:
    return f"{v:,.2f}"


def n3(v: float) -> str:
    return f"{v:,.3f}"


def x0(v: float) -> str:
    return f"{v:,.0f}×"


def x1(v: float) -> str:
    return f"{v:,.1f}×"


# ---------------------------------------------------------------- parsers

def read(name: str) -> str:
    path = RESULTS / name
    if not path.is_file():
        raise RawOutputError(f"{path} is missing: run `make bench` (or the part in bench/run.sh) to write it")
    return path.read_text(encoding="utf-8")


_GO_LINE = re.compile(r"^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+(.*)$")


def go_bench(text: str) -> dict[str, dict[str, list[float]]]:
    """`go test -bench` output: benchmark name (without -GOMAXPROCS) -> unit -> one value per run."""
    out: dict[str, dict[str, list[float]]] = {}
    for line in text.splitlines():
        m = _GO_LINE.match(line.strip())
        if not m:
            continue
        fields = m.group(2).split()
        metrics = out.setdefault(m.group(1), {})
        for value, unit in zip(fields[::2], fields[1::2]):
            metrics.setdefault(unit, []).append(float(value))
    return out


def go_figure(results: dict, bench: str, unit: str, source: str) -> Figure:
    try:
        return figure(results[bench][unit], f"{source}: {bench} {unit}")
    except KeyError as exc:
        raise RawOutputError(f"{source}: no `{bench}` line with {unit}") from exc


_EMITTER_ROW = re.compile(r"^(?P<label>\S.*?)\s+(?P<wall>-?\d+\.\d+)\s+(?P<cpu>-?\d+\.\d+)\s+(?P<allocs>-?\d+\.\d+)$")


def emitter_rows(text: str) -> dict[str, dict[str, list[float]]]:
    """The request_path bench's rows: label -> wall / cpu / allocs -> one value per run.

    The `not traced` and `cost` rows repeat per export mode; they get the mode of the traced row
    above them: `REST tree (5 spans), cost (export during calls)`.
    """
    out: dict[str, dict[str, list[float]]] = {}
    mode = ""
    for line in text.splitlines():
        m = _EMITTER_ROW.match(line.strip())
        if m:
            label = m.group("label")
            if ", export " in label:
                mode = label.rsplit(", ", 1)[1]
            elif label.endswith((", not traced", ", cost")):
                label = f"{label} ({mode})"
            row = out.setdefault(label, {})
            for key in ("wall", "cpu", "allocs"):
                row.setdefault(key, []).append(float(m.group(key)))
    return out


def emitter_figure(rows: dict, label: str, key: str) -> Figure:
    if label not in rows:
        raise RawOutputError(f"emitter.txt: no row `{label}`")
    return figure(rows[label][key], f"emitter.txt: {label} {key}")


_ORACLE_ROW = re.compile(r"^(?P<fn>[a-z_]+)\s+(?P<input>\S+).*?\s(?P<us>\d+\.\d+)\s+\d+$")


def oracle_rows(text: str) -> dict[tuple[str, str], list[float]]:
    """bench/oracle_redaction.py rows: (function, input file or key) -> µs/op, one per run."""
    out: dict[tuple[str, str], list[float]] = {}
    for line in text.splitlines():
        m = _ORACLE_ROW.match(line.strip())
        if m:
            out.setdefault((m.group("fn"), m.group("input")), []).append(float(m.group("us")))
    return out


def load_rounds(text: str, field: str = "spans_per_second") -> dict[str, list[float]]:
    """One value of field per round of each pipeline of bench/load/run.sh's output."""
    out: dict[str, list[float]] = {}
    for line in text.splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            if row.get("batches_failed"):
                raise RawOutputError(f"load.txt: round of {row['label']} had failed batches ({row.get('first_error')})")
            if field not in row:
                raise RawOutputError(f"load.txt: round of {row['label']} has no {field}")
            out.setdefault(row["label"], []).append(float(row[field]))
    return out


# ---------------------------------------------------------------- tables

def table(header: list[str], align: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def python_tracing() -> dict[str, Figure]:
    """µs per call of the Python runtime, one value per process: cost (on − off) and Langfuse + capture vs no tracing."""
    try:
        runs = json.loads(PYTHON_TRACING.read_text(encoding="utf-8"))["runs"]
    except (OSError, ValueError, KeyError) as exc:
        raise RawOutputError(f"{PYTHON_TRACING}: {exc}") from exc
    default, langfuse = runs["default"], runs["langfuse_io"]
    out = {}
    for tree in ("rest_with_root", "mcp_with_root"):
        off = figure((r["us_per_call"][f"{tree}_off"] for r in default), tree)
        on = figure((r["us_per_call"][f"{tree}_on"] for r in default), tree)
        lf_on = figure((r["us_per_call"][f"{tree}_on"] for r in langfuse), tree)
        out[f"{tree}/default"] = paired(on, off, lambda a, b: a - b)
        # Langfuse + capture against no tracing at all: process i of each mode, in the order they ran.
        out[f"{tree}/langfuse"] = paired(lf_on, off, lambda a, b: a - b)
    return out


def headline() -> str:
    py = python_tracing()
    rows = emitter_rows(read("emitter.txt"))
    # The path the runtime takes (contract v2 bundles through the bundle queue), and contract v1
    # (one SDK span per op) of the same run beside it.
    trees = (("rest", "v2 queue, REST tree (5 ops)", "REST tree (5 spans)"),
             ("mcp", "v2 queue, MCP tree (9 ops)", "MCP tree (9 spans)"))
    rust = {tree: emitter_figure(rows, f"{label}, cost (export between samples)", "wall") for tree, label, _ in trees}
    saturated = {tree: emitter_figure(rows, f"{label}, cost (export during calls)", "wall") for tree, label, _ in trees}
    cpu = {tree: emitter_figure(rows, f"{label}, cost (export between samples)", "cpu") for tree, label, _ in trees}
    allocs = {tree: emitter_figure(rows, f"{label}, export between samples", "allocs") for tree, label, _ in trees}
    v1 = {tree: emitter_figure(rows, f"{label}, cost (export during calls)", "wall") for tree, _, label in trees}
    v1_allocs = {tree: emitter_figure(rows, f"{label}, export during calls", "allocs") for tree, _, label in trees}
    ratio = {key: py[key].median / rust[key.split("_")[0]].median for key in py}
    return table(
        ["", "REST tree (5 ops)", "MCP tree (9 ops)"], ["---", "---:", "---:"],
        [
            ["Python runtime, tracing on − off, default settings ([python-tracing-cost](python-tracing-cost/README.md))",
             py["rest_with_root/default"].show(n0, " µs"), py["mcp_with_root/default"].show(n0, " µs")],
            ["Python runtime, Langfuse attributes + input/output capture, vs no tracing",
             py["rest_with_root/langfuse"].show(n0, " µs"), py["mcp_with_root/langfuse"].show(n0, " µs")],
            ["**Rust runtime with the mcpparity emitter** (one request bundle through the bundle queue), traced − not traced ([emitter bench](../docs/emitter.md#benchmark))",
             "**" + rust["rest"].show(n2, " µs") + "**", "**" + rust["mcp"].show(n2, " µs") + "**"],
            ["Rust, the same in the calling thread's CPU time (without the time it waited for a core)",
             cpu["rest"].show(n2, " µs"), cpu["mcp"].show(n2, " µs")],
            ["Rust, wall time with the exporter thread draining during the calls",
             saturated["rest"].show(n2, " µs"), saturated["mcp"].show(n2, " µs")],
            ["Rust, allocations per traced call", allocs["rest"].show(n0), allocs["mcp"].show(n0)],
            ["Rust, contract v1 (one SDK span per op), exporter draining during the calls: wall µs, allocations",
             f"{v1['rest'].show(n2, ' µs')}, {v1_allocs['rest'].show(n0)}", f"{v1['mcp'].show(n2, ' µs')}, {v1_allocs['mcp'].show(n0)}"],
            ["ratio Python / Rust, default settings (medians)", x0(ratio["rest_with_root/default"]), x0(ratio["mcp_with_root/default"])],
            ["ratio Python / Rust, Langfuse + capture (medians)", x0(ratio["rest_with_root/langfuse"]), x0(ratio["mcp_with_root/langfuse"])],
        ])


def request_path() -> str:
    """Every request kind on the three paths of the same emitter bench run: v1, v2 via the SDK batch processor, v2 via the bundle queue."""
    rows = emitter_rows(read("emitter.txt"))
    kinds = (
        ("`tools/call`, REST tree", "REST tree (5 spans)", "REST tree (5 ops)"),
        ("`tools/call`, MCP tree", "MCP tree (9 spans)", "MCP tree (9 ops)"),
        ("`tools/list`", "tools/list (2 spans)", "tools/list (2 ops)"),
        ("`resources/read`, 2 KB content", "resources/read, 2 KB content (2 spans)", "resources/read, 2 KB content (2 ops)"),
        ("`prompts/get`, 2 KB result", "prompts/get, 2 KB result (2 spans)", "prompts/get, 2 KB result (2 ops)"),
    )
    out = []
    for label, v1, v2 in kinds:
        for path, row in (("v1: one SDK span per op", v1), ("v2 bundle, SDK batch processor", f"v2 bundle, {v2}"),
                          ("**v2 bundle, bundle queue** (the default)", f"v2 queue, {v2}")):
            between = emitter_figure(rows, f"{row}, cost (export between samples)", "cpu")
            during = emitter_figure(rows, f"{row}, cost (export during calls)", "cpu")
            wall = emitter_figure(rows, f"{row}, cost (export during calls)", "wall")
            allocs = emitter_figure(rows, f"{row}, export during calls", "allocs")
            out.append([label, path, between.show(n2), during.show(n2), wall.show(n2), allocs.show(n0)])
    for label, row in (("request op alone (headers, ids, context, hand-off)", "v2 queue breakdown: request op only"),
                       ("request op alone, SDK batch processor", "v2 breakdown: request op only"),
                       ("v1: one request span", "breakdown: one request span"),
                       ("SDK floor: one empty span", "floor: SDK span, no attributes")):
        cpu = emitter_figure(rows, row, "cpu")
        out.append([label, "", cpu.show(n2), "", "", emitter_figure(rows, row, "allocs").show(n0)])
    untraced = emitter_figure(rows, "REST tree (5 spans), not traced (export during calls)", "cpu")
    out.append(["not traced", "", untraced.show(n3), "", "", "0"])
    return table(["request", "path", "CPU µs, export between samples", "CPU µs, exporter draining", "wall µs, exporter draining", "allocs"],
                 ["---", "---", "---:", "---:", "---:", "---:"], out)




def per_tree_counts(name: str, row: re.Pattern[str], what: str, first: str, label: Callable[[str], str]) -> str:
    """A table of counts per tree (the working tree, then each revision counted beside it) from
    the raw output `name`, whose lines `row` matches (groups tree, key, n), with the change of the
    working tree against each revision."""
    rows: dict[str, dict[str, float]] = {}
    for line in read(name).splitlines():
        m = row.match(line.strip())
        if m:
            rows.setdefault(m.group("key"), {})[m.group("tree")] = float(m.group("n"))
    if not rows:
        raise RawOutputError(f"{name}: no `<tree> <{first}> <n> {what}` line")
    trees = list(dict.fromkeys(t for per in rows.values() for t in per))
    head = [first] + [f"`{t}`" for t in trees] + ["working tree / " + f"`{t}`" for t in trees[1:]]
    out = []
    for key, per in rows.items():
        line = [label(key)] + [n0(per[t]) if t in per else "–" for t in trees]
        line += [f"{100 * per['working-tree'] / per[t] - 100:+.0f} %" if t in per and "working-tree" in per else "–" for t in trees[1:]]
        out.append(line)
    return table(head, ["---"] + ["---:"] * (len(head) - 1), out)


_INSTRUCTIONS_ROW = re.compile(r"^(?P<tree>\S+)\s+(?P<key>\S+)\s+(?P<n>\d+) instructions/op$")


def instructions() -> str:
    """bench/instructions.sh: instructions per op of the working tree and each revision counted beside it."""
    return per_tree_counts("instructions.txt", _INSTRUCTIONS_ROW, "instructions/op", "benchmark", lambda b: f"`Benchmark{b}`")


_EMITTER_INSTRUCTIONS_ROW = re.compile(r"^(?P<tree>\S+)\s+(?P<key>\S+)\s+(?P<n>\d+) instructions/call$")
_EMITTER_CASES = {
    "rest": "`tools/call`, REST tree (5 ops)", "mcp": "`tools/call`, MCP tree (9 ops)", "list": "`tools/list` (2 ops)",
    "read": "`resources/read`, 2 KB content (2 ops)", "prompt": "`prompts/get`, 2 KB result (2 ops)",
    "empty": "the request op alone",
}


def emitter_instructions() -> str:
    """bench/emitter_instructions.sh: request-thread instructions per call, working tree and each revision beside it."""
    return per_tree_counts("emitter_instructions.txt", _EMITTER_INSTRUCTIONS_ROW, "instructions/call", "request",
                           lambda c: _EMITTER_CASES.get(c, f"`{c}`"))


def processor() -> str:
    go = go_bench(read("processor.txt"))
    src = "processor.txt"
    invoke = "BenchmarkToolInvoke2KB"
    mixed = "BenchmarkMixedBatch1000"
    mixed_v2 = "BenchmarkMixedBatch1000V2"
    return table(
        ["benchmark", "ns/op", "B/op", "allocs/op"], ["---", "---:", "---:", "---:"],
        [
            ["`BenchmarkToolInvoke2KB` (one raw `tool.invoke`, 2 KB arguments + 2 KB result, Langfuse + capture on)",
             go_figure(go, invoke, "ns/op", src).show(n0), go_figure(go, invoke, "B/op", src).show(n0), go_figure(go, invoke, "allocs/op", src).show(n0)],
            ["`BenchmarkMixedBatch1000`, per span (1,000 mixed raw spans, `testdata/bench/mixed_1000.json`)",
             go_figure(go, mixed, "ns/span", src).show(n0), go_figure(go, mixed, "B/op", src).map(lambda v: v / 1000).show(n0),
             go_figure(go, mixed, "allocs/op", src).map(lambda v: v / 1000).show(n1)],
            ["`BenchmarkMixedBatch1000V2`, per exported span (the same requests as 141 contract-v2 bundles, "
             "`testdata/bench/mixed_1000_v2.json`: expansion included, the 1,000 spans they stand for counted)",
             go_figure(go, mixed_v2, "ns/span", src).show(n0), go_figure(go, mixed_v2, "B/op", src).map(lambda v: v / 1000).show(n0),
             go_figure(go, mixed_v2, "allocs/op", src).map(lambda v: v / 1000).show(n1)],
        ])


def engine() -> str:
    go = go_bench(read("processor.txt"))
    py = oracle_rows(read("oracle_redaction.txt"))
    src = "processor.txt"

    def python(fn: str, prefix: str) -> Figure:
        values = [v for (f, i), vs in py.items() if f == fn and i.startswith(prefix) for v in vs]
        return figure(values, f"oracle_redaction.txt: {fn} {prefix}")

    rows = []
    for label, bench, fn, prefix in (
        ("`sanitize_trace_text`, 2 KB text", "BenchmarkSanitizeText2K", "sanitize_trace_text", "text_2k"),
        ("`sanitize_trace_text`, 2 KB without secrets", "BenchmarkSanitizeTextClean2K", "sanitize_trace_text", "text_clean_2k"),
        ("`sanitize_trace_text`, 2 KB secret-dense", "BenchmarkSanitizeTextSecrets2K", "sanitize_trace_text", "text_secrets_2k"),
        ("`serialize_trace_payload`, 2 KB payload", "BenchmarkSerializeTracePayload2K", "serialize_trace_payload", "payload_2k"),
        ("`serialize_trace_payload`, 40 KB payload", "BenchmarkSerializeTracePayload40K", "serialize_trace_payload", "payload_40k"),
        ("`sanitize_trace_attribute_value`, `tool.name`", "BenchmarkSanitizeAttributeShort", "sanitize_trace_attribute_value", "tool.name"),
    ):
        ns = go_figure(go, bench, "ns/op", src)
        us = python(fn, prefix)
        rows.append([label, ns.show(n0), go_figure(go, bench, "B/op", src).show(n0), go_figure(go, bench, "allocs/op", src).show(n0),
                     us.show(n1 if us.median >= 10 else n2), x0(us.median * 1000 / ns.median)])
    return table(["operation", "Go ns/op", "Go B/op", "Go allocs", "Python µs/op", "Go faster (medians)"],
                 ["---", "---:", "---:", "---:", "---:", "---:"], rows)


def driver() -> str:
    go = go_bench(read("processor.txt"))
    ns = go_figure(go, "BenchmarkDriverLine", "ns/op", "processor.txt")
    return table(["`redactdriver` input", "ms per 1,000 lines", "lines/s"], ["---", "---:", "---:"], [[
        "1,000 copies of one `sanitize_trace_text` line (URL with a token, `password=`, a Bearer header)",
        ns.map(lambda v: v / 1e6).show(n2), ns.map(lambda v: 1000 / (v / 1e9)).show(n0)]])


def contrib() -> str:
    go = go_bench(read("contribchain.txt"))
    src = "contribchain.txt"
    ours, chain = "BenchmarkMixed1000/mcpparity", "BenchmarkMixed1000/contrib_chain"
    ours_ns, chain_ns = go_figure(go, ours, "ns/op", src), go_figure(go, chain, "ns/op", src)
    ours_allocs, chain_allocs = go_figure(go, ours, "allocs/op", src), go_figure(go, chain, "allocs/op", src)
    return table(["pipeline", "per batch", "per span", "allocs per span"], ["---", "---:", "---:", "---:"], [
        ["mcpparity", ours_ns.map(lambda v: v / 1e6).show(n1, " ms"), go_figure(go, ours, "ns/span", src).map(lambda v: v / 1e3).show(n1, " µs"),
         ours_allocs.map(lambda v: v / 1000).show(n1)],
        ["transform → redaction → attributes × 2 (contrib)", chain_ns.map(lambda v: v / 1e6).show(n1, " ms"),
         go_figure(go, chain, "ns/span", src).map(lambda v: v / 1e3).show(n1, " µs"), chain_allocs.map(lambda v: v / 1000).show(n1)],
        ["**ratio contrib / mcpparity** (per `-count` round)", "**" + paired(chain_ns, ours_ns, lambda a, b: a / b).show(x1) + "**", "",
         paired(chain_allocs, ours_allocs, lambda a, b: a / b).show(x1)],
    ])


# The pipelines of bench/load/run.sh: (exporter, pipeline, mode); the _otlp modes forward to a sink,
# the last two say where mcpparity's cost goes.
_V2 = ("with mcpparity, the same requests as contract-v2 bundles (161 raw spans per batch; "
       "the 1,000 spans they expand into are counted)")
_DEBUG = "debug (counts, sends nothing)"
_OTLP = "OTLP/gRPC, gzip, to a sink collector on the same cores (the spans that reached it)"
LOAD_PIPELINES = (
    (_DEBUG, "without mcpparity", "without_mcpparity"),
    (_DEBUG, "with mcpparity", "with_mcpparity"),
    (_DEBUG, _V2, "with_mcpparity_v2"),
    (_DEBUG, "with mcpparity without payload capture", "with_mcpparity_nocapture"),
    (_DEBUG, "with mcpparity without payload capture, Langfuse or identity attributes", "with_mcpparity_minimal"),
    (_OTLP, "without mcpparity", "without_mcpparity_otlp"),
    (_OTLP, "with mcpparity", "with_mcpparity_otlp"),
    (_OTLP, _V2, "with_mcpparity_v2_otlp"),
)


def throughput() -> str:
    text = read("load.txt")
    rounds = load_rounds(text)
    cpu = {field: load_rounds(text, field) for field in ("collector_cpu_us_per_span", "load_cpu_us_per_span")}
    sink = load_rounds("\n".join(line for line in text.splitlines() if "sink_cpu_us_per_span" in line),
                       "sink_cpu_us_per_span")
    rows = []
    for exporter, label, mode in LOAD_PIPELINES:
        where = f"load.txt: {mode}"
        rows.append([exporter, label, figure(rounds.get(mode, ()), where).show(n0),
                     figure(cpu["collector_cpu_us_per_span"].get(mode, ()), where).show(n1),
                     figure(sink[mode], where).show(n1) if mode in sink else "–",
                     figure(cpu["load_cpu_us_per_span"].get(mode, ()), where).show(n1)])
    return table(["exporter", "pipeline", "spans/s (median [min–max] over rounds)", "collector CPU µs per span",
                  "sink CPU µs per span", "load generator CPU µs per span"],
                 ["---", "---", "---:", "---:", "---:", "---:"], rows)


# ---------------------------------------------------------------- issue 11: the goals side by side

ISSUE_FILED = BENCH / "results" / "issue11-filed.json"

# (row label, emitter.txt row label, Python tree) of the request path the runtime takes for each
# request it serves: contract v2 bundles through the bundle queue (docs/emitter.md).
REQUEST_PATH_ROWS = (
    ("`tools/call`, REST tree (5 ops)", "v2 queue, REST tree (5 ops)", "rest_with_root"),
    ("`tools/call`, MCP tree (9 ops)", "v2 queue, MCP tree (9 ops)", "mcp_with_root"),
    ("`tools/list` (2 ops)", "v2 queue, tools/list (2 ops)", None),
    ("`resources/read`, 2 KB content (2 ops)", "v2 queue, resources/read, 2 KB content (2 ops)", None),
    ("`prompts/get`, 2 KB result (2 ops)", "v2 queue, prompts/get, 2 KB result (2 ops)", None),
)


def issue_filed() -> dict:
    """The figures of issue 11's table: one `make bench` run on the day the issue was filed."""
    try:
        return json.loads(ISSUE_FILED.read_text(encoding="utf-8"))["figures"]
    except (OSError, ValueError, KeyError) as exc:
        raise RawOutputError(f"{ISSUE_FILED}: {exc}") from exc


def verdict(ok: bool) -> str:
    return "✓" if ok else "✗"


def goals() -> str:
    """Every goal of issue 11 from this run's raw outputs, beside Python (same run) and beside the day it was filed."""
    filed = issue_filed()
    rows_out: list[list[str]] = []
    py = python_tracing()
    rows = emitter_rows(read("emitter.txt"))
    for label, row, tree in REQUEST_PATH_ROWS:
        cpu = emitter_figure(rows, f"{row}, cost (export during calls)", "cpu")
        wall = emitter_figure(rows, f"{row}, cost (export during calls)", "wall")
        allocs = emitter_figure(rows, f"{row}, export during calls", "allocs")
        python, was = "–", "–"
        if tree:
            python = f"{py[f'{tree}/default'].show(n0)} µs ({x0(py[f'{tree}/default'].median / wall.median)})"
            filed_row = filed[f"request_path/{tree}"]
            was = f"{n1(filed_row['us'])} µs, {n0(filed_row['allocs'])} allocs ({x1(filed_row['us'] / wall.median)})"
        rows_out.append([
            f"request path, {label}: µs per call (thread CPU / wall, exporter on the other core), allocations",
            f"{cpu.show(n2)} / {wall.show(n2)} µs, {allocs.show(n0)} allocs", "≤ 1 µs, ≤ 5 allocs",
            verdict(cpu.median <= 1 and allocs.median <= 5), python, was,
        ])
    untraced = emitter_figure(rows, "REST tree (5 spans), not traced (export during calls)", "cpu")
    rows_out.append(["request path, not traced: µs per call (thread CPU)", untraced.show(n3, " µs"), "free", "", "–", "–"])
    go = go_bench(read("processor.txt"))
    pyr = oracle_rows(read("oracle_redaction.txt"))

    def python_mbs(prefix: str) -> Figure:
        values = [v for (f, i), vs in pyr.items() if f == "sanitize_trace_text" and i.startswith(prefix) for v in vs]
        size = {"text_clean_2k": 2048, "text_secrets_2k": 2048, "text_2k": 1956}[prefix]
        return figure(values, f"oracle_redaction.txt: sanitize_trace_text {prefix}").map(lambda us: size / us)

    for label, bench, prefix, goal, key in (
        ("`sanitize_trace_text`, 2 KB without secrets", "BenchmarkSanitizeTextClean2K", "text_clean_2k", 500, None),
        ("`sanitize_trace_text`, 2 KB secret-dense (a secret every ~30 bytes)", "BenchmarkSanitizeTextSecrets2K", "text_secrets_2k", 100, None),
        ("`sanitize_trace_text`, 2 KB log-like text with a few secrets (the issue's row)", "BenchmarkSanitizeText2K", "text_2k", None, "sanitize_text_2k"),
    ):
        mbs = go_figure(go, bench, "MB/s", "processor.txt")
        pym = python_mbs(prefix)
        was = f"{n0(filed[key]['mb_s'])} MB/s ({x1(mbs.median / filed[key]['mb_s'])})" if key else "–"
        rows_out.append([f"{label}: MB/s", mbs.show(n0, " MB/s"), f"≥ {goal} MB/s" if goal else "–",
                         verdict(mbs.median >= goal) if goal else "", f"{pym.show(n2)} MB/s ({x0(mbs.median / pym.median)})", was])
    invoke = go_figure(go, "BenchmarkToolInvoke2KB", "ns/op", "processor.txt").map(lambda v: v / 1000)
    invoke_allocs = go_figure(go, "BenchmarkToolInvoke2KB", "allocs/op", "processor.txt")
    was = filed["tool_invoke_2kb"]
    rows_out.append(["processor, one raw `tool.invoke` with 2 KB in and out: µs, allocations",
                     f"{invoke.show(n1)} µs, {invoke_allocs.show(n0)} allocs", "≤ 10 µs", verdict(invoke.median <= 10), "–",
                     f"{n1(was['us'])} µs, {n0(was['allocs'])} allocs ({x1(was['us'] / invoke.median)})"])
    rounds = load_rounds(read("load.txt"))
    without = figure(rounds.get("without_mcpparity", ()), "load.txt: without_mcpparity")
    with_ = figure(rounds.get("with_mcpparity", ()), "load.txt: with_mcpparity")
    share = paired(with_, without, lambda a, b: 100 * a / b)
    rows_out.append(["collector throughput with mcpparity, % of pass-through (per round)", share.show(n0, " %"), "≥ 70 %",
                     verdict(share.median >= 70), "–", f"{n0(filed['collector_share_pct'])} %"])
    # Not the goal's comparison (that is the row above, the same batch both ways): the emitter's
    # default output (v2 bundles) through mcpparity, against pass-through of the same requests as v1 spans.
    with_v2 = figure(rounds.get("with_mcpparity_v2", ()), "load.txt: with_mcpparity_v2")
    share_v2 = paired(with_v2, without, lambda a, b: 100 * a / b)
    rows_out.append(["the same requests as contract-v2 bundles (the emitter's default output) through mcpparity, "
                     "% of the row above's pass-through (per round)", share_v2.show(n0, " %"), "", "", "–", "–"])
    # Not the goal's measurement either (its exporter sends nothing): the same pipelines forwarding
    # over OTLP/gRPC with gzip to a sink collector on the same cores, as a deployment does.
    without_otlp = figure(rounds.get("without_mcpparity_otlp", ()), "load.txt: without_mcpparity_otlp")
    for label, mode in (("collector forwarding over OTLP/gRPC (gzip) to a sink on the same cores, as a deployment does: "
                         "with mcpparity, % of pass-through (per round)", "with_mcpparity_otlp"),
                        ("forwarding as in the row above, the same requests as contract-v2 bundles through mcpparity, "
                         "% of that pass-through (per round)", "with_mcpparity_v2_otlp")):
        forwarded = figure(rounds.get(mode, ()), f"load.txt: {mode}")
        rows_out.append([label, paired(forwarded, without_otlp, lambda a, b: 100 * a / b).show(n0, " %"), "", "", "–", "–"])
    # The machine: the issue's run and this one on different VMs; Python's cost on each says how they compare.
    machine = py["rest_with_root/default"]
    rows_out.append(["the machine: Python's tracing cost of the REST tree, default settings (same code on both days)",
                     machine.show(n0, " µs"), "", "", "", f"{n0(filed['python_rest_default_us'])} µs "
                     f"(this VM {x1(machine.median / filed['python_rest_default_us'])} slower)"])
    return table(["figure", "this run", "goal", "met", "Python, same run (how many times faster ours is)",
                  "when issue 11 was filed (how many times better this run is)"],
                 ["---", "---:", "---:", ":---:", "---:", "---:"], rows_out)


TABLES: dict[str, Callable[[], str]] = {
    "goals": goals, "headline": headline, "request_path": request_path, "instructions": instructions,
    "emitter_instructions": emitter_instructions, "processor": processor, "engine": engine, "driver": driver,
    "contrib": contrib, "throughput": throughput,
}


def render(readme: str) -> str:
    """bench/README.md with every marked table replaced by the one the raw outputs give."""
    names = [m.group("name") for m in MARK.finditer(readme)]
    unknown = sorted(set(names) - set(TABLES))
    missing = sorted(set(TABLES) - set(names))
    if unknown or missing:
        raise RawOutputError(f"{README}: unknown table markers {unknown}, missing markers {missing}")
    return MARK.sub(lambda m: m.group(1) + TABLES[m.group("name")]() + m.group(4), readme)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="rewrite the tables in bench/README.md")
    mode.add_argument("--check", action="store_true", help="exit 1 when bench/README.md differs from the raw outputs")
    args = ap.parse_args()
    try:
        current = README.read_text(encoding="utf-8")
        wanted = render(current)
    except RawOutputError as exc:
        print(f"tables: {exc}", file=sys.stderr)
        return 2
    if args.write:
        if wanted != current:
            README.write_text(wanted, encoding="utf-8")
            print(f"tables: rewrote {README}", file=sys.stderr)
        return 0
    if args.check:
        if wanted != current:
            print(f"tables: {README} differs from the raw outputs in {RESULTS}: run `python3 bench/tables.py --write`", file=sys.stderr)
            return 1
        return 0
    for name, make in TABLES.items():
        print(f"<!-- {name} -->\n{make()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
