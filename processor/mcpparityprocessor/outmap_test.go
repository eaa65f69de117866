package mcpparityprocessor

import (
	"math/rand"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
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

// TestRetiredArraysHoldNothing: a transformed span's raw attribute array is kept zeroed (no key
// or value of the span, a secret among them, stays reachable from the scratch), and a later
// span's exported map is built in it when it has the room.
func TestRetiredArraysHoldNothing(t *testing.T) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	td, ss := rawTraces()
	first := rawSpan(ss, "tool.lookup", "tool.lookup")
	first.Attributes().PutStr("cf.team.name", "ops token=abc123")
	for i := 0; i < 12; i++ { // more facts than the lookup exports: its array has room for the next
		first.Attributes().PutStr("x.unused."+string(rune('a'+i)), "secret=abc123")
	}
	rawSpan(ss, "tool.lookup", "tool.lookup")
	rawArray := unsafe.SliceData(*(*mapLayout)(unsafe.Pointer(ptr(first.Attributes()))).orig)
	var c counts
	p.transformSafe(spanAt(td, 0), &c)
	s := c.scratch
	require.Equal(t, 1, s.nArrays)
	kept := s.arrays[0][:cap(s.arrays[0])]
	require.Same(t, rawArray, unsafe.SliceData(kept))
	for i := range kept {
		assert.Equal(t, keyValueLayout{}, kept[i], "entry %d of the kept array", i)
	}
	p.transformSafe(spanAt(td, 1), &c)
	require.Equal(t, 1, s.nArrays) // the second span's own raw array
	assert.NotSame(t, rawArray, unsafe.SliceData(s.arrays[0]))
	second := spanAt(td, 1).Attributes()
	assert.Same(t, rawArray, unsafe.SliceData(*(*mapLayout)(unsafe.Pointer(&second)).orig), "the next export is built in it")
	c.release()
	want := spanAt(run(t, langfuseConfig(), func() ptrace.Traces {
		one, ss := rawTraces()
		rawSpan(ss, "tool.lookup", "tool.lookup")
		return one
	}()), 0).Attributes()
	assert.Equal(t, keys(want), keys(second))
	assert.Equal(t, want.AsRaw(), second.AsRaw())
}

func ptr(m pcommon.Map) *pcommon.Map { return &m }
