"""`mcpparity generate`: the pure config builder, the CLI wiring, goldens and one test per refusal."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from golden_util import assert_golden
from mcpparity.cli import main
from mcpparity.collector_config import build_collector_config
from mcpparity.lints import lint
from mcpparity.settings import SettingsErrors, parse_gateway_settings

LF = "https://cloud.langfuse.com/api/public/otel/v1/traces"
PK, SK = "pk-lf-golden", "sk-lf-golden-secret"

ENVS = {
    "langfuse_keys": f"OTEL_ENABLE_OBSERVABILITY=true\nLANGFUSE_OTEL_ENDPOINT={LF}\nLANGFUSE_PUBLIC_KEY={PK}\nLANGFUSE_SECRET_KEY={SK}\n"
                     "OTEL_CAPTURE_INPUT_SPANS=tool.invoke\nOTEL_CAPTURE_OUTPUT_SPANS=tool.invoke\nDEPLOYMENT_ENV=production\n",
    "otlp_http_headers": "OTEL_ENABLE_OBSERVABILITY=true\nOTEL_EXPORTER_OTLP_ENDPOINT=https://otlp.example:4318/v1/traces\n"
                         "OTEL_EXPORTER_OTLP_PROTOCOL=http\nOTEL_EXPORTER_OTLP_HEADERS=x-api-key=k-123-secret,x-tenant=acme\n"
                         "OTEL_REDACT_FIELDS=query,password\nOTEL_MAX_TRACE_PAYLOAD_SIZE=1024\n",
    "grpc_4317": "OTEL_ENABLE_OBSERVABILITY=true\nOTEL_EXPORTER_OTLP_ENDPOINT=http://backend:4317\n",
    "no_endpoint": "OTEL_ENABLE_OBSERVABILITY=true\n",
}


def run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


@pytest.mark.parametrize("name", sorted(ENVS))
def test_generate_matches_golden_and_passes_lints(name: str, write_env, tmp_path: Path) -> None:
    env = write_env(ENVS[name], f"{name}.env")
    out = tmp_path / "out.yaml"
    result = run(["generate", "--env-file", str(env), "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text().replace(str(env), f"{name}.env")
    assert_golden(f"generate_{name}.yaml", text)
    assert lint(yaml.safe_load(text)) == []
    for secret in (PK, SK, base64.b64encode(f"{PK}:{SK}".encode()).decode(), "k-123-secret"):
        assert secret not in text and secret not in result.output


def test_generate_is_deterministic(write_env) -> None:
    env = write_env(ENVS["langfuse_keys"])
    first, second = run(["generate", "--env-file", str(env)]), run(["generate", "--env-file", str(env)])
    assert first.stdout == second.stdout


def test_langfuse_exporter_posts_where_the_gateway_posts_with_basic_auth_from_env() -> None:
    gen = build_collector_config(parse_gateway_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": LF, "LANGFUSE_PUBLIC_KEY": PK, "LANGFUSE_SECRET_KEY": SK}))
    exporter = gen.config["exporters"]["otlp_http/langfuse"]
    assert exporter["traces_endpoint"] == LF
    assert exporter["headers"] == {"Authorization": "Basic ${env:LANGFUSE_OTEL_AUTH}", "x-langfuse-ingestion-version": "4"}
    assert [r.name for r in gen.required_env] == ["LANGFUSE_OTEL_AUTH"]
    processor = gen.config["processors"]["mcpparity"]
    assert processor["langfuse_attributes"] is True and processor["identity_attributes"] is True  # auto: Langfuse endpoint


def test_plain_endpoint_keeps_langfuse_and_identity_off_and_uses_grpc_by_default() -> None:
    gen = build_collector_config(parse_gateway_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://backend:4317"}))
    exporter = gen.config["exporters"]["otlp_grpc"]  # not the deprecated `otlp` alias
    assert list(gen.config["exporters"]) == ["otlp_grpc"]
    assert {k: exporter[k] for k in ("endpoint", "tls")} == {"endpoint": "http://backend:4317", "tls": {"insecure": True}}
    processor = gen.config["processors"]["mcpparity"]
    assert processor["langfuse_attributes"] is False and processor["identity_attributes"] is False
    assert "redact_fields" not in processor  # unset: the processor's default is the gateway's


def test_http_protocol_rewrites_4317_like_the_gateway() -> None:
    settings = parse_gateway_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://backend:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "http"})
    gen = build_collector_config(settings)
    assert gen.config["exporters"]["otlp_http"]["traces_endpoint"] == "http://backend:4318/v1/traces"


def test_pipeline_order_and_loopback_receiver() -> None:
    config = build_collector_config(parse_gateway_settings({})).config
    assert config["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "mcpparity"]
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "127.0.0.1:4317"
    assert config["extensions"]["health_check"]["endpoint"] == "127.0.0.1:13133"
    assert config["exporters"] == {"file": {"path": "./traces-out/traces.json"}}


def test_request_size_bounded_on_both_protocols() -> None:
    """One request costs a bounded amount of memory: 4 MiB on HTTP (after decompression) and gRPC."""
    protocols = build_collector_config(parse_gateway_settings({})).config["receivers"]["otlp"]["protocols"]
    assert protocols["http"]["max_request_body_size"] == 4 * 1024 * 1024
    assert protocols["grpc"]["max_recv_msg_size_mib"] == 4
    config = build_collector_config(parse_gateway_settings({})).config
    assert protocols["http"]["middlewares"] == [{"id": "jsondepth"}]
    assert config["extensions"]["jsondepth"] == {"max_depth": 256}
    assert "jsondepth" in config["service"]["extensions"]


def test_network_exporter_gets_a_persistent_queue_and_endless_retries() -> None:
    config = build_collector_config(parse_gateway_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://backend:4317"}),
                                    queue_dir="/data/q", queue_size_mib=256).config
    exporter = config["exporters"]["otlp_grpc"]
    assert exporter["sending_queue"]["storage"] == "file_storage/queue"
    assert exporter["sending_queue"]["sizer"] == "bytes" and exporter["sending_queue"]["queue_size"] == 256 << 20
    assert exporter["sending_queue"]["block_on_overflow"] is False  # full: refuse at the receiver, never hold or drop
    assert exporter["retry_on_failure"] == {"enabled": True, "max_elapsed_time": 0}
    storage = config["extensions"]["file_storage/queue"]
    assert storage["directory"] == "/data/q" and storage["compaction"]["directory"] == "/data/q" and storage["create_directory"] is True
    assert config["service"]["extensions"] == ["health_check", "jsondepth", "file_storage/queue"]


@pytest.mark.parametrize("budget, limit, spike", [(512, 409, 102), (1024, 819, 204), (64, 51, 12)])
def test_memory_limiter_from_an_explicit_budget(budget: int, limit: int, spike: int) -> None:
    limiter = build_collector_config(parse_gateway_settings({}), memory_limit_mib=budget).config["processors"]["memory_limiter"]
    assert limiter == {"check_interval": "1s", "limit_mib": limit, "spike_limit_mib": spike}


def test_cli_queue_and_memory_options(write_env) -> None:
    env = write_env(ENVS["grpc_4317"])
    result = run(["generate", "--env-file", str(env), "--queue-dir", "/var/q", "--memory-limit-mib", "2048", "--queue-size-mib", "64"])
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(result.stdout)
    assert config["extensions"]["file_storage/queue"]["directory"] == "/var/q"
    assert config["processors"]["memory_limiter"]["limit_mib"] == 1638
    assert config["exporters"]["otlp_grpc"]["sending_queue"]["queue_size"] == 64 << 20
    assert "--queue-dir /var/q --queue-size-mib 64 --memory-limit-mib 2048`" in result.stdout.splitlines()[0]


def test_listen_address_and_exporter_options(write_env) -> None:
    env = write_env(ENVS["no_endpoint"])
    result = run(["generate", "--env-file", str(env), "--listen-address", "0.0.0.0", "--insecure-listen", "--exporter", "debug"])
    config = yaml.safe_load(result.stdout)
    assert config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    assert "WARNING: --insecure-listen" in result.stderr and "PLAINTEXT" in result.stderr
    assert config["exporters"] == {"debug": {"verbosity": "detailed"}}


def test_set_overrides_the_env_file(write_env) -> None:
    env = write_env(ENVS["no_endpoint"])
    result = run(["generate", "--env-file", str(env), "--set", "OTEL_MAX_TRACE_PAYLOAD_SIZE=4096", "--set", "OTEL_EMIT_LANGFUSE_ATTRIBUTES=true"])
    processor = yaml.safe_load(result.stdout)["processors"]["mcpparity"]
    assert processor["max_trace_payload_size"] == 4096
    assert processor["langfuse_attributes"] is True and processor["identity_attributes"] is True


def test_empty_redact_fields_setting_writes_the_module_fallback(write_env) -> None:
    env = write_env("OTEL_REDACT_FIELDS=\n")
    processor = yaml.safe_load(run(["generate", "--env-file", str(env)]).stdout)["processors"]["mcpparity"]
    assert processor["redact_fields"][-1] == "session_token" and len(processor["redact_fields"]) == 17


# ---------------------------------------------------------------- refusals: one test each, nothing written

def refused(write_env, tmp_path: Path, env_text: str, *extra: str):
    env = write_env(env_text)
    out = tmp_path / "never.yaml"
    result = CliRunner().invoke(main, ["generate", "--env-file", str(env), "-o", str(out), *extra])
    assert result.exit_code == 1, result.output
    assert not out.exists(), "a refused config must not be written"
    assert list(tmp_path.glob(".never.yaml*")) == []
    assert "nothing written" in result.stderr
    return result.stderr


def test_refuses_payload_size_below_256(write_env, tmp_path) -> None:
    assert "OTEL_MAX_TRACE_PAYLOAD_SIZE: must be >= 256, got 255" in refused(write_env, tmp_path, "OTEL_MAX_TRACE_PAYLOAD_SIZE=255\n")


def test_refuses_payload_size_that_is_not_an_integer(write_env, tmp_path) -> None:
    assert "OTEL_MAX_TRACE_PAYLOAD_SIZE: 'big' is not an integer" in refused(write_env, tmp_path, "OTEL_MAX_TRACE_PAYLOAD_SIZE=big\n")


def test_refuses_langfuse_endpoint_without_credentials(write_env, tmp_path) -> None:
    err = refused(write_env, tmp_path, f"LANGFUSE_OTEL_ENDPOINT={LF}\n")
    assert "LANGFUSE_OTEL_AUTH: the Langfuse endpoint has no valid Basic credentials" in err


def test_refuses_langfuse_auth_that_is_not_base64_of_pk_sk(write_env, tmp_path) -> None:
    err = refused(write_env, tmp_path, f"LANGFUSE_OTEL_ENDPOINT={LF}\nLANGFUSE_OTEL_AUTH=not-base64!\n")
    assert "no valid Basic credentials" in err and "not-base64!" not in err


def test_refuses_malformed_otlp_headers(write_env, tmp_path) -> None:
    err = refused(write_env, tmp_path, "OTEL_EXPORTER_OTLP_ENDPOINT=http://b:4317\nOTEL_EXPORTER_OTLP_HEADERS=x-a=1,secretvalue\n")
    assert "OTEL_EXPORTER_OTLP_HEADERS: entry 2 is not name=value" in err and "secretvalue" not in err


def test_refuses_unknown_set_key(write_env, tmp_path) -> None:
    assert "OTEL_NO_SUCH_SETTING: unknown setting" in refused(write_env, tmp_path, "", "--set", "OTEL_NO_SUCH_SETTING=1")


def test_refuses_bad_boolean(write_env, tmp_path) -> None:
    err = refused(write_env, tmp_path, "OTEL_EMIT_LANGFUSE_ATTRIBUTES=enabled\n")
    assert "OTEL_EMIT_LANGFUSE_ATTRIBUTES: 'enabled' is not a boolean the gateway accepts" in err


def test_refuses_exporter_langfuse_without_langfuse_endpoint(write_env, tmp_path) -> None:
    err = refused(write_env, tmp_path, "OTEL_EXPORTER_OTLP_ENDPOINT=http://b:4317\n", "--exporter", "langfuse")
    assert "--exporter langfuse needs a Langfuse endpoint" in err


def test_refuses_exporter_otlp_without_endpoint(write_env, tmp_path) -> None:
    assert "--exporter otlp needs an endpoint" in refused(write_env, tmp_path, "", "--exporter", "otlp")


def test_refuses_jaeger_exporter_setting(write_env, tmp_path) -> None:
    assert "OTEL_TRACES_EXPORTER: jaeger is not in otelcol-mcpparity" in refused(write_env, tmp_path, "OTEL_TRACES_EXPORTER=jaeger\n")


def test_refuses_redact_fields_without_any_field(write_env, tmp_path) -> None:
    assert "OTEL_REDACT_FIELDS: lists no field name" in refused(write_env, tmp_path, "OTEL_REDACT_FIELDS= , \n")


def test_refuses_empty_deployment_env(write_env, tmp_path) -> None:
    assert "DEPLOYMENT_ENV: is empty" in refused(write_env, tmp_path, "DEPLOYMENT_ENV=\n")


def test_refuses_bad_baggage_mappings(write_env, tmp_path) -> None:
    err = refused(write_env, tmp_path, "OTEL_BAGGAGE_ENABLED=true\nOTEL_BAGGAGE_HEADER_MAPPINGS=[{\"header_name\": \"X-A\"}]\n")
    assert "OTEL_BAGGAGE_HEADER_MAPPINGS: mapping 0 must be an object" in err


def test_refuses_a_memory_budget_below_64_mib(write_env, tmp_path) -> None:
    assert "--memory-limit-mib: must be >= 64, got 32" in refused(write_env, tmp_path, "", "--memory-limit-mib", "32")


def test_refuses_an_empty_queue_dir(write_env, tmp_path) -> None:
    err = refused(write_env, tmp_path, "OTEL_EXPORTER_OTLP_ENDPOINT=http://b:4317\n", "--queue-dir", " ")
    assert "--queue-dir: is empty" in err


def test_refuses_a_queue_size_below_1_mib(write_env, tmp_path) -> None:
    err = refused(write_env, tmp_path, "OTEL_EXPORTER_OTLP_ENDPOINT=http://b:4317\n", "--queue-size-mib", "0")
    assert "--queue-size-mib: must be >= 1, got 0" in err


def test_missing_env_file_is_a_usage_error(tmp_path) -> None:
    result = CliRunner().invoke(main, ["generate", "--env-file", str(tmp_path / "absent.env")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_pure_builder_refuses_too(tmp_path) -> None:
    with pytest.raises(SettingsErrors):
        build_collector_config(parse_gateway_settings({}), exporter="otlp")


def _oracle_cases() -> list[Path]:
    from conftest import ORACLE
    return sorted(p for p in ORACLE.glob("*.json") if p.name != "redaction_examples.json")


@pytest.mark.parametrize("case", _oracle_cases(), ids=lambda p: p.stem)
def test_resolved_policy_matches_what_the_oracle_exported(case: Path) -> None:
    """The real captures show the gateway's decisions: langfuse.* keys, identity keys, payload capture."""
    import json
    data = json.loads(case.read_text())
    env = dict(data["env"])
    processor = build_collector_config(parse_gateway_settings(env)).config["processors"]["mcpparity"]
    gateway_spans = [s for s in data["spans"] if s["scope"]["name"] == "mcp-gateway"]
    exported_keys = {k for s in gateway_spans for k in s["attributes"]}
    invoke = [s for s in gateway_spans if s["name"] == "tool.invoke"]
    if invoke:
        assert processor["langfuse_attributes"] == any(k.startswith("langfuse.") for k in exported_keys)
        assert processor["identity_attributes"] == ("user.email" in invoke[0]["attributes"])
        captured = "langfuse.observation.input" in invoke[0]["attributes"]
        assert captured == (processor["langfuse_attributes"] and "tool.invoke" in processor["capture_input_spans"])
