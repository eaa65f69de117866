"""One decision per gateway setting: the configurator's parser (mcpparity.settings, which the
suites use through lib/gateway_settings) and the Rust emitter's (`raw-span-replay --print-settings`,
reading a real process environment) decide every setting the runtime reads the same way, over the
env of every oracle capture and the edge cases where the copies used to disagree."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lib.oracle_data import ORACLE, require
from mcpparity.contract import RUNTIME_SETTINGS
from mcpparity.settings import SettingsErrors, parse_gateway_settings

REPO = Path(__file__).resolve().parents[2]
REPLAY = Path(os.environ.get("MCPPARITY_REPLAY", REPO / "emitter" / "target" / "release" / "raw-span-replay"))
DEFAULT_ENDPOINT = "http://127.0.0.1:4318/v1/traces"  # the emitter's own default (EmitterConfig::default)


def capture_envs() -> list[tuple[str, dict[str, str]]]:
    """The `env` of every vendored oracle capture: settings the real gateway ran with."""
    envs = []
    for path in sorted(require(ORACLE).glob("*/*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("env"), dict):
            envs.append((f"{path.parent.name}/{path.stem}", data["env"]))
    if len(envs) < 80:
        raise AssertionError(f"expected the 84 oracle captures with an env under {ORACLE}, found {len(envs)}")
    return envs


# Where the hand-written copies used to disagree: name case, padding, empty values, word case.
EDGE_CASES: list[tuple[str, dict[str, str]]] = [
    ("empty", {}),
    ("lower_case_names", {"otel_capture_input_spans": "tool.invoke", "otel_capture_output_spans": "tool.invoke"}),
    ("mixed_case_names", {"Otel_Service_Name": "svc", "deployment_env": "prod", "Otel_Exporter_Otlp_Protocol": "http"}),
    ("last_spelling_wins", {"otel_service_name": "first", "OTEL_SERVICE_NAME": "last"}),
    ("padded_values", {"OTEL_CAPTURE_INPUT_SPANS": " tool.invoke , x", "OTEL_CAPTURE_OUTPUT_SPANS": "tool.invoke\x1f",
                       "OTEL_SERVICE_NAME": " svc ", "DEPLOYMENT_ENV": " prod "}),
    ("empty_values", {"OTEL_CAPTURE_INPUT_SPANS": "", "OTEL_CAPTURE_OUTPUT_SPANS": "", "OTEL_SERVICE_NAME": "",
                      "OTEL_EXPORTER_OTLP_PROTOCOL": "", "OTEL_EXPORTER_OTLP_ENDPOINT": ""}),
    ("exact_span_names", {"OTEL_CAPTURE_INPUT_SPANS": "tool.invoked,Tool.invoke", "OTEL_CAPTURE_OUTPUT_SPANS": ",,tool.invoke,"}),
    ("protocol_upper", {"OTEL_EXPORTER_OTLP_PROTOCOL": "GRPC"}),
    ("protocol_http_upper", {"OTEL_EXPORTER_OTLP_PROTOCOL": "HTTP"}),
    ("protocol_padded", {"OTEL_EXPORTER_OTLP_PROTOCOL": " grpc "}),
    ("protocol_unknown", {"OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"}),
    ("endpoint", {"otel_exporter_otlp_endpoint": "http://collector:4317"}),
    ("environment", {"ENVIRONMENT": "staging"}),
    ("environment_and_deployment", {"environment": "production", "DEPLOYMENT_ENV": "eu-1"}),
    ("unicode_value", {"OTEL_SERVICE_NAME": "sérvice", "DEPLOYMENT_ENV": "prod-ü"}),
    # refused by both: the gateway's Literal ENVIRONMENT, and a blank deployment label
    ("environment_unknown", {"ENVIRONMENT": "qa"}),
    ("environment_wrong_case", {"deployment_env": "x", "ENVIRONMENT": "Staging"}),
    ("deployment_empty", {"DEPLOYMENT_ENV": ""}),
    ("deployment_blank", {"Deployment_Env": " \x1f"}),
]

CASES = capture_envs() + EDGE_CASES


def configurator_decisions(env: dict[str, str]) -> dict[str, Any]:
    """The configurator's decisions on the settings the runtime reads, or the runtime settings it refuses."""
    try:
        s = parse_gateway_settings(env)
    except SettingsErrors as exc:
        return {"refused": sorted({e.setting for e in exc.errors})}
    upper = {k.upper(): v for k, v in env.items()}
    decisions = {
        "capture_input": "tool.invoke" in s.capture_input_spans,
        "capture_output": "tool.invoke" in s.capture_output_spans,
        "service_name": s.service_name,
        "deployment_environment": s.deployment_environment,
    }
    if not s.is_langfuse:  # the gateway forces OTLP/HTTP towards Langfuse; the runtime talks to the collector
        decisions["protocol"] = s.protocol
    if "LANGFUSE_OTEL_ENDPOINT" not in upper:
        decisions["endpoint"] = s.endpoint or DEFAULT_ENDPOINT
    return decisions


def emitter_decisions(env: dict[str, str]) -> dict[str, Any]:
    """`raw-span-replay --print-settings` with exactly `env` as its process environment."""
    if not REPLAY.is_file():
        raise AssertionError(f"{REPLAY} is missing: run `make emitter`")
    done = subprocess.run([str(REPLAY), "--print-settings"], env=env, capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        named = re.search(r"invalid emitter config: ([A-Z_]+):", done.stderr)
        assert named, f"refusal without a setting name: {done.stderr!r}"
        return {"refused": [named.group(1)]}
    return json.loads(done.stdout)


@pytest.mark.parametrize("env", [env for _, env in CASES], ids=[name for name, _ in CASES])
def test_configurator_and_emitter_decide_the_same(env: dict[str, str]) -> None:
    ours = configurator_decisions(env)
    theirs = emitter_decisions(env)
    if "refused" in ours or "refused" in theirs:
        runtime_refusals = [name for name in ours.get("refused", []) if name in RUNTIME_SETTINGS]
        assert runtime_refusals, f"the emitter refused {theirs}, the configurator accepted the runtime's settings"
        assert "refused" in theirs, f"the configurator refused {runtime_refusals}, the emitter accepted: {theirs}"
        assert theirs["refused"][0] in runtime_refusals
        return
    assert {k: theirs[k] for k in ours} == ours


def test_every_oracle_capture_env_is_accepted() -> None:
    """The real gateway ran with each capture's env, so the one parser must accept every one."""
    for name, env in capture_envs():
        assert "refused" not in configurator_decisions(env), name


def test_the_runtime_settings_are_the_contracts() -> None:
    """The emitter reads exactly the settings the contract lists (its --help-free check: each one changes a decision)."""
    base = emitter_decisions({})
    changed = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:1/v1/traces"},
        "OTEL_EXPORTER_OTLP_PROTOCOL": {"OTEL_EXPORTER_OTLP_PROTOCOL": "http"},
        "OTEL_SERVICE_NAME": {"OTEL_SERVICE_NAME": "x"},
        "DEPLOYMENT_ENV": {"DEPLOYMENT_ENV": "x"},
        "ENVIRONMENT": {"ENVIRONMENT": "staging"},
        "OTEL_CAPTURE_INPUT_SPANS": {"OTEL_CAPTURE_INPUT_SPANS": "tool.invoke"},
        "OTEL_CAPTURE_OUTPUT_SPANS": {"OTEL_CAPTURE_OUTPUT_SPANS": "tool.invoke"},
    }
    assert sorted(changed) == sorted(RUNTIME_SETTINGS)
    for name, env in changed.items():
        assert emitter_decisions(env) != base, f"{name} changes no decision of the emitter"
