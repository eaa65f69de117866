"""Gateway settings -> otelcol-mcpparity config (a plain dict) plus the comments and the env vars an operator must set."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .settings import GatewaySettings, SettingsError, SettingsErrors

EXPORTER_CHOICES = ("auto", "langfuse", "otlp", "file", "debug")
DEFAULT_FILE_PATH = "./traces-out/traces.json"
DEFAULT_LISTEN_HOST = "127.0.0.1"
RAW_SCOPE_NAME = "contextforge.mcp_runtime"
LANGFUSE_AUTH_ENV = "LANGFUSE_OTEL_AUTH"
LANGFUSE_INGESTION_VERSION = "4"
PIPELINE_PROCESSORS = ["memory_limiter", "mcpparity", "batch"]
# One OTLP request may carry at most this many bytes on either protocol (HTTP body after
# decompression, gRPC message): it bounds what one request can cost the collector
# (docs/operations.md, "Memory per request"). A raw payload is at most 1 MiB (contract v1).
MAX_REQUEST_MIB = 4
# The OTLP/HTTP receiver decodes OTLP/JSON recursively: the jsondepth middleware (our distribution)
# refuses a JSON body nested deeper than this before decoding (protobuf stops at 100 message levels).
MAX_JSON_DEPTH = 256
JSON_DEPTH_EXTENSION = "jsondepth"


@dataclass(frozen=True)
class RequiredEnv:
    """An environment variable the collector needs at run time (its value is never written anywhere)."""

    name: str
    how: str  # operator instruction, e.g. LANGFUSE_OTEL_AUTH=$(printf '%s:%s' pk sk | base64 -w0)


@dataclass
class GeneratedConfig:
    config: dict[str, Any]
    comments: dict[tuple[str, ...], str] = field(default_factory=dict)
    required_env: list[RequiredEnv] = field(default_factory=list)
    exporter_id: str = ""


def header_env_name(header: str) -> str:
    """The env var that carries an OTEL_EXPORTER_OTLP_HEADERS value into the collector."""
    return "MCPPARITY_OTLP_HEADER_" + re.sub(r"[^A-Z0-9]", "_", header.upper())


def mcpparity_processor(settings: GatewaySettings) -> dict[str, Any]:
    """The processor keys, named as in processor/mcpparityprocessor/config.go; each mirrors one gateway setting."""
    processor: dict[str, Any] = {
        "langfuse_attributes": settings.langfuse_attributes,
        "identity_attributes": settings.identity_attributes,
        "capture_input_spans": list(settings.capture_input_spans),
        "capture_output_spans": list(settings.capture_output_spans),
    }
    if settings.redact_fields is not None:
        processor["redact_fields"] = list(settings.redact_fields)
    processor["max_trace_payload_size"] = settings.max_trace_payload_size
    processor["deployment_environment"] = settings.deployment_environment
    processor["raw_scope_names"] = [RAW_SCOPE_NAME]
    processor["scrub_foreign_spans"] = True
    processor["baggage"] = {
        "enabled": settings.baggage_enabled,
        "allowed_keys": list(settings.baggage_keys),
        "max_items": settings.baggage_max_items,
        "max_size_bytes": settings.baggage_max_size_bytes,
    }
    return processor


def choose_exporter(settings: GatewaySettings, requested: str) -> str:
    """`auto` picks what the gateway itself would have exported to."""
    if requested not in EXPORTER_CHOICES:
        raise SettingsErrors([SettingsError("--exporter", f"{requested!r} is not one of {', '.join(EXPORTER_CHOICES)}")])
    if requested == "langfuse" and not settings.is_langfuse:
        raise SettingsErrors([SettingsError("LANGFUSE_OTEL_ENDPOINT", "--exporter langfuse needs a Langfuse endpoint (a URL whose path contains /api/public/otel) in LANGFUSE_OTEL_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT")])
    if requested == "otlp" and not settings.endpoint:
        raise SettingsErrors([SettingsError("OTEL_EXPORTER_OTLP_ENDPOINT", "--exporter otlp needs an endpoint")])
    if requested != "auto":
        return requested
    if settings.traces_exporter == "otlp":
        if settings.is_langfuse:
            return "langfuse"
        return "otlp" if settings.endpoint else "file"
    if settings.traces_exporter == "none":
        return "file"
    if settings.traces_exporter in ("jaeger", "zipkin"):
        raise SettingsErrors([SettingsError("OTEL_TRACES_EXPORTER", f"{settings.traces_exporter} is not in otelcol-mcpparity; point OTEL_EXPORTER_OTLP_ENDPOINT at an OTLP backend and use --exporter otlp")])
    return "debug"  # console and unknown values: the gateway prints spans


def _exporter(settings: GatewaySettings, kind: str, file_path: str, gen: GeneratedConfig) -> tuple[str, dict[str, Any]]:
    if kind == "file":
        gen.comments[("exporters", "file")] = "JSON lines of OTLP requests; the folder must exist (make run creates ./traces-out)."
        return "file", {"path": file_path}
    if kind == "debug":
        return "debug", {"verbosity": "detailed"}

    headers: dict[str, str] = {}
    for name in settings.header_names:
        env_name = header_env_name(name)
        headers[name] = f"${{env:{env_name}}}"
        gen.required_env.append(RequiredEnv(env_name, f"the value of header {name} from the gateway's OTEL_EXPORTER_OTLP_HEADERS"))
    if kind == "langfuse":
        if settings.authorization_source != "OTEL_EXPORTER_OTLP_HEADERS":
            headers["Authorization"] = f"Basic ${{env:{LANGFUSE_AUTH_ENV}}}"
            how = ("the gateway's LANGFUSE_OTEL_AUTH value" if settings.authorization_source == "LANGFUSE_OTEL_AUTH"
                   else "LANGFUSE_OTEL_AUTH=$(printf '%s:%s' \"$LANGFUSE_PUBLIC_KEY\" \"$LANGFUSE_SECRET_KEY\" | base64 -w0)")
            gen.required_env.append(RequiredEnv(LANGFUSE_AUTH_ENV, how))
        if not any(name.lower() == "x-langfuse-ingestion-version" for name in headers):
            headers["x-langfuse-ingestion-version"] = LANGFUSE_INGESTION_VERSION
        gen.comments[("exporters", "otlphttp/langfuse")] = (
            "Langfuse over OTLP/HTTP, the endpoint exactly as the gateway posts to it.\n"
            f"ACTION: set {LANGFUSE_AUTH_ENV} in the collector's environment (base64 of public_key:secret_key)."
        )
        return "otlphttp/langfuse", {"traces_endpoint": settings.http_traces_endpoint, "headers": headers}

    # plain OTLP: the protocol the gateway would have used
    assert settings.endpoint is not None
    body: dict[str, Any]
    if settings.protocol == "grpc":
        body = {"endpoint": settings.endpoint}
        insecure = settings.insecure if settings.insecure is not None else settings.endpoint.startswith("http://")
        if insecure:
            body["tls"] = {"insecure": True}
        exporter_id = "otlp"
    else:
        body = {"traces_endpoint": settings.http_traces_endpoint}
        exporter_id = "otlphttp"
    if headers:
        body["headers"] = headers
        gen.comments[("exporters", exporter_id, "headers")] = "ACTION: set the MCPPARITY_OTLP_HEADER_* variables in the collector's environment."
    return exporter_id, body


def build_collector_config(
    settings: GatewaySettings,
    exporter: str = "auto",
    file_path: str = DEFAULT_FILE_PATH,
    listen_host: str = DEFAULT_LISTEN_HOST,
) -> GeneratedConfig:
    """The collector config the gateway's settings call for. Never contains a secret."""
    kind = choose_exporter(settings, exporter)
    gen = GeneratedConfig(config={})
    exporter_id, exporter_body = _exporter(settings, kind, file_path, gen)
    gen.exporter_id = exporter_id
    gen.config = {
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"{listen_host}:4317", "max_recv_msg_size_mib": MAX_REQUEST_MIB},
                    "http": {
                        "endpoint": f"{listen_host}:4318",
                        "max_request_body_size": MAX_REQUEST_MIB << 20,
                        "middlewares": [{"id": JSON_DEPTH_EXTENSION}],
                    },
                },
            },
        },
        "processors": {
            "memory_limiter": {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25},
            "mcpparity": mcpparity_processor(settings),
            "batch": {},
        },
        "exporters": {exporter_id: exporter_body},
        "extensions": {
            "health_check": {"endpoint": f"{listen_host}:13133"},
            JSON_DEPTH_EXTENSION: {"max_depth": MAX_JSON_DEPTH},
        },
        "service": {
            "extensions": ["health_check", JSON_DEPTH_EXTENSION],
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": list(PIPELINE_PROCESSORS),
                    "exporters": [exporter_id],
                },
            },
        },
    }
    gen.comments[("receivers", "otlp")] = "The Rust runtime sends raw spans here (gateway-env prints its settings)."
    gen.comments[("receivers", "otlp", "protocols")] = (
        "One request: at most 4 MiB on either protocol, OTLP/JSON at most 256 levels deep (docs/operations.md)."
    )
    gen.comments[("processors", "mcpparity")] = "Mirrors the gateway's OTEL_* policy settings; regenerate rather than edit."
    return gen
