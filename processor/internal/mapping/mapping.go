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
	// Text values get the free-text rules before the key's own rules (D8: resource.uri, text then URL).
	Text bool
	// Default is written when the fact is absent (Python's `x or "anonymous"`); "" writes nothing.
	Default string
	// Gate exports the key only under that policy (identity capture, Langfuse emission).
	Gate Gate
	// Explicit: Python puts the key in the span's own dict even when its value is None, so an
	// absent fact writes nothing but still blocks create_span's setdefault of To.
	Explicit bool
	// Derive computes the value from the fact instead of copying it.
	Derive Derive
	// SoleReader: no other row of the op, payload capture or outcome rule reads From, so the
	// transform may move the raw value into the exported key instead of allocating a new one.
	// Set from the table when the package loads (markSoleReaders), not written in the table.
	SoleReader bool
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
	// AfterIdentity are attributes Python sets right after the identity keys (tool.invoke's server_id).
	AfterIdentity []Rename
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

	// readers counts the rules that read each raw fact after the request context is read
	// (markSoleReaders); a fact it does not name is read by none of them.
	readers map[string]int
}

// ReadsLater reports whether a rule of the op reads the raw fact key after the request context
// (a row, a payload capture, the variant key, an outcome flag or the HTTP status): a fact no
// rule reads later may give its decoded value to another exported key.
func (o *Op) ReadsLater(key string) bool { return o.readers[key] > 0 }

var byOp = func() map[string]*Op {
	m := make(map[string]*Op, len(Table))
	for i := range Table {
		markSoleReaders(&Table[i])
		m[Table[i].Op] = &Table[i]
	}
	return m
}()

// markSoleReaders sets SoleReader on the rows of op that are the only reader of their raw fact
// after the request context is read: a fact two rows copy, a derived fact, a payload, the
// variant key, the outcome flags and the HTTP status are read again later and keep their value.
func markSoleReaders(op *Op) {
	readers := map[string]int{KeyHTTPResponseStatusCode: 2}
	for _, k := range [...]string{op.VariantKey, op.ResultFlag, op.SuccessMarked} {
		readers[k] += 2
	}
	for _, pl := range [...]*Payload{op.Input, op.Output} {
		if pl != nil {
			readers[pl.RawKey] += 2
			readers[pl.OriginalSizeKey] += 2
		}
	}
	lists := [][]Rename{op.Attributes, op.AfterIdentity, op.OutcomeAttributes}
	for _, v := range op.Variants {
		lists = append(lists, v)
	}
	for _, rows := range lists {
		for i := range rows {
			if rows[i].From != "" {
				readers[rows[i].From]++
			}
		}
	}
	for _, rows := range lists {
		for i := range rows {
			r := &rows[i]
			r.SoleReader = r.From != "" && r.Derive == DeriveNone && readers[r.From] == 1
		}
	}
	op.readers = readers
}

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
