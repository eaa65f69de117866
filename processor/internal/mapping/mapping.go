// Package mapping holds the contract-v1 op table: for each raw `cf.op`, the Python runtime's span
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
}

// Payload says where a capturable payload sits on the raw span and where it goes.
type Payload struct {
	RawKey          string // raw JSON text, e.g. gen_ai.tool.call.arguments
	OriginalSizeKey string // set by the runtime when it capped the raw payload
	Key             string // Python key, e.g. langfuse.observation.input
	// ToolResult: the payload is an MCP CallToolResult, normalized to Python's ToolResult JSON.
	ToolResult bool
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
	PythonScopeName       = "mcp-gateway"
	PythonScopeSchemaURL  = "https://opentelemetry.io/schemas/1.11.0"
	InputKey              = "langfuse.observation.input"
	OutputKey             = "langfuse.observation.output"
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
	{
		// tools/list: not emitted by the v1 runtime yet; here so the day it is, it is already mapped.
		Op: "tool.list", Name: "tool.list", Kind: KindInternal, TraceNameFixed: "Tools",
		Attributes: []Rename{
			{From: "cf.list.include_inactive", To: "include_inactive", Type: TypeBool},
			{From: "cf.list.tags_count", To: "tags.count", Type: TypeInt},
			{From: "cf.list.limit", To: "limit", Type: TypeInt},
		},
	},
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
