//! The exact raw spans of each outcome, through the SDK's in-memory exporter.

use std::collections::BTreeMap;

use mcpparity_emitter::facts::{replay, Facts};
use mcpparity_emitter::*;
use opentelemetry::trace::{SpanKind, Status, TraceId};
use opentelemetry::{Array, Context, StringValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};

fn emitter(capture: bool, max_raw_payload_bytes: usize) -> (RawSpanEmitter, InMemorySpanExporter) {
    let exporter = InMemorySpanExporter::default();
    let config = EmitterConfig {
        gateway_version: "1.0.7-20260921".into(),
        capture_input: capture,
        capture_output: capture,
        max_raw_payload_bytes,
        ..EmitterConfig::default()
    };
    let emitter =
        RawSpanEmitter::with_span_processor(config, SimpleSpanProcessor::new(exporter.clone()));
    (emitter, exporter)
}

fn s(v: &str) -> Value {
    Value::from(v.to_owned())
}

fn attrs(span: &SpanData) -> BTreeMap<String, Value> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.to_string(), kv.value.clone()))
        .collect()
}

fn expect(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect()
}

/// The request context of the cases below: correlation id recorded, jwt admin, public teams.
fn context_attrs(op: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("cf.op", s(op)),
        ("cf.correlation_id", s("c94b8eae12724b6c8a19dc582c6b3e84")),
        ("cf.correlation_id.from_header", Value::Bool(false)),
        ("cf.auth.method", s("jwt")),
        ("cf.user.email", s("admin@example.com")),
        ("cf.user.is_admin", Value::Bool(true)),
        (
            "cf.team.ids",
            Value::Array(Array::String(Vec::<StringValue>::new())),
        ),
    ]
}

fn with_context(op: &str, own: &[(&'static str, Value)]) -> BTreeMap<String, Value> {
    let mut all = context_attrs(op);
    all.extend(own.iter().cloned());
    expect(&all)
}

fn facts(tool: &str, outcome: &str) -> Facts {
    Facts::from_json(&format!(
        r#"{{"facts_version":1,"env":{{}},
        "request":{{"method":"POST","path":"/rpc","query":"","http_version":"1.1","server_address":"127.0.0.1","server_port":14444,
          "client_address":"127.0.0.1","client_port":38690,"user_agent":"python-httpx/0.28.1","headers":{{}},
          "correlation_id":"c94b8eae12724b6c8a19dc582c6b3e84","status_code":200}},
        "identity":{{"auth_method":"jwt","user_email":"admin@example.com","is_admin":true,"team_name":null,"team_ids":[]}},
        "tool":{tool},
        "call":{{"jsonrpc_id":7,"arguments":{{"query": "hello"}}}},
        "outcome":{outcome}}}"#
    ))
    .expect("valid facts")
}

const REST_TOOL: &str = r#"{"name":"echo-tool","id":"c91645f3ed384120b9ca91093f889ad1","integration_type":"REST","gateway_id":null,"server_id":null}"#;
const MCP_TOOL: &str = r#"{"name":"upstream-explode","id":"4c0da98278114b9bb51951a36acd57e9","integration_type":"MCP",
  "gateway_id":"aadee14b4fc94f9f9bf60d895538364b","upstream":{"tool_name":"explode","transport":"streamablehttp","url":"http://localhost:18090/mcp"}}"#;

fn by_name(spans: &[SpanData]) -> BTreeMap<String, &SpanData> {
    let map: BTreeMap<String, &SpanData> = spans.iter().map(|s| (s.name.to_string(), s)).collect();
    assert_eq!(map.len(), spans.len(), "span names are unique in one call");
    map
}

fn names_in_end_order(spans: &[SpanData]) -> Vec<&str> {
    spans.iter().map(|s| s.name.as_ref()).collect()
}

fn assert_child_of(child: &SpanData, parent: &SpanData) {
    assert_eq!(
        child.span_context.trace_id(),
        parent.span_context.trace_id(),
        "{}",
        child.name
    );
    assert_eq!(
        child.parent_span_id,
        parent.span_context.span_id(),
        "{} under {}",
        child.name,
        parent.name
    );
    assert!(!child.parent_span_is_remote);
}

#[test]
fn rest_success_emits_the_full_tree_with_exact_facts() {
    let (emitter, exporter) = emitter(true, 1 << 20);
    let result = r#"{"content":[{"type":"text","text":"ok"}],"isError":false}"#;
    replay(
        &emitter,
        &facts(REST_TOOL, &format!(r#"{{"found":true,"result":{result}}}"#)),
    );
    let spans = exporter.get_finished_spans().unwrap();
    // Ended in Python's order: children first, in the order they were opened.
    assert_eq!(
        names_in_end_order(&spans),
        [
            "tool.lookup",
            "tool.gateway_call",
            "tool.post_process",
            "tools/call echo-tool",
            "POST /rpc"
        ]
    );
    let m = by_name(&spans);
    let root = m["POST /rpc"];
    assert_eq!(root.span_kind, SpanKind::Server);
    assert_eq!(root.parent_span_id, opentelemetry::trace::SpanId::INVALID);
    assert_eq!(root.status, Status::Unset);
    assert_eq!(
        attrs(root),
        with_context(
            "request",
            &[
                ("http.request.method", s("POST")),
                ("url.path", s("/rpc")),
                ("network.protocol.version", s("1.1")),
                ("server.address", s("127.0.0.1")),
                ("server.port", Value::I64(14444)),
                ("client.address", s("127.0.0.1")),
                ("client.port", Value::I64(38690)),
                ("user_agent.original", s("python-httpx/0.28.1")),
                ("http.response.status_code", Value::I64(200)),
            ]
        )
    );
    let invoke = m["tools/call echo-tool"];
    assert_eq!(invoke.span_kind, SpanKind::Internal);
    assert_child_of(invoke, root);
    assert_eq!(
        attrs(invoke),
        with_context(
            "tool.invoke",
            &[
                ("mcp.method.name", s("tools/call")),
                ("gen_ai.operation.name", s("execute_tool")),
                ("gen_ai.tool.name", s("echo-tool")),
                ("jsonrpc.request.id", s("7")),
                ("cf.tool.id", s("c91645f3ed384120b9ca91093f889ad1")),
                ("cf.tool.integration_type", s("REST")),
                ("cf.arguments.count", Value::I64(1)),
                ("cf.request.has_headers", Value::Bool(true)),
                // Raw text exactly as received (whitespace kept): the runtime never re-serializes.
                ("gen_ai.tool.call.arguments", s(r#"{"query": "hello"}"#)),
                ("gen_ai.tool.call.result", s(result)),
                ("cf.result.is_error", Value::Bool(false)),
            ]
        )
    );
    assert!(invoke.events.is_empty());
    let tool_facts = [
        ("gen_ai.tool.name", s("echo-tool")),
        ("cf.tool.id", s("c91645f3ed384120b9ca91093f889ad1")),
        ("cf.tool.integration_type", s("REST")),
    ];
    assert_eq!(
        attrs(m["tool.lookup"]),
        with_context("tool.lookup", &tool_facts)
    );
    assert_eq!(
        attrs(m["tool.gateway_call"]),
        with_context("tool.gateway_call", &tool_facts)
    );
    assert_eq!(
        attrs(m["tool.post_process"]),
        with_context("tool.post_process", &tool_facts[..2])
    );
    for child in ["tool.lookup", "tool.gateway_call", "tool.post_process"] {
        assert_child_of(m[child], invoke);
        assert_eq!(m[child].status, Status::Unset);
    }
    for span in &spans {
        assert_eq!(span.instrumentation_scope.name(), SCOPE_NAME);
        assert_eq!(span.instrumentation_scope.version(), Some("1.0.7-20260921"));
    }
}

#[test]
fn is_error_result_is_a_clean_span_with_the_flag() {
    let (emitter, exporter) = emitter(false, 1 << 20);
    replay(
        &emitter,
        &facts(
            MCP_TOOL,
            r#"{"found":true,"result":{"content":[{"type":"text","text":"HTTP 500"}],"isError":true}}"#,
        ),
    );
    let spans = exporter.get_finished_spans().unwrap();
    let m = by_name(&spans);
    assert_eq!(m.len(), 9, "{:?}", names_in_end_order(&spans));
    let invoke = attrs(m["tools/call upstream-explode"]);
    assert_eq!(invoke["cf.result.is_error"], Value::Bool(true));
    assert!(
        !invoke.contains_key("gen_ai.tool.call.result"),
        "capture is off"
    );
    assert!(
        !invoke.contains_key("gen_ai.tool.call.arguments"),
        "capture is off"
    );
    assert_eq!(
        attrs(m["mcp.client.response"])["cf.upstream.success"],
        Value::Bool(false)
    );
    for span in &spans {
        assert!(span.events.is_empty(), "{}", span.name);
        assert_eq!(span.status, Status::Unset, "{}", span.name);
    }
}

#[test]
fn exception_marks_failing_spans_and_drops_spans_after_the_failure() {
    let (emitter, exporter) = emitter(true, 1 << 20);
    let msg = "upstream failure: password=hunter2 token=abc123";
    replay(
        &emitter,
        &facts(
            MCP_TOOL,
            &format!(
                r#"{{"found":true,"errors":{{
                "tool.invoke":{{"type":"ToolInvocationError","message":"Tool invocation failed: {msg}"}},
                "tool.gateway_call":{{"type":"ExceptionGroup","message":"unhandled errors in a TaskGroup (1 sub-exception)"}},
                "mcp.client.call":{{"type":"ExceptionGroup","message":"unhandled errors in a TaskGroup (1 sub-exception)"}},
                "mcp.client.request":{{"type":"McpError","message":"{msg}"}}}}}}"#
            ),
        ),
    );
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(
        names_in_end_order(&spans),
        [
            "tool.lookup",
            "mcp.client.initialize",
            "mcp.client.request",
            "mcp.client.call",
            "tool.gateway_call",
            "tools/call upstream-explode",
            "POST /rpc"
        ]
    );
    let m = by_name(&spans);
    assert!(!m.contains_key("mcp.client.response"));
    assert!(!m.contains_key("tool.post_process"));
    assert_eq!(m.len(), 7);
    let expect_error = |name: &str, ty: &str, message: &str| {
        let span = m[name];
        assert_eq!(span.status, Status::error(""), "{name}");
        let events: Vec<_> = span.events.iter().collect();
        assert_eq!(events.len(), 1, "{name}: one exception event");
        assert_eq!(events[0].name, "exception");
        let ev: BTreeMap<String, Value> = events[0]
            .attributes
            .iter()
            .map(|kv| (kv.key.to_string(), kv.value.clone()))
            .collect();
        assert_eq!(
            ev,
            expect(&[("exception.type", s(ty)), ("exception.message", s(message))]),
            "{name}"
        );
    };
    expect_error(
        "tools/call upstream-explode",
        "ToolInvocationError",
        &format!("Tool invocation failed: {msg}"),
    );
    expect_error(
        "tool.gateway_call",
        "ExceptionGroup",
        "unhandled errors in a TaskGroup (1 sub-exception)",
    );
    expect_error(
        "mcp.client.call",
        "ExceptionGroup",
        "unhandled errors in a TaskGroup (1 sub-exception)",
    );
    expect_error("mcp.client.request", "McpError", msg);
    for clean in ["tool.lookup", "mcp.client.initialize", "POST /rpc"] {
        assert_eq!(m[clean].status, Status::Unset, "{clean}");
        assert!(m[clean].events.is_empty(), "{clean}");
    }
    let invoke = attrs(m["tools/call upstream-explode"]);
    assert!(
        !invoke.contains_key("cf.result.is_error"),
        "no result reached the caller"
    );
    assert!(
        invoke.contains_key("gen_ai.tool.call.arguments"),
        "input is captured on failure too"
    );
    let call = attrs(m["mcp.client.call"]);
    assert_eq!(
        call,
        with_context(
            "mcp.client.call",
            &[
                ("cf.upstream.tool_name", s("explode")),
                ("cf.tool.id", s("4c0da98278114b9bb51951a36acd57e9")),
                ("cf.tool.gateway_id", s("aadee14b4fc94f9f9bf60d895538364b")),
                ("cf.upstream.transport", s("streamablehttp")),
                ("server.address", s("localhost")),
                ("server.port", Value::I64(18090)),
                ("url.path", s("/mcp")),
                ("url.full", s("http://localhost:18090/mcp")),
            ]
        )
    );
    assert_eq!(
        attrs(m["mcp.client.initialize"]),
        with_context(
            "mcp.client.initialize",
            &[("cf.upstream.transport", s("streamablehttp"))]
        )
    );
    assert_child_of(m["mcp.client.call"], m["tool.gateway_call"]);
    assert_child_of(m["mcp.client.request"], m["mcp.client.call"]);
}

#[test]
fn unknown_tool_emits_only_the_request_span() {
    let (emitter, exporter) = emitter(true, 1 << 20);
    replay(
        &emitter,
        &facts(
            r#"{"name":"no-such-tool"}"#,
            r#"{"found":false,"result":null}"#,
        ),
    );
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(names_in_end_order(&spans), ["POST /rpc"]);
    assert_eq!(attrs(&spans[0])["cf.op"], s("request"));
}

#[test]
fn server_error_status_code_sets_error_without_event() {
    let (emitter, exporter) = emitter(false, 1 << 20);
    let mut request = emitter.start_request(
        &Context::new(),
        RequestContext::default(),
        &HttpRequest {
            method: "POST",
            path: "/mcp",
            ..Default::default()
        },
    );
    request.set_status_code(503);
    request.end();
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans[0].name, "POST /mcp");
    assert_eq!(spans[0].status, Status::error(""));
    assert!(spans[0].events.is_empty());
}

#[test]
fn incoming_traceparent_and_baggage_are_extracted() {
    let (emitter, exporter) = emitter(false, 1 << 20);
    let headers = [
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("tracestate", "vendor=abc"),
        ("baggage", "tenant=acme,user.id=u%201"),
        ("X-Correlation-ID", "corr-77"),
    ];
    let headers = HeaderPairs(&headers);
    let parent = emitter.extract_context(&headers);
    let request = emitter.start_request(
        &parent,
        RequestContext::from_headers(&headers),
        &HttpRequest {
            method: "POST",
            path: "/rpc",
            ..Default::default()
        },
    );
    let invoke = request.start_tool_invoke(
        &ToolFacts::new("i", "REST", None),
        &ToolCall {
            tool_name: "t",
            ..Default::default()
        },
    );
    invoke.end();
    request.end();
    let spans = exporter.get_finished_spans().unwrap();
    let m = by_name(&spans);
    let root = m["POST /rpc"];
    assert_eq!(
        root.span_context.trace_id(),
        TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap()
    );
    assert_eq!(format!("{}", root.parent_span_id), "b7ad6b7169203331");
    assert!(root.parent_span_is_remote);
    assert!(root.span_context.is_sampled());
    assert_eq!(root.span_context.trace_state().header(), "vendor=abc");
    let a = attrs(root);
    assert_eq!(
        a["cf.baggage"],
        s("tenant=acme,user.id=u%201"),
        "baggage kept raw"
    );
    assert_eq!(a["cf.correlation_id"], s("corr-77"));
    assert_eq!(a["cf.correlation_id.from_header"], Value::Bool(true));
    assert!(!a.contains_key("cf.auth.method"), "no identity before auth");
    let invoke = m["tools/call t"];
    assert_child_of(invoke, root);
    assert_eq!(
        attrs(invoke)["cf.baggage"],
        s("tenant=acme,user.id=u%201"),
        "context on every span"
    );
}

#[test]
fn payload_over_the_hard_cap_is_cut_at_a_char_boundary_with_original_size() {
    let (emitter, exporter) = emitter(true, 10);
    let request = emitter.start_request(
        &Context::new(),
        RequestContext::default(),
        &HttpRequest {
            method: "POST",
            path: "/rpc",
            ..Default::default()
        },
    );
    let mut invoke = request.start_tool_invoke(
        &ToolFacts::new("i", "REST", None),
        &ToolCall {
            tool_name: "t",
            ..Default::default()
        },
    );
    invoke.set_arguments_json(r#"{"q":"ééééé"}"#); // 18 bytes, 13 chars; byte 10 is inside an 'é'
    invoke.set_result_json(r#"{"a":1}"#, false);
    invoke.end();
    request.end();
    let spans = exporter.get_finished_spans().unwrap();
    let a = attrs(&spans[0]);
    assert_eq!(a["gen_ai.tool.call.arguments"], s(r#"{"q":"éé"#));
    assert_eq!(a["cf.arguments.original_size"], Value::I64(13));
    assert_eq!(a["gen_ai.tool.call.result"], s(r#"{"a":1}"#));
    assert!(!a.contains_key("cf.result.original_size"));
}

#[test]
fn bad_facts_get_clear_errors() {
    let cases = [
        (
            r#"{"facts_version":2,"request":{"method":"POST","path":"/rpc"}}"#,
            "facts_version: must be 1",
        ),
        (
            r#"{"facts_version":1,"request":{"method":"POST","path":"/rpc"},"tool":{"name":"x"}}"#,
            "tool: a found tool needs",
        ),
        (
            r#"{"facts_version":1,"request":{"method":"POST","path":"/rpc"},"outcome":{"errors":{"tool.invok":{"type":"A","message":"m"}}}}"#,
            "outcome.errors.tool.invok: not a cf.op",
        ),
        (
            r#"{"facts_version":1,"request":{"method":"POST","path":"/rpc","headers":{"X-A":"1"}}}"#,
            "request.headers.X-A",
        ),
        (
            r#"{"facts_version":1,"request":{"method":"POST","path":"/rpc"},"extra":1}"#,
            "unknown field `extra`",
        ),
        (
            r#"{"facts_version":1,"request":{"method":"POST","path":"/rpc","headers":{"x-correlation-id":"a"},"correlation_id":"b"}}"#,
            "differs from the x-correlation-id header",
        ),
    ];
    for (text, want) in cases {
        let err = Facts::from_json(text).unwrap_err();
        assert!(err.contains(want), "{text}: {err}");
    }
}

#[test]
fn runtime_spans_parent_on_a_raw_span_context_with_the_request_baggage() {
    use opentelemetry::baggage::BaggageExt;
    use opentelemetry::trace::{Span as _, TraceContextExt, Tracer as _, TracerProvider as _};
    let (emitter, exporter) = emitter(false, 1 << 20);
    let headers = [
        (
            "traceparent",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        ),
        ("baggage", "tenant=acme"),
    ];
    let headers = HeaderPairs(&headers);
    let parent = emitter.extract_context(&headers);
    let request = emitter.start_request(
        &parent,
        RequestContext::from_headers(&headers),
        &HttpRequest {
            method: "POST",
            path: "/rpc",
            ..Default::default()
        },
    );
    let invoke = request.start_tool_invoke(
        &ToolFacts::new("i", "REST", None),
        &ToolCall {
            tool_name: "t",
            ..Default::default()
        },
    );
    // The runtime's own tracer (another provider) opens a span under `tool.invoke`.
    let own_exporter = InMemorySpanExporter::default();
    let own_provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(SimpleSpanProcessor::new(own_exporter.clone()))
        .build();
    let cx = invoke.raw().context();
    assert_eq!(
        cx.baggage().get("tenant").map(StringValue::as_str),
        Some("acme")
    );
    assert_eq!(cx.span().span_context(), &invoke.raw().span_context());
    own_provider
        .tracer("runtime")
        .start_with_context("runtime.own", cx)
        .end();
    invoke.end();
    request.end();
    let spans = exporter.get_finished_spans().unwrap();
    let own = own_exporter.get_finished_spans().unwrap();
    assert_eq!(own.len(), 1);
    assert_child_of(&own[0], by_name(&spans)["tools/call t"]);
    assert_child_of(
        by_name(&spans)["tools/call t"],
        by_name(&spans)["POST /rpc"],
    );
}
