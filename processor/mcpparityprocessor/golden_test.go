package mcpparityprocessor

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
)

// The golden cases are the 19 tools/call captures and the 60 served family captures (roots/list is
// a fallback, no raw span): testdata/golden/<case>/{input.json, config.yaml,
// expected.json}, produced by tests/golden/make_golden.py (see testdata/golden/README.md).

const goldenDir = "testdata/golden"

// goldenSecrets are the fake secrets the recorded calls carry; none may survive the processor.
var goldenSecrets = []string{"hunter2", "abc123", "sekrit-bearer", "k-123", "zzz", "u:p@"}

// maxReportedDiffs bounds the failure report to the first differences.
const maxReportedDiffs = 25

type goldenExpected struct {
	Case          string            `json:"case"`
	IgnoredValues map[string]string `json:"ignored_values"`
	Spans         []goldenSpan      `json:"spans"`
}

type goldenSpan struct {
	Name       string                     `json:"name"`
	Kind       string                     `json:"kind"`
	Parent     json.RawMessage            `json:"parent"` // index, null (root) or "remote"
	Status     goldenStatus               `json:"status"`
	Attributes map[string]json.RawMessage `json:"attributes"`
	Events     []goldenEvent              `json:"events"`
}

type goldenStatus struct {
	Code    string  `json:"code"`
	Message *string `json:"message"`
}

type goldenEvent struct {
	Name       string                     `json:"name"`
	Attributes map[string]json.RawMessage `json:"attributes"`
}

// node is one span of either side in a comparable form: typed attribute values as canonical text.
type node struct {
	name       string
	kind       string
	statusCode string
	statusMsg  string
	attrs      map[string]string
	events     []nodeEvent
	children   []*node
	start      uint64 // actual side only, 0 = unknown
	parentDesc string // "root", "remote" or "" for a child
}

type nodeEvent struct {
	name  string
	attrs map[string]string
}

func TestGoldenCases(t *testing.T) {
	dirs, err := os.ReadDir(goldenDir)
	if err != nil {
		t.Fatalf("reading %s: %v", goldenDir, err)
	}
	ran := 0
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		dir := filepath.Join(goldenDir, d.Name())
		if _, err := os.Stat(filepath.Join(dir, "input.json")); err != nil {
			t.Errorf("%s: no input.json (run `make golden`)", dir)
			continue
		}
		ran++
		t.Run(d.Name(), func(t *testing.T) { runGoldenCase(t, dir) })
	}
	if ran == 0 {
		t.Fatalf("no golden cases under %s", goldenDir)
	}
}

func runGoldenCase(t *testing.T, dir string) {
	input := readTraces(t, filepath.Join(dir, "input.json"))
	inputSpans := input.SpanCount()
	out := processGolden(t, filepath.Join(dir, "config.yaml"), input)

	if got := out.SpanCount(); got != inputSpans {
		t.Errorf("span count: %d raw spans in, %d out (the processor must never drop a span)", inputSpans, got)
	}
	assertNoSecrets(t, out)

	var want goldenExpected
	raw, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	wantRoot, err := expectedTree(want.Spans)
	if err != nil {
		t.Fatalf("expected.json: %v", err)
	}
	gotRoot, problems := actualTree(out)
	diffs := append([]string(nil), problems...)
	if gotRoot != nil {
		diffs = append(diffs, compareNodes(wantRoot, gotRoot, wantRoot.name, want.IgnoredValues)...)
	}
	diffs = append(diffs, checkSharedIDs(out, want.IgnoredValues)...)
	if len(diffs) > 0 {
		shown := diffs
		if len(shown) > maxReportedDiffs {
			shown = shown[:maxReportedDiffs]
		}
		t.Errorf("%s: %d difference(s) from expected.json; first %d:\n  %s", want.Case, len(diffs), len(shown), strings.Join(shown, "\n  "))
	}
}

func readTraces(t *testing.T, path string) ptrace.Traces {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return td
}

// processGolden runs the real processor, built by the factory from the case's config.yaml.
func processGolden(t *testing.T, configPath string, td ptrace.Traces) ptrace.Traces {
	t.Helper()
	cm, err := confmaptest.LoadConf(configPath)
	if err != nil {
		t.Fatalf("%s: %v", configPath, err)
	}
	factory := NewFactory()
	cfg := factory.CreateDefaultConfig().(*Config)
	if err := cm.Unmarshal(cfg); err != nil {
		t.Fatalf("%s: %v", configPath, err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("%s: %v", configPath, err)
	}
	sink := new(consumertest.TracesSink)
	ctx := context.Background()
	proc, err := factory.CreateTraces(ctx, processortest.NewNopSettings(metadata.Type), cfg, sink)
	if err != nil {
		t.Fatalf("creating the processor: %v", err)
	}
	if err := proc.Start(ctx, componenttest.NewNopHost()); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := proc.Shutdown(ctx); err != nil {
			t.Error(err)
		}
	}()
	if err := proc.ConsumeTraces(ctx, td); err != nil {
		t.Fatalf("ConsumeTraces: %v", err)
	}
	all := sink.AllTraces()
	if len(all) != 1 {
		t.Fatalf("expected one exported batch, got %d", len(all))
	}
	return all[0]
}

// assertNoSecrets checks every byte of the export (resource, scope, spans, events, links).
func assertNoSecrets(t *testing.T, td ptrace.Traces) {
	t.Helper()
	raw, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range goldenSecrets {
		if i := bytes.Index(raw, []byte(s)); i >= 0 {
			lo, hi := max(0, i-80), min(len(raw), i+len(s)+40)
			t.Errorf("secret %q reaches the exporter: ...%s...", s, raw[lo:hi])
		}
	}
}

func expectedTree(spans []goldenSpan) (*node, error) {
	nodes := make([]*node, len(spans))
	var root *node
	for i, s := range spans {
		n := &node{name: s.Name, kind: s.Kind, statusCode: s.Status.Code, attrs: map[string]string{}}
		if s.Status.Message != nil {
			n.statusMsg = *s.Status.Message
		}
		for k, v := range s.Attributes {
			c, err := canonicalJSON(v)
			if err != nil {
				return nil, fmt.Errorf("span %d %s attribute %s: %w", i, s.Name, k, err)
			}
			n.attrs[k] = c
		}
		for _, e := range s.Events {
			ev := nodeEvent{name: e.Name, attrs: map[string]string{}}
			for k, v := range e.Attributes {
				c, err := canonicalJSON(v)
				if err != nil {
					return nil, fmt.Errorf("span %d %s event attribute %s: %w", i, s.Name, k, err)
				}
				ev.attrs[k] = c
			}
			n.events = append(n.events, ev)
		}
		nodes[i] = n
	}
	for i, s := range spans {
		p := strings.TrimSpace(string(s.Parent))
		switch {
		case p == "null" || p == "" || p == `"remote"`:
			if root != nil {
				return nil, fmt.Errorf("two roots: %s and %s", root.name, s.Name)
			}
			root = nodes[i]
			root.parentDesc = "root"
			if p == `"remote"` {
				root.parentDesc = "remote"
			}
		default:
			idx, err := strconv.Atoi(p)
			if err != nil || idx < 0 || idx >= len(nodes) {
				return nil, fmt.Errorf("span %d %s: bad parent %s", i, s.Name, p)
			}
			nodes[idx].children = append(nodes[idx].children, nodes[i]) // index order = start order
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root span")
	}
	return root, nil
}

func actualTree(td ptrace.Traces) (*node, []string) {
	var problems []string
	byID := map[pcommon.SpanID]*node{}
	parentOf := map[*node]pcommon.SpanID{}
	var order []*node
	for _, sp := range allSpans(td) {
		n := &node{
			name:       sp.Name(),
			kind:       strings.ToUpper(sp.Kind().String()),
			statusCode: statusCodeName(sp.Status().Code()),
			statusMsg:  sp.Status().Message(),
			attrs:      canonicalMap(sp.Attributes()),
			start:      uint64(sp.StartTimestamp()),
		}
		evs := sp.Events()
		for e := 0; e < evs.Len(); e++ {
			n.events = append(n.events, nodeEvent{name: evs.At(e).Name(), attrs: canonicalMap(evs.At(e).Attributes())})
		}
		if _, dup := byID[sp.SpanID()]; dup {
			problems = append(problems, fmt.Sprintf("span id %s appears twice", sp.SpanID()))
		}
		byID[sp.SpanID()] = n
		parentOf[n] = sp.ParentSpanID()
		order = append(order, n)
	}
	var roots []*node
	for _, n := range order {
		pid := parentOf[n]
		if parent, ok := byID[pid]; ok && !pid.IsEmpty() {
			parent.children = append(parent.children, n)
			continue
		}
		n.parentDesc = "root"
		if !pid.IsEmpty() {
			n.parentDesc = "remote"
		}
		roots = append(roots, n)
	}
	for _, n := range order {
		sort.SliceStable(n.children, func(a, b int) bool { return n.children[a].start < n.children[b].start })
	}
	if len(roots) != 1 {
		names := make([]string, len(roots))
		for i, r := range roots {
			names[i] = r.name
		}
		problems = append(problems, fmt.Sprintf("expected one root span, got %d: %v", len(roots), names))
		if len(roots) == 0 {
			return nil, problems
		}
	}
	return roots[0], problems
}

// compareNodes compares one span and, recursively, its children (matched by name in start order).
func compareNodes(want, got *node, path string, ignored map[string]string) []string {
	var d []string
	add := func(format string, args ...any) { d = append(d, path+": "+fmt.Sprintf(format, args...)) }
	if want.name != got.name {
		add("name: want %q, got %q", want.name, got.name)
	}
	if want.kind != got.kind {
		add("kind: want %s, got %s", want.kind, got.kind)
	}
	if want.parentDesc != got.parentDesc {
		add("parent: want %s, got %s", want.parentDesc, got.parentDesc)
	}
	if want.statusCode != got.statusCode {
		add("status code: want %s, got %s", want.statusCode, got.statusCode)
	}
	if want.statusMsg != got.statusMsg {
		add("status message: want %q, got %q", want.statusMsg, got.statusMsg)
	}
	d = append(d, compareAttrs(path+": attribute", want.attrs, got.attrs, ignored)...)
	if len(want.events) != len(got.events) {
		add("events: want %d %v, got %d %v", len(want.events), eventNames(want.events), len(got.events), eventNames(got.events))
	}
	for i := 0; i < min(len(want.events), len(got.events)); i++ {
		prefix := fmt.Sprintf("%s: event[%d]", path, i)
		if want.events[i].name != got.events[i].name {
			d = append(d, fmt.Sprintf("%s name: want %q, got %q", prefix, want.events[i].name, got.events[i].name))
		}
		d = append(d, compareAttrs(prefix+" attribute", want.events[i].attrs, got.events[i].attrs, nil)...)
	}

	used := make([]bool, len(got.children))
	var matched []*node
	for _, wc := range want.children {
		found := -1
		for j, gc := range got.children {
			if !used[j] && gc.name == wc.name {
				found = j
				break
			}
		}
		if found < 0 {
			add("missing child span %q", wc.name)
			continue
		}
		used[found] = true
		matched = append(matched, got.children[found])
		d = append(d, compareNodes(wc, got.children[found], path+"/"+wc.name, ignored)...)
	}
	for j, gc := range got.children {
		if !used[j] {
			add("unexpected child span %q", gc.name)
		}
	}
	// Sibling order is the start order (e.g. tool.lookup, tool.gateway_call, tool.post_process).
	for i := 1; i < len(matched); i++ {
		a, b := matched[i-1], matched[i]
		if a.start != 0 && b.start != 0 && a.start > b.start {
			add("children out of start order: %q starts after %q", a.name, b.name)
		}
	}
	return d
}

func compareAttrs(prefix string, want, got map[string]string, ignored map[string]string) []string {
	var d []string
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		w, inWant := want[k]
		g, inGot := got[k]
		switch {
		case !inGot:
			d = append(d, fmt.Sprintf("%s %s: missing, want %s", prefix, k, clip(w)))
		case !inWant:
			d = append(d, fmt.Sprintf("%s %s: unexpected, got %s", prefix, k, clip(g)))
		case ignored[k] != "":
			if typeOf(w) != typeOf(g) {
				d = append(d, fmt.Sprintf("%s %s (%s, value not compared): want type %s, got %s", prefix, k, ignored[k], typeOf(w), clip(g)))
			}
		case w != g:
			d = append(d, fmt.Sprintf("%s %s:\n      want %s\n      got  %s%s", prefix, k, clip(w), clip(g), firstDifference(w, g)))
		}
	}
	return d
}

// checkSharedIDs: an ignored generated id (correlation_id, request_id) is still one value per call.
func checkSharedIDs(td ptrace.Traces, ignored map[string]string) []string {
	var d []string
	seen := map[string]map[string]bool{}
	for _, span := range allSpans(td) {
		for _, key := range []string{"correlation_id", "request_id"} {
			if ignored[key] == "" {
				continue
			}
			if v, ok := span.Attributes().Get(key); ok {
				if seen[key] == nil {
					seen[key] = map[string]bool{}
				}
				seen[key][v.AsString()] = true
			}
		}
	}
	for key, values := range seen {
		if len(values) > 1 {
			d = append(d, fmt.Sprintf("%s differs between spans of one call: %v", key, values))
		}
	}
	return d
}

func statusCodeName(c ptrace.StatusCode) string {
	switch c {
	case ptrace.StatusCodeOk:
		return "OK"
	case ptrace.StatusCodeError:
		return "ERROR"
	default:
		return "UNSET"
	}
}

// Canonical typed text: str:..., bool:..., int:..., double:..., [..] for slices, {..} for maps.
func canonicalValue(v pcommon.Value) string {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		return "str:" + strconv.Quote(v.Str())
	case pcommon.ValueTypeBool:
		return "bool:" + strconv.FormatBool(v.Bool())
	case pcommon.ValueTypeInt:
		return "int:" + strconv.FormatInt(v.Int(), 10)
	case pcommon.ValueTypeDouble:
		return "double:" + strconv.FormatFloat(v.Double(), 'g', -1, 64)
	case pcommon.ValueTypeSlice:
		parts := make([]string, v.Slice().Len())
		for i := range parts {
			parts[i] = canonicalValue(v.Slice().At(i))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case pcommon.ValueTypeMap:
		return "{" + canonicalMapText(canonicalMap(v.Map())) + "}"
	case pcommon.ValueTypeBytes:
		return "bytes:" + fmt.Sprintf("%x", v.Bytes().AsRaw())
	default:
		return "empty:"
	}
}

func canonicalMap(m pcommon.Map) map[string]string {
	out := make(map[string]string, m.Len())
	for k, v := range m.All() {
		out[k] = canonicalValue(v)
	}
	return out
}

func canonicalMapText(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = strconv.Quote(k) + ":" + m[k]
	}
	return strings.Join(parts, ",")
}

// canonicalJSON maps an oracle JSON value to the same typed text: a number literal with '.', 'e'
// or 'E' is a double (Python's json writes floats that way), any other number an int.
func canonicalJSON(raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", err
	}
	return canonicalAny(v)
}

func canonicalAny(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return "str:" + strconv.Quote(x), nil
	case bool:
		return "bool:" + strconv.FormatBool(x), nil
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			f, err := x.Float64()
			if err != nil {
				return "", err
			}
			return "double:" + strconv.FormatFloat(f, 'g', -1, 64), nil
		}
		i, err := x.Int64()
		if err != nil {
			return "", err
		}
		return "int:" + strconv.FormatInt(i, 10), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			c, err := canonicalAny(e)
			if err != nil {
				return "", err
			}
			parts[i] = c
		}
		return "[" + strings.Join(parts, ",") + "]", nil
	case map[string]any:
		m := make(map[string]string, len(x))
		for k, e := range x {
			c, err := canonicalAny(e)
			if err != nil {
				return "", err
			}
			m[k] = c
		}
		return "{" + canonicalMapText(m) + "}", nil
	case nil:
		return "empty:", nil
	default:
		return "", fmt.Errorf("unsupported JSON value %T", v)
	}
}

func typeOf(canonical string) string {
	if i := strings.IndexByte(canonical, ':'); i > 0 && !strings.HasPrefix(canonical, "[") && !strings.HasPrefix(canonical, "{") {
		return canonical[:i]
	}
	return canonical[:1]
}

func eventNames(evs []nodeEvent) []string {
	out := make([]string, len(evs))
	for i, e := range evs {
		out[i] = e.name
	}
	return out
}

func clip(s string) string {
	const limit = 300
	if len(s) <= limit {
		return s
	}
	return s[:limit] + fmt.Sprintf("…(%d bytes)", len(s))
}

// firstDifference points at the first differing byte of two long values.
func firstDifference(a, b string) string {
	if len(a) < 120 && len(b) < 120 {
		return ""
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	lo := max(0, i-40)
	return fmt.Sprintf("\n      first difference at byte %d: want …%s…, got …%s…", i, a[lo:min(len(a), i+40)], b[lo:min(len(b), i+40)])
}

// TestGoldenComparer pins the comparer itself: an export built from expected.json matches it, and
// each kind of difference (attribute value, attribute type, status message, event, span) is reported.
func TestGoldenComparer(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(goldenDir, "f_mcp_upstream_jsonrpc_error", "expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want goldenExpected
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&want); err != nil {
		t.Fatal(err)
	}
	wantRoot, err := expectedTree(want.Spans)
	if err != nil {
		t.Fatal(err)
	}
	diff := func(mutate func(ptrace.Span)) []string {
		td := tracesFromExpected(t, want.Spans)
		spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		for i := 0; i < spans.Len(); i++ {
			mutate(spans.At(i))
		}
		got, problems := actualTree(td)
		return append(problems, compareNodes(wantRoot, got, wantRoot.name, want.IgnoredValues)...)
	}
	if d := diff(func(ptrace.Span) {}); len(d) != 0 {
		t.Fatalf("an export equal to expected.json is reported as different:\n%s", strings.Join(d, "\n"))
	}
	cases := map[string]func(ptrace.Span){
		"attribute value": func(s ptrace.Span) {
			if s.Name() == "tool.invoke" {
				s.Attributes().PutStr("tool.name", "other")
			}
		},
		"attribute type": func(s ptrace.Span) {
			if v, ok := s.Attributes().Get("arguments_count"); ok {
				s.Attributes().PutDouble("arguments_count", float64(v.Int()))
			}
		},
		"status message": func(s ptrace.Span) {
			if s.Name() == "mcp.client.request" {
				s.Status().SetMessage("McpError: raw")
			}
		},
		"extra event": func(s ptrace.Span) {
			if s.Name() == "tool.gateway_call" {
				s.Events().AppendEmpty().SetName("exception")
			}
		},
		"renamed span": func(s ptrace.Span) {
			if s.Name() == "mcp.client.initialize" {
				s.SetName("mcp.initialize")
			}
		},
		"ignored value of another type": func(s ptrace.Span) {
			if _, ok := s.Attributes().Get("duration.ms"); ok {
				s.Attributes().PutStr("duration.ms", "fast")
			}
		},
	}
	for name, mutate := range cases {
		if d := diff(mutate); len(d) == 0 {
			t.Errorf("%s: the comparer reports no difference", name)
		}
	}
}

// tracesFromExpected builds an export equal to expected spans (ids and times invented here only).
func tracesFromExpected(t *testing.T, spans []goldenSpan) ptrace.Traces {
	t.Helper()
	td := ptrace.NewTraces()
	out := td.ResourceSpans().AppendEmpty().ScopeSpans().AppendEmpty().Spans()
	id := func(i int) pcommon.SpanID { return pcommon.SpanID{0, 0, 0, 0, 0, 0, 1, byte(i + 1)} }
	for i, s := range spans {
		sp := out.AppendEmpty()
		sp.SetName(s.Name)
		sp.SetSpanID(id(i))
		sp.SetStartTimestamp(pcommon.Timestamp(1000 + i))
		switch s.Kind {
		case "SERVER":
			sp.SetKind(ptrace.SpanKindServer)
		default:
			sp.SetKind(ptrace.SpanKindInternal)
		}
		p := strings.TrimSpace(string(s.Parent))
		if p == `"remote"` {
			sp.SetParentSpanID(pcommon.SpanID{9, 9, 9, 9, 9, 9, 9, 9})
		} else if idx, err := strconv.Atoi(p); err == nil {
			sp.SetParentSpanID(id(idx))
		}
		switch s.Status.Code {
		case "OK":
			sp.Status().SetCode(ptrace.StatusCodeOk)
		case "ERROR":
			sp.Status().SetCode(ptrace.StatusCodeError)
		}
		if s.Status.Message != nil {
			sp.Status().SetMessage(*s.Status.Message)
		}
		putJSONAttrs(t, sp.Attributes(), s.Attributes)
		for _, e := range s.Events {
			ev := sp.Events().AppendEmpty()
			ev.SetName(e.Name)
			putJSONAttrs(t, ev.Attributes(), e.Attributes)
		}
	}
	return td
}

func putJSONAttrs(t *testing.T, m pcommon.Map, attrs map[string]json.RawMessage) {
	t.Helper()
	for k, raw := range attrs {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatal(err)
		}
		putJSONValue(m.PutEmpty(k), v)
	}
}

func putJSONValue(dst pcommon.Value, v any) {
	switch x := v.(type) {
	case string:
		dst.SetStr(x)
	case bool:
		dst.SetBool(x)
	case json.Number:
		if strings.ContainsAny(x.String(), ".eE") {
			f, _ := x.Float64()
			dst.SetDouble(f)
		} else {
			i, _ := x.Int64()
			dst.SetInt(i)
		}
	case []any:
		s := dst.SetEmptySlice()
		for _, e := range x {
			putJSONValue(s.AppendEmpty(), e)
		}
	}
}
