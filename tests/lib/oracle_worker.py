"""Run the REAL oracle's payload helpers (mcpgateway.utils.trace_redaction) on a batch of payloads.

Started by tests/lib/oracle_payload.py in a fresh subprocess of the oracle venv, with the case's
gateway settings in its environment (OTEL_REDACT_FIELDS, OTEL_MAX_TRACE_PAYLOAD_SIZE), so the
oracle's module-level configuration never leaks into the caller.

stdin:  {"payloads": [{"kind": "arguments"|"tool_result"|"uri", "attribute": key, "value": ...}, ...]}
stdout: {"results": [{"single_pass": str, "double_pass": str, "normalized": value}, ...]}

single_pass = serialize_trace_payload(value) (what D4 keeps); double_pass = the same string after
set_span_attribute's second sanitize (what the Python runtime exports). A tool_result value is
first normalized through the oracle's own ToolResult model (field order, nulls kept). A `uri`
value is an attribute string, not a payload: single_pass = the D8 form (free-text rules, then the
attribute's own rules), double_pass = what Python exports (the attribute's rules only).
"""

import json
import sys


def main() -> None:
    request = json.load(sys.stdin)
    result_stream = sys.stdout
    sys.stdout = sys.stderr  # the gateway logs on import; keep stdout for the one JSON answer
    # Imported here: the settings are read from this process's environment at first use.
    from mcpgateway.common.models import ToolResult  # pylint: disable=import-outside-toplevel
    from mcpgateway.utils import trace_redaction  # pylint: disable=import-outside-toplevel

    trace_redaction.reload_trace_redaction_config()
    results = []
    for item in request["payloads"]:
        value = item["value"]
        if item["kind"] == "uri":
            single = trace_redaction.sanitize_trace_attribute_value(item["attribute"], trace_redaction.sanitize_trace_text(value))
            double = trace_redaction.sanitize_trace_attribute_value(item["attribute"], value)
            results.append({"single_pass": single, "double_pass": double, "normalized": value})
            continue
        if item["kind"] == "tool_result":
            value = ToolResult.model_validate(value).model_dump(mode="json", by_alias=True)
        single = trace_redaction.serialize_trace_payload(value)
        double = trace_redaction.sanitize_trace_attribute_value(item["attribute"], single)
        results.append({"single_pass": single, "double_pass": double, "normalized": value})
    json.dump({"results": results}, result_stream, ensure_ascii=False)


if __name__ == "__main__":
    main()
