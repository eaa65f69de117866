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

// mcp.client.*
pub const UPSTREAM_TOOL_NAME: &str = "cf.upstream.tool_name";
pub const UPSTREAM_TRANSPORT: &str = "cf.upstream.transport";
pub const UPSTREAM_SUCCESS: &str = "cf.upstream.success";

// Errors.
pub const EXCEPTION_EVENT: &str = "exception";
pub const EXCEPTION_TYPE: &str = "exception.type";
pub const EXCEPTION_MESSAGE: &str = "exception.message";

/// Every `cf.op` value, in the order Python opens the spans of one `tools/call`.
pub const OPS: [&str; 9] = [
    "request",
    "tool.invoke",
    "tool.lookup",
    "tool.gateway_call",
    "mcp.client.call",
    "mcp.client.initialize",
    "mcp.client.request",
    "mcp.client.response",
    "tool.post_process",
];
