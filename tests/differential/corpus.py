"""Seeded corpus of redaction cases for the differential suite (oracle vs redactdriver).

Every case is one driver line. The generator records what it planted so the product-mode checks
can tell a deliberate deviation (D3: secrets under JSON-quoted keys in free text) from a mismatch:
  secrets     every value it placed where a redactor might mask it (unique, greppable tokens)
  d3_secrets  values it placed under a JSON-quoted key that matches a configured field (D3 must mask)
  d3_maybe    the text holds a quoted-key form D3 may or may not cover (single quotes, escaped JSON)
Values of `serialize_trace_payload` / `sanitize_trace_attribute_value` travel as raw JSON text so
number literals keep their shape (`1E16`, `-0.0`, `1e999`) on the way to both sides.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from typing import Any

from mcpparity.contract import DEFAULT_REDACT_FIELDS, MODULE_FALLBACK_REDACT_FIELDS

SEED = 20260921
DEFAULT_CASE_COUNT = 100_000

# The gateway's config default (config.py `otel_redact_fields`) and the module fallback used when
# the setting is "": the one list of contract/raw-span-contract.yaml.
DEFAULT_FIELDS = DEFAULT_REDACT_FIELDS
MODULE_FALLBACK_FIELDS = MODULE_FALLBACK_REDACT_FIELDS

# Named redact_fields lists. None = field absent from the driver line (the default list).
# [] maps to OTEL_REDACT_FIELDS="" on the oracle side: the module fallback (default + session_token).
REDACT_FIELD_LISTS: dict[str, tuple[str, ...] | None] = {
    "absent": None,
    "default_explicit": DEFAULT_FIELDS,
    "custom_query_password": ("query", "password"),
    "custom_token_only": ("token",),
    "punctuated": ("set-cookie", "X-Api-Key", "auth.token", "client secret", "Private_Key"),
    "unicode_field": ("pässword", "api_key", "naïve-secret"),
    "empty_list": (),
    "punctuation_only_field": ("---", "secret"),
}
REDACT_LIST_WEIGHTS = {
    "absent": 40, "default_explicit": 12, "custom_query_password": 12, "custom_token_only": 8,
    "punctuated": 10, "unicode_field": 6, "empty_list": 8, "punctuation_only_field": 4,
}

URL_LIKE_KEYS = ("callback_url", "redirectUri", "webhook", "endpoint", "href", "link", "URL", "uri",
                 "curl", "security", "blink", "during", "Redirect-To", "webhookSecret")
PLAIN_KEYS = ("query", "note", "user", "q", "id", "name", "description", "text", "message", "data",
              "args", "tool.name", "item", "value", "Query", "notes", "passwd", "tokens", "x_password",
              "user_password", "my-password", "ß", "é", "", "-", "İd", "K", "ſecret")
ATTRIBUTE_KEYS = ("url.full", "http.route", "url.query", "langfuse.session.id", "tool.name",
                  "error.message", "user.email", "server.address", "auth.token", "auth.method",
                  "langfuse.trace.name", "mcp.tool.name", "exception.message", "password",
                  "Authorization", "set-cookie", "session.id", "sessionId", "team.scope")

UNICODE_WORDS = ("café", "naïve", "日本語", "中文字", "😀", "👍🏽", "e\u0301", "a\u0308x", "ı", "İ", "ß", "ẞ",
                 "\u212a", "ſ", "Ω", "ﬁ", "ǅ", "Σσς", "ΐ", "\u00a0", "\u2028", "\u200b", "\ufeff",
                 "Straße", "İstanbul", "ḱ", "ǰ", "\u0345", "Ⅻ", "١٢٣", "𝔘")
CONTROL_CHARS = ("\x00", "\x01", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\t", "\n", "\r", "\x0b", "\x0c",
                 "\x1c", "\x1f")
ASCII_WORDS = ("see", "error", "failed", "upstream", "call", "the", "value", "x", "ok", "id=7", "n:1",
               "q=search", "a&b", "1,2;3", "(x)", "[y]", "{z}", "key", "auth", "pass", "tok", "word",
               "REDACTED", "***", "token", "password", "secret", "Bearer", "Basic", "http://", "https:")
NUMBER_LITERALS = ("0", "-0", "1", "-1", "1.0", "-0.0", "0.1", "1e16", "1E16", "1e+16", "1e15", "1.5e-7",
                   "123456789012345678901234567890", "-9223372036854775809", "9223372036854775807",
                   "9007199254740993", "1e308", "1e999", "-1e999", "5e-324", "2.5e-324", "1e-400",
                   "0.30000000000000004", "100.0", "1e22", "1e21", "123456789.123456789", "3.14",
                   "1.7976931348623157e308", "-2.5E+3", "1e-5", "0.0001", "12345678901234567.0", "1E-7",
                   "0.000001", "2e0", "10000000000000000000000", "-1.0e-10", "4.35", "1e-323")
QUERY_SENSITIVE = ("api_key", "apikey", "api-key", "key", "token", "access_token", "auth", "auth_token",
                   "secret", "password", "pwd", "credential", "credentials", "tavilyapikey", "tavilyApiKey",
                   "TOKEN", "Api_Key", "to\u212aen", "api%5Fkey", "pass%77ord", "Key", "tavilyAPIKEY", "ap\u0130key",
                   "ＴＯＫＥＮ", "p+wd", "token%00", "%74oken", "KEY", "Secret")
QUERY_PLAIN = ("q", "page", "next", "state", "code", "sig", "a", "b", "", "x y", "ключ", "keys", "tokens",
               "session_id", "redirect")

# Hosts urllib.parse rejects (bad IPv6 brackets, NFKC-unsafe netlocs); PARSABLE_HOST stands in for
# them when the comparator asks what the oracle would mask had the URL parsed.
UNPARSABLE_HOSTS = ("[::2", "[v1.fe]", "ｕ＠h", "a℀b.c", "[::3]x")  # none is part of a valid host
PARSABLE_HOST = "h"

SCHEMES_TEXT = ("http", "https", "https", "http", "HTTP", "Https", "ftp", "hxxp")
SCHEMES_URL_FN = ("http", "https", "HTTP", "HtTpS", "ftp", "ws", "file", "git+ssh", "mailto", "", "1http")


@dataclass
class Case:
    cid: int
    fn: str
    list_name: str
    redact_fields: tuple[str, ...] | None
    args: dict[str, Any]              # string / int arguments (text, key, url, type, max_size)
    value_json: str | None = None     # raw JSON text of `value`
    secrets: list[str] = field(default_factory=list)
    d3_secrets: list[str] = field(default_factory=list)
    d3_maybe: bool = False
    tags: set[str] = field(default_factory=set)

    def driver_line(self, deviations: bool) -> str:
        head: dict[str, Any] = {"fn": self.fn, **self.args}
        if self.redact_fields is not None:
            head["redact_fields"] = list(self.redact_fields)
        if not deviations:
            head["deviations"] = False
        line = json.dumps(head, ensure_ascii=False)
        if self.value_json is not None:
            line = line[:-1] + ',"value":' + self.value_json + "}"
        return line

    def with_parsable_hosts(self) -> "Case":
        """The same case with every planted unparsable host replaced by a plain one."""
        def fix(t: str) -> str:
            for h in UNPARSABLE_HOSTS:
                t = t.replace(h, PARSABLE_HOST)
            return t

        args = {k: fix(v) if isinstance(v, str) else v for k, v in self.args.items()}
        return Case(cid=self.cid, fn=self.fn, list_name=self.list_name, redact_fields=self.redact_fields, args=args,
                    value_json=fix(self.value_json) if self.value_json is not None else None)

    def value(self) -> Any:
        return json.loads(self.value_json) if self.value_json is not None else None


class Gen:
    """One generator state per corpus: a seeded RNG and a counter that makes every secret unique."""

    def __init__(self, seed: int) -> None:
        self.r = random.Random(seed)
        self.n = 0
        self.case: Case | None = None

    # ---------------------------------------------------------------- atoms
    def secret(self, charset: str = "plain") -> str:
        """A unique token; `charset` widens it with characters that stop or survive the rules."""
        self.n += 1
        r = self.r
        core = "Zq" + _b36(self.n) + "x" + "".join(r.choice("abcdefghkmnpqrstuvwxyz23456789") for _ in range(r.randint(3, 8)))
        if charset == "bearer":
            core += r.choice(("", "", ".sig", "+/=", "~_-", "=="))
        elif charset == "wide":
            core += r.choice(("", "", "é", "日本", "😀", "-x", ".y", "/z", "+", "%41", ":9", "!", "'q", ')'))
        assert self.case is not None
        self.case.secrets.append(core)
        return core

    def field_for_case(self) -> str:
        fields = self.case.redact_fields if self.case and self.case.redact_fields else DEFAULT_FIELDS
        if self.r.random() < 0.8:
            return self.r.choice(fields)
        return self.r.choice(MODULE_FALLBACK_FIELDS + ("query", "api key", "apiKey", "pwd", "key"))

    def render_key(self, f: str, allow_odd: bool = True) -> tuple[str, bool]:
        """Render a field name in some key style; returns (key, whether the style keeps the match)."""
        r = self.r
        parts = [p for p in re.split(r"[^A-Za-z0-9]+", f) if p] or [f]
        style = r.choice(("snake", "kebab", "camel", "dotted", "upper", "concat", "spaced", "asis", "asis",
                          "title", "prefix", "suffix", "odd") if allow_odd else
                         ("snake", "kebab", "camel", "dotted", "upper", "concat", "asis", "title"))
        self.case.tags.add("key_" + style)
        if style == "snake":
            return "_".join(parts), True
        if style == "kebab":
            return "-".join(parts), True
        if style == "camel":
            return parts[0].lower() + "".join(p.capitalize() for p in parts[1:]), True
        if style == "dotted":
            return ".".join(parts), True
        if style == "upper":
            return "_".join(parts).upper(), True
        if style == "concat":
            return "".join(parts), True
        if style == "spaced":
            return " ".join(parts), True
        if style == "title":
            return "-".join(p.capitalize() for p in parts), True
        if style == "asis":
            return f, True
        if style == "prefix":
            return r.choice(("x_", "my-", "x", "user", "é", "_", "1", "-", ".", "日", "😀", "Ⅻ", "\u0301", "ª", "²", "½",
                             "\u200d", "\u0660", "ǅ", "\u00a0")) + "_".join(parts), False
        if style == "suffix":
            return "_".join(parts) + r.choice(("_id", "2", "s", "é", "_", "-", "ß", "\u0301", "日", "😀", "Ⅻ", "²", "\u200d",
                                               "\u0660", "ª")), False
        # case-folding oddities near keys: long s, Kelvin sign, dotless/dotted i, sharp s, fullwidth
        k = "_".join(parts)
        subs = [("s", "ſ"), ("k", "\u212a"), ("i", "ı"), ("i", "İ"), ("K", "\u212a"), ("ss", "ß"),
                ("e", "é"), ("o", "ｏ"), ("a", "а")]
        a, b = r.choice(subs)
        if a in k:
            k = k.replace(a, b, 1)
        else:
            k = k.upper().replace(a.upper(), b, 1)
        self.case.tags.add("unicode_key")
        return k, False

    def sep(self) -> str:
        return self.r.choice(("=", "=", ":", ": ", " = ", " : ", "=  ", " :", "\t=\t", "=>", "::", "==", " ", "",
                              "\u00a0=", "=\n", "\u2003=\u2003", "=\u3000", "\x1c:", "\x85=", ": \u200b"))

    def term(self) -> str:
        return self.r.choice(("", " ", ",", ";", "&", "\t", "\n", "'", '"', ")", "!", "é", ".", "/", "\x00", "|",
                              "\u2003", "\x1c", "\x85", "\u3000", "\u200b", "<", "}"))

    def filler(self) -> str:
        r = self.r
        k = r.random()
        if k < 0.45:
            return r.choice(ASCII_WORDS)
        if k < 0.8:
            self.case.tags.add("unicode")
            return r.choice(UNICODE_WORDS) + r.choice(("", r.choice(ASCII_WORDS)))
        self.case.tags.add("control")
        return r.choice(CONTROL_CHARS)

    # ---------------------------------------------------------------- segments of free text
    def seg_kv(self) -> str:
        r = self.r
        f = self.field_for_case()
        key, _ = self.render_key(f)
        sep = self.sep()
        kind = r.random()
        if kind < 0.45:
            val = self.secret("wide")
        elif kind < 0.65:
            q = r.choice(("'", '"'))
            close = q if r.random() < 0.85 else r.choice(("'", '"', ""))
            inner = self.secret("wide") + r.choice(("", " " + self.secret(), ",x", ";y"))
            val = q + inner + close
            self.case.tags.add("quoted_value")
        elif kind < 0.8:
            val = r.choice(("REDACTED", "REDACTEDx", "REDACTED_", "***", "***x", "*** ***", "", "REDACTED.", "redacted"))
            if r.random() < 0.5:
                val += self.secret()
            self.case.tags.add("mask_value")
        elif kind < 0.9:
            # chained keys: password=token=abc, token=password: x
            val = self.render_key(self.field_for_case())[0] + self.sep() + self.secret()
            self.case.tags.add("chained")
        else:
            val = self.secret() + r.choice((",", ";", "&", "é", "'", '"')) + self.secret()
        self.case.tags.add("kv")
        return key + sep + val + self.term()

    def seg_json_kv(self) -> str:
        """A JSON-quoted key (D3 territory). Marks d3_secrets only for unambiguous JSON forms."""
        r = self.r
        f = self.field_for_case()
        key, _ = self.render_key(f, allow_odd=r.random() < 0.2)
        # D3 keys match like structured keys: the normalized key is a configured field
        keeps = self._key_configured(key)
        if keeps and _norm(key) != d3_norm(key):
            self.case.tags.add("d3_casefold_key")  # the oracle's text rule folds it (paſsword), plain normalizing does not
        form = r.random()
        configured = True
        if form < 0.55:
            s = self.secret()
            txt = '"' + key + '"' + r.choice((": ", ":", " : ", ":  ")) + '"' + s + '"'
            strict = True
        elif form < 0.7:
            self.n += 1
            s = "7" + str(self.n).zfill(7) + str(r.randint(10, 99))  # numeric secret, unique digits
            self.case.secrets.append(s)
            txt = '"' + key + '":' + r.choice(("", " ")) + s
            strict = False
            self.case.tags.add("json_number_value")
            self.case.d3_maybe = True
        elif form < 0.8:
            a, b = self.secret(), self.secret()
            txt = '"' + key + '": "' + a + '\\"' + b + '"'
            s = None
            strict = False
            self.case.d3_maybe = True
        elif form < 0.9:
            s = self.secret()
            txt = "'" + key + "': '" + s + "'"
            strict = False
            self.case.d3_maybe = True
            self.case.tags.add("single_quoted_key")
        else:
            s = self.secret()
            txt = '\\"' + key + '\\": \\"' + s + '\\"'
            strict = False
            self.case.d3_maybe = True
            self.case.tags.add("escaped_json_key")
        if r.random() < 0.5:
            txt = "{" + txt + r.choice(("}", ', "other": 1}', ', "note": "x"}'))
        if strict and keeps and configured and s is not None:
            self.case.d3_secrets.append(s)
        else:
            self.case.d3_maybe = True
        self.case.tags.add("json_key")
        return txt

    def _key_configured(self, key: str) -> bool:
        fields = self.case.redact_fields
        if fields is None:
            fields = DEFAULT_FIELDS
        elif fields == ():
            fields = MODULE_FALLBACK_FIELDS
        return d3_norm(key) in {_norm(x) for x in fields}

    def seg_bearer(self) -> str:
        r = self.r
        scheme = r.choice(("Bearer", "bearer", "BEARER", "Basic", "basic", "BaSiC", "Bearer:", "xBearer", "Token"))
        ws = r.choice((" ", "  ", "\t", "\n", "", "\u00a0", " \x0b", "\u2003", "\x1c", "\u3000"))
        tok = self.secret("bearer")
        pre = r.choice(("", "", "Authorization: ", "authorization=", "Proxy-Authorization: ", "auth ", '"Authorization": "'))
        self.case.tags.add("bearer")
        return pre + scheme + ws + tok + r.choice(("", " ", ",", ";", "'", '"', "!", "é", "\n", ".", ":x", "\u2003", "\x1c",
                                                   "\x85", "\u200b", "&"))

    def seg_url(self, in_text: bool = True) -> str:
        r = self.r
        scheme = r.choice(SCHEMES_TEXT if in_text else SCHEMES_URL_FN)
        userinfo = ""
        u = r.random()
        if u < 0.35:
            userinfo = r.choice(("", "u", "user", "ü", "a%40b", "x:y:")) + ":" + self.secret("plain") + "@"
        elif u < 0.45:
            userinfo = self.secret() + "@"
        elif u < 0.5:
            userinfo = r.choice((":@", "@", ":" + self.secret() + "@", "u:p@u2:p2@", "a@b@", "%75:%70@",
                                 "u:" + self.secret() + "%40x@", "U:" + self.secret() + "@@"))
        host = r.choice(("example.com", "h", "127.0.0.1:8080", "[::1]", "[::1]:8443", "[2001:db8::7]", "EXAMPLE.COM:443",
                         "bücher.de", "xn--bcher-kva.de", "h:99999", "h:abc", ""))
        if r.random() < 0.03:  # hosts urlparse rejects: the oracle raises ValueError
            host = r.choice(UNPARSABLE_HOSTS)
            self.case.tags.add("oracle_raises_host")
        path = r.choice(("", "/", "/x", "/a/b;p=1", "/%7Euser", "/é", "/a b" if not in_text else "/a+b", "/p\\q", "//double"))
        query = ""
        if r.random() < 0.8:
            params = []
            for _ in range(r.randint(1, 5)):
                if r.random() < 0.5:
                    name = r.choice(QUERY_SENSITIVE)
                    val = self.secret("wide") if r.random() < 0.85 else r.choice(("", "REDACTED"))
                else:
                    name = r.choice(QUERY_PLAIN)
                    val = r.choice(("1", "", "a+b", "a%20b", "%zz", "%C3", "x\\y", "é", "/p/q", "~t", "v=w", "%2B",
                                    "%00", "1;2", "%ff", "%E2%82", "%u1234", "<x>", "a%2",  "*", "!$'()", "\u00a0",
                                    self.secret("wide")))
                form = r.random()
                if form < 0.8:
                    params.append(name + "=" + val)
                elif form < 0.9:
                    params.append(name)
                else:
                    params.append("")
            if r.random() < 0.2:
                params.append(params[0])  # repeated parameter
            query = "?" + "&".join(params)
        frag = r.choice(("", "", "", "#", "#frag", "#token=" + self.secret(), "#a?b=c"))
        if r.random() < 0.05:
            query = "?"
        url = scheme + "://" + userinfo + host + path + query + frag
        if not in_text and r.random() < 0.1:
            url = r.choice(("  ", "\t", "\x00", "\n")) + url + r.choice(("", " ", "\n"))
            self.case.tags.add("url_ws")
        self.case.tags.add("url")
        if userinfo:
            self.case.tags.add("userinfo")
        return url

    def seg_masks(self) -> str:
        return self.r.choice(("*** ***", "***\t***", "*** *** ***", "***  x ***", "***\n***", "****", "** ***"))

    def text(self, nseg: tuple[int, int] = (1, 8)) -> str:
        r = self.r
        kinds = (("filler", 30), ("kv", 30), ("json_kv", 9), ("bearer", 10), ("url", 14), ("masks", 4))
        names = [k for k, _ in kinds]
        weights = [w for _, w in kinds]
        out = []
        for _ in range(r.randint(*nseg)):
            k = r.choices(names, weights)[0]
            seg = {"filler": self.filler, "kv": self.seg_kv, "json_kv": self.seg_json_kv, "bearer": self.seg_bearer,
                   "url": self.seg_url, "masks": self.seg_masks}[k]()
            out.append(seg)
            out.append(r.choice((" ", " ", "", ", ", "; ", "&", "\n", " | ", "\t", "=", ":")))
        return "".join(out[:-1])

    # ---------------------------------------------------------------- structured values
    def key_for_dict(self) -> str:
        r = self.r
        k = r.random()
        if k < 0.35:
            return self.render_key(self.field_for_case())[0]
        if k < 0.55:
            self.case.tags.add("url_like_key")
            return r.choice(URL_LIKE_KEYS)
        return r.choice(PLAIN_KEYS)

    def struct(self, depth: int) -> Any:
        r = self.r
        k = r.random()
        if depth <= 0 or k < 0.45:
            return self.scalar()
        if k < 0.75:
            return {self.key_for_dict(): self.struct(depth - 1) for _ in range(r.randint(0, 5))}
        return [self.struct(depth - 1) for _ in range(r.randint(0, 5))]

    def scalar(self) -> Any:
        r = self.r
        k = r.random()
        if k < 0.55:
            return self.text((1, 3))
        if k < 0.65:
            return self.seg_url()
        if k < 0.8:
            self.case.tags.add("number")
            return _Raw(r.choice(NUMBER_LITERALS))
        if k < 0.9:
            return r.choice((True, False, None))
        return self.secret("wide")

    def truncation_payload(self, max_size: int) -> Any:
        """A payload whose compact JSON lands within a few characters of max_size."""
        r = self.r
        unit = r.choice(("y", "€", "😀", "e\u0301", '"', "\\", "\x01", "\n", "日本", "a\u2028", "<>&", "\x7f"))
        target = max_size + r.randint(-40, 40)
        shape = r.random()
        key = r.choice(("a", "data", "é", "text", "password", "note"))
        base = {key: ""} if shape < 0.6 else ([""] if shape < 0.8 else "")
        probe = json.dumps(base, ensure_ascii=False, separators=(",", ":"))
        unit_len = len(json.dumps(unit, ensure_ascii=False)) - 2
        reps = max(0, (target - len(probe)) // max(1, unit_len))
        filler = (unit * reps)
        filler = filler + "x" * max(0, target - len(probe) - len(json.dumps(filler, ensure_ascii=False)) + 2)
        if r.random() < 0.3:
            filler = self.secret() + " token=" + self.secret() + " " + filler
        self.case.tags.add("truncation_boundary")
        if isinstance(base, dict):
            return {key: filler, **({"token": self.secret()} if r.random() < 0.3 else {})}
        if isinstance(base, list):
            return [filler]
        return filler


class _Raw:
    """A JSON number literal kept as written."""

    def __init__(self, text: str) -> None:
        self.text = text


def to_json_text(v: Any) -> str:
    """Compact JSON text of a generated value, splicing raw number literals in as written."""
    if isinstance(v, _Raw):
        return v.text
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + to_json_text(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(to_json_text(x) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


def _b36(n: int) -> str:
    s = ""
    while True:
        n, d = divmod(n, 36)
        s = "0123456789abcdefghijklmnopqrstuvwxyz"[d] + s
        if n == 0:
            return s


def _field_text_pattern(f: str) -> str:
    """The free-text key pattern of a field: its alphanumeric parts joined by `[\\W_]*`."""
    parts = [re.escape(p) for p in re.split(r"[^A-Za-z0-9]+", f) if p]
    return r"[\W_]*".join(parts) if parts else re.escape(f)


def _norm(s: str) -> str:
    return re.sub(r"[^a-z0-9]", "", s.lower())


IGNORECASE_FOLDS = str.maketrans({"\u017f": "s", "\u0131": "i", "\u212a": "k"})  # ſ ı K: re.IGNORECASE's extra ASCII matches


def d3_norm(key: str) -> str:
    """How D3 matches a quoted key: normalized after the text rule's IGNORECASE folds, so "paſſword" is password."""
    return _norm(key.translate(IGNORECASE_FOLDS))


FN_WEIGHTS = {
    "sanitize_trace_text": 44,
    "sanitize_trace_attribute_value": 16,
    "serialize_trace_payload": 20,
    "sanitize_span_exception_message": 8,
    "sanitize_url_for_logging": 12,
}
MAX_SIZES = (256, 256, 257, 300, 384, 512, 1000, 1024, 2048, 4096, 32768)
EXC_TYPES = ("ToolInvocationError", "ConnectError", "ValueError", "McpError", "ExceptionGroup", "ToolTimeoutError", "E")


def generate(count: int = DEFAULT_CASE_COUNT, seed: int = SEED) -> list[Case]:
    g = Gen(seed)
    r = g.r
    fns = list(FN_WEIGHTS)
    fw = [FN_WEIGHTS[f] for f in fns]
    lists = list(REDACT_FIELD_LISTS)
    lw = [REDACT_LIST_WEIGHTS[n] for n in lists]
    cases = []
    for cid in range(count):
        fn = r.choices(fns, fw)[0]
        list_name = "absent" if fn == "sanitize_url_for_logging" else r.choices(lists, lw)[0]
        case = Case(cid=cid, fn=fn, list_name=list_name, redact_fields=REDACT_FIELD_LISTS[list_name], args={})
        g.case = case
        if fn == "sanitize_trace_text":
            case.args["text"] = g.text() if r.random() < 0.97 else r.choice(("", " ", "***", "\x00", "http://", "Bearer "))
        elif fn == "sanitize_span_exception_message":
            text = g.text()
            k = r.random()
            if k < 0.15:
                text = (text + " ") * r.randint(1, 4) + "é" * r.randint(990, 1040)
                case.tags.add("long_message")
            elif k < 0.25:
                text = r.choice(("", " ", "\n\t", "\x00\x1f", "\u00a0", "\u3000", "\x85", "\u2028")) * r.randint(1, 3)
                case.tags.add("blank_message")
            case.args["text"] = text
            case.args["type"] = r.choice(EXC_TYPES)
        elif fn == "sanitize_url_for_logging":
            case.args["url"] = g.seg_url(in_text=False) if r.random() < 0.95 else r.choice(("", "http://", "//u:p@h/x?token=1", "mailto:a@b?token=1"))
        elif fn == "sanitize_trace_attribute_value":
            case.args["key"] = r.choice(ATTRIBUTE_KEYS) if r.random() < 0.6 else g.key_for_dict()
            k = r.random()
            if k < 0.55:
                v: Any = g.text((1, 4)) if r.random() < 0.8 else g.seg_url()
            elif k < 0.7:
                v = g.scalar()
            elif k < 0.85:
                v = [g.text((1, 2)) for _ in range(r.randint(0, 4))]
            else:
                v = g.struct(3)
            case.value_json = to_json_text(v)
        else:  # serialize_trace_payload
            max_size = r.choice(MAX_SIZES)
            case.args["max_size"] = max_size
            k = r.random()
            if k < 0.3:
                v = g.truncation_payload(max_size)
            elif k < 0.93:
                v = {g.key_for_dict(): g.struct(4) for _ in range(r.randint(0, 6))}
            elif k < 0.97:
                v = g.scalar()
            else:
                # a duplicate key: Python's json.loads keeps the first position and the last value
                a, b = g.secret(), g.secret()
                v = None
                case.value_json = '{"note":"' + a + '","x":1,"note":"' + b + '"}'
                case.tags.add("duplicate_key")
            if v is not None or case.value_json is None:
                case.value_json = to_json_text(v)
        cases.append(case)
    return cases
