"""The oracle side: the pinned gateway's own redaction helpers, configured the way the gateway is.

`redact_fields` becomes `OTEL_REDACT_FIELDS` (comma-joined; an empty list is the empty string, which
the module answers with its own fallback list) and `reload_trace_redaction_config()` re-reads the
settings, exactly as a gateway started with that env would. `max_size` is passed as the argument of
`serialize_trace_payload` (the gateway passes 0, meaning its configured size; both are >= 256 here).
conftest.py sets the env the gateway needs to import (no network, no .env of ours).
"""

from __future__ import annotations

import multiprocessing
import os
import re
from collections import defaultdict
from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from mcpgateway.observability import _sanitize_span_exception_message
from mcpgateway.utils import trace_redaction
from mcpgateway.utils.url_auth import sanitize_url_for_logging

from .corpus import Case

_ENV = "OTEL_REDACT_FIELDS"
UNTRUNCATED = 1 << 40


def configure(redact_fields: tuple[str, ...] | list[str] | None) -> None:
    """Point the oracle at one redact_fields list (None = the gateway's config default)."""
    if redact_fields is None:
        os.environ.pop(_ENV, None)
    else:
        os.environ[_ENV] = ",".join(redact_fields)
    trace_redaction.reload_trace_redaction_config()


def call(fn: str, args: dict[str, Any], value: Any = None) -> Any:
    """One oracle call, with the module already configured."""
    if fn == "sanitize_trace_text":
        return trace_redaction.sanitize_trace_text(args["text"])
    if fn == "sanitize_trace_attribute_value":
        return trace_redaction.sanitize_trace_attribute_value(args["key"], value)
    if fn == "serialize_trace_payload":
        return trace_redaction.serialize_trace_payload(value, max_size=args["max_size"])
    if fn == "sanitize_span_exception_message":
        # str(exc) of a one-argument exception is its argument; the class name is what empty text falls back to
        exc_type = type(args.get("type") or "Exception", (Exception,), {})
        return _sanitize_span_exception_message(exc_type(args["text"]))
    if fn == "sanitize_url_for_logging":
        return sanitize_url_for_logging(args["url"])
    raise ValueError(f"unknown fn {fn!r}")


def answer(fn: str, args: dict[str, Any], value: Any = None) -> dict[str, Any]:
    """{"result": …} like the driver, or {"raises": "Type: message"} when the oracle itself raises."""
    try:
        return {"result": call(fn, args, value)}
    except Exception as exc:  # the oracle raising is a finding of its own (e.g. urlparse on "[::1")
        return {"raises": f"{type(exc).__name__}: {exc}"}


@contextmanager
def restored_config() -> Iterator[None]:
    """Leave OTEL_REDACT_FIELDS and the module's configuration as they were found."""
    saved = os.environ.get(_ENV)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(_ENV, None)
        else:
            os.environ[_ENV] = saved
        trace_redaction.reload_trace_redaction_config()


def answer_case(c: Case) -> dict[str, Any]:
    """The oracle's answer to one case (module already configured for its list), with what checks need:
    "untruncated" (serialize: secrets cut by truncation are not masked ones) and "parsable_variant"
    (when the oracle raises: what it masks once the planted unparsable hosts are plain ones)."""
    ans = _with_untruncated(c.fn, c.args, c.value())
    if "raises" in ans:
        fixed = c.with_parsable_hosts()
        ans["parsable_variant"] = _with_untruncated(fixed.fn, fixed.args, fixed.value())
        if "raises" in ans["parsable_variant"]:  # an unplanned unparsable URL: mask each such URL instead
            args = {k: _mask_unparsable_urls(v) if isinstance(v, str) else v for k, v in c.args.items()}
            ans["parsable_variant"] = _with_untruncated(c.fn, args, _mask_unparsable_urls(c.value()))
    return ans


def _with_untruncated(fn: str, args: dict[str, Any], value: Any) -> dict[str, Any]:
    """answer(), plus for serialize the answer with no truncation: a secret the truncation cut off was not masked."""
    ans = answer(fn, args, value)
    if fn == "serialize_trace_payload" and "result" in ans:
        ans["untruncated"] = answer(fn, {**args, "max_size": UNTRUNCATED}, value).get("result")
    return ans


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"']+")  # the gateway's own URL pattern (url_auth._URL_PATTERN)


def _mask_unparsable_urls(v: Any) -> Any:
    """Every URL the oracle cannot parse becomes REDACTED, in every string of a value."""
    if isinstance(v, str):
        def fix(m: re.Match[str]) -> str:
            try:
                sanitize_url_for_logging(m.group(0))
                return m.group(0)
            except ValueError:
                return "REDACTED"

        return _URL_IN_TEXT.sub(fix, v)
    if isinstance(v, dict):
        return {k: _mask_unparsable_urls(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_mask_unparsable_urls(x) for x in v]
    return v


def _run_serial(cases: Iterable[Case]) -> dict[int, dict[str, Any]]:
    """Oracle answers by case id, configuring once per redact_fields list."""
    groups: dict[tuple[str, ...] | None, list[Case]] = defaultdict(list)
    for c in cases:
        groups[c.redact_fields].append(c)
    out: dict[int, dict[str, Any]] = {}
    with restored_config():
        for fields, group in groups.items():
            configure(fields)
            for c in group:
                out[c.cid] = answer_case(c)
    return out


_FORKED_CASES: list[Case] = []  # the corpus, inherited by the forked workers (not pickled to them)


def _run_share(share: tuple[int, int]) -> dict[int, dict[str, Any]]:
    start, step = share
    return _run_serial(_FORKED_CASES[start::step])


def run(cases: Iterable[Case], workers: int | None = None) -> dict[int, dict[str, Any]]:
    """Oracle answers by case id. The Python helpers are the suite's bulk (about 0.7 ms a case), so a
    large corpus is answered by one forked worker per core, each configuring its own copy of the module."""
    global _FORKED_CASES
    cases = list(cases)
    workers = workers or min(os.cpu_count() or 1, 4)
    if workers <= 1 or len(cases) < 5_000 or "fork" not in multiprocessing.get_all_start_methods():
        return _run_serial(cases)
    _FORKED_CASES = cases
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            parts = pool.map(_run_share, [(i, workers) for i in range(workers)])
    finally:
        _FORKED_CASES = []
    out: dict[int, dict[str, Any]] = {}
    for part in parts:
        out.update(part)
    if len(out) != len(cases):
        raise RuntimeError(f"oracle workers answered {len(out)} of {len(cases)} cases")
    return out
