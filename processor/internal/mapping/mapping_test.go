package mapping

import (
	"strings"
	"testing"
)

func TestTableIsWellFormed(t *testing.T) {
	seen := map[string]bool{}
	for _, op := range Table {
		if op.Op == "" || seen[op.Op] {
			t.Errorf("op %q: empty or duplicated", op.Op)
		}
		seen[op.Op] = true
		if Lookup(op.Op) == nil || Lookup(op.Op).Op != op.Op {
			t.Errorf("Lookup(%q) does not return its row", op.Op)
		}
		if op.Request != (op.Kind == KindServer) {
			t.Errorf("%s: only the request root is SERVER", op.Op)
		}
		if op.Request != (op.Name == "") {
			t.Errorf("%s: only the request root keeps its raw name", op.Op)
		}
		sets := [][]Rename{append(append(append([]Rename(nil), op.Attributes...), op.AfterIdentity...), op.OutcomeAttributes...)}
		for _, v := range op.Variants {
			sets = append(sets, append(append([]Rename(nil), v...), op.OutcomeAttributes...))
		}
		for _, set := range sets {
			checkRenames(t, op.Op, set)
		}
		for _, pl := range []*Payload{op.Input, op.Output} {
			// A wrapped payload is built from one short fact: the runtime never caps it.
			if pl != nil && (pl.RawKey == "" || (pl.OriginalSizeKey == "") == (pl.Wrap == "") || !strings.HasPrefix(pl.Key, "langfuse.observation.")) {
				t.Errorf("%s: payload row incomplete: %+v", op.Op, *pl)
			}
		}
		if (op.VariantKey == "") != (len(op.Variants) == 0) {
			t.Errorf("%s: variants need a variant key and the other way round", op.Op)
		}
		if op.SuccessMarked != "" && !op.OutcomeOnSuccess {
			t.Errorf("%s: success_marked only means something with outcome_on_success", op.Op)
		}
	}
	if inv := Lookup("tool.invoke"); inv.ResultFlag != KeyResultIsError || len(inv.AfterIdentity) != 1 || inv.AfterIdentity[0].From != KeyServerID {
		t.Errorf("tool.invoke: result flag %q, after identity %+v", inv.ResultFlag, inv.AfterIdentity)
	}
	if Lookup("resources/read") != nil || Lookup("") != nil {
		t.Error("unknown ops must not map")
	}
}

func checkRenames(t *testing.T, op string, set []Rename) {
	t.Helper()
	to := map[string]bool{}
	for _, r := range set {
		if strings.HasPrefix(r.To, KeyRawPrefix) || r.To == KeyToolCallArguments || r.To == KeyToolCallResult {
			t.Errorf("%s: %s would export a raw key", op, r.To)
		}
		if to[r.To] {
			t.Errorf("%s: %s written twice", op, r.To)
		}
		to[r.To] = true
		if (r.From == "") == (r.Const == "") {
			t.Errorf("%s: %s must be either a fact or a constant", op, r.To)
		}
	}
}

func TestContractV1Ops(t *testing.T) {
	for _, op := range []string{"request", "tool.invoke", "tool.lookup", "tool.gateway_call", "tool.post_process",
		"mcp.client.call", "mcp.client.initialize", "mcp.client.request", "mcp.client.response"} {
		if Lookup(op) == nil {
			t.Errorf("contract v1 op %s has no row", op)
		}
	}
	// D5: every mcp.client.* span says rust.
	for _, op := range Table {
		if !strings.HasPrefix(op.Op, "mcp.client.") {
			continue
		}
		found := false
		for _, r := range append(append([]Rename(nil), op.Attributes...), op.AfterIdentity...) {
			if r.To == "contextforge.runtime" && r.Const == "rust" {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: contextforge.runtime=rust missing (D5)", op.Op)
		}
	}
}

// A row may move its raw value only when nothing else reads that fact: the request root's
// url.path feeds http.route and url.path, so neither row moves it; a fact one row copies does.
func TestSoleReaders(t *testing.T) {
	sole := func(op, to string) bool {
		t.Helper()
		o := Lookup(op)
		for _, rows := range [][]Rename{o.Attributes, o.AfterIdentity, o.OutcomeAttributes} {
			for _, r := range rows {
				if r.To == to {
					return r.SoleReader
				}
			}
		}
		t.Fatalf("%s has no row for %s", op, to)
		return false
	}
	if sole("request", "http.route") || sole("request", "url.path") {
		t.Error("url.path is read by two rows of the request root: neither may move it")
	}
	if !sole("tool.invoke", "tool.name") {
		t.Error("tool.invoke's tool.name is its fact's only reader")
	}
	// The invariant itself, over the whole table: a sole reader's fact is read by no other row,
	// no payload capture, no variant key, no outcome flag.
	for i := range Table {
		op := &Table[i]
		seen := map[string]int{}
		lists := [][]Rename{op.Attributes, op.AfterIdentity, op.OutcomeAttributes}
		for _, v := range op.Variants {
			lists = append(lists, v)
		}
		for _, rows := range lists {
			for _, r := range rows {
				seen[r.From]++
			}
		}
		for _, rows := range lists {
			for _, r := range rows {
				if !r.SoleReader {
					continue
				}
				if seen[r.From] != 1 || r.Derive != DeriveNone || r.From == op.VariantKey || r.From == op.ResultFlag ||
					r.From == op.SuccessMarked || r.From == KeyHTTPResponseStatusCode {
					t.Errorf("%s: %s -> %s is marked sole reader but its fact is read again", op.Op, r.From, r.To)
				}
				for _, pl := range []*Payload{op.Input, op.Output} {
					if pl != nil && (r.From == pl.RawKey || r.From == pl.OriginalSizeKey) {
						t.Errorf("%s: %s is a payload and a sole-reader row", op.Op, r.From)
					}
				}
			}
		}
	}
}

// ReadsLater names every fact a rule reads after the request context, so the transform never
// hands such a fact's value to another key: a row's fact, a payload, the variant key.
func TestReadsLater(t *testing.T) {
	op := &Op{
		Op:         "test.op",
		Attributes: []Rename{{From: KeyUserEmail, To: "user"}},
		Input:      &Payload{RawKey: KeyToolCallArguments, OriginalSizeKey: KeyArgumentsOriginalSize, Key: InputKey},
		VariantKey: "cf.variant",
	}
	markSoleReaders(op)
	for _, key := range []string{KeyUserEmail, KeyToolCallArguments, KeyArgumentsOriginalSize, "cf.variant", KeyHTTPResponseStatusCode} {
		if !op.ReadsLater(key) {
			t.Errorf("%s is read later but ReadsLater says no", key)
		}
	}
	if op.ReadsLater(KeyAuthMethod) {
		t.Error("no rule of the op reads cf.auth.method after the request context")
	}
	if !Lookup("request").ReadsLater("url.path") {
		t.Error("the request root's rows read url.path")
	}
}
