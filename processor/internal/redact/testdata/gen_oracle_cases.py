"""Regenerate oracle_cases.json: random and hand-picked inputs with the answers of the real
oracle (mcp-contextforge-gateway==1.0.7.post20260921 in .cache/venv). Not run by tests.

  cd processor/internal/redact/testdata && JWT_SECRET_KEY=... AUTH_ENCRYPTION_SECRET=... \
  PLATFORM_ADMIN_PASSWORD=... BASIC_AUTH_PASSWORD=... ../../../../.cache/venv/bin/python gen_oracle_cases.py
"""
import json, os, random
os.environ.setdefault("OTEL_REDACT_FIELDS", "password,secret,token,api_key,authorization,credential,auth_value,access_token,refresh_token,auth_token,client_secret,cookie,set-cookie,private_key,session_id,sessionid")
from mcpgateway.utils import trace_redaction as tr
from mcpgateway.utils.url_auth import sanitize_url_for_logging
from mcpgateway.observability import _sanitize_span_exception_message
rnd = random.Random(20260921)
N = 600
atoms = ["password", "Password", "PASSWORD", "pass_word", "api_key", "api-key", "apiKey", "API KEY", "token", "auth_token", "x_password", "my-password",
 "session_id", "sessionid", "set-cookie", "SET_COOKIE", "client_secret", "Bearer", "bearer", "BASIC", "Baſic", "basic", "tOKEN", "toKen",
 "=", ":", " = ", ": ", "  ", " ", "'", '"', "\\\"", ",", ";", "&", "***", "REDACTED", "redacted", "x", "abc", "é", "日本", "😀", "\u0301",
 "\n", "\t", "\x00", "\x85", "\xa0", "\u2028", "_", "-", ".", "http://", "https://", "u:p@", "@", "?", "#", "/", "%", "%2F", "%E2%82", "%zz", "+",
 "key=", "tavilyApiKey=", "q=1", "[::1]", "[", "]", "h.com", "example.com:8080", "\u212a", "İ", "ı", "\\", "{", "}", "1", "0"]
def gen_text():
    return "".join(rnd.choice(atoms) for _ in range(rnd.randint(0, 14)))
def gen_value(d=0):
    t = rnd.random()
    if d > 3 or t < 0.4: return gen_text()
    if t < 0.5: return rnd.choice([None, True, False, 1, -0, 1.5, 1e16, 1e-5, 100.0, 2**70, float("nan"), float("inf")])
    if t < 0.75: return [gen_value(d+1) for _ in range(rnd.randint(0, 3))]
    return {rnd.choice(["password","url","redirect_uri","item","a","Api_Key","note","text","auth.token","é"]) + rnd.choice(["","","_x"]): gen_value(d+1) for _ in range(rnd.randint(0, 3))}
cases = []
for i in range(N):
    k = rnd.random()
    if k < 0.5:
        cases.append({"fn": "sanitize_trace_text", "text": gen_text()})
    elif k < 0.65:
        cases.append({"fn": "sanitize_url_for_logging", "url": rnd.choice(["http://", "https://", "HTTP://", "", "ftp://"]) + gen_text()})
    elif k < 0.75:
        cases.append({"fn": "sanitize_span_exception_message", "text": gen_text()})
    elif k < 0.85:
        cases.append({"fn": "sanitize_trace_attribute_value", "key": rnd.choice(["password", "url.full", "tool.name", "x", "auth.token", "item"]), "value": gen_value()})
    else:
        cases.append({"fn": "serialize_trace_payload", "value": gen_value(), "max_size": rnd.choice([256, 300, 1000, 32768])})

hand = [
    "Authorization: Bearer sekrit-bearer", "token=abc123 Bearer xyz", "BAſIC  abc\n", "\u212aEY=1 ke\u212a=2",
    "x\u00a0password\u00a0=\u00a0v", "pässword=1 p_ssword=2", "api_key\u3000:\u3000v", "token:'a\"b'",
    "see http://[::1/x?token=1", "see https://u:p@[::1]:8080/p;x?token=1&a=%E2%82&b=+c#f",
    "https://h/p;?q=1", "https://h/?&&", "https://h/?a=1&a=2&A=3&key", "https://@h/?x=1", "https://:@h/", "https://:p@h/",
    "http://h\uff0fx@y/?q=1", "https://h?TOKEN=1&Token=2&tavilyApiKey=3&TAVILYAPIKEY=4",
    "*** *** ***", "****  ***", "token=REDACTEDx", "token=redacted", "secret=***x",
    "日本 token=値 😀 password: 'ü'", "token\u0301=1", "_token=1", "token_=1", "\u0130token=1",
]
for t in hand:
    cases.append({"fn": "sanitize_trace_text", "text": t})
    cases.append({"fn": "sanitize_url_for_logging", "url": t})
out = []
for c in cases:
    fn = c["fn"]
    try:
        if fn == "sanitize_trace_text": exp = tr.sanitize_trace_text(c["text"])
        elif fn == "sanitize_url_for_logging": exp = sanitize_url_for_logging(c["url"])
        elif fn == "sanitize_span_exception_message": exp = _sanitize_span_exception_message(Exception(c["text"]))
        elif fn == "sanitize_trace_attribute_value": exp = tr.sanitize_trace_attribute_value(c["key"], c["value"])
        else: exp = tr.serialize_trace_payload(c["value"], c["max_size"])
        out.append({"in": c, "out": exp})
    except ValueError as e:
        out.append({"in": c, "raises": "ValueError: " + str(e)})
with open("oracle_cases.json", "w") as f:
    json.dump({"redact_fields": os.environ["OTEL_REDACT_FIELDS"], "cases": out}, f, ensure_ascii=False, indent=0)
print(len(out), "cases")
