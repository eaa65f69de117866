"""Semantic lints of a collector config, each naming a key path. Pure: config dict in, findings out."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jsonschema
import yaml

from . import hop

ENV_REF = re.compile(r"\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}")
_ANY_PROVIDER_REF = re.compile(r"\$\{[a-z]+:[^}]*\}|\$\{[A-Za-z_][A-Za-z0-9_]*\}")
_AUTH_SCHEMES = re.compile(r"(?i)\b(basic|bearer|token|apikey)\b")
# header or field names that carry credentials (normalized: lower-case alphanumerics)
_SECRET_NAME = re.compile(r"(authorization|auth|token|secret|password|passwd|apikey|cookie|credential|privatekey|key$)")
_NOT_SECRET_NAME = re.compile(r"(authenticator|file|path|endpoint|version)$")
_USERINFO_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s@]+:[^/\s@]+@")


@dataclass(frozen=True)
class Finding:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def repo_root() -> Path | None:
    """The mcpparity checkout this package runs from (editable install), if any."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "configurator" / "pyproject.toml").is_file() and (parent / "processor").is_dir():
            return parent
    return None


def processor_schema() -> tuple[dict[str, Any], str]:
    """The processor's JSON Schema: the repo's processor/mcpparityprocessor/config.schema.yaml when present, else the packaged copy."""
    root = repo_root()
    if root is not None and (root / "processor" / "mcpparityprocessor" / "config.schema.yaml").is_file():
        path = root / "processor" / "mcpparityprocessor" / "config.schema.yaml"
        return yaml.safe_load(path.read_text(encoding="utf-8")), str(path)
    packaged = resources.files("mcpparity") / "data" / "processor-config.schema.yaml"
    return yaml.safe_load(packaged.read_text(encoding="utf-8")), "packaged processor-config.schema.yaml"


def component_type(component_id: str) -> str:
    """`otlphttp/langfuse` -> `otlphttp`."""
    return component_id.split("/", 1)[0]


def _names(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list) else []


def _pipelines(config: dict[str, Any]) -> dict[str, dict[str, Any]]:
    service = config.get("service") or {}
    pipelines = service.get("pipelines") if isinstance(service, dict) else None
    return {str(k): (v or {}) for k, v in pipelines.items()} if isinstance(pipelines, dict) else {}


def pipelines_receiving_runtime_spans(config: dict[str, Any]) -> list[str]:
    """Traces pipelines fed by an otlp receiver, or by a connector out of such a pipeline that skipped mcpparity."""
    pipelines = {name: body for name, body in _pipelines(config).items() if component_type(name) == "traces"}
    connectors = set((config.get("connectors") or {}).keys()) if isinstance(config.get("connectors"), dict) else set()
    tainted: set[str] = set()
    changed = True
    while changed:
        changed = False
        unprocessed_connectors = {
            exporter
            for name in tainted
            if not any(component_type(p) == "mcpparity" for p in _names(pipelines[name].get("processors")))
            for exporter in _names(pipelines[name].get("exporters"))
            if exporter in connectors
        }
        for name, body in pipelines.items():
            if name in tainted:
                continue
            receivers = _names(body.get("receivers"))
            if any(component_type(r) == "otlp" for r in receivers) or any(r in unprocessed_connectors for r in receivers):
                tainted.add(name)
                changed = True
    return sorted(tainted)


def lint_pipelines(config: dict[str, Any]) -> list[Finding]:
    findings: list[Finding] = []
    if not _pipelines(config):
        return [Finding("service.pipelines", "no pipelines defined")]
    for name in pipelines_receiving_runtime_spans(config):
        path = f"service.pipelines.{name}.processors"
        processors = _names(_pipelines(config)[name].get("processors"))
        types = [component_type(p) for p in processors]
        if "mcpparity" not in types:
            findings.append(Finding(path, "receives runtime spans over OTLP but does not run mcpparity, so raw spans (unredacted payloads) would reach the exporters"))
            continue
        if not types or types[0] != "memory_limiter":
            findings.append(Finding(path, f"memory_limiter must be the first processor, got {processors[0] if processors else 'none'}"))
        position = types.index("mcpparity")
        for index, kind in enumerate(types):
            if kind == "batch" and index < position:
                findings.append(Finding(f"{path}[{index}]", f"batch must come after mcpparity (mcpparity is at [{position}])"))
    return findings


# Exporters that hand spans to another service: each needs a persistent queue and endless retries.
# `debug` prints and `file` writes locally (neither has a sending_queue).
LOCAL_EXPORTER_TYPES = ("debug", "file")
DEPRECATED_EXPORTER_TYPES = {"otlp": "otlp_grpc", "otlphttp": "otlp_http"}


def _durability_of_exporter(config: dict[str, Any], exporter_id: str) -> list[Finding]:
    exporters = config.get("exporters") if isinstance(config.get("exporters"), dict) else {}
    body = exporters.get(exporter_id)
    body = body if isinstance(body, dict) else {}
    path = f"exporters.{exporter_id}"
    findings: list[Finding] = []
    kind = component_type(exporter_id)
    if kind in DEPRECATED_EXPORTER_TYPES:
        findings.append(Finding(path, f"`{kind}` is a deprecated alias; name the exporter {DEPRECATED_EXPORTER_TYPES[kind]}"))
    queue = body.get("sending_queue") if isinstance(body.get("sending_queue"), dict) else {}
    storage = queue.get("storage")
    extensions = config.get("extensions") if isinstance(config.get("extensions"), dict) else {}
    service = config.get("service") if isinstance(config.get("service"), dict) else {}
    if queue.get("enabled") is False or not storage:
        findings.append(Finding(f"{path}.sending_queue.storage", "accepted spans would wait in memory and a restart or kill -9 "
                                "loses them; point it at a file_storage extension (mcpparity generate --queue-dir)"))
    elif component_type(str(storage)) != "file_storage" or storage not in extensions:
        findings.append(Finding(f"{path}.sending_queue.storage", f"{storage} is not a file_storage extension defined under extensions"))
    elif storage not in _names(service.get("extensions")):
        findings.append(Finding("service.extensions", f"{storage} (the queue of {exporter_id}) must be listed here to start"))
    retry = body.get("retry_on_failure") if isinstance(body.get("retry_on_failure"), dict) else {}
    if retry.get("enabled") is False:
        findings.append(Finding(f"{path}.retry_on_failure.enabled", "false drops every batch the backend refuses once"))
    elif str(retry.get("max_elapsed_time", "")) not in ("0", "0s"):
        findings.append(Finding(f"{path}.retry_on_failure.max_elapsed_time", "must be 0 (retry until the backend takes the spans); "
                                "otherwise queued spans are dropped after it (default 5m: \"no more retries left\")"))
    return findings


def lint_durability(config: dict[str, Any]) -> list[Finding]:
    """Nothing accepted is lost silently: every span the receiver acknowledged is on disk until a
    backend took it, and memory pressure is refused at the receiver (the sender sees it) instead."""
    findings: list[Finding] = []
    processors = config.get("processors") if isinstance(config.get("processors"), dict) else {}
    connectors = config.get("connectors") if isinstance(config.get("connectors"), dict) else {}
    seen: set[str] = set()
    for name in pipelines_receiving_runtime_spans(config):
        body = _pipelines(config)[name]
        for index, processor_id in enumerate(_names(body.get("processors"))):
            kind = component_type(processor_id)
            limiter = processors.get(processor_id)
            if kind == "memory_limiter" and processor_id not in seen and isinstance(limiter, dict) and not limiter.get("limit_mib"):
                findings.append(Finding(f"processors.{processor_id}.limit_mib", "set an explicit size (mcpparity generate --memory-limit-mib): "
                                        "limit_percentage is a share of the host's RAM outside a memory-limited container and may never engage"))
            if kind == "batch":
                findings.append(Finding(f"service.pipelines.{name}.processors[{index}]", "the batch processor acknowledges spans before "
                                        "they reach the persistent queue, so a kill loses them; batch in the exporter's sending_queue.batch"))
            seen.add(processor_id)
        for exporter_id in _names(body.get("exporters")):
            if exporter_id in seen or exporter_id in connectors or component_type(exporter_id) in LOCAL_EXPORTER_TYPES:
                continue
            seen.add(exporter_id)
            findings.extend(_durability_of_exporter(config, exporter_id))
    return findings


def _is_reference_only(value: str) -> bool:
    """True when a value carries no literal credential: only ${...} references and an auth scheme word."""
    rest = _ANY_PROVIDER_REF.sub("", value)
    rest = _AUTH_SCHEMES.sub("", rest)
    return rest.strip() == ""


def _walk(value: Any, path: str) -> Iterable[tuple[str, str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, str(key), item
            yield from _walk(item, child)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def lint_plaintext_credentials(config: dict[str, Any]) -> list[Finding]:
    """Credentials must come from ${env:VAR} (or another provider), never a literal in the file."""
    findings: list[Finding] = []
    for section in ("receivers", "processors", "exporters", "extensions", "connectors"):
        for path, key, value in _walk(config.get(section) or {}, section):
            if not isinstance(value, str):
                continue
            normalized = re.sub(r"[^a-z0-9]", "", key.lower())
            if _USERINFO_URL.search(value) and not _is_reference_only(_USERINFO_URL.search(value).group(0)):
                findings.append(Finding(path, "URL carries user:password credentials in plain text; use ${env:VAR}"))
            elif _SECRET_NAME.search(normalized) and not _NOT_SECRET_NAME.search(normalized) and value.strip() and not _is_reference_only(value):
                findings.append(Finding(path, "plaintext credential; reference it as ${env:VAR} and set the variable in the collector's environment"))
    return findings


def lint_mcpparity_keys(config: dict[str, Any], schema: dict[str, Any] | None = None) -> list[Finding]:
    schema = schema if schema is not None else processor_schema()[0]
    findings: list[Finding] = []
    processors = config.get("processors") or {}
    if not isinstance(processors, dict):
        return [Finding("processors", "must be a mapping")]
    validator = jsonschema.Draft202012Validator(schema)
    for component_id, body in processors.items():
        if component_type(str(component_id)) != "mcpparity":
            continue
        body = body if body is not None else {}
        for error in sorted(validator.iter_errors(body), key=lambda e: (list(map(str, e.absolute_path)), e.message)):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
            findings.append(Finding(f"processors.{component_id}{where}", error.message))
    return findings


def _otlp_endpoints(config: dict[str, Any]) -> Iterable[tuple[str, Any, Any]]:
    """(key path, endpoint, protocol body) of every otlp receiver protocol."""
    receivers = config.get("receivers") or {}
    if not isinstance(receivers, dict):
        return
    for receiver_id, body in receivers.items():
        if component_type(str(receiver_id)) != "otlp" or not isinstance(body, dict):
            continue
        protocols = body.get("protocols") or {}
        if not isinstance(protocols, dict):
            continue
        for protocol, default_port in (("grpc", 4317), ("http", 4318)):
            if protocol in protocols:
                proto = protocols[protocol] if isinstance(protocols[protocol], dict) else {}
                # the receiver's default endpoint when omitted is localhost
                yield f"receivers.{receiver_id}.protocols.{protocol}", proto.get("endpoint", f"localhost:{default_port}"), proto


def plaintext_off_host(config: dict[str, Any]) -> list[str]:
    """Key paths of otlp receiver protocols that other hosts can reach without TLS."""
    exposed = []
    for path, endpoint, proto in _otlp_endpoints(config):
        try:
            host, _ = hop.split_endpoint(str(endpoint))
        except ValueError:
            continue  # lint_receiver_hop reports it
        if not hop.is_loopback(host) and not hop.has_server_certificate(hop.receiver_security(proto)[0]):
            exposed.append(path)
    return exposed


def lint_receiver_hop(config: dict[str, Any], allow_insecure_listen: bool = False) -> list[Finding]:
    """Receiver endpoints must parse (IPv6 in brackets, one port), and leave the host only over TLS."""
    findings: list[Finding] = []
    extensions = config.get("extensions") if isinstance(config.get("extensions"), dict) else {}
    service = config.get("service") if isinstance(config.get("service"), dict) else {}
    enabled = _names(service.get("extensions"))
    for path, endpoint, proto in _otlp_endpoints(config):
        try:
            hop.split_endpoint(str(endpoint))
        except ValueError as exc:
            findings.append(Finding(f"{path}.endpoint", f"{exc}; the collector would fail at start"))
        tls, authenticator = hop.receiver_security(proto)
        if tls is not None and bool(tls.get("cert_file") or tls.get("cert_pem")) != bool(tls.get("key_file") or tls.get("key_pem")):
            findings.append(Finding(f"{path}.tls", "needs both cert_file and key_file"))
        if tls is not None and tls.get("client_ca_file") and not hop.has_server_certificate(tls):
            findings.append(Finding(f"{path}.tls.client_ca_file", "client certificates (mTLS) need cert_file and key_file"))
        if authenticator is not None and (authenticator not in extensions or authenticator not in enabled):
            findings.append(Finding(f"{path}.auth.authenticator", f"{authenticator!r} must be defined under extensions and listed in service.extensions"))
    if not allow_insecure_listen:
        for path in plaintext_off_host(config):
            findings.append(Finding(
                f"{path}.endpoint",
                "binds an address other hosts can reach without tls: raw spans carry unredacted secrets and are accepted under any identity; "
                "add tls (generate --tls-cert/--tls-key), bind 127.0.0.1, or accept it with --insecure-listen",
            ))
    return findings


def lint(config: Any, allow_insecure_listen: bool = False) -> list[Finding]:
    """Every lint, in a stable order."""
    if not isinstance(config, dict):
        return [Finding("(root)", "a collector config must be a YAML mapping")]
    return (lint_pipelines(config) + lint_durability(config) + lint_plaintext_credentials(config) + lint_mcpparity_keys(config)
            + lint_receiver_hop(config, allow_insecure_listen))


def referenced_env_vars(text: str) -> list[str]:
    """Names of ${env:VAR} / ${VAR} references in a config text, sorted, unique."""
    return sorted(set(ENV_REF.findall(text)))
