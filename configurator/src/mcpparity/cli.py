"""`mcpparity`: a thin click layer over the pure modules. Status lines go to stderr, data to stdout or -o."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn

import click
import yaml

from . import collector_binary, gateway_env, helm, hop, lints, probe, spandiff, yamlout
from .collector_config import (DEFAULT_FILE_PATH, DEFAULT_LISTEN_HOST, DEFAULT_MEMORY_LIMIT_MIB, DEFAULT_QUEUE_DIR,
                               DEFAULT_QUEUE_SIZE_MIB, EXPORTER_CHOICES, build_collector_config)
from .settings import SettingsErrors, parse_gateway_settings, parse_set_options, read_env_file

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2

HELP = """Configure and check otelcol-mcpparity from the ContextForge gateway's own settings.

\b
Exit codes (every command):
  0  success (diff: the dumps are the same)
  1  refused, invalid or different: the messages say what and where
  2  usage or input error (missing file, unreadable input)
"""


def status(message: str) -> None:
    click.echo(f"mcpparity: {message}", err=True)


def fail(code: int, message: str) -> NoReturn:
    status(message)
    sys.exit(code)


def write_output(text: str, output: str | None) -> None:
    """stdout, or the file written whole (a temp file renamed over it), so a refusal never leaves a partial file."""
    if output is None or output == "-":
        click.echo(text, nl=False)
        return
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, target)
    status(f"wrote {output}")


def load_yaml_file(path: str) -> Any:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(EXIT_USAGE, f"{path}: {exc.strerror or exc}")
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        fail(EXIT_FAILED, f"{path}: not valid YAML: {exc}")


@click.group(help=HELP)
@click.version_option(package_name="mcpparity")
def main() -> None:
    pass


@main.command()
@click.option("--env-file", required=True, type=click.Path(dir_okay=False), help="The gateway's .env file (OTEL_*, LANGFUSE_*, DEPLOYMENT_ENV).")
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override one gateway setting (repeatable).")
@click.option("--exporter", type=click.Choice(EXPORTER_CHOICES), default="auto", show_default=True,
              help="auto: what the gateway would have exported to (Langfuse, OTLP; no endpoint: file).")
@click.option("--file-path", default=DEFAULT_FILE_PATH, show_default=True, help="Output of the file exporter.")
@click.option("--listen-address", default=DEFAULT_LISTEN_HOST, show_default=True,
              help="Host (no port; IPv6 as ::1 or [::1]) the OTLP receiver and health_check bind to. Off loopback it needs TLS or --insecure-listen.")
@click.option("--tls-cert", default=None, help="Receiver TLS certificate: a PEM file path, or ${env:VAR} holding one.")
@click.option("--tls-key", default=None, help="Receiver TLS private key: a PEM file path, or ${env:VAR} holding one.")
@click.option("--tls-client-ca", default=None, help="CA that client certificates must chain to (mTLS): a PEM file path or ${env:VAR}.")
@click.option("--auth-token-env", default=None, metavar="VAR",
              help=f"Require `authorization: Bearer $VAR` on every export (bearertokenauth); e.g. {hop.DEFAULT_TOKEN_ENV}.")
@click.option("--insecure-listen", is_flag=True, help="Allow a plaintext receiver off loopback (a network you trust; warns loudly).")
@click.option("--queue-dir", default=DEFAULT_QUEUE_DIR, show_default=True,
              help="Directory of the persistent sending queue (file_storage); keep it across restarts.")
@click.option("--queue-size-mib", default=DEFAULT_QUEUE_SIZE_MIB, show_default=True, type=int,
              help="Spans the queue holds on disk (MiB of OTLP data; the directory needs about twice that).")
@click.option("--memory-limit-mib", default=DEFAULT_MEMORY_LIMIT_MIB, show_default=True, type=int,
              help="Memory the collector process may use; memory_limiter refuses spans above 60 % of it.")
@click.option("-o", "--output", default=None, help="Write the config here (default: stdout).")
def generate(env_file: str, overrides: tuple[str, ...], exporter: str, file_path: str, listen_address: str,
             tls_cert: str | None, tls_key: str | None, tls_client_ca: str | None, auth_token_env: str | None,
             insecure_listen: bool, queue_dir: str, queue_size_mib: int, memory_limit_mib: int, output: str | None) -> None:
    """Turn the gateway's settings into a collector config. Secrets are never written."""
    hop_options = hop.HopOptions(tls_cert=tls_cert, tls_key=tls_key, tls_client_ca=tls_client_ca,
                                 auth_token_env=auth_token_env, insecure_listen=insecure_listen)
    if not Path(env_file).is_file():
        fail(EXIT_USAGE, f"--env-file {env_file}: no such file")
    try:
        env = read_env_file(env_file)
        env.update(parse_set_options(list(overrides)))
        settings = parse_gateway_settings(env)
        generated = build_collector_config(settings, exporter=exporter, file_path=file_path, listen_host=listen_address,
                                           hop_options=hop_options,
                                           queue_dir=queue_dir, memory_limit_mib=memory_limit_mib, queue_size_mib=queue_size_mib)
    except SettingsErrors as exc:
        for error in exc.errors:
            status(f"refused: {error}")
        fail(EXIT_FAILED, "nothing written")
    header = [f"Generated by `mcpparity generate --env-file {env_file}"
              + "".join(f" --set {o.split('=', 1)[0]}=…" for o in overrides)
              + (f" --exporter {exporter}" if exporter != "auto" else "")
              + (f" --listen-address {listen_address}" if listen_address != DEFAULT_LISTEN_HOST else "")
              + "".join(f" {flag}" for flag, on in (("--tls-cert …", tls_cert), ("--tls-client-ca …", tls_client_ca),
                                                    (f"--auth-token-env {auth_token_env}", auth_token_env),
                                                    ("--insecure-listen", insecure_listen)) if on)
              + (f" --queue-dir {queue_dir}" if queue_dir != DEFAULT_QUEUE_DIR else "")
              + (f" --queue-size-mib {queue_size_mib}" if queue_size_mib != DEFAULT_QUEUE_SIZE_MIB else "")
              + (f" --memory-limit-mib {memory_limit_mib}" if memory_limit_mib != DEFAULT_MEMORY_LIMIT_MIB else "") + "`.",
              "Do not edit: change the gateway settings and regenerate (`make configs` for collector-config/)."]
    for required in generated.required_env:
        header.append(f"ACTION: set {required.name} in the collector's environment: {required.how}")
    header.extend(generated.warnings)
    write_output(yamlout.render(generated.config, generated.comments, "\n".join(header)), output)
    for warning in generated.warnings:
        status(warning)
    for note in settings.notes:
        status(f"note: {note}")
    for required in generated.required_env:
        status(f"set {required.name} in the collector's environment: {required.how}")


def warn_plaintext_off_host(config: Any) -> None:
    for path in lints.plaintext_off_host(config) if isinstance(config, dict) else []:
        status(f"WARNING: --insecure-listen: {path} accepts PLAINTEXT OTLP from other hosts; raw spans cross the network readable")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--binary", default=None, type=click.Path(dir_okay=False),
              help="otelcol-mcpparity to run `validate` with (default: $MCPPARITY_COLLECTOR or the checkout's bin/otelcol-mcpparity).")
@click.option("--insecure-listen", is_flag=True, help="Accept a plaintext receiver off loopback (warns loudly).")
def validate(config: str, binary: str | None, insecure_listen: bool) -> None:
    """Lint a collector config (key paths named), then run the collector's own `validate`."""
    data = load_yaml_file(config)
    findings = lints.lint(data, allow_insecure_listen=insecure_listen)
    for finding in findings:
        click.echo(str(finding))
    if findings:
        fail(EXIT_FAILED, f"{config}: {len(findings)} problem(s)")
    warn_plaintext_off_host(data)
    status(f"{config}: lints passed")
    if binary is not None and not Path(binary).is_file():
        fail(EXIT_USAGE, f"--binary {binary}: no such file")
    result = collector_binary.validate_with_binary(config, binary)
    if not result.ran:
        status(f"skipped the collector's validate: {result.output}")
        return
    if result.placeholders:
        status(f"placeholder values for unset variables: {', '.join(result.placeholders)}")
    if not result.ok:
        click.echo(result.output)
        fail(EXIT_FAILED, f"{config}: {result.binary} validate failed")
    status(f"{config}: {result.binary} validate passed")


@main.command("helm")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="A collector config (e.g. from generate).")
@click.option("--image", required=True, help="REPOSITORY:TAG of the otelcol-mcpparity image.")
@click.option("--mode", type=click.Choice(helm.MODES), default="deployment", show_default=True)
@click.option("--secret", default="otelcol-mcpparity", show_default=True, help="Kubernetes secret holding the referenced ${env:…} variables.")
@click.option("--memory-limit", default=helm.DEFAULT_MEMORY_LIMIT, show_default=True,
              help="resources.limits.memory; memory_limiter's limit_mib/spike_limit_mib are derived from it.")
@click.option("--queue-claim", default=None, help="An existing PersistentVolumeClaim for the persistent queue "
              "(default: an emptyDir; statefulset mode: one claim per replica).")
@click.option("--tls-secret", default=None, help="kubernetes.io/tls Secret with tls.crt, tls.key (and ca.crt for mTLS), mounted for the receiver.")
@click.option("--gateway-pod-label", "gateway_pod_labels", multiple=True, metavar="KEY=VALUE",
              help="Label of the gateway's pods (repeatable): the NetworkPolicy admits only them to the receiver.")
@click.option("--insecure-listen", is_flag=True, help="Allow a plaintext receiver on the pod IP (warns loudly).")
@click.option("-o", "--output", default=None, help="Write the values here (default: stdout).")
def helm_command(config_path: str, image: str, mode: str, secret: str, memory_limit: str, queue_claim: str | None,
                 tls_secret: str | None, gateway_pod_labels: tuple[str, ...], insecure_listen: bool, output: str | None) -> None:
    """Values for the official opentelemetry-collector chart 0.170.x running our image and config."""
    data = load_yaml_file(config_path)
    findings = lints.lint(data, allow_insecure_listen=insecure_listen)
    if findings:
        for finding in findings:
            click.echo(str(finding))
        fail(EXIT_FAILED, f"{config_path}: fix these before deploying")
    try:
        labels = helm.parse_pod_labels(gateway_pod_labels)
        result = helm.build_values(data, image=image, mode=mode, secret=secret, memory_limit=memory_limit, queue_claim=queue_claim,
                                   tls_secret=tls_secret, gateway_labels=labels, insecure_listen=insecure_listen)
    except helm.Refused as exc:
        fail(EXIT_FAILED, f"refused: {exc}")
    except ValueError as exc:
        fail(EXIT_USAGE, str(exc))
    header = f"Values for the opentelemetry-collector chart {helm.CHART_VERSION}, generated by `mcpparity helm --config {config_path}`."
    if result.secret_keys:
        header += f"\nACTION: create the secret first: kubectl create secret generic {secret} " + " ".join(f"--from-literal={k}=…" for k in result.secret_keys)
    write_output(yamlout.render(result.values, {("config",): "null removes a chart default that otelcol-mcpparity does not contain"}, header), output)
    for note in result.notes:
        status(f"note: {note}")
    if result.secret_keys:
        status(f"create the secret: kubectl create secret generic {secret} " + " ".join(f"--from-literal={k}=…" for k in result.secret_keys))


@main.command("gateway-env")
@click.option("--config", "config_path", required=True, type=click.Path(dir_okay=False), help="The collector config the gateway will send to.")
@click.option("--env-file", default=None, type=click.Path(dir_okay=False), help="The gateway's env file: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES carry over.")
@click.option("--host", default=None, help="Address the gateway reaches the collector at (default: the receiver's bind address).")
@click.option("--ca-file", default=None, help="CA file (runtime side) that verifies a TLS receiver: OTEL_EXPORTER_OTLP_CERTIFICATE.")
@click.option("--client-cert", default=None, help="The runtime's client certificate file for an mTLS receiver.")
@click.option("--client-key", default=None, help="The runtime's client key file for an mTLS receiver.")
@click.option("-o", "--output", default=None, help="Write the KEY=VALUE lines here (default: stdout).")
def gateway_env_command(config_path: str, env_file: str | None, host: str | None, ca_file: str | None,
                        client_cert: str | None, client_key: str | None, output: str | None) -> None:
    """KEY=VALUE settings that point the gateway and the Rust runtime at this collector."""
    data = load_yaml_file(config_path)
    if not isinstance(data, dict):
        fail(EXIT_FAILED, f"{config_path}: a collector config must be a YAML mapping")
    if env_file is not None and not Path(env_file).is_file():
        fail(EXIT_USAGE, f"--env-file {env_file}: no such file")
    runtime_env = read_env_file(env_file) if env_file else None
    try:
        result = gateway_env.build_gateway_env(data, host=host, runtime_env=runtime_env,
                                               runtime_tls=gateway_env.RuntimeTls(ca_file, client_cert, client_key))
    except ValueError as exc:
        fail(EXIT_FAILED, f"{config_path}: {exc}")
    write_output(result.render(), output)
    for note in result.notes:
        status(f"note: {note}")


@main.command()
@click.argument("a", type=click.Path(dir_okay=False))
@click.argument("b", type=click.Path(dir_okay=False))
@click.option("--ignore-key", "ignore_keys", multiple=True, help="Attribute key to ignore, besides duration.ms (repeatable).")
@click.option("--scope", default=None, help="Keep only spans of this instrumentation scope (children of dropped spans move up).")
@click.option("--ignore-span", "ignore_spans", multiple=True, help="Drop spans with this name; their children move up (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the differences as a JSON array.")
def diff(a: str, b: str, ignore_keys: tuple[str, ...], scope: str | None, ignore_spans: tuple[str, ...], as_json: bool) -> None:
    """Compare two span dumps as trees (exit 0 same, 1 different, 2 input error)."""
    try:
        spans_a, spans_b = spandiff.load_spans(a), spandiff.load_spans(b)
    except spandiff.SpanDumpError as exc:
        fail(EXIT_USAGE, str(exc))
    differences = spandiff.diff_spans(spans_a, spans_b, ignore_keys=spandiff.DEFAULT_IGNORED_KEYS + ignore_keys,
                                      scope=scope, ignore_spans=ignore_spans)
    if as_json:
        click.echo(json.dumps([d.as_json() for d in differences], ensure_ascii=False, indent=2))
    else:
        for difference in differences:
            click.echo(str(difference))
    if differences:
        fail(EXIT_FAILED, f"{len(differences)} difference(s) between {a} and {b}")
    status(f"{a} and {b} have the same span trees")


@main.command()
@click.option("--otlp", "otlp_url", default=probe.DEFAULT_OTLP_URL, show_default=True, help="OTLP/HTTP traces URL.")
@click.option("--health", "health_url", default=probe.DEFAULT_HEALTH_URL, show_default=True, help="health_check URL.")
@click.option("--timeout", default=5.0, show_default=True, help="Seconds per request.")
@click.option("--ca-file", default=None, help="CA that verifies a TLS receiver (https:// --otlp).")
@click.option("--client-cert", default=None, help="Client certificate for an mTLS receiver.")
@click.option("--client-key", default=None, help="Client key for an mTLS receiver.")
@click.option("--token-env", default=None, metavar="VAR", help="Variable holding the receiver's bearer token.")
def check(otlp_url: str, health_url: str, timeout: float, ca_file: str | None, client_cert: str | None,
          client_key: str | None, token_env: str | None) -> None:
    """Probe a running collector: health endpoint, then one synthetic raw span over OTLP/HTTP."""
    token = None
    if token_env is not None:
        token = os.environ.get(token_env, "").strip()
        if not token:
            fail(EXIT_USAGE, f"--token-env {token_env}: the variable is unset or empty")
    credentials = probe.HopCredentials(ca_file=ca_file, client_cert=client_cert, client_key=client_key, token=token)
    results = probe.check(otlp_url=otlp_url, health_url=health_url, timeout=timeout, hop=credentials)
    for result in results:
        click.echo(str(result))
    if not all(result.ok for result in results):
        fail(EXIT_FAILED, "the collector is not ready for the runtime")
    status("the collector is healthy and accepts raw spans")


if __name__ == "__main__":
    main()
