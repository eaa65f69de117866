"""Gateway settings -> otelcol-mcpparity config (a plain dict) plus the comments and the env vars an operator must set."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from . import contract, hop
from .settings import GatewaySettings, SettingsError, SettingsErrors

EXPORTER_CHOICES = ("auto", "langfuse", "otlp", "file", "debug")
DEFAULT_FILE_PATH = "./traces-out/traces.json"
DEFAULT_LISTEN_HOST = "127.0.0.1"
RAW_SCOPE_NAME = contract.RAW_SCOPE_NAME
LANGFUSE_AUTH_ENV = "LANGFUSE_OTEL_AUTH"
LANGFUSE_INGESTION_VERSION = "4"
# No batch processor: it acknowledges spans before they are persisted, so a kill would lose them.
# Exporters batch inside their persistent sending_queue instead (after the spans are on disk).
PIPELINE_PROCESSORS = ["memory_limiter", "mcpparity"]
# Exporter types of otelcol-mcpparity v0.165 (`otlp` and `otlphttp` are deprecated aliases there).
OTLP_GRPC, OTLP_HTTP = "otlp_grpc", "otlp_http"

# Durability defaults (docs/operations.md "Nothing accepted is lost"): they fit a 512 MiB process
# (the documented pod: limits.memory 512Mi) with a 1 GiB queue on disk.
DEFAULT_QUEUE_DIR = "./.mcpparity-queue"
QUEUE_STORAGE_ID = "file_storage/queue"
DEFAULT_MEMORY_LIMIT_MIB = 512
DEFAULT_QUEUE_SIZE_MIB = 1024
MIN_MEMORY_LIMIT_MIB = 64
QUEUE_CONSUMERS = 4
QUEUE_BATCH = {"sizer": "items", "flush_timeout": "200ms", "min_size": 1024, "max_size": 4096}
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
    warnings: list[str] = field(default_factory=list)  # loud operator warnings (stderr), never a secret


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


def memory_limiter(memory_limit_mib: int) -> dict[str, Any]:
    """Limits from the process's memory budget, never host percentages: outside a memory-limited
    container `limit_percentage` is a share of the host's RAM and never engages. Hard limit 80 %,
    spike 20 % of the budget: above 60 % the limiter refuses new spans (the sender sees a retryable
    error) and forces GC; the remaining 20 % is headroom for the Go runtime and the storage's pages."""
    if memory_limit_mib < MIN_MEMORY_LIMIT_MIB:
        raise SettingsErrors([SettingsError("--memory-limit-mib", f"must be >= {MIN_MEMORY_LIMIT_MIB}, got {memory_limit_mib}")])
    return {"check_interval": "1s", "limit_mib": memory_limit_mib * 4 // 5, "spike_limit_mib": memory_limit_mib // 5}


def queue_storage(queue_dir: str) -> dict[str, Any]:
    """The file_storage extension that holds every exporter's sending queue in `queue_dir`."""
    if not queue_dir.strip():
        raise SettingsErrors([SettingsError("--queue-dir", "is empty")])
    return {
        "directory": queue_dir,
        "create_directory": True,
        # on_rebound gives the disk back after an outage drained; compaction works beside the queue.
        "compaction": {"directory": queue_dir, "on_start": True, "on_rebound": True},
    }


def persistent_sending_queue(queue_size_mib: int) -> dict[str, Any]:
    """An exporter's sending_queue and retry keys: spans are on disk before the receiver answers,
    retried until the backend takes them, and refused (retryable) once the queue is full."""
    if queue_size_mib < 1:
        raise SettingsErrors([SettingsError("--queue-size-mib", f"must be >= 1, got {queue_size_mib}")])
    return {
        "sending_queue": {
            "storage": QUEUE_STORAGE_ID,
            "sizer": "bytes",
            "queue_size": queue_size_mib << 20,
            "block_on_overflow": False,
            "num_consumers": QUEUE_CONSUMERS,
            "batch": dict(QUEUE_BATCH),
        },
        # 0: never give up ("no more retries left" would drop the queued spans after 5 minutes).
        "retry_on_failure": {"enabled": True, "max_elapsed_time": 0},
    }


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
        gen.comments[("exporters", f"{OTLP_HTTP}/langfuse")] = (
            "Langfuse over OTLP/HTTP, the endpoint exactly as the gateway posts to it.\n"
            f"ACTION: set {LANGFUSE_AUTH_ENV} in the collector's environment (base64 of public_key:secret_key)."
        )
        return f"{OTLP_HTTP}/langfuse", {"traces_endpoint": settings.http_traces_endpoint, "headers": headers}

    # plain OTLP: the protocol the gateway would have used
    assert settings.endpoint is not None
    body: dict[str, Any]
    if settings.protocol == "grpc":
        body = {"endpoint": settings.endpoint}
        insecure = settings.insecure if settings.insecure is not None else settings.endpoint.startswith("http://")
        if insecure:
            body["tls"] = {"insecure": True}
        exporter_id = OTLP_GRPC
    else:
        body = {"traces_endpoint": settings.http_traces_endpoint}
        exporter_id = OTLP_HTTP
    if headers:
        body["headers"] = headers
        gen.comments[("exporters", exporter_id, "headers")] = "ACTION: set the MCPPARITY_OTLP_HEADER_* variables in the collector's environment."
    return exporter_id, body


def build_collector_config(
    settings: GatewaySettings,
    exporter: str = "auto",
    file_path: str = DEFAULT_FILE_PATH,
    listen_host: str = DEFAULT_LISTEN_HOST,
    hop_options: hop.HopOptions | None = None,
    queue_dir: str = DEFAULT_QUEUE_DIR,
    memory_limit_mib: int = DEFAULT_MEMORY_LIMIT_MIB,
    queue_size_mib: int = DEFAULT_QUEUE_SIZE_MIB,
) -> GeneratedConfig:
    """The collector config the gateway's settings call for. Never contains a secret.

    Refuses (SettingsErrors naming the option) a listen host that is malformed, or reachable from
    other hosts without TLS unless `hop_options.insecure_listen`.
    Network exporters get a persistent sending queue in `queue_dir`; `memory_limit_mib` is the
    memory the collector process may use (the host budget, or the pod's limits.memory)."""
    hop_options = hop_options or hop.HopOptions()
    try:
        host = hop.parse_listen_host(listen_host)
    except SettingsError as exc:
        raise SettingsErrors([exc]) from None
    errors = hop.hop_errors(host, hop_options)
    if errors:
        raise SettingsErrors(errors)
    kind = choose_exporter(settings, exporter)
    gen = GeneratedConfig(config={})
    gen.warnings = hop.hop_warnings(host, hop_options)
    security = hop.receiver_protocol_security(hop_options)
    limiter = memory_limiter(memory_limit_mib)
    exporter_id, exporter_body = _exporter(settings, kind, file_path, gen)
    gen.exporter_id = exporter_id
    extensions: dict[str, Any] = {
        "health_check": {"endpoint": f"{host}:13133"},
        JSON_DEPTH_EXTENSION: {"max_depth": MAX_JSON_DEPTH},
    }
    if kind in ("langfuse", "otlp"):
        exporter_body.update(persistent_sending_queue(queue_size_mib))
        extensions[QUEUE_STORAGE_ID] = queue_storage(queue_dir)
        gen.comments[("exporters", exporter_id, "sending_queue")] = (
            "Accepted spans are on disk before the runtime gets its answer, and survive restarts and kill -9.\n"
            "Queue full: the receiver refuses with a retryable error (gRPC UNAVAILABLE, HTTP 503) the sender sees; nothing is dropped here."
        )
        gen.comments[("extensions", QUEUE_STORAGE_ID)] = "The persistent queue: keep this directory across restarts (about 2x queue_size of disk)."
    gen.config = {
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"{host}:4317", "max_recv_msg_size_mib": MAX_REQUEST_MIB, **copy.deepcopy(security)},
                    "http": {
                        "endpoint": f"{host}:4318",
                        "max_request_body_size": MAX_REQUEST_MIB << 20,
                        "middlewares": [{"id": JSON_DEPTH_EXTENSION}],
                        **copy.deepcopy(security),
                    },
                },
            },
        },
        "processors": {
            "memory_limiter": limiter,
            "mcpparity": mcpparity_processor(settings),
        },
        "exporters": {exporter_id: exporter_body},
        "extensions": extensions,
        "service": {
            "extensions": list(extensions),
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
    auth = hop.auth_extension(hop_options)
    if auth is not None:
        gen.config["extensions"][hop.AUTH_EXTENSION] = auth
        gen.config["service"]["extensions"].append(hop.AUTH_EXTENSION)
        gen.required_env.append(RequiredEnv(
            hop_options.auth_token_env or "",
            "a random token the runtime sends as `authorization: Bearer …` (e.g. openssl rand -hex 32); "
            "unset, the collector refuses to start",
        ))
        gen.comments[("extensions", hop.AUTH_EXTENSION)] = "Receiver auth: spans without this bearer token are refused."
    gen.comments[("receivers", "otlp", "protocols")] = (
        "One request: at most 4 MiB on either protocol, OTLP/JSON at most 256 levels deep (docs/operations.md)."
    )
    if hop_options.tls:
        gen.comments[("receivers", "otlp", "protocols")] += (
            "\nTLS" + (" with client certificates (mTLS)" if hop_options.tls_client_ca else "")
            + ": the hop carries raw secrets (docs/security.md)."
        )
    gen.comments[("processors", "memory_limiter")] = (
        f"Sized for a {memory_limit_mib} MiB process (--memory-limit-mib): refuses new spans above "
        f"{limiter['limit_mib'] - limiter['spike_limit_mib']} MiB of heap, before anything is dropped."
    )
    gen.comments[("processors", "mcpparity")] = "Mirrors the gateway's OTEL_* policy settings; regenerate rather than edit."
    return gen
