package mcpparityprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// tableFactKeys lists every raw key a rule reads: the context facts, then the table's keys.
func tableFactKeys() []string {
	var keys []string
	seen := map[string]bool{}
	add := func(k string) {
		if k != "" && !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	for _, k := range contextKeys {
		add(k)
	}
	for i := range mapping.Table {
		op := &mapping.Table[i]
		eachRowList(op, func(rows []mapping.Rename) {
			for j := range rows {
				add(rows[j].From)
			}
		})
		for _, pl := range [...]*mapping.Payload{op.Input, op.Output} {
			if pl != nil {
				add(pl.RawKey)
				add(pl.OriginalSizeKey)
			}
		}
		add(op.VariantKey)
		add(op.ResultFlag)
		add(op.SuccessMarked)
	}
	return keys
}

// TestFactIDsCoverTheTable: every raw key the table and the request context read has its own
// fact id (a context fact's is its slot), and no other key has one, however near.
func TestFactIDsCoverTheTable(t *testing.T) {
	keys := tableFactKeys()
	require.LessOrEqual(t, len(keys), maxFacts)
	ids := map[int8]string{}
	for _, k := range keys {
		id := factOf(k)
		require.GreaterOrEqual(t, id, int8(0), "%s has no fact id", k)
		require.Less(t, int(id), maxFacts, k)
		require.NotContains(t, ids, id, "%s shares %s's id", k, ids[id])
		ids[id] = k
	}
	for slot, k := range contextKeys {
		assert.Equal(t, int8(slot), factOf(k), k)
	}
	for _, k := range keys {
		for _, near := range []string{k + " ", " " + k, k[:len(k)-1], k + "x", string(k[0]-32) + k[1:]} {
			if !contains(keys, near) {
				assert.Equal(t, int8(-1), factOf(near), "%q", near)
			}
		}
	}
	assert.Equal(t, int8(-1), factOf(""))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// TestFactIsGet: the index answers each key as raw.Get does, the first of duplicate keys, absent
// keys and keys without an id included.
func TestFactIsGet(t *testing.T) {
	// Duplicates (a hostile span) come only from a decoder: pcommon's Put* replace a key.
	in := `{"resourceSpans":[{"scopeSpans":[{"spans":[{"name":"s","attributes":[
		{"key":"x.other","value":{"stringValue":"o"}},
		{"key":"` + mapping.KeyToolID + `","value":{"stringValue":"first"}},
		{"key":"` + mapping.KeyOp + `","value":{"intValue":"3"}},
		{"key":"` + mapping.KeyToolID + `","value":{"stringValue":"second"}},
		{"key":"` + mapping.KeyOp + `","value":{"stringValue":"tool.invoke"}},
		{"key":"x.other","value":{"stringValue":"p"}}]}]}]}]}`
	td, err := (&ptrace.JSONUnmarshaler{}).UnmarshalTraces([]byte(in))
	require.NoError(t, err)
	raw := spanAt(td, 0).Attributes()
	require.Equal(t, 6, raw.Len())
	f := spanFacts{raw: raw}
	f.index()
	for _, k := range append(tableFactKeys(), "x.other", "y.none") {
		want, wantOK := raw.Get(k)
		got, ok := f.fact(factOf(k), k)
		require.Equal(t, wantOK, ok, k)
		if ok {
			assert.Equal(t, want.AsRaw(), got.AsRaw(), k)
		}
	}
	v, _ := f.fact(factOf(mapping.KeyToolID), mapping.KeyToolID)
	assert.Equal(t, "first", v.Str())
}

// The batch's team-scope memo answers what teamScopeOf answers, span after span: an equal
// array from the memo, any other (an item changed, more or fewer items, a non-string item) anew.
func TestTeamScopeMemoAnswersAsTeamScopeOf(t *testing.T) {
	arrays := [][]any{
		{"a", "b"}, {"a", "b"}, {"a", "c"}, {"a", "c", "d"}, {"a", "c"}, {" a", "c"}, {"a", int64(1)}, {"a", "1"},
		{"a", int64(1)}, {"1", "2", "3", "4", "5", "6", "7", "8", "9"}, {"1", "2", "3", "4", "5", "6", "7", "8"},
		{"1", "2", "3", "4", "5", "6", "7", "8"}, {}, {"", ""}, {"", ""}, {"x"}, {"a", "b"},
	}
	var c counts
	for i, arr := range arrays {
		v := pcommon.NewValueSlice()
		require.NoError(t, v.Slice().FromRaw(arr))
		assert.Equal(t, teamScopeOf(v, true), c.teamScopeOf(v, true), "array %d %v", i, arr)
	}
	assert.Equal(t, "admin", c.teamScopeOf(pcommon.NewValueEmpty(), false))
	assert.Equal(t, "a b", c.teamScopeOf(pcommon.NewValueStr(" a b "), true))
}

// Spans of one batch with different token teams each export their own team scope.
func TestTeamScopePerSpanInABatch(t *testing.T) {
	td, ss := rawTraces()
	teams := [][]any{{"t1", "t2"}, {"t1", "t2"}, {"t1", "t3"}, {"t1", "t2"}}
	for _, ids := range teams {
		s := rawSpan(ss, "tool.lookup", "tool.lookup")
		require.NoError(t, s.Attributes().PutEmptySlice("cf.team.ids").FromRaw(ids))
		s.Attributes().PutStr("gen_ai.tool.name", "echo-tool")
	}
	out := run(t, langfuseConfig(), td)
	require.Equal(t, len(teams), out.SpanCount())
	for i, want := range []string{"t1,t2", "t1,t2", "t1,t3", "t1,t2"} {
		v, ok := spanAt(out, i).Attributes().Get("team.scope")
		require.True(t, ok)
		assert.Equal(t, want, v.Str(), "span %d", i)
	}
}
