"""The hop to the collector: listen-address checks, receiver TLS/mTLS/auth in generate, validate and gateway-env."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from golden_util import assert_golden
from mcpparity import hop, lints
from mcpparity.cli import main
from mcpparity.collector_binary import validate_with_binary
from mcpparity.collector_config import build_collector_config
from mcpparity.gateway_env import RuntimeTls, build_gateway_env
from mcpparity.settings import SettingsError, SettingsErrors, parse_gateway_settings

ENV = "OTEL_ENABLE_OBSERVABILITY=true\n"
TLS_ARGS = ["--tls-cert", "/etc/mcpparity/tls.crt", "--tls-key", "${env:MCPPARITY_TLS_KEY_FILE}"]


def run(args: list[str]):
    return CliRunner().invoke(main, args, catch_exceptions=False)


def generate(write_env, *extra: str):
    return run(["generate", "--env-file", str(write_env(ENV)), *extra])


def refusal(write_env, *extra: str) -> str:
    result = generate(write_env, *extra)
    assert result.exit_code == 1, result.output
    assert result.stdout == "", "a refusal writes no config"
    return result.stderr


# ---------------------------------------------------------------- listen address

@pytest.mark.parametrize("raw, host", [
    ("127.0.0.1", "127.0.0.1"), ("localhost", "localhost"), ("::1", "[::1]"), ("[::1]", "[::1]"), ("::", "[::]"),
    ("10.0.0.7", "10.0.0.7"), ("otel-collector.svc", "otel-collector.svc"), ("${env:MY_POD_IP}", "${env:MY_POD_IP}"),
])
def test_listen_hosts_are_written_so_the_collector_can_parse_them(raw: str, host: str) -> None:
    assert hop.parse_listen_host(raw) == host
    hop.split_endpoint(f"{host}:4317")  # what the receiver gets must split back


@pytest.mark.parametrize("raw, reason", [
    ("host:80", "without a port"), ("127.0.0.1:4317", "without a port"), ("[::1]:4317", "without a port"),
    ("[nothost]", "exactly [IPv6 address]"), ("", "is empty"), ("bad_host!", "neither an IP address nor a host name"),
    ("999.1.1.1", "neither an IP address nor a host name"),
])
def test_malformed_listen_hosts_are_refused_naming_the_option(raw: str, reason: str) -> None:
    with pytest.raises(SettingsError) as exc:
        hop.parse_listen_host(raw)
    assert exc.value.setting == "--listen-address" and reason in str(exc.value)


@pytest.mark.parametrize("host, loopback", [("127.0.0.1", True), ("127.3.4.5", True), ("[::1]", True), ("localhost", True),
                                            ("0.0.0.0", False), ("[::]", False), ("10.0.0.1", False), ("${env:MY_POD_IP}", False)])
def test_loopback(host: str, loopback: bool) -> None:
    assert hop.is_loopback(host) is loopback


def test_refuses_a_port_in_the_listen_host(write_env) -> None:
    assert "--listen-address: 'host:80': give a host without a port" in refusal(write_env, "--listen-address", "host:80")


def test_ipv6_wildcard_is_bracketed(write_env) -> None:
    result = generate(write_env, "--listen-address", "::", *TLS_ARGS)
    assert result.exit_code == 0, result.output
    config = yaml.safe_load(result.stdout)
    assert config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] == "[::]:4317"
    assert config["extensions"]["health_check"]["endpoint"] == "[::]:13133"


def test_refuses_a_wildcard_without_tls(write_env) -> None:
    stderr = refusal(write_env, "--listen-address", "0.0.0.0")
    assert "--listen-address: 0.0.0.0 is reachable from other hosts" in stderr and "--insecure-listen" in stderr


def test_refuses_a_routable_ipv6_without_tls(write_env) -> None:
    assert "--listen-address: [::] is reachable" in refusal(write_env, "--listen-address", "::")


def test_insecure_listen_is_loud(write_env) -> None:
    result = generate(write_env, "--listen-address", "0.0.0.0", "--insecure-listen", "--auth-token-env", "TOK")
    assert result.exit_code == 0, result.output
    assert "WARNING: --insecure-listen" in result.stderr and "bearer token" in result.stderr
    assert "# WARNING: --insecure-listen" in result.stdout  # the file says so too


# ---------------------------------------------------------------- TLS and auth options

def test_refuses_a_certificate_without_its_key(write_env) -> None:
    assert "--tls-key: TLS needs both --tls-cert and --tls-key" in refusal(write_env, "--tls-cert", "/c.pem")


def test_refuses_a_key_without_its_certificate(write_env) -> None:
    assert "--tls-cert: TLS needs both" in refusal(write_env, "--tls-key", "/k.pem")


def test_refuses_a_client_ca_without_server_tls(write_env) -> None:
    assert "--tls-client-ca: client certificates (mTLS) need server TLS" in refusal(write_env, "--tls-client-ca", "/ca.pem")


def test_refuses_inline_pem(write_env) -> None:
    stderr = refusal(write_env, "--tls-cert", "-----BEGIN CERTIFICATE-----", "--tls-key", "/k.pem")
    assert "--tls-cert: looks like inline PEM" in stderr


def test_refuses_a_partial_env_reference(write_env) -> None:
    assert "--tls-key: '${env:DIR}/k.pem': a reference must be the whole value" in refusal(
        write_env, "--tls-cert", "/c.pem", "--tls-key", "${env:DIR}/k.pem")


def test_refuses_a_bad_token_variable_name(write_env) -> None:
    assert "--auth-token-env: 'not-a-var' is not an environment variable name" in refusal(write_env, "--auth-token-env", "not-a-var")


def test_pure_builder_refuses_with_every_reason() -> None:
    with pytest.raises(SettingsErrors) as exc:
        build_collector_config(parse_gateway_settings({}), listen_host="0.0.0.0", hop_options=hop.HopOptions(tls_client_ca="/ca"))
    assert [e.setting for e in exc.value.errors] == ["--tls-client-ca", "--listen-address"]


def tls_auth_config(write_env, tmp_path: Path, *extra: str) -> tuple[Path, dict]:
    out = tmp_path / "tls.yaml"
    result = generate(write_env, "--listen-address", "0.0.0.0", *TLS_ARGS, "--tls-client-ca", "/etc/mcpparity/ca.crt",
                      "--auth-token-env", hop.DEFAULT_TOKEN_ENV, *extra, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "set MCPPARITY_RECEIVER_TOKEN in the collector's environment" in result.stderr
    return out, yaml.safe_load(out.read_text())


def test_generated_tls_mtls_auth_config_golden(write_env, tmp_path: Path) -> None:
    out, config = tls_auth_config(write_env, tmp_path)
    text = out.read_text().replace(str(tmp_path), "")
    assert_golden("generate_tls_mtls_auth.yaml", text)
    assert lints.lint(config) == []
    grpc = config["receivers"]["otlp"]["protocols"]["grpc"]
    assert grpc["tls"] == {"cert_file": "/etc/mcpparity/tls.crt", "key_file": "${env:MCPPARITY_TLS_KEY_FILE}",
                           "client_ca_file": "/etc/mcpparity/ca.crt", "min_version": "1.2"}
    assert grpc["auth"] == {"authenticator": "bearertokenauth"}
    assert config["extensions"]["bearertokenauth"] == {"token": "${env:MCPPARITY_RECEIVER_TOKEN}"}
    assert config["service"]["extensions"] == ["health_check", "jsondepth", "bearertokenauth"]


def test_generated_tls_auth_config_passes_the_real_binary(write_env, tmp_path: Path, collector_binary: Path) -> None:
    out, _ = tls_auth_config(write_env, tmp_path)
    result = validate_with_binary(out, collector_binary, env={"MCPPARITY_RECEIVER_TOKEN": "t", "MCPPARITY_TLS_KEY_FILE": "/k.pem",
                                                              "PATH": "/usr/bin:/bin"})
    assert result.ran and result.ok, result.output


def test_the_real_binary_refuses_auth_without_the_token(write_env, tmp_path: Path, collector_binary: Path) -> None:
    out, _ = tls_auth_config(write_env, tmp_path)
    text = out.read_text().replace("${env:MCPPARITY_RECEIVER_TOKEN}", "")
    out.write_text(text)
    result = validate_with_binary(out, collector_binary, env={"MCPPARITY_TLS_KEY_FILE": "/k.pem", "PATH": "/usr/bin:/bin"})
    assert result.ran and not result.ok and "no bearer token provided" in result.output


# ---------------------------------------------------------------- validate lints the same

def loopback_config() -> dict:
    return build_collector_config(parse_gateway_settings({})).config


@pytest.mark.parametrize("endpoint, reason", [
    (":::4317", "needs brackets"), ("host:80:4317", "needs brackets"), ("[::1]4317", "is not [IPv6]:port"),
    ("127.0.0.1", "has no port"), ("127.0.0.1:99999", "is not a number"),
])
def test_validate_flags_endpoints_the_collector_cannot_parse(endpoint: str, reason: str) -> None:
    config = loopback_config()
    config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] = endpoint
    findings = [f for f in lints.lint(config, allow_insecure_listen=True) if f.path == "receivers.otlp.protocols.grpc.endpoint"]
    assert len(findings) == 1 and reason in findings[0].message


def test_validate_flags_plaintext_off_the_host() -> None:
    config = loopback_config()
    config["receivers"]["otlp"]["protocols"]["http"]["endpoint"] = "0.0.0.0:4318"
    paths = [f.path for f in lints.lint(config)]
    assert paths == ["receivers.otlp.protocols.http.endpoint"]
    assert lints.lint(config, allow_insecure_listen=True) == []
    config["receivers"]["otlp"]["protocols"]["http"]["tls"] = {"cert_file": "/c", "key_file": "/k"}
    assert lints.lint(config) == []


def test_validate_flags_incomplete_tls_and_a_dangling_authenticator() -> None:
    config = loopback_config()
    grpc = config["receivers"]["otlp"]["protocols"]["grpc"]
    grpc["tls"] = {"cert_file": "/c", "client_ca_file": "/ca"}
    grpc["auth"] = {"authenticator": "bearertokenauth"}
    assert [(f.path, f.message.split(" ")[0]) for f in lints.lint(config)] == [
        ("receivers.otlp.protocols.grpc.tls", "needs"),
        ("receivers.otlp.protocols.grpc.auth.authenticator", "'bearertokenauth'"),
    ]


def test_cli_validate_refuses_then_accepts_insecure_listen_with_a_warning(tmp_path: Path) -> None:
    config = loopback_config()
    config["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"] = "0.0.0.0:4317"
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(config))
    refused = run(["validate", str(path), "--binary", "/nonexistent"])
    assert refused.exit_code == 1 and "receivers.otlp.protocols.grpc.endpoint: binds an address other hosts can reach" in refused.stdout
    accepted = run(["validate", str(path), "--insecure-listen", "--binary", "/nonexistent"])
    assert "WARNING: --insecure-listen: receivers.otlp.protocols.grpc accepts PLAINTEXT" in accepted.stderr
    assert accepted.exit_code == 2  # lints passed; then the missing --binary is a usage error


# ---------------------------------------------------------------- gateway-env for the runtime

def test_gateway_env_points_the_runtime_at_https_with_ca_token_and_client_cert(write_env, tmp_path: Path) -> None:
    out, _ = tls_auth_config(write_env, tmp_path)
    result = run(["gateway-env", "--config", str(out), "--host", "otel.example", "--ca-file", "/run/ca.pem",
                  "--client-cert", "/run/client.pem", "--client-key", "/run/client.key"])
    assert result.exit_code == 0, result.output
    assert_golden("gateway_env_tls_mtls_auth.env", result.stdout)
    env = dict(line.split("=", 1) for line in result.stdout.splitlines() if line and not line.startswith("#"))
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "https://otel.example:4318/v1/traces"
    assert env["OTEL_EXPORTER_OTLP_CERTIFICATE"] == "/run/ca.pem"
    assert env["OTEL_EXPORTER_OTLP_HEADERS"] == "authorization=Bearer ${MCPPARITY_RECEIVER_TOKEN}"
    assert env["OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE"] == "/run/client.pem"
    assert env["OTEL_EXPORTER_OTLP_CLIENT_KEY"] == "/run/client.key"


def test_gateway_env_needs_the_runtime_client_certificate_for_mtls(write_env, tmp_path: Path) -> None:
    out, _ = tls_auth_config(write_env, tmp_path)
    result = run(["gateway-env", "--config", str(out), "--host", "otel.example", "--ca-file", "/run/ca.pem"])
    assert result.exit_code == 1 and "tls.client_ca_file: the receiver wants client certificates" in result.stderr


def test_gateway_env_refuses_an_inline_receiver_token() -> None:
    config = build_collector_config(parse_gateway_settings({}), hop_options=hop.HopOptions(auth_token_env="T")).config
    config["extensions"]["bearertokenauth"]["token"] = "literal"
    with pytest.raises(ValueError, match=r"extensions.bearertokenauth.token: must be \$\{env:VAR\}"):
        build_gateway_env(config)


def test_gateway_env_ipv6_loopback_url_and_plain_http_when_no_tls() -> None:
    config = build_collector_config(parse_gateway_settings({}), listen_host="::1").config
    env = build_gateway_env(config, runtime_tls=RuntimeTls()).render()
    assert "OTEL_EXPORTER_OTLP_ENDPOINT=http://[::1]:4318/v1/traces" in env
    assert "OTEL_EXPORTER_OTLP_CERTIFICATE" not in env and "OTEL_EXPORTER_OTLP_HEADERS=\n" in env
