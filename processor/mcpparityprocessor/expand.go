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
	// is expanded the general way, putOpFacts).
	opFact bool
	// layer holds the context facts of the expanded bundle, read by the transforms of its
	// mapped ops (bundleLayer).
	layer bundleLayer
}

// bundleLayer is the request context of an expanded bundle, decoded once into values that
// every mapped op of the bundle reads, instead of a copy of each in every op's raw map: the
// transform consults it after the span's raw map (spanFacts.index, spanFacts.fact), so an op's
// group and own facts still win over the context. Its values are shared: the transform copies
// them, never moves them (spanFacts.owns), and a span's count of raw facts includes them
// (tooMany). The exception facts of the context are kept apart (exc), as an op's own are.
type bundleLayer struct {
	m    pcommon.Map // the context facts, a later one winning (its key keeps its first place)
	keys []string    // m's keys, values and fact ids (factOf), in m's order
	vals []pcommon.Value
	ids  []int8
	exc  exceptionFacts
}

// build decodes the context facts into l.
func (l *bundleLayer) build(context []bundleFact) {
	if l.m == (pcommon.Map{}) {
		l.m = pcommon.NewMap()
	}
	l.m.EnsureCapacity(len(context))
	for i := range context {
		putFact(l.m, &context[i], &l.exc)
	}
	for k, v := range l.m.All() {
		l.keys = append(l.keys, k)
		l.vals = append(l.vals, v)
		l.ids = append(l.ids, factOf(k))
	}
}

// clear empties l, keeping the room of its map and slices; no value or string of the bundle
// stays reachable from it.
func (l *bundleLayer) clear() {
	if l.m != (pcommon.Map{}) {
		l.m.RemoveIf(removeAll)
	}
	clear(l.keys)
	clear(l.vals)
	l.keys, l.vals, l.ids = l.keys[:0], l.vals[:0], l.ids[:0]
	l.exc = exceptionFacts{}
}

// get is the context fact key, as Map.Get.
func (l *bundleLayer) get(key string) (pcommon.Value, bool) {
	for i, k := range l.keys {
		if k == key {
			return l.vals[i], true
		}
	}
	return pcommon.Value{}, false
}

// tooMany reports whether the raw map of an op of the bundle and the context together hold more
// than maxRawAttributes facts (each key once, as the op's v1 raw map would).
func (l *bundleLayer) tooMany(raw pcommon.Map) bool {
	n := raw.Len()
	if n+len(l.keys) <= maxRawAttributes {
		return false
	}
	for _, k := range l.keys {
		if _, ok := raw.Get(k); !ok {
			n++
		}
	}
	return n > maxRawAttributes
}

// fill puts into raw (the raw map of an op of the bundle) a copy of every context fact it does
// not hold: the op's whole v1 raw map, for the scrub of a transform that failed.
func (l *bundleLayer) fill(raw pcommon.Map) {
	for i, k := range l.keys {
		if _, ok := raw.Get(k); !ok {
			l.vals[i].CopyTo(raw.PutEmpty(k))
		}
	}
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
	b.layer.clear()
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
	total += cap(b.layer.keys)
	if total <= maxPooledBundleFacts {
		b.layer.clear()
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

// expandBundles expands every well-formed bundle among the spans in place (the bundle span
// becomes the request span; its children are appended). A malformed bundle is left as it is:
// its cf.op is unknown to the v1 table, so the transform exports it scrubbed (every cf.* and
// raw payload key removed, values sanitized) and counts it malformed: never dropped. An expanded
// bundle stays with the batch's scratch until releaseBundles: the spans of its mapped ops read
// its context layer (c.layerOf).
func (p *parityProcessor) expandBundles(spans ptrace.SpanSlice, c *counts) {
	n := spans.Len()
	for k := 0; k < n; k++ {
		span := spans.At(k)
		if !isBundle(span) {
			continue
		}
		b := getBundle()
		if err := b.decodeSpan(span); err != nil {
			p.logger.Debug("mcpparity: malformed request bundle exported scrubbed")
			putBundle(b)
			continue
		}
		first := spans.Len() // op i > 0 becomes span first+i-1
		layered := b.expand(span, spans, p.plans)
		s := c.transformScratch(p)
		s.bundles = append(s.bundles, b)
		for i := range b.ops {
			if layered&(1<<i) == 0 {
				continue
			}
			at := k
			if i > 0 {
				at = first + i - 1
			}
			for len(s.layers) <= at {
				s.layers = append(s.layers, nil)
			}
			s.layers[at] = &b.layer
		}
	}
}

// layerOf is the context layer of the span at index k of the spans being transformed (nil: the
// span's raw map holds all its facts).
func (c *counts) layerOf(k int) *bundleLayer {
	if s := c.scratch; s != nil && k < len(s.layers) {
		return s.layers[k]
	}
	return nil
}

// releaseBundles returns the bundles expanded for the spans just transformed to the pool.
func (c *counts) releaseBundles() {
	s := c.scratch
	if s == nil {
		return
	}
	for i, b := range s.bundles {
		putBundle(b)
		s.bundles[i] = nil
	}
	clear(s.layers)
	s.bundles, s.layers = s.bundles[:0], s.layers[:0]
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
		g, err := atoi(target[1:])
		if err != nil || g < 1 || g > maxBundleGroups {
			return fmt.Errorf("%w: group %q", errBundle, target)
		}
		b.defined |= 1 << g
		b.groups[g] = append(b.groups[g], f)
	default:
		i, err := atoi(target)
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
	index, err1 := atoi(fields[0])
	parent, err2 := atoi(fields[2])
	start, err3 := parseUint(fields[3])
	end, err4 := parseUint(fields[4])
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
		g, err := atoi(strings.TrimPrefix(w, "g"))
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

// payloadsOf finds the raw payloads a bundle span carries (bundlePayloads' keys).
func payloadsOf(raw pcommon.Map) (payloads [len(bundlePayloads)]pcommon.Value, has [len(bundlePayloads)]bool) {
	for i, p := range bundlePayloads {
		payloads[i], has[i] = raw.Get(p.key)
	}
	return payloads, has
}

// expand turns the bundle span into the request span and appends one span per child op. plans
// are the processor's op plans (by cf.op): an op the transform maps gets a raw map without the
// context (bit i of layered: op i reads it from b.layer) and its exception facts straight into
// its exception event; any other op is expanded the general way, every fact in its raw map and
// its exception facts put and then moved (setException), so its scrubbed export keeps their order.
func (b *bundle) expand(span ptrace.Span, spans ptrace.SpanSlice, plans map[string]*opPlan) (layered uint64) {
	if !b.opFact {
		b.layer.build(b.context)
	}
	raw := span.Attributes()
	payloads, hasPayload := payloadsOf(raw)
	traceID, bundleID := span.TraceID(), span.SpanID()
	start := uint64(span.StartTimestamp())
	traceState := span.TraceState().AsRaw()
	spans.EnsureCapacity(spans.Len() + len(b.ops) - 1)
	var ids [maxBundleChildOps + 1]pcommon.SpanID // ids[i]: the span id of op i
	ids[0] = bundleID
	for i := 1; i < len(b.ops); i++ {
		ids[i] = ChildSpanID(traceID, bundleID, i)
	}
	for i := 1; i < len(b.ops); i++ {
		op := &b.ops[i]
		child := spans.AppendEmpty()
		child.SetTraceID(traceID)
		child.SetSpanID(ids[i])
		child.SetParentSpanID(ids[op.parent]) // decode checked that the parent is an op
		child.TraceState().FromRaw(traceState)
		child.SetFlags(span.Flags())
		child.SetKind(ptrace.SpanKindInternal)
		child.SetStartTimestamp(pcommon.Timestamp(start + op.start))
		child.SetEndTimestamp(pcommon.Timestamp(start + op.end))
		attrs := child.Attributes()
		exc, direct := b.putOpFacts(attrs, op, plans)
		layer := b.layerIf(direct)
		child.SetName(rawName(op.name, attrs, layer))
		for k, p := range bundlePayloads {
			if hasPayload[k] && op.name == p.owner {
				hasPayload[k] = false // the first op of its owner only
				payloads[k].CopyTo(attrs.PutEmpty(p.key))
			}
		}
		if direct {
			setExceptionFacts(child, exc)
			layered |= 1 << i
		} else {
			setException(child, attrs)
		}
	}
	// The request op is the bundle span itself: same ids, timing and status.
	out := pcommon.NewMap()
	exc, direct := b.putOpFacts(out, &b.ops[0], plans)
	out.MoveTo(raw)
	span.SetName(rawName("request", raw, b.layerIf(direct)))
	if direct {
		setExceptionFacts(span, exc)
		layered |= 1
	} else {
		setException(span, raw)
	}
	return layered
}

// layerIf is b's layer for an op that reads it, else nil.
func (b *bundle) layerIf(layered bool) *bundleLayer {
	if layered {
		return &b.layer
	}
	return nil
}

// putOpFacts writes op's raw map. direct: op is mapped (plans; no fact renames an op): m gets
// cf.op, the op's groups and own facts, the context staying in b.layer, and its exception facts
// (the context's, then its groups', then its own) are kept out of m, in exc. Otherwise m gets
// every fact (putFacts).
func (b *bundle) putOpFacts(m pcommon.Map, op *bundleOpRec, plans map[string]*opPlan) (exc exceptionFacts, direct bool) {
	if b.opFact || plans[op.name] == nil {
		b.putFacts(m, op, nil)
		return exc, false
	}
	exc = b.layer.exc
	n := 1 + len(op.facts) + 2 // + the payloads placed later
	for _, g := range op.groups {
		n += len(b.groups[g])
	}
	m.EnsureCapacity(n)
	m.PutStr(mapping.KeyOp, op.name)
	for _, g := range op.groups {
		for i := range b.groups[g] {
			putFact(m, &b.groups[g][i], &exc)
		}
	}
	for i := range op.facts {
		putFact(m, &op.facts[i], &exc)
	}
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

// rawName is the v1 raw name of an op (contract v1 "Ops" table); layer: the op's context facts
// when attrs does not hold them.
func rawName(op string, attrs pcommon.Map, layer *bundleLayer) string {
	str := func(k string) string {
		v, ok := attrs.Get(k)
		if !ok && layer != nil {
			v, ok = layer.get(k)
		}
		if ok && v.Type() == pcommon.ValueTypeStr {
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
	attrs.EnsureCapacity(2)
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
	i := 0
	for ; i < len(rest); i++ {
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

// digits is the value of s when s is 1 to 18 ASCII digits, without a sign: the common case of
// strconv's parsers, answered without them (ok false: ask strconv, for its answer and error).
func digits(s string) (n uint64, ok bool) {
	if len(s) == 0 || len(s) > 18 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] - '0'
		if c > 9 {
			return 0, false
		}
		n = n*10 + uint64(c)
	}
	return n, true
}

// atoi is strconv.Atoi(s).
func atoi(s string) (int, error) {
	if len(s) <= 9 { // fits an int of 32 bits too
		if n, ok := digits(s); ok {
			return int(n), nil
		}
	}
	return strconv.Atoi(s)
}

// parseUint is strconv.ParseUint(s, 10, 64).
func parseUint(s string) (uint64, error) {
	if n, ok := digits(s); ok {
		return n, nil
	}
	return strconv.ParseUint(s, 10, 64)
}

// parseInt is strconv.ParseInt(s, 10, 64).
func parseInt(s string) (int64, error) {
	if n, ok := digits(s); ok {
		return int64(n), nil
	}
	return strconv.ParseInt(s, 10, 64)
}

// counted reads "<len>:<bytes>".
func (d *decoder) counted() (string, error) {
	colon := strings.IndexByte(d.s[d.pos:], ':')
	if colon < 1 || colon > 10 {
		return "", fmt.Errorf("%w: string length at byte %d", errBundle, d.pos)
	}
	n, err := atoi(d.s[d.pos : d.pos+colon])
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
		n, err := parseInt(w)
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
