"""The hop over TLS: the built collector with a TLS + bearer-token receiver and an mTLS receiver (a
throwaway CA made here, 127.0.0.1 only), fed by raw-span-replay over OTLP/HTTP and gRPC.
Spans arrive with the right CA, token and client certificate; a wrong token, a missing client
certificate, an untrusted server or plaintext are refused and nothing of them is exported."""

from __future__ import annotations

import datetime
import ipaddress
import os
import subprocess
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from e2e_collector import collector_config
from lib.collector import Collector

REPO = Path(__file__).resolve().parents[2]
REPLAY = Path(os.environ.get("MCPPARITY_REPLAY") or REPO / "emitter" / "target" / "release" / "raw-span-replay")
FACTS = REPO / "tests" / "parity" / "cases" / "a_success_mcp.json"  # no incoming traceparent: a new trace per replay
TOKEN_ENV = "MCPPARITY_RECEIVER_TOKEN"
TOKEN = "e2e-receiver-token-5f3a"
REPLAY_TIMEOUT_S = 60


# ---------------------------------------------------------------- a throwaway PKI

def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write(path: Path, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey | None = None) -> None:
    path.with_suffix(".crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None:
        path.with_suffix(".key").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()))


def _ca(directory: Path, name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name)).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                         key_encipherment=False, data_encipherment=False, key_agreement=False,
                                         encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    _write(directory / name, cert)
    return cert, key


def _leaf(directory: Path, name: str, ca: tuple[x509.Certificate, ec.EllipticCurvePrivateKey], server: bool) -> None:
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(ca_cert.subject).public_key(key.public_key())
               .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
               .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH if server else ExtendedKeyUsageOID.CLIENT_AUTH]),
                              critical=False)
               .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False))
    if server:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                                     x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                        critical=False)
    _write(directory / name, builder.sign(ca_key, hashes.SHA256()), key)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ca.crt signs server.crt (127.0.0.1) and client.crt; other-ca.crt signs stranger.crt (a client it does not know)."""
    directory = tmp_path_factory.mktemp("pki")
    ca = _ca(directory, "ca")
    _leaf(directory, "server", ca, server=True)
    _leaf(directory, "client", ca, server=False)
    other = _ca(directory, "other-ca")
    _leaf(directory, "stranger", other, server=False)
    return directory


# ---------------------------------------------------------------- collectors and the replay

@pytest.fixture(scope="module")
def replay_binary() -> Path:
    if not REPLAY.is_file():
        pytest.fail(f"{REPLAY} is missing: run `make emitter` (make test-py does) before the e2e suite", pytrace=False)
    if not FACTS.is_file():
        pytest.fail(f"{FACTS} is missing from the checkout", pytrace=False)
    return REPLAY


def secured_config(out_file: Path, pki: Path, client_ca: bool, token: bool) -> dict[str, Any]:
    config = collector_config({"raw_scope_names": ["contextforge.mcp_runtime"]}, out_file)
    tls: dict[str, Any] = {"cert_file": str(pki / "server.crt"), "key_file": str(pki / "server.key"), "min_version": "1.2"}
    if client_ca:
        tls["client_ca_file"] = str(pki / "ca.crt")
    for protocol in config["receivers"]["otlp"]["protocols"].values():
        protocol["tls"] = dict(tls)
        if token:
            protocol["auth"] = {"authenticator": "bearertokenauth"}
    if token:
        config["extensions"]["bearertokenauth"] = {"token": "${env:%s}" % TOKEN_ENV}
        config["service"]["extensions"].append("bearertokenauth")
    return config


@pytest.fixture
def start_secured(tmp_path: Path, pki: Path, built_collector: Path) -> Iterator[Callable[..., Collector]]:
    started: list[Collector] = []

    def start(client_ca: bool, token: bool) -> Collector:
        workdir = tmp_path / f"collector{len(started)}"
        workdir.mkdir()
        collector = Collector(workdir, secured_config(workdir / "traces.jsonl", pki, client_ca, token), env={TOKEN_ENV: TOKEN})
        started.append(collector)
        collector.start()
        return collector

    yield start
    for collector in started:
        collector.stop()


def replay(binary: Path, endpoint: str, protocol: str, *args: str, token: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_")}
    extra = list(args)
    if token is not None:
        env["E2E_TOKEN"] = token
        extra += ["--bearer-token-env", "E2E_TOKEN"]
    return subprocess.run([str(binary), "--facts", str(FACTS), "--endpoint", endpoint, "--protocol", protocol,
                           "--timeout-ms", "5000", *extra],
                          capture_output=True, text=True, timeout=REPLAY_TIMEOUT_S, env=env, stdin=subprocess.DEVNULL)


def endpoint(collector: Collector, protocol: str, scheme: str = "https") -> str:
    assert collector.ports is not None
    return f"{scheme}://127.0.0.1:{collector.ports.http}/v1/traces" if protocol == "http" else f"{scheme}://127.0.0.1:{collector.ports.grpc}"


def assert_only_one_trace_arrives(collector: Collector) -> None:
    """The accepted replay's spans arrive; refused replays ran before it, so any span of theirs would show as a second trace."""
    spans = collector.wait_for_spans(1)
    assert len({s["traceId"] for s in spans}) == 1, f"refused exports reached the exporter: {sorted({s['traceId'] for s in spans})}"
    assert "tool.invoke" in {s["name"] for s in spans}, sorted({s["name"] for s in spans})


def assert_refused(result: subprocess.CompletedProcess[str], reason: str = "export failed") -> None:
    assert result.returncode == 1, f"rc={result.returncode}\n{result.stderr}"
    assert "raw-span-replay:" in result.stderr and reason in result.stderr, result.stderr
    assert TOKEN not in result.stderr and "wrong-token" not in result.stderr, "a message quoted a token"


# ---------------------------------------------------------------- TLS + bearer token

@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_tls_with_bearer_token(protocol: str, start_secured, pki: Path, replay_binary: Path) -> None:
    collector = start_secured(client_ca=False, token=True)
    ca = ["--ca-file", str(pki / "ca.crt")]
    unauthenticated = "status code: 401" if protocol == "http" else "gRPC code: Unauthenticated"
    assert_refused(replay(replay_binary, endpoint(collector, protocol), protocol, *ca, token="wrong-token"), unauthenticated)
    assert_refused(replay(replay_binary, endpoint(collector, protocol), protocol, *ca), unauthenticated)  # no token at all
    # a server certificate the runtime's CA did not sign
    assert_refused(replay(replay_binary, endpoint(collector, protocol), protocol, "--ca-file", str(pki / "other-ca.crt"), token=TOKEN))
    # plaintext to the TLS port
    assert_refused(replay(replay_binary, endpoint(collector, protocol, "http"), protocol, token=TOKEN))
    accepted = replay(replay_binary, endpoint(collector, protocol), protocol, *ca, token=TOKEN)
    assert accepted.returncode == 0, accepted.stderr
    assert_only_one_trace_arrives(collector)


# ---------------------------------------------------------------- mTLS

@pytest.mark.parametrize("protocol", ["http", "grpc"])
def test_mtls_needs_a_client_certificate_from_the_trusted_ca(protocol: str, start_secured, pki: Path, replay_binary: Path) -> None:
    collector = start_secured(client_ca=True, token=False)
    ca = ["--ca-file", str(pki / "ca.crt")]
    assert_refused(replay(replay_binary, endpoint(collector, protocol), protocol, *ca))
    assert_refused(replay(replay_binary, endpoint(collector, protocol), protocol, *ca,
                          "--client-cert", str(pki / "stranger.crt"), "--client-key", str(pki / "stranger.key")))
    accepted = replay(replay_binary, endpoint(collector, protocol), protocol, *ca,
                      "--client-cert", str(pki / "client.crt"), "--client-key", str(pki / "client.key"))
    assert accepted.returncode == 0, accepted.stderr
    assert_only_one_trace_arrives(collector)


def test_replay_refuses_tls_files_for_a_plaintext_endpoint_and_a_missing_token_variable(pki: Path, replay_binary: Path) -> None:
    result = replay(replay_binary, "http://127.0.0.1:9/v1/traces", "http", "--ca-file", str(pki / "ca.crt"))
    assert result.returncode == 1 and "not https://" in result.stderr
    env_missing = subprocess.run([str(replay_binary), "--facts", str(FACTS), "--endpoint", "https://127.0.0.1:9/v1/traces",
                                  "--bearer-token-env", "MCPPARITY_E2E_UNSET_TOKEN"],
                                 capture_output=True, text=True, timeout=REPLAY_TIMEOUT_S,
                                 env={k: v for k, v in os.environ.items() if k != "MCPPARITY_E2E_UNSET_TOKEN"})
    assert env_missing.returncode == 1 and "MCPPARITY_E2E_UNSET_TOKEN: the variable is unset or empty" in env_missing.stderr


def test_check_probes_a_tls_receiver_with_the_runtimes_credentials(start_secured, pki: Path) -> None:
    from mcpparity import probe  # the configurator's `mcpparity check`

    collector = start_secured(client_ca=False, token=True)
    assert collector.ports is not None
    health = f"http://127.0.0.1:{collector.ports.health}/"
    url = endpoint(collector, "http")
    ok = probe.check(url, health, hop=probe.HopCredentials(ca_file=str(pki / "ca.crt"), token=TOKEN))
    assert all(r.ok for r in ok), ok
    no_token = probe.check(url, health, hop=probe.HopCredentials(ca_file=str(pki / "ca.crt")))
    assert not no_token[1].ok and "answered 401" in no_token[1].message
    untrusted = probe.check(url, health, hop=probe.HopCredentials(ca_file=str(pki / "other-ca.crt"), token=TOKEN))
    assert not untrusted[1].ok and "TLS failed" in untrusted[1].message and TOKEN not in untrusted[1].message
