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
		to := map[string]bool{}
		for _, r := range append(append([]Rename(nil), op.Attributes...), op.AfterIdentity...) {
			if strings.HasPrefix(r.To, KeyRawPrefix) || r.To == KeyToolCallArguments || r.To == KeyToolCallResult {
				t.Errorf("%s: %s would export a raw key", op.Op, r.To)
			}
			if to[r.To] {
				t.Errorf("%s: %s written twice", op.Op, r.To)
			}
			to[r.To] = true
			if (r.From == "") == (r.Const == "") {
				t.Errorf("%s: %s must be either a fact or a constant", op.Op, r.To)
			}
		}
		for _, pl := range []*Payload{op.Input, op.Output} {
			if pl != nil && (pl.RawKey == "" || pl.OriginalSizeKey == "" || !strings.HasPrefix(pl.Key, "langfuse.observation.")) {
				t.Errorf("%s: payload row incomplete: %+v", op.Op, *pl)
			}
		}
	}
	if inv := Lookup("tool.invoke"); inv.ResultFlag != KeyResultIsError || len(inv.AfterIdentity) != 1 || inv.AfterIdentity[0].From != KeyServerID {
		t.Errorf("tool.invoke: result flag %q, after identity %+v", inv.ResultFlag, inv.AfterIdentity)
	}
	if Lookup("resources/read") != nil || Lookup("") != nil {
		t.Error("unknown ops must not map")
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
