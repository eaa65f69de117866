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
from mcpparity.hop import HopOptions
from mcpparity.settings import parse_gateway_settings

LF = "https://cloud.langfuse.com/api/public/otel/v1/traces"
B64 = "cGstbGYtYTpzay1sZi1i"


TLS = HopOptions(tls_cert="/etc/mcpparity/tls.crt", tls_key="/etc/mcpparity/tls.key", tls_client_ca="/etc/mcpparity/ca.crt",
                 auth_token_env="MCPPARITY_RECEIVER_TOKEN")
GATEWAY_LABELS = {"app": "mcp-stack-mcpgateway"}
# A plaintext receiver behind the NetworkPolicy: the values of the other features without the TLS volume.
PLAINTEXT_POD = {"gateway_labels": GATEWAY_LABELS, "insecure_listen": True}


def langfuse_config(hop_options: HopOptions = TLS) -> dict:
    settings = parse_gateway_settings({"LANGFUSE_OTEL_ENDPOINT": LF, "LANGFUSE_OTEL_AUTH": B64})
    return build_collector_config(settings, hop_options=hop_options).config


def chart_defaults() -> dict:
    path = HELM_CHART / "values.yaml"  # vendored; conftest fails the suite when it is missing
    return yaml.safe_load(path.read_text())


def merged_values() -> dict:
    values = helm.build_values(langfuse_config(), image="ghcr.io/acme/otelcol-mcpparity:0.1.0", secret="langfuse",
                               tls_secret="mcpparity-tls", gateway_labels=GATEWAY_LABELS).values
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
    assert set(config["exporters"]) == {"otlp_http/langfuse"}
    assert set(config["service"]["pipelines"]) == {"traces"}
    assert config["service"]["pipelines"]["traces"]["processors"] == ["memory_limiter", "mcpparity"]
    assert config["extensions"]["health_check"]["endpoint"] == "${env:MY_POD_IP}:13133"
    assert config["service"]["extensions"] == ["health_check", "jsondepth", "file_storage/queue", "bearertokenauth"]
    for protocol in ("grpc", "http"):
        assert config["receivers"]["otlp"]["protocols"][protocol]["tls"] == {
            "cert_file": f"{helm.TLS_MOUNT}/tls.crt", "key_file": f"{helm.TLS_MOUNT}/tls.key",
            "client_ca_file": f"{helm.TLS_MOUNT}/ca.crt", "min_version": "1.2"}
        assert config["receivers"]["otlp"]["protocols"][protocol]["auth"] == {"authenticator": "bearertokenauth"}
    assert lints.lint(config) == []


def test_values_ports_env_and_limits() -> None:
    values = merged_values()
    assert values["command"]["name"] == "otelcol-mcpparity"
    assert values["mode"] == "deployment"
    assert {name for name, port in values["ports"].items() if port["enabled"]} == {"otlp", "otlp-http"}
    assert values["extraEnvs"] == [{"name": key, "valueFrom": {"secretKeyRef": {"name": "langfuse", "key": key}}}
                                   for key in ("LANGFUSE_OTEL_AUTH", "MCPPARITY_RECEIVER_TOKEN")]
    tls_volume = {"name": "mcpparity-tls", "secret": {"secretName": "mcpparity-tls", "defaultMode": 0o444}}
    assert [v for v in values["extraVolumes"] if v["name"] == "mcpparity-tls"] == [tls_volume]
    assert [m for m in values["extraVolumeMounts"] if m["name"] == "mcpparity-tls"] == [
        {"name": "mcpparity-tls", "mountPath": helm.TLS_MOUNT, "readOnly": True}]
    assert len(values["extraVolumes"]) == 2, "the queue's volume stays beside the TLS secret's"
    assert values["networkPolicy"]["enabled"] is True
    assert values["networkPolicy"]["allowIngressFrom"] == [{"podSelector": {"matchLabels": GATEWAY_LABELS}}]
    assert values["resources"]["limits"]["memory"] == "512Mi"
    assert values["resources"]["requests"] == {"cpu": "500m", "memory": "512Mi", "ephemeral-storage": "2048Mi"}
    assert B64 not in yaml.safe_dump(values)


@pytest.mark.parametrize("limit, limit_mib, spike_mib", [("512Mi", 409, 102), ("1Gi", 819, 204), ("2000M", 1525, 381)])
def test_memory_limiter_comes_from_the_pod_limit_not_percentages(limit: str, limit_mib: int, spike_mib: int) -> None:
    values = helm.build_values(langfuse_config(HopOptions()), image="a/b:1", memory_limit=limit, **PLAINTEXT_POD).values
    limiter = helm.coalesce(chart_defaults(), values)["config"]["processors"]["memory_limiter"]
    assert limiter == {"check_interval": "1s", "limit_mib": limit_mib, "spike_limit_mib": spike_mib}  # chart percentages deleted
    assert values["resources"]["limits"]["memory"] == limit


def test_bad_memory_quantity_is_refused() -> None:
    with pytest.raises(ValueError, match="--memory-limit '512MB' is not a Kubernetes memory quantity"):
        helm.build_values(langfuse_config(HopOptions()), image="a/b:1", memory_limit="512MB", **PLAINTEXT_POD)


def test_queue_lives_on_an_emptydir_by_default() -> None:
    result = helm.build_values(langfuse_config(HopOptions()), image="a/b:1", **PLAINTEXT_POD)
    values = result.values
    assert values["config"]["extensions"]["file_storage/queue"]["directory"] == helm.QUEUE_MOUNT_PATH
    assert values["config"]["extensions"]["file_storage/queue"]["compaction"]["directory"] == helm.QUEUE_MOUNT_PATH
    assert values["extraVolumes"] == [{"name": "queue", "emptyDir": {}}]
    assert values["extraVolumeMounts"] == [{"name": "queue", "mountPath": "/var/lib/otelcol/queue"}]
    assert any("emptyDir" in note for note in result.notes)


def test_queue_on_an_existing_claim_or_per_replica_claims() -> None:
    claimed = helm.build_values(langfuse_config(HopOptions()), image="a/b:1", queue_claim="otelcol-queue", **PLAINTEXT_POD).values
    assert claimed["extraVolumes"] == [{"name": "queue", "persistentVolumeClaim": {"claimName": "otelcol-queue"}}]
    assert "ephemeral-storage" not in claimed["resources"]["requests"]
    stateful = helm.build_values(langfuse_config(HopOptions()), image="a/b:1", mode="statefulset", **PLAINTEXT_POD).values
    assert "extraVolumes" not in stateful
    assert stateful["statefulset"]["volumeClaimTemplates"] == [{"metadata": {"name": "queue"}, "spec": {
        "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2048Mi"}}}}]
    with pytest.raises(ValueError, match="--queue-claim"):
        helm.build_values(langfuse_config(HopOptions()), image="a/b:1", mode="statefulset", queue_claim="x", **PLAINTEXT_POD)


def test_config_without_a_queue_gets_no_volume() -> None:
    local = build_collector_config(parse_gateway_settings({}), exporter="debug").config
    values = helm.build_values(local, image="a/b:1", **PLAINTEXT_POD).values
    assert "extraVolumes" not in values and "ephemeral-storage" not in values["resources"]["requests"]
    with pytest.raises(ValueError, match="--queue-claim: the config has no file_storage queue"):
        helm.build_values(local, image="a/b:1", queue_claim="q", **PLAINTEXT_POD)


def test_values_pass_the_charts_schema() -> None:
    schema_path = HELM_CHART / "values.schema.json"  # vendored; conftest fails the suite when it is missing
    schema = json.loads(schema_path.read_text())
    validator = jsonschema.Draft7Validator(schema)  # the chart declares the draft-agnostic "http://json-schema.org/schema#"
    assert list(validator.iter_errors(merged_values())) == []
    for variant in ({"mode": "statefulset"}, {"queue_claim": "otelcol-queue"}):
        values = helm.build_values(langfuse_config(), image="a/b:1", tls_secret="mcpparity-tls", gateway_labels=GATEWAY_LABELS,
                                   **variant).values
        assert list(validator.iter_errors(helm.coalesce(chart_defaults(), values))) == [], variant
    broken = merged_values()
    broken["command"]["unknown"] = 1
    assert [e.message for e in validator.iter_errors(broken)] == ["Additional properties are not allowed ('unknown' was unexpected)"]


def test_cli_helm_golden(tmp_path: Path) -> None:
    config = tmp_path / "langfuse.yaml"
    config.write_text(yaml.safe_dump(langfuse_config(), sort_keys=False))
    result = CliRunner().invoke(main, ["helm", "--config", str(config), "--image", "ghcr.io/acme/otelcol-mcpparity:0.1.0",
                                       "--mode", "daemonset", "--secret", "langfuse", "--tls-secret", "mcpparity-tls",
                                       "--gateway-pod-label", "app=mcp-stack-mcpgateway"])
    assert result.exit_code == 0, result.output
    assert_golden("helm_langfuse_values.yaml", result.stdout.replace(str(config), "langfuse.yaml"))
    assert ("kubectl create secret generic langfuse --from-literal=LANGFUSE_OTEL_AUTH=… --from-literal=MCPPARITY_RECEIVER_TOKEN=…"
            in result.stderr)


def helm_cli(tmp_path: Path, config: dict, *extra: str):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return CliRunner().invoke(main, ["helm", "--config", str(path), "--image", "a/b:1", *extra])


def test_cli_helm_refuses_a_plaintext_receiver_on_the_pod_ip(tmp_path: Path) -> None:
    result = helm_cli(tmp_path, langfuse_config(HopOptions()), "--gateway-pod-label", "app=gw")
    assert result.exit_code == 1
    assert "refused:" in result.stderr and "--tls-secret" in result.stderr and "--insecure-listen" in result.stderr


def test_cli_helm_insecure_listen_warns_and_keeps_the_network_policy(tmp_path: Path) -> None:
    result = helm_cli(tmp_path, langfuse_config(HopOptions()), "--gateway-pod-label", "app=gw", "--insecure-listen")
    assert result.exit_code == 0, result.output
    assert "WARNING: --insecure-listen" in result.stderr
    values = yaml.safe_load(result.stdout)
    assert "tls" not in values["config"]["receivers"]["otlp"]["protocols"]["grpc"]
    assert values["networkPolicy"] == {"enabled": True, "allowIngressFrom": [{"podSelector": {"matchLabels": {"app": "gw"}}}]}
    assert [v["name"] for v in values.get("extraVolumes", [])] == ["queue"]  # no TLS secret volume


def test_cli_helm_refuses_a_tls_config_without_the_tls_secret(tmp_path: Path) -> None:
    result = helm_cli(tmp_path, langfuse_config(), "--gateway-pod-label", "app=gw")
    assert result.exit_code == 1 and "receivers.otlp.protocols.grpc.tls" in result.stderr and "--tls-secret" in result.stderr


def test_cli_helm_needs_the_gateway_pod_labels(tmp_path: Path) -> None:
    result = helm_cli(tmp_path, langfuse_config(), "--tls-secret", "t")
    assert result.exit_code == 2 and "--gateway-pod-label" in result.stderr
    result = helm_cli(tmp_path, langfuse_config(), "--tls-secret", "t", "--gateway-pod-label", "no-equals")
    assert result.exit_code == 2 and "'no-equals' is not KEY=VALUE" in result.stderr


def test_tls_secret_turns_tls_on_for_a_plaintext_config() -> None:
    values = helm.build_values(langfuse_config(HopOptions()), image="a/b:1", tls_secret="t", gateway_labels={"app": "gw"}).values
    tls = values["config"]["receivers"]["otlp"]["protocols"]["http"]["tls"]
    assert tls == {"cert_file": f"{helm.TLS_MOUNT}/tls.crt", "key_file": f"{helm.TLS_MOUNT}/tls.key", "min_version": "1.2"}


def test_cli_helm_refuses_a_config_that_fails_lints(tmp_path: Path) -> None:
    config = langfuse_config()
    config["service"]["pipelines"]["traces"]["processors"] = ["memory_limiter"]
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = CliRunner().invoke(main, ["helm", "--config", str(path), "--image", "a/b:1", "--tls-secret", "t", "--gateway-pod-label", "app=gw"])
    assert result.exit_code == 1 and "service.pipelines.traces.processors" in result.stdout


def test_merged_config_passes_the_real_binary(collector_binary: Path, tmp_path: Path) -> None:
    path = tmp_path / "merged.yaml"
    path.write_text(yaml.safe_dump(merged_values()["config"]))
    result = validate_with_binary(path, collector_binary, env={"MY_POD_IP": "127.0.0.1", "MCPPARITY_RECEIVER_TOKEN": "t",
                                                               "PATH": "/usr/bin:/bin"})
    assert result.ran and result.ok, result.output
