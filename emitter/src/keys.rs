//! Attribute keys and `cf.op` values of raw span contract v1 (one place, so the contract is data).

// Request context, on every raw span.
pub const OP: &str = "cf.op";
pub const CORRELATION_ID: &str = "cf.correlation_id";
pub const CORRELATION_ID_FROM_HEADER: &str = "cf.correlation_id.from_header";
pub const AUTH_METHOD: &str = "cf.auth.method";
pub const USER_EMAIL: &str = "cf.user.email";
pub const USER_IS_ADMIN: &str = "cf.user.is_admin";
pub const TEAM_NAME: &str = "cf.team.name";
pub const TEAM_IDS: &str = "cf.team.ids";
pub const SESSION_ID: &str = "cf.session.id";
pub const BAGGAGE: &str = "cf.baggage";

// request (SERVER).
pub const HTTP_REQUEST_METHOD: &str = "http.request.method";
pub const URL_PATH: &str = "url.path";
pub const URL_QUERY: &str = "url.query";
pub const URL_FULL: &str = "url.full";
pub const NETWORK_PROTOCOL_VERSION: &str = "network.protocol.version";
pub const SERVER_ADDRESS: &str = "server.address";
pub const SERVER_PORT: &str = "server.port";
pub const CLIENT_ADDRESS: &str = "client.address";
pub const CLIENT_PORT: &str = "client.port";
pub const USER_AGENT_ORIGINAL: &str = "user_agent.original";
pub const HTTP_RESPONSE_STATUS_CODE: &str = "http.response.status_code";

// tool.invoke and its children.
pub const MCP_METHOD_NAME: &str = "mcp.method.name";
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
pub const JSONRPC_REQUEST_ID: &str = "jsonrpc.request.id";
pub const TOOL_ID: &str = "cf.tool.id";
pub const TOOL_INTEGRATION_TYPE: &str = "cf.tool.integration_type";
pub const TOOL_GATEWAY_ID: &str = "cf.tool.gateway_id";
pub const SERVER_ID: &str = "cf.server.id";
pub const ARGUMENTS_COUNT: &str = "cf.arguments.count";
pub const REQUEST_HAS_HEADERS: &str = "cf.request.has_headers";
pub const TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
pub const TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
pub const RESULT_IS_ERROR: &str = "cf.result.is_error";
pub const ARGUMENTS_ORIGINAL_SIZE: &str = "cf.arguments.original_size";
pub const RESULT_ORIGINAL_SIZE: &str = "cf.result.original_size";

// Families (contract v1.1).
pub const LIST_VARIANT: &str = "cf.list.variant";
pub const LIST_INCLUDE_INACTIVE: &str = "cf.list.include_inactive";
pub const LIST_TAGS_COUNT: &str = "cf.list.tags_count";
pub const LIST_LIMIT: &str = "cf.list.limit";
pub const LIST_INCLUDE_METRICS: &str = "cf.list.include_metrics";
pub const LIST_USER_EMAIL: &str = "cf.list.user_email";
pub const LIST_TEAM_IDS: &str = "cf.list.team_ids";
pub const MCP_RESOURCE_URI: &str = "mcp.resource.uri";
pub const RESOURCE_REQUEST_ID: &str = "cf.resource.request_id";
pub const RESOURCE_CONTENT: &str = "cf.resource.content";
pub const SUCCESS_MARKED: &str = "cf.result.success_marked";
pub const CALLER_USER: &str = "cf.caller.user";
pub const TENANT_ID: &str = "cf.tenant.id";
pub const GEN_AI_PROMPT_NAME: &str = "gen_ai.prompt.name";
pub const PROMPT_ARGUMENTS: &str = "cf.prompt.arguments";
pub const PROMPT_RESULT: &str = "cf.prompt.result";
pub const PROMPT_CANONICAL_NAME: &str = "cf.prompt.canonical_name";
pub const PROMPT_VERSION: &str = "cf.prompt.version";
pub const PROMPT_MESSAGES_COUNT: &str = "cf.prompt.messages_count";
pub const MCP_PROTOCOL_VERSION: &str = "mcp.protocol.version";
pub const MCP_SESSION_ID: &str = "mcp.session.id";

// mcp.client.*
pub const UPSTREAM_TOOL_NAME: &str = "cf.upstream.tool_name";
pub const UPSTREAM_TRANSPORT: &str = "cf.upstream.transport";
pub const UPSTREAM_SUCCESS: &str = "cf.upstream.success";

// Errors.
pub const EXCEPTION_EVENT: &str = "exception";
pub const EXCEPTION_TYPE: &str = "exception.type";
pub const EXCEPTION_MESSAGE: &str = "exception.message";

/// Every `cf.op` value: the spans of one `tools/call` in the order Python opens them, then the
/// families (contract v1.1).
pub const OPS: [&str; 16] = [
    "request",
    "tool.invoke",
    "tool.lookup",
    "tool.gateway_call",
    "mcp.client.call",
    "mcp.client.initialize",
    "mcp.client.request",
    "mcp.client.response",
    "tool.post_process",
    "tool.list",
    "resource.list",
    "prompt.list",
    "resource_template.list",
    "resource.read",
    "prompt.render",
    "mcp.initialize",
];
