"""The hop from the Rust runtime to the collector: listen-address checks and the receiver's TLS and auth blocks.

Raw spans carry unredacted secrets (tool arguments, results, headers) until the processor runs, so
the receiver is the trust boundary (docs/security.md). Pure: options in, config blocks or errors out.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from .settings import SettingsError

AUTH_EXTENSION = "bearertokenauth"
DEFAULT_TOKEN_ENV = "MCPPARITY_RECEIVER_TOKEN"
TLS_MIN_VERSION = "1.2"
RECEIVER_PORTS = "4317 (gRPC), 4318 (HTTP) and 13133 (health_check)"

_ENV_REF = re.compile(r"^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HOSTNAME = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
_PORT = re.compile(r"^[0-9]{1,5}$")


@dataclass(frozen=True)
class HopOptions:
    """How the receiver is protected. File options are paths, or `${env:VAR}` naming a variable holding a path."""

    tls_cert: str | None = None
    tls_key: str | None = None
    tls_client_ca: str | None = None
    auth_token_env: str | None = None
    insecure_listen: bool = False

    @property
    def tls(self) -> bool:
        return bool(self.tls_cert or self.tls_key)


def _unbracketed(host: str) -> str:
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def is_loopback(host: str) -> bool:
    """True for `localhost`, 127.0.0.0/8 and ::1: only processes on this host can connect."""
    bare = _unbracketed(host)
    if bare.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False  # a name or a ${env:…} reference: assume it can leave the host


def parse_listen_host(raw: str, option: str = "--listen-address") -> str:
    """The host as it goes before `:port` in an endpoint (IPv6 in brackets); SettingsError naming `option` otherwise."""
    host = raw.strip()
    if not host:
        raise SettingsError(option, "is empty; give a host such as 127.0.0.1")
    if _ENV_REF.match(host):
        return host
    if host.startswith("["):
        inner = host[1:-1] if host.endswith("]") else None
        if inner is None or not _is_ipv6(inner):
            raise SettingsError(option, f"{raw!r}: a bracketed host must be exactly [IPv6 address], without a port (the ports are {RECEIVER_PORTS})")
        return host
    if ":" in host:
        if _is_ipv6(host):
            return f"[{host}]"  # `:::4317` would not parse; `[::]:4317` does
        raise SettingsError(option, f"{raw!r}: give a host without a port (the ports are {RECEIVER_PORTS}); an IPv6 address goes without brackets or as [addr]")
    try:
        ipaddress.IPv4Address(host)
        return host
    except ValueError:
        pass
    if re.match(r"^[0-9.]+$", host) or not _HOSTNAME.match(host):
        raise SettingsError(option, f"{raw!r} is neither an IP address nor a host name")
    return host


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
        return True
    except ValueError:
        return False


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """`host:port` or `[v6]:port` -> (host, port); ValueError with the reason when Go's net.SplitHostPort would refuse it."""
    text = endpoint.strip()
    if text.startswith("["):
        close = text.find("]")
        if close < 0 or not text[close + 1:].startswith(":"):
            raise ValueError(f"{endpoint!r} is not [IPv6]:port")
        host, port = text[:close + 1], text[close + 2:]
        if not _is_ipv6(host[1:-1]):
            raise ValueError(f"{host!r} is not an IPv6 address")
    else:
        host, sep, port = text.rpartition(":")
        if not sep:
            raise ValueError(f"{endpoint!r} has no port (host:port)")
        if ":" in host and not host.startswith("${"):
            raise ValueError(f"{endpoint!r}: an IPv6 host needs brackets ([::]:4317), and a host must not carry its own port")
    if not (_PORT.match(port) and int(port) <= 65535) and not port.startswith("${"):
        raise ValueError(f"{endpoint!r}: port {port!r} is not a number from 0 to 65535")
    return host, port


def _file_reference_error(option: str, value: str) -> SettingsError | None:
    text = value.strip()
    if not text:
        return SettingsError(option, "is empty; give a file path or ${env:VAR}")
    if "-----BEGIN" in text or "\n" in text:
        return SettingsError(option, "looks like inline PEM; give the file's path (key material never goes into a config)")
    if "${" in text and not _ENV_REF.match(text):
        return SettingsError(option, f"{value!r}: a reference must be the whole value, ${{env:VAR}}")
    return None


def hop_errors(host: str, options: HopOptions) -> list[SettingsError]:
    """Every reason to refuse this receiver: incomplete TLS, a bad token variable, plaintext off the host."""
    errors: list[SettingsError] = []
    for option, value in (("--tls-cert", options.tls_cert), ("--tls-key", options.tls_key), ("--tls-client-ca", options.tls_client_ca)):
        if value is not None:
            error = _file_reference_error(option, value)
            if error is not None:
                errors.append(error)
    if bool(options.tls_cert) != bool(options.tls_key):
        missing = "--tls-key" if options.tls_cert else "--tls-cert"
        errors.append(SettingsError(missing, "TLS needs both --tls-cert and --tls-key"))
    if options.tls_client_ca and not options.tls:
        errors.append(SettingsError("--tls-client-ca", "client certificates (mTLS) need server TLS: add --tls-cert and --tls-key"))
    if options.auth_token_env is not None and not _ENV_NAME.match(options.auth_token_env):
        errors.append(SettingsError("--auth-token-env", f"{options.auth_token_env!r} is not an environment variable name"))
    if not is_loopback(host) and not options.tls and not options.insecure_listen:
        errors.append(SettingsError(
            "--listen-address",
            f"{host} is reachable from other hosts, and raw spans carry unredacted secrets and are accepted under any identity: "
            "add --tls-cert and --tls-key (and --auth-token-env or --tls-client-ca), bind 127.0.0.1, "
            "or pass --insecure-listen on a network you trust",
        ))
    return errors


def hop_warnings(host: str, options: HopOptions) -> list[str]:
    """Loud operator warnings for what is allowed but unsafe."""
    warnings: list[str] = []
    if not is_loopback(host) and not options.tls:
        warnings.append(
            f"WARNING: --insecure-listen: the receiver on {host} accepts PLAINTEXT OTLP from anyone who can reach it; "
            "raw spans (unredacted tool arguments, results and headers) cross the network readable"
            + (" and the bearer token with them" if options.auth_token_env else "")
        )
    return warnings


def receiver_protocol_security(options: HopOptions) -> dict[str, Any]:
    """The `tls:` and `auth:` keys of one otlp receiver protocol (grpc or http)."""
    block: dict[str, Any] = {}
    if options.tls:
        tls: dict[str, Any] = {"cert_file": options.tls_cert, "key_file": options.tls_key}
        if options.tls_client_ca:
            tls["client_ca_file"] = options.tls_client_ca
        tls["min_version"] = TLS_MIN_VERSION
        block["tls"] = tls
    if options.auth_token_env:
        block["auth"] = {"authenticator": AUTH_EXTENSION}
    return block


def auth_extension(options: HopOptions) -> dict[str, Any] | None:
    """The bearertokenauth extension body; the token only ever as ${env:VAR} (unset: the collector refuses to start)."""
    if not options.auth_token_env:
        return None
    return {"token": f"${{env:{options.auth_token_env}}}"}


def receiver_security(protocol_body: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(tls block, authenticator id) of one receiver protocol of an existing config."""
    if not isinstance(protocol_body, dict):
        return None, None
    tls = protocol_body.get("tls") if isinstance(protocol_body.get("tls"), dict) else None
    auth = protocol_body.get("auth") if isinstance(protocol_body.get("auth"), dict) else None
    authenticator = auth.get("authenticator") if auth else None
    return tls, (str(authenticator) if authenticator else None)


def has_server_certificate(tls: dict[str, Any] | None) -> bool:
    return bool(tls) and bool(tls.get("cert_file") or tls.get("cert_pem"))
