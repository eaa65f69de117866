// Package mapping holds the contract-v1(.1) op table: for each raw `cf.op`, the Python runtime's span
// name and kind, which raw facts become which Python attributes (in the Python order), the constants
// Python sets, and which payloads the span may capture. Adding an op (tools/list, resources/read) is
// a row here, not a code path in the processor. No pdata: the processor applies the table.
package mapping // import "github.com/mcpparity/mcpparity/processor/internal/mapping"

// Kind is the span kind Python gives a span.
type Kind int

const (
	KindInternal Kind = iota // every create_span span
	KindServer               // the request root (OpenTelemetryRequestMiddleware)
)

// ValueType is the type a Python attribute has; a raw fact of another type marks the span malformed.
type ValueType int

const (
	TypeString ValueType = iota
	TypeInt
	TypeBool
	TypeFloat
)

// Rename maps one raw fact to one Python attribute, or sets a constant (From == "").
type Rename struct {
	From string // raw key (contract v1); "" for a constant
	To   string // Python key
	// Const is the value of a constant attribute (From == "").
	Const string
	Type  ValueType // expected type of the raw value
	// Required facts missing from a raw span make it malformed (it is still exported).
	Required bool
	// URL values go through the URL sanitizer only (Python uses sanitize_url_for_logging).
	URL bool
	// Text values get the free-text rules before the key's own rules (D8: resource.uri, text then URL).
	Text bool
	// Default is written when the fact is absent (Python's `x or "anonymous"`); "" writes nothing.
	Default string
	// Gate exports the key only under that policy (identity capture, Langfuse emission).
	Gate Gate
	// Explicit: Python puts the key in the span's own dict even when its value is None, so an
	// absent fact writes nothing but still blocks create_span's setdefault of To (pitfall 3).
	Explicit bool
	// Derive computes the value from the fact instead of copying it.
	Derive Derive
}

// Gate is the export policy a key needs besides the processor's sanitization.
type Gate int

const (
	GateNone     Gate = iota
	GateIdentity      // identity capture (user.email, team.scope, and D9's user)
	GateLangfuse      // Langfuse emission (langfuse.*)
)

// Derive names how a Python value is computed from its raw fact.
type Derive int

const (
	DeriveNone         Derive = iota
	DeriveTeamScope           // string[] token teams → format_trace_team_scope
	DeriveResourceType        // "template" iff the URI holds "{" and "}", else "static"
	DeriveHTTPURL             // the URI itself, only when it starts with "http"
	DeriveReprSize            // len(str(model)): a ResourceContent JSON object, Python repr semantics
)

// Payload says where a capturable payload sits on the raw span and where it goes.
type Payload struct {
	RawKey          string // raw JSON text, e.g. gen_ai.tool.call.arguments
	OriginalSizeKey string // set by the runtime when it capped the raw payload
	Key             string // Python key, e.g. langfuse.observation.input
	// ToolResult: the payload is an MCP CallToolResult, normalized to Python's ToolResult JSON.
	ToolResult bool
	// Wrap: the payload is {Wrap: <the raw string fact>} (resources/read's input {"uri": …}).
	Wrap string
	// TextKey: a top-level string field that gets the free-text rules before the payload's own
	// (D8: the resource URI inside resources/read's output, masked as resource.uri is).
	TextKey string
}

// Op is one row of the table.
type Op struct {
	Op   string // cf.op
	Name string // Python span name; "" keeps the raw name (the request root's "{METHOD} {path}")
	Kind Kind
	// Request marks the request root: no create_span enrichment, route = path, status from the HTTP code.
	Request bool
	// Attributes in the order Python sets them, before create_span's automatic keys.
	Attributes []Rename
	// Identity: the span carries user.email (with the "anonymous" fallback) and team.scope in its
	// own attribute dict, before the input capture (tool_service.invoke_tool).
	Identity bool
	// Input and Output payload captures (nil: the span captures nothing).
	Input  *Payload
	Output *Payload
	// ResultFlag is the raw bool telling an isError result (success=false, status OK, no output).
	ResultFlag string
	// Outcome: the span ends with success and duration.ms (tool.invoke).
	Outcome bool
	// OutcomeOnSuccess: success and duration.ms are written only when the op did not fail (the
	// families set them on their last line), or when the SuccessMarked fact says Python had set
	// them before the failure (resources/read of a template that does not resolve).
	OutcomeOnSuccess bool
	SuccessMarked    string
	// OutcomeAttributes follow success and duration.ms, in Python's order.
	OutcomeAttributes []Rename
	// VariantKey names the raw fact that selects Variants[value] instead of Attributes (tool.list
	// and its siblings have one attribute set per service entry point).
	VariantKey string
	Variants   map[string][]Rename
	// TraceNamePrefix and TraceNameKey derive langfuse.trace.name = prefix + sanitized attribute;
	// when TraceNameKey is absent the trace name is the span name (_derive_langfuse_trace_name).
	TraceNamePrefix string
	TraceNameKey    string
	// TraceNameFixed is a constant trace name (e.g. "Tools" for tool.list).
	TraceNameFixed string
}

// Context keys: the request context every raw span carries (contract v1).
const (
	KeyOp                 = "cf.op"
	KeyCorrelationID      = "cf.correlation_id"
	KeyCorrelationFromHdr = "cf.correlation_id.from_header"
	KeyAuthMethod         = "cf.auth.method"
	KeyUserEmail          = "cf.user.email"
	KeyUserIsAdmin        = "cf.user.is_admin"
	KeyTeamName           = "cf.team.name"
	KeyTeamIDs            = "cf.team.ids"
	KeySessionID          = "cf.session.id"
	KeyBaggage            = "cf.baggage"
	KeyRawPrefix          = "cf."
	KeyToolCallArguments  = "gen_ai.tool.call.arguments"
	KeyToolCallResult     = "gen_ai.tool.call.result"
	KeyArgumentsOrigSize  = "cf.arguments.original_size"
	KeyResultOrigSize     = "cf.result.original_size"
	KeyResultIsError      = "cf.result.is_error"
	KeyHTTPStatusCode     = "http.response.status_code"
	KeyURLPath            = "url.path"
	KeyURLQuery           = "url.query"
	KeyServerID           = "cf.server.id"
	KeyArgumentsCount     = "cf.arguments.count"
	// Family facts (contract v1.1).
	KeyListVariant         = "cf.list.variant"
	KeyListIncludeInactive = "cf.list.include_inactive"
	KeyListTagsCount       = "cf.list.tags_count"
	KeyListLimit           = "cf.list.limit"
	KeyListIncludeMetrics  = "cf.list.include_metrics"
	KeyListDefinitionMode  = "cf.list.definition_mode"
	KeyListUserEmail       = "cf.list.user_email"
	KeyListTeamIDs         = "cf.list.team_ids"
	KeyResourceURI         = "mcp.resource.uri"
	KeyResourceRequestID   = "cf.resource.request_id"
	KeyResourceContent     = "cf.resource.content"
	KeySuccessMarked       = "cf.result.success_marked"
	KeyCallerUser          = "cf.caller.user"
	KeyTenantID            = "cf.tenant.id"
	KeyPromptName          = "gen_ai.prompt.name"
	KeyPromptRequestID     = "cf.prompt.request_id"
	KeyPromptArguments     = "cf.prompt.arguments"
	KeyPromptResult        = "cf.prompt.result"
	KeyPromptCanonicalName = "cf.prompt.canonical_name"
	KeyPromptVersion       = "cf.prompt.version"
	KeyPromptMessagesCount = "cf.prompt.messages_count"
	KeyMCPProtocolVersion  = "mcp.protocol.version"
	KeyMCPSessionID        = "mcp.session.id"
	PythonScopeName        = "mcp-gateway"
	PythonScopeSchemaURL   = "https://opentelemetry.io/schemas/1.11.0"
	InputKey               = "langfuse.observation.input"
	OutputKey              = "langfuse.observation.output"
)

var toolIdentity = []Rename{
	{From: "gen_ai.tool.name", To: "tool.name", Type: TypeString, Required: true},
	{From: "cf.tool.id", To: "tool.id", Type: TypeString},
	{From: "cf.tool.integration_type", To: "tool.integration_type", Type: TypeString},
}

var clientIdentity = []Rename{
	{From: "cf.upstream.tool_name", To: "mcp.tool.name", Type: TypeString},
	{From: "cf.tool.id", To: "contextforge.tool.id", Type: TypeString},
	{From: "cf.tool.gateway_id", To: "contextforge.gateway_id", Type: TypeString},
}

// runtimeRust is D5: the mcp.client.* spans say which runtime really made the upstream call.
var runtimeRust = Rename{To: "contextforge.runtime", Const: "rust"}

var transport = Rename{From: "cf.upstream.transport", To: "contextforge.transport", Type: TypeString}

// Table is the contract-v1 op table.
var Table = []Op{
	{
		Op: "request", Kind: KindServer, Request: true,
		Attributes: []Rename{
			{From: "http.request.method", To: "http.request.method", Type: TypeString, Required: true},
			{From: "url.path", To: "http.route", Type: TypeString, Required: true},
			{From: "url.path", To: "url.path", Type: TypeString, Required: true},
			{From: "url.query", To: "url.query", Type: TypeString, URL: true},
			{From: "network.protocol.version", To: "network.protocol.version", Type: TypeString},
			{From: "server.address", To: "server.address", Type: TypeString},
			{From: "server.port", To: "server.port", Type: TypeInt},
			{From: "client.address", To: "client.address", Type: TypeString},
			{From: "client.port", To: "client.port", Type: TypeInt},
			{From: "user_agent.original", To: "user_agent.original", Type: TypeString},
		},
	},
	{
		Op: "tool.invoke", Name: "tool.invoke", Kind: KindInternal,
		Attributes: []Rename{
			{From: "gen_ai.tool.name", To: "tool.name", Type: TypeString, Required: true},
			{From: "cf.tool.id", To: "tool.id", Type: TypeString},
			{From: "cf.tool.integration_type", To: "tool.integration_type", Type: TypeString},
			{From: "cf.tool.gateway_id", To: "tool.gateway_id", Type: TypeString},
			{From: "cf.arguments.count", To: "arguments_count", Type: TypeInt},
			{From: "cf.request.has_headers", To: "has_headers", Type: TypeBool},
		},
		Identity:        true,
		Input:           &Payload{RawKey: KeyToolCallArguments, OriginalSizeKey: KeyArgumentsOrigSize, Key: InputKey},
		Output:          &Payload{RawKey: KeyToolCallResult, OriginalSizeKey: KeyResultOrigSize, Key: OutputKey, ToolResult: true},
		ResultFlag:      KeyResultIsError,
		Outcome:         true,
		TraceNamePrefix: "Tool: ", TraceNameKey: "tool.name",
	},
	{Op: "tool.lookup", Name: "tool.lookup", Kind: KindInternal, Attributes: toolIdentity},
	{Op: "tool.gateway_call", Name: "tool.gateway_call", Kind: KindInternal, Attributes: toolIdentity},
	{Op: "tool.post_process", Name: "tool.post_process", Kind: KindInternal, Attributes: toolIdentity[:2]},
	{
		Op: "mcp.client.call", Name: "mcp.client.call", Kind: KindInternal,
		Attributes: append(append([]Rename(nil), clientIdentity...),
			runtimeRust,
			transport,
			Rename{To: "network.protocol.name", Const: "mcp"},
			Rename{From: "server.address", To: "server.address", Type: TypeString},
			Rename{From: "server.port", To: "server.port", Type: TypeInt},
			Rename{From: "url.path", To: "url.path", Type: TypeString},
			Rename{From: "url.full", To: "url.full", Type: TypeString, URL: true},
		),
	},
	{
		Op: "mcp.client.initialize", Name: "mcp.client.initialize", Kind: KindInternal,
		Attributes: []Rename{transport, runtimeRust},
	},
	{Op: "mcp.client.request", Name: "mcp.client.request", Kind: KindInternal, Attributes: append(append([]Rename(nil), clientIdentity...), runtimeRust)},
	{
		Op: "mcp.client.response", Name: "mcp.client.response", Kind: KindInternal,
		Attributes: append(append([]Rename(nil), clientIdentity...), runtimeRust,
			Rename{From: "cf.upstream.success", To: "upstream.response.success", Type: TypeBool}),
	},
	listOp("tool.list", "Tools"),
	listOp("resource.list", "Resources"),
	listOp("prompt.list", "Prompts"),
	{
		// resource_service.list_resource_templates: no identity keys of its own; also the child
		// of resources/read when the URI is not an exact match.
		Op: "resource_template.list", Name: "resource_template.list", Kind: KindInternal, TraceNameFixed: "Resource Templates",
		Attributes: []Rename{
			{From: KeyListIncludeInactive, To: "include_inactive", Type: TypeBool},
			{From: KeyServerID, To: "server_id", Type: TypeString},
			{From: KeyListTagsCount, To: "tags.count", Type: TypeInt},
		},
	},
	{
		// resource_service.read_resource (local content; gateway-backed reads fall back to Python).
		Op: "resource.read", Name: "resource.read", Kind: KindInternal,
		Attributes: []Rename{
			{From: KeyResourceURI, To: "resource.uri", Type: TypeString, Required: true, Text: true, Default: "unknown"}, // D8
			{From: KeyCallerUser, To: "user", Type: TypeString, Default: "anonymous", Gate: GateIdentity},                // D9
			{From: KeyServerID, To: "server_id", Type: TypeString},
			{From: KeyResourceRequestID, To: "request_id", Type: TypeString, Explicit: true},
			{From: KeyResourceURI, To: "http.url", Type: TypeString, Derive: DeriveHTTPURL},
			{From: KeyResourceURI, To: "resource.type", Type: TypeString, Derive: DeriveResourceType},
		},
		Input:            &Payload{RawKey: KeyResourceURI, Key: InputKey, Wrap: "uri"},
		Output:           &Payload{RawKey: KeyResourceContent, OriginalSizeKey: KeyResultOrigSize, Key: OutputKey, TextKey: "uri"},
		Outcome:          true,
		OutcomeOnSuccess: true,
		SuccessMarked:    KeySuccessMarked,
		OutcomeAttributes: []Rename{
			{From: KeyResourceContent, To: "content.size", Type: TypeString, Derive: DeriveReprSize},
		},
		TraceNamePrefix: "Resource: ", TraceNameKey: "resource.uri",
	},
	{
		// prompt_service.get_prompt (the runtime serves it with empty arguments only; others fall back).
		Op: "prompt.render", Name: "prompt.render", Kind: KindInternal,
		Attributes: []Rename{
			{From: KeyPromptName, To: "prompt.id", Type: TypeString, Required: true},
			{From: KeyArgumentsCount, To: "arguments_count", Type: TypeInt},
			{From: KeyCallerUser, To: "user", Type: TypeString, Default: "anonymous", Gate: GateIdentity}, // D9
			{From: KeyServerID, To: "server_id", Type: TypeString},
			{From: KeyTenantID, To: "tenant_id", Type: TypeString},
			{From: KeyPromptRequestID, To: "request_id", Type: TypeString, Default: "none"},
		},
		Input:            &Payload{RawKey: KeyPromptArguments, OriginalSizeKey: KeyArgumentsOrigSize, Key: InputKey},
		Output:           &Payload{RawKey: KeyPromptResult, OriginalSizeKey: KeyResultOrigSize, Key: OutputKey},
		Outcome:          true,
		OutcomeOnSuccess: true,
		OutcomeAttributes: []Rename{
			{From: KeyPromptCanonicalName, To: "langfuse.observation.prompt.name", Type: TypeString, Gate: GateLangfuse},
			{From: KeyPromptVersion, To: "langfuse.observation.prompt.version", Type: TypeInt, Gate: GateLangfuse},
			{From: KeyPromptMessagesCount, To: "messages.count", Type: TypeInt},
		},
		TraceNamePrefix: "Prompt: ", TraceNameKey: "prompt.id",
	},
	{
		// initialize (session_registry on /rpc, streamablehttp_transport on /mcp): no payloads.
		Op: "mcp.initialize", Name: "mcp.initialize", Kind: KindInternal,
		Attributes: []Rename{
			{From: KeyMCPProtocolVersion, To: "mcp.protocol_version", Type: TypeString},
			{From: KeyMCPSessionID, To: "mcp.session_id", Type: TypeString},
			{From: KeyServerID, To: "server.id", Type: TypeString},
		},
	},
}

// listOp is the row of tool.list, resource.list and prompt.list: one attribute set per service
// entry point (cf.list.variant), the caller's identity passed explicitly (None blocks enrichment),
// a fixed trace name, no payloads even when listed.
func listOp(op, traceName string) Op {
	identity := []Rename{
		{From: KeyListUserEmail, To: "user.email", Type: TypeString, Gate: GateIdentity, Explicit: true},
		{From: KeyListTeamIDs, To: "team.scope", Gate: GateIdentity, Explicit: true, Derive: DeriveTeamScope},
	}
	return Op{
		Op: op, Name: op, Kind: KindInternal, TraceNameFixed: traceName,
		// No variant fact: the catalog set (v1 runtimes sent only these three facts).
		Attributes: []Rename{
			{From: KeyListIncludeInactive, To: "include_inactive", Type: TypeBool},
			{From: KeyListTagsCount, To: "tags.count", Type: TypeInt},
			{From: KeyListLimit, To: "limit", Type: TypeInt},
		},
		VariantKey: KeyListVariant,
		Variants: map[string][]Rename{
			// list_tools / list_resources / list_prompts (/rpc, /mcp).
			"catalog": append([]Rename{
				{From: KeyListIncludeInactive, To: "include_inactive", Type: TypeBool},
				{From: KeyListTagsCount, To: "tags.count", Type: TypeInt},
				{From: KeyListLimit, To: "limit", Type: TypeInt},
			}, identity...),
			// list_server_tools / … (/servers/<id>/mcp, what the runtime serves DB-direct).
			"server": append([]Rename{
				{From: KeyServerID, To: "server_id", Type: TypeString},
				{From: KeyListIncludeInactive, To: "include_inactive", Type: TypeBool},
				{From: KeyListIncludeMetrics, To: "include_metrics", Type: TypeBool},
			}, identity...),
			// list_server_mcp_tool_definitions (the internal endpoint behind a runtime fallback).
			"definitions": append(append([]Rename{
				{From: KeyServerID, To: "server_id", Type: TypeString},
				{From: KeyListIncludeInactive, To: "include_inactive", Type: TypeBool},
			}, identity...), Rename{From: KeyListDefinitionMode, To: "mcp.definition_mode", Type: TypeBool}),
		},
	}
}

var byOp = func() map[string]*Op {
	m := make(map[string]*Op, len(Table))
	for i := range Table {
		m[Table[i].Op] = &Table[i]
	}
	return m
}()

// Lookup returns the row of a cf.op, or nil for an unknown op.
func Lookup(op string) *Op { return byOp[op] }

// AttributesFor returns the attribute set of the variant the raw span names (variant "" or an
// unknown one: the row's default set; ok reports whether the variant was known).
func (o *Op) AttributesFor(variant string) (attrs []Rename, ok bool) {
	if variant == "" || o.VariantKey == "" {
		return o.Attributes, true
	}
	if v, found := o.Variants[variant]; found {
		return v, true
	}
	return o.Attributes, false
}
