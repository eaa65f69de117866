//! Typed spans of the method families the runtime serves itself besides `tools/call`
//! (contract v1.1, docs/raw-span-contract.md "Families"): the list methods, `resources/read`
//! (local content), `prompts/get` and `initialize`. Same cost model as `tools/call`: the request
//! context is shared, each span copies only its own facts.

use std::borrow::Cow;
use std::sync::Arc;

use opentelemetry::trace::{Span as _, SpanKind};
use opentelemetry::{KeyValue, StringValue};

use crate::emitter::{push_opt_str, RawSpan, RequestSpan};
use crate::keys;

/// Which list method; gives the `cf.op` and the raw span name (the MCP method).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListFamily {
    Tools,
    Resources,
    Prompts,
    ResourceTemplates,
}

impl ListFamily {
    pub(crate) fn op(self) -> &'static str {
        match self {
            ListFamily::Tools => "tool.list",
            ListFamily::Resources => "resource.list",
            ListFamily::Prompts => "prompt.list",
            ListFamily::ResourceTemplates => "resource_template.list",
        }
    }

    pub(crate) fn method(self) -> &'static str {
        match self {
            ListFamily::Tools => "tools/list",
            ListFamily::Resources => "resources/list",
            ListFamily::Prompts => "prompts/list",
            ListFamily::ResourceTemplates => "resources/templates/list",
        }
    }
}

/// Which Python service entry point the list corresponds to (its attribute set).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListVariant {
    /// `list_tools` & co. (`/rpc`, `/mcp`): `include_inactive`, `tags.count`, `limit`.
    Catalog,
    /// `list_server_tools` & co. (`/servers/<id>/mcp`, what the runtime serves DB-direct):
    /// `server_id`, `include_inactive`, `include_metrics`.
    Server,
}

impl ListVariant {
    pub(crate) fn word(self) -> &'static str {
        match self {
            ListVariant::Catalog => "catalog",
            ListVariant::Server => "server",
        }
    }
}

/// Facts of one list call. `user_email` / `team_ids` are what the service was passed
/// explicitly: `None` is Python's None (the processor then exports no such key at all).
/// `resources/templates/list` has no variant and no identity: only `include_inactive`,
/// `server_id`, `tags_count` are sent for it.
#[derive(Clone, Copy, Debug)]
pub struct ListCall<'a> {
    pub variant: ListVariant,
    pub server_id: Option<&'a str>,
    pub include_inactive: bool,
    pub tags_count: i64,
    pub limit: i64,
    pub include_metrics: bool,
    pub user_email: Option<&'a str>,
    pub team_ids: Option<&'a [String]>,
}

impl Default for ListCall<'_> {
    fn default() -> Self {
        ListCall {
            variant: ListVariant::Catalog,
            server_id: None,
            include_inactive: false,
            tags_count: 0,
            limit: 0,
            include_metrics: false,
            user_email: None,
            team_ids: None,
        }
    }
}

/// Facts of one `resources/read` of a local resource.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResourceRead<'a> {
    /// `params.uri`, raw.
    pub uri: &'a str,
    /// `params.requestId`, when the client sent one.
    pub request_id: Option<&'a str>,
    pub server_id: Option<&'a str>,
    /// The caller's email as the service sees it (`None`: anonymous).
    pub user: Option<&'a str>,
}

/// Facts of one `prompts/get`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PromptGet<'a> {
    /// The name as requested.
    pub name: &'a str,
    pub arguments_count: usize,
    pub user: Option<&'a str>,
    pub server_id: Option<&'a str>,
    pub tenant_id: Option<&'a str>,
}

/// Facts of one `initialize`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Initialize<'a> {
    /// `params.protocolVersion`, raw.
    pub protocol_version: Option<&'a str>,
    /// Python's choice: params `sessionId`/`session_id`, else the `Mcp-Session-Id` header
    /// unless it is `not-provided`.
    pub session_id: Option<&'a str>,
    /// `/servers/<id>/mcp`.
    pub server_id: Option<&'a str>,
}

fn list_facts(family: ListFamily, call: &ListCall<'_>, attrs: &mut Vec<KeyValue>) {
    attrs.push(KeyValue::new(keys::MCP_METHOD_NAME, family.method()));
    if family == ListFamily::ResourceTemplates {
        attrs.push(KeyValue::new(
            keys::LIST_INCLUDE_INACTIVE,
            call.include_inactive,
        ));
        push_opt_str(attrs, keys::SERVER_ID, call.server_id);
        attrs.push(KeyValue::new(keys::LIST_TAGS_COUNT, call.tags_count));
        return;
    }
    attrs.push(KeyValue::new(keys::LIST_VARIANT, call.variant.word()));
    match call.variant {
        ListVariant::Catalog => {
            attrs.push(KeyValue::new(
                keys::LIST_INCLUDE_INACTIVE,
                call.include_inactive,
            ));
            attrs.push(KeyValue::new(keys::LIST_TAGS_COUNT, call.tags_count));
            attrs.push(KeyValue::new(keys::LIST_LIMIT, call.limit));
        }
        ListVariant::Server => {
            push_opt_str(attrs, keys::SERVER_ID, call.server_id);
            attrs.push(KeyValue::new(
                keys::LIST_INCLUDE_INACTIVE,
                call.include_inactive,
            ));
            attrs.push(KeyValue::new(
                keys::LIST_INCLUDE_METRICS,
                call.include_metrics,
            ));
        }
    }
    push_opt_str(attrs, keys::LIST_USER_EMAIL, call.user_email);
    if let Some(teams) = call.team_ids {
        let list: Vec<StringValue> = teams.iter().map(|t| t.clone().into()).collect();
        attrs.push(KeyValue::new(
            keys::LIST_TEAM_IDS,
            opentelemetry::Value::Array(list.into()),
        ));
    }
}

fn start_list(parent: &RawSpan, family: ListFamily, call: &ListCall<'_>) -> RawSpan {
    let shared = &parent.shared;
    let mut attrs = shared.attrs_with(9, family.op());
    list_facts(family, call, &mut attrs);
    let span = shared.start(
        Cow::Borrowed(family.method()),
        SpanKind::Internal,
        attrs,
        parent.context(),
    );
    RawSpan::new(span, Arc::clone(shared))
}

impl RequestSpan {
    /// Opens `tools/list`, `resources/list`, `prompts/list` or `resources/templates/list`
    /// (`cf.op` `tool.list`, …). No payloads: Python captures none for lists.
    pub fn start_list(&self, family: ListFamily, call: &ListCall<'_>) -> RawSpan {
        start_list(&self.0, family, call)
    }

    /// Opens `resources/read {uri}` (`cf.op=resource.read`) for a resource the runtime serves
    /// from its database.
    pub fn start_resource_read(&self, read: &ResourceRead<'_>) -> ResourceReadSpan {
        let shared = &self.0.shared;
        let mut attrs = shared.attrs_with(6, "resource.read");
        attrs.push(KeyValue::new(keys::MCP_METHOD_NAME, "resources/read"));
        attrs.push(KeyValue::new(keys::MCP_RESOURCE_URI, read.uri.to_owned()));
        push_opt_str(&mut attrs, keys::RESOURCE_REQUEST_ID, read.request_id);
        push_opt_str(&mut attrs, keys::SERVER_ID, read.server_id);
        push_opt_str(&mut attrs, keys::CALLER_USER, read.user);
        let name = format!("resources/read {}", read.uri);
        let span = shared.start(
            Cow::Owned(name),
            SpanKind::Internal,
            attrs,
            self.0.context(),
        );
        ResourceReadSpan {
            span: RawSpan::new(span, Arc::clone(shared)),
        }
    }

    /// Opens `prompts/get {name}` (`cf.op=prompt.render`).
    pub fn start_prompt_render(&self, get: &PromptGet<'_>) -> PromptRenderSpan {
        let shared = &self.0.shared;
        let mut attrs = shared.attrs_with(7, "prompt.render");
        attrs.push(KeyValue::new(keys::MCP_METHOD_NAME, "prompts/get"));
        attrs.push(KeyValue::new(keys::GEN_AI_PROMPT_NAME, get.name.to_owned()));
        attrs.push(KeyValue::new(
            keys::ARGUMENTS_COUNT,
            get.arguments_count as i64,
        ));
        push_opt_str(&mut attrs, keys::CALLER_USER, get.user);
        push_opt_str(&mut attrs, keys::SERVER_ID, get.server_id);
        push_opt_str(&mut attrs, keys::TENANT_ID, get.tenant_id);
        let name = format!("prompts/get {}", get.name);
        let span = shared.start(
            Cow::Owned(name),
            SpanKind::Internal,
            attrs,
            self.0.context(),
        );
        PromptRenderSpan {
            span: RawSpan::new(span, Arc::clone(shared)),
        }
    }

    /// Opens `initialize` (`cf.op=mcp.initialize`). No payloads.
    pub fn start_initialize(&self, init: &Initialize<'_>) -> InitializeSpan {
        let shared = &self.0.shared;
        let mut attrs = shared.attrs_with(4, "mcp.initialize");
        attrs.push(KeyValue::new(keys::MCP_METHOD_NAME, "initialize"));
        push_opt_str(
            &mut attrs,
            keys::MCP_PROTOCOL_VERSION,
            init.protocol_version,
        );
        push_opt_str(&mut attrs, keys::MCP_SESSION_ID, init.session_id);
        push_opt_str(&mut attrs, keys::SERVER_ID, init.server_id);
        let span = shared.start(
            Cow::Borrowed("initialize"),
            SpanKind::Internal,
            attrs,
            self.0.context(),
        );
        InitializeSpan {
            span: RawSpan::new(span, Arc::clone(shared)),
        }
    }
}

/// The `resource.read` span.
#[derive(Debug)]
pub struct ResourceReadSpan {
    span: RawSpan,
}

impl ResourceReadSpan {
    /// The nested `resources/templates/list` the service runs when the URI has no exact match.
    pub fn start_template_list(&self, call: &ListCall<'_>) -> RawSpan {
        start_list(&self.span, ListFamily::ResourceTemplates, call)
    }

    /// The resolved content as the gateway's `ResourceContent` JSON (`type`, `id`, `uri`,
    /// `mimeType`, `text`, `blob`, `_meta`). Always sent: the processor derives `content.size`
    /// from it; it becomes the output only when `resource.read` is in the output capture list.
    pub fn set_content_json(&mut self, json: impl Into<StringValue>) {
        self.span
            .set_payload(keys::RESOURCE_CONTENT, keys::RESULT_ORIGINAL_SIZE, json);
    }

    /// Python set `success`/`duration.ms`/`content.size` before the failure that follows
    /// (a template that matched but did not resolve).
    pub fn mark_success(&mut self) {
        self.span
            .span
            .set_attribute(KeyValue::new(keys::SUCCESS_MARKED, true));
    }
}

/// The `prompt.render` span.
#[derive(Debug)]
pub struct PromptRenderSpan {
    span: RawSpan,
}

/// What a rendered prompt returned.
#[derive(Clone, Copy, Debug, Default)]
pub struct PromptOutcome<'a> {
    /// The prompt's canonical (stored) name.
    pub canonical_name: Option<&'a str>,
    pub version: Option<i64>,
    pub messages_count: usize,
}

impl PromptRenderSpan {
    /// The raw arguments JSON text; sent only with `prompt.render` input capture on.
    pub fn set_arguments_json(&mut self, json: impl Into<StringValue>) {
        if self.span.shared.payload.families.prompt_render_input {
            self.span
                .set_payload(keys::PROMPT_ARGUMENTS, keys::ARGUMENTS_ORIGINAL_SIZE, json);
        }
    }

    /// The rendered result (`PromptResult` JSON: `messages`, `description`; payload sent only
    /// with output capture on) and its facts (always sent).
    pub fn set_result(&mut self, outcome: &PromptOutcome<'_>, json: impl Into<StringValue>) {
        if self.span.shared.payload.families.prompt_render_output {
            self.span
                .set_payload(keys::PROMPT_RESULT, keys::RESULT_ORIGINAL_SIZE, json);
        }
        let span = &mut self.span.span;
        if let Some(name) = outcome.canonical_name {
            span.set_attribute(KeyValue::new(keys::PROMPT_CANONICAL_NAME, name.to_owned()));
        }
        if let Some(v) = outcome.version {
            span.set_attribute(KeyValue::new(keys::PROMPT_VERSION, v));
        }
        span.set_attribute(KeyValue::new(
            keys::PROMPT_MESSAGES_COUNT,
            outcome.messages_count as i64,
        ));
    }
}

/// The `mcp.initialize` span.
#[derive(Debug)]
pub struct InitializeSpan {
    span: RawSpan,
}

crate::emitter::typed_span_methods!(
    ResourceReadSpan.span,
    PromptRenderSpan.span,
    InitializeSpan.span
);
