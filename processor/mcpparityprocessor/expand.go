package mcpparityprocessor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// Raw span contract v2 (docs/raw-span-contract.md, "v2: request bundle"): one raw span per request
// carries its child operations, encoded in cf.bundle. The processor expands a bundle into the v1
// raw spans it stands for before the per-span v1 transform, so every v1 rule applies unchanged.
const (
	keyContract       = "cf.contract"
	keyBundle         = "cf.bundle"
	bundleOpValue     = "request.bundle"
	contractBundle    = 2
	maxBundleChildOps = 63
	maxBundleGroups   = 8
)

// bundleFact is one decoded fact: a string, an int, a bool or a string array.
type bundleFact struct {
	key  string
	kind byte // 's', 'i', 'b', 'a'
	str  string
	num  int64
	arr  []string
}

type bundleOpRec struct {
	name       string
	parent     int
	start, end uint64
	declared   bool
	groups     []int
	facts      []bundleFact
}

type bundle struct {
	context []bundleFact
	groups  [maxBundleGroups + 1][]bundleFact
	defined uint16        // bit g: group g has a fact line
	ops     []bundleOpRec // index 0: the request op (the bundle span itself)
	// opFact: a fact line has the key cf.op (it overrides the op's name: every op of the bundle
	// is expanded the general way, expandOp's legacy path).
	opFact bool
}

// bundlePool recycles the decoded form of a bundle between requests: its fact and op slices
// keep their capacity, so a bundle of a familiar shape decodes without growing a slice. A bundle
// is returned only after expand has copied its facts into the span (the strings are substrings of
// cf.bundle and stay valid there); one that grew past maxPooledBundleFacts is left to the GC, so
// a hostile bundle cannot pin a large backing array in the pool.
var bundlePool = sync.Pool{New: func() any { return new(bundle) }}

const maxPooledBundleFacts = 512

func getBundle() *bundle {
	b := bundlePool.Get().(*bundle)
	b.reset()
	return b
}

// reset empties b for the next bundle, keeping the capacity of its slices: no fact, no defined
// group, only the request op.
func (b *bundle) reset() {
	b.context = b.context[:0]
	for g := range b.groups {
		b.groups[g] = b.groups[g][:0]
	}
	b.defined = 0
	b.opFact = false
	b.ops = b.ops[:0]
	request := b.addOp()
	request.name, request.declared = "request", true
}

// putBundle returns b to the pool unless its slices grew past maxPooledBundleFacts facts.
func putBundle(b *bundle) {
	total := cap(b.context)
	for g := range b.groups {
		total += cap(b.groups[g])
	}
	ops := b.ops[:cap(b.ops)] // the ops a reset keeps for reuse too
	for i := range ops {
		total += cap(ops[i].facts)
	}
	if total <= maxPooledBundleFacts {
		bundlePool.Put(b)
	}
}

// addOp appends an undeclared op, reusing the fact and group slices of an earlier bundle's op.
func (b *bundle) addOp() *bundleOpRec {
	n := len(b.ops)
	if n < cap(b.ops) {
		b.ops = b.ops[:n+1]
		op := &b.ops[n]
		*op = bundleOpRec{parent: -1, facts: op.facts[:0], groups: op.groups[:0]}
		return op
	}
	b.ops = append(b.ops, bundleOpRec{parent: -1})
	return &b.ops[n]
}

var errBundle = errors.New("malformed request bundle")

// isBundle reports whether span claims contract v2 (cf.contract is the int 2).
func isBundle(span ptrace.Span) bool {
	v, ok := span.Attributes().Get(keyContract)
	return ok && v.Type() == pcommon.ValueTypeInt && v.Int() == contractBundle
}

// expandBundles expands every well-formed bundle among the first n spans in place (the bundle
// span becomes the request span; its children are appended). A malformed bundle is left as it
// is: its cf.op is unknown to the v1 table, so the transform exports it scrubbed (every cf.*
// and raw payload key removed, values sanitized) and counts it malformed: never dropped.
func (p *parityProcessor) expandBundles(spans ptrace.SpanSlice) {
	n := spans.Len()
	for k := 0; k < n; k++ {
		span := spans.At(k)
		if !isBundle(span) {
			continue
		}
		b := getBundle()
		if err := b.decodeSpan(span); err != nil {
			p.logger.Debug("mcpparity: malformed request bundle exported scrubbed")
		} else {
			b.expand(span, spans, p.plans)
		}
		putBundle(b)
	}
}

func (b *bundle) decodeSpan(span ptrace.Span) error {
	v, ok := span.Attributes().Get(keyBundle)
	if !ok || v.Type() != pcommon.ValueTypeStr {
		return errBundle
	}
	if op, ok := span.Attributes().Get(mapping.KeyOp); !ok || op.Type() != pcommon.ValueTypeStr || op.Str() != bundleOpValue {
		return errBundle
	}
	return b.decode(v.Str())
}

// decodeBundle parses the cf.bundle text (lines "f <target> <key> <value>" and
// "o <index> <name> <parent> <start> <end> [g<n>]*") and checks its structure: every op
// declared once, parents declared and earlier in the tree, no cycles, group refs defined.
// b is a fresh bundle from getBundle.
func (b *bundle) decode(text string) error {
	d := decoder{s: text}
	for !d.done() {
		tag, err := d.word()
		if err != nil {
			return err
		}
		switch tag {
		case "f":
			if err := b.readFact(&d); err != nil {
				return err
			}
		case "o":
			if err := b.readOp(&d); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: line tag %q", errBundle, tag)
		}
	}
	for i := 1; i < len(b.ops); i++ {
		op := &b.ops[i]
		if !op.declared {
			return fmt.Errorf("%w: op %d has facts but no op line", errBundle, i)
		}
		// A parent is declared and the chain reaches the request op.
		seen := 0
		for j := op.parent; j != 0; j = b.ops[j].parent {
			if j < 0 || j >= len(b.ops) || !b.ops[j].declared || seen > len(b.ops) {
				return fmt.Errorf("%w: op %d has no path to the request", errBundle, i)
			}
			seen++
		}
		for _, g := range op.groups {
			if b.defined&(1<<g) == 0 {
				return fmt.Errorf("%w: op %d uses undefined group %d", errBundle, i, g)
			}
		}
	}
	return nil
}

func (b *bundle) op(index int) (*bundleOpRec, error) {
	if index < 0 || index > maxBundleChildOps {
		return nil, fmt.Errorf("%w: op index %d", errBundle, index)
	}
	for len(b.ops) <= index {
		b.addOp()
	}
	return &b.ops[index], nil
}

func (b *bundle) readFact(d *decoder) error {
	target, err := d.word()
	if err != nil {
		return err
	}
	key, err := d.word()
	if err != nil || key == "" {
		return fmt.Errorf("%w: fact key", errBundle)
	}
	f := bundleFact{key: key}
	if err := d.value(&f); err != nil {
		return err
	}
	b.opFact = b.opFact || key == mapping.KeyOp
	switch {
	case target == "c":
		b.context = append(b.context, f)
	case strings.HasPrefix(target, "g"):
		g, err := strconv.Atoi(target[1:])
		if err != nil || g < 1 || g > maxBundleGroups {
			return fmt.Errorf("%w: group %q", errBundle, target)
		}
		b.defined |= 1 << g
		b.groups[g] = append(b.groups[g], f)
	default:
		i, err := strconv.Atoi(target)
		if err != nil {
			return fmt.Errorf("%w: fact target %q", errBundle, target)
		}
		op, err := b.op(i)
		if err != nil {
			return err
		}
		op.facts = append(op.facts, f)
	}
	return nil
}

func (b *bundle) readOp(d *decoder) error {
	var fields [5]string
	for i := range fields {
		w, err := d.word()
		if err != nil {
			return err
		}
		fields[i] = w
	}
	index, err1 := strconv.Atoi(fields[0])
	parent, err2 := strconv.Atoi(fields[2])
	start, err3 := strconv.ParseUint(fields[3], 10, 64)
	end, err4 := strconv.ParseUint(fields[4], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil || index < 1 || end < start || fields[1] == "" {
		return fmt.Errorf("%w: op line %q", errBundle, strings.Join(fields[:], " "))
	}
	op, err := b.op(index)
	if err != nil {
		return err
	}
	if op.declared || parent == index {
		return fmt.Errorf("%w: op %d declared twice or its own parent", errBundle, index)
	}
	op.name, op.parent, op.start, op.end, op.declared = fields[1], parent, start, end, true
	for !d.lineEnd() {
		w, err := d.word()
		if err != nil {
			return err
		}
		g, err := strconv.Atoi(strings.TrimPrefix(w, "g"))
		if !strings.HasPrefix(w, "g") || err != nil || g < 1 || g > maxBundleGroups {
			return fmt.Errorf("%w: group ref %q", errBundle, w)
		}
		op.groups = append(op.groups, g)
	}
	return d.newline()
}

// bundlePayloads are the raw payload attributes a bundle span may carry, each placed on the first
// child op of its owner (contract v2, "The bundle span"): the same keys and owners as v1.
var bundlePayloads = [...]struct{ key, owner string }{
	{mapping.KeyToolCallArguments, "tool.invoke"},
	{mapping.KeyToolCallResult, "tool.invoke"},
	{mapping.KeyResourceContent, "resource.read"},
	{mapping.KeyPromptArguments, "prompt.render"},
	{mapping.KeyPromptResult, "prompt.render"},
}

// expand turns the bundle span into the request span and appends one span per child op. plans
// are the processor's op plans (by cf.op): an op the transform maps gets its exception facts
// straight into its exception event (putFacts); any other op is expanded the general way, its
// exception facts put and then moved (setException), so the scrubbed export keeps their order.
func (b *bundle) expand(span ptrace.Span, spans ptrace.SpanSlice, plans map[string]*opPlan) {
	raw := span.Attributes()
	var payloads [len(bundlePayloads)]pcommon.Value
	var hasPayload [len(bundlePayloads)]bool
	for i, p := range bundlePayloads {
		payloads[i], hasPayload[i] = raw.Get(p.key)
	}
	traceID, bundleID := span.TraceID(), span.SpanID()
	start := uint64(span.StartTimestamp())
	for i := 1; i < len(b.ops); i++ {
		op := &b.ops[i]
		child := spans.AppendEmpty()
		child.SetTraceID(traceID)
		child.SetSpanID(ChildSpanID(traceID, bundleID, i))
		if op.parent == 0 {
			child.SetParentSpanID(bundleID)
		} else {
			child.SetParentSpanID(ChildSpanID(traceID, bundleID, op.parent))
		}
		child.TraceState().FromRaw(span.TraceState().AsRaw())
		child.SetFlags(span.Flags())
		child.SetKind(ptrace.SpanKindInternal)
		child.SetStartTimestamp(pcommon.Timestamp(start + op.start))
		child.SetEndTimestamp(pcommon.Timestamp(start + op.end))
		attrs := child.Attributes()
		exc, direct := b.putOpFacts(attrs, op, plans)
		child.SetName(rawName(op.name, attrs))
		for k, p := range bundlePayloads {
			if hasPayload[k] && op.name == p.owner {
				hasPayload[k] = false // the first op of its owner only
				payloads[k].CopyTo(attrs.PutEmpty(p.key))
			}
		}
		if direct {
			setExceptionFacts(child, exc)
		} else {
			setException(child, attrs)
		}
	}
	// The request op is the bundle span itself: same ids, timing and status.
	out := pcommon.NewMap()
	exc, direct := b.putOpFacts(out, &b.ops[0], plans)
	out.MoveTo(raw)
	span.SetName(rawName("request", raw))
	if direct {
		setExceptionFacts(span, exc)
	} else {
		setException(span, raw)
	}
}

// putOpFacts is putFacts for op; direct: op is mapped (plans), and its exception facts were
// kept out of m, in exc.
func (b *bundle) putOpFacts(m pcommon.Map, op *bundleOpRec, plans map[string]*opPlan) (exc exceptionFacts, direct bool) {
	if b.opFact || plans[op.name] == nil {
		b.putFacts(m, op, nil)
		return exc, false
	}
	b.putFacts(m, op, &exc)
	return exc, true
}

// exceptionFacts are an op's exception.type and exception.message facts (the last of each).
type exceptionFacts struct{ typ, msg *bundleFact }

// putFacts writes cf.op, the context, the op's groups and its own facts (later ones win). With
// exc, the exception facts go to exc instead of m (later ones win there too).
func (b *bundle) putFacts(m pcommon.Map, op *bundleOpRec, exc *exceptionFacts) {
	n := 1 + len(b.context) + len(op.facts) + 4 // + the payloads and exception keys placed later
	for _, g := range op.groups {
		n += len(b.groups[g])
	}
	m.EnsureCapacity(n)
	m.PutStr(mapping.KeyOp, op.name)
	for i := range b.context {
		putFact(m, &b.context[i], exc)
	}
	for _, g := range op.groups {
		for i := range b.groups[g] {
			putFact(m, &b.groups[g][i], exc)
		}
	}
	for i := range op.facts {
		putFact(m, &op.facts[i], exc)
	}
}

// putFact puts f into m, or into exc when it is an exception fact and exc is not nil.
func putFact(m pcommon.Map, f *bundleFact, exc *exceptionFacts) {
	if exc != nil {
		switch f.key {
		case keyExcType:
			exc.typ = f
			return
		case keyExcMessage:
			exc.msg = f
			return
		}
	}
	f.put(m)
}

func (f *bundleFact) put(m pcommon.Map) {
	switch f.kind {
	case 's':
		m.PutStr(f.key, f.str)
	case 'i':
		m.PutInt(f.key, f.num)
	case 'b':
		m.PutBool(f.key, f.num == 1)
	case 'a':
		s := m.PutEmptySlice(f.key)
		s.EnsureCapacity(len(f.arr))
		for _, v := range f.arr {
			s.AppendEmpty().SetStr(v)
		}
	}
}

// rawName is the v1 raw name of an op (contract v1 "Ops" table).
func rawName(op string, attrs pcommon.Map) string {
	str := func(k string) string {
		if v, ok := attrs.Get(k); ok && v.Type() == pcommon.ValueTypeStr {
			return v.Str()
		}
		return ""
	}
	switch op {
	case "request":
		return str("http.request.method") + " " + str("url.path")
	case "tool.invoke":
		return "tools/call " + str("gen_ai.tool.name")
	case "resource.read":
		return "resources/read " + str("mcp.resource.uri")
	case "prompt.render":
		return "prompts/get " + str("gen_ai.prompt.name")
	case "tool.list", "resource.list", "prompt.list", "resource_template.list", "mcp.initialize":
		return str("mcp.method.name") // v1.1: the MCP method
	}
	return op
}

// setException moves the op's exception facts into the contract's error shape: status ERROR
// and one exception event (at the op's end).
func setException(span ptrace.Span, attrs pcommon.Map) {
	typ, hasType := attrs.Get(keyExcType)
	msg, hasMsg := attrs.Get(keyExcMessage)
	if !hasType && !hasMsg {
		return
	}
	ev := span.Events().AppendEmpty()
	ev.SetName(eventException)
	ev.SetTimestamp(span.EndTimestamp())
	if hasType {
		typ.CopyTo(ev.Attributes().PutEmpty(keyExcType))
	}
	if hasMsg {
		msg.CopyTo(ev.Attributes().PutEmpty(keyExcMessage))
	}
	attrs.Remove(keyExcType)
	attrs.Remove(keyExcMessage)
	span.Status().SetCode(ptrace.StatusCodeError)
}

// setExceptionFacts is setException for exception facts kept out of the span's attributes.
func setExceptionFacts(span ptrace.Span, exc exceptionFacts) {
	if exc.typ == nil && exc.msg == nil {
		return
	}
	ev := span.Events().AppendEmpty()
	ev.SetName(eventException)
	ev.SetTimestamp(span.EndTimestamp())
	attrs := ev.Attributes()
	if exc.typ != nil {
		exc.typ.put(attrs)
	}
	if exc.msg != nil {
		exc.msg.put(attrs)
	}
	span.Status().SetCode(ptrace.StatusCodeError)
}

// ChildSpanID is the span id of child op index of the bundle span bundleID: FNV-1a 64 over the
// trace id, the bundle span id and the index byte, big-endian; 0 becomes 1. The runtime derives
// the same id for the span whose context it propagates (emitter: bundle::child_span_id).
func ChildSpanID(traceID pcommon.TraceID, bundleID pcommon.SpanID, index int) pcommon.SpanID {
	const offset, prime = 0xcbf29ce484222325, 0x100000001b3
	h := uint64(offset)
	for _, c := range traceID {
		h = (h ^ uint64(c)) * prime
	}
	for _, c := range bundleID {
		h = (h ^ uint64(c)) * prime
	}
	h = (h ^ uint64(byte(index))) * prime
	if h == 0 {
		h = 1
	}
	var id pcommon.SpanID
	binary.BigEndian.PutUint64(id[:], h)
	return id
}

// decoder reads the cf.bundle text.
type decoder struct {
	s   string
	pos int
}

func (d *decoder) done() bool    { return d.pos >= len(d.s) }
func (d *decoder) lineEnd() bool { return d.pos < len(d.s) && d.s[d.pos] == '\n' }

func (d *decoder) newline() error {
	if !d.lineEnd() {
		return fmt.Errorf("%w: expected end of line at byte %d", errBundle, d.pos)
	}
	d.pos++
	return nil
}

// word reads up to the next space (consumed) or newline (consumed by newline()).
func (d *decoder) word() (string, error) {
	start := d.pos
	rest := d.s[start:]
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c <= ' ' { // one test for most bytes: a word is mostly letters and digits
			switch c {
			case ' ':
				d.pos = start + i + 1
				return rest[:i], nil
			case '\n':
				d.pos = start + i
				return rest[:i], nil
			}
		}
	}
	d.pos = len(d.s)
	return "", fmt.Errorf("%w: truncated at byte %d", errBundle, start)
}

// counted reads "<len>:<bytes>".
func (d *decoder) counted() (string, error) {
	colon := strings.IndexByte(d.s[d.pos:], ':')
	if colon < 1 || colon > 10 {
		return "", fmt.Errorf("%w: string length at byte %d", errBundle, d.pos)
	}
	n, err := strconv.Atoi(d.s[d.pos : d.pos+colon])
	if err != nil || n < 0 || d.pos+colon+1+n > len(d.s) {
		return "", fmt.Errorf("%w: string length at byte %d", errBundle, d.pos)
	}
	d.pos += colon + 1
	v := d.s[d.pos : d.pos+n]
	d.pos += n
	return v, nil
}

func (d *decoder) value(f *bundleFact) error {
	if d.done() {
		return fmt.Errorf("%w: missing value of %s", errBundle, f.key)
	}
	f.kind = d.s[d.pos]
	d.pos++
	switch f.kind {
	case 's':
		v, err := d.counted()
		if err != nil {
			return err
		}
		f.str = v
	case 'i', 'b':
		w, err := d.word()
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil || (f.kind == 'b' && n != 0 && n != 1) {
			return fmt.Errorf("%w: value of %s", errBundle, f.key)
		}
		f.num = n
	case 'a':
		count := 0
		for d.pos < len(d.s) && d.s[d.pos] >= '0' && d.s[d.pos] <= '9' && count <= maxRawAttributes {
			count = count*10 + int(d.s[d.pos]-'0')
			d.pos++
		}
		if count > maxRawAttributes {
			return fmt.Errorf("%w: array of %s too long", errBundle, f.key)
		}
		f.arr = make([]string, 0, count)
		for i := 0; i < count; i++ {
			if d.done() || d.s[d.pos] != ' ' {
				return fmt.Errorf("%w: array of %s", errBundle, f.key)
			}
			d.pos++
			v, err := d.counted()
			if err != nil {
				return err
			}
			f.arr = append(f.arr, v)
		}
	default:
		return fmt.Errorf("%w: value type %q of %s", errBundle, f.kind, f.key)
	}
	return d.newline()
}
