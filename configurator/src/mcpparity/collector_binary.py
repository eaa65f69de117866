"""Run the built otelcol-mcpparity's own `validate` on a config file."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from .lints import referenced_env_vars, repo_root

# A harmless value for referenced variables that are unset, so `validate` can resolve the config.
PLACEHOLDER = "mcpparity-validate-placeholder"
# Variables whose value must parse as a host (endpoints are built from them).
HOST_VARIABLES = frozenset({"MY_POD_IP"})


@dataclass(frozen=True)
class BinaryResult:
    ran: bool
    ok: bool
    output: str
    binary: str
    placeholders: tuple[str, ...] = ()


def default_binary() -> Path | None:
    """$MCPPARITY_COLLECTOR, else the checkout's bin/otelcol-mcpparity."""
    if os.environ.get("MCPPARITY_COLLECTOR"):
        return Path(os.environ["MCPPARITY_COLLECTOR"])
    root = repo_root()
    return root / "bin" / "otelcol-mcpparity" if root is not None else None


def validate_with_binary(config_path: str | Path, binary: str | Path | None = None, env: Mapping[str, str] | None = None, timeout: float = 120) -> BinaryResult:
    """`<binary> validate --config=<path>`, with placeholders for unset ${env:VAR}s; ran=False when it could not run."""
    path = Path(binary) if binary is not None else default_binary()
    if path is None or not path.is_file():
        return BinaryResult(False, False, f"no collector binary at {path} (run `make build`, or pass --binary)", str(path))
    run_env = dict(os.environ if env is None else env)
    placeholders = []
    for name in referenced_env_vars(Path(config_path).read_text(encoding="utf-8")):
        if name not in run_env:
            run_env[name] = "127.0.0.1" if name in HOST_VARIABLES else PLACEHOLDER
            placeholders.append(name)
    try:
        proc = subprocess.run([str(path), "validate", f"--config=file:{Path(config_path).resolve()}"], env=run_env,
                              capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except OSError as exc:  # not executable, wrong architecture, …: the check did not run
        return BinaryResult(False, False, f"cannot run {path}: {exc.strerror or exc}", str(path), tuple(placeholders))
    except subprocess.TimeoutExpired:
        return BinaryResult(True, False, f"{path} validate timed out after {timeout}s", str(path), tuple(placeholders))
    output = (proc.stdout + proc.stderr).strip()
    return BinaryResult(True, proc.returncode == 0, output, str(path), tuple(placeholders))
