"""The ContextForge gateway's OTEL settings, parsed with the gateway's own rules.

Mirrors `mcpgateway/config.py` (pydantic-settings: case-insensitive names, pydantic bool/int
parsing, `ge=256`), `observability.py` (Langfuse endpoint detection, header parsing, Basic auth
resolution and its fail-closed check, tri-state flags) and `utils/trace_redaction.py` (comma lists,
the `OTEL_REDACT_FIELDS=""` fallback). `tests/test_settings.py` checks each rule against the real
gateway package. Pure: no I/O except `read_env_file`.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from urllib.parse import urlparse

from dotenv import dotenv_values

from . import contract

# The settings this tool reads (and that `--set` may override).
KNOWN_SETTINGS: tuple[str, ...] = (
    "OTEL_ENABLE_OBSERVABILITY",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_INSECURE",
    "LANGFUSE_OTEL_ENDPOINT",
    "LANGFUSE_PUBLIC_KEY",
    "LANGFUSE_SECRET_KEY",
    "LANGFUSE_OTEL_AUTH",
    "OTEL_EMIT_LANGFUSE_ATTRIBUTES",
    "OTEL_CAPTURE_IDENTITY_ATTRIBUTES",
    "OTEL_CAPTURE_INPUT_SPANS",
    "OTEL_CAPTURE_OUTPUT_SPANS",
    "OTEL_REDACT_FIELDS",
    "OTEL_MAX_TRACE_PAYLOAD_SIZE",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "DEPLOYMENT_ENV",
    "ENVIRONMENT",
    "OTEL_BAGGAGE_ENABLED",
    "OTEL_BAGGAGE_HEADER_MAPPINGS",
    "OTEL_BAGGAGE_MAX_ITEMS",
    "OTEL_BAGGAGE_MAX_SIZE_BYTES",
)

LANGFUSE_PATH_FRAGMENT = "/api/public/otel"
MIN_TRACE_PAYLOAD_SIZE = 256
DEFAULT_TRACE_PAYLOAD_SIZE = 32768
DEFAULT_DEPLOYMENT_ENV = contract.RUNTIME_SETTINGS["DEPLOYMENT_ENV"] or "development"
DEFAULT_SERVICE_NAME = contract.RUNTIME_SETTINGS["OTEL_SERVICE_NAME"] or "mcp-gateway"
DEFAULT_OTLP_PROTOCOL = contract.RUNTIME_SETTINGS["OTEL_EXPORTER_OTLP_PROTOCOL"] or "grpc"
# config.py's `environment` field reads ENVIRONMENT too and is a Literal: anything else fails start-up.
GATEWAY_ENVIRONMENTS: tuple[str, ...] = ("development", "staging", "production")
# config.py's default OTEL_REDACT_FIELDS, and trace_redaction.py's module fallback (used when the
# setting is ""): both from contract/raw-span-contract.yaml, the one list.
GATEWAY_DEFAULT_REDACT_FIELDS: tuple[str, ...] = contract.DEFAULT_REDACT_FIELDS
MODULE_FALLBACK_REDACT_FIELDS: tuple[str, ...] = contract.MODULE_FALLBACK_REDACT_FIELDS

_BOOL_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_BOOL_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_HEADER_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9\-]*$")  # translate_header_utils.ALLOWED_HEADERS_REGEX
_BAGGAGE_KEY_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9_\.\-]*$")  # baggage.BAGGAGE_KEY_REGEX
_MAX_BAGGAGE_KEY_LENGTH = 256
_INT_RE = re.compile(r"^[+-]?[0-9](?:_?[0-9])*(?:\.0*)?$")


class SettingsError(ValueError):
    """One setting the gateway would refuse (or that would silently lose data), named and explained."""

    def __init__(self, setting: str, reason: str) -> None:
        super().__init__(f"{setting}: {reason}")
        self.setting = setting
        self.reason = reason


class SettingsErrors(ValueError):
    """Every refused setting of one input, in input order."""

    def __init__(self, errors: list[SettingsError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class GatewaySettings:
    """The gateway's OTEL decisions, resolved the way the gateway resolves them."""

    observability_enabled: bool
    traces_exporter: str  # lower-cased OTEL_TRACES_EXPORTER
    endpoint: str | None  # LANGFUSE_OTEL_ENDPOINT or OTEL_EXPORTER_OTLP_ENDPOINT, verbatim
    is_langfuse: bool
    protocol: str  # "grpc" or "http", after the gateway's Langfuse override
    http_traces_endpoint: str | None  # what the gateway's HTTP exporter would post to
    insecure: bool | None  # OTEL_EXPORTER_OTLP_INSECURE only when set explicitly
    header_names: tuple[str, ...]  # names from OTEL_EXPORTER_OTLP_HEADERS, in order (values never kept)
    authorization_source: str | None  # None | "OTEL_EXPORTER_OTLP_HEADERS" | "LANGFUSE_OTEL_AUTH" | "LANGFUSE_KEYS"
    langfuse_attributes: bool
    identity_attributes: bool
    capture_input_spans: tuple[str, ...]
    capture_output_spans: tuple[str, ...]
    redact_fields: tuple[str, ...] | None  # None = unset (the gateway default applies)
    max_trace_payload_size: int
    deployment_environment: str
    service_name: str
    resource_attributes: str | None
    baggage_enabled: bool = False
    baggage_keys: tuple[str, ...] = ()  # the baggage keys of OTEL_BAGGAGE_HEADER_MAPPINGS
    baggage_max_items: int = 32
    baggage_max_size_bytes: int = 8192
    notes: tuple[str, ...] = field(default=())  # operator-facing remarks (never a secret)


def read_env_file(path: str | Path) -> dict[str, str]:
    """Read a gateway .env file like pydantic-settings does (python-dotenv); keys upper-cased."""
    values = dotenv_values(path, encoding="utf8")
    return {key.upper(): value for key, value in values.items() if value is not None}


def parse_set_options(pairs: list[str]) -> dict[str, str]:
    """Parse `--set KEY=VALUE` overrides; only settings this tool knows are accepted."""
    overrides: dict[str, str] = {}
    errors: list[SettingsError] = []
    for pair in pairs:
        if "=" not in pair:
            errors.append(SettingsError("--set", f"{pair!r} is not KEY=VALUE"))
            continue
        key, value = pair.split("=", 1)
        name = key.strip().upper()
        if name not in KNOWN_SETTINGS:
            errors.append(SettingsError(name or "--set", "unknown setting; known: " + ", ".join(KNOWN_SETTINGS)))
            continue
        overrides[name] = value
    if errors:
        raise SettingsErrors(errors)
    return overrides


def parse_bool(name: str, raw: str) -> bool:
    """pydantic's bool parsing of an env string: case-insensitive, no whitespace stripping."""
    lowered = raw.lower()
    if lowered in _BOOL_TRUE:
        return True
    if lowered in _BOOL_FALSE:
        return False
    raise SettingsError(name, f"{raw!r} is not a boolean the gateway accepts (true/false, 1/0, yes/no, on/off, t/f, y/n)")


def parse_int(name: str, raw: str) -> int:
    """pydantic's int parsing of an env string: whitespace stripped, `_` separators, `300.0` allowed."""
    text = raw.strip()
    if not _INT_RE.match(text):
        raise SettingsError(name, f"{raw!r} is not an integer")
    return int(text.split(".", 1)[0].replace("_", ""))


def split_list(raw: str) -> tuple[str, ...]:
    """A comma list the way trace_redaction.py reads it: stripped, empties dropped (deduplicated, in order)."""
    seen: dict[str, None] = {}
    for item in raw.split(","):
        item = item.strip()
        if item:
            seen.setdefault(item, None)
    return tuple(seen)


def is_langfuse_endpoint(endpoint: str | None) -> bool:
    """observability._is_langfuse_otlp_endpoint: the URL path contains /api/public/otel."""
    if not endpoint:
        return False
    try:
        return LANGFUSE_PATH_FRAGMENT in urlparse(endpoint).path
    except ValueError:
        return LANGFUSE_PATH_FRAGMENT in endpoint


def parse_otlp_header_names(raw: str | None) -> tuple[dict[str, str], list[SettingsError]]:
    """OTEL_EXPORTER_OTLP_HEADERS as `k=v,k=v`.

    The gateway silently skips an entry without `=` or with an empty name; we refuse it instead
    (the operator meant something). Messages never quote a value: it may be a credential.
    """
    headers: dict[str, str] = {}
    errors: list[SettingsError] = []
    if not raw:
        return headers, errors
    for position, entry in enumerate(raw.split(","), start=1):
        if not entry.strip():
            continue
        if "=" not in entry:
            errors.append(SettingsError("OTEL_EXPORTER_OTLP_HEADERS", f"entry {position} is not name=value (the gateway would silently drop it)"))
            continue
        key, value = entry.split("=", 1)
        if not key.strip():
            errors.append(SettingsError("OTEL_EXPORTER_OTLP_HEADERS", f"entry {position} has an empty header name (the gateway would silently drop it)"))
            continue
        headers[key.strip()] = value.strip()
    return headers, errors


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def valid_basic_authorization(value: str | None) -> bool:
    """observability._validate_langfuse_configuration: `Basic b64(pk:sk)`, both non-empty."""
    if not value:
        return False
    try:
        scheme, encoded = value.strip().split(None, 1)
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        public_key, secret_key = decoded.split(":", 1)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return False
    return scheme.lower() == "basic" and bool(public_key) and bool(secret_key)


def resolve_langfuse_basic_auth(env: Mapping[str, str]) -> tuple[str, str | None]:
    """observability._resolve_langfuse_basic_auth: LANGFUSE_OTEL_AUTH, else b64(pk:sk); returns (value, source)."""
    explicit = env.get("LANGFUSE_OTEL_AUTH", "").strip()
    if explicit:
        return explicit, "LANGFUSE_OTEL_AUTH"
    public_key = env.get("LANGFUSE_PUBLIC_KEY", "").strip()
    secret_key = env.get("LANGFUSE_SECRET_KEY", "").strip()
    if not public_key or not secret_key:
        return "", None
    return base64.b64encode(f"{public_key}:{secret_key}".encode("utf-8")).decode("ascii"), "LANGFUSE_KEYS"


def parse_gateway_settings(env: Mapping[str, str]) -> GatewaySettings:
    """Resolve the gateway's OTEL settings from an env mapping (keys case-insensitive).

    Raises SettingsErrors listing every setting the gateway would refuse.
    """
    env = {key.upper(): value for key, value in env.items()}
    errors: list[SettingsError] = []
    notes: list[str] = []

    def flag(name: str, default: bool | None) -> bool | None:
        if name not in env:
            return default
        try:
            return parse_bool(name, env[name])
        except SettingsError as exc:
            errors.append(exc)
            return default

    enabled = flag("OTEL_ENABLE_OBSERVABILITY", False)
    emit_langfuse = flag("OTEL_EMIT_LANGFUSE_ATTRIBUTES", None)
    capture_identity = flag("OTEL_CAPTURE_IDENTITY_ATTRIBUTES", None)
    insecure = flag("OTEL_EXPORTER_OTLP_INSECURE", None)

    max_size = DEFAULT_TRACE_PAYLOAD_SIZE
    if "OTEL_MAX_TRACE_PAYLOAD_SIZE" in env:
        try:
            max_size = parse_int("OTEL_MAX_TRACE_PAYLOAD_SIZE", env["OTEL_MAX_TRACE_PAYLOAD_SIZE"])
            if max_size < MIN_TRACE_PAYLOAD_SIZE:
                errors.append(SettingsError("OTEL_MAX_TRACE_PAYLOAD_SIZE", f"must be >= {MIN_TRACE_PAYLOAD_SIZE}, got {max_size} (the gateway refuses to start)"))
        except SettingsError as exc:
            errors.append(exc)

    endpoint = env.get("LANGFUSE_OTEL_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT") or None
    langfuse = is_langfuse_endpoint(endpoint)
    traces_exporter = env.get("OTEL_TRACES_EXPORTER", "otlp").lower()
    protocol = "http" if langfuse else ("grpc" if env.get("OTEL_EXPORTER_OTLP_PROTOCOL", DEFAULT_OTLP_PROTOCOL).lower() == "grpc" else "http")
    http_endpoint = None
    if endpoint:
        http_endpoint = (endpoint.replace(":4317", ":4318") + "/v1/traces") if ":4317" in endpoint else endpoint

    headers, header_errors = parse_otlp_header_names(env.get("OTEL_EXPORTER_OTLP_HEADERS"))
    errors.extend(header_errors)
    authorization_source: str | None = "OTEL_EXPORTER_OTLP_HEADERS" if _header(headers, "Authorization") else None
    if langfuse and traces_exporter == "otlp":
        authorization = _header(headers, "Authorization")
        if authorization is None:
            basic, authorization_source = resolve_langfuse_basic_auth(env)
            authorization = f"Basic {basic}" if basic else None
        if not valid_basic_authorization(authorization):
            errors.append(SettingsError(
                "LANGFUSE_OTEL_AUTH",
                "the Langfuse endpoint has no valid Basic credentials (Basic base64 of non-empty public:secret key); "
                "set OTEL_EXPORTER_OTLP_HEADERS Authorization, LANGFUSE_OTEL_AUTH, or LANGFUSE_PUBLIC_KEY and LANGFUSE_SECRET_KEY "
                "(the gateway refuses to start)",
            ))

    baggage_max_items = _bounded_int(env, "OTEL_BAGGAGE_MAX_ITEMS", 32, 1, 64, errors)
    baggage_max_size = _bounded_int(env, "OTEL_BAGGAGE_MAX_SIZE_BYTES", 8192, 1024, 16384, errors)
    baggage_enabled = bool(flag("OTEL_BAGGAGE_ENABLED", False))
    baggage_keys: tuple[str, ...] = ()
    if baggage_enabled:
        baggage_keys = parse_baggage_mappings(env.get("OTEL_BAGGAGE_HEADER_MAPPINGS", "[]"), baggage_max_items, errors)

    if not enabled:
        notes.append("OTEL_ENABLE_OBSERVABILITY is not true: the gateway as configured emits no spans (gateway-env turns it on)")
    if traces_exporter != "otlp":
        notes.append(f"OTEL_TRACES_EXPORTER={traces_exporter}: the gateway would not send OTLP; the runtime must use otlp to reach the collector")

    if "ENVIRONMENT" in env and env["ENVIRONMENT"] not in GATEWAY_ENVIRONMENTS:
        errors.append(SettingsError("ENVIRONMENT", f"must be {', '.join(GATEWAY_ENVIRONMENTS)} (the gateway refuses to start), got {env['ENVIRONMENT']!r}"))
    deployment = env["DEPLOYMENT_ENV"] if "DEPLOYMENT_ENV" in env else env.get("ENVIRONMENT", DEFAULT_DEPLOYMENT_ENV)
    if not deployment.strip():
        # The gateway would emit langfuse.environment="" here; the processor requires a label.
        errors.append(SettingsError("DEPLOYMENT_ENV", "is empty; set a deployment label (the gateway's default is 'development')"))

    redact_fields: tuple[str, ...] | None = None
    if "OTEL_REDACT_FIELDS" in env:
        raw = env["OTEL_REDACT_FIELDS"]
        redact_fields = split_list(raw) if raw else MODULE_FALLBACK_REDACT_FIELDS
        if not redact_fields:
            # The gateway would then redact no field by name: refuse rather than silently expose secrets.
            errors.append(SettingsError("OTEL_REDACT_FIELDS", "lists no field name; leave it unset for the gateway's defaults"))
        for name in redact_fields:
            if not re.search(r"[A-Za-z0-9]", name):
                errors.append(SettingsError("OTEL_REDACT_FIELDS", f"{name!r} has no letter or digit, so it matches no key"))

    if errors:
        raise SettingsErrors(errors)

    langfuse_attributes = emit_langfuse if emit_langfuse is not None else langfuse
    identity_attributes = capture_identity if capture_identity is not None else langfuse_attributes


    return GatewaySettings(
        observability_enabled=bool(enabled),
        traces_exporter=traces_exporter,
        endpoint=endpoint,
        is_langfuse=langfuse,
        protocol=protocol,
        http_traces_endpoint=http_endpoint,
        insecure=insecure,
        header_names=tuple(headers),
        authorization_source=authorization_source,
        langfuse_attributes=bool(langfuse_attributes),
        identity_attributes=bool(identity_attributes),
        capture_input_spans=split_list(env.get("OTEL_CAPTURE_INPUT_SPANS", "")),
        capture_output_spans=split_list(env.get("OTEL_CAPTURE_OUTPUT_SPANS", "")),
        redact_fields=redact_fields,
        max_trace_payload_size=max_size,
        deployment_environment=deployment,
        service_name=env.get("OTEL_SERVICE_NAME", DEFAULT_SERVICE_NAME),
        resource_attributes=env.get("OTEL_RESOURCE_ATTRIBUTES"),
        baggage_enabled=baggage_enabled,
        baggage_keys=baggage_keys,
        baggage_max_items=baggage_max_items,
        baggage_max_size_bytes=baggage_max_size,
        notes=tuple(notes),
    )


def _bounded_int(env: Mapping[str, str], name: str, default: int, low: int, high: int, errors: list[SettingsError]) -> int:
    if name not in env:
        return default
    try:
        value = parse_int(name, env[name])
    except SettingsError as exc:
        errors.append(exc)
        return default
    if not low <= value <= high:
        errors.append(SettingsError(name, f"must be between {low} and {high}, got {value}"))
    return value


def parse_baggage_mappings(raw: str, max_items: int, errors: list[SettingsError]) -> tuple[str, ...]:
    """baggage.BaggageConfig.from_settings: a JSON array of {header_name, baggage_key}; returns the keys."""
    name = "OTEL_BAGGAGE_HEADER_MAPPINGS"
    try:
        items = json.loads(raw)
    except ValueError as exc:
        errors.append(SettingsError(name, f"invalid JSON ({exc.__class__.__name__}: {exc})"))
        return ()
    if not isinstance(items, list):
        errors.append(SettingsError(name, "must be a JSON array"))
        return ()
    keys: list[str] = []
    seen_headers: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("header_name") or not item.get("baggage_key"):
            errors.append(SettingsError(name, f"mapping {index} must be an object with non-empty 'header_name' and 'baggage_key'"))
            continue
        header, key = item["header_name"], item["baggage_key"]
        if not isinstance(header, str) or not isinstance(key, str):
            errors.append(SettingsError(name, f"mapping {index}: 'header_name' and 'baggage_key' must be strings"))
            continue
        if header.lower() in seen_headers:
            errors.append(SettingsError(name, f"mapping {index}: duplicate header {header!r} (case-insensitive)"))
            continue
        if key in keys:
            errors.append(SettingsError(name, f"mapping {index}: duplicate baggage key {key!r}"))
            continue
        if not _HEADER_NAME_RE.match(header):
            errors.append(SettingsError(name, f"mapping {index}: invalid header name {header!r}"))
            continue
        if not _BAGGAGE_KEY_RE.match(key) or len(key) > _MAX_BAGGAGE_KEY_LENGTH:
            errors.append(SettingsError(name, f"mapping {index}: invalid baggage key {key!r}"))
            continue
        seen_headers.add(header.lower())
        keys.append(key)
    if len(keys) > max_items:
        errors.append(SettingsError(name, f"too many mappings: {len(keys)} (OTEL_BAGGAGE_MAX_ITEMS is {max_items})"))
    return tuple(keys)
