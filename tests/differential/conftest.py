"""Session fixtures of the differential suite: the built driver, the corpus, the oracle's answers.

The oracle is the pinned gateway imported in this interpreter; it needs a few settings to import
cleanly (fake, strong-enough secrets; no OTEL/Langfuse env; observability off, so no exporter and
no network). They are set only while this package's tests run (package-scoped fixtures) and restored afterwards.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

import pytest

from . import corpus, driver

ORACLE_IMPORT_ENV = {
    "JWT_SECRET_KEY": "Zq8vN3kLp2Xw7RtY5mB9cH4jD6fG1sA0eU8iO3yT",  # fake, only to pass the startup validators
    "AUTH_ENCRYPTION_SECRET": "Hk3Lm9Qw2Er7Ty5Ui8Op1As4Df6Gh0Jk2Lz8Xc5V",
    "OTEL_ENABLE_OBSERVABILITY": "false",
    "LOG_LEVEL": "ERROR",
}


@pytest.fixture(scope="package")
def oracle_env() -> Iterator[None]:
    saved = dict(os.environ)
    for k in [k for k in os.environ if k.startswith(("OTEL_", "LANGFUSE_"))]:
        del os.environ[k]
    os.environ.update(ORACLE_IMPORT_ENV)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="package")
def oracle_mod(oracle_env: None) -> Any:
    from . import oracle  # imports mcpgateway: needs oracle_env first

    return oracle


@pytest.fixture(scope="session")
def driver_bin() -> Any:
    try:
        return driver.build()
    except (RuntimeError, OSError) as exc:
        pytest.fail(f"cannot build the redaction driver: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def cases() -> list[corpus.Case]:
    return corpus.generate()


@pytest.fixture(scope="package")
def oracle_answers(oracle_mod: Any, cases: list[corpus.Case]) -> dict[int, dict[str, Any]]:
    return oracle_mod.run(cases)
