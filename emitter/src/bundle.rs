//! Raw span contract **v2: request bundle** (`docs/raw-span-contract.md`, "v2: request bundle").
//!
//! One request (a `tools/call` tree, or a family request: lists, `resources/read`, `prompts/get`,
//! `initialize`) becomes ONE exported span: the request, with its child operations (timings,
//! status, facts) encoded once into a text buffer (`cf.bundle`). By default the finished bundle
//! goes to the bundle queue (`queue.rs`: recycled buffers, one exporter thread that builds the
//! `SpanData` and calls the official OTLP exporter); [`BundleEmitter::with_batch_processor`]
//! instead builds the `SpanData` on the request thread and hands it to the official
//! `BatchSpanProcessor`. The collector expands the bundle into the v1 raw spans, so every v1 rule
//! applies. Child span ids are deterministic ([`child_span_id`]), so the runtime knows the id of
//! the span whose context it propagates upstream (`traceparent`) before anything is exported.
//!
//! The facts API mirrors the v1 typed spans (`RequestSpan`, `ToolInvokeSpan`, …); the v1 emitter
//! of the same exporter is [`BundleEmitter::v1`] (for anything a runtime does not bundle).

use std::cell::RefCell;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use opentelemetry::propagation::Extractor;
use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceId, TraceState};
use opentelemetry::{InstrumentationScope, StringValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{
    BatchSpanProcessor, IdGenerator, RandomIdGenerator, Span, SpanData, SpanExporter, SpanProcessor,
};
use opentelemetry_sdk::Resource;

use crate::config::{EmitterConfig, EmitterError, FamilyCapture};
use crate::emitter::{
    interned, resource, HttpRequest, JsonRpcId, RawSpanEmitter, ToolCall, ToolFacts, UpstreamFacts,
    SCOPE_NAME,
};
use crate::families::{
    Initialize, ListCall, ListFamily, ListVariant, PromptGet, PromptOutcome, ResourceRead,
};
use crate::keys;
pub use crate::queue::QueueConfig;
use crate::queue::{BundleQueue, QueueProcessor};
use crate::record::{
    end_entry, fact_array, fact_block, fact_bool, fact_int, fact_int_str, fact_str, op_entry,
    opt_str, BundleRecord, FactBlock, OpRecord, BLOCK_OP, CTX, GROUP_TARGET,
};
pub use crate::record::{
    BUNDLE_KEY, BUNDLE_OP, CONTRACT_KEY, CONTRACT_VERSION, RECORDED_CHILD_OPS,
};

/// Child operations one bundle can hold (indices 1..=63, contract bound).
pub const MAX_CHILD_OPS: u8 = 63;

/// Pre-sized so that a whole MCP tree (9 ops, ~1.6 KB of facts) is encoded without growing.
const BUFFER_CAPACITY: usize = 2048;

/// The span id of child op `index` of the bundle span `bundle_span_id` in `trace_id`:
/// FNV-1a 64 over the 16 trace-id bytes, the 8 bundle-span-id bytes and the index byte,
/// big-endian; 0 (invalid) becomes 1. Distinct indices give distinct ids (FNV-1a's last step is
/// a bijection of the last byte). The collector derives the same ids (`expand.go`).
pub fn child_span_id(trace_id: TraceId, bundle_span_id: SpanId, index: u8) -> SpanId {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let step = |h: u64, b: u8| (h ^ u64::from(b)).wrapping_mul(PRIME);
    let mut h = OFFSET;
    for b in trace_id.to_bytes() {
        h = step(h, b);
    }
    for b in bundle_span_id.to_bytes() {
        h = step(h, b);
    }
    h = step(h, index);
    SpanId::from_bytes(if h == 0 { 1 } else { h }.to_be_bytes())
}

/// Emits contract-v2 request bundles (and, through [`Self::v1`], v1 raw spans) into one
/// official batch span processor and OTLP exporter.
#[derive(Clone, Debug)]
pub struct BundleEmitter {
    sink: Sink,
    scope: InstrumentationScope,
    capture_input: bool,
    capture_output: bool,
    families: FamilyCapture,
    max_payload_bytes: usize,
    v1: RawSpanEmitter,
}

/// Where finished bundles go.
#[derive(Clone, Debug)]
enum Sink {
    /// The bundle queue and its exporter thread (`new`, `with_exporter`, `with_queue`).
    Queue(Arc<BundleQueue>),
    /// One `SpanData` per bundle into the SDK's batch processor (`with_batch_processor`).
    Batch(Arc<BatchSpanProcessor>),
}

/// Lets the v1 tracer provider share the bundle path's batch processor (one queue, one exporter).
#[derive(Debug)]
struct SharedBatch(Arc<BatchSpanProcessor>);

impl SpanProcessor for SharedBatch {
    fn on_start(&self, span: &mut Span, cx: &opentelemetry::Context) {
        self.0.on_start(span, cx)
    }
    fn on_end(&self, span: SpanData) {
        self.0.on_end(span)
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.0.shutdown_with_timeout(timeout)
    }
    // The resource was set once, before sharing (`BundleEmitter::with_batch_processor`).
    fn set_resource(&mut self, _resource: &Resource) {}
}

impl BundleEmitter {
    /// The official OTLP exporter (HTTP or gRPC, as [`RawSpanEmitter::new`]) behind the bundle
    /// queue ([`Self::with_exporter`]).
    pub fn new(config: EmitterConfig) -> Result<Self, EmitterError> {
        if config.endpoint.trim().is_empty() {
            return Err(EmitterError::Config("endpoint: must not be empty".into()));
        }
        crate::transport::check(&config)?;
        #[cfg(any(feature = "http", feature = "grpc"))]
        {
            let exporter = crate::transport::otlp_exporter(&config)?;
            Ok(Self::with_exporter(config, exporter))
        }
        #[cfg(not(any(feature = "http", feature = "grpc")))]
        Err(EmitterError::Config(
            "no OTLP transport in this build: enable the cargo feature `http` or `grpc`, or use with_exporter".into(),
        ))
    }

    /// `exporter` (any official `SpanExporter`) behind the bundle queue
    /// ([`QueueConfig::default`], the batch processor's sizes, drained every
    /// `config.batch_delay`).
    pub fn with_exporter<E: SpanExporter + 'static>(config: EmitterConfig, exporter: E) -> Self {
        let queue = QueueConfig {
            scheduled_delay: config.batch_delay,
            ..QueueConfig::default()
        };
        Self::with_queue(config, exporter, queue)
    }

    /// `exporter` behind a bundle queue of the given sizes: bundles go through a bounded queue of
    /// recycled buffers to one exporter thread, which builds their spans and calls `exporter`
    /// (`queue.rs`). v1 spans of [`Self::v1`] share the queue.
    pub fn with_queue<E: SpanExporter + 'static>(
        config: EmitterConfig,
        exporter: E,
        queue: QueueConfig,
    ) -> Self {
        let scope = scope(&config);
        let queue = Arc::new(BundleQueue::start(
            exporter,
            &resource(&config),
            scope.clone(),
            queue,
        ));
        BundleEmitter {
            scope,
            capture_input: config.capture_input,
            capture_output: config.capture_output,
            families: config.family_capture,
            max_payload_bytes: config.max_raw_payload_bytes,
            v1: RawSpanEmitter::with_span_processor(config, QueueProcessor(Arc::clone(&queue))),
            sink: Sink::Queue(queue),
        }
    }

    /// Bundles as one `SpanData` each into the SDK's batch processor (one bounded-channel send
    /// per bundle; the path before the bundle queue, kept for comparison).
    pub fn with_batch_processor(config: EmitterConfig, mut processor: BatchSpanProcessor) -> Self {
        processor.set_resource(&resource(&config));
        let processor = Arc::new(processor);
        BundleEmitter {
            scope: scope(&config),
            capture_input: config.capture_input,
            capture_output: config.capture_output,
            families: config.family_capture,
            max_payload_bytes: config.max_raw_payload_bytes,
            v1: RawSpanEmitter::with_span_processor(config, SharedBatch(Arc::clone(&processor))),
            sink: Sink::Batch(processor),
        }
    }

    /// Bundles (and v1 spans) dropped because the bundle queue was full; 0 with the batch
    /// processor (which counts its own drops).
    pub fn dropped(&self) -> u64 {
        match &self.sink {
            Sink::Queue(q) => q.dropped(),
            Sink::Batch(_) => 0,
        }
    }

    /// The v1 emitter of the same exporter, for requests that are not bundled.
    pub fn v1(&self) -> &RawSpanEmitter {
        &self.v1
    }

    /// Opens the bundle of one request. From `headers` it takes what v1 takes through
    /// `extract_context` + `RequestContext::from_headers`: the W3C `traceparent`/`tracestate`
    /// (remote parent; a valid unsampled parent makes the bundle non-recording, as the SDK's
    /// default `ParentBased(AlwaysOn)` sampler), `X-Correlation-ID` (else a generated id),
    /// `Mcp-Session-Id`/`x-mcp-session-id` and the raw `baggage`. `headers` is any [`Extractor`]
    /// (a `&dyn Extractor` too): generic, so that the lookups of a concrete one such as
    /// [`crate::HeaderPairs`] are inlined with their constant names.
    #[inline]
    pub fn start_request<H: Extractor + ?Sized>(
        &self,
        headers: &H,
        http: &HttpRequest<'_>,
    ) -> RequestBundle<'_> {
        self.start(headers, http, None)
    }

    /// [`Self::start_request`] with a known correlation id and whether it came from the header
    /// (replays of recorded calls).
    pub fn start_request_with_correlation_id<H: Extractor + ?Sized>(
        &self,
        headers: &H,
        http: &HttpRequest<'_>,
        correlation_id: &str,
        from_header: bool,
    ) -> RequestBundle<'_> {
        self.start(headers, http, Some((correlation_id, from_header)))
    }

    fn start<H: Extractor + ?Sized>(
        &self,
        headers: &H,
        http: &HttpRequest<'_>,
        correlation: Option<(&str, bool)>,
    ) -> RequestBundle<'_> {
        let start_time = SystemTime::now();
        let start_ns = monotonic_ns();
        let start_ticks = ticks();
        let parent = headers.get("traceparent").and_then(parse_traceparent);
        let ids = RandomIdGenerator::default();
        let (trace_id, parent_span_id, flags, recording) = match parent {
            Some(p) => (p.trace_id, p.span_id, p.flags, p.flags.is_sampled()),
            None => (
                ids.new_trace_id(),
                SpanId::INVALID,
                TraceFlags::SAMPLED,
                true,
            ),
        };
        // `tracestate` only matters with a parent: not looked up otherwise.
        let trace_state = match parent.and_then(|_| headers.get("tracestate")) {
            Some(ts) if !ts.is_empty() => ts.parse().unwrap_or_default(),
            _ => TraceState::default(),
        };
        let span_context = SpanContext::new(trace_id, ids.new_span_id(), flags, false, trace_state);
        let mut state = State {
            buf: Vec::new(),
            next_index: 1,
            status_error: false,
            payloads: [None, None],
        };
        if recording {
            state.buf = crate::queue::take_buffer(BUFFER_CAPACITY);
            let b = &mut state.buf;
            let header = |name: &str| headers.get(name).filter(|v| !v.is_empty());
            match correlation {
                Some((id, from_header)) => {
                    fact_str(b, CTX, keys::CORRELATION_ID, id);
                    fact_bool(b, CTX, keys::CORRELATION_ID_FROM_HEADER, from_header);
                }
                None => match header("x-correlation-id") {
                    Some(id) => {
                        fact_str(b, CTX, keys::CORRELATION_ID, id);
                        fact_bool(b, CTX, keys::CORRELATION_ID_FROM_HEADER, true);
                    }
                    None => {
                        let id = crate::context::new_correlation_id();
                        fact_str(b, CTX, keys::CORRELATION_ID, id.as_str());
                        fact_bool(b, CTX, keys::CORRELATION_ID_FROM_HEADER, false);
                    }
                },
            }
            if let Some(s) = header("mcp-session-id").or_else(|| header("x-mcp-session-id")) {
                fact_str(b, CTX, keys::SESSION_ID, s);
            }
            if let Some(v) = header("baggage") {
                fact_str(b, CTX, keys::BAGGAGE, v);
            }
            fact_str(b, 0, keys::HTTP_REQUEST_METHOD, http.method);
            fact_str(b, 0, keys::URL_PATH, http.path);
            if let Some(q) = http.query.filter(|q| !q.is_empty()) {
                fact_str(b, 0, keys::URL_QUERY, q);
            }
            opt_str(b, 0, keys::NETWORK_PROTOCOL_VERSION, http.protocol_version);
            opt_str(b, 0, keys::SERVER_ADDRESS, http.server_address);
            if let Some(p) = http.server_port {
                fact_int(b, 0, keys::SERVER_PORT, i64::from(p));
            }
            opt_str(b, 0, keys::CLIENT_ADDRESS, http.client_address);
            if let Some(p) = http.client_port {
                fact_int(b, 0, keys::CLIENT_PORT, i64::from(p));
            }
            opt_str(b, 0, keys::USER_AGENT_ORIGINAL, http.user_agent);
        }
        RequestBundle {
            emitter: self,
            span_context,
            parent_span_id,
            start_time,
            start_ns,
            start_ticks,
            recording,
            state: RefCell::new(state),
        }
    }

    /// Exports every finished span now. Through the bundle queue it waits up to
    /// [`QueueConfig::flush_timeout`] (30 s by default: room for several batches, each bounded by
    /// `EmitterConfig::export_timeout`); through the batch processor, up to the SDK's own wait.
    pub fn force_flush(&self) -> Result<(), EmitterError> {
        match &self.sink {
            Sink::Queue(q) => q.force_flush(),
            Sink::Batch(p) => p.force_flush(),
        }
        .map_err(|e| EmitterError::Flush(e.to_string()))
    }

    /// Flushes and stops the exporter; call once at process exit.
    pub fn shutdown(&self) -> Result<(), EmitterError> {
        self.v1.shutdown()
    }
}

fn scope(config: &EmitterConfig) -> InstrumentationScope {
    InstrumentationScope::builder(SCOPE_NAME)
        .with_version(interned(&config.gateway_version))
        .build()
}

/// `g1`: `gen_ai.tool.name`, `cf.tool.id` (tool.invoke and its children).
const G_TOOL: u8 = GROUP_TARGET + 1;
/// `g2`: `cf.tool.integration_type` (tool.invoke, lookup, gateway_call).
const G_INTEGRATION: u8 = GROUP_TARGET + 2;
/// `g3`: `cf.upstream.tool_name`, `cf.tool.id`, `cf.tool.gateway_id` (mcp.client.*).
const G_UPSTREAM: u8 = GROUP_TARGET + 3;
const GROUP_TOOL: u8 = 1 << (G_TOOL - GROUP_TARGET);
const GROUP_INTEGRATION: u8 = 1 << (G_INTEGRATION - GROUP_TARGET);
const GROUP_UPSTREAM: u8 = 1 << (G_UPSTREAM - GROUP_TARGET);

/// A tool's facts as record entries, encoded once per tool ([`ToolFacts::new`]): a call copies
/// each block whole ([`fact_block`]) instead of writing its facts one by one. The decoded text is
/// the same, in the same order.
#[derive(Clone, Debug, Default)]
pub(crate) struct ToolBlocks {
    /// `tool.invoke`: `cf.tool.id` (g1), `cf.tool.integration_type` (g2), then the op's
    /// `mcp.method.name` and `gen_ai.operation.name`.
    invoke: FactBlock,
    /// `mcp.client.*` (g3): `cf.tool.id`, `cf.tool.gateway_id`.
    upstream: FactBlock,
}

impl ToolBlocks {
    pub(crate) fn new(tool: &ToolFacts) -> Self {
        ToolBlocks {
            invoke: FactBlock::new(|b| {
                fact_str(b, G_TOOL, keys::TOOL_ID, tool.tool_id.as_str());
                fact_str(
                    b,
                    G_INTEGRATION,
                    keys::TOOL_INTEGRATION_TYPE,
                    tool.integration_type.as_str(),
                );
                fact_str(b, BLOCK_OP, keys::MCP_METHOD_NAME, "tools/call");
                fact_str(b, BLOCK_OP, keys::GEN_AI_OPERATION_NAME, "execute_tool");
            }),
            upstream: FactBlock::new(|b| {
                fact_str(b, G_UPSTREAM, keys::TOOL_ID, tool.tool_id.as_str());
                if let Some(g) = &tool.gateway_id {
                    fact_str(b, G_UPSTREAM, keys::TOOL_GATEWAY_ID, g.as_str());
                }
            }),
        }
    }
}

/// The `mcp.client.call` op's own facts of an upstream, encoded once ([`UpstreamFacts::new`]).
pub(crate) fn mcp_call_block(upstream: &UpstreamFacts) -> FactBlock {
    FactBlock::new(|b| {
        let i = BLOCK_OP;
        fact_str(b, i, keys::UPSTREAM_TRANSPORT, upstream.transport.as_str());
        if let Some(h) = &upstream.host {
            fact_str(b, i, keys::SERVER_ADDRESS, h.as_str());
        }
        if let Some(p) = upstream.port {
            fact_int(b, i, keys::SERVER_PORT, i64::from(p));
        }
        fact_str(b, i, keys::URL_PATH, upstream.path.as_str());
        fact_str(b, i, keys::URL_FULL, upstream.url.as_str());
    })
}

#[derive(Debug)]
struct State {
    /// The binary record of the facts and ended ops (`record.rs`), decoded into the `cf.bundle`
    /// text off the request path.
    buf: Vec<u8>,
    next_index: u8,
    status_error: bool,
    /// Raw payload attributes of the bundle span (slot 0 input, 1 output), placed by the
    /// collector on the first op of their owner (`tool.invoke`, `resource.read`, `prompt.render`).
    payloads: [Option<(&'static str, StringValue)>; 2],
}

/// One request being recorded: the request op (index 0, the bundle span itself) and its child
/// ops. Everything is written into one buffer; [`RequestBundle::end`] (or drop) hands one span to
/// the batch processor.
#[derive(Debug)]
pub struct RequestBundle<'e> {
    emitter: &'e BundleEmitter,
    span_context: SpanContext,
    parent_span_id: SpanId,
    start_time: SystemTime,
    /// [`monotonic_ns`] at the start: the bundle's duration is measured on the monotonic clock.
    start_ns: u64,
    start_ticks: u64,
    recording: bool,
    state: RefCell<State>,
}

impl<'e> RequestBundle<'e> {
    /// `cf.auth.method`, once authentication has run (v1: `RequestContext::with_auth_method`).
    #[inline]
    pub fn set_auth_method(&self, method: &str) {
        self.write(|b| fact_str(b, CTX, keys::AUTH_METHOD, method));
    }

    /// The caller's identity (v1: `RequestContext::with_identity`); `team_ids` `None` =
    /// unrestricted, `Some(&[])` = public.
    pub fn set_identity(
        &self,
        user_email: Option<&str>,
        is_admin: Option<bool>,
        team_name: Option<&str>,
        team_ids: Option<&[&str]>,
    ) {
        self.write(|b| {
            opt_str(b, CTX, keys::USER_EMAIL, user_email);
            if let Some(v) = is_admin {
                fact_bool(b, CTX, keys::USER_IS_ADMIN, v);
            }
            opt_str(b, CTX, keys::TEAM_NAME, team_name);
            if let Some(ids) = team_ids {
                fact_array(b, CTX, keys::TEAM_IDS, ids);
            }
        });
    }

    /// The request's span context (the bundle span's: the expanded `request` span keeps it).
    pub fn span_context(&self) -> SpanContext {
        self.span_context.clone()
    }

    /// `http.response.status_code`; a 5xx also sets status ERROR (no event), as the gateway.
    #[inline]
    pub fn set_status_code(&self, code: u16) {
        self.write(|b| fact_int(b, 0, keys::HTTP_RESPONSE_STATUS_CODE, i64::from(code)));
        if code >= 500 {
            self.state.borrow_mut().status_error = true;
        }
    }

    /// Opens `tools/call {tool}` (v1: `RequestSpan::start_tool_invoke`).
    pub fn start_tool_invoke<'b>(
        &'b self,
        tool: &'b ToolFacts,
        call: &ToolCall<'_>,
    ) -> ToolInvokeOp<'b, 'e> {
        let mut op = self.open("tool.invoke", 0);
        op.groups = GROUP_TOOL | GROUP_INTEGRATION;
        self.write(|b| {
            let i = op.index;
            // Facts the children repeat, written once (groups); the tool's own and the op's
            // constant ones as one block (`ToolBlocks`).
            fact_str(b, G_TOOL, keys::GEN_AI_TOOL_NAME, call.tool_name);
            fact_block(b, i, &tool.blocks.invoke);
            match call.jsonrpc_id {
                // A string fact, as v1 sends it.
                Some(JsonRpcId::Number(n)) => fact_int_str(b, i, keys::JSONRPC_REQUEST_ID, n),
                Some(JsonRpcId::String(s)) => fact_str(b, i, keys::JSONRPC_REQUEST_ID, s),
                None => {}
            }
            if let Some(g) = &tool.gateway_id {
                fact_str(b, i, keys::TOOL_GATEWAY_ID, g.as_str());
            }
            opt_str(b, i, keys::SERVER_ID, call.server_id);
            fact_int(b, i, keys::ARGUMENTS_COUNT, call.arguments_count as i64);
            fact_bool(b, i, keys::REQUEST_HAS_HEADERS, call.has_headers);
        });
        ToolInvokeOp { op, tool }
    }

    /// Opens `tools/list`, `resources/list`, `prompts/list` or `resources/templates/list`
    /// (v1.1: `RequestSpan::start_list`). No payloads.
    pub fn start_list<'b>(&'b self, family: ListFamily, call: &ListCall<'_>) -> Op<'b, 'e> {
        let op = self.open(family.op(), 0);
        op.write(|b, i| list_facts(b, i, family, call));
        op
    }

    /// Opens `resources/read {uri}` (v1.1: `RequestSpan::start_resource_read`).
    pub fn start_resource_read<'b>(&'b self, read: &ResourceRead<'_>) -> ResourceReadOp<'b, 'e> {
        let op = self.open("resource.read", 0);
        op.write(|b, i| {
            fact_str(b, i, keys::MCP_METHOD_NAME, "resources/read");
            fact_str(b, i, keys::MCP_RESOURCE_URI, read.uri);
            opt_str(b, i, keys::RESOURCE_REQUEST_ID, read.request_id);
            opt_str(b, i, keys::SERVER_ID, read.server_id);
            opt_str(b, i, keys::CALLER_USER, read.user);
        });
        ResourceReadOp { op }
    }

    /// Opens `prompts/get {name}` (v1.1: `RequestSpan::start_prompt_render`).
    pub fn start_prompt_render<'b>(&'b self, get: &PromptGet<'_>) -> PromptRenderOp<'b, 'e> {
        let op = self.open("prompt.render", 0);
        op.write(|b, i| {
            fact_str(b, i, keys::MCP_METHOD_NAME, "prompts/get");
            fact_str(b, i, keys::GEN_AI_PROMPT_NAME, get.name);
            fact_int(b, i, keys::ARGUMENTS_COUNT, get.arguments_count as i64);
            opt_str(b, i, keys::CALLER_USER, get.user);
            opt_str(b, i, keys::SERVER_ID, get.server_id);
            opt_str(b, i, keys::TENANT_ID, get.tenant_id);
        });
        PromptRenderOp { op }
    }

    /// Opens `initialize` (v1.1: `RequestSpan::start_initialize`). No payloads.
    pub fn start_initialize<'b>(&'b self, init: &Initialize<'_>) -> Op<'b, 'e> {
        let op = self.open("mcp.initialize", 0);
        op.write(|b, i| {
            fact_str(b, i, keys::MCP_METHOD_NAME, "initialize");
            opt_str(b, i, keys::MCP_PROTOCOL_VERSION, init.protocol_version);
            opt_str(b, i, keys::MCP_SESSION_ID, init.session_id);
            opt_str(b, i, keys::SERVER_ID, init.server_id);
        });
        op
    }

    /// A failure of the request itself: one `exception` (type, raw message) on the request op.
    pub fn record_error(&self, exception_type: &str, message: &str) {
        self.write(|b| {
            fact_str(b, 0, keys::EXCEPTION_TYPE, exception_type);
            fact_str(b, 0, keys::EXCEPTION_MESSAGE, message);
        });
    }

    /// Hands the bundle to the batch processor now (also done on drop).
    #[inline]
    pub fn end(self) {}

    #[inline]
    fn write(&self, f: impl FnOnce(&mut Vec<u8>)) {
        if self.recording {
            f(&mut self.state.borrow_mut().buf);
        }
    }

    /// Ticks since the bundle started (see [`ticks`]).
    #[inline]
    fn offset(&self) -> u64 {
        ticks().wrapping_sub(self.start_ticks)
    }

    #[inline]
    fn open(&self, name: &'static str, parent: u8) -> Op<'_, 'e> {
        let mut state = self.state.borrow_mut();
        let index = if state.next_index <= RECORDED_CHILD_OPS && self.recording {
            state.next_index += 1;
            state.next_index - 1
        } else {
            NOT_RECORDED
        };
        Op {
            bundle: self,
            index,
            name,
            parent,
            start: if index == NOT_RECORDED {
                0
            } else {
                self.offset()
            },
            groups: 0,
        }
    }
}

impl Drop for RequestBundle<'_> {
    fn drop(&mut self) {
        if !self.recording {
            return;
        }
        let total_ns = monotonic_ns().saturating_sub(self.start_ns);
        let total_ticks = ticks().wrapping_sub(self.start_ticks);
        let state = self.state.get_mut();
        end_entry(&mut state.buf, total_ticks, total_ns);
        let end_time = self.start_time + Duration::from_nanos(total_ns);
        let record = BundleRecord {
            span_context: self.span_context.clone(),
            parent_span_id: self.parent_span_id,
            start_time: self.start_time,
            end_time,
            status_error: state.status_error,
            buf: std::mem::take(&mut state.buf),
            payloads: [state.payloads[0].take(), state.payloads[1].take()],
        };
        let processor = match &self.emitter.sink {
            Sink::Queue(queue) => return queue.push_bundle(record),
            Sink::Batch(processor) => processor,
        };
        // The batch processor's path decodes here, on the request thread.
        let (span, buf) = record.into_span_data(self.emitter.scope.clone());
        crate::queue::give_back(buf);
        processor.on_end(span);
    }
}

/// The index of an op that is not recorded (non-recording bundle, or past [`MAX_CHILD_OPS`]);
/// 0 is the request op, which is never a child.
const NOT_RECORDED: u8 = 0;

/// One child op being recorded (its index in the bundle). Dropping it ends it.
#[derive(Debug)]
pub struct Op<'b, 'e> {
    bundle: &'b RequestBundle<'e>,
    index: u8,
    name: &'static str,
    parent: u8,
    start: u64,
    /// Fact groups (bit n = group `g<n>`) whose facts this op has too.
    groups: u8,
}

impl<'b, 'e> Op<'b, 'e> {
    /// Contract error rule: status ERROR and one `exception` (type, raw message).
    pub fn record_error(&mut self, exception_type: &str, message: &str) {
        if self.index == NOT_RECORDED {
            return;
        }
        let i = self.index;
        self.bundle.write(|b| {
            fact_str(b, i, keys::EXCEPTION_TYPE, exception_type);
            fact_str(b, i, keys::EXCEPTION_MESSAGE, message);
        });
    }

    /// This op's W3C span context (its deterministic span id), e.g. for the upstream
    /// `traceparent`.
    pub fn span_context(&self) -> SpanContext {
        let b = &self.bundle.span_context;
        let id = if self.index == NOT_RECORDED {
            b.span_id()
        } else {
            child_span_id(b.trace_id(), b.span_id(), self.index)
        };
        SpanContext::new(
            b.trace_id(),
            id,
            b.trace_flags(),
            false,
            b.trace_state().clone(),
        )
    }

    #[inline]
    pub fn end(self) {}

    #[inline]
    fn child(&self, name: &'static str) -> Op<'b, 'e> {
        self.bundle.open(name, self.index)
    }

    /// A raw payload of this op into the bundle span's payload `slot` (0 input, 1 output),
    /// capped at the hard limit (then `size_key`, a fact of this op, carries the full size in
    /// characters, the unit of Python's `_original_size`). An `Arc<str>` is shared, not copied.
    fn set_payload(
        &self,
        slot: usize,
        key: &'static str,
        size_key: &'static str,
        json: impl Into<StringValue>,
    ) {
        if self.index == NOT_RECORDED {
            return;
        }
        let json: StringValue = json.into();
        let max = self.bundle.emitter.max_payload_bytes;
        let value = if json.as_str().len() <= max {
            json
        } else {
            let text = json.as_str();
            let mut cut = max;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            let chars = text.chars().count() as i64;
            self.write(|b, i| fact_int(b, i, size_key, chars));
            StringValue::from(text[..cut].to_owned())
        };
        self.bundle.state.borrow_mut().payloads[slot] = Some((key, value));
    }

    #[inline]
    fn write(&self, f: impl FnOnce(&mut Vec<u8>, u8)) {
        if self.index != NOT_RECORDED {
            let i = self.index;
            self.bundle.write(|b| f(b, i));
        }
    }
}

impl Drop for Op<'_, '_> {
    #[inline]
    fn drop(&mut self) {
        if self.index == NOT_RECORDED {
            return;
        }
        let end = self.bundle.offset();
        let op = OpRecord {
            name: self.name,
            parent: self.parent,
            groups: self.groups,
            start: self.start,
            end,
            ended: true,
        };
        let index = self.index;
        self.bundle.write(|b| op_entry(b, index, &op));
    }
}

/// A cheap monotonic tick: the CPU's time-stamp counter on x86-64 (invariant on the CPUs the
/// runtime targets; ~7 ns against ~25 ns for a `clock_gettime`), [`monotonic_ns`] elsewhere. A
/// bundle converts its ops' ticks to nanoseconds once, at its end.
#[inline]
fn ticks() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC is available on every x86-64 CPU and has no memory effects.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        monotonic_ns()
    }
}

/// Nanoseconds on the monotonic clock: on Linux one `clock_gettime(CLOCK_MONOTONIC)` (the clock
/// `Instant` reads, without `Instant`'s conversions and checked arithmetic: ~90 instructions
/// fewer per bundle), elsewhere an `Instant` since a process-wide origin. Differences of two
/// readings are a bundle's real duration; a failed read (none on Linux) gives 0, never a panic.
#[inline]
fn monotonic_ns() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable `timespec` for the call; `clock_gettime` writes only
        // it and has no other effect.
        unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
        (ts.tv_sec as u64)
            .wrapping_mul(1_000_000_000)
            .wrapping_add(ts.tv_nsec as u64)
    }
    #[cfg(not(target_os = "linux"))]
    {
        use std::time::Instant;
        static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }
}

/// `tool.invoke` (v1: `ToolInvokeSpan`).
#[derive(Debug)]
pub struct ToolInvokeOp<'b, 'e> {
    op: Op<'b, 'e>,
    tool: &'b ToolFacts,
}

impl<'b, 'e> ToolInvokeOp<'b, 'e> {
    #[inline]
    pub fn start_lookup(&self) -> Op<'b, 'e> {
        let mut op = self.op.child("tool.lookup");
        op.groups = GROUP_TOOL | GROUP_INTEGRATION;
        op
    }

    #[inline]
    pub fn start_gateway_call(&self) -> GatewayCallOp<'b, 'e> {
        let mut op = self.op.child("tool.gateway_call");
        op.groups = GROUP_TOOL | GROUP_INTEGRATION;
        GatewayCallOp {
            op,
            tool: self.tool,
        }
    }

    #[inline]
    pub fn start_post_process(&self) -> Op<'b, 'e> {
        let mut op = self.op.child("tool.post_process");
        op.groups = GROUP_TOOL;
        op
    }

    /// The raw arguments JSON (sent only with input capture on); an `Arc<str>` is shared.
    pub fn set_arguments_json(&mut self, json: impl Into<StringValue>) {
        if self.op.bundle.emitter.capture_input {
            self.op.set_payload(
                0,
                keys::TOOL_CALL_ARGUMENTS,
                keys::ARGUMENTS_ORIGINAL_SIZE,
                json,
            );
        }
    }

    /// The raw `CallToolResult` JSON (sent only with output capture on) and its `isError`.
    pub fn set_result_json(&mut self, json: impl Into<StringValue>, is_error: bool) {
        if self.op.bundle.emitter.capture_output {
            self.op
                .set_payload(1, keys::TOOL_CALL_RESULT, keys::RESULT_ORIGINAL_SIZE, json);
        }
        self.op
            .write(|b, i| fact_bool(b, i, keys::RESULT_IS_ERROR, is_error));
    }
}

/// `tool.gateway_call` (v1: `GatewayCallSpan`).
#[derive(Debug)]
pub struct GatewayCallOp<'b, 'e> {
    op: Op<'b, 'e>,
    tool: &'b ToolFacts,
}

impl<'b, 'e> GatewayCallOp<'b, 'e> {
    pub fn start_mcp_call(&self, upstream: &'b UpstreamFacts) -> McpCallOp<'b, 'e> {
        let mut op = self.op.child("mcp.client.call");
        op.groups = GROUP_UPSTREAM;
        let tool = self.tool;
        op.write(|b, i| {
            fact_str(
                b,
                G_UPSTREAM,
                keys::UPSTREAM_TOOL_NAME,
                upstream.tool_name.as_str(),
            );
            // The tool's g3 facts, then the op's own (encoded once per tool and upstream).
            fact_block(b, i, &tool.blocks.upstream);
            fact_block(b, i, &upstream.call_block);
        });
        McpCallOp { op, upstream }
    }
}

/// `mcp.client.call` (v1: `McpCallSpan`); its [`McpCallOp::span_context`] is the upstream
/// `traceparent`.
#[derive(Debug)]
pub struct McpCallOp<'b, 'e> {
    op: Op<'b, 'e>,
    upstream: &'b UpstreamFacts,
}

impl<'b, 'e> McpCallOp<'b, 'e> {
    #[inline]
    pub fn start_initialize(&self) -> Op<'b, 'e> {
        let op = self.op.child("mcp.client.initialize");
        let transport = self.upstream.transport.as_str();
        op.write(|b, i| fact_str(b, i, keys::UPSTREAM_TRANSPORT, transport));
        op
    }

    #[inline]
    pub fn start_request(&self) -> Op<'b, 'e> {
        let mut op = self.op.child("mcp.client.request");
        op.groups = GROUP_UPSTREAM;
        op
    }

    /// `success` = the upstream result's `not isError`.
    #[inline]
    pub fn start_response(&self, success: bool) -> Op<'b, 'e> {
        let mut op = self.op.child("mcp.client.response");
        op.groups = GROUP_UPSTREAM;
        op.write(|b, i| fact_bool(b, i, keys::UPSTREAM_SUCCESS, success));
        op
    }
}

/// The facts of a list op, in v1's order (`families.rs`, `list_facts`).
fn list_facts(b: &mut Vec<u8>, i: u8, family: ListFamily, call: &ListCall<'_>) {
    fact_str(b, i, keys::MCP_METHOD_NAME, family.method());
    if family == ListFamily::ResourceTemplates {
        fact_bool(b, i, keys::LIST_INCLUDE_INACTIVE, call.include_inactive);
        opt_str(b, i, keys::SERVER_ID, call.server_id);
        fact_int(b, i, keys::LIST_TAGS_COUNT, call.tags_count);
        return;
    }
    fact_str(b, i, keys::LIST_VARIANT, call.variant.word());
    match call.variant {
        ListVariant::Catalog => {
            fact_bool(b, i, keys::LIST_INCLUDE_INACTIVE, call.include_inactive);
            fact_int(b, i, keys::LIST_TAGS_COUNT, call.tags_count);
            fact_int(b, i, keys::LIST_LIMIT, call.limit);
        }
        ListVariant::Server => {
            opt_str(b, i, keys::SERVER_ID, call.server_id);
            fact_bool(b, i, keys::LIST_INCLUDE_INACTIVE, call.include_inactive);
            fact_bool(b, i, keys::LIST_INCLUDE_METRICS, call.include_metrics);
        }
    }
    opt_str(b, i, keys::LIST_USER_EMAIL, call.user_email);
    if let Some(teams) = call.team_ids {
        fact_array(b, i, keys::LIST_TEAM_IDS, teams);
    }
}

/// `resource.read` (v1.1: `ResourceReadSpan`).
#[derive(Debug)]
pub struct ResourceReadOp<'b, 'e> {
    op: Op<'b, 'e>,
}

impl<'b, 'e> ResourceReadOp<'b, 'e> {
    /// The nested `resources/templates/list` the service runs when the URI has no exact match.
    pub fn start_template_list(&self, call: &ListCall<'_>) -> Op<'b, 'e> {
        let op = self.op.child(ListFamily::ResourceTemplates.op());
        op.write(|b, i| list_facts(b, i, ListFamily::ResourceTemplates, call));
        op
    }

    /// The resolved content as the gateway's `ResourceContent` JSON; always sent (the collector
    /// derives `content.size` from it), an `Arc<str>` is shared.
    pub fn set_content_json(&mut self, json: impl Into<StringValue>) {
        self.op
            .set_payload(1, keys::RESOURCE_CONTENT, keys::RESULT_ORIGINAL_SIZE, json);
    }

    /// Python set `success`/`duration.ms`/`content.size` before the failure that follows.
    #[inline]
    pub fn mark_success(&mut self) {
        self.op
            .write(|b, i| fact_bool(b, i, keys::SUCCESS_MARKED, true));
    }
}

/// `prompt.render` (v1.1: `PromptRenderSpan`).
#[derive(Debug)]
pub struct PromptRenderOp<'b, 'e> {
    op: Op<'b, 'e>,
}

impl<'b, 'e> PromptRenderOp<'b, 'e> {
    /// The raw arguments JSON text; sent only with `prompt.render` input capture on.
    pub fn set_arguments_json(&mut self, json: impl Into<StringValue>) {
        if self.op.bundle.emitter.families.prompt_render_input {
            self.op.set_payload(
                0,
                keys::PROMPT_ARGUMENTS,
                keys::ARGUMENTS_ORIGINAL_SIZE,
                json,
            );
        }
    }

    /// The rendered result (payload only with output capture on) and its facts (always).
    pub fn set_result(&mut self, outcome: &PromptOutcome<'_>, json: impl Into<StringValue>) {
        if self.op.bundle.emitter.families.prompt_render_output {
            self.op
                .set_payload(1, keys::PROMPT_RESULT, keys::RESULT_ORIGINAL_SIZE, json);
        }
        self.op.write(|b, i| {
            opt_str(b, i, keys::PROMPT_CANONICAL_NAME, outcome.canonical_name);
            if let Some(v) = outcome.version {
                fact_int(b, i, keys::PROMPT_VERSION, v);
            }
            fact_int(
                b,
                i,
                keys::PROMPT_MESSAGES_COUNT,
                outcome.messages_count as i64,
            );
        });
    }
}

/// The methods every typed op shares (as v1's typed spans).
macro_rules! typed_op_methods {
    ($($ty:ident),+ $(,)?) => {$(
        impl<'b, 'e> $ty<'b, 'e> {
            /// Status ERROR plus one `exception` (type and raw message), as the contract says.
            pub fn record_error(&mut self, exception_type: &str, message: &str) {
                self.op.record_error(exception_type, message)
            }

            /// This op's W3C span context (deterministic span id).
            pub fn span_context(&self) -> SpanContext {
                self.op.span_context()
            }

            #[inline]
            pub fn end(self) {}
        }
    )+};
}

typed_op_methods!(
    ToolInvokeOp,
    GatewayCallOp,
    McpCallOp,
    ResourceReadOp,
    PromptRenderOp
);

/// The parent of a W3C `traceparent` (version 00 layout; a future version is read by its first
/// four fields, as the W3C spec says). Invalid → `None` (a new trace, as the SDK propagator).
#[derive(Clone, Copy)]
struct Parent {
    trace_id: TraceId,
    span_id: SpanId,
    flags: TraceFlags,
}

fn parse_traceparent(v: &str) -> Option<Parent> {
    // `trim` (Unicode white space) only when an end is not a printable ASCII byte: such a byte is
    // neither white space nor part of a multi-byte character.
    let printable = |c: &u8| c.is_ascii_graphic();
    let b = match (v.as_bytes().first(), v.as_bytes().last()) {
        (Some(first), Some(last)) if printable(first) && printable(last) => v.as_bytes(),
        _ => v.trim().as_bytes(),
    };
    if b.len() < 55 || b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
        return None;
    }
    // Decoded from lower-case hex (the spec's only form) straight into the id bytes, the ids
    // many digits at a time (`hex_ids`): no UTF-8 slicing, no radix parse, no intermediate text.
    let version = hex_byte(b[0], b[1])?;
    if version == 0xff
        || (version == 0 && b.len() != 55)
        || (version > 0 && b.len() > 55 && b[55] != b'-')
    {
        return None;
    }
    let (trace_id, span_id) = hex_ids(
        b[3..35].try_into().expect("32 digits"),
        b[36..52].try_into().expect("16 digits"),
    )?;
    let flags = hex_byte(b[53], b[54])?;
    let (trace_id, span_id) = (TraceId::from_bytes(trace_id), SpanId::from_bytes(span_id));
    if trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
        return None;
    }
    Some(Parent {
        trace_id,
        span_id,
        flags: TraceFlags::new(flags) & TraceFlags::SAMPLED,
    })
}

/// The value of each lower-case hex digit; `INVALID_HEX` for every other byte.
const HEX_VALUES: [u8; 256] = {
    let mut table = [INVALID_HEX; 256];
    let mut c = 0;
    while c < 256 {
        table[c] = match c as u8 {
            b @ b'0'..=b'9' => b - b'0',
            b @ b'a'..=b'f' => b - b'a' + 10,
            _ => INVALID_HEX,
        };
        c += 1;
    }
    table
};
const INVALID_HEX: u8 = 0x10;

/// The byte of two lower-case hex digits (`None` for anything else, upper case included).
#[inline(always)]
fn hex_byte(high: u8, low: u8) -> Option<u8> {
    let (h, l) = (HEX_VALUES[usize::from(high)], HEX_VALUES[usize::from(low)]);
    if (h | l) & INVALID_HEX != 0 {
        return None;
    }
    Some(h << 4 | l)
}

/// The trace id and span id of a `traceparent` from their 32 and 16 lower-case hex digits
/// (`None` if any digit is not one): 16 digits per SSE2 register on x86-64 ([`sse2_hex`]), eight
/// per 64-bit word elsewhere ([`hex_bytes`]). Both give [`hex_byte`]'s answer on every pair
/// (tests: every byte value at every position).
#[inline(always)]
fn hex_ids(trace: &[u8; 32], span: &[u8; 16]) -> Option<([u8; 16], [u8; 8])> {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of every x86-64 CPU (the target's baseline); `ids` reads only
        // the two arrays it is given and writes only its own locals.
        unsafe { sse2_hex::ids(trace, span) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        Some((hex_bytes(trace)?, hex_bytes(span)?))
    }
}

/// Lower-case hex digits decoded 16 at a time with SSE2 (x86-64's baseline: no CPU check).
#[cfg(target_arch = "x86_64")]
mod sse2_hex {
    use core::arch::x86_64::*;

    /// The 32 + 16 digits of a trace id and a span id, as [`super::hex_ids`].
    ///
    /// # Safety
    /// Needs SSE2 (every x86-64 CPU). Reads `trace` and `span` with unaligned loads, writes its
    /// own locals only.
    #[inline(always)]
    pub(super) unsafe fn ids(trace: &[u8; 32], span: &[u8; 16]) -> Option<([u8; 16], [u8; 8])> {
        let load = |p: *const u8| p as *const __m128i;
        let (high, ok_high) = pairs(_mm_loadu_si128(load(trace.as_ptr())));
        let (low, ok_low) = pairs(_mm_loadu_si128(load(trace.as_ptr().add(16))));
        let (span_pairs, ok_span) = pairs(_mm_loadu_si128(load(span.as_ptr())));
        let ok = _mm_and_si128(_mm_and_si128(ok_high, ok_low), ok_span);
        if _mm_movemask_epi8(ok) != 0xffff {
            return None;
        }
        // Each 16-bit lane holds one byte (< 256): packing saturates nothing.
        let mut trace_id = [0u8; 16];
        _mm_storeu_si128(
            trace_id.as_mut_ptr() as *mut __m128i,
            _mm_packus_epi16(high, low),
        );
        let span_id = _mm_cvtsi128_si64(_mm_packus_epi16(span_pairs, span_pairs)) as u64;
        Some((trace_id, span_id.to_le_bytes()))
    }

    /// `lo <= byte <= hi` per byte (all ones or zero); bytes from 0x80 are negative in the signed
    /// compares, so below every `lo` here.
    #[inline(always)]
    unsafe fn between(v: __m128i, lo: u8, hi: u8) -> __m128i {
        _mm_and_si128(
            _mm_cmpgt_epi8(v, _mm_set1_epi8((lo - 1) as i8)),
            _mm_cmplt_epi8(v, _mm_set1_epi8((hi + 1) as i8)),
        )
    }

    /// 16 digits: per 16-bit lane the byte of its two digits (first digit the high nibble), and
    /// per byte all ones when that byte is a lower-case hex digit.
    #[inline(always)]
    unsafe fn pairs(v: __m128i) -> (__m128i, __m128i) {
        let digit = between(v, b'0', b'9');
        let alpha = between(v, b'a', b'f');
        // A digit's value: its low 4 bits, + 9 for `a`-`f`.
        let nibbles = _mm_add_epi8(
            _mm_and_si128(v, _mm_set1_epi8(0x0f)),
            _mm_and_si128(alpha, _mm_set1_epi8(9)),
        );
        // Lane = first digit (low byte) << 4 | second digit (high byte) >> 8.
        let lanes = _mm_or_si128(_mm_slli_epi16(nibbles, 4), _mm_srli_epi16(nibbles, 8));
        (
            _mm_and_si128(lanes, _mm_set1_epi16(0x00ff)),
            _mm_or_si128(digit, alpha),
        )
    }
}

/// The `N` bytes of `2 * N` lower-case hex digits (`None` if any is not one; `N` a multiple of
/// 4): eight digits at a time ([`hex_word`]), the validity of all of them checked once at the
/// end (no branch per byte).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn hex_bytes<const N: usize>(digits: &[u8]) -> Option<[u8; N]> {
    let digits = &digits[..2 * N];
    let mut out = [0u8; N];
    let mut valid = true;
    let mut i = 0;
    while i < N / 4 {
        let eight: [u8; 8] = digits[8 * i..8 * i + 8].try_into().expect("8 digits");
        let (word, ok) = hex_word(&eight);
        valid &= ok;
        out[4 * i..4 * i + 4].copy_from_slice(&word.to_le_bytes());
        i += 1;
    }
    valid.then_some(out)
}

/// The 4 bytes of 8 lower-case hex digits, decoded in one 64-bit word (SWAR), and whether all 8
/// are lower-case hex digits (the bytes are meaningless when not). Same answer as [`hex_byte`]
/// on each pair (a test checks every byte value at every position).
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
#[inline(always)]
fn hex_word(digits: &[u8; 8]) -> (u32, bool) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = u64::from_le_bytes(*digits);
    // For bytes below 0x80 (checked: `x & HIGH == 0`), bit 7 of each byte says `byte >= lo`
    // (`byte + 0x80 - lo` carries into no other byte) and `byte <= hi` (`0x80 + hi - byte`
    // borrows from no other byte).
    let ge = |lo: u8| x.wrapping_add((0x80 - u64::from(lo)) * ONES) & HIGH;
    let le = |hi: u8| ((0x80 + u64::from(hi)) * ONES).wrapping_sub(x) & HIGH;
    let digit = ge(b'0') & le(b'9');
    let alpha = ge(b'a') & le(b'f');
    let valid = (x & HIGH == 0) & (digit | alpha == HIGH);
    // Each byte's value: its low 4 bits, + 9 for `a`-`f`.
    let nibbles = (x & (0x0f * ONES)) + (alpha >> 7) * 9;
    // Byte 2k becomes digit 2k << 4 | digit 2k + 1; then bytes 0, 2, 4, 6 are packed.
    let mut t = ((nibbles << 4) | (nibbles >> 8)) & 0x00ff_00ff_00ff_00ff;
    t = (t | (t >> 8)) & 0x0000_ffff_0000_ffff;
    t = (t | (t >> 16)) & 0xffff_ffff;
    (t as u32, valid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HeaderPairs, UpstreamTarget};
    use opentelemetry::trace::Status;
    use opentelemetry::Value;
    use opentelemetry_sdk::trace::InMemorySpanExporter;

    const TRACEPARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    fn emitter() -> (BundleEmitter, InMemorySpanExporter) {
        let exporter = InMemorySpanExporter::default();
        let config = EmitterConfig {
            capture_input: true,
            capture_output: true,
            max_raw_payload_bytes: 16,
            ..EmitterConfig::default()
        };
        (
            BundleEmitter::with_exporter(config, exporter.clone()),
            exporter,
        )
    }

    fn mcp_tree(e: &BundleEmitter, headers: &[(&str, &str)]) -> (SpanContext, SpanContext) {
        let tool = ToolFacts::new("t1", "MCP", Some("g1"));
        let upstream = UpstreamFacts::new(&UpstreamTarget {
            tool_name: "whoami",
            transport: "streamablehttp",
            url: "http://Up:9000/mcp",
        });
        let http = HttpRequest {
            method: "POST",
            path: "/mcp",
            ..HttpRequest::default()
        };
        let request = e.start_request(&HeaderPairs(headers), &http);
        request.set_auth_method("jwt");
        request.set_identity(Some("a@b.c"), Some(true), None, Some(&["t a", "ü"]));
        let mut invoke = request.start_tool_invoke(
            &tool,
            &ToolCall {
                tool_name: "up-whoami",
                jsonrpc_id: Some(JsonRpcId::Number(-7)),
                arguments_count: 1,
                ..ToolCall::default()
            },
        );
        invoke.set_arguments_json(r#"{"q":"1"}"#.to_owned());
        invoke.start_lookup().end();
        let mut gateway_call = invoke.start_gateway_call();
        let call = gateway_call.start_mcp_call(&upstream);
        let propagated = call.span_context();
        call.start_initialize().end();
        let mut req = call.start_request();
        req.record_error("McpError", "boom\nline 2");
        req.end();
        call.end();
        gateway_call.record_error("ToolInvocationError", "Tool invocation failed: boom");
        gateway_call.end();
        invoke.set_result_json("x".repeat(20), true);
        invoke.end();
        request.set_status_code(500);
        let root = request.span_context();
        request.end();
        e.force_flush().unwrap();
        (root, propagated)
    }

    fn attr<'a>(span: &'a SpanData, key: &str) -> &'a Value {
        &span
            .attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .unwrap()
            .value
    }

    #[test]
    fn bundle_times_are_the_wall_clock_start_and_the_monotonic_duration() {
        let (e, exporter) = emitter();
        let before = SystemTime::now();
        let request = e.start_request(&HeaderPairs(&[]), &HttpRequest::default());
        let first = monotonic_ns();
        std::thread::sleep(Duration::from_millis(20));
        let waited = monotonic_ns() - first;
        request.end();
        let after = SystemTime::now();
        e.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        let s = &spans[0];
        let duration = s.end_time.duration_since(s.start_time).unwrap();
        assert!(before <= s.start_time && s.end_time <= after + Duration::from_millis(1));
        assert!(waited >= 20_000_000, "{waited}");
        assert!(
            duration.as_nanos() >= u128::from(waited),
            "{duration:?} < {waited} ns"
        );
        assert!(duration < Duration::from_secs(5), "{duration:?}");
    }

    #[test]
    fn one_span_per_request_with_ops_and_deterministic_ids() {
        let (e, exporter) = emitter();
        let (root, propagated) = mcp_tree(
            &e,
            &[("traceparent", TRACEPARENT), ("x-correlation-id", "c1")],
        );
        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len(), 1);
        let s = &spans[0];
        assert_eq!(s.name, BUNDLE_OP);
        assert_eq!(s.span_context, root);
        assert_eq!(
            s.parent_span_id,
            SpanId::from_hex("b7ad6b7169203331").unwrap()
        );
        assert!(s.parent_span_is_remote);
        assert_eq!(s.status, Status::error(""));
        assert_eq!(s.instrumentation_scope.name(), SCOPE_NAME);
        assert_eq!(attr(s, CONTRACT_KEY), &Value::I64(2));
        assert_eq!(attr(s, keys::OP), &Value::from(BUNDLE_OP));
        assert_eq!(
            attr(s, keys::TOOL_CALL_ARGUMENTS),
            &Value::from(r#"{"q":"1"}"#)
        );
        // Capped at 16 bytes with the original size in characters.
        assert_eq!(
            attr(s, keys::TOOL_CALL_RESULT),
            &Value::from("x".repeat(16))
        );
        let text = attr(s, BUNDLE_KEY).as_str().into_owned();
        assert!(text.contains("f c cf.correlation_id s2:c1\n"), "{text}");
        assert!(text.contains("f c cf.team.ids a2 3:t a 2:ü\n"), "{text}");
        assert!(text.contains("f 1 jsonrpc.request.id s2:-7\n"), "{text}");
        assert!(text.contains("f 1 cf.result.original_size i20\n"), "{text}");
        assert!(text.contains("f 4 server.address s2:up\n"), "{text}");
        assert!(
            text.contains("f 6 exception.message s11:boom\nline 2\n"),
            "{text}"
        );
        assert!(
            text.contains("f 0 http.response.status_code i500\n"),
            "{text}"
        );
        // Ops: index, name, parent; in end order.
        let ops: Vec<(u8, String, u8)> = text
            .lines()
            .filter_map(|l| l.strip_prefix("o "))
            .map(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                let (start, end): (u64, u64) = (f[3].parse().unwrap(), f[4].parse().unwrap());
                let duration = s.end_time.duration_since(s.start_time).unwrap();
                assert!(start <= end && end <= duration.as_nanos() as u64, "{l}");
                (
                    f[0].parse().unwrap(),
                    f[1].to_owned(),
                    f[2].parse().unwrap(),
                )
            })
            .collect();
        let want = [
            (1, "tool.invoke", 0),
            (2, "tool.lookup", 1),
            (3, "tool.gateway_call", 1),
            (4, "mcp.client.call", 3),
            (5, "mcp.client.initialize", 4),
            (6, "mcp.client.request", 4),
        ];
        assert_eq!(ops, want.map(|(i, n, p)| (i, n.to_owned(), p)));
        // The propagated context is op 4's deterministic id (the collector derives the same).
        assert_eq!(propagated.trace_id(), root.trace_id());
        // Test vector shared with the collector's expand_test.go.
        assert_eq!(
            child_span_id(
                TraceId::from_hex("0af7651916cd43dd8448eb211c80319c").unwrap(),
                SpanId::from_hex("b7ad6b7169203331").unwrap(),
                4
            ),
            SpanId::from_hex("76f6d141b00516af").unwrap()
        );
        assert_eq!(
            child_span_id(root.trace_id(), root.span_id(), 4),
            propagated.span_id()
        );
        assert!(text.len() <= BUFFER_CAPACITY, "{} bytes", text.len());
    }

    /// The whole `cf.bundle` text with the op timings replaced by `S E` (they vary per run).
    fn masked_bundle_text(span: &SpanData) -> String {
        let text = attr(span, BUNDLE_KEY).as_str().into_owned();
        let mut out = String::new();
        for line in text.split_inclusive('\n') {
            match line.strip_prefix("o ") {
                Some(op) if !line.contains(':') => {
                    let mut f: Vec<&str> = op.trim_end().split(' ').collect();
                    f[3] = "S";
                    f[4] = "E";
                    out.push_str(&format!("o {}\n", f.join(" ")));
                }
                _ => out.push_str(line),
            }
        }
        out
    }

    /// Every kind of fact and op line, byte for byte as contract v2 defines the text (the
    /// request thread's record is decoded into it on the exporter thread).
    #[test]
    fn bundle_text_is_byte_for_byte_the_v2_encoding() {
        let (e, exporter) = emitter();
        mcp_tree(
            &e,
            &[
                ("traceparent", TRACEPARENT),
                ("x-correlation-id", "c1"),
                ("mcp-session-id", "s-1"),
                ("baggage", "k=v,ü=1"),
            ],
        );
        let headers = HeaderPairs(&[("traceparent", TRACEPARENT)]);
        let http = HttpRequest {
            method: "GET",
            path: "/tools",
            query: Some("a=1"),
            protocol_version: Some("2"),
            server_address: Some("gw"),
            server_port: Some(4444),
            client_address: Some("10.0.0.1"),
            client_port: Some(65535),
            user_agent: Some("curl/8 ü"),
        };
        let request = e.start_request_with_correlation_id(&headers, &http, "corr", false);
        request.set_identity(None, Some(false), Some("team"), None);
        let teams = ["a".to_owned(), String::new()];
        request
            .start_list(
                ListFamily::Tools,
                &ListCall {
                    variant: ListVariant::Catalog,
                    tags_count: -3,
                    limit: 50,
                    user_email: Some("u@x"),
                    team_ids: Some(&teams),
                    ..ListCall::default()
                },
            )
            .end();
        request
            .start_list(
                ListFamily::ResourceTemplates,
                &ListCall {
                    server_id: Some("srv"),
                    ..ListCall::default()
                },
            )
            .end();
        let mut prompt = request.start_prompt_render(&PromptGet {
            name: "p",
            arguments_count: 2,
            user: None,
            server_id: Some("srv"),
            tenant_id: Some("t"),
        });
        prompt.set_result(
            &PromptOutcome {
                canonical_name: Some("p"),
                version: Some(-1),
                messages_count: 0,
            },
            "{}".to_owned(),
        );
        prompt.record_error("E", "");
        prompt.end();
        let mut read = request.start_resource_read(&ResourceRead {
            uri: "docs://a",
            request_id: Some("r"),
            server_id: None,
            user: Some("u"),
        });
        read.start_template_list(&ListCall::default()).end();
        read.set_content_json("c".repeat(40));
        read.mark_success();
        read.end();
        request
            .start_initialize(&Initialize {
                protocol_version: Some("2025-06-18"),
                session_id: Some("s"),
                server_id: None,
            })
            .end();
        let tool = ToolFacts::new("t2", "REST", None);
        let invoke = request.start_tool_invoke(
            &tool,
            &ToolCall {
                tool_name: "rest",
                server_id: Some("srv"),
                jsonrpc_id: Some(JsonRpcId::String("id-1")),
                arguments_count: 0,
                has_headers: false,
            },
        );
        invoke.start_post_process().end();
        invoke.end();
        request.record_error("HTTPException", "bad");
        request.set_status_code(404);
        request.end();
        e.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len(), 2);
        let got: Vec<String> = spans.iter().map(masked_bundle_text).collect();
        // Written by the text encoder the request thread ran before the binary record.
        let want = [
            concat!(
                "f c cf.correlation_id s2:c1\n",
                "f c cf.correlation_id.from_header b1\n",
                "f c cf.session.id s3:s-1\n",
                "f c cf.baggage s8:k=v,ü=1\n",
                "f 0 http.request.method s4:POST\n",
                "f 0 url.path s4:/mcp\n",
                "f c cf.auth.method s3:jwt\n",
                "f c cf.user.email s5:a@b.c\n",
                "f c cf.user.is_admin b1\n",
                "f c cf.team.ids a2 3:t a 2:ü\n",
                "f g1 gen_ai.tool.name s9:up-whoami\n",
                "f g1 cf.tool.id s2:t1\n",
                "f g2 cf.tool.integration_type s3:MCP\n",
                "f 1 mcp.method.name s10:tools/call\n",
                "f 1 gen_ai.operation.name s12:execute_tool\n",
                "f 1 jsonrpc.request.id s2:-7\n",
                "f 1 cf.tool.gateway_id s2:g1\n",
                "f 1 cf.arguments.count i1\n",
                "f 1 cf.request.has_headers b0\n",
                "f g3 cf.upstream.tool_name s6:whoami\n",
                "f g3 cf.tool.id s2:t1\n",
                "f g3 cf.tool.gateway_id s2:g1\n",
                "f 4 cf.upstream.transport s14:streamablehttp\n",
                "f 4 server.address s2:up\n",
                "f 4 server.port i9000\n",
                "f 4 url.path s4:/mcp\n",
                "f 4 url.full s18:http://Up:9000/mcp\n",
                "f 5 cf.upstream.transport s14:streamablehttp\n",
                "f 6 exception.type s8:McpError\n",
                "f 6 exception.message s11:boom\n",
                "line 2\n",
                "f 3 exception.type s19:ToolInvocationError\n",
                "f 3 exception.message s28:Tool invocation failed: boom\n",
                "f 1 cf.result.original_size i20\n",
                "f 1 cf.result.is_error b1\n",
                "f 0 http.response.status_code i500\n",
                "o 1 tool.invoke 0 S E g1 g2\n",
                "o 2 tool.lookup 1 S E g1 g2\n",
                "o 3 tool.gateway_call 1 S E g1 g2\n",
                "o 4 mcp.client.call 3 S E g3\n",
                "o 5 mcp.client.initialize 4 S E\n",
                "o 6 mcp.client.request 4 S E g3\n",
            ),
            concat!(
                "f c cf.correlation_id s4:corr\n",
                "f c cf.correlation_id.from_header b0\n",
                "f 0 http.request.method s3:GET\n",
                "f 0 url.path s6:/tools\n",
                "f 0 url.query s3:a=1\n",
                "f 0 network.protocol.version s1:2\n",
                "f 0 server.address s2:gw\n",
                "f 0 server.port i4444\n",
                "f 0 client.address s8:10.0.0.1\n",
                "f 0 client.port i65535\n",
                "f 0 user_agent.original s9:curl/8 ü\n",
                "f c cf.user.is_admin b0\n",
                "f c cf.team.name s4:team\n",
                "f 1 mcp.method.name s10:tools/list\n",
                "f 1 cf.list.variant s7:catalog\n",
                "f 1 cf.list.include_inactive b0\n",
                "f 1 cf.list.tags_count i-3\n",
                "f 1 cf.list.limit i50\n",
                "f 1 cf.list.user_email s3:u@x\n",
                "f 1 cf.list.team_ids a2 1:a 0:\n",
                "f 2 mcp.method.name s24:resources/templates/list\n",
                "f 2 cf.list.include_inactive b0\n",
                "f 2 cf.server.id s3:srv\n",
                "f 2 cf.list.tags_count i0\n",
                "f 3 mcp.method.name s11:prompts/get\n",
                "f 3 gen_ai.prompt.name s1:p\n",
                "f 3 cf.arguments.count i2\n",
                "f 3 cf.server.id s3:srv\n",
                "f 3 cf.tenant.id s1:t\n",
                "f 3 cf.prompt.canonical_name s1:p\n",
                "f 3 cf.prompt.version i-1\n",
                "f 3 cf.prompt.messages_count i0\n",
                "f 3 exception.type s1:E\n",
                "f 3 exception.message s0:\n",
                "f 4 mcp.method.name s14:resources/read\n",
                "f 4 mcp.resource.uri s8:docs://a\n",
                "f 4 cf.resource.request_id s1:r\n",
                "f 4 cf.caller.user s1:u\n",
                "f 5 mcp.method.name s24:resources/templates/list\n",
                "f 5 cf.list.include_inactive b0\n",
                "f 5 cf.list.tags_count i0\n",
                "f 4 cf.result.original_size i40\n",
                "f 4 cf.result.success_marked b1\n",
                "f 6 mcp.method.name s10:initialize\n",
                "f 6 mcp.protocol.version s10:2025-06-18\n",
                "f 6 mcp.session.id s1:s\n",
                "f g1 gen_ai.tool.name s4:rest\n",
                "f g1 cf.tool.id s2:t2\n",
                "f g2 cf.tool.integration_type s4:REST\n",
                "f 7 mcp.method.name s10:tools/call\n",
                "f 7 gen_ai.operation.name s12:execute_tool\n",
                "f 7 jsonrpc.request.id s4:id-1\n",
                "f 7 cf.server.id s3:srv\n",
                "f 7 cf.arguments.count i0\n",
                "f 7 cf.request.has_headers b0\n",
                "f 0 exception.type s13:HTTPException\n",
                "f 0 exception.message s3:bad\n",
                "f 0 http.response.status_code i404\n",
                "o 1 tool.list 0 S E\n",
                "o 2 resource_template.list 0 S E\n",
                "o 3 prompt.render 0 S E\n",
                "o 4 resource.read 0 S E\n",
                "o 5 resource_template.list 4 S E\n",
                "o 6 mcp.initialize 0 S E\n",
                "o 7 tool.invoke 0 S E g1 g2\n",
                "o 8 tool.post_process 7 S E g1\n",
            ),
        ];
        assert_eq!(got, want);
    }

    #[test]
    fn no_parent_starts_a_trace_and_unsampled_parent_records_nothing() {
        let (e, exporter) = emitter();
        mcp_tree(&e, &[("traceparent", "garbage")]);
        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].parent_span_id, SpanId::INVALID);
        assert!(!spans[0].parent_span_is_remote);
        let text = attr(&spans[0], BUNDLE_KEY).as_str().into_owned();
        assert!(
            text.contains("f c cf.correlation_id.from_header b0\n"),
            "{text}"
        );
        exporter.reset();
        let unsampled = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        mcp_tree(&e, &[("traceparent", unsampled)]);
        assert!(exporter.get_finished_spans().unwrap().is_empty());
    }

    #[test]
    fn v1_spans_share_the_bundle_exporter() {
        let (e, exporter) = emitter();
        e.v1()
            .start_request(
                &opentelemetry::Context::new(),
                crate::RequestContext::default(),
                &HttpRequest {
                    method: "GET",
                    path: "/health",
                    ..HttpRequest::default()
                },
            )
            .end();
        e.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].name, "GET /health");
    }

    #[test]
    fn family_requests_are_one_bundle_with_their_ops_and_payloads() {
        let exporter = InMemorySpanExporter::default();
        let config = EmitterConfig {
            max_raw_payload_bytes: 16,
            family_capture: FamilyCapture {
                prompt_render_input: false,
                prompt_render_output: true,
                ..FamilyCapture::default()
            },
            ..EmitterConfig::default()
        };
        let e = BundleEmitter::with_exporter(config, exporter.clone());
        let http = HttpRequest {
            method: "POST",
            path: "/mcp",
            ..HttpRequest::default()
        };
        let teams = ["t1".to_owned()];
        // resources/read with its nested template list, content over the cap.
        let request = e.start_request(&HeaderPairs(&[]), &http);
        let mut read = request.start_resource_read(&ResourceRead {
            uri: "docs://a b",
            user: Some("u@x"),
            ..ResourceRead::default()
        });
        read.start_template_list(&ListCall {
            team_ids: Some(&teams),
            ..ListCall::default()
        })
        .end();
        read.set_content_json("c".repeat(20));
        read.mark_success();
        read.record_error("ResourceError", "no match");
        read.end();
        request.end();
        // prompts/get: arguments not captured (input off), result captured.
        let request = e.start_request(&HeaderPairs(&[]), &http);
        let mut prompt = request.start_prompt_render(&PromptGet {
            name: "greeting",
            arguments_count: 1,
            ..PromptGet::default()
        });
        prompt.set_arguments_json("{\"a\":1}");
        prompt.set_result(
            &PromptOutcome {
                canonical_name: Some("greeting"),
                version: Some(2),
                messages_count: 1,
            },
            "{\"messages\":[]}",
        );
        prompt.end();
        request.end();
        // tools/list and initialize.
        let request = e.start_request(&HeaderPairs(&[]), &http);
        request
            .start_list(
                ListFamily::Tools,
                &ListCall {
                    variant: ListVariant::Server,
                    server_id: Some("s1"),
                    ..ListCall::default()
                },
            )
            .end();
        request.end();
        let request = e.start_request(&HeaderPairs(&[]), &http);
        request
            .start_initialize(&Initialize {
                protocol_version: Some("2025-06-18"),
                ..Initialize::default()
            })
            .end();
        request.end();
        e.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len(), 4);
        let text = |s: &SpanData| attr(s, BUNDLE_KEY).as_str().into_owned();
        let (read, prompt, list, init) = (&spans[0], &spans[1], &spans[2], &spans[3]);
        let t = text(read);
        for want in [
            "f 1 mcp.method.name s14:resources/read\n",
            "f 1 mcp.resource.uri s10:docs://a b\n",
            "f 2 mcp.method.name s24:resources/templates/list\n",
            "f 1 cf.result.original_size i20\n",
            "f 1 cf.result.success_marked b1\n",
            "f 1 exception.type s13:ResourceError\n",
            "o 1 resource.read 0 ",
            "o 2 resource_template.list 1 ",
        ] {
            assert!(t.contains(want), "{want:?} in {t}");
        }
        assert_eq!(
            attr(read, keys::RESOURCE_CONTENT),
            &Value::from("c".repeat(16))
        );
        let t = text(prompt);
        assert!(t.contains("f 1 gen_ai.prompt.name s8:greeting\n"), "{t}");
        assert!(t.contains("f 1 cf.prompt.version i2\n"), "{t}");
        assert!(t.contains("o 1 prompt.render 0 "), "{t}");
        assert!(prompt
            .attributes
            .iter()
            .all(|kv| kv.key.as_str() != keys::PROMPT_ARGUMENTS));
        assert_eq!(
            attr(prompt, keys::PROMPT_RESULT),
            &Value::from("{\"messages\":[]}")
        );
        let t = text(list);
        assert!(t.contains("f 1 cf.list.variant s6:server\n"), "{t}");
        assert!(t.contains("o 1 tool.list 0 "), "{t}");
        let t = text(init);
        assert!(
            t.contains("f 1 mcp.protocol.version s10:2025-06-18\n"),
            "{t}"
        );
        assert!(t.contains("o 1 mcp.initialize 0 "), "{t}");
        e.shutdown().unwrap();
        assert_eq!(e.dropped(), 0);
    }

    #[test]
    fn bundle_queue_flushes_shuts_down_once_and_drops_when_full() {
        let exporter = InMemorySpanExporter::default();
        let queue = QueueConfig {
            max_queue_size: 2,
            max_export_batch_size: 2,
            scheduled_delay: Duration::from_secs(3600),
            ..QueueConfig::default()
        };
        let e = BundleEmitter::with_queue(EmitterConfig::default(), exporter.clone(), queue);
        let http = HttpRequest::default();
        for _ in 0..5 {
            e.start_request(&HeaderPairs(&[]), &http).end();
        }
        // The batch size wakes the exporter thread; what it has not drained yet is dropped,
        // never blocking: every bundle is either exported or counted.
        e.force_flush().unwrap();
        let exported = exporter.get_finished_spans().unwrap().len();
        assert_eq!(exported as u64 + e.dropped(), 5);
        assert!(exported >= 2, "{exported}");
        // v1 spans go through the same queue and exporter.
        e.v1()
            .start_request(
                &opentelemetry::Context::new(),
                crate::RequestContext::default(),
                &http,
            )
            .end();
        e.start_request(&HeaderPairs(&[]), &http).end();
        e.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len() as u64 + e.dropped(), 7);
        assert!(spans.iter().any(|s| s.name == " "), "the v1 request span");
        e.shutdown().unwrap();
        assert!(e.force_flush().is_err(), "flush after shutdown");
        assert!(e.shutdown().is_err(), "second shutdown");
        // After shutdown a bundle is dropped and counted, never blocks.
        let dropped = e.dropped();
        e.start_request(&HeaderPairs(&[]), &http).end();
        assert_eq!(e.dropped(), dropped + 1);
    }

    #[test]
    fn bundle_queue_accounts_for_every_bundle_of_concurrent_requests() {
        let exporter = InMemorySpanExporter::default();
        let queue = QueueConfig {
            max_queue_size: 64,
            max_export_batch_size: 16,
            scheduled_delay: Duration::from_millis(1),
            ..QueueConfig::default()
        };
        let e = BundleEmitter::with_queue(EmitterConfig::default(), exporter.clone(), queue);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for n in 0..1000 {
                        e.start_request(&HeaderPairs(&[]), &HttpRequest::default())
                            .end();
                        if n % 250 == 0 {
                            e.force_flush().unwrap();
                        }
                    }
                });
            }
        });
        e.force_flush().unwrap();
        let spans = exporter.get_finished_spans().unwrap();
        assert_eq!(spans.len() as u64 + e.dropped(), 4000);
        assert!(spans.iter().all(|s| s.name == BUNDLE_OP));
    }

    /// The parser before it decoded bytes in place (`from_str_radix`, `from_hex`): the
    /// reference the in-place parser must agree with.
    fn reference_traceparent(v: &str) -> Option<(TraceId, SpanId, TraceFlags)> {
        let v = v.trim();
        let b = v.as_bytes();
        if b.len() < 55 || b[2] != b'-' || b[35] != b'-' || b[52] != b'-' {
            return None;
        }
        let version = u8::from_str_radix(&v[0..2], 16).ok()?;
        if version == 0xff
            || (version == 0 && b.len() != 55)
            || (version > 0 && b.len() > 55 && b[55] != b'-')
        {
            return None;
        }
        let lower_hex = |s: &str| {
            s.bytes()
                .all(|c| c.is_ascii_digit() || (b'a'..=b'f').contains(&c))
        };
        if !lower_hex(&v[0..2])
            || !lower_hex(&v[3..35])
            || !lower_hex(&v[36..52])
            || !lower_hex(&v[53..55])
        {
            return None;
        }
        let trace_id = TraceId::from_hex(&v[3..35]).ok()?;
        let span_id = SpanId::from_hex(&v[36..52]).ok()?;
        let flags = u8::from_str_radix(&v[53..55], 16).ok()?;
        if trace_id == TraceId::INVALID || span_id == SpanId::INVALID {
            return None;
        }
        Some((
            trace_id,
            span_id,
            TraceFlags::new(flags) & TraceFlags::SAMPLED,
        ))
    }

    #[test]
    fn traceparent_parser_agrees_with_the_reference_on_every_single_byte_change() {
        let bases = [
            TRACEPARENT.to_owned(),
            format!("  {TRACEPARENT}\t"),
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-future".to_owned(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff".to_owned(),
        ];
        let replacements = [
            b'0', b'9', b'a', b'f', b'g', b'A', b'F', b'-', b'+', b' ', b'\n', 0xc3,
        ];
        let mut checked = 0;
        for base in &bases {
            for at in 0..base.len() {
                for &r in &replacements {
                    let mut bytes = base.as_bytes().to_vec();
                    bytes[at] = r;
                    // A lone 0xc3 is not UTF-8; make it a two-byte character instead.
                    if r == 0xc3 {
                        bytes.insert(at + 1, 0xa9);
                    }
                    let Ok(text) = String::from_utf8(bytes) else {
                        continue;
                    };
                    let got = parse_traceparent(&text).map(|p| (p.trace_id, p.span_id, p.flags));
                    assert_eq!(got, reference_traceparent(&text), "{text:?}");
                    checked += 1;
                }
            }
            for cut in 0..base.len() {
                let text = &base[..cut];
                let got = parse_traceparent(text).map(|p| (p.trace_id, p.span_id, p.flags));
                assert_eq!(got, reference_traceparent(text), "{text:?}");
            }
        }
        assert!(checked > 2000);
    }

    #[test]
    fn hex_word_agrees_with_hex_byte_on_every_byte_at_every_position() {
        let base = *b"0af76519";
        let mut checked = 0;
        for at in 0..8 {
            for v in 0..=255u8 {
                for base in [base, *b"9f0a6b1c"] {
                    let mut digits = base;
                    digits[at] = v;
                    let pairs: Option<Vec<u8>> = digits
                        .chunks_exact(2)
                        .map(|p| hex_byte(p[0], p[1]))
                        .collect();
                    let (word, valid) = hex_word(&digits);
                    assert_eq!(valid, pairs.is_some(), "{digits:?}");
                    if let Some(bytes) = pairs {
                        assert_eq!(word.to_le_bytes().to_vec(), bytes, "{digits:?}");
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 8 * 256 * 2);
        // Two bad bytes in one word (a carry or borrow that could hide one) are still refused.
        assert!(!hex_word(b"0\xff0\x800000").1);
        assert!(!hex_word(b"/:`g0000").1);
        assert_eq!(hex_word(b"ffffffff"), (u32::MAX, true));
        assert_eq!(hex_word(b"00000000"), (0, true));
    }

    #[test]
    fn hex_ids_agree_with_hex_byte_on_every_byte_at_every_position() {
        let bases: [&[u8; 48]; 2] = [
            b"0af7651916cd43dd8448eb211c80319cb7ad6b7169203331",
            b"f9e8d7c6b5a4938271605f4e3d2c1b0a0123456789abcdef",
        ];
        let reference = |digits: &[u8]| -> Option<Vec<u8>> {
            digits
                .chunks_exact(2)
                .map(|p| hex_byte(p[0], p[1]))
                .collect()
        };
        let mut checked = 0;
        for base in bases {
            for at in 0..48 {
                for v in 0..=255u8 {
                    let mut digits = *base;
                    digits[at] = v;
                    let (trace, span) = digits.split_at(32);
                    let (trace, span): (&[u8; 32], &[u8; 16]) =
                        (trace.try_into().unwrap(), span.try_into().unwrap());
                    let want = reference(&digits);
                    let got = hex_ids(trace, span);
                    assert_eq!(
                        got.map(|(t, s)| [t.to_vec(), s.to_vec()].concat()),
                        want,
                        "{digits:?}"
                    );
                    // The portable path (used off x86-64) agrees too.
                    let portable = hex_bytes::<16>(trace).zip(hex_bytes::<8>(span));
                    assert_eq!(portable, got, "{digits:?}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 2 * 48 * 256);
    }

    #[test]
    fn traceparent_parsing_follows_w3c() {
        assert!(parse_traceparent(TRACEPARENT).is_some());
        for bad in [
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
        ] {
            assert!(parse_traceparent(bad).is_none(), "{bad}");
        }
        assert!(parse_traceparent(
            "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-future"
        )
        .is_some());
    }
}
