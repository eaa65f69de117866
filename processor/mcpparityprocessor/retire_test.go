package mcpparityprocessor

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// rawMapOf is a raw attribute map of n string values (key i, value "raw-secret-i").
func rawMapOf(n int) pcommon.Map {
	m := pcommon.NewMap()
	for i := 0; i < n; i++ {
		m.PutStr("k"+strconv.Itoa(i), "raw-secret-"+strconv.Itoa(i))
	}
	return m
}

// rooms are the lengths of the arrays s keeps.
func rooms(s *transformScratch) []int32 {
	var r []int32
	for n := range s.retired {
		if s.held&(1<<n) != 0 {
			r = append(r, int32(n))
		}
	}
	return r
}

// TestRetiredArrays: a transformed span's raw map is emptied, its strings donated, and its array
// kept for a later span's exported map: the kept array of least length that holds the export,
// else a new array; long arrays (a malformed span's) are not kept, one array per length, and a
// full scratch keeps the longest.
func TestRetiredArrays(t *testing.T) {
	s := scratches.New().(*transformScratch)
	raw := rawMapOf(12)
	raw.PutInt("n", 1)
	s.retire(raw)
	assert.Zero(t, raw.Len(), "emptied")
	assert.Equal(t, []int32{13}, rooms(s))
	require.Equal(t, 12, s.nDonors, "the strings are donated")
	for i := 0; i < s.nDonors; i++ {
		assert.Contains(t, s.donors.At(i).Str(), "raw-secret-")
	}

	out := pcommon.NewMap()
	s.reuse(out, 14)
	assert.Equal(t, []int32{13}, rooms(s), "too short: kept for another span")
	out.Clear()
	s.reuse(out, 13)
	assert.Empty(t, rooms(s))
	assert.Zero(t, out.Len(), "a reused array shows nothing of its raw map")

	for _, n := range []int{20, 9, 15} {
		s.retire(rawMapOf(n))
	}
	out.Clear()
	s.reuse(out, 12)
	assert.ElementsMatch(t, []int32{20, 9}, rooms(s), "the least that holds 12")
	out.Clear()
	s.reuse(out, 21)
	assert.ElementsMatch(t, []int32{20, 9}, rooms(s))

	s.retire(rawMapOf(maxRetiredRoom + 1))
	assert.Equal(t, []int32{9, 20}, rooms(s), "a malformed span's array is not kept")
	same := rawMapOf(9)
	s.retire(same)
	assert.Equal(t, []int32{9, 20}, rooms(s), "one array per length")
	assert.Equal(t, 9, same.Len(), "not kept: not emptied")
	for _, n := range []int{10, 11, 12, 13, 14, 16} {
		s.retire(rawMapOf(n))
	}
	require.Len(t, rooms(s), maxRetired)
	s.retire(rawMapOf(5))
	assert.Equal(t, []int32{9, 10, 11, 12, 13, 14, 16, 20}, rooms(s), "full: a shorter array is not kept")
	s.retire(rawMapOf(30))
	assert.Equal(t, []int32{10, 11, 12, 13, 14, 16, 20, 30}, rooms(s), "full: a longer one replaces the shortest")
	assert.Len(t, rooms(s), maxRetired)
}

// TestRetiredArrayServesTheNextSpan: a span whose exported map fits in an earlier raw map's
// array allocates no array (the cycle retire, reuse, build, move into the span allocates nothing).
func TestRetiredArrayServesTheNextSpan(t *testing.T) {
	s := scratches.New().(*transformScratch)
	keys := make([]string, 12)
	for i := range keys {
		keys[i] = "out" + strconv.Itoa(i)
	}
	raw, out := pcommon.NewMap(), pcommon.NewMap()
	for _, k := range keys {
		raw.PutEmpty(k)
	}
	allocs := testing.AllocsPerRun(100, func() {
		s.retire(raw)
		s.reuse(out, len(keys))
		for _, k := range keys {
			out.PutEmpty(k)
		}
		out.MoveTo(raw)
	})
	assert.Zero(t, allocs)
	assert.Equal(t, len(keys), raw.Len())
}
