//! Reference emitter of ContextForge **raw span contract v1** (see `docs/raw-span-contract.md`
//! and `docs/design.md`), and the library behind `raw-span-replay`.
//!
//! The runtime records facts only: it never redacts, truncates (beyond a hard safety cap),
//! gates or formats. The `mcpparity` collector processor turns these raw spans into the spans
//! the Python runtime would emit.
//!
//! ```no_run
//! use mcpparity_emitter::*;
//! # fn main() -> Result<(), EmitterError> {
//! let emitter = RawSpanEmitter::new(EmitterConfig {
//!     endpoint: "http://127.0.0.1:4318/v1/traces".into(),
//!     protocol: Protocol::Http,
//!     ..EmitterConfig::default()
//! })?;
//! let headers = HeaderPairs(&[("x-correlation-id", "abc"), ("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")]);
//! let parent = emitter.extract_context(&headers);
//! let ctx = RequestContext::from_headers(&headers).with_auth_method("jwt");
//! let mut request = emitter.start_request(&parent, ctx, &HttpRequest { method: "POST", path: "/rpc", ..HttpRequest::default() });
//! let tool = ToolFacts::new("c027", "REST", None); // once per tool, where the runtime caches it
//! let mut invoke = request.start_tool_invoke(&tool, &ToolCall {
//!     tool_name: "echo-tool", arguments_count: 1, has_headers: true, ..ToolCall::default() });
//! invoke.set_arguments_json(r#"{"query":"hello"}"#);
//! invoke.start_lookup().end();
//! let gateway_call = invoke.start_gateway_call();
//! gateway_call.end();
//! invoke.start_post_process().end();
//! invoke.set_result_json(r#"{"content":[],"isError":false}"#, false);
//! invoke.end();
//! request.set_status_code(200);
//! request.end();
//! emitter.shutdown()?;
//! # Ok(()) }
//! ```

pub mod bundle;
mod config;
mod context;
mod emitter;
pub mod facts;
mod families;
pub mod keys;
mod queue;
mod record;
mod transport;

pub use bundle::{
    child_span_id, BundleEmitter, GatewayCallOp, McpCallOp, Op, PromptRenderOp, QueueConfig,
    RequestBundle, ResourceReadOp, ToolInvokeOp,
};
pub use config::{
    EmitterConfig, EmitterError, FamilyCapture, GatewaySettings, Protocol, TlsFiles,
    DEFAULT_MAX_RAW_PAYLOAD_BYTES,
};
pub use context::{generate_correlation_id, HeaderPairs, RequestContext};
pub use emitter::{
    GatewayCallSpan, HttpRequest, JsonRpcId, McpCallSpan, RawSpan, RawSpanEmitter, RequestSpan,
    ToolCall, ToolFacts, ToolInvokeSpan, UpstreamFacts, UpstreamTarget, SCOPE_NAME,
};
pub use families::{
    Initialize, InitializeSpan, ListCall, ListFamily, ListVariant, PromptGet, PromptOutcome,
    PromptRenderSpan, ResourceRead, ResourceReadSpan,
};
pub use opentelemetry::propagation::Extractor;
pub use transport::bearer_header;
