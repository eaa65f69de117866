package mcpparityprocessor

import (
	"math/rand"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// TestAppendLayout: the pinned pdata lays its map out as appendEmpty writes it, so the exported
// map is built without the scans (a pdata that does not is still correct, only slower: this
// test says when that happens).
func TestAppendLayout(t *testing.T) {
	require.True(t, appendLayoutOK)
}

// TestPutOutIsPutEmpty: any sequence of puts into the span's exported map through putOut,
// getOrPutOut and put (new keys, repeated keys, keys of the same hash bit, setdefault of a key
// present or not) builds the map, in its order, that pcommon's PutEmpty, GetOrPutEmpty and
// PutStr build.
func TestPutOutIsPutEmpty(t *testing.T) {
	names := []string{"tool.name", "tool.id", "user.email", "team.scope", "a", "b", "", "langfuse.trace.tags",
		"success", "duration.ms", "correlation_id", "request_id", "error", "error.type"}
	// Keys that share a bit with an earlier key: the put must scan.
	w0, b0 := outKeyBit("tool.name")
	for i := 0; len(names) < 40 && i < 100000; i++ {
		k := string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676%26))
		if w, b := outKeyBit(k); w == w0 && b == b0 {
			names = append(names, k)
		}
	}
	require.Greater(t, len(names), 20, "keys sharing tool.name's bit")
	rng := rand.New(rand.NewSource(11))
	for round := 0; round < 2000; round++ {
		var c counts
		s := &transformScratch{out: pcommon.NewMap(), donors: pcommon.NewSlice()}
		c.scratch = s
		want := pcommon.NewMap()
		for i, n := 0, rng.Intn(30); i < n; i++ {
			k := names[rng.Intn(len(names))]
			if rng.Intn(4) == 0 {
				k = names[rng.Intn(4)] // often a key already put
			}
			switch rng.Intn(3) {
			case 0:
				c.putOut(s.out, k).SetInt(int64(i))
				want.PutInt(k, int64(i))
			case 1:
				v, present := c.getOrPutOut(s.out, k)
				w, wantPresent := want.GetOrPutEmpty(k)
				require.Equal(t, wantPresent, present, "round %d: %q present", round, k)
				if !present {
					v.SetStr("set")
					w.SetStr("set")
				}
			default:
				c.put(s.out, k, "s")
				want.PutStr(k, "s")
			}
		}
		require.Equal(t, keys(want), keys(s.out), "round %d", round)
		assert.Equal(t, want.AsRaw(), s.out.AsRaw(), "round %d", round)
	}
}
