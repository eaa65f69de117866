"""The gateway's trace settings, decided from a gateway env the way the Python runtime decides them.

SEMANTICS.md §1 (settings), §7 (export policy) and §8 (Langfuse detection). Used to write each
golden case's processor config and to know the case's redact fields and payload size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional
from urllib.parse import urlparse

# config.py's default OTEL_REDACT_FIELDS (16 entries): what the processor uses when nothing is set.
GATEWAY_DEFAULT_REDACT_FIELDS = (
    "password", "secret", "token", "api_key", "authorization", "credential", "auth_value",
    "access_token", "refresh_token", "auth_token", "client_secret", "cookie", "set-cookie",
    "private_key", "session_id", "sessionid",
)
# trace_redaction.py's module fallback, used only when OTEL_REDACT_FIELDS is set to "".
MODULE_FALLBACK_REDACT_FIELDS = GATEWAY_DEFAULT_REDACT_FIELDS + ("session_token",)
LANGFUSE_PATH_MARKER = "/api/public/otel"
TRUE_WORDS = {"1", "true", "t", "yes", "y", "on"}
FALSE_WORDS = {"0", "false", "f", "no", "n", "off"}


def parse_bool(name: str, raw: str) -> bool:
    """Pydantic's bool words; anything else is an error naming the setting."""
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{name}: not a boolean: {raw!r}")


def split_list(raw: str) -> list[str]:
    """A comma list, items stripped, empties dropped (as trace_redaction does)."""
    return [item.strip() for item in raw.split(",") if item.strip()]


def lookup(env: Mapping[str, str], name: str) -> Optional[str]:
    """Env names are case-insensitive for the gateway's settings."""
    for key, value in env.items():
        if key.upper() == name:
            return value
    return None


@dataclass(frozen=True)
class TraceSettings:
    """The trace-relevant gateway settings of one run, as the processor config spells them."""

    langfuse_attributes: bool
    identity_attributes: bool
    capture_input_spans: tuple[str, ...]
    capture_output_spans: tuple[str, ...]
    redact_fields: tuple[str, ...]  # effective list
    redact_fields_env: Optional[str]  # OTEL_REDACT_FIELDS as set (None = unset), for the oracle
    max_trace_payload_size: int
    max_trace_payload_size_env: Optional[int]
    deployment_environment: str

    def processor_config(self) -> dict:
        """The `mcpparity` processor config (keys of DESIGN.md), every decided value explicit."""
        return {
            "langfuse_attributes": self.langfuse_attributes,
            "identity_attributes": self.identity_attributes,
            "capture_input_spans": list(self.capture_input_spans),
            "capture_output_spans": list(self.capture_output_spans),
            "redact_fields": list(self.redact_fields),
            "max_trace_payload_size": self.max_trace_payload_size,
            "deployment_environment": self.deployment_environment,
        }


def is_langfuse_endpoint(endpoint: Optional[str]) -> bool:
    """§8: Langfuse when the endpoint's path contains /api/public/otel."""
    return bool(endpoint) and LANGFUSE_PATH_MARKER in urlparse(endpoint).path


def trace_settings(env: Mapping[str, str]) -> TraceSettings:
    """Decide the trace settings from a gateway env (SEMANTICS.md §1, §7, §8)."""
    endpoint = lookup(env, "LANGFUSE_OTEL_ENDPOINT") or lookup(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
    emit_raw = lookup(env, "OTEL_EMIT_LANGFUSE_ATTRIBUTES")
    langfuse = parse_bool("OTEL_EMIT_LANGFUSE_ATTRIBUTES", emit_raw) if emit_raw not in (None, "") else is_langfuse_endpoint(endpoint)
    identity_raw = lookup(env, "OTEL_CAPTURE_IDENTITY_ATTRIBUTES")
    identity = parse_bool("OTEL_CAPTURE_IDENTITY_ATTRIBUTES", identity_raw) if identity_raw not in (None, "") else langfuse

    redact_env = lookup(env, "OTEL_REDACT_FIELDS")
    if redact_env is None:
        redact = GATEWAY_DEFAULT_REDACT_FIELDS
    elif redact_env.strip() == "":
        redact = MODULE_FALLBACK_REDACT_FIELDS
    else:
        redact = tuple(split_list(redact_env))

    size_raw = lookup(env, "OTEL_MAX_TRACE_PAYLOAD_SIZE")
    size_env = None
    if size_raw is not None:
        size_env = int(size_raw)
        if size_env < 256:
            raise ValueError(f"OTEL_MAX_TRACE_PAYLOAD_SIZE: must be >= 256, got {size_env} (the gateway refuses to start)")
    deployment = lookup(env, "DEPLOYMENT_ENV") or lookup(env, "ENVIRONMENT") or "development"
    return TraceSettings(
        langfuse_attributes=langfuse,
        identity_attributes=identity,
        capture_input_spans=tuple(split_list(lookup(env, "OTEL_CAPTURE_INPUT_SPANS") or "")),
        capture_output_spans=tuple(split_list(lookup(env, "OTEL_CAPTURE_OUTPUT_SPANS") or "")),
        redact_fields=redact,
        redact_fields_env=redact_env,
        max_trace_payload_size=size_env if size_env is not None else 32768,
        max_trace_payload_size_env=size_env,
        deployment_environment=deployment,
    )
