"""`mcpparity helm`: values for chart 0.170.x, the chart's merge, schema and the real binary."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

from conftest import HELM_CHART
from golden_util import assert_golden
from mcpparity import helm, lints
from mcpparity.cli import main
from mcpparity.collector_binary import validate_with_binary
from mcpparity.collector_config import build_collector_config
from mcpparity.settings import parse_gateway_settings

LF = "https://cloud.langfuse.com/api/public/otel/v1/traces"
B64 = "cGstbGYtYTpzay1sZi1i"


def langfuse_config() -> dict:
    return build_collector_config(parse_gateway_settings({"LANGFUSE_OTEL_ENDPOINT": LF, "LANGFUSE_OTEL_AUTH": B64})).config


def chart_defaults() -> dict:
    path = HELM_CHART / "values.yaml"
    if not path.is_file():
        pytest.skip(f"{path} is not available")
    return yaml.safe_load(path.read_text())


def merged_values() -> dict:
    values = helm.build_values(langfuse_config(), image="ghcr.io/acme/otelcol-mcpparity:0.1.0", secret="langfuse").values
    return helm.coalesce(chart_defaults(), values)


# ---------------------------------------------------------------- coalesce

def test_coalesce_merges_maps_deletes_nulls_replaces_lists() -> None:
    defaults = {"a": {"x": 1, "y": [1, 2], "z": {"deep": 1}}, "keep": True, "gone": {"k": 1}}
    overrides = {"a": {"y": [3], "z": {"new": 2}, "x": None}, "gone": None, "added": {"n": None, "v": 1}}
    assert helm.coalesce(defaults, overrides) == {"a": {"y": [3], "z": {"deep": 1, "new": 2}}, "keep": True, "added": {"v": 1}}


def test_coalesce_does_not_mutate_its_inputs() -> None:
    defaults, overrides = {"a": {"b": 1}}, {"a": {"c": 2}}
    helm.coalesce(defaults, overrides)
    assert defaults == {"a": {"b": 1}} and overrides == {"a": {"c": 2}}


# ---------------------------------------------------------------- values

def test_image_parsing() -> None:
    assert helm.parse_image("registry:5000/team/otelcol-mcpparity:1.2") == {"repository": "registry:5000/team/otelcol-mcpparity", "pullPolicy": "IfNotPresent", "tag": "1.2"}
    assert helm.parse_image("repo@sha256:abc")["digest"] == "sha256:abc"
    with pytest.raises(ValueError):
        helm.parse_image("registry:5000/no-tag")


def test_merged_config_drops_what_our_distribution_lacks() -> None:
    config = merged_values()["config"]
    assert set(config["receivers"]) == {"otlp"}
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "${env:MY_POD_IP}:4317"
    assert set(config["exporters"]) == {"otlphttp/langfuse"}
    assert set(config["service"]["pipelines"]) == {"traces"}
    assert config["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "mcpparity", "batch"]
    assert config["extensions"]["health_check"]["endpoint"] == "${env:MY_POD_IP}:13133"
    assert config["service"]["extensions"] == ["health_check", "jsondepth"]
    assert lints.lint(config) == []


def test_values_ports_env_and_limits() -> None:
    values = merged_values()
    assert values["command"]["name"] == "otelcol-mcpparity"
    assert values["mode"] == "deployment"
    assert {name for name, port in values["ports"].items() if port["enabled"]} == {"otlp", "otlp-http"}
    assert values["extraEnvs"] == [{"name": "LANGFUSE_OTEL_AUTH", "valueFrom": {"secretKeyRef": {"name": "langfuse", "key": "LANGFUSE_OTEL_AUTH"}}}]
    assert values["resources"]["limits"]["memory"] == "512Mi"
    assert B64 not in yaml.safe_dump(values)


def test_values_pass_the_charts_schema() -> None:
    schema_path = HELM_CHART / "values.schema.json"
    if not schema_path.is_file():
        pytest.skip(f"{schema_path} is not available")
    schema = json.loads(schema_path.read_text())
    validator = jsonschema.Draft7Validator(schema)  # the chart declares the draft-agnostic "http://json-schema.org/schema#"
    assert list(validator.iter_errors(merged_values())) == []
    broken = merged_values()
    broken["command"]["unknown"] = 1
    assert [e.message for e in validator.iter_errors(broken)] == ["Additional properties are not allowed ('unknown' was unexpected)"]


def test_cli_helm_golden(tmp_path: Path) -> None:
    config = tmp_path / "langfuse.yaml"
    config.write_text(yaml.safe_dump(langfuse_config(), sort_keys=False))
    result = CliRunner().invoke(main, ["helm", "--config", str(config), "--image", "ghcr.io/acme/otelcol-mcpparity:0.1.0",
                                       "--mode", "daemonset", "--secret", "langfuse"])
    assert result.exit_code == 0, result.output
    assert_golden("helm_langfuse_values.yaml", result.stdout.replace(str(config), "langfuse.yaml"))
    assert "kubectl create secret generic langfuse --from-literal=LANGFUSE_OTEL_AUTH=…" in result.stderr


def test_cli_helm_refuses_a_config_that_fails_lints(tmp_path: Path) -> None:
    config = langfuse_config()
    config["service"]["pipelines"]["traces"]["processors"] = ["batch"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["helm", "--config", str(path), "--image", "a/b:1"])
    assert result.exit_code == 1 and "service.pipelines.traces.processors" in result.stdout


def test_merged_config_passes_the_real_binary(collector_binary: Path, tmp_path: Path) -> None:
    path = tmp_path / "merged.yaml"
    path.write_text(yaml.safe_dump(merged_values()["config"]))
    result = validate_with_binary(path, collector_binary, env={"MY_POD_IP": "127.0.0.1", "PATH": "/usr/bin:/bin"})
    assert result.ran and result.ok, result.output
