"""Where the vendored oracle data lives in this repository (provenance: tests/oracle/PROVENANCE.md).

Every suite reads the captures through these paths; a missing file is an error, never a skip.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
ORACLE = REPO / "tests" / "oracle"
TOOLS_CALL_CAPTURES = ORACLE / "tools-call"
FAMILY_CAPTURES = ORACLE / "families"
REDACTION_EXAMPLES = REPO / "processor" / "internal" / "redact" / "testdata" / "redaction_examples.json"


class MissingOracleData(RuntimeError):
    """A vendored oracle file is not in the checkout."""


def require(path: Path) -> Path:
    """Return `path` when it exists; raise with what is missing and where it should come from."""
    if not path.exists():
        raise MissingOracleData(f"{path} is missing: the oracle data is vendored in tests/oracle (see PROVENANCE.md)")
    return path


def tools_call_capture(case: str) -> Path:
    return require(TOOLS_CALL_CAPTURES / f"{case}.json")


def tools_call_captures() -> list[Path]:
    files = sorted(require(TOOLS_CALL_CAPTURES).glob("*.json"))
    if not files:
        raise MissingOracleData(f"no captures in {TOOLS_CALL_CAPTURES}")
    return files
