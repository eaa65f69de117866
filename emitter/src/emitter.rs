use std::borrow::Cow;
use std::sync::{Arc, Mutex, OnceLock};

use opentelemetry::propagation::{Extractor, TextMapCompositePropagator, TextMapPropagator};
use opentelemetry::trace::{
    Span as _, SpanBuilder, SpanKind, Status, TraceContextExt, Tracer, TracerProvider as _,
};
use opentelemetry::{Context, InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, IdGenerator, RandomIdGenerator, SdkTracer,
    SdkTracerProvider, SpanExporter, SpanProcessor,
};
use opentelemetry_sdk::Resource;

use crate::config::{EmitterConfig, EmitterError};
use crate::context::{ContextAttributes, RequestContext, Text};
use crate::keys;
use crate::transport;

/// Instrumentation scope name of every raw span (contract v1, contract/raw-span-contract.yaml).
pub const SCOPE_NAME: &str = keys::SCOPE_NAME;

/// Emits contract-v1 raw spans. Cheap to share (`Clone` is reference-counted).
#[derive(Clone, Debug)]
pub struct RawSpanEmitter {
    provider: SdkTracerProvider,
    /// False for the runtime's own provider ([`Self::with_tracer_provider`]): never shut it down.
    owns_provider: bool,
    tracer: SdkTracer,
    propagator: Arc<TextMapCompositePropagator>,
    payload: PayloadPolicy,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct PayloadPolicy {
    capture_input: bool,
    capture_output: bool,
    pub(crate) families: crate::config::FamilyCapture,
    pub(crate) max_bytes: usize,
}

impl RawSpanEmitter {
    /// OTLP exporter (HTTP or gRPC per `config.protocol`) behind a batch span processor, with the
    /// hop's TLS files and headers (`config.tls`, `config.headers`).
    /// For gRPC, call this inside a multi-thread Tokio runtime that outlives the emitter.
    pub fn new(config: EmitterConfig) -> Result<Self, EmitterError> {
        if config.endpoint.trim().is_empty() {
            return Err(EmitterError::Config("endpoint: must not be empty".into()));
        }
        transport::check(&config)?;
        #[cfg(any(feature = "http", feature = "grpc"))]
        {
            let exporter = transport::otlp_exporter(&config)?;
            Ok(Self::with_exporter(config, exporter))
        }
        #[cfg(not(any(feature = "http", feature = "grpc")))]
        Err(EmitterError::Config(
            "no OTLP transport in this build: enable the cargo feature `http` or `grpc`, or use with_exporter / with_tracer_provider".into(),
        ))
    }

    /// Spans go through the runtime's own tracer provider (its resource, processors and
    /// exporters); `config` supplies the scope version and the payload policy. The runtime owns
    /// the provider: [`Self::shutdown`] then only flushes.
    pub fn with_tracer_provider(config: EmitterConfig, provider: &SdkTracerProvider) -> Self {
        Self::build(config, provider.clone(), false)
    }

    /// Any exporter behind the batch span processor (tests and benchmarks use a no-op sink).
    pub fn with_exporter<E: SpanExporter + 'static>(config: EmitterConfig, exporter: E) -> Self {
        let batch = BatchConfigBuilder::default()
            .with_scheduled_delay(config.batch_delay)
            .build();
        let processor = BatchSpanProcessor::builder(exporter)
            .with_batch_config(batch)
            .build();
        Self::with_span_processor(config, processor)
    }

    /// Any span processor (e.g. a `SimpleSpanProcessor` over the SDK's in-memory exporter).
    pub fn with_span_processor<P: SpanProcessor + 'static>(
        config: EmitterConfig,
        processor: P,
    ) -> Self {
        let provider = SdkTracerProvider::builder()
            .with_resource(resource(&config))
            .with_span_processor(processor)
            .build();
        Self::build(config, provider, true)
    }

    fn build(config: EmitterConfig, provider: SdkTracerProvider, owns_provider: bool) -> Self {
        // A `&'static` version: the SDK clones the scope into every exported span.
        let scope = InstrumentationScope::builder(SCOPE_NAME)
            .with_version(interned(&config.gateway_version))
            .build();
        let tracer = provider.tracer_with_scope(scope);
        let propagator = TextMapCompositePropagator::new(vec![
            Box::new(TraceContextPropagator::new()),
            Box::new(BaggagePropagator::new()),
        ]);
        RawSpanEmitter {
            provider,
            owns_provider,
            tracer,
            propagator: Arc::new(propagator),
            payload: PayloadPolicy {
                capture_input: config.capture_input,
                capture_output: config.capture_output,
                families: config.family_capture,
                max_bytes: config.max_raw_payload_bytes,
            },
        }
    }

    /// The W3C context of an incoming request: `traceparent`/`tracestate` (remote parent) and
    /// `baggage`, through the SDK's propagators.
    pub fn extract_context(&self, headers: &dyn Extractor) -> Context {
        self.propagator.extract(headers)
    }

    /// Opens the request span (`{METHOD} {path}`, SERVER) under `parent` (from
    /// [`Self::extract_context`]; `Context::new()` starts a new trace).
    pub fn start_request(
        &self,
        parent: &Context,
        context: RequestContext,
        http: &HttpRequest<'_>,
    ) -> RequestSpan {
        let shared = Arc::new(Shared {
            tracer: self.tracer.clone(),
            parent: parent.clone(),
            context_attrs: context.to_attributes(),
            payload: self.payload,
        });
        let mut attrs = shared.attrs_with(10, "request");
        attrs.push(KeyValue::new(
            keys::HTTP_REQUEST_METHOD,
            known_or_owned(http.method, &HTTP_METHODS),
        ));
        attrs.push(KeyValue::new(keys::URL_PATH, http.path.to_owned()));
        push_opt_str(
            &mut attrs,
            keys::URL_QUERY,
            http.query.filter(|q| !q.is_empty()),
        );
        if let Some(v) = http.protocol_version {
            attrs.push(KeyValue::new(
                keys::NETWORK_PROTOCOL_VERSION,
                known_or_owned(v, &HTTP_VERSIONS),
            ));
        }
        push_opt_str(&mut attrs, keys::SERVER_ADDRESS, http.server_address);
        if let Some(port) = http.server_port {
            attrs.push(KeyValue::new(keys::SERVER_PORT, i64::from(port)));
        }
        push_opt_str(&mut attrs, keys::CLIENT_ADDRESS, http.client_address);
        if let Some(port) = http.client_port {
            attrs.push(KeyValue::new(keys::CLIENT_PORT, i64::from(port)));
        }
        push_opt_str(&mut attrs, keys::USER_AGENT_ORIGINAL, http.user_agent);
        let name = joined(http.method, http.path);
        let span = shared.start(Cow::Owned(name), SpanKind::Server, attrs, parent);
        RequestSpan(RawSpan::new(span, shared))
    }

    /// Exports every finished span now (blocks up to the export timeout).
    pub fn force_flush(&self) -> Result<(), EmitterError> {
        self.provider
            .force_flush()
            .map_err(|e| EmitterError::Flush(e.to_string()))
    }

    /// Flushes and stops the exporter; call once at process exit. With the runtime's own
    /// provider this only flushes: the runtime shuts its provider down.
    pub fn shutdown(&self) -> Result<(), EmitterError> {
        if !self.owns_provider {
            return self.force_flush();
        }
        self.provider
            .shutdown()
            .map_err(|e| EmitterError::Flush(e.to_string()))
    }
}

/// The gateway's resource (SEMANTICS.md §2): `service.name`, `service.version`,
/// `deployment.environment`, the SDK's `telemetry.sdk.*`, a `service.instance.id`, and
/// `OTEL_RESOURCE_ATTRIBUTES` of the process environment.
pub(crate) fn resource(config: &EmitterConfig) -> Resource {
    let id = RandomIdGenerator::default().new_trace_id().to_bytes();
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    let instance = format!(
        "{}-{}-4{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[13..16],
        &hex[16..20],
        &hex[20..32]
    );
    Resource::builder()
        .with_service_name(config.service_name.clone())
        .with_attributes([
            KeyValue::new("service.version", config.gateway_version.clone()),
            KeyValue::new("deployment.environment", config.deployment_env.clone()),
            KeyValue::new("service.instance.id", instance),
        ])
        .build()
}

/// `"{a} {b}"` in one allocation.
fn joined(a: &str, b: &str) -> String {
    let mut name = String::with_capacity(a.len() + 1 + b.len());
    name.push_str(a);
    name.push(' ');
    name.push_str(b);
    name
}

const HTTP_METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE",
];
const HTTP_VERSIONS: [&str; 5] = ["1.1", "2", "1.0", "3", "2.0"];

/// A value from a small set of well-known words as a `&'static str` (no copy per span), any
/// other value copied.
fn known_or_owned(value: &str, known: &[&'static str]) -> Value {
    match known.iter().find(|k| **k == value) {
        Some(k) => Value::from(*k),
        None => Value::from(value.to_owned()),
    }
}

const INTEGRATION_TYPES: [&str; 3] = ["REST", "MCP", "A2A"];
const TRANSPORTS: [&str; 3] = ["streamablehttp", "sse", "stdio"];

/// Like [`known_or_owned`], for a value every span of a request repeats: other values are
/// reference-counted, so each span shares them.
fn known_or_shared(value: &str, known: &[&'static str]) -> Text {
    Text::known_or_shared(value, known)
}

/// A `&'static` copy of `s`, leaked at most once per distinct value (emitter construction only).
pub(crate) fn interned(s: &str) -> &'static str {
    static INTERNED: OnceLock<Mutex<Vec<&'static str>>> = OnceLock::new();
    let mut table = INTERNED
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    if let Some(v) = table.iter().find(|v| **v == s) {
        return v;
    }
    let v: &'static str = Box::leak(s.to_owned().into_boxed_str());
    table.push(v);
    v
}

pub(crate) fn push_opt_str(attrs: &mut Vec<KeyValue>, key: &'static str, value: Option<&str>) {
    if let Some(v) = value {
        attrs.push(KeyValue::new(key, v.to_owned()));
    }
}

pub(crate) fn shared_str(s: &str) -> Text {
    Text::Shared(Arc::from(s))
}

/// Per-request state every span of the request shares.
#[derive(Debug)]
pub(crate) struct Shared {
    tracer: SdkTracer,
    /// The request's parent context (remote parent, baggage entries); children's contexts are
    /// derived from it.
    parent: Context,
    context_attrs: ContextAttributes,
    pub(crate) payload: PayloadPolicy,
}

impl Shared {
    /// `cf.op` and the request context, with room for `extra` own facts.
    pub(crate) fn attrs_with(&self, extra: usize, op: &'static str) -> Vec<KeyValue> {
        let mut attrs = Vec::with_capacity(1 + self.context_attrs.len() + extra);
        attrs.push(KeyValue::new(keys::OP, op));
        self.context_attrs.push_into(&mut attrs);
        attrs
    }

    pub(crate) fn start(
        &self,
        name: Cow<'static, str>,
        kind: SpanKind,
        attrs: Vec<KeyValue>,
        parent: &Context,
    ) -> opentelemetry_sdk::trace::Span {
        // Fields set in place: the builder's `with_*` methods move the whole builder each time
        // and re-collect the attribute Vec.
        let mut builder = SpanBuilder::from_name(name);
        builder.span_kind = Some(kind);
        builder.attributes = Some(attrs);
        self.tracer.build_with_context(builder, parent)
    }
}

/// Facts of the incoming HTTP request.
#[derive(Clone, Copy, Debug, Default)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Raw query string without `?`; `None` or empty = no query.
    pub query: Option<&'a str>,
    /// `1.1`, `2`, …
    pub protocol_version: Option<&'a str>,
    pub server_address: Option<&'a str>,
    pub server_port: Option<u16>,
    pub client_address: Option<&'a str>,
    pub client_port: Option<u16>,
    pub user_agent: Option<&'a str>,
}

/// JSON-RPC request id of the `tools/call`.
#[derive(Clone, Copy, Debug)]
pub enum JsonRpcId<'a> {
    Number(i64),
    String(&'a str),
}

/// The facts of a resolved tool that every call of it repeats (`cf.tool.id`,
/// `cf.tool.integration_type`, `cf.tool.gateway_id`). Build it once per tool, where the runtime
/// caches its tools, and reuse it: its texts are reference-counted, so a call copies none.
#[derive(Clone, Debug)]
pub struct ToolFacts {
    pub(crate) tool_id: Text,
    pub(crate) integration_type: Text,
    pub(crate) gateway_id: Option<Text>,
    /// The same facts as contract-v2 record entries, encoded once (`bundle.rs`).
    pub(crate) blocks: crate::bundle::ToolBlocks,
}

impl ToolFacts {
    /// `integration_type`: `REST`, `MCP`, `A2A`, …; `gateway_id`: the tool's gateway, if any.
    pub fn new(tool_id: &str, integration_type: &str, gateway_id: Option<&str>) -> Self {
        let mut facts = ToolFacts {
            tool_id: shared_str(tool_id),
            integration_type: known_or_shared(integration_type, &INTEGRATION_TYPES),
            gateway_id: gateway_id.map(shared_str),
            blocks: Default::default(),
        };
        facts.blocks = crate::bundle::ToolBlocks::new(&facts);
        facts
    }
}

/// Facts of one `tools/call` once the tool is resolved (the tool's own facts are [`ToolFacts`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct ToolCall<'a> {
    /// The tool name as called.
    pub tool_name: &'a str,
    /// Virtual server id (`/servers/<id>/mcp`).
    pub server_id: Option<&'a str>,
    pub jsonrpc_id: Option<JsonRpcId<'a>>,
    pub arguments_count: usize,
    pub has_headers: bool,
}

/// The upstream MCP server of an `MCP` tool.
#[derive(Clone, Copy, Debug, Default)]
pub struct UpstreamTarget<'a> {
    /// The upstream's own tool name.
    pub tool_name: &'a str,
    /// `streamablehttp` or `sse`.
    pub transport: &'a str,
    /// The upstream URL, raw.
    pub url: &'a str,
}

/// The `mcp.client.call` facts of an [`UpstreamTarget`], parsed once: build it once per tool
/// next to its [`ToolFacts`] and reuse it (reference-counted texts, no copy per call).
#[derive(Clone, Debug)]
pub struct UpstreamFacts {
    pub(crate) tool_name: Text,
    pub(crate) transport: Text,
    pub(crate) host: Option<Text>,
    pub(crate) port: Option<u16>,
    pub(crate) path: Text,
    pub(crate) url: Text,
    /// The `mcp.client.call` op's own facts as contract-v2 record entries, encoded once
    /// (`bundle.rs`).
    pub(crate) call_block: crate::record::FactBlock,
}

impl UpstreamFacts {
    pub fn new(upstream: &UpstreamTarget<'_>) -> Self {
        let url = UrlParts::parse(upstream.url);
        let mut facts = UpstreamFacts {
            tool_name: shared_str(upstream.tool_name),
            transport: known_or_shared(upstream.transport, &TRANSPORTS),
            host: url.host.as_deref().map(shared_str),
            port: url.port,
            path: shared_str(url.path),
            url: shared_str(upstream.url),
            call_block: Default::default(),
        };
        facts.call_block = crate::bundle::mcp_call_block(&facts);
        facts
    }
}

/// One open raw span. Ending is explicit ([`RawSpan::end`]); a span dropped without `end` is
/// ended by the SDK on drop.
///
/// The SDK span is held directly (not boxed into a `Context`): children need only its
/// `SpanContext`, so a context is built once, and only for a span that has children.
#[derive(Debug)]
pub struct RawSpan {
    pub(crate) span: opentelemetry_sdk::trace::Span,
    /// This span as a parent: built on first use.
    cx: OnceLock<Context>,
    pub(crate) shared: Arc<Shared>,
}

impl RawSpan {
    pub(crate) fn new(span: opentelemetry_sdk::trace::Span, shared: Arc<Shared>) -> Self {
        RawSpan {
            span,
            cx: OnceLock::new(),
            shared,
        }
    }

    /// Contract error rule: status ERROR and one `exception` event with the Python-equivalent
    /// class name and the raw message. The status description stays empty: the message lives in
    /// one place, the event, and the processor derives the exported description from it.
    pub fn record_error(&mut self, exception_type: &str, message: &str) {
        let span = &mut self.span;
        span.set_status(Status::error(""));
        span.add_event(
            keys::EXCEPTION_EVENT,
            vec![
                KeyValue::new(keys::EXCEPTION_TYPE, exception_type.to_owned()),
                KeyValue::new(keys::EXCEPTION_MESSAGE, message.to_owned()),
            ],
        );
    }

    /// The W3C span context (e.g. to inject `traceparent` into the upstream call).
    pub fn span_context(&self) -> opentelemetry::trace::SpanContext {
        self.span.span_context().clone()
    }

    /// An OTel context whose span is this span's `SpanContext` (plus the request's baggage
    /// entries): the parent for the runtime's own spans. Attributes and status of this span are
    /// set through `RawSpan`, not through this context.
    pub fn context(&self) -> &Context {
        self.cx.get_or_init(|| {
            self.shared
                .parent
                .with_remote_span_context(self.span.span_context().clone())
        })
    }

    pub fn end(mut self) {
        self.span.end();
    }

    pub(crate) fn child(
        &self,
        op: &'static str,
        own: impl IntoIterator<Item = KeyValue>,
        extra: usize,
    ) -> RawSpan {
        let mut attrs = self.shared.attrs_with(extra, op);
        attrs.extend(own);
        let span = self
            .shared
            .start(Cow::Borrowed(op), SpanKind::Internal, attrs, self.context());
        RawSpan::new(span, Arc::clone(&self.shared))
    }
}

/// The request span (`cf.op=request`).
#[derive(Debug)]
pub struct RequestSpan(pub(crate) RawSpan);

impl RequestSpan {
    /// Opens `tools/call {tool}` (INTERNAL, `cf.op=tool.invoke`). Call it only for a resolved
    /// tool: an unknown tool has no `tool.invoke` span.
    pub fn start_tool_invoke(&self, tool: &ToolFacts, call: &ToolCall<'_>) -> ToolInvokeSpan {
        let tool_name = shared_str(call.tool_name);
        let (tool_id, integration_type, gateway_id) = (
            tool.tool_id.clone(),
            tool.integration_type.clone(),
            tool.gateway_id.clone(),
        );
        let shared = &self.0.shared;
        let mut attrs = shared.attrs_with(13, "tool.invoke");
        attrs.push(KeyValue::new(keys::MCP_METHOD_NAME, "tools/call"));
        attrs.push(KeyValue::new(keys::GEN_AI_OPERATION_NAME, "execute_tool"));
        attrs.push(KeyValue::new(keys::GEN_AI_TOOL_NAME, tool_name.clone()));
        match call.jsonrpc_id {
            Some(JsonRpcId::Number(n)) => {
                attrs.push(KeyValue::new(keys::JSONRPC_REQUEST_ID, n.to_string()))
            }
            Some(JsonRpcId::String(s)) => {
                attrs.push(KeyValue::new(keys::JSONRPC_REQUEST_ID, s.to_owned()))
            }
            None => {}
        }
        attrs.push(KeyValue::new(keys::TOOL_ID, tool_id.clone()));
        attrs.push(KeyValue::new(
            keys::TOOL_INTEGRATION_TYPE,
            integration_type.clone(),
        ));
        if let Some(g) = &gateway_id {
            attrs.push(KeyValue::new(keys::TOOL_GATEWAY_ID, g.clone()));
        }
        push_opt_str(&mut attrs, keys::SERVER_ID, call.server_id);
        attrs.push(KeyValue::new(
            keys::ARGUMENTS_COUNT,
            call.arguments_count as i64,
        ));
        attrs.push(KeyValue::new(keys::REQUEST_HAS_HEADERS, call.has_headers));
        let name = joined("tools/call", call.tool_name);
        let span = shared.start(
            Cow::Owned(name),
            SpanKind::Internal,
            attrs,
            self.0.context(),
        );
        ToolInvokeSpan {
            span: RawSpan::new(span, Arc::clone(shared)),
            tool_name,
            tool_id,
            integration_type,
            gateway_id,
        }
    }

    /// `http.response.status_code`; a 5xx also sets status ERROR (no event), as the gateway.
    pub fn set_status_code(&mut self, code: u16) {
        let span = &mut self.0.span;
        span.set_attribute(KeyValue::new(
            keys::HTTP_RESPONSE_STATUS_CODE,
            i64::from(code),
        ));
        if code >= 500 {
            span.set_status(Status::error(""));
        }
    }
}

/// The `tool.invoke` span and the tool facts its children repeat.
#[derive(Debug)]
pub struct ToolInvokeSpan {
    span: RawSpan,
    tool_name: Text,
    tool_id: Text,
    integration_type: Text,
    gateway_id: Option<Text>,
}

impl ToolInvokeSpan {
    fn tool_facts(&self, with_integration_type: bool) -> impl Iterator<Item = KeyValue> + '_ {
        [
            Some(KeyValue::new(
                keys::GEN_AI_TOOL_NAME,
                self.tool_name.clone(),
            )),
            Some(KeyValue::new(keys::TOOL_ID, self.tool_id.clone())),
            with_integration_type
                .then(|| KeyValue::new(keys::TOOL_INTEGRATION_TYPE, self.integration_type.clone())),
        ]
        .into_iter()
        .flatten()
    }

    pub fn start_lookup(&self) -> RawSpan {
        self.span.child("tool.lookup", self.tool_facts(true), 3)
    }

    pub fn start_gateway_call(&self) -> GatewayCallSpan {
        GatewayCallSpan {
            span: self
                .span
                .child("tool.gateway_call", self.tool_facts(true), 3),
            tool_id: self.tool_id.clone(),
            gateway_id: self.gateway_id.clone(),
        }
    }

    pub fn start_post_process(&self) -> RawSpan {
        self.span
            .child("tool.post_process", self.tool_facts(false), 2)
    }

    /// The raw arguments JSON text, as received; sent only with input capture on.
    ///
    /// Pass the text the runtime already holds: an `Arc<str>` is shared (no copy), a `String`
    /// is moved; a borrowed `&str` needs `.to_owned()` (one copy).
    pub fn set_arguments_json(&mut self, json: impl Into<StringValue>) {
        if self.span.shared.payload.capture_input {
            self.set_payload(
                keys::TOOL_CALL_ARGUMENTS,
                keys::ARGUMENTS_ORIGINAL_SIZE,
                json,
            );
        }
    }

    /// The raw JSON text of the upstream `CallToolResult` (payload sent only with output
    /// capture on) and its `isError` (always sent).
    /// (Same ownership rule as [`Self::set_arguments_json`].)
    pub fn set_result_json(&mut self, json: impl Into<StringValue>, is_error: bool) {
        if self.span.shared.payload.capture_output {
            self.set_payload(keys::TOOL_CALL_RESULT, keys::RESULT_ORIGINAL_SIZE, json);
        }
        self.span
            .span
            .set_attribute(KeyValue::new(keys::RESULT_IS_ERROR, is_error));
    }

    fn set_payload(
        &mut self,
        key: &'static str,
        size_key: &'static str,
        json: impl Into<StringValue>,
    ) {
        self.span.set_payload(key, size_key, json)
    }
}

impl RawSpan {
    /// A raw payload under `key`, capped at the emitter's hard limit (then `size_key` carries
    /// the full size in characters).
    pub(crate) fn set_payload(
        &mut self,
        key: &'static str,
        size_key: &'static str,
        json: impl Into<StringValue>,
    ) {
        let max = self.shared.payload.max_bytes;
        let span = &mut self.span;
        let json: StringValue = json.into();
        if json.as_str().len() <= max {
            span.set_attribute(KeyValue::new(key, json));
            return;
        }
        let text = json.as_str();
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        span.set_attribute(KeyValue::new(key, text[..cut].to_owned()));
        // In characters, the unit of Python's `_original_size`.
        span.set_attribute(KeyValue::new(size_key, text.chars().count() as i64));
    }
}

/// The `tool.gateway_call` span; an MCP tool opens `mcp.client.call` under it.
#[derive(Debug)]
pub struct GatewayCallSpan {
    span: RawSpan,
    tool_id: Text,
    gateway_id: Option<Text>,
}

impl GatewayCallSpan {
    pub fn start_mcp_call(&self, upstream: &UpstreamFacts) -> McpCallSpan {
        let own = [
            Some(KeyValue::new(
                keys::UPSTREAM_TOOL_NAME,
                upstream.tool_name.clone(),
            )),
            Some(KeyValue::new(keys::TOOL_ID, self.tool_id.clone())),
            self.gateway_id
                .as_ref()
                .map(|g| KeyValue::new(keys::TOOL_GATEWAY_ID, g.clone())),
            Some(KeyValue::new(
                keys::UPSTREAM_TRANSPORT,
                upstream.transport.clone(),
            )),
            upstream
                .host
                .as_ref()
                .map(|h| KeyValue::new(keys::SERVER_ADDRESS, h.clone())),
            upstream
                .port
                .map(|p| KeyValue::new(keys::SERVER_PORT, i64::from(p))),
            Some(KeyValue::new(keys::URL_PATH, upstream.path.clone())),
            Some(KeyValue::new(keys::URL_FULL, upstream.url.clone())),
        ];
        McpCallSpan {
            span: self
                .span
                .child("mcp.client.call", own.into_iter().flatten(), 8),
            upstream_tool: upstream.tool_name.clone(),
            transport: upstream.transport.clone(),
            tool_id: self.tool_id.clone(),
            gateway_id: self.gateway_id.clone(),
        }
    }
}

/// The `mcp.client.call` span (its context is the `traceparent` sent upstream).
#[derive(Debug)]
pub struct McpCallSpan {
    span: RawSpan,
    upstream_tool: Text,
    transport: Text,
    tool_id: Text,
    gateway_id: Option<Text>,
}

impl McpCallSpan {
    fn upstream_facts(&self) -> impl Iterator<Item = KeyValue> + '_ {
        [
            Some(KeyValue::new(
                keys::UPSTREAM_TOOL_NAME,
                self.upstream_tool.clone(),
            )),
            Some(KeyValue::new(keys::TOOL_ID, self.tool_id.clone())),
            self.gateway_id
                .as_ref()
                .map(|g| KeyValue::new(keys::TOOL_GATEWAY_ID, g.clone())),
        ]
        .into_iter()
        .flatten()
    }

    pub fn start_initialize(&self) -> RawSpan {
        self.span.child(
            "mcp.client.initialize",
            [KeyValue::new(
                keys::UPSTREAM_TRANSPORT,
                self.transport.clone(),
            )],
            1,
        )
    }

    pub fn start_request(&self) -> RawSpan {
        self.span
            .child("mcp.client.request", self.upstream_facts(), 3)
    }

    /// `success` = the upstream result's `not isError`.
    pub fn start_response(&self, success: bool) -> RawSpan {
        let own = self
            .upstream_facts()
            .chain([KeyValue::new(keys::UPSTREAM_SUCCESS, success)]);
        self.span.child("mcp.client.response", own, 4)
    }
}

/// The methods every typed span shares: record a failure the contract's way, reach the
/// underlying [`RawSpan`] (to parent runtime spans under it), and end it.
macro_rules! typed_span_methods {
    ($($ty:ident . $field:tt),+ $(,)?) => {$(
        impl $ty {
            /// Status ERROR plus one `exception` event (type and raw message), as contract v1 says.
            pub fn record_error(&mut self, exception_type: &str, message: &str) {
                self.$field.record_error(exception_type, message)
            }

            pub fn raw(&self) -> &RawSpan {
                &self.$field
            }

            pub fn into_raw(self) -> RawSpan {
                self.$field
            }

            pub fn end(self) {
                self.$field.end()
            }
        }
    )+};
}

pub(crate) use typed_span_methods;

typed_span_methods!(
    RequestSpan.0,
    ToolInvokeSpan.span,
    GatewayCallSpan.span,
    McpCallSpan.span
);

/// Host, explicit port and path of a URL, the way Python's `urlparse` gives them
/// (`hostname` lower-cased, `port` only when written, `path or "/"`).
#[derive(Debug, PartialEq)]
struct UrlParts<'a> {
    host: Option<String>,
    port: Option<u16>,
    path: &'a str,
}

impl<'a> UrlParts<'a> {
    fn parse(url: &'a str) -> Self {
        let rest = match url.find("://") {
            Some(i) => &url[i + 3..],
            None => {
                return UrlParts {
                    host: None,
                    port: None,
                    path: "/",
                }
            }
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let authority = &rest[..authority_end];
        let after = &rest[authority_end..];
        let path_end = after.find(['?', '#']).unwrap_or(after.len());
        let path = if path_end == 0 {
            "/"
        } else {
            &after[..path_end]
        };
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, hp)| hp);
        let (host, port) = if let Some(v6) = host_port.strip_prefix('[') {
            match v6.split_once(']') {
                Some((h, p)) => (h, p.strip_prefix(':')),
                None => (v6, None),
            }
        } else {
            match host_port.rsplit_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (host_port, None),
            }
        };
        UrlParts {
            host: (!host.is_empty()).then(|| host.to_ascii_lowercase()),
            port: port.and_then(|p| p.parse().ok()),
            path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::UrlParts;

    #[test]
    fn url_parts_follow_urlparse() {
        let u = UrlParts::parse("http://LocalHost:18090/mcp");
        assert_eq!(
            u,
            UrlParts {
                host: Some("localhost".into()),
                port: Some(18090),
                path: "/mcp"
            }
        );
        let u = UrlParts::parse("https://u:p@example.com?x=1");
        assert_eq!(
            u,
            UrlParts {
                host: Some("example.com".into()),
                port: None,
                path: "/"
            }
        );
        let u = UrlParts::parse("http://[::1]:9000/a/b#f");
        assert_eq!(
            u,
            UrlParts {
                host: Some("::1".into()),
                port: Some(9000),
                path: "/a/b"
            }
        );
        assert_eq!(UrlParts::parse("not a url").host, None);
    }
}
