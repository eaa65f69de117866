"""Gateway settings parsing, checked rule by rule against the real gateway package (the oracle)."""

from __future__ import annotations

import base64
import importlib
import os
from typing import Any

import pytest

from mcpparity.settings import (
    GATEWAY_DEFAULT_REDACT_FIELDS,
    MODULE_FALLBACK_REDACT_FIELDS,
    SettingsErrors,
    parse_gateway_settings,
    parse_set_options,
    read_env_file,
)

# Fake values the gateway's startup validators need; they are not part of any case.
_GATEWAY_BOOT_ENV = {
    "JWT_SECRET_KEY": "Zq8vN3kLp2Xw7RtY5mB9cH4jD6fG1sA0eU8iO3yT",
    "AUTH_ENCRYPTION_SECRET": "Hk3Lm9Qw2Er7Ty5Ui8Op1As4Df6Gh0Jk2Lz8Xc5V",
    "PLATFORM_ADMIN_PASSWORD": "Capture-Adm1n-Pw!x9",
    "BASIC_AUTH_PASSWORD": "Capture-Bas1c-Pw!x9",
}
_PREFIXES = ("OTEL_", "LANGFUSE_", "DEPLOYMENT_ENV", "ENVIRONMENT")
B64 = base64.b64encode(b"pk-lf-a:sk-lf-b").decode()
LF = "https://cloud.langfuse.com/api/public/otel/v1/traces"

CASES: list[dict[str, str]] = [
    {},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:14318/v1/traces", "OTEL_EXPORTER_OTLP_PROTOCOL": "http"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "LANGFUSE_PUBLIC_KEY": "pk-lf-a", "LANGFUSE_SECRET_KEY": "sk-lf-b"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://x:4318/v1/traces", "LANGFUSE_OTEL_ENDPOINT": LF, "LANGFUSE_OTEL_AUTH": B64},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "OTEL_EXPORTER_OTLP_HEADERS": f"authorization=Basic {B64},x-a=1"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "LANGFUSE_OTEL_AUTH": "  ", "LANGFUSE_PUBLIC_KEY": "pk", "LANGFUSE_SECRET_KEY": "sk"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "OTEL_EMIT_LANGFUSE_ATTRIBUTES": "off", "LANGFUSE_OTEL_AUTH": B64},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "OTEL_CAPTURE_IDENTITY_ATTRIBUTES": "No", "LANGFUSE_OTEL_AUTH": B64},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://h/x?p=/api/public/otel", "OTEL_EMIT_LANGFUSE_ATTRIBUTES": "1"},
    {"OTEL_EMIT_LANGFUSE_ATTRIBUTES": "TRUE", "OTEL_CAPTURE_IDENTITY_ATTRIBUTES": "f"},
    {"OTEL_CAPTURE_INPUT_SPANS": " tool.invoke , ,llm.proxy", "OTEL_CAPTURE_OUTPUT_SPANS": "tool.invoke,tool.invoke"},
    {"OTEL_REDACT_FIELDS": "query,password"},
    {"OTEL_REDACT_FIELDS": ""},
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": "256"},
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": " 1_024 "},
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": "+300"},
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": "300.0"},
    {"DEPLOYMENT_ENV": "prod", "ENVIRONMENT": "staging"},
    {"ENVIRONMENT": "staging"},
    {"otel_emit_langfuse_attributes": "yes", "deployment_env": "lower-case-names"},
    {"OTEL_BAGGAGE_ENABLED": "true", "OTEL_BAGGAGE_HEADER_MAPPINGS": '[{"header_name": "X-Tenant-ID", "baggage_key": "tenant.id"}]'},
    {"OTEL_BAGGAGE_MAX_ITEMS": "64", "OTEL_BAGGAGE_MAX_SIZE_BYTES": "1024"},
    # names in any case, values verbatim (only the comma lists strip, with Python's strip())
    {"otel_capture_input_spans": "tool.invoke", "Otel_Capture_Output_Spans": " tool.invoke\x1f"},
    {"OTEL_SERVICE_NAME": " svc ", "DEPLOYMENT_ENV": " prod "},
    {"otel_service_name": "first", "OTEL_SERVICE_NAME": "last"},
    {"OTEL_SERVICE_NAME": ""},
    {"ENVIRONMENT": "production"},
    {"environment": "staging", "OTEL_EXPORTER_OTLP_PROTOCOL": " grpc "},
]

REFUSED: list[dict[str, str]] = [
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": "255"},
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": "1.5"},
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": "1e3"},
    {"OTEL_MAX_TRACE_PAYLOAD_SIZE": ""},
    {"OTEL_EMIT_LANGFUSE_ATTRIBUTES": " true "},
    {"OTEL_EMIT_LANGFUSE_ATTRIBUTES": ""},
    {"OTEL_CAPTURE_IDENTITY_ATTRIBUTES": "2"},
    {"OTEL_ENABLE_OBSERVABILITY": "maybe"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "LANGFUSE_PUBLIC_KEY": "pk"},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "LANGFUSE_OTEL_AUTH": base64.b64encode(b"pk:").decode()},
    {"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer abc"},
    {"OTEL_BAGGAGE_MAX_ITEMS": "65"},
    {"OTEL_BAGGAGE_ENABLED": "true", "OTEL_BAGGAGE_HEADER_MAPPINGS": '{"not": "a list"}'},
    {"OTEL_BAGGAGE_ENABLED": "true", "OTEL_BAGGAGE_HEADER_MAPPINGS": '[{"header_name": "X-A", "baggage_key": "1bad"}]'},
    # config.py's `environment` is a Literal read from ENVIRONMENT (case-sensitive)
    {"ENVIRONMENT": "qa"},
    {"ENVIRONMENT": "Staging"},
    {"DEPLOYMENT_ENV": "x", "environment": ""},
]


@pytest.fixture
def oracle(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Set an env for the real gateway and return its decisions."""
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for key, value in _GATEWAY_BOOT_ENV.items():
        monkeypatch.setenv(key, value)  # config.py builds its Settings at import
    config = importlib.import_module("mcpgateway.config")
    observability = importlib.import_module("mcpgateway.observability")
    redaction = importlib.import_module("mcpgateway.utils.trace_redaction")
    baggage = importlib.import_module("mcpgateway.baggage")

    def decide(env: dict[str, str]) -> dict[str, Any]:
        for key in list(os.environ):
            if key.upper().startswith(_PREFIXES):
                monkeypatch.delenv(key)
        for key, value in {**_GATEWAY_BOOT_ENV, **env}.items():
            monkeypatch.setenv(key, value)
        config.get_settings.cache_clear()
        settings = config.get_settings()  # raises when the gateway refuses the settings
        endpoint = observability._resolve_otlp_endpoint()
        headers = observability._resolve_otlp_headers(endpoint)
        if settings.otel_traces_exporter.lower() == "otlp" and endpoint:
            observability._validate_langfuse_configuration(endpoint, headers)
        baggage.BaggageConfig.from_settings()
        redaction.reload_trace_redaction_config()
        return {
            "endpoint": endpoint,
            "is_langfuse": observability._is_langfuse_otlp_endpoint(endpoint),
            "langfuse_attributes": observability._should_emit_langfuse_attributes(),
            "identity_attributes": observability._should_capture_identity_attributes(),
            "redact_fields": set(redaction._REDACT_FIELDS),
            "max": redaction._MAX_PAYLOAD_SIZE,
            "capture_in": set(redaction._INPUT_CAPTURE_SPANS),
            "capture_out": set(redaction._OUTPUT_CAPTURE_SPANS),
            "deployment_env": settings.deployment_env,
            "service_name": settings.otel_service_name,
            "otlp_protocol": settings.otel_exporter_otlp_protocol.lower(),
        }

    yield decide
    config.get_settings.cache_clear()


def _normalized(fields) -> set[str]:
    import re
    return {re.sub(r"[^a-z0-9]", "", f.lower()) for f in fields}


@pytest.mark.parametrize("env", CASES, ids=[str(i) for i in range(len(CASES))])
def test_settings_match_the_gateway(env: dict[str, str], oracle) -> None:
    expected = oracle(env)
    ours = parse_gateway_settings(env)
    assert ours.endpoint == (expected["endpoint"] or None)
    assert ours.is_langfuse == expected["is_langfuse"]
    assert ours.langfuse_attributes == expected["langfuse_attributes"]
    assert ours.identity_attributes == expected["identity_attributes"]
    fields = ours.redact_fields if ours.redact_fields is not None else GATEWAY_DEFAULT_REDACT_FIELDS
    assert _normalized(fields) == expected["redact_fields"]
    assert ours.max_trace_payload_size == expected["max"]
    assert set(ours.capture_input_spans) == expected["capture_in"]
    assert set(ours.capture_output_spans) == expected["capture_out"]
    assert ours.deployment_environment == expected["deployment_env"]
    assert ours.service_name == expected["service_name"]
    if not ours.is_langfuse:  # the gateway then forces OTLP/HTTP
        assert ours.protocol == ("grpc" if expected["otlp_protocol"] == "grpc" else "http")


@pytest.mark.parametrize("env", REFUSED, ids=[str(i) for i in range(len(REFUSED))])
def test_refused_settings_are_refused_by_the_gateway_too(env: dict[str, str], oracle) -> None:
    with pytest.raises(SettingsErrors):
        parse_gateway_settings(env)
    with pytest.raises(Exception):  # pydantic ValidationError, RuntimeError or BaggageConfigError
        oracle(env)


def test_empty_redact_fields_setting_means_the_module_fallback_with_session_token() -> None:
    assert parse_gateway_settings({"OTEL_REDACT_FIELDS": ""}).redact_fields == MODULE_FALLBACK_REDACT_FIELDS
    assert "session_token" in MODULE_FALLBACK_REDACT_FIELDS and "session_token" not in GATEWAY_DEFAULT_REDACT_FIELDS
    assert parse_gateway_settings({}).redact_fields is None


def test_header_errors_never_quote_the_value() -> None:
    with pytest.raises(SettingsErrors) as caught:
        parse_gateway_settings({"OTEL_EXPORTER_OTLP_HEADERS": "x-ok=1,Bearer sekrit-value"})
    assert "entry 2" in str(caught.value)
    assert "sekrit" not in str(caught.value)


def test_stricter_than_the_gateway_where_it_would_silently_lose_protection() -> None:
    for env, setting in (({"OTEL_REDACT_FIELDS": " , "}, "OTEL_REDACT_FIELDS"),
                         ({"DEPLOYMENT_ENV": ""}, "DEPLOYMENT_ENV"),
                         ({"OTEL_EXPORTER_OTLP_HEADERS": "=v"}, "OTEL_EXPORTER_OTLP_HEADERS")):
        with pytest.raises(SettingsErrors) as caught:
            parse_gateway_settings(env)
        assert [e.setting for e in caught.value.errors] == [setting]


def test_every_refused_setting_is_reported_at_once() -> None:
    with pytest.raises(SettingsErrors) as caught:
        parse_gateway_settings({"OTEL_MAX_TRACE_PAYLOAD_SIZE": "100", "OTEL_EMIT_LANGFUSE_ATTRIBUTES": "maybe"})
    assert sorted(e.setting for e in caught.value.errors) == ["OTEL_EMIT_LANGFUSE_ATTRIBUTES", "OTEL_MAX_TRACE_PAYLOAD_SIZE"]


def test_set_options_accept_known_settings_only() -> None:
    assert parse_set_options(["otel_max_trace_payload_size=512"]) == {"OTEL_MAX_TRACE_PAYLOAD_SIZE": "512"}
    with pytest.raises(SettingsErrors) as caught:
        parse_set_options(["OTEL_NOT_A_SETTING=1"])
    assert caught.value.errors[0].setting == "OTEL_NOT_A_SETTING"


def test_env_file_reading_follows_dotenv(write_env) -> None:
    path = write_env('# comment\nexport OTEL_SERVICE_NAME="quoted name"\notel_capture_input_spans=tool.invoke # trailing\nBARE\n')
    assert read_env_file(path) == {"OTEL_SERVICE_NAME": "quoted name", "OTEL_CAPTURE_INPUT_SPANS": "tool.invoke"}


def test_the_contracts_redact_field_lists_are_the_gateways(oracle) -> None:
    """contract/raw-span-contract.yaml holds the one default list; it must be the gateway's, in order."""
    config = importlib.import_module("mcpgateway.config")
    redaction = importlib.import_module("mcpgateway.utils.trace_redaction")
    assert GATEWAY_DEFAULT_REDACT_FIELDS == tuple(config.Settings.model_fields["otel_redact_fields"].default.split(","))
    assert MODULE_FALLBACK_REDACT_FIELDS == tuple(redaction._DEFAULT_REDACT_FIELDS.split(","))
