"""The gateway / Rust runtime settings that send raw spans to a given collector config."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Mapping

from . import hop
from .lints import component_type

WILDCARD_HOSTS = ("", "0.0.0.0", "::", "[::]")


@dataclass
class GatewayEnv:
    lines: list[tuple[str, str, str]] = field(default_factory=list)  # (key, value, comment)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        out = []
        for key, value, comment in self.lines:
            if comment:
                out.append(f"# {comment}")
            out.append(f"{key}={value}")
        return "\n".join(out) + "\n"


def _split_host_port(endpoint: str) -> tuple[str, str]:
    host, _, port = endpoint.rpartition(":")
    return host, port


@dataclass(frozen=True)
class RuntimeTls:
    """Files on the runtime's side of a TLS hop (OTEL_EXPORTER_OTLP_CERTIFICATE / _CLIENT_CERTIFICATE / _CLIENT_KEY)."""

    ca_file: str | None = None
    client_cert: str | None = None
    client_key: str | None = None


def _token_env(config: Mapping[str, Any], authenticator: str | None) -> str | None:
    """The VAR of the bearertokenauth extension's `token: ${env:VAR}`; ValueError for anything the runtime could not match."""
    if authenticator is None:
        return None
    body = (config.get("extensions") or {}).get(authenticator)
    if component_type(authenticator) != hop.AUTH_EXTENSION or not isinstance(body, dict):
        raise ValueError(f"extensions.{authenticator}: the receiver's authenticator must be a bearertokenauth extension")
    token = str(body.get("token") or "")
    match = re.fullmatch(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}", token)
    if not match:
        raise ValueError(f"extensions.{authenticator}.token: must be ${{env:VAR}} so the runtime can be given the same variable")
    return match.group(1)


def build_gateway_env(config: Mapping[str, Any], host: str | None = None, runtime_env: Mapping[str, str] | None = None,
                      runtime_tls: RuntimeTls | None = None) -> GatewayEnv:
    """KEY=VALUE settings for the gateway and Rust runtime.

    The policy settings are repeated explicitly, so the Python runtime's own spans (which the
    collector passes through) follow the same policy now that its endpoint is no longer Langfuse.
    `runtime_env` (the gateway's env file) supplies OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
    """
    result = GatewayEnv()
    receivers = config.get("receivers") or {}
    otlp = next((body for rid, body in receivers.items() if component_type(str(rid)) == "otlp" and body), None)
    if otlp is None:
        raise ValueError("receivers: the config has no otlp receiver, so the runtime cannot send to it")
    protocols = otlp.get("protocols") or {}
    if "http" in protocols:
        protocol, default_port = "http", "4318"
    elif "grpc" in protocols:
        protocol, default_port = "grpc", "4317"
    else:
        raise ValueError("receivers.otlp.protocols: neither grpc nor http is enabled")
    endpoint = (protocols.get(protocol) or {}).get("endpoint") or f"localhost:{default_port}"
    bind_host, port = _split_host_port(str(endpoint))
    target = host or bind_host
    if host is None and (bind_host in WILDCARD_HOSTS or "${" in bind_host):
        target = "localhost"
        result.notes.append(f"the receiver binds {bind_host or 'all interfaces'}; pass --host with the address the gateway reaches the collector at")
    if ":" in target and not target.startswith("["):
        target = f"[{target}]"  # an IPv6 literal in a URL
    tls, authenticator = hop.receiver_security(protocols.get(protocol))
    secure = hop.has_server_certificate(tls)
    mutual = secure and bool((tls or {}).get("client_ca_file"))
    token_env = _token_env(config, authenticator)
    runtime_tls = runtime_tls or RuntimeTls()
    if secure and not runtime_tls.ca_file:
        result.notes.append("the receiver uses TLS: pass --ca-file with the CA that signed its certificate, unless the system roots trust it")
    if mutual and not (runtime_tls.client_cert and runtime_tls.client_key):
        raise ValueError(f"receivers.otlp.protocols.{protocol}.tls.client_ca_file: the receiver wants client certificates; "
                         "pass --client-cert and --client-key (the runtime's certificate and key files)")
    url = f"{'https' if secure else 'http'}://{target}:{port}" + ("/v1/traces" if protocol == "http" else "")

    processor = next((body or {} for pid, body in (config.get("processors") or {}).items() if component_type(str(pid)) == "mcpparity"), None)
    if processor is None:
        raise ValueError("processors: the config has no mcpparity processor")
    langfuse = bool(processor.get("langfuse_attributes", False))
    identity_setting = processor.get("identity_attributes")  # omitted or null follows langfuse_attributes
    identity = langfuse if identity_setting is None else bool(identity_setting)

    add = result.lines.append
    add(("OTEL_ENABLE_OBSERVABILITY", "true", "send spans to otelcol-mcpparity"))
    add(("OTEL_TRACES_EXPORTER", "otlp", ""))
    add(("OTEL_EXPORTER_OTLP_ENDPOINT", url, "the gateway posts to this URL verbatim" if protocol == "http" else ""))
    add(("OTEL_EXPORTER_OTLP_PROTOCOL", protocol, ""))
    if token_env:
        # Expanded by the env-file loader (docker compose, python-dotenv); the token value is never written here.
        add(("OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer ${{{token_env}}}",
             f"the receiver's bearer token; set {token_env} in the runtime's environment (backend credentials stay with the collector)"))
    else:
        add(("OTEL_EXPORTER_OTLP_HEADERS", "", "credentials stay with the collector"))
    if secure:
        add(("OTEL_EXPORTER_OTLP_CERTIFICATE", runtime_tls.ca_file or "", "CA file the runtime verifies the receiver's certificate with"))
    if mutual:
        add(("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", runtime_tls.client_cert or "", "the runtime's client certificate (mTLS)"))
        add(("OTEL_EXPORTER_OTLP_CLIENT_KEY", runtime_tls.client_key or "", ""))
    add(("LANGFUSE_OTEL_ENDPOINT", "", "empty: it would override OTEL_EXPORTER_OTLP_ENDPOINT"))
    add(("OTEL_EMIT_LANGFUSE_ATTRIBUTES", str(langfuse).lower(), "explicit: the endpoint is no longer Langfuse, the policy stays the same"))
    add(("OTEL_CAPTURE_IDENTITY_ATTRIBUTES", str(identity).lower(), ""))
    # Payload capture needs Langfuse emission; without it the runtime need not send raw payloads at all.
    capture_in = (processor.get("capture_input_spans") or []) if langfuse else []
    capture_out = (processor.get("capture_output_spans") or []) if langfuse else []
    add(("OTEL_CAPTURE_INPUT_SPANS", ",".join(capture_in), "the runtime sends raw payloads only for these spans"))
    add(("OTEL_CAPTURE_OUTPUT_SPANS", ",".join(capture_out), ""))
    if processor.get("redact_fields") is not None:
        add(("OTEL_REDACT_FIELDS", ",".join(processor["redact_fields"]), ""))
    if processor.get("max_trace_payload_size") is not None:
        add(("OTEL_MAX_TRACE_PAYLOAD_SIZE", str(processor["max_trace_payload_size"]), ""))
    if processor.get("deployment_environment"):
        add(("DEPLOYMENT_ENV", str(processor["deployment_environment"]), ""))
    baggage = processor.get("baggage") or {}
    if baggage.get("enabled"):
        add(("OTEL_BAGGAGE_ENABLED", "true", "keep OTEL_BAGGAGE_HEADER_MAPPINGS as it is"))
    runtime_env = {k.upper(): v for k, v in (runtime_env or {}).items()}
    for key in ("OTEL_SERVICE_NAME", "OTEL_RESOURCE_ATTRIBUTES"):
        if key in runtime_env:
            add((key, runtime_env[key], "the runtime sets the resource" if key == "OTEL_SERVICE_NAME" else ""))
    return result
