// Package mapping holds the contract-v1 op table: for each raw `cf.op`, the Python runtime's span
// name and kind, which raw facts become which Python attributes (in the Python order), the constants
// Python sets, and which payloads the span may capture. The table and every key constant are
// generated from contract/raw-span-contract.yaml (zz_generated_contract.go, `make contract`): adding
// an op (tools/list, resources/read) is a row there, not a code path in the processor. This file
// holds the row types. No pdata: the processor applies the table.
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
	// AfterIdentity are attributes Python sets right after the identity keys (tool.invoke's server_id).
	AfterIdentity []Rename
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

var byOp = func() map[string]*Op {
	m := make(map[string]*Op, len(Table))
	for i := range Table {
		m[Table[i].Op] = &Table[i]
	}
	return m
}()

// Lookup returns the row of a cf.op, or nil for an unknown op.
func Lookup(op string) *Op { return byOp[op] }
