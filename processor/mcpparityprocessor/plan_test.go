package mcpparityprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
)

// TestPlansMatchTheTable: every op's plan answers what looking each decision up by name answers,
// under a configuration that captures some ops and not others.
func TestPlansMatchTheTable(t *testing.T) {
	for i, k := range contextKeys {
		require.Equal(t, int8(i), factOf(k), k) // a context fact's id is its slot
	}
	require.Len(t, contextKeys, numContextSlots)
	cfg := langfuseConfig()
	cfg.CaptureInputSpans = []string{"tool.invoke", "prompt.render"}
	cfg.CaptureOutputSpans = []string{"resource.read"}
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	slots := map[int32]string{}
	for i := range mapping.Table {
		op := mapping.Lookup(mapping.Table[i].Op)
		pl := p.plans[op.Op]
		require.NotNil(t, pl, op.Op)
		assert.Same(t, op, pl.op)
		assert.Equal(t, p.rowKeys(op.Attributes), pl.attrs, op.Op)
		assert.Equal(t, p.rowKeys(op.AfterIdentity), pl.afterIdentity, op.Op)
		assert.Equal(t, p.rowKeys(op.OutcomeAttributes), pl.outcomes, op.Op)
		assert.Equal(t, p.captures(p.captureIn, op), pl.captureIn, op.Op)
		assert.Equal(t, p.captures(p.captureOut, op), pl.captureOut, op.Op)
		assert.Equal(t, readsTeamIDsAfterEnrich(op), pl.teamIDsAfterEnrich, op.Op)
		for slot, k := range contextKeys {
			assert.Equal(t, op.ReadsLater(k), pl.readLater&(1<<slot) != 0, "%s reads %s later", op.Op, k)
		}
		require.GreaterOrEqual(t, pl.traceName.slot, int32(0))
		require.Less(t, pl.traceName.slot, p.nSlots)
		assert.NotContains(t, slots, pl.traceName.slot, "%s shares a trace name slot", op.Op)
		slots[pl.traceName.slot] = op.Op
	}
	assert.Len(t, p.plans, len(slots))
}
