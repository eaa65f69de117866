package mcpparityprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// withRow swaps one op row for the test, so a test proves the processor reads the table (generated
// from contract/raw-span-contract.yaml) rather than a literal of its own.
func withRow(t *testing.T, op string, edit func(*mapping.Op)) {
	t.Helper()
	row := mapping.Lookup(op)
	require.NotNil(t, row, op)
	saved := *row
	edit(row)
	t.Cleanup(func() { *row = saved })
}

func TestResultFlagComesFromTheOpTable(t *testing.T) {
	isErrorResult := func() bool {
		td, ss := rawTraces()
		s := toolInvoke(ss, "", `{"content":[],"isError":true}`)
		s.Attributes().PutBool("cf.result.is_error", true)
		out := spanAt(run(t, langfuseConfig(), td), 0).Attributes()
		v, ok := out.Get("success")
		require.True(t, ok)
		return !v.Bool()
	}
	assert.True(t, isErrorResult(), "the generated row's result flag (cf.result.is_error) marks the isError result")
	withRow(t, "tool.invoke", func(op *mapping.Op) { op.ResultFlag = "" })
	assert.False(t, isErrorResult(), "a row without a result flag reads none")
}

func TestServerIDComesFromTheOpTable(t *testing.T) {
	serverID := func() (string, bool) {
		td, ss := rawTraces()
		s := toolInvoke(ss, "", "")
		s.Attributes().PutStr(mapping.KeyServerID, "9f1c2d3e")
		s.Attributes().PutStr("cf.test.other", "other-id")
		out := spanAt(run(t, langfuseConfig(), td), 0).Attributes()
		v, ok := out.Get("server_id")
		return v.AsString(), ok
	}
	id, ok := serverID()
	assert.True(t, ok)
	assert.Equal(t, "9f1c2d3e", id)
	withRow(t, "tool.invoke", func(op *mapping.Op) {
		op.AfterIdentity = []mapping.Rename{{From: "cf.test.other", To: "server_id", Type: mapping.TypeString}}
	})
	id, _ = serverID()
	assert.Equal(t, "other-id", id, "the row's after_identity names the fact")
}
