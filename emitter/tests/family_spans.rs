//! The exact raw spans of the method families (contract v1.1), through the in-memory exporter.

use std::collections::BTreeMap;

use mcpparity_emitter::facts::{replay, Facts};
use mcpparity_emitter::*;
use opentelemetry::trace::{SpanKind, Status};
use opentelemetry::{Array, StringValue, Value};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SimpleSpanProcessor, SpanData};

fn run(facts: &str, capture_lists: &str) -> Vec<SpanData> {
    let exporter = InMemorySpanExporter::default();
    let settings = GatewaySettings::from_pairs([
        ("OTEL_CAPTURE_INPUT_SPANS", capture_lists),
        ("OTEL_CAPTURE_OUTPUT_SPANS", capture_lists),
    ]);
    let mut config = EmitterConfig::from_settings("1.0.7-20260921", &settings).expect("config");
    config.endpoint = "http://127.0.0.1:1/v1/traces".into();
    let emitter =
        RawSpanEmitter::with_span_processor(config, SimpleSpanProcessor::new(exporter.clone()));
    replay(&emitter, &Facts::from_json(facts).expect("valid facts"));
    emitter.force_flush().expect("flush");
    exporter.get_finished_spans().expect("spans")
}

fn facts(method_and_section: &str) -> String {
    format!(
        r#"{{"facts_version":1,"env":{{}},
        "request":{{"method":"POST","path":"/servers/srv1/mcp","headers":{{}},"correlation_id":"c94b8eae12724b6c8a19dc582c6b3e84"}},
        "identity":{{"auth_method":"jwt","user_email":"admin@example.com","is_admin":true,"team_ids":["t1"]}},
        {method_and_section}}}"#
    )
}

fn attrs(span: &SpanData) -> BTreeMap<String, Value> {
    span.attributes
        .iter()
        .map(|kv| (kv.key.to_string(), kv.value.clone()))
        .collect()
}

fn own(span: &SpanData) -> BTreeMap<String, Value> {
    attrs(span)
        .into_iter()
        .filter(|(k, _)| {
            !k.starts_with("cf.")
                || k.starts_with("cf.list.")
                || k.starts_with("cf.resource.")
                || k.starts_with("cf.prompt.")
                || k == "cf.server.id"
                || k == "cf.caller.user"
                || k == "cf.result.success_marked"
                || k == "cf.arguments.count"
                || k == "cf.op"
        })
        .collect()
}

fn s(v: &str) -> Value {
    Value::from(v.to_owned())
}

fn named<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no span {name}"))
}

#[test]
fn server_tools_list_sends_its_variant_and_explicit_identity() {
    let spans = run(
        &facts(
            r#""method":"tools/list","outcome":{},
        "list":{"variant":"server","server_id":"srv1","include_inactive":false,"include_metrics":false,"user_email":"admin@example.com","team_ids":["t1"]}"#,
        ),
        "",
    );
    assert_eq!(spans.len(), 2);
    let list = named(&spans, "tools/list");
    assert_eq!(list.span_kind, SpanKind::Internal);
    let mut want = BTreeMap::new();
    for (k, v) in [
        ("cf.op", s("tool.list")),
        ("mcp.method.name", s("tools/list")),
        ("cf.list.variant", s("server")),
        ("cf.server.id", s("srv1")),
        ("cf.list.include_inactive", Value::Bool(false)),
        ("cf.list.include_metrics", Value::Bool(false)),
        ("cf.list.user_email", s("admin@example.com")),
        (
            "cf.list.team_ids",
            Value::Array(Array::String(vec![StringValue::from("t1")])),
        ),
    ] {
        want.insert(k.to_string(), v);
    }
    assert_eq!(own(list), want);
    assert_eq!(
        list.parent_span_id,
        named(&spans, "POST /servers/srv1/mcp")
            .span_context
            .span_id()
    );
}

#[test]
fn resource_read_with_template_lookup_success_marked_and_error() {
    let spans = run(
        &facts(
            r#""method":"resources/read",
        "resource":{"uri":"docs://handbook/missing","server_id":"srv1","user":"admin@example.com",
          "content":{"type":"resource","id":"t","uri":"docs://handbook/{section}","mimeType":"text/plain","text":"docs://handbook/missing","blob":null,"_meta":null},
          "success_marked":true,"template_list":{"include_inactive":false,"tags_count":0,"server_id":"srv1"}},
        "outcome":{"errors":{"resource.read":{"type":"ResourceError","message":"did not resolve"}}}"#,
        ),
        "resource.read",
    );
    assert_eq!(spans.len(), 3);
    let read = named(&spans, "resources/read docs://handbook/missing");
    let a = attrs(read);
    assert_eq!(a["cf.op"], s("resource.read"));
    assert_eq!(a["mcp.resource.uri"], s("docs://handbook/missing"));
    assert_eq!(a["cf.result.success_marked"], Value::Bool(true));
    assert!(a["cf.resource.content"]
        .as_str()
        .contains("\"text\":\"docs://handbook/missing\""));
    assert!(matches!(read.status, Status::Error { .. }));
    assert_eq!(read.events.events.len(), 1);
    let lookup = named(&spans, "resources/templates/list");
    assert_eq!(
        lookup.parent_span_id,
        read.span_context.span_id(),
        "the lookup nests under resource.read"
    );
    assert_eq!(attrs(lookup)["cf.op"], s("resource_template.list"));
}

#[test]
fn prompt_payloads_follow_the_capture_lists_and_facts_do_not() {
    let body = r#""method":"prompts/get","outcome":{},
        "prompt":{"name":"greeting","arguments":{},"user":"admin@example.com","canonical_name":"greeting","version":1,
          "result":{"messages":[{"role":"user","content":{"type":"text","text":"Hi","annotations":null,"_meta":null}}],"description":"d"}}"#;
    let on = run(&facts(body), "prompt.render");
    let a = attrs(named(&on, "prompts/get greeting"));
    assert_eq!(a["cf.prompt.arguments"], s("{}"));
    assert_eq!(a["cf.prompt.messages_count"], Value::I64(1));
    assert_eq!(a["cf.prompt.version"], Value::I64(1));
    assert!(a.contains_key("cf.prompt.result"));
    let off = run(&facts(body), "tool.invoke");
    let a = attrs(named(&off, "prompts/get greeting"));
    assert!(!a.contains_key("cf.prompt.arguments") && !a.contains_key("cf.prompt.result"));
    assert_eq!(
        a["cf.prompt.canonical_name"],
        s("greeting"),
        "outcome facts are sent without capture"
    );
}

#[test]
fn initialize_and_ping() {
    let spans = run(
        &facts(
            r#""method":"initialize","outcome":{},
        "initialize":{"protocol_version":"2025-06-18","session_id":"sess-1","server_id":"srv1"}"#,
        ),
        "",
    );
    let a = attrs(named(&spans, "initialize"));
    assert_eq!(a["cf.op"], s("mcp.initialize"));
    assert_eq!(a["mcp.protocol.version"], s("2025-06-18"));
    assert_eq!(a["mcp.session.id"], s("sess-1"));
    let ping = run(&facts(r#""method":"ping","outcome":{}"#), "");
    assert_eq!(ping.len(), 1, "ping: the request span only");
}

#[test]
fn a_fallback_emits_nothing_at_all() {
    let spans = run(
        &facts(r#""method":"roots/list","served":false,"outcome":{}"#),
        "",
    );
    assert!(
        spans.is_empty(),
        "Python traces a forwarded request; ours would duplicate it"
    );
}

#[test]
fn family_facts_get_clear_errors() {
    for (body, needle) in [
        (r#""method":"roots/list","outcome":{}"#, "does not serve it"),
        (
            r#""method":"resources/read","outcome":{}"#,
            "needs `resource`",
        ),
        (
            r#""method":"tools/list","list":{"variant":"everything"},"outcome":{}"#,
            "list.variant",
        ),
        (
            r#""method":"prompts/get","prompt":{"name":"x","typo":1},"outcome":{}"#,
            "unknown field",
        ),
    ] {
        let err = Facts::from_json(&facts(body)).expect_err(body);
        assert!(err.contains(needle), "{body}: {err}");
    }
}
