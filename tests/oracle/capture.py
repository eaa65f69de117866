#!/usr/bin/env python3
"""`make oracle`: re-capture the Python runtime's spans for the parity cases by running the real gateway.

For each settings group (the cases whose facts share one `env`), this starts the pinned gateway
(`.cache/venv/bin/mcpgateway`, SQLite in a fresh directory, 127.0.0.1 only, under `timeout`, stopped by
its PID) with that env, its OTLP/HTTP endpoint pointed at our receiver, registers the REST tools and the
upstream MCP gateway the facts name, replays each case's tools/call (its path, headers, JSON-RPC id and
arguments) and writes `<out>/<case>.json` in the oracle capture format (tests/oracle/tools-call/README.md).
The receiver, the REST backend and the upstream MCP server are threads of this process (backends.py).
Installs nothing: the venv already holds mcp-contextforge-gateway==1.0.7.post20260921.

    .cache/venv/bin/python tests/oracle/capture.py --out .cache/oracle-captures [--case NAME …]

Ids, ports and timings differ from run to run; compare re-captures with `mcpparity diff`.
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from backends import OtlpSink, RestBackend, UpstreamMcp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from lib.otlp_json import base64_id, request_spans  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES_DIR = ROOT / "tests" / "parity" / "cases"
VENV_BIN = Path(sys.executable).parent
ADMIN = "admin@example.com"
GATEWAY_LIMIT_S = 600  # hard cap on each gateway process
STARTUP_WAIT_S = 120
EXPORT_WAIT_S = 15
EXPORT_QUIET_S = 1.5
CAPTURED_ENV_PREFIXES = ("OTEL_", "LANGFUSE_", "SSRF_", "CACHE_")
# REST tools the cases call, by registered name: backend path (None = a port nothing listens on).
REST_TOOLS = {"echo_tool": ("/echo", "echo"), "fail_tool": ("/fail", "always 500"), "down_tool": (None, "nothing listens")}
UPSTREAM_GATEWAY = "upstream"  # its tools appear as upstream-whoami-trace, upstream-explode


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop(proc: subprocess.Popen | None) -> None:
    if proc and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def wait_http(url: str, proc: subprocess.Popen, log: Path, seconds: float = STARTUP_WAIT_S) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gateway exited {proc.returncode}: {log.read_text(errors='replace')[-1500:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not up within {seconds}s")


def point_endpoint_at(endpoint: str, port: int) -> str:
    """The same endpoint path (e.g. /api/public/otel/v1/traces) on our receiver."""
    parts = urlsplit(endpoint)
    return urlunsplit(("http", f"127.0.0.1:{port}", parts.path or "/v1/traces", parts.query, ""))


# ---------------------------------------------------------------- OTLP JSON -> capture spans
def capture_spans(records: list[dict]) -> list[dict]:
    """The received requests (protobuf's JSON mapping: base64 ids) as oracle-capture spans, with parentName."""
    spans = [s for rec in records for s in request_spans(rec["request"], decode_id=base64_id)]
    by_id = {s["spanId"]: s for s in spans}
    for s in spans:
        p = s["parentSpanId"]
        s["parentName"] = None if not p else (f"{by_id[p]['name']} [{by_id[p]['scope'].get('name', '')}]" if p in by_id else "<remote/not captured>")
    spans.sort(key=lambda s: s["startTimeUnixNano"])
    return spans


def wait_quiet(sink: OtlpSink, before: int) -> list[dict]:
    """Records after `before`, once the receiver has been quiet for EXPORT_QUIET_S (bounded)."""
    deadline, last, changed = time.monotonic() + EXPORT_WAIT_S, sink.count(), time.monotonic()
    while time.monotonic() < deadline:
        n = sink.count()
        if n != last:
            last, changed = n, time.monotonic()
        elif n > before and time.monotonic() - changed >= EXPORT_QUIET_S:
            break
        time.sleep(0.1)
    return sink.since(before)


# ---------------------------------------------------------------- calls
def response_json(r: httpx.Response):
    text = r.text
    if text.startswith(("event:", "data:")):  # an SSE-framed answer: the last data line
        data = [line[5:].strip() for line in text.splitlines() if line.startswith("data:")]
        text = data[-1] if data else text
    try:
        return json.loads(text)
    except ValueError:
        return text


def call(client: httpx.Client, facts: dict) -> dict:
    req = facts["request"]
    headers = {k: v for k, v in req.get("headers", {}).items() if k != "mcp-session-id"}
    body = {"jsonrpc": "2.0", "id": facts["call"]["jsonrpc_id"], "method": "tools/call",
            "params": {"name": facts["tool"]["name"], "arguments": facts["call"].get("arguments", {})}}
    if req["path"] == "/rpc":
        r = client.post("/rpc", json=body, headers=headers)
        return {"transport": "POST /rpc", "request": body, "request_headers": headers, "http_status": r.status_code, "response": response_json(r)}
    # Streamable HTTP: initialize, notifications/initialized, then the call (each its own POST /mcp).
    h = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json", **headers}
    if "mcp-session-id" in req.get("headers", {}):
        h["Mcp-Session-Id"] = req["headers"]["mcp-session-id"]
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "mcpparity-oracle", "version": "0"}}}
    r1 = client.post("/mcp", json=init, headers=h)
    sid = r1.headers.get("mcp-session-id")
    if sid:
        h["Mcp-Session-Id"] = sid
    h["Mcp-Protocol-Version"] = "2025-06-18"
    client.post("/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=h)
    r = client.post("/mcp", json=body, headers=h)
    return {"transport": "POST /mcp (streamable HTTP)", "mcp_session_id": sid, "request": body, "request_headers": headers, "http_status": r.status_code, "response": response_json(r)}


def shorten(obj, limit: int):
    text = json.dumps(obj)
    return obj if len(text) <= limit else {"_shortened_for_readme": True, "_chars": len(text), "_head": text[:limit]}


# ---------------------------------------------------------------- one settings group
def run_group(env: dict[str, str], cases: list[dict], out: Path, sink: OtlpSink, rest: RestBackend, upstream: UpstreamMcp, version: str) -> None:
    work = Path(tempfile.mkdtemp(prefix="oracle-gw-"))
    port = free_port()
    run_env = dict(env)
    run_env["OTEL_EXPORTER_OTLP_ENDPOINT"] = point_endpoint_at(env["OTEL_EXPORTER_OTLP_ENDPOINT"], sink.port)
    jwt_secret = secrets.token_urlsafe(32)
    process_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work),
        # Fresh fakes for this run only (strong enough for the gateway's startup validators).
        "JWT_SECRET_KEY": jwt_secret, "AUTH_ENCRYPTION_SECRET": secrets.token_urlsafe(32),
        "PLATFORM_ADMIN_EMAIL": ADMIN, "PLATFORM_ADMIN_PASSWORD": "Pw-" + secrets.token_urlsafe(16) + "!9a",
        "BASIC_AUTH_PASSWORD": "Pw-" + secrets.token_urlsafe(16) + "!9a",
        "MCPGATEWAY_UI_ENABLED": "false", "MCPGATEWAY_ADMIN_API_ENABLED": "false", "LOG_LEVEL": "INFO",
        "DATABASE_URL": f"sqlite:///{work}/mcp.db",
        **run_env,
    }
    log = work / "gateway.log"
    gateway = None
    try:
        with open(log, "w") as log_handle:
            gateway = subprocess.Popen(["timeout", str(GATEWAY_LIMIT_S), str(VENV_BIN / "mcpgateway"), "--host", "127.0.0.1", "--port", str(port)],
                                       env=process_env, cwd=work, stdout=log_handle, stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{port}/health", gateway, log)
        token = subprocess.run([sys.executable, "-m", "mcpgateway.utils.create_jwt_token", "--username", ADMIN, "--exp", "60", "--secret", jwt_secret],
                               env=process_env, cwd=work, capture_output=True, text=True, check=True, timeout=60).stdout.strip().splitlines()[-1]
        client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=60)
        dead_port = free_port()
        for name, (path, description) in REST_TOOLS.items():
            url = f"http://127.0.0.1:{rest.port}{path}" if path else f"http://127.0.0.1:{dead_port}/nothing"
            r = client.post("/tools", json={"tool": {"name": name, "url": url, "integration_type": "REST", "request_type": "POST", "description": description, "visibility": "public"}})
            if r.status_code not in (200, 201):
                raise RuntimeError(f"registering {name}: {r.status_code} {r.text[:300]}")
        if any(c["tool"].get("integration_type") == "MCP" for c in cases):
            r = client.post("/gateways", json={"name": UPSTREAM_GATEWAY, "url": f"http://127.0.0.1:{upstream.port}/mcp", "transport": "STREAMABLEHTTP", "visibility": "public"})
            if r.status_code not in (200, 201):
                raise RuntimeError(f"registering the upstream gateway: {r.status_code} {r.text[:300]}")
        wait_quiet(sink, sink.count())  # let the registration spans drain
        for facts in cases:
            before = sink.count()
            started = time.monotonic()
            done = call(client, facts)
            records = wait_quiet(sink, before)
            spans = capture_spans(records)
            doc = {
                "case": facts["case"], "description": facts.get("description", ""), "gateway_version": version,
                "env": {k: v for k, v in run_env.items() if k.startswith(CAPTURED_ENV_PREFIXES)},
                "call": {**done, "request": shorten(done["request"], 400), "response": shorten(done["response"], 1500)},
                "otlp_exports": [{"path": r["path"], "authorization": r["headers"].get("authorization"), "content_type": r["headers"].get("content-type"),
                                  "user_agent": r["headers"].get("user-agent")} for r in records],
                "tool_invoke_trace_ids": sorted({s["traceId"] for s in spans if s["name"] == "tool.invoke"}),
                "spans": spans,
            }
            (out / f"{facts['case']}.json").write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
            print(f"  {facts['case']}: {len(spans)} spans, http {done['http_status']}, {time.monotonic() - started:.1f}s", flush=True)
    finally:
        stop(gateway)
        if os.environ.get("KEEP_LOGS"):
            shutil.copy(log, out / f".gateway-{cases[0]['case']}.log")
        shutil.rmtree(work, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description="re-capture oracle spans from tests/parity/cases with the real gateway (127.0.0.1 only)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--case", action="append", help="only these cases (repeatable)")
    a = ap.parse_args()
    if not (VENV_BIN / "mcpgateway").exists():
        print(f"oracle: {VENV_BIN / 'mcpgateway'} missing; run `make venv` (it installs the pinned gateway)", file=sys.stderr)
        return 2
    from mcpgateway import __version__ as version  # noqa: PLC0415

    all_facts = [json.loads(p.read_text()) for p in sorted(CASES_DIR.glob("*.json"))]
    chosen = [f for f in all_facts if not a.case or f["case"] in a.case]
    if a.case and len(chosen) != len(a.case):
        print(f"oracle: unknown case in {a.case}", file=sys.stderr)
        return 2
    groups: dict[str, list[dict]] = {}
    for facts in chosen:
        groups.setdefault(json.dumps(facts["env"], sort_keys=True), []).append(facts)
    a.out.mkdir(parents=True, exist_ok=True)
    sink, rest, upstream = OtlpSink(), RestBackend(), UpstreamMcp()
    started = time.monotonic()
    try:
        for key, cases in groups.items():
            print(f"group of {len(cases)} case(s): {', '.join(c['case'] for c in cases)}", flush=True)
            run_group(json.loads(key), cases, a.out, sink, rest, upstream, version)
    finally:
        for server in (sink, rest, upstream):
            server.stop()
    print(f"{len(chosen)} case(s) captured into {a.out} in {time.monotonic() - started:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
