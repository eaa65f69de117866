//! `raw-span-replay` end to end: a facts file replayed into a tiny OTLP/HTTP receiver on
//! 127.0.0.1, decoded with the OTLP protobuf definitions.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use opentelemetry_proto::tonic::trace::v1::status::StatusCode;
use prost::Message;

const FACTS: &str = r#"{
  "facts_version": 1,
  "case": "mcp_success_with_incoming_traceparent",
  "env": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:1/never-used", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
          "OTEL_CAPTURE_OUTPUT_SPANS": "tool.invoke", "DEPLOYMENT_ENV": "staging", "OTEL_SERVICE_NAME": "gw"},
  "request": {"method": "POST", "path": "/mcp", "client_port": 5555,
              "headers": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                          "mcp-session-id": "sess-1", "x-correlation-id": "corr-9"}},
  "identity": {"auth_method": "jwt", "user_email": "a@example.com", "team_ids": ["t1", "t2"]},
  "tool": {"name": "upstream-whoami", "id": "tid", "integration_type": "MCP", "gateway_id": "gid",
           "upstream": {"tool_name": "whoami", "transport": "streamablehttp", "url": "http://localhost:18090/mcp"}},
  "call": {"jsonrpc_id": "req-1", "arguments": {"a": 1}},
  "outcome": {"result": {"content": [{"type": "text", "text": "hi"}], "isError": false}}
}"#;

/// Accepts OTLP/HTTP posts on 127.0.0.1 until `deadline`, sending each body on `tx`.
fn start_receiver(deadline: Instant) -> (String, mpsc::Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        while Instant::now() < deadline {
            let (stream, _) = match listener.accept() {
                Ok(s) => s,
                Err(_) => {
                    thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            stream.set_nonblocking(false).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream);
            let mut length = 0usize;
            let mut line = String::new();
            loop {
                line.clear();
                if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                    break;
                }
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
            }
            let mut body = vec![0; length];
            if reader.read_exact(&mut body).is_err() {
                continue;
            }
            let mut stream = reader.into_inner();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send(body);
        }
    });
    (url, rx)
}

fn attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a AnyValue> {
    attrs
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| kv.value.as_ref())
        .and_then(|v| v.value.as_ref())
}

fn str_attr<'a>(attrs: &'a [KeyValue], key: &str) -> Option<&'a str> {
    match attr(attrs, key) {
        Some(AnyValue::StringValue(s)) => Some(s),
        _ => None,
    }
}

fn run_replay(args: &[&str]) -> (bool, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_raw-span-replay"))
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("raw-span-replay did not finish in 30 s");
        }
        thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.success(), stderr)
}

#[test]
fn replay_sends_the_raw_spans_over_otlp_http() {
    let dir = std::env::temp_dir().join(format!("raw-span-replay-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let facts = dir.join("facts.json");
    std::fs::write(&facts, FACTS).unwrap();
    let (url, rx) = start_receiver(Instant::now() + Duration::from_secs(40));

    let (ok, stderr) = run_replay(&[
        "--facts",
        facts.to_str().unwrap(),
        "--endpoint",
        &url,
        "--timeout-ms",
        "5000",
    ]);
    assert!(ok, "replay failed: {stderr}");

    let mut spans = Vec::new();
    let mut resource = Vec::new();
    while let Ok(body) = rx.recv_timeout(Duration::from_millis(500)) {
        let req = ExportTraceServiceRequest::decode(body.as_slice()).expect("OTLP protobuf");
        for rs in req.resource_spans {
            resource = rs.resource.unwrap().attributes;
            for ss in rs.scope_spans {
                let scope = ss.scope.unwrap();
                assert_eq!(scope.name, "contextforge.mcp_runtime");
                assert_eq!(scope.version, "1.0.7-20260921");
                spans.extend(ss.spans);
            }
        }
    }
    assert_eq!(str_attr(&resource, "service.name"), Some("gw"));
    assert_eq!(
        str_attr(&resource, "service.version"),
        Some("1.0.7-20260921")
    );
    assert_eq!(
        str_attr(&resource, "deployment.environment"),
        Some("staging")
    );

    let mut names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "POST /mcp",
            "mcp.client.call",
            "mcp.client.initialize",
            "mcp.client.request",
            "mcp.client.response",
            "tool.gateway_call",
            "tool.lookup",
            "tool.post_process",
            "tools/call upstream-whoami"
        ]
    );
    let find = |name: &str| spans.iter().find(|s| s.name == name).unwrap();
    let root = find("POST /mcp");
    assert_eq!(root.kind, SpanKind::Server as i32);
    assert_eq!(hex(&root.trace_id), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(hex(&root.parent_span_id), "b7ad6b7169203331");
    assert_eq!(root.flags & 0x300, 0x300, "remote parent flag");
    assert_eq!(
        attr(&root.attributes, "client.port"),
        Some(&AnyValue::IntValue(5555))
    );
    for span in &spans {
        assert_eq!(
            hex(&span.trace_id),
            "0af7651916cd43dd8448eb211c80319c",
            "{}",
            span.name
        );
        assert_eq!(
            str_attr(&span.attributes, "cf.correlation_id"),
            Some("corr-9"),
            "{}",
            span.name
        );
        assert_eq!(
            str_attr(&span.attributes, "cf.session.id"),
            Some("sess-1"),
            "{}",
            span.name
        );
        assert_eq!(
            str_attr(&span.attributes, "cf.auth.method"),
            Some("jwt"),
            "{}",
            span.name
        );
        assert_ne!(
            span.status.as_ref().map(|s| s.code),
            Some(StatusCode::Error as i32),
            "{}",
            span.name
        );
        assert!(span.end_time_unix_nano >= span.start_time_unix_nano);
    }
    let invoke = find("tools/call upstream-whoami");
    assert_eq!(invoke.parent_span_id, root.span_id);
    assert_eq!(
        str_attr(&invoke.attributes, "jsonrpc.request.id"),
        Some("req-1")
    );
    assert_eq!(
        str_attr(&invoke.attributes, "gen_ai.tool.call.result"),
        Some(r#"{"content": [{"type": "text", "text": "hi"}], "isError": false}"#)
    );
    assert_eq!(
        str_attr(&invoke.attributes, "gen_ai.tool.call.arguments"),
        None,
        "input capture is off"
    );
    match attr(&invoke.attributes, "cf.team.ids") {
        Some(AnyValue::ArrayValue(a)) => {
            let ids: Vec<_> = a.values.iter().map(|v| v.value.clone()).collect();
            assert_eq!(
                ids,
                [
                    Some(AnyValue::StringValue("t1".into())),
                    Some(AnyValue::StringValue("t2".into()))
                ]
            );
        }
        other => panic!("cf.team.ids: {other:?}"),
    }
    let call = find("mcp.client.call");
    assert_eq!(call.parent_span_id, find("tool.gateway_call").span_id);
    assert_eq!(find("mcp.client.response").parent_span_id, call.span_id);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn replay_reports_unreachable_endpoint_and_bad_facts() {
    let dir = std::env::temp_dir().join(format!("raw-span-replay-err-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let facts = dir.join("facts.json");
    std::fs::write(&facts, FACTS).unwrap();
    // A port nothing listens on: bind, read the port, close.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let endpoint = format!("http://127.0.0.1:{port}/v1/traces");
    let (ok, stderr) = run_replay(&[
        "--facts",
        facts.to_str().unwrap(),
        "--endpoint",
        &endpoint,
        "--timeout-ms",
        "1000",
    ]);
    assert!(!ok);
    assert!(
        stderr.contains(&endpoint) && stderr.contains("export failed"),
        "{stderr}"
    );

    std::fs::write(&facts, r#"{"facts_version": 1}"#).unwrap();
    let (ok, stderr) = run_replay(&["--facts", facts.to_str().unwrap(), "--endpoint", &endpoint]);
    assert!(!ok);
    assert!(stderr.contains("missing field `request`"), "{stderr}");

    let (ok, stderr) = run_replay(&["--facts", facts.to_str().unwrap(), "--protocol", "thrift"]);
    assert!(!ok);
    assert!(stderr.contains("--protocol"), "{stderr}");
    std::fs::remove_dir_all(&dir).ok();
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
