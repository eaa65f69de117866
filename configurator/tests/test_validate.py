"""`mcpparity validate`: lints with key paths, the schema source, and the collector's own validate."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conftest import REPO
from mcpparity import lints
from mcpparity.cli import main
from mcpparity.collector_config import build_collector_config
from mcpparity.settings import parse_gateway_settings


def good() -> dict:
    return build_collector_config(parse_gateway_settings({})).config


def paths(config: dict) -> list[str]:
    return [str(f) for f in lints.lint(config)]


def test_generated_config_has_no_findings() -> None:
    assert lints.lint(good()) == []


def test_pipeline_without_mcpparity_is_flagged() -> None:
    config = good()
    config["service"]["pipelines"]["traces"]["processors"] = ["memory_limiter"]
    assert paths(config) == ["service.pipelines.traces.processors: receives runtime spans over OTLP but does not run mcpparity, "
                             "so raw spans (unredacted payloads) would reach the exporters"]


def test_second_pipeline_from_otlp_is_checked_too() -> None:
    config = good()
    config["service"]["pipelines"]["traces/raw"] = {"receivers": ["otlp"], "processors": [], "exporters": ["file"]}
    assert [f.path for f in lints.lint(config)] == ["service.pipelines.traces/raw.processors"]


def test_connector_feeding_unprocessed_spans_taints_the_next_pipeline() -> None:
    config = good()
    config["connectors"] = {"forward": {}}
    config["service"]["pipelines"] = {
        "traces/in": {"receivers": ["otlp"], "processors": ["memory_limiter"], "exporters": ["forward"]},
        "traces/out": {"receivers": ["forward"], "processors": [], "exporters": ["file"]},
    }
    assert [f.path for f in lints.lint(config)] == ["service.pipelines.traces/in.processors", "service.pipelines.traces/out.processors"]


def test_memory_limiter_must_be_first() -> None:
    config = good()
    config["service"]["pipelines"]["traces"]["processors"] = ["mcpparity", "memory_limiter"]
    assert paths(config) == ["service.pipelines.traces.processors: memory_limiter must be the first processor, got mcpparity"]


def test_batch_must_come_after_mcpparity() -> None:
    config = good()
    config["service"]["pipelines"]["traces"]["processors"] = ["memory_limiter", "batch", "mcpparity"]
    assert paths(config) == ["service.pipelines.traces.processors[1]: batch must come after mcpparity (mcpparity is at [2])",
                             "service.pipelines.traces.processors[1]: the batch processor acknowledges spans before they reach "
                             "the persistent queue, so a kill loses them; batch in the exporter's sending_queue.batch"]


# ---------------------------------------------------------------- durability: nothing accepted is lost silently

def network() -> dict:
    """A generated config with an OTLP/gRPC backend: persistent queue, endless retries, explicit memory."""
    return build_collector_config(parse_gateway_settings({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://backend:4317"})).config


def test_generated_network_config_has_no_findings() -> None:
    assert lints.lint(network()) == []


def _drop_storage(c: dict) -> None:
    del c["exporters"]["otlp_grpc"]["sending_queue"]["storage"]


def _disable_queue(c: dict) -> None:
    c["exporters"]["otlp_grpc"]["sending_queue"] = {"enabled": False}


def _memory_storage(c: dict) -> None:
    c["exporters"]["otlp_grpc"]["sending_queue"]["storage"] = "health_check"


def _unlisted_storage(c: dict) -> None:
    c["service"]["extensions"] = ["health_check"]


def _default_retry(c: dict) -> None:
    del c["exporters"]["otlp_grpc"]["retry_on_failure"]


def _retry_five_minutes(c: dict) -> None:
    c["exporters"]["otlp_grpc"]["retry_on_failure"]["max_elapsed_time"] = "300s"


def _retry_off(c: dict) -> None:
    c["exporters"]["otlp_grpc"]["retry_on_failure"]["enabled"] = False


def _host_percentages(c: dict) -> None:
    c["processors"]["memory_limiter"] = {"check_interval": "1s", "limit_percentage": 80, "spike_limit_percentage": 25}


def _batch_processor(c: dict) -> None:
    c["processors"]["batch"] = {}
    c["service"]["pipelines"]["traces"]["processors"].append("batch")


def _deprecated_alias(c: dict) -> None:
    c["exporters"]["otlp"] = c["exporters"].pop("otlp_grpc")
    c["service"]["pipelines"]["traces"]["exporters"] = ["otlp"]


@pytest.mark.parametrize("break_it, expected", [
    (_drop_storage, ["exporters.otlp_grpc.sending_queue.storage: accepted spans would wait in memory"]),
    (_disable_queue, ["exporters.otlp_grpc.sending_queue.storage: accepted spans would wait in memory"]),
    (_memory_storage, ["exporters.otlp_grpc.sending_queue.storage: health_check is not a file_storage extension"]),
    (_unlisted_storage, ["service.extensions: file_storage/queue (the queue of otlp_grpc) must be listed here"]),
    (_default_retry, ["exporters.otlp_grpc.retry_on_failure.max_elapsed_time: must be 0"]),
    (_retry_five_minutes, ["exporters.otlp_grpc.retry_on_failure.max_elapsed_time: must be 0"]),
    (_retry_off, ["exporters.otlp_grpc.retry_on_failure.enabled: false drops every batch"]),
    (_host_percentages, ["processors.memory_limiter.limit_mib: set an explicit size"]),
    (_batch_processor, ["service.pipelines.traces.processors[2]: the batch processor acknowledges spans before"]),
    (_deprecated_alias, ["exporters.otlp: `otlp` is a deprecated alias; name the exporter otlp_grpc"]),
], ids=lambda v: getattr(v, "__name__", ""))
def test_durability_findings_name_the_key(break_it, expected: list[str]) -> None:
    config = network()
    break_it(config)
    found = paths(config)
    assert len(found) == len(expected), found
    for finding, start in zip(found, expected):
        assert finding.startswith(start), found


def test_local_exporters_need_no_queue() -> None:
    config = good()
    assert "sending_queue" not in config["exporters"]["file"] and "file_storage/queue" not in config["extensions"]
    assert lints.lint(config) == []


@pytest.mark.parametrize("where, value", [
    (("exporters", "otlphttp", "headers", "Authorization"), "Basic cGs6c2s="),
    (("exporters", "otlphttp", "headers", "x-api-key"), "k-123"),
    (("exporters", "otlphttp", "traces_endpoint"), "https://user:pw@backend/v1/traces"),
    (("extensions", "basicauth", "client_auth", "password"), "hunter2"),
])
def test_plaintext_credentials_are_flagged(where: tuple[str, ...], value: str) -> None:
    config = good()
    node = config
    for key in where[:-1]:
        node = node.setdefault(key, {})
    node[where[-1]] = value
    assert [f.path for f in lints.lint(config)] == [".".join(where)]


@pytest.mark.parametrize("value", ["Basic ${env:LANGFUSE_OTEL_AUTH}", "${env:TOKEN}", "Bearer ${file:/run/secret}"])
def test_references_are_not_credentials(value: str) -> None:
    config = good()
    config["exporters"]["otlphttp"] = {"traces_endpoint": "https://b/v1/traces", "headers": {"Authorization": value}}
    assert lints.lint(config) == []


@pytest.mark.parametrize("key, value, path", [
    ("max_trace_payload_size", 100, "processors.mcpparity.max_trace_payload_size"),
    ("no_such_key", 1, "processors.mcpparity"),
    ("redact_fields", [], "processors.mcpparity.redact_fields"),
    ("langfuse_attributes", "yes", "processors.mcpparity.langfuse_attributes"),
])
def test_mcpparity_keys_are_checked_against_the_processor_schema(key, value, path) -> None:
    config = good()
    config["processors"]["mcpparity"][key] = value
    findings = lints.lint(config)
    assert [f.path for f in findings] == [path], findings


def test_nested_baggage_key_path() -> None:
    config = good()
    config["processors"]["mcpparity"]["baggage"]["max_items"] = 0
    assert [f.path for f in lints.lint(config)] == ["processors.mcpparity.baggage.max_items"]


def test_packaged_schema_equals_the_processors() -> None:
    repo_schema = REPO / "processor" / "mcpparityprocessor" / "config.schema.yaml"
    packaged = REPO / "configurator" / "src" / "mcpparity" / "data" / "processor-config.schema.yaml"
    assert packaged.read_text() == repo_schema.read_text(), "run `make configs` to sync the packaged schema"
    assert lints.processor_schema()[1] == str(repo_schema)


def test_cli_reports_findings_with_exit_1(tmp_path: Path) -> None:
    config = good()
    config["processors"]["mcpparity"]["max_trace_payload_size"] = 10
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1
    assert "processors.mcpparity.max_trace_payload_size: 10 is less than the minimum of 256" in result.stdout
    assert "1 problem(s)" in result.stderr


def test_cli_invalid_yaml_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("receivers: [unclosed\n")
    assert CliRunner().invoke(main, ["validate", str(path)]).exit_code == 1
    assert CliRunner().invoke(main, ["validate", str(tmp_path / "absent.yaml")]).exit_code == 2


def test_cli_skips_binary_when_absent(tmp_path: Path) -> None:
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(good()))
    result = CliRunner().invoke(main, ["validate", str(path)], env={"MCPPARITY_COLLECTOR": str(tmp_path / "no-binary")})
    assert result.exit_code == 0
    assert "skipped the collector's validate" in result.stderr


def test_cli_fails_when_the_binary_rejects(tmp_path: Path) -> None:
    fake = tmp_path / "otelcol-fake"
    fake.write_text("#!/bin/sh\necho \"error decoding 'processors': $MCPPARITY_OTLP_HEADER_X\" >&2\nexit 1\n")
    fake.chmod(0o755)
    config = copy.deepcopy(good())
    config["exporters"]["file"]["path"] = "${env:MCPPARITY_OTLP_HEADER_X}"
    path = tmp_path / "good.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["validate", str(path), "--binary", str(fake)])
    assert result.exit_code == 1
    assert "error decoding 'processors': mcpparity-validate-placeholder" in result.stdout
    assert "placeholder values for unset variables: MCPPARITY_OTLP_HEADER_X" in result.stderr
