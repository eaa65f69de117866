//! A runtime embeds the emitter in its own tracing: its tracer provider (resource, processors,
//! exporters) or its span exporter.

use mcpparity_emitter::*;
use opentelemetry::Context;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SimpleSpanProcessor};
use opentelemetry_sdk::Resource;

fn one_request(emitter: &RawSpanEmitter) {
    let headers = HeaderPairs(&[]);
    let mut request = emitter.start_request(
        &Context::new(),
        RequestContext::from_headers(&headers),
        &HttpRequest {
            method: "POST",
            path: "/rpc",
            ..HttpRequest::default()
        },
    );
    request.set_status_code(200);
    request.end();
}

#[test]
fn spans_go_through_the_runtimes_own_provider_which_it_keeps_running() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_resource(
            Resource::builder()
                .with_service_name("rust-runtime")
                .build(),
        )
        .with_span_processor(SimpleSpanProcessor::new(exporter.clone()))
        .build();
    let config = EmitterConfig {
        gateway_version: "9.9.9".into(),
        ..EmitterConfig::default()
    };
    let emitter = RawSpanEmitter::with_tracer_provider(config, &provider);
    one_request(&emitter);
    emitter.shutdown().unwrap(); // the runtime owns the provider: only a flush
    one_request(&emitter);
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(
        spans.len(),
        2,
        "the provider still exports after the emitter's shutdown"
    );
    for span in &spans {
        assert_eq!(span.name, "POST /rpc");
        assert_eq!(span.instrumentation_scope.name(), SCOPE_NAME);
        assert_eq!(span.instrumentation_scope.version(), Some("9.9.9"));
    }
    provider.shutdown().unwrap();
}

#[test]
fn the_runtimes_exporter_behind_our_batch_processor() {
    let exporter = InMemorySpanExporter::default();
    let emitter = RawSpanEmitter::with_exporter(EmitterConfig::default(), exporter.clone());
    one_request(&emitter);
    emitter.force_flush().unwrap(); // (shutdown would also reset the in-memory exporter)
    let spans = exporter.get_finished_spans().unwrap();
    assert_eq!(spans.len(), 1);
    assert_eq!(spans[0].instrumentation_scope.name(), SCOPE_NAME);
}

#[test]
fn new_refuses_tls_files_for_plaintext_and_reports_an_unreadable_ca() {
    let mut config = EmitterConfig::default();
    config.tls.ca_file = Some("/nonexistent/ca.pem".into());
    let err = RawSpanEmitter::new(config.clone()).unwrap_err().to_string();
    assert!(err.contains("not https://"), "{err}");
    config.endpoint = "https://127.0.0.1:4318/v1/traces".into();
    config.protocol = Protocol::Http;
    let err = RawSpanEmitter::new(config).unwrap_err().to_string();
    assert!(err.contains("CA file /nonexistent/ca.pem"), "{err}");
}
