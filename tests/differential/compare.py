"""One comparator for both modes, the D3 classification, the mismatch summary and a shrinker.

oracle-exact mode ("deviations": false): every answer equals the oracle's.
product mode (default): equal to the oracle, except on D3 inputs (JSON-quoted secret keys in text),
where the planted D3 secrets must be gone and nothing the oracle removed may come back.
When the oracle itself raises (urlparse on a broken IPv6 host, …) the driver answers an error, or a
result marked "oracle_raises" that holds none of the secrets the oracle masks once those hosts parse.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

from .corpus import DEFAULT_FIELDS, MODULE_FALLBACK_FIELDS, Case, _field_text_pattern, d3_norm

URL_WORDS = ("url", "uri", "endpoint", "href", "link", "redirect", "callback", "webhook")


def canon(x: Any) -> str:
    """The comparison form: JSON with key order, types (1 vs 1.0 vs true) and NaN/Infinity kept."""
    return json.dumps(x, ensure_ascii=False, allow_nan=True)


def effective_fields(redact_fields: tuple[str, ...] | None) -> tuple[str, ...]:
    if redact_fields is None:
        return DEFAULT_FIELDS
    if redact_fields == ():
        return MODULE_FALLBACK_FIELDS  # OTEL_REDACT_FIELDS="" -> the module's fallback list
    return redact_fields


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


_DETECTORS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _detector(fields: tuple[str, ...]) -> re.Pattern[str]:
    """A configured key right before a closing quote (optionally escaped) and `:`/`=`: D3's territory."""
    if fields not in _DETECTORS:
        alts = "|".join(f"(?:{_field_text_pattern(f)})" for f in fields if f.strip())
        _DETECTORS[fields] = re.compile(rf"(?i)\b(?:{alts})\b\\?[\"']\s*[:=]")
    return _DETECTORS[fields]


_QUOTED_KEY = re.compile(r"""(?:"([^"]{0,256}?)\\*"|'([^']{0,256}?)\\*')\s*[:=]""")


def _quoted_field_key(text: str, fields: tuple[str, ...]) -> bool:
    """A quoted key whose D3 form (d3_norm) is a configured field, before `:`/`=`."""
    norm = {_norm(f) for f in fields}
    if "" in norm:  # a punctuation-only field matches every key without letters or digits, even a mask '***'
        return re.search(r"""["']\s*[:=]""", text) is not None
    return any(d3_norm(k) in norm for i in range(len(text)) if text[i] in "\"'"
               for m in [_QUOTED_KEY.match(text, i)] if m for k in [m.group(1) or m.group(2) or ""])


_VALUE_AFTER_QUOTED_KEY = re.compile(r"""\\*["']([^"'\n]{0,256})\\*["']\s*[:=]\s*\\*["']?$""")


def _under_quoted_field_key(text: str, secret: str, fields: tuple[str, ...]) -> bool:
    """The secret sits right after `"key": "` (or `: `) in the input, the key's D3 form (d3_norm) a field."""
    norm = {_norm(f) for f in fields}
    start = text.find(secret)
    while start >= 0:
        m = _VALUE_AFTER_QUOTED_KEY.search(text, max(0, start - 300), start)
        if m and d3_norm(m.group(1)) in norm:
            return True
        start = text.find(secret, start + 1)
    return False


def text_sanitized_strings(case: Case) -> list[str]:
    """The strings of a case that the oracle runs through free-text sanitizing (not URL-only, not masked)."""
    fields = {_norm(f) for f in effective_fields(case.redact_fields)}
    out: list[str] = []

    def walk(field_name: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, x in v.items():
                if _norm(str(k)) not in fields:
                    walk(str(k), x)
        elif isinstance(v, list):
            for x in v:
                walk(field_name, x)
        elif isinstance(v, str) and not any(w in _norm(field_name) for w in URL_WORDS):
            out.append(v)

    if case.fn in ("sanitize_trace_text", "sanitize_span_exception_message"):
        out.append(case.args["text"])
    elif case.fn == "serialize_trace_payload":
        value = case.value()
        if isinstance(value, dict):
            walk("", value)
        elif isinstance(value, list):
            walk("item", value)
        elif isinstance(value, str):
            out.append(value)
    elif case.fn == "sanitize_trace_attribute_value":
        if _norm(case.args["key"]) not in fields:
            walk(case.args["key"], case.value())
    return out


def _strings(v: Any) -> list[str]:
    if isinstance(v, str):
        return [v]
    if isinstance(v, dict):
        return [s for x in v.values() for s in _strings(x)]
    if isinstance(v, list):
        return [s for x in v for s in _strings(x)]
    return []


def d3_class(case: Case, oracle_output: Any = None) -> tuple[str | None, list[str]]:
    """("strict", secrets) when D3 must mask planted secrets, ("maybe", []) when it may act, (None, []).

    D3 runs on the text the gateway rules leave, so a quoted key can also appear in the oracle's output
    (`'credential:"y'=c` becomes `'credential:"***'=c`): pass it as oracle_output."""
    texts = text_sanitized_strings(case)
    fields = effective_fields(case.redact_fields)
    strict = [s for s in case.d3_secrets if any(_under_quoted_field_key(t, s, fields) for t in texts)]
    if strict:
        return "strict", strict
    det = _detector(fields)
    if case.d3_secrets or case.d3_maybe or any(det.search(t) or _quoted_field_key(t, fields) for t in texts + _strings(oracle_output)):
        return "maybe", []
    return None, []


@dataclass
class Mismatch:
    case: Case
    mode: str
    why: str
    oracle: dict[str, Any]
    driver: Any
    repro: str | None = None


def check(case: Case, mode: str, oracle_ans: dict[str, Any], driver_ans: Any) -> str | None:
    """None when the driver's answer is acceptable in `mode` ("exact" or "product"), else why not."""
    if not isinstance(driver_ans, dict) or ("result" not in driver_ans and "error" not in driver_ans):
        return "malformed driver answer"
    if "raises" in oracle_ans:
        if "error" in driver_ans:
            return None
        variant = oracle_ans.get("parsable_variant", {})
        if "result" not in variant:
            return "oracle raises, also on the parsable variant: " + str(variant)[:200]
        # judged on the variant's untruncated answer: a secret its truncation cut off was not masked
        masked_by_oracle = [s for s in case.secrets if s not in canon(variant.get("untruncated", variant["result"]))]
        got = canon(driver_ans["result"])
        leaked = [s for s in masked_by_oracle if s in got]
        if leaked:
            return f"oracle raises; driver leaks what the oracle masks once the URL parses {leaked[:3]}"
        if mode == "product":
            kept = [s for s in d3_class(case)[1] if s in got]
            if kept:
                return f"oracle raises; D3 input: JSON-quoted secret survives {kept[:3]}"
        # the driver marks a masked answer where the oracle raises, so callers can tell
        return None if "oracle_raises" in driver_ans else "oracle raises, driver does not say so"
    if "oracle_raises" in driver_ans:
        return "driver says the oracle raises, it does not"
    if "error" in driver_ans:
        return "driver error: " + str(driver_ans["error"])[:200]
    want, got = canon(oracle_ans["result"]), canon(driver_ans["result"])
    if mode == "exact":
        return None if want == got else "differs"
    kind, strict = d3_class(case, oracle_ans["result"] if want != got else None)
    if kind is None:
        return None if want == got else "differs"
    # a secret cut off by the oracle's truncation was not masked: compare with its untruncated answer
    full = canon(oracle_ans["untruncated"]) if "untruncated" in oracle_ans else want
    revived = [s for s in case.secrets if s not in full and s in got]
    if revived:
        return f"D3 input: secrets the oracle masked are back {revived[:3]}"
    kept = [s for s in strict if s in got]
    if kept:
        return f"D3 input: JSON-quoted secret survives {kept[:3]}"
    return None


def compare_all(cases: Sequence[Case], mode: str, oracle: dict[int, dict[str, Any]], answers: Sequence[Any]) -> list[Mismatch]:
    out = []
    for case, ans in zip(cases, answers):
        why = check(case, mode, oracle[case.cid], ans)
        if why:
            out.append(Mismatch(case, mode, why, oracle[case.cid], ans))
    return out


def _clip(s: str, n: int = 400) -> str:
    return s if len(s) <= n else s[:n] + f"…(+{len(s) - n} chars)"


def summary(mismatches: Sequence[Mismatch], total: int, per_fn: int = 4) -> str:
    by_fn: dict[str, list[Mismatch]] = defaultdict(list)
    for m in mismatches:
        by_fn[m.case.fn].append(m)
    lines = [f"{len(mismatches)} of {total} cases mismatch"]
    for fn, ms in sorted(by_fn.items()):
        whys: dict[str, int] = defaultdict(int)
        for m in ms:
            whys[_category(m.why)] += 1
        lines.append(f"== {fn}: {len(ms)} ({', '.join(f'{w} x{n}' for w, n in sorted(whys.items()))})")
        for m in ms[:per_fn]:
            lines.append(f"  case {m.case.cid} [{m.why}] list={m.case.list_name} tags={sorted(m.case.tags)[:8]}")
            lines.append("    line:   " + _clip(m.case.driver_line(m.mode == "product")))
            if m.repro:
                lines.append("    shrunk: " + m.repro)
            lines.append("    oracle: " + _clip(canon(m.oracle.get("result", m.oracle))))
            lines.append("    driver: " + _clip(canon(m.driver)))
    return "\n".join(lines)


TEXT_ARG = {"sanitize_trace_text": "text", "sanitize_span_exception_message": "text", "sanitize_url_for_logging": "url"}


def _category(why: str) -> str:
    return why.split(" [")[0].split(":")[0]


def shrink(m: Mismatch, oracle_answer: Callable[[Case], dict[str, Any]],
           run_driver: Callable[[list[str]], list[Any]], max_rounds: int = 80) -> str | None:
    """Delta-debug the string argument while the mismatch keeps its category; one driver process per round.

    Planted secrets travel with the variants, so D3 and oracle-raises findings shrink as well."""
    arg = TEXT_ARG.get(m.case.fn)
    if arg is None:
        return None
    want = _category(m.why)

    def variant(text: str) -> Case:
        return Case(cid=-1, fn=m.case.fn, list_name=m.case.list_name, redact_fields=m.case.redact_fields,
                    args={**m.case.args, arg: text}, secrets=m.case.secrets, d3_secrets=m.case.d3_secrets,
                    d3_maybe=m.case.d3_maybe)

    s = m.case.args[arg]
    chunks = 2
    for _ in range(max_rounds):
        size = max(1, len(s) // chunks)
        cands = [variant(s[:i] + s[i + size:]) for i in range(0, len(s), size)]
        if not cands:
            break
        answers = run_driver([v.driver_line(m.mode == "product") for v in cands])
        hit = None
        for v, a in zip(cands, answers):
            why = check(v, m.mode, oracle_answer(v), a)
            if why is not None and _category(why) == want:
                hit = v
                break
        if hit is not None:
            s = hit.args[arg]
            chunks = max(chunks - 1, 2)
        elif size == 1:
            break
        else:
            chunks = min(chunks * 2, len(s))
    shrunk = variant(s)
    o = oracle_answer(shrunk)
    shown = o.get("result", o.get("parsable_variant", o))
    return f"{shrunk.driver_line(m.mode == 'product')}  -> oracle {canon(shown)}"


def tally(cases: Iterable[Case]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for c in cases:
        counts["fn:" + c.fn] += 1
        counts["list:" + c.list_name] += 1
        for t in c.tags:
            counts[t] += 1
        kind, _ = d3_class(c)
        counts[f"d3:{kind}"] += 1
    return dict(counts)
