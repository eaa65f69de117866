"""Values for the official opentelemetry-collector Helm chart 0.170.x, and the chart's merge of them."""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from typing import Any

from . import hop
from .collector_config import DEFAULT_QUEUE_SIZE_MIB, memory_limiter
from .lints import component_type, referenced_env_vars

CHART_VERSION = "0.170.x"
MODES = ("deployment", "daemonset", "statefulset")
POD_IP = "${env:MY_POD_IP}"
# Chart-default components that otelcol-mcpparity does not contain, and the ports that serve them.
CHART_ONLY_RECEIVERS = ("jaeger", "zipkin", "prometheus")
CHART_ONLY_PORTS = ("jaeger-compact", "jaeger-thrift", "jaeger-grpc", "zipkin")
# Variables the chart injects itself (never from our secret).
CHART_PROVIDED_ENV = re.compile(r"^(MY_POD_IP|OTEL_K8S_[A-Z_]+|GOMEMLIMIT)$")
# The persistent queue's volume inside the pod (file_storage extensions are moved there).
QUEUE_MOUNT_PATH = "/var/lib/otelcol/queue"
QUEUE_VOLUME = "queue"
# The documented pod size the generated defaults fit (docs/operations.md).
DEFAULT_MEMORY_LIMIT = "512Mi"
DEFAULT_CPU_REQUEST = "500m"
_QUANTITY_MIB = {"Mi": 1, "Gi": 1024, "M": 1_000_000 / (1 << 20), "G": 1_000_000_000 / (1 << 20)}
# The receiver's TLS files come from a kubernetes.io/tls Secret (tls.crt, tls.key; ca.crt for mTLS) mounted here.
TLS_VOLUME = "mcpparity-tls"
TLS_MOUNT = "/etc/otelcol-mcpparity/tls"
_LABEL = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_./]*)=([-A-Za-z0-9_.]*)$")


class Refused(ValueError):
    """The values would expose the receiver: a refusal (exit 1), not a usage error."""


@dataclass
class HelmValues:
    values: dict[str, Any]
    secret_keys: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def parse_image(image: str) -> dict[str, str]:
    """`repo[:tag][@digest]` -> the chart's image block; the tag separator is the last `:` after the last `/`."""
    if not image or image.startswith(("/", ":", "@")):
        raise ValueError(f"--image {image!r} is not REPOSITORY:TAG")
    digest = ""
    if "@" in image:
        image, digest = image.split("@", 1)
    repository, tag = image, ""
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        repository, tag = image[:colon], image[colon + 1:]
    if not tag and not digest:
        raise ValueError(f"--image {image!r} needs a tag or a digest (REPOSITORY:TAG)")
    block = {"repository": repository, "pullPolicy": "IfNotPresent"}
    if tag:
        block["tag"] = tag
    if digest:
        block["digest"] = digest
    return block


def memory_limit_mib(quantity: str) -> int:
    """`512Mi`, `1Gi`, `600M` -> MiB (rounded down): the pod's limits.memory is the collector's budget."""
    match = re.fullmatch(r"([0-9]+)(Mi|Gi|M|G)", quantity.strip())
    if not match:
        raise ValueError(f"--memory-limit {quantity!r} is not a Kubernetes memory quantity like 512Mi or 1Gi")
    return int(int(match.group(1)) * _QUANTITY_MIB[match.group(2)])


def _queue_volume(mode: str, claim: str | None, disk_mib: int) -> dict[str, Any]:
    """Values that give the queue directory a volume: per-replica PVCs for a statefulset, an existing
    claim when named, else an emptyDir (it outlives container restarts and kill -9, not the pod)."""
    mount = {"extraVolumeMounts": [{"name": QUEUE_VOLUME, "mountPath": QUEUE_MOUNT_PATH}]}
    if mode == "statefulset":
        template = {"metadata": {"name": QUEUE_VOLUME},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": f"{disk_mib}Mi"}}}}
        return {**mount, "statefulset": {"volumeClaimTemplates": [template]}}
    volume: dict[str, Any] = {"name": QUEUE_VOLUME}
    volume.update({"persistentVolumeClaim": {"claimName": claim}} if claim else {"emptyDir": {}})
    return {**mount, "extraVolumes": [volume]}


def _pod_endpoint(endpoint: Any, default_port: int) -> str:
    """`127.0.0.1:4317` -> `${env:MY_POD_IP}:4317`: in a pod the receiver must listen on the pod IP."""
    port = str(endpoint).rsplit(":", 1)[-1] if isinstance(endpoint, str) and ":" in endpoint else str(default_port)
    return f"{POD_IP}:{port}"


def parse_pod_labels(pairs: list[str] | tuple[str, ...]) -> dict[str, str]:
    """`--gateway-pod-label KEY=VALUE` (repeatable) -> matchLabels; at least one."""
    if not pairs:
        raise ValueError("--gateway-pod-label: give the gateway pods' labels (KEY=VALUE, repeatable); "
                         "the NetworkPolicy admits only those pods to the receiver")
    labels: dict[str, str] = {}
    for pair in pairs:
        match = _LABEL.match(pair.strip())
        if not match:
            raise ValueError(f"--gateway-pod-label {pair!r} is not KEY=VALUE (a Kubernetes label)")
        labels[match.group(1)] = match.group(2)
    return labels


def _secure_receivers(receivers: dict[str, Any], tls_secret: str | None, insecure_listen: bool, result: HelmValues) -> bool:
    """Point every otlp receiver protocol at the pod IP and, with a TLS secret, at the mounted files; True when TLS is on."""
    protocols_seen = []
    for receiver_id, body in receivers.items():
        if component_type(receiver_id) == "otlp" and isinstance(body, dict):
            for protocol, default_port in (("grpc", 4317), ("http", 4318)):
                proto = (body.get("protocols") or {}).get(protocol)
                if isinstance(proto, dict):
                    proto["endpoint"] = _pod_endpoint(proto.get("endpoint"), default_port)
                    protocols_seen.append((f"receivers.{receiver_id}.protocols.{protocol}", proto))
    had_tls = [path for path, proto in protocols_seen if hop.has_server_certificate(hop.receiver_security(proto)[0])]
    if tls_secret is None:
        if had_tls:
            raise Refused(f"{had_tls[0]}.tls: the receiver uses TLS; pass --tls-secret with the Secret holding tls.crt and tls.key (and ca.crt for mTLS)")
        if not insecure_listen:
            raise Refused("in a pod the receiver binds the pod IP, which other pods can reach, and raw spans carry unredacted secrets: "
                             "pass --tls-secret NAME (a kubernetes.io/tls Secret), or --insecure-listen to accept plaintext behind the NetworkPolicy")
        result.notes.append("WARNING: --insecure-listen: the receiver accepts PLAINTEXT OTLP on the pod IP; only the NetworkPolicy stands between raw spans and the cluster network")
        return False
    for _, proto in protocols_seen:
        old = proto.get("tls") if isinstance(proto.get("tls"), dict) else {}
        tls: dict[str, Any] = {"cert_file": f"{TLS_MOUNT}/tls.crt", "key_file": f"{TLS_MOUNT}/tls.key"}
        if old.get("client_ca_file"):
            tls["client_ca_file"] = f"{TLS_MOUNT}/ca.crt"
        tls["min_version"] = old.get("min_version", hop.TLS_MIN_VERSION)
        proto["tls"] = tls
    return True


def build_values(collector_config: dict[str, Any], image: str, mode: str = "deployment", secret: str = "otelcol-mcpparity",
                 memory_limit: str = DEFAULT_MEMORY_LIMIT, queue_claim: str | None = None, tls_secret: str | None = None,
                 gateway_labels: dict[str, str] | None = None, insecure_listen: bool = False) -> HelmValues:
    """Chart values; refuses (Refused, naming the option) a plaintext receiver unless `insecure_listen`."""
    if mode not in MODES:
        raise ValueError(f"--mode {mode!r} is not one of {', '.join(MODES)}")
    if queue_claim is not None and mode == "statefulset":
        raise ValueError("--queue-claim: a statefulset gets one claim per replica (volumeClaimTemplates); name no claim")
    if not gateway_labels:
        parse_pod_labels([])  # raises: the NetworkPolicy needs them
    budget_mib = memory_limit_mib(memory_limit)
    config = copy.deepcopy(collector_config)
    result = HelmValues(values={})

    # memory_limiter from the pod's limit; null deletes the chart's host-independent percentages.
    processors = config.get("processors") if isinstance(config.get("processors"), dict) else {}
    for processor_id in processors:
        if component_type(str(processor_id)) == "memory_limiter":
            processors[processor_id] = {**memory_limiter(budget_mib), "limit_percentage": None, "spike_limit_percentage": None}
    # The persistent queue lives on the pod's queue volume.
    extensions_in = config.get("extensions") if isinstance(config.get("extensions"), dict) else {}
    queue_bytes = [int(((body or {}).get("sending_queue") or {}).get("queue_size", 0))
                   for body in (config.get("exporters") or {}).values() if isinstance(body, dict)]
    queue_mib = max([b >> 20 for b in queue_bytes] + [0]) or DEFAULT_QUEUE_SIZE_MIB
    storages = [ext_id for ext_id, body in extensions_in.items() if component_type(str(ext_id)) == "file_storage"]
    for ext_id in storages:
        body = extensions_in[ext_id] if isinstance(extensions_in[ext_id], dict) else {}
        body["directory"] = QUEUE_MOUNT_PATH
        if isinstance(body.get("compaction"), dict):
            body["compaction"]["directory"] = QUEUE_MOUNT_PATH
        extensions_in[ext_id] = body

    receivers = config.setdefault("receivers", {})
    tls_on = _secure_receivers(receivers, tls_secret, insecure_listen, result)
    for name in CHART_ONLY_RECEIVERS:
        receivers.setdefault(name, None)  # null deletes the chart default

    exporters = config.setdefault("exporters", {})
    exporters.setdefault("debug", None)
    extensions = config.setdefault("extensions", {})
    health = extensions.get("health_check") if isinstance(extensions.get("health_check"), dict) else {}
    extensions["health_check"] = {**health, "endpoint": f"{POD_IP}:13133"}  # the chart's probes hit :13133 on the pod IP
    service = config.setdefault("service", {})
    if "health_check" not in service.setdefault("extensions", []):
        service["extensions"].append("health_check")
    pipelines = service.setdefault("pipelines", {})
    for signal in ("logs", "metrics"):
        pipelines.setdefault(signal, None)  # the chart's metrics/logs pipelines use receivers we lack
    if any(component_type(e) == "file" for e in exporters if exporters[e] is not None):
        result.notes.append("the config writes to a file exporter inside the pod; mount a volume (extraVolumes) or choose another exporter")

    grpc_enabled = http_enabled = False
    for receiver_id, body in receivers.items():
        if body and component_type(receiver_id) == "otlp":
            protocols = body.get("protocols") or {}
            grpc_enabled = grpc_enabled or "grpc" in protocols
            http_enabled = http_enabled or "http" in protocols
    ports: dict[str, Any] = {"otlp": {"enabled": grpc_enabled}, "otlp-http": {"enabled": http_enabled}}
    ports.update({name: {"enabled": False} for name in CHART_ONLY_PORTS})

    import yaml  # local: only to find the ${env:...} references in the rendered config

    secret_keys = [name for name in referenced_env_vars(yaml.safe_dump(collector_config)) if not CHART_PROVIDED_ENV.match(name)]
    result.secret_keys = secret_keys
    values: dict[str, Any] = {
        "mode": mode,
        "image": parse_image(image),
        "command": {"name": "otelcol-mcpparity"},
        "config": config,
        "ports": ports,
        "resources": {
            "requests": {"cpu": DEFAULT_CPU_REQUEST, "memory": memory_limit},
            "limits": {"memory": memory_limit},
        },
    }
    if queue_claim is not None and not storages:
        raise ValueError("--queue-claim: the config has no file_storage queue to put on it")
    if storages:
        disk_mib = 2 * queue_mib  # the bbolt file grows past the queued bytes; compaction gives it back
        values.update(_queue_volume(mode, queue_claim, disk_mib))
        if mode == "statefulset" or queue_claim:
            result.notes.append(f"the queue volume must be writable by the image's user: set podSecurityContext.fsGroup "
                                f"(or chown {QUEUE_MOUNT_PATH} in an init container) if the storage class does not")
        else:
            values["resources"]["requests"]["ephemeral-storage"] = f"{disk_mib}Mi"
            result.notes.append("the queue is on an emptyDir: it survives container restarts (OOM, kill -9) but not the pod's "
                                "deletion; use --mode statefulset or --queue-claim for a queue that outlives the pod")
    if secret_keys:
        values["extraEnvs"] = [
            {"name": key, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}} for key in secret_keys
        ]
    if tls_on:
        # 0444: the collector runs as a non-root user and secret files are root-owned without an fsGroup;
        # the pod runs no other process.
        values.setdefault("extraVolumes", []).append({"name": TLS_VOLUME, "secret": {"secretName": tls_secret, "defaultMode": 0o444}})
        values.setdefault("extraVolumeMounts", []).append({"name": TLS_VOLUME, "mountPath": TLS_MOUNT, "readOnly": True})
    # Only the gateway's pods (same namespace) may reach the receiver ports; the chart's default admits everyone.
    values["networkPolicy"] = {"enabled": True, "allowIngressFrom": [{"podSelector": {"matchLabels": dict(gateway_labels or {})}}]}
    result.values = values
    return result


def coalesce(defaults: Any, overrides: Any) -> Any:
    """Helm's coalesce of user values over chart defaults: maps merge recursively, null deletes, lists and scalars replace."""
    if not isinstance(defaults, dict) or not isinstance(overrides, dict):
        return _drop_nulls(copy.deepcopy(overrides))
    merged: dict[str, Any] = {}
    for key in list(defaults.keys()) + [k for k in overrides if k not in defaults]:
        if key in overrides:
            value = overrides[key]
            if value is None:
                continue
            merged[key] = coalesce(defaults[key], value) if key in defaults else _drop_nulls(copy.deepcopy(value))
        else:
            merged[key] = copy.deepcopy(defaults[key])
    return merged


def _drop_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nulls(v) for k, v in value.items() if v is not None}
    return value
