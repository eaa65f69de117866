"""Probe a running collector: its health endpoint, then one synthetic raw span over OTLP/HTTP.

The span is made with the OpenTelemetry SDK and encoded with the OTLP proto encoder, so the probe
sends exactly what an SDK exporter would. It is a contract-v1 `request` raw span.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import requests
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceResponse
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.trace import SpanKind

from . import contract as c

DEFAULT_HEALTH_URL = "http://127.0.0.1:13133/"
DEFAULT_OTLP_URL = "http://127.0.0.1:4318/v1/traces"
RAW_SCOPE_NAME = c.RAW_SCOPE_NAME
PROBE_PATH = "/mcpparity/check"


@dataclass(frozen=True)
class ProbeResult:
    step: str  # "health" | "otlp"
    ok: bool
    message: str

    def __str__(self) -> str:
        return f"{self.step}: {'ok' if self.ok else 'FAILED'}: {self.message}"


def synthetic_raw_span() -> ReadableSpan:
    """One finished `request` raw span (contract v1), with a fresh correlation id."""
    provider = TracerProvider(resource=Resource.create({"service.name": "mcpparity-check"}))
    tracer = provider.get_tracer(RAW_SCOPE_NAME)
    span = tracer.start_span(f"POST {PROBE_PATH}", kind=SpanKind.SERVER, attributes={
        c.OP: "request",
        c.CORRELATION_ID: secrets.token_hex(16),
        c.CORRELATION_ID_FROM_HEADER: False,
        c.AUTH_METHOD: "anonymous",
        c.HTTP_REQUEST_METHOD: "POST",
        c.URL_PATH: PROBE_PATH,
        c.NETWORK_PROTOCOL_VERSION: "1.1",
        c.SERVER_ADDRESS: "127.0.0.1",
        c.SERVER_PORT: 4444,
        c.CLIENT_ADDRESS: "127.0.0.1",
        c.CLIENT_PORT: 40000,
        c.USER_AGENT_ORIGINAL: "mcpparity-check",
        c.HTTP_RESPONSE_STATUS_CODE: 200,
    })
    span.end()
    assert isinstance(span, ReadableSpan)
    return span


def check_health(url: str, timeout: float = 5.0) -> ProbeResult:
    try:
        response = requests.get(url, timeout=timeout)
    except requests.ConnectionError:
        return ProbeResult("health", False, f"cannot connect to {url}: is the collector running with the health_check extension there?")
    except requests.Timeout:
        return ProbeResult("health", False, f"{url} did not answer within {timeout:g}s")
    except requests.RequestException as exc:
        return ProbeResult("health", False, f"{url}: {exc.__class__.__name__}: {exc}")
    if response.status_code != 200:
        return ProbeResult("health", False, f"{url} answered HTTP {response.status_code}: the collector is not ready ({response.text.strip()[:200]})")
    return ProbeResult("health", True, f"{url} answered 200")


@dataclass(frozen=True)
class HopCredentials:
    """What the runtime presents to a TLS receiver: the CA it trusts, its client certificate, the bearer token."""

    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    token: str | None = None  # the value, read from the environment by the caller; never printed


def send_probe_span(url: str, timeout: float = 5.0, hop: HopCredentials | None = None) -> ProbeResult:
    hop = hop or HopCredentials()
    body = encode_spans([synthetic_raw_span()]).SerializeToString()
    headers = {"Content-Type": "application/x-protobuf"}
    if hop.token:
        headers["Authorization"] = f"Bearer {hop.token}"
    cert = (hop.client_cert, hop.client_key) if hop.client_cert and hop.client_key else None
    try:
        response = requests.post(url, data=body, timeout=timeout, headers=headers, verify=hop.ca_file or True, cert=cert)
    except requests.exceptions.SSLError as exc:
        return ProbeResult("otlp", False, f"{url}: TLS failed ({exc.__class__.__name__}): does --ca-file trust the receiver's certificate, "
                                          "and does an mTLS receiver get --client-cert/--client-key?")
    except requests.ConnectionError:
        return ProbeResult("otlp", False, f"cannot connect to {url}: is the otlp receiver's http protocol enabled at that address?")
    except requests.Timeout:
        return ProbeResult("otlp", False, f"{url} did not answer within {timeout:g}s")
    except requests.RequestException as exc:
        return ProbeResult("otlp", False, f"{url}: {exc.__class__.__name__}: {exc}")
    if response.status_code == 401:
        return ProbeResult("otlp", False, f"{url} answered 401: the receiver wants its bearer token (--token-env VAR)")
    if response.status_code == 404:
        return ProbeResult("otlp", False, f"{url} answered 404: the OTLP/HTTP traces path is /v1/traces")
    if response.status_code != 200:
        return ProbeResult("otlp", False, f"{url} answered HTTP {response.status_code}: {response.text.strip()[:200]}")
    if response.content and "protobuf" in response.headers.get("Content-Type", ""):
        parsed = ExportTraceServiceResponse()
        try:
            parsed.ParseFromString(response.content)
        except Exception:  # noqa: BLE001 - protobuf raises its own DecodeError
            return ProbeResult("otlp", False, f"{url} answered 200 with a body that is not an ExportTraceServiceResponse")
        if parsed.partial_success.rejected_spans:
            return ProbeResult("otlp", False, f"{url} rejected {parsed.partial_success.rejected_spans} span(s): {parsed.partial_success.error_message}")
    return ProbeResult("otlp", True, f"{url} accepted one raw span (scope {RAW_SCOPE_NAME}, cf.op=request)")


def check(otlp_url: str = DEFAULT_OTLP_URL, health_url: str = DEFAULT_HEALTH_URL, timeout: float = 5.0,
          hop: HopCredentials | None = None) -> list[ProbeResult]:
    """Health first; the span is sent only when the collector reports healthy."""
    health = check_health(health_url, timeout)
    if not health.ok:
        return [health, ProbeResult("otlp", False, "skipped: the health check failed")]
    return [health, send_probe_span(otlp_url, timeout, hop)]
