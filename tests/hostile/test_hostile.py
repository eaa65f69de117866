"""Issue 9 (fail closed): every hostile input class over OTLP/HTTP JSON, OTLP/HTTP protobuf and gRPC
through the built distribution on the generated config (collector-config/local.yaml), in a 512 MiB
pod emulation (GOMEMLIMIT, the generated memory_limiter, an RSS sampler on /proc/<pid>/status).

Asserted: the collector stays healthy and never panics; every accepted request's spans are
exported (refusals only for the nesting/size class, with a clear 4xx or gRPC error); no planted
secret appears anywhere in the export, verbatim or inside base64; the export is valid UTF-8 and
valid JSON; peak RSS stays under the pod's 512 MiB.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest
import yaml

from hostile_inputs import SECRET_PATTERN, HostileInput, compress, generate
from lib.collector import REPO, Collector, collector_binary
from otlp_wire import span_ids, to_json, to_protobuf

POD_MEMORY_MIB = 512
GOMEMLIMIT = "400MiB"  # what an operator sets in a 512 MiB pod (the Helm chart's 80 %)
EXPORT_TIMEOUT_SECONDS = 90.0
SAMPLE_SECONDS = 0.02
GRPC_METHOD = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
TRANSPORTS = ("http-json", "http-protobuf", "grpc")


def hostile_config(out_file: Path) -> dict[str, Any]:
    """collector-config/local.yaml as generated (its request bounds, jsondepth middleware and
    memory_limiter sized for a 512 MiB process), with capture and Langfuse attributes on so every
    capture path runs, and the file exporter writing into the test's folder."""
    config = yaml.safe_load((REPO / "collector-config" / "local.yaml").read_text())
    config["processors"]["mcpparity"].update(
        langfuse_attributes=True, identity_attributes=True, capture_input_spans=["tool.invoke"],
        capture_output_spans=["tool.invoke"], baggage={"enabled": True, "allowed_keys": ["tenant"]})
    config["exporters"]["file"] = {"path": str(out_file)}
    return config


def collector_pid(wrapper_pid: int) -> int:
    """The collector's own pid: lib.collector runs it under coreutils `timeout`, whose child it is."""
    for _ in range(50):
        if Path(f"/proc/{wrapper_pid}/comm").read_text().strip() != "timeout":
            return wrapper_pid
        children = Path(f"/proc/{wrapper_pid}/task/{wrapper_pid}/children").read_text().split()
        if children:
            return int(children[0])
        time.sleep(0.1)
    raise RuntimeError(f"no collector under pid {wrapper_pid}")


class RSSSampler:
    """Peak resident set size of one process, sampled from /proc while it runs."""

    def __init__(self, pid: int):
        self.pid, self.peak_kib, self._stop = pid, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.peak_kib = max(self.peak_kib, self.rss_kib())
            except (OSError, RuntimeError):
                return
            self._stop.wait(SAMPLE_SECONDS)

    def __enter__(self) -> "RSSSampler":
        self.peak_kib = self.rss_kib()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def send(collector: Collector, channel: grpc.Channel, transport: str, item: HostileInput) -> tuple[bool, str]:
    """(accepted, what the receiver answered) for one request."""
    if transport == "grpc":
        export = channel.unary_unary(GRPC_METHOD, request_serializer=None, response_deserializer=None)
        try:
            export(to_protobuf(item.request), timeout=60)
            return True, "OK"
        except grpc.RpcError as e:
            return False, f"{e.code().name}: {e.details()[:200]}"
    json_body = transport == "http-json"
    body = to_json(item.request) if json_body else to_protobuf(item.request)
    headers = {"Content-Type": "application/json" if json_body else "application/x-protobuf"}
    if item.gzip:
        body, headers["Content-Encoding"] = compress(body), "gzip"
    req = urllib.request.Request(collector.http_endpoint, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status == 200, str(resp.status)
    except urllib.error.HTTPError as e:
        return False, f"{e.code}: {e.read()[:200]!r}"
    except (urllib.error.URLError, ConnectionError) as e:
        # The server answers 413 and closes while a big body is still being written: the client
        # sees the reset before the answer.
        return False, f"reset: {e}"


BASE64_RUN = re.compile(rb"[A-Za-z0-9+/]{12,}={0,2}")


def leaked_secrets(raw: bytes, secrets: set[str]) -> list[str]:
    """The planted secrets found in the export: verbatim, or inside any base64 run (a bytes value
    is exported as base64). Every planted secret has one shape (SECRET_PATTERN), so one regex
    pass finds the candidates and the set says which are ours."""
    found = {m.decode() for m in SECRET_PATTERN.findall(raw)}
    for run in BASE64_RUN.findall(raw):
        for start in range(4):  # a run may begin mid-quantum inside a longer text
            chunk = run[start:]
            chunk = chunk[: len(chunk) - len(chunk) % 4]
            try:
                decoded = base64.b64decode(chunk)
            except (binascii.Error, ValueError):
                continue
            found.update(m.decode() for m in SECRET_PATTERN.findall(decoded))
    return sorted(found & secrets)


def exported_span_ids(raw: bytes) -> set[str]:
    ids: set[str] = set()
    for line in raw.splitlines():
        if not line.strip():
            continue
        doc = json.loads(line)
        for rs in doc.get("resourceSpans", []):
            for ss in rs.get("scopeSpans", []):
                ids.update(s["spanId"] for s in ss.get("spans", []))
    return ids


@pytest.fixture(scope="module")
def inputs() -> list[HostileInput]:
    items = list(generate())
    assert {i.cls for i in items} == {"1", "2", "3", "4", "5", "6", "7"}, "every class of issue 9"
    return items


def test_hostile_inputs_fail_closed(tmp_path: Path, inputs: list[HostileInput]) -> None:
    if not collector_binary().exists():
        pytest.fail(f"{collector_binary()} is missing: run `make build`", pytrace=False)
    out_file = tmp_path / "traces.json"
    collector = Collector(tmp_path, hostile_config(out_file), env={"GOMEMLIMIT": GOMEMLIMIT})
    expected: set[str] = set()
    refused: list[str] = []
    secrets: list[str] = []
    requests = 0
    with collector, RSSSampler(collector_pid(collector.proc.pid)) as rss:
        channel = grpc.insecure_channel(collector.grpc_endpoint, options=[("grpc.max_send_message_length", 64 << 20)])
        try:
            for prefix, transport in enumerate(TRANSPORTS, start=1):
                batch = [i for i in inputs if transport in i.transports]
                for item in batch:
                    for r in item.request:  # the span ids say which transport sent them
                        for sc in r.scopes:
                            for s in sc.spans:
                                s.span_id = bytes([prefix]) + s.span_id[1:]
                # Nesting and size inputs go four at a time: what one request may cost is what matters.
                heavy = [i for i in batch if i.cls == "7"]
                light = [i for i in batch if i.cls != "7"]
                started = time.monotonic()
                for item in light:
                    ok, answer = send(collector, channel, transport, item)
                    requests += 1
                    if not ok:
                        pytest.fail(f"{transport} refused {item.name}: {answer}", pytrace=False)
                    expected.update(span_ids(item.request))
                    secrets.extend(item.secrets)
                with ThreadPoolExecutor(max_workers=4) as pool:
                    answers = list(pool.map(lambda i: send(collector, channel, transport, i), heavy))
                print(f"{transport}: {len(batch)} requests in {time.monotonic() - started:.1f} s", flush=True)
                for item, (ok, answer) in zip(heavy, answers):
                    requests += 1
                    secrets.extend(item.secrets)
                    if ok:
                        expected.update(span_ids(item.request))
                    else:
                        assert item.refusable, f"{transport} refused {item.name}: {answer}"
                        assert answer[:3] in ("400", "413") or answer.split(":")[0] in ("reset",
                            "RESOURCE_EXHAUSTED", "INVALID_ARGUMENT", "INTERNAL"), f"{item.name}: unclear refusal {answer}"
                        refused.append(f"{transport} {item.name}: {answer[:80]}")
        finally:
            channel.close()
        deadline = time.monotonic() + EXPORT_TIMEOUT_SECONDS
        raw = b""
        while time.monotonic() < deadline:
            raw = out_file.read_bytes() if out_file.exists() else b""
            try:
                if expected <= exported_span_ids(raw):
                    break
            except json.JSONDecodeError:
                pass  # a line still being written
            time.sleep(0.5)
        print(f"export read: {len(raw)} bytes", flush=True)
        with urllib.request.urlopen(f"http://127.0.0.1:{collector.ports.health}/", timeout=10) as health:
            assert health.status == 200, "health kept"
        assert collector.proc.poll() is None, "the collector is still running"
    log = collector.log_file.read_text(errors="replace")
    assert "panic" not in log.lower(), log[-2000:]

    missing = expected - exported_span_ids(raw)
    assert not missing, f"{len(missing)} spans lost of {len(expected)}"
    text = raw.decode("utf-8")  # strict: the export is valid UTF-8
    for line in text.splitlines():
        json.loads(line)
    leaked = leaked_secrets(raw, set(secrets))
    if leaked:
        owner = {sec: item.name for item in inputs for sec in item.secrets}
        where = []
        for sec in leaked[:40]:
            i = raw.find(sec.encode())
            where.append(f"{owner.get(sec)}: {raw[max(0, i - 80):i + 30]!r}" if i >= 0 else f"{owner.get(sec)}: (in base64)")
        pytest.fail(f"{len(leaked)} of {len(set(secrets))} planted secrets exported:\n" + "\n".join(where), pytrace=False)
    peak_mib = rss.peak_kib / 1024
    print(f"\nhostile: {len(inputs)} inputs, {requests} requests over {len(TRANSPORTS)} transports, "
          f"{len(secrets)} secrets planted, {len(expected)} spans exported, {len(refused)} refused, peak RSS {peak_mib:.0f} MiB")
    for r in refused:
        print("  refused:", r)
    assert peak_mib < POD_MEMORY_MIB, f"peak RSS {peak_mib:.0f} MiB in a {POD_MEMORY_MIB} MiB pod"
