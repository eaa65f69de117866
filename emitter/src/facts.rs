//! Recorded-call facts (`docs/facts-format.md`, v1) and their replay as raw spans.

use std::collections::BTreeMap;
use std::sync::Arc;

use opentelemetry::Context;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::context::{generate_correlation_id, HeaderPairs, RequestContext};
use crate::emitter::{
    HttpRequest, JsonRpcId, RawSpan, RawSpanEmitter, RequestSpan, ToolCall, ToolFacts,
    ToolInvokeSpan, UpstreamFacts, UpstreamTarget,
};
use crate::families::{
    Initialize, ListCall, ListFamily, ListVariant, PromptGet, PromptOutcome, ResourceRead,
};
use crate::keys;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    pub facts_version: u32,
    #[serde(default)]
    pub case: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    pub request: Request,
    #[serde(default)]
    pub identity: Option<Identity>,
    #[serde(default)]
    pub tool: Option<Tool>,
    /// The JSON-RPC method (v1.1; absent = `tools/call`).
    #[serde(default)]
    pub method: Option<String>,
    /// `false`: the runtime does not serve this request itself (it falls back to Python, which
    /// traces it), so it emits no span at all.
    #[serde(default)]
    pub served: Option<bool>,
    #[serde(default)]
    pub list: Option<ListFacts>,
    #[serde(default)]
    pub resource: Option<ResourceFacts>,
    #[serde(default)]
    pub prompt: Option<PromptFacts>,
    #[serde(default)]
    pub initialize: Option<InitializeFacts>,
    #[serde(default)]
    pub call: Call,
    #[serde(default)]
    pub outcome: Outcome,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub method: String,
    pub path: String,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default)]
    pub http_version: Option<String>,
    #[serde(default)]
    pub server_address: Option<String>,
    #[serde(default)]
    pub server_port: Option<u16>,
    #[serde(default)]
    pub client_address: Option<String>,
    #[serde(default)]
    pub client_port: Option<u16>,
    #[serde(default)]
    pub user_agent: Option<String>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub status_code: Option<u16>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Identity {
    #[serde(default)]
    pub auth_method: Option<String>,
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub is_admin: Option<bool>,
    #[serde(default)]
    pub team_name: Option<String>,
    #[serde(default)]
    pub team_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tool {
    pub name: String,
    #[serde(default)]
    pub id: String,
    #[serde(default)]
    pub integration_type: String,
    #[serde(default)]
    pub gateway_id: Option<String>,
    #[serde(default)]
    pub server_id: Option<String>,
    #[serde(default)]
    pub upstream: Option<Upstream>,
}

/// Facts of a list call (`tools/list`, `resources/list`, `prompts/list`,
/// `resources/templates/list`, and the template lookup nested in `resources/read`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListFacts {
    /// `catalog` (default) or `server`.
    #[serde(default)]
    pub variant: Option<String>,
    #[serde(default)]
    pub server_id: Option<String>,
    #[serde(default)]
    pub include_inactive: bool,
    #[serde(default)]
    pub tags_count: i64,
    #[serde(default)]
    pub limit: i64,
    #[serde(default)]
    pub include_metrics: bool,
    #[serde(default)]
    pub user_email: Option<String>,
    #[serde(default)]
    pub team_ids: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceFacts {
    pub uri: String,
    #[serde(default)]
    pub request_id: Option<String>,
    #[serde(default)]
    pub server_id: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    /// The `ResourceContent` JSON the service held (absent: none, e.g. not found).
    #[serde(default)]
    pub content: Option<Box<RawValue>>,
    /// Python had set the outcome keys before the failure.
    #[serde(default)]
    pub success_marked: bool,
    /// The nested template lookup (the URI had no exact match).
    #[serde(default)]
    pub template_list: Option<ListFacts>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptFacts {
    pub name: String,
    #[serde(default)]
    pub arguments: Option<Box<RawValue>>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub server_id: Option<String>,
    #[serde(default)]
    pub tenant_id: Option<String>,
    #[serde(default)]
    pub canonical_name: Option<String>,
    #[serde(default)]
    pub version: Option<i64>,
    /// The `PromptResult` JSON (`messages`, `description`).
    #[serde(default)]
    pub result: Option<Box<RawValue>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitializeFacts {
    #[serde(default)]
    pub protocol_version: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub server_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    pub tool_name: String,
    pub transport: String,
    pub url: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Call {
    #[serde(default)]
    pub jsonrpc_id: Option<JsonRpcIdValue>,
    #[serde(default)]
    pub arguments: Option<Box<RawValue>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum JsonRpcIdValue {
    Number(i64),
    String(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    #[serde(default)]
    pub found: Option<bool>,
    #[serde(default)]
    pub result: Option<Box<RawValue>>,
    #[serde(default)]
    pub errors: BTreeMap<String, Failure>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Failure {
    #[serde(rename = "type")]
    pub exception_type: String,
    pub message: String,
}

impl Facts {
    /// Parses and checks a facts file; errors name the file's key.
    pub fn from_json(text: &str) -> Result<Facts, String> {
        let facts: Facts =
            serde_json::from_str(text).map_err(|e| format!("invalid facts JSON: {e}"))?;
        facts.validate()?;
        Ok(facts)
    }

    fn validate(&self) -> Result<(), String> {
        if self.facts_version != 1 {
            return Err(format!(
                "facts_version: must be 1, got {}",
                self.facts_version
            ));
        }
        if self.request.method.is_empty() || !self.request.path.starts_with('/') {
            return Err("request: method must be non-empty and path must start with '/'".into());
        }
        if let Some(bad) = self
            .request
            .headers
            .keys()
            .find(|k| k.chars().any(|c| c.is_ascii_uppercase()))
        {
            return Err(format!(
                "request.headers.{bad}: header names must be lower-case"
            ));
        }
        if let (Some(h), Some(c)) = (
            self.request.headers.get("x-correlation-id"),
            &self.request.correlation_id,
        ) {
            if h != c {
                return Err(format!(
                    "request.correlation_id: {c:?} differs from the x-correlation-id header {h:?}"
                ));
            }
        }
        if let Some(op) = self
            .outcome
            .errors
            .keys()
            .find(|op| !keys::OPS.contains(&op.as_str()))
        {
            return Err(format!(
                "outcome.errors.{op}: not a cf.op (one of {})",
                keys::OPS.join(", ")
            ));
        }
        let method = self.method();
        let needs = |present: bool, key: &str| {
            if present {
                Ok(())
            } else {
                Err(format!("method {method}: needs `{key}`"))
            }
        };
        if self.served() {
            match method {
                "tools/list" | "resources/list" | "prompts/list" | "resources/templates/list" => {
                    needs(self.list.is_some(), "list")?
                }
                "resources/read" => needs(self.resource.is_some(), "resource")?,
                "prompts/get" => needs(self.prompt.is_some(), "prompt")?,
                "initialize" => needs(self.initialize.is_some(), "initialize")?,
                "tools/call" | "ping" => {}
                other => {
                    return Err(format!(
                        "method {other}: the runtime does not serve it (set \"served\": false)"
                    ))
                }
            }
        }
        if let Some(list) = &self.list {
            check_variant(list, "list")?;
        }
        if let Some(list) = self
            .resource
            .as_ref()
            .and_then(|r| r.template_list.as_ref())
        {
            check_variant(list, "resource.template_list")?;
        }
        if method != "tools/call" && self.tool.is_some() {
            return Err(format!("tool: only for tools/call, not {method}"));
        }
        if self.tool_found() {
            let tool = self.tool.as_ref().expect("tool_found implies tool");
            if tool.name.is_empty() || tool.id.is_empty() || tool.integration_type.is_empty() {
                return Err(
                    "tool: a found tool needs non-empty name, id and integration_type".into(),
                );
            }
        } else if self.outcome.found == Some(true) {
            return Err("outcome.found: true needs a tool".into());
        }
        if let Some(result) = &self.outcome.result {
            serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(result.get())
                .map_err(|_| {
                    "outcome.result: must be a JSON object (a CallToolResult)".to_string()
                })?;
        }
        Ok(())
    }

    /// Whether the tool resolved (otherwise only the request span exists).
    /// The JSON-RPC method (`tools/call` when absent).
    pub fn method(&self) -> &str {
        self.method.as_deref().unwrap_or("tools/call")
    }

    /// Whether the runtime serves the request itself (else Python does, and traces it).
    pub fn served(&self) -> bool {
        self.served != Some(false)
    }

    pub fn tool_found(&self) -> bool {
        self.tool.is_some() && self.outcome.found != Some(false)
    }

    /// The correlation id the runtime used: the header, else the recorded id, else a new one.
    pub fn correlation_id(&self) -> (String, bool) {
        match self
            .request
            .headers
            .get("x-correlation-id")
            .filter(|v| !v.is_empty())
        {
            Some(h) => (h.clone(), true),
            None => (
                self.request
                    .correlation_id
                    .clone()
                    .unwrap_or_else(generate_correlation_id),
                false,
            ),
        }
    }

    fn error(&self, op: &str) -> Option<&Failure> {
        self.outcome.errors.get(op)
    }

    /// The upstream result's `isError`, when there is a result object.
    fn result_is_error(&self) -> Option<bool> {
        let result = self.outcome.result.as_ref()?;
        let v: serde_json::Value = serde_json::from_str(result.get()).ok()?;
        Some(
            v.get("isError")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
        )
    }
}

fn check_variant(list: &ListFacts, at: &str) -> Result<(), String> {
    match list.variant.as_deref() {
        None | Some("catalog") | Some("server") => Ok(()),
        Some(other) => Err(format!(
            "{at}.variant: must be catalog or server, got {other:?}"
        )),
    }
}

fn list_call(list: &ListFacts) -> ListCall<'_> {
    ListCall {
        variant: if list.variant.as_deref() == Some("server") {
            ListVariant::Server
        } else {
            ListVariant::Catalog
        },
        server_id: list.server_id.as_deref(),
        include_inactive: list.include_inactive,
        tags_count: list.tags_count,
        limit: list.limit,
        include_metrics: list.include_metrics,
        user_email: list.user_email.as_deref(),
        team_ids: list.team_ids.as_deref(),
    }
}

// What a family records, built once from the facts for both replays (v1 spans, v2 bundle).

/// The op of a list family (its failure point's name in a facts file).
fn list_op(family: ListFamily) -> &'static str {
    match family {
        ListFamily::Tools => "tool.list",
        ListFamily::Resources => "resource.list",
        ListFamily::Prompts => "prompt.list",
        ListFamily::ResourceTemplates => "resource_template.list",
    }
}

/// The number of members of a JSON object (0 for anything else), as the gateway counts arguments.
fn object_len(json: &str) -> usize {
    serde_json::from_str::<serde_json::Value>(json)
        .ok()
        .and_then(|v| v.as_object().map(serde_json::Map::len))
        .unwrap_or(0)
}

/// `resources/read`: its facts, and the content the runtime records (on success, or when the
/// gateway marked success before the failure).
fn resource_read_facts(facts: &Facts) -> (&ResourceFacts, ResourceRead<'_>, Option<&str>) {
    let r = facts.resource.as_ref().expect("validated");
    let read = ResourceRead {
        uri: &r.uri,
        request_id: r.request_id.as_deref(),
        server_id: r.server_id.as_deref(),
        user: r.user.as_deref(),
    };
    let content = r
        .content
        .as_ref()
        .filter(|_| facts.error("resource.read").is_none() || r.success_marked)
        .map(|c| c.get());
    (r, read, content)
}

/// `prompts/get`: its facts, its raw arguments (`{}` when absent), and on success the outcome
/// and the raw result.
fn prompt_get_facts(facts: &Facts) -> (PromptGet<'_>, &str, Option<(PromptOutcome<'_>, &str)>) {
    let p = facts.prompt.as_ref().expect("validated");
    let arguments = p.arguments.as_ref().map_or("{}", |a| a.get());
    let get = PromptGet {
        name: &p.name,
        arguments_count: object_len(arguments),
        user: p.user.as_deref(),
        server_id: p.server_id.as_deref(),
        tenant_id: p.tenant_id.as_deref(),
    };
    let outcome = match (facts.error("prompt.render"), &p.result) {
        (None, Some(result)) => {
            let messages_count = serde_json::from_str::<serde_json::Value>(result.get())
                .ok()
                .and_then(|v| v.get("messages").and_then(|m| m.as_array().map(Vec::len)))
                .unwrap_or(0);
            let outcome = PromptOutcome {
                canonical_name: p.canonical_name.as_deref(),
                version: p.version,
                messages_count,
            };
            Some((outcome, result.get()))
        }
        _ => None,
    };
    (get, arguments, outcome)
}

fn initialize_facts(facts: &Facts) -> Initialize<'_> {
    let i = facts.initialize.as_ref().expect("validated");
    Initialize {
        protocol_version: i.protocol_version.as_deref(),
        session_id: i.session_id.as_deref(),
        server_id: i.server_id.as_deref(),
    }
}

/// `tools/call` of a found tool: the tool, its facts, the call's facts and the raw arguments
/// (`{}` when absent).
fn tool_call_facts(facts: &Facts) -> (&Tool, ToolFacts, ToolCall<'_>, &str) {
    let tool = facts.tool.as_ref().expect("tool_found");
    let arguments = facts.call.arguments.as_ref().map_or("{}", |a| a.get());
    let jsonrpc_id = facts.call.jsonrpc_id.as_ref().map(|id| match id {
        JsonRpcIdValue::Number(n) => JsonRpcId::Number(*n),
        JsonRpcIdValue::String(s) => JsonRpcId::String(s),
    });
    let tool_facts = ToolFacts::new(&tool.id, &tool.integration_type, tool.gateway_id.as_deref());
    let call = ToolCall {
        tool_name: &tool.name,
        server_id: tool.server_id.as_deref(),
        jsonrpc_id,
        arguments_count: object_len(arguments),
        // Every recorded call came over HTTP, so the gateway saw request headers.
        has_headers: true,
    };
    (tool, tool_facts, call, arguments)
}

/// Ends `span`, recording `failure` first; returns whether it failed.
fn finish(mut span: RawSpan, failure: Option<&Failure>) -> bool {
    if let Some(f) = failure {
        span.record_error(&f.exception_type, &f.message);
    }
    span.end();
    failure.is_some()
}

/// Emits the raw spans the runtime emits for `facts`, in Python's order (SEMANTICS.md §3):
/// request → tool.invoke → lookup, gateway_call [→ mcp.client.call → initialize, request,
/// response], post_process. Spans after the failure point are not emitted.
pub fn replay(emitter: &RawSpanEmitter, facts: &Facts) {
    if !facts.served() {
        return; // a fallback: Python traces the request, a span of ours would duplicate its own
    }
    let headers: Vec<(&str, &str)> = facts
        .request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers = HeaderPairs(&headers);
    let parent = if headers.0.is_empty() {
        Context::new()
    } else {
        emitter.extract_context(&headers)
    };
    let (correlation_id, from_header) = facts.correlation_id();
    let mut context = RequestContext::from_headers(&headers);
    context.correlation_id = correlation_id.into();
    context.correlation_id_from_header = from_header;
    if let Some(id) = &facts.identity {
        context.auth_method = id.auth_method.as_deref().map(Arc::from);
        context.user_email = id.user_email.as_deref().map(Arc::from);
        context.is_admin = id.is_admin;
        context.team_name = id.team_name.as_deref().map(Arc::from);
        context.team_ids = id.team_ids.clone();
    }
    let r = &facts.request;
    let http = HttpRequest {
        method: &r.method,
        path: &r.path,
        query: r.query.as_deref(),
        protocol_version: r.http_version.as_deref(),
        server_address: r.server_address.as_deref(),
        server_port: r.server_port,
        client_address: r.client_address.as_deref(),
        client_port: r.client_port,
        user_agent: r.user_agent.as_deref(),
    };
    let mut request = emitter.start_request(&parent, context, &http);
    match facts.method() {
        "tools/call" if facts.tool_found() => replay_tool_invoke(&request, facts),
        "tools/list" => replay_list(&request, ListFamily::Tools, facts),
        "resources/list" => replay_list(&request, ListFamily::Resources, facts),
        "prompts/list" => replay_list(&request, ListFamily::Prompts, facts),
        "resources/templates/list" => replay_list(&request, ListFamily::ResourceTemplates, facts),
        "resources/read" => replay_resource_read(&request, facts),
        "prompts/get" => replay_prompt_get(&request, facts),
        "initialize" => replay_initialize(&request, facts),
        _ => {} // ping, an unknown tool: the request span only
    }
    request.set_status_code(r.status_code.unwrap_or(200));
    if let Some(f) = facts.error("request") {
        request.record_error(&f.exception_type, &f.message);
    }
    request.end();
}

fn replay_list(request: &RequestSpan, family: ListFamily, facts: &Facts) {
    let list = facts.list.as_ref().expect("validated");
    finish(
        request.start_list(family, &list_call(list)),
        facts.error(list_op(family)),
    );
}

fn replay_resource_read(request: &RequestSpan, facts: &Facts) {
    let (r, read, content) = resource_read_facts(facts);
    let mut span = request.start_resource_read(&read);
    if let Some(list) = &r.template_list {
        finish(
            span.start_template_list(&list_call(list)),
            facts.error("resource_template.list"),
        );
    }
    if let Some(content) = content {
        span.set_content_json(content.to_owned());
    }
    if r.success_marked {
        span.mark_success();
    }
    if let Some(f) = facts.error("resource.read") {
        span.record_error(&f.exception_type, &f.message);
    }
    span.end();
}

fn replay_prompt_get(request: &RequestSpan, facts: &Facts) {
    let (get, arguments, outcome) = prompt_get_facts(facts);
    let mut span = request.start_prompt_render(&get);
    span.set_arguments_json(arguments.to_owned());
    if let Some((outcome, result)) = outcome {
        span.set_result(&outcome, result.to_owned());
    }
    if let Some(f) = facts.error("prompt.render") {
        span.record_error(&f.exception_type, &f.message);
    }
    span.end();
}

fn replay_initialize(request: &RequestSpan, facts: &Facts) {
    let mut span = request.start_initialize(&initialize_facts(facts));
    if let Some(f) = facts.error("mcp.initialize") {
        span.record_error(&f.exception_type, &f.message);
    }
    span.end();
}

fn replay_tool_invoke(request: &RequestSpan, facts: &Facts) {
    let (tool, tool_facts, call, arguments) = tool_call_facts(facts);
    let mut invoke = request.start_tool_invoke(&tool_facts, &call);
    invoke.set_arguments_json(arguments.to_owned());
    let invoke_error = facts.error("tool.invoke");
    // Each step runs only while nothing before it failed (spans after the failure point are absent).
    let failed = finish(invoke.start_lookup(), facts.error("tool.lookup"))
        || replay_gateway_call(&invoke, tool, facts);
    if !failed && invoke_error.is_none() {
        finish(
            invoke.start_post_process(),
            facts.error("tool.post_process"),
        );
    }
    if invoke_error.is_none() {
        if let (Some(result), Some(is_error)) = (&facts.outcome.result, facts.result_is_error()) {
            invoke.set_result_json(result.get().to_owned(), is_error);
        }
    }
    if let Some(f) = invoke_error {
        invoke.record_error(&f.exception_type, &f.message);
    }
    invoke.end();
}

/// `tool.gateway_call` and, for an MCP tool, its `mcp.client.*` subtree; returns whether an
/// exception escaped it.
fn replay_gateway_call(invoke: &ToolInvokeSpan, tool: &Tool, facts: &Facts) -> bool {
    let gateway_call = invoke.start_gateway_call();
    let mut failed = false;
    if let Some(upstream) = &tool.upstream {
        let mcp_call = gateway_call.start_mcp_call(&UpstreamFacts::new(&UpstreamTarget {
            tool_name: &upstream.tool_name,
            transport: &upstream.transport,
            url: &upstream.url,
        }));
        let call_error = facts.error("mcp.client.call");
        let child_failed = finish(
            mcp_call.start_initialize(),
            facts.error("mcp.client.initialize"),
        ) || finish(mcp_call.start_request(), facts.error("mcp.client.request"));
        if !child_failed && call_error.is_none() {
            let success = facts.result_is_error() != Some(true);
            failed = finish(
                mcp_call.start_response(success),
                facts.error("mcp.client.response"),
            );
        }
        failed |= child_failed | finish(mcp_call.into_raw(), call_error);
    }
    failed | finish(gateway_call.into_raw(), facts.error("tool.gateway_call"))
}

/// [`replay`] as one contract-v2 request bundle (`raw-span-replay --contract v2`): the same
/// facts, ops and failure points, recorded through [`crate::BundleEmitter`].
pub fn replay_bundle(emitter: &crate::BundleEmitter, facts: &Facts) {
    if !facts.served() {
        return; // a fallback, as in `replay`
    }
    let headers: Vec<(&str, &str)> = facts
        .request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let headers = HeaderPairs(&headers);
    let (correlation_id, from_header) = facts.correlation_id();
    let r = &facts.request;
    let http = HttpRequest {
        method: &r.method,
        path: &r.path,
        query: r.query.as_deref(),
        protocol_version: r.http_version.as_deref(),
        server_address: r.server_address.as_deref(),
        server_port: r.server_port,
        client_address: r.client_address.as_deref(),
        client_port: r.client_port,
        user_agent: r.user_agent.as_deref(),
    };
    let request =
        emitter.start_request_with_correlation_id(&headers, &http, &correlation_id, from_header);
    if let Some(id) = &facts.identity {
        if let Some(m) = &id.auth_method {
            request.set_auth_method(m);
        }
        let team_ids: Option<Vec<&str>> = id
            .team_ids
            .as_ref()
            .map(|ids| ids.iter().map(String::as_str).collect());
        request.set_identity(
            id.user_email.as_deref(),
            id.is_admin,
            id.team_name.as_deref(),
            team_ids.as_deref(),
        );
    }
    match facts.method() {
        "tools/call" if facts.tool_found() => replay_bundle_tool_invoke(&request, facts),
        "tools/list" => replay_bundle_list(&request, ListFamily::Tools, facts),
        "resources/list" => replay_bundle_list(&request, ListFamily::Resources, facts),
        "prompts/list" => replay_bundle_list(&request, ListFamily::Prompts, facts),
        "resources/templates/list" => {
            replay_bundle_list(&request, ListFamily::ResourceTemplates, facts)
        }
        "resources/read" => replay_bundle_resource_read(&request, facts),
        "prompts/get" => replay_bundle_prompt_get(&request, facts),
        "initialize" => replay_bundle_initialize(&request, facts),
        _ => {} // ping, an unknown tool: the request op only
    }
    request.set_status_code(r.status_code.unwrap_or(200));
    if let Some(f) = facts.error("request") {
        request.record_error(&f.exception_type, &f.message);
    }
    request.end();
}

fn finish_op(mut op: crate::Op<'_, '_>, failure: Option<&Failure>) -> bool {
    if let Some(f) = failure {
        op.record_error(&f.exception_type, &f.message);
    }
    op.end();
    failure.is_some()
}

fn replay_bundle_list(request: &crate::RequestBundle<'_>, family: ListFamily, facts: &Facts) {
    let list = facts.list.as_ref().expect("validated");
    finish_op(
        request.start_list(family, &list_call(list)),
        facts.error(list_op(family)),
    );
}

fn replay_bundle_resource_read(request: &crate::RequestBundle<'_>, facts: &Facts) {
    let (r, read, content) = resource_read_facts(facts);
    let mut op = request.start_resource_read(&read);
    if let Some(list) = &r.template_list {
        finish_op(
            op.start_template_list(&list_call(list)),
            facts.error("resource_template.list"),
        );
    }
    if let Some(content) = content {
        op.set_content_json(content.to_owned());
    }
    if r.success_marked {
        op.mark_success();
    }
    if let Some(f) = facts.error("resource.read") {
        op.record_error(&f.exception_type, &f.message);
    }
    op.end();
}

fn replay_bundle_prompt_get(request: &crate::RequestBundle<'_>, facts: &Facts) {
    let (get, arguments, outcome) = prompt_get_facts(facts);
    let mut op = request.start_prompt_render(&get);
    op.set_arguments_json(arguments.to_owned());
    if let Some((outcome, result)) = outcome {
        op.set_result(&outcome, result.to_owned());
    }
    if let Some(f) = facts.error("prompt.render") {
        op.record_error(&f.exception_type, &f.message);
    }
    op.end();
}

fn replay_bundle_initialize(request: &crate::RequestBundle<'_>, facts: &Facts) {
    finish_op(
        request.start_initialize(&initialize_facts(facts)),
        facts.error("mcp.initialize"),
    );
}

fn replay_bundle_tool_invoke(request: &crate::RequestBundle<'_>, facts: &Facts) {
    let (tool, tool_facts, call, arguments) = tool_call_facts(facts);
    let upstream = tool.upstream.as_ref().map(|u| {
        UpstreamFacts::new(&UpstreamTarget {
            tool_name: &u.tool_name,
            transport: &u.transport,
            url: &u.url,
        })
    });
    let mut invoke = request.start_tool_invoke(&tool_facts, &call);
    invoke.set_arguments_json(arguments.to_owned());
    let invoke_error = facts.error("tool.invoke");
    let mut failed = finish_op(invoke.start_lookup(), facts.error("tool.lookup"));
    if !failed {
        let mut gateway_call = invoke.start_gateway_call();
        if let Some(upstream) = &upstream {
            let mut mcp_call = gateway_call.start_mcp_call(upstream);
            let call_error = facts.error("mcp.client.call");
            let child_failed =
                finish_op(
                    mcp_call.start_initialize(),
                    facts.error("mcp.client.initialize"),
                ) || finish_op(mcp_call.start_request(), facts.error("mcp.client.request"));
            if !child_failed && call_error.is_none() {
                let success = facts.result_is_error() != Some(true);
                failed = finish_op(
                    mcp_call.start_response(success),
                    facts.error("mcp.client.response"),
                );
            }
            if let Some(f) = call_error {
                mcp_call.record_error(&f.exception_type, &f.message);
            }
            failed |= child_failed | call_error.is_some();
            mcp_call.end();
        }
        if let Some(f) = facts.error("tool.gateway_call") {
            gateway_call.record_error(&f.exception_type, &f.message);
            failed = true;
        }
        gateway_call.end();
    }
    if !failed && invoke_error.is_none() {
        finish_op(
            invoke.start_post_process(),
            facts.error("tool.post_process"),
        );
    }
    if invoke_error.is_none() {
        if let (Some(result), Some(is_error)) = (&facts.outcome.result, facts.result_is_error()) {
            invoke.set_result_json(result.get().to_owned(), is_error);
        }
    }
    if let Some(f) = invoke_error {
        invoke.record_error(&f.exception_type, &f.message);
    }
    invoke.end();
}
