#!/usr/bin/env python3
"""`make parity`: replay every oracle case through the Rust emitter and the built collector, diff with the oracle.

For each facts file in tests/parity/cases/ (one per capture in tests/oracle/tools-call/):
  1. write the case's gateway env as an env file and generate the collector config with the
     configurator (`mcpparity generate --env-file … --exporter file --file-path …`); only the
     listening ports are moved to free loopback ports (several collectors may run at once);
  2. start bin/otelcol-mcpparity on it (health check wait bounded), with the case env in its
     environment (the config references credentials as ${env:…});
  3. replay the facts with emitter/target/release/raw-span-replay over OTLP/HTTP (gRPC for every
     other case, so both receivers are covered; raw span contract v1 on two cases in four, v2
     request bundles on the others, so both contracts meet both receivers; `--contract v1|v2`
     runs every case on one; the family cases of tests/parity/cases/families/ alternate the same
     way within each settings group), wait (bounded) for the file exporter's output;
  4. compare the exported spans with tests/lib/expected.py's expectation (the capture with D1–D5
     applied) using the configurator's comparator (`mcpparity diff`, its pure function), then assert each
     deviation explicitly where it applies and that no secret of the inputs reaches the output;
  5. run the operator's check on the raw pair: `mcpparity diff` of the Python capture (A) against
     the exported spans (B), deviations on, must say "same" and list exactly the deviations the
     expectation applied (both come from mcpparity.deviations, the one copy of the rules).
Prints `PASS <case>` or `FAIL <case> <first difference>` per case, then `N passed, M failed`;
exits 1 when any case failed. Every child runs under a timeout and is stopped by its PID.

    .cache/venv/bin/python tests/parity/run_parity.py [--case NAME …] [--keep DIR] [--verbose] [--contract v1|v2|alternate]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from lib.collector import Collector, CollectorError, collector_binary  # noqa: E402
from lib.expected import ExpectationError, expected_call, load_capture  # noqa: E402
from lib.family_expected import expected_family, fallback_case, prefetch  # noqa: E402
from lib.oracle_data import FAMILY_CAPTURES, TOOLS_CALL_CAPTURES  # noqa: E402

CASES_DIR = HERE / "cases"
FAMILY_CASES_DIR = CASES_DIR / "families"
# A fallback case's replay has exited (flushed) before this wait: anything exported by then is ours.
FALLBACK_QUIET_S = 1.0
ORACLE_DIR = TOOLS_CALL_CAPTURES
REPLAY = Path(os.environ.get("MCPPARITY_REPLAY", ROOT / "emitter" / "target" / "release" / "raw-span-replay"))
CONFIGURATOR = Path(os.environ.get("MCPPARITY_CLI", ROOT / ".cache" / "venv" / "bin" / "mcpparity"))
EXPORT_WAIT_S = 20
CHILD_TIMEOUT_S = 120
TOTAL_BUDGET_S = 420  # 84 cases (19 collectors for tools/call, 2 for the families) stay under 7 minutes
PAYLOAD_KEYS = ("langfuse.observation.input", "langfuse.observation.output")


class CaseFailure(Exception):
    """A case did not match; the message is its first difference."""


# ---------------------------------------------------------------- processes
def run(cmd: list[str], timeout: float = CHILD_TIMEOUT_S, env: dict | None = None) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if proc.returncode != 0:
        raise CaseFailure(f"{Path(cmd[0]).name} exited {proc.returncode}: {(proc.stderr or proc.stdout).strip()[-600:]}")
    return proc


# ---------------------------------------------------------------- config
def env_file_text(env: dict[str, str]) -> str:
    return "".join(f"{k}={v}\n" for k, v in sorted(env.items()))


def generate_config(env: dict[str, str], work: Path, traces_file: Path) -> dict:
    env_file = work / "gateway.env"
    env_file.write_text(env_file_text(env))
    out = work / "generated.yaml"
    run([str(CONFIGURATOR), "generate", "--env-file", str(env_file), "--exporter", "file", "--file-path", str(traces_file), "-o", str(out)])
    return yaml.safe_load(out.read_text())


# ---------------------------------------------------------------- expectation in the oracle capture format
def expected_as_capture(expected) -> dict:
    """The expected spans in the oracle capture format (what `mcpparity diff` reads), ids made up from indices."""
    spans = []
    for i, s in enumerate(expected.spans):
        parent = s["parent"]
        spans.append({
            "name": s["name"], "kind": s["kind"], "traceId": "e" * 32, "spanId": f"{i + 1:016x}",
            "parentSpanId": f"{parent + 1:016x}" if isinstance(parent, int) else ("f" * 16 if parent == "remote" else None),
            "status": s["status"], "attributes": s["attributes"], "events": s["events"], "links": [],
            "scope": {"name": "mcp-gateway"}, "resource": {}, "startTimeUnixNano": i, "durationMs": 0.0,
        })
    return {"case": expected.case, "spans": spans}


# ---------------------------------------------------------------- comparison
def diff(expected_doc: dict, exported_text: str, ignored_keys: list[str]) -> list[str]:
    """Differences found by the configurator's comparator (`mcpparity diff`'s pure function), A = expected."""
    from mcpparity.spandiff import DEFAULT_IGNORED_KEYS, diff_spans, parse_spans  # noqa: PLC0415

    expected = parse_spans(json.dumps(expected_doc, ensure_ascii=False), "expected")
    exported = parse_spans(exported_text, "exported")
    return [str(d) for d in diff_spans(expected, exported, ignore_keys=(*DEFAULT_IGNORED_KEYS, *ignored_keys))]


def python_vs_rust(capture_path: Path, exported_text: str, expected, facts: dict) -> None:
    """`mcpparity diff` (its pure function) of the Python capture against the Rust path's export: same, deviations listed."""
    from mcpparity.spandiff import compare, load_spans, parse_spans  # noqa: PLC0415

    python = load_spans(capture_path)
    rust = parse_spans(exported_text, "exported")
    only = "tool.invoke" if any(s.name == "tool.invoke" for s in python) else None
    result = compare(python, rust, scope="mcp-gateway", only_traces_with=only, redact_fields=redact_fields(facts["env"]))
    if result.differences:
        raise CaseFailure(f"mcpparity diff python vs rust: {result.differences[0]}" + (f" (+{len(result.differences) - 1} more)" if len(result.differences) > 1 else ""))
    listed = {use.deviation for use in result.deviations}
    applied = {d for d, changes in expected.deviations.items() if changes}
    if listed != applied:
        raise CaseFailure(f"mcpparity diff python vs rust lists deviations {sorted(listed)}, the expectation applied {sorted(applied)}")


def check_ignored_values(expected, exported: list[dict]) -> None:
    """Values not compared must still be present, with the oracle's type, on the same spans."""
    for e_span in expected.spans:
        a_spans = [s for s in exported if s["name"] == e_span["name"]]
        for key in expected.ignored_values:
            if key in e_span["attributes"]:
                for a_span in a_spans:
                    if key not in a_span["attributes"]:
                        raise CaseFailure(f"{e_span['name']}: {key} missing")
                    if type(a_span["attributes"][key]) is not type(e_span["attributes"][key]):
                        raise CaseFailure(f"{e_span['name']}: {key} is {type(a_span['attributes'][key]).__name__}, oracle has {type(e_span['attributes'][key]).__name__}")


def check_deviations(expected, exported: list[dict], facts: dict) -> list[str]:
    """Assert D1–D5 where they apply to this case; return the names of the ones asserted."""
    asserted = []
    errors = facts["outcome"].get("errors") or {}
    error_spans = [s for s in exported if s["status"]["code"] == "ERROR"]
    if sorted(s["name"] for s in error_spans) != sorted(s["name"] for s in expected.spans if s["status"]["code"] == "ERROR"):
        raise CaseFailure(f"ERROR spans {sorted(s['name'] for s in error_spans)} differ from the oracle's")
    if expected.deviations["D1"] or errors:
        for s in error_spans:
            message = s["status"]["message"]
            if message != s["attributes"].get("error.message"):
                raise CaseFailure(f"D1: {s['name']} status description {message!r} is not its sanitized error.message")
            raw = errors.get(s["name"], {}).get("message")
            if raw and message != raw and raw in message:
                raise CaseFailure(f"D1: {s['name']} status description carries the raw message")
        asserted.append("D1")
    if expected.deviations["D2"] or errors:
        for s in exported:
            exceptions = [e for e in s["events"] if e["name"] == "exception"]
            if any("exception.stacktrace" in e["attributes"] for e in exceptions):
                raise CaseFailure(f"D2: {s['name']} exports an SDK exception event with a stack trace")
            if len(exceptions) != (1 if s["status"]["code"] == "ERROR" else 0):
                raise CaseFailure(f"D2: {s['name']} has {len(exceptions)} exception events")
        asserted.append("D2")
    payload_values = [(s["name"], k, s["attributes"][k]) for s in exported for k in PAYLOAD_KEYS if k in s["attributes"]]
    if payload_values:
        for name, key, value in payload_values:
            try:
                json.loads(value)
            except (TypeError, ValueError) as exc:
                raise CaseFailure(f"D4: {name} {key} is not valid JSON ({exc})") from exc
        asserted.append("D4")
        quoted = re.compile(r'\\*"([A-Za-z0-9_.-]{1,64})\\*"\s*:\s*\\*"((?:[^"\\]|\\[^"])*)\\*"')
        fields = {re.sub(r"[^a-z0-9]", "", f.lower()) for f in redact_fields(facts["env"])}
        for name, key, value in payload_values:
            for m in quoted.finditer(value):
                if re.sub(r"[^a-z0-9]", "", m.group(1).lower()) in fields and m.group(2) != "***":
                    raise CaseFailure(f"D3: {name} {key} leaks {m.group(0)!r}")
        asserted.append("D3")
    mcp_client = [s for s in exported if s["name"].startswith("mcp.client.")]
    if mcp_client:
        for s in mcp_client:
            if s["attributes"].get("contextforge.runtime") != "rust":
                raise CaseFailure(f"D5: {s['name']} contextforge.runtime = {s['attributes'].get('contextforge.runtime')!r}")
        asserted.append("D5")
    return asserted


def redact_fields(env: dict[str, str]) -> list[str]:
    from lib.gateway_settings import trace_settings  # noqa: PLC0415

    return list(trace_settings(env).redact_fields)


SECRET_PATTERNS = (
    re.compile(r"(?i)\b(?:password|token|api_key|secret)=([^\s&,;\"'\\]+)"),
    re.compile(r"(?i)\bBearer\s+([A-Za-z0-9._~+/=-]+)"),
    re.compile(r"://([^/@\s]+)@"),
)


def input_secrets(facts: dict) -> set[str]:
    """Every secret the case feeds in: redact-key values, key=value / Bearer / URL-userinfo secrets, credentials in env."""
    fields = {re.sub(r"[^a-z0-9]", "", f.lower()) for f in redact_fields(facts["env"])}
    found: set[str] = set()

    def walk(value, key=""):
        if isinstance(value, dict):
            for k, v in value.items():
                walk(v, k)
        elif isinstance(value, list):
            for v in value:
                walk(v, key)
        elif isinstance(value, str):
            if re.sub(r"[^a-z0-9]", "", key.lower()) in fields:
                found.add(value)
            for pattern in SECRET_PATTERNS:
                found.update(m.group(1) for m in pattern.finditer(value))

    walk((facts.get("call") or {}).get("arguments"))
    walk(facts["outcome"].get("result"))
    for section in ("resource", "prompt"):
        walk(facts.get(section))
    for err in (facts["outcome"].get("errors") or {}).values():
        walk(err["message"])
    for k, v in facts["env"].items():
        if re.search(r"SECRET|PASSWORD|AUTH|_KEY$", k) and not k.endswith("PUBLIC_KEY"):
            found.add(v)
    return {s for s in found if len(s) >= 3 and s not in ("***", "REDACTED")}


def check_no_secret(raw_output: str, facts: dict) -> None:
    for secret in sorted(input_secrets(facts)):
        if secret in raw_output:
            raise CaseFailure(f"secret {secret!r} of the inputs reaches the exporter")


def check_trace_context(exported: list[dict], facts: dict) -> None:
    """An incoming traceparent: the root joins that trace, under the remote parent."""
    traceparent = facts["request"].get("headers", {}).get("traceparent")
    roots = [s for s in exported if s["kind"] == "SERVER"]
    if len(roots) != 1:
        raise CaseFailure(f"{len(roots)} request roots exported")
    if len({s["traceId"] for s in exported}) != 1:
        raise CaseFailure("the exported spans are not one trace")
    if traceparent:
        _, trace_id, parent_id, _ = traceparent.split("-")
        if (roots[0]["traceId"], roots[0]["parentSpanId"]) != (trace_id, parent_id):
            raise CaseFailure(f"root is not a child of the incoming traceparent {traceparent}")
    elif roots[0]["parentSpanId"]:
        raise CaseFailure("root has a parent but no traceparent came in")


# ---------------------------------------------------------------- one case
def run_case(facts_path: Path, protocol: str, keep: Path | None, verbose: bool, contract: str = "v1") -> list[str]:
    facts = json.loads(facts_path.read_text())
    capture = load_capture(ORACLE_DIR / f"{facts['case']}.json")
    expected = expected_call(capture, facts)
    work = Path(tempfile.mkdtemp(prefix=f"parity-{facts['case']}-"))
    try:
        traces_file = work / "traces.json"
        config = generate_config(facts["env"], work, traces_file)
        with Collector(work, config, env=facts["env"], lifetime_s=CHILD_TIMEOUT_S) as collector:
            endpoint = collector.http_endpoint if protocol == "http" else f"http://{collector.grpc_endpoint}"
            run([str(REPLAY), "--facts", str(facts_path), "--endpoint", endpoint, "--protocol", protocol, "--contract", contract])
            exported = collector.wait_for_spans(len(expected.spans), timeout_s=EXPORT_WAIT_S)
            raw_output = traces_file.read_text()
        if len(exported) != len(expected.spans):
            raise CaseFailure(f"exported {len(exported)} spans {[s['name'] for s in exported]}, expected {len(expected.spans)}")
        check_no_secret(raw_output, facts)
        expected_doc = expected_as_capture(expected)
        (work / "expected.json").write_text(json.dumps(expected_doc, indent=1, ensure_ascii=False))
        differences = diff(expected_doc, raw_output, sorted(expected.ignored_values))
        if differences:
            raise CaseFailure(differences[0] + (f" (+{len(differences) - 1} more)" if len(differences) > 1 else ""))
        check_ignored_values(expected, exported)
        check_trace_context(exported, facts)
        python_vs_rust(ORACLE_DIR / f"{facts['case']}.json", raw_output, expected, facts)
        return check_deviations(expected, exported, facts)
    finally:
        if keep:
            shutil.copytree(work, keep / f"{facts['case']}-{contract}", dirs_exist_ok=True)
        shutil.rmtree(work, ignore_errors=True)


# ---------------------------------------------------------------- family cases (one collector per settings group)
def new_spans(collector: Collector, known: set[str], count: int) -> list[dict]:
    """Wait (bounded) until `count` spans of traces not in `known` arrived; return them."""
    deadline = time.monotonic() + EXPORT_WAIT_S
    got: list[dict] = []
    while time.monotonic() < deadline:
        try:
            got = [s for s in collector.spans() if s["traceId"] not in known]
        except json.JSONDecodeError:
            got = []
        if len(got) >= count:
            time.sleep(0.3)
            return [s for s in collector.spans() if s["traceId"] not in known]
        time.sleep(0.1)
    raise CaseFailure(f"exported {len(got)} of {count} spans within {EXPORT_WAIT_S}s")


def run_family_case(facts_path: Path, collector: Collector, protocol: str, keep: Path | None,
                    contract: str = "v1") -> tuple[list[str], bool]:
    """One family case on a running collector; returns (deviations asserted, whether it is a fallback)."""
    facts = json.loads(facts_path.read_text())
    capture = load_capture(FAMILY_CAPTURES / f"{facts['case']}.json")
    known = {s["traceId"] for s in collector.spans()}
    endpoint = collector.http_endpoint if protocol == "http" else f"http://{collector.grpc_endpoint}"
    run([str(REPLAY), "--facts", str(facts_path), "--endpoint", endpoint, "--protocol", protocol, "--contract", contract])
    if fallback_case(capture):
        # The runtime forwards this method; Python traces it. Ours must be nothing at all.
        if facts.get("served") is not False:
            raise CaseFailure(f"{capture['method']} is a fallback but the facts do not say served: false")
        time.sleep(FALLBACK_QUIET_S)
        extra = [s for s in collector.spans() if s["traceId"] not in known]
        if extra:
            raise CaseFailure(f"fallback: our emitter exported {[s['name'] for s in extra]} (Python traces this request)")
        return [], True
    expected = expected_family(capture, facts)
    exported = new_spans(collector, known, len(expected.spans))
    if len(exported) != len(expected.spans):
        raise CaseFailure(f"exported {len(exported)} spans {[s['name'] for s in exported]}, expected {len(expected.spans)}")
    raw_output = json.dumps({"spans": exported}, ensure_ascii=False)
    check_no_secret(raw_output, facts)
    expected_doc = expected_as_capture(expected)
    if keep:
        (keep / f"{facts['case']}.expected.json").write_text(json.dumps(expected_doc, indent=1, ensure_ascii=False))
        (keep / f"{facts['case']}.exported.json").write_text(raw_output)
    differences = diff(expected_doc, raw_output, sorted(expected.ignored_values))
    if differences:
        raise CaseFailure(differences[0] + (f" (+{len(differences) - 1} more)" if len(differences) > 1 else ""))
    check_ignored_values(expected, exported)
    check_trace_context(exported, facts)
    asserted = check_deviations(expected, exported, facts)
    for d in ("D8", "D9"):
        if expected.deviations[d]:
            asserted.append(d)
    if not exported_identity_ok(expected, exported):
        raise CaseFailure("D9: user exported although identity capture is off")
    return asserted, False


def exported_identity_ok(expected, exported: list[dict]) -> bool:
    """D9 on the output: with identity capture off (D9 removed user), no exported span has user."""
    if not expected.deviations["D9"]:
        return True
    return all("user" not in s["attributes"] for s in exported)


def run_family_group(paths: list[Path], keep: Path | None, verbose: bool, started: float,
                     contract: str = "alternate") -> tuple[int, int, int]:
    """Every family case of one settings group on one collector; returns (passed, failed, fallbacks)."""
    passed = failed = fallbacks = 0
    env = json.loads(paths[0].read_text())["env"]
    pairs = []
    for path in paths:
        facts = json.loads(path.read_text())
        pairs.append((load_capture(FAMILY_CAPTURES / f"{facts['case']}.json"), facts))
    prefetch(pairs)  # one oracle run for the whole group
    work = Path(tempfile.mkdtemp(prefix="parity-families-"))
    try:
        config = generate_config(env, work, work / "traces.json")
        with Collector(work, config, env=env, lifetime_s=TOTAL_BUDGET_S) as collector:
            for n, path in enumerate(paths):
                protocol = "http" if n % 2 == 0 else "grpc"
                # as the tools/call cases: (http, v1), (grpc, v1), (http, v2), (grpc, v2), …
                case_contract = contract if contract != "alternate" else ("v1" if n % 4 < 2 else "v2")
                if time.monotonic() - started > TOTAL_BUDGET_S:
                    print(f"FAIL {path.stem} not run: the suite exceeded its {TOTAL_BUDGET_S}s budget")
                    failed += 1
                    continue
                try:
                    asserted, fallback = run_family_case(path, collector, protocol, keep, case_contract)
                    note = "fallback: no runtime span" if fallback else ", ".join(asserted)
                    print(f"PASS {path.stem} ({protocol}, {case_contract})"
                          + (f"  ({note})" if verbose or fallback else ""))
                    passed += 1
                    fallbacks += fallback
                except (CaseFailure, CollectorError, ExpectationError) as exc:
                    print(f"FAIL {path.stem} ({protocol}, {case_contract}) {exc}")
                    failed += 1
                except Exception as exc:  # noqa: BLE001
                    print(f"FAIL {path.stem} ({protocol}, {case_contract}) {type(exc).__name__}: {exc}")
                    failed += 1
                sys.stdout.flush()
    except (CaseFailure, CollectorError) as exc:
        for path in paths[passed + failed:]:
            print(f"FAIL {path.stem} collector: {exc}")
            failed += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return passed, failed, fallbacks


def family_groups(paths: list[Path]) -> list[list[Path]]:
    groups: dict[str, list[Path]] = {}
    for p in paths:
        key = json.dumps(json.loads(p.read_text())["env"], sort_keys=True)
        groups.setdefault(key, []).append(p)
    return list(groups.values())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--case", action="append", help="run only these cases (repeatable)")
    ap.add_argument("--keep", type=Path, help="copy each case's config, output and collector log here")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--contract", choices=["v1", "v2", "alternate"], default="alternate",
                    help="raw span contract the replay emits; alternate (default): v1 and v2 on alternate "
                         "cases, each over both protocols")
    a = ap.parse_args()
    missing = [str(p) for p in (collector_binary(), REPLAY, CONFIGURATOR) if not p.exists()]
    if missing:
        print(f"parity: missing {', '.join(missing)} (run `make build emitter venv`)", file=sys.stderr)
        return 2
    cases = sorted(CASES_DIR.glob("*.json"))
    family_cases = sorted(FAMILY_CASES_DIR.glob("*.json"))
    if len(family_cases) != len(list(FAMILY_CAPTURES.glob("g_*.json"))):
        print(f"parity: {len(family_cases)} family facts files for {len(list(FAMILY_CAPTURES.glob('g_*.json')))} captures", file=sys.stderr)
        return 2
    if a.case:
        cases = [c for c in cases if c.stem in a.case]
        family_cases = [c for c in family_cases if c.stem in a.case]
        if len(cases) + len(family_cases) != len(a.case):
            print(f"parity: unknown case in {a.case}", file=sys.stderr)
            return 2
    passed = failed = 0
    started = time.monotonic()
    for n, path in enumerate(cases):
        protocol = "http" if n % 2 == 0 else "grpc"
        # alternate: (http, v1), (grpc, v1), (http, v2), (grpc, v2), … so both contracts see both protocols.
        contract = a.contract if a.contract != "alternate" else ("v1" if n % 4 < 2 else "v2")
        if time.monotonic() - started > TOTAL_BUDGET_S:
            print(f"FAIL {path.stem} not run: the suite exceeded its {TOTAL_BUDGET_S}s budget")
            failed += 1
            continue
        try:
            asserted = run_case(path, protocol, a.keep, a.verbose, contract)
            print(f"PASS {path.stem} ({protocol}, {contract})" + (f"  (asserted {', '.join(asserted)})" if a.verbose else ""))
            passed += 1
        except (CaseFailure, CollectorError, ExpectationError) as exc:
            print(f"FAIL {path.stem} ({protocol}, {contract}) {exc}")
            failed += 1
        except Exception as exc:  # noqa: BLE001  (one broken case must not hide the others)
            print(f"FAIL {path.stem} {type(exc).__name__}: {exc}")
            failed += 1
        sys.stdout.flush()
    fallbacks = 0
    for group in family_groups(family_cases):
        p, f, fb = run_family_group(group, a.keep, a.verbose, started, a.contract)
        passed, failed, fallbacks = passed + p, failed + f, fallbacks + fb
    if fallbacks:
        print(f"of which {fallbacks} fallback cases (roots/list): passed by asserting that our emitter exports no span (Python traces them)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
