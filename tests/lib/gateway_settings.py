"""The gateway's trace settings of one case, decided by the one settings parser (mcpparity.settings).

This module only projects `parse_gateway_settings` onto what the suites need: the processor config
of a golden case, the effective redact fields and payload size, and the raw values the oracle's
helpers take. It parses nothing itself, so the suites, the configurator and (through
tests/contract/test_settings_agree.py) the Rust emitter decide every setting the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

from mcpparity.contract import DEFAULT_REDACT_FIELDS, MODULE_FALLBACK_REDACT_FIELDS
from mcpparity.settings import parse_gateway_settings

__all__ = ["DEFAULT_REDACT_FIELDS", "MODULE_FALLBACK_REDACT_FIELDS", "TraceSettings", "trace_settings"]


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


def _raw(env: Mapping[str, str], name: str) -> Optional[str]:
    """The value as set (names case-insensitive, the last spelling wins, as the parser reads them)."""
    return {key.upper(): value for key, value in env.items()}.get(name)


def trace_settings(env: Mapping[str, str]) -> TraceSettings:
    """Decide the trace settings from a gateway env; raises SettingsErrors where the gateway refuses."""
    s = parse_gateway_settings(env)
    size_env = s.max_trace_payload_size if _raw(env, "OTEL_MAX_TRACE_PAYLOAD_SIZE") is not None else None
    return TraceSettings(
        langfuse_attributes=s.langfuse_attributes,
        identity_attributes=s.identity_attributes,
        capture_input_spans=s.capture_input_spans,
        capture_output_spans=s.capture_output_spans,
        redact_fields=s.redact_fields if s.redact_fields is not None else DEFAULT_REDACT_FIELDS,
        redact_fields_env=_raw(env, "OTEL_REDACT_FIELDS"),
        max_trace_payload_size=s.max_trace_payload_size,
        max_trace_payload_size_env=size_env,
        deployment_environment=s.deployment_environment,
    )
