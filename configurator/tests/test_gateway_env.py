"""`mcpparity gateway-env`: the runtime settings that point at a collector config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO
from golden_util import assert_golden
from mcpparity.cli import main
from mcpparity.gateway_env import build_gateway_env
from mcpparity.collector_config import build_collector_config
from mcpparity.hop import HopOptions
from mcpparity.settings import parse_gateway_settings, read_env_file


def as_dict(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))


def test_langfuse_policy_is_kept_explicit_and_credentials_stay_with_the_collector() -> None:
    settings = parse_gateway_settings({"LANGFUSE_OTEL_ENDPOINT": "https://cloud.langfuse.com/api/public/otel/v1/traces",
                                       "LANGFUSE_OTEL_AUTH": "cGs6c2s=", "OTEL_CAPTURE_INPUT_SPANS": "tool.invoke"})
    env = as_dict(build_gateway_env(build_collector_config(settings).config).render())
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://127.0.0.1:4318/v1/traces"
    assert env["OTEL_EXPORTER_OTLP_PROTOCOL"] == "http"
    assert env["LANGFUSE_OTEL_ENDPOINT"] == "" and env["OTEL_EXPORTER_OTLP_HEADERS"] == ""
    assert env["OTEL_EMIT_LANGFUSE_ATTRIBUTES"] == "true" and env["OTEL_CAPTURE_IDENTITY_ATTRIBUTES"] == "true"
    assert env["OTEL_CAPTURE_INPUT_SPANS"] == "tool.invoke"
    assert "cGs6c2s=" not in "".join(env.values())


def test_the_gateway_would_send_to_the_collector_with_these_settings() -> None:
    """Round trip: the printed settings, parsed with the gateway's rules, reach the receiver and keep the policy."""
    config = build_collector_config(parse_gateway_settings({"OTEL_EMIT_LANGFUSE_ATTRIBUTES": "true", "OTEL_CAPTURE_OUTPUT_SPANS": "tool.invoke"})).config
    settings = parse_gateway_settings(as_dict(build_gateway_env(config).render()))
    assert settings.http_traces_endpoint == "http://127.0.0.1:4318/v1/traces" and settings.protocol == "http"
    assert not settings.is_langfuse and settings.observability_enabled
    assert settings.langfuse_attributes is True and settings.capture_output_spans == ("tool.invoke",)


def test_no_raw_payloads_when_the_collector_would_drop_them() -> None:
    config = build_collector_config(parse_gateway_settings({"OTEL_CAPTURE_INPUT_SPANS": "tool.invoke"})).config
    env = as_dict(build_gateway_env(config).render())
    assert env["OTEL_EMIT_LANGFUSE_ATTRIBUTES"] == "false"
    assert env["OTEL_CAPTURE_INPUT_SPANS"] == ""  # capture needs Langfuse emission


def test_wildcard_bind_needs_a_host() -> None:
    config = build_collector_config(parse_gateway_settings({}), listen_host="0.0.0.0",
                                    hop_options=HopOptions(insecure_listen=True)).config
    result = build_gateway_env(config)
    assert as_dict(result.render())["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://localhost:4318/v1/traces"
    assert result.notes and "--host" in result.notes[0]
    assert as_dict(build_gateway_env(config, host="otel.svc").render())["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel.svc:4318/v1/traces"


def test_config_without_receiver_or_processor_is_refused() -> None:
    config = build_collector_config(parse_gateway_settings({})).config
    with pytest.raises(ValueError, match="no otlp receiver"):
        build_gateway_env({**config, "receivers": {}})
    with pytest.raises(ValueError, match="no mcpparity processor"):
        build_gateway_env({**config, "processors": {"batch": {}}})


def test_cli_gateway_env_golden_for_the_langfuse_config() -> None:
    result = CliRunner().invoke(main, ["gateway-env", "--config", str(REPO / "collector-config" / "langfuse.yaml"),
                                       "--env-file", str(REPO / "collector-config" / "env" / "langfuse.env")])
    assert result.exit_code == 0, result.output
    assert_golden("gateway_env_langfuse.env", result.stdout)
    assert as_dict(result.stdout)["OTEL_SERVICE_NAME"] == read_env_file(REPO / "collector-config" / "env" / "langfuse.env")["OTEL_SERVICE_NAME"]


def test_cli_gateway_env_missing_config_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["gateway-env", "--config", str(tmp_path / "absent.yaml")])
    assert result.exit_code == 2
    path = tmp_path / "no-receiver.yaml"
    path.write_text(yaml.safe_dump({"processors": {"mcpparity": {}}}))
    result = CliRunner().invoke(main, ["gateway-env", "--config", str(path)])
    assert result.exit_code == 1 and "no otlp receiver" in result.stderr


def test_identity_attributes_omitted_or_null_follows_langfuse() -> None:
    config = build_collector_config(parse_gateway_settings({"OTEL_EMIT_LANGFUSE_ATTRIBUTES": "true"})).config
    for value in (None, "omit"):
        processor = dict(config["processors"]["mcpparity"])
        if value == "omit":
            processor.pop("identity_attributes")
        else:
            processor["identity_attributes"] = None
        env = as_dict(build_gateway_env({**config, "processors": {"mcpparity": processor}}).render())
        assert env["OTEL_CAPTURE_IDENTITY_ATTRIBUTES"] == "true"
