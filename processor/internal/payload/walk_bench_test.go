package payload

import (
	"os"
	"testing"
)

// nopRules is a Redaction that changes nothing: the walk's own cost.
type nopRules struct{}

func (nopRules) MaskMember(string) (string, bool)            { return "", false }
func (nopRules) Restart()                                    {}
func (nopRules) Text(_, s string, plain bool) (string, bool) { return s, plain }

// BenchmarkSerializeJSONRedactedWalk: the streaming pass over the tool.invoke arguments of the
// processor's benchmark (redact's testdata) with rules that change nothing: the walk alone.
func BenchmarkSerializeJSONRedactedWalk(b *testing.B) {
	data, err := os.ReadFile("../redact/testdata/bench/tool_args_2k.json")
	if err != nil {
		b.Fatal(err)
	}
	text := string(data)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := SerializeJSONRedacted(text, DefaultMaxSize, nopRules{}); err != nil {
			b.Fatal(err)
		}
	}
}
