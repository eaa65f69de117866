package mcpparityprocessor

import (
	"math/rand"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
)

// treeToolResult is the tree path of putPayload: parse, normalize, redact and encode.
func treeToolResult(p *parityProcessor, text string, max int) (string, bool, bool) {
	parsed, err := payload.ParseString(text)
	if err != nil {
		return "", false, false
	}
	s, redacted := p.redactor.SerializeTracePayloadReport(payload.NormalizeToolResult(parsed), max)
	return s, redacted, true
}

// checkStreamedToolResult: where the streamed path takes a text, it writes what the tree path writes.
func checkStreamedToolResult(t testing.TB, p *parityProcessor, text string, max int) bool {
	s, redacted, _, ok := p.redactor.SerializeTextToolResult(text, max)
	if !ok {
		return false
	}
	want, wantRedacted, parsed := treeToolResult(p, text, max)
	require.True(t, parsed, "streamed a text the parser refuses: %q", text)
	require.Equal(t, want, s, "input %q", text)
	require.Equal(t, wantRedacted, redacted, "input %q", text)
	return true
}

var toolResultPieces = []string{
	`"content"`, `"isError"`, `"structuredContent"`, `"_meta"`, `"type"`, `"text"`, `"annotations"`,
	`"password"`, `"image"`, `"data"`, `"mimeType"`, `"token=abc"`, `"a\u0000b"`, `"\ud800"`, `"Bearer xyz123456789"`,
	`"https://u:p@h/x?api_key=1"`, `"ſecret=é"`, `null`, `true`, `false`, `0`, `1.5`, `{}`, `[]`,
	`{`, `}`, `[`, `]`, `:`, `,`, ` `, `"x"`,
}

// genToolResult builds a likely-shaped result, then sometimes bends it with a random piece.
func genToolResult(rng *rand.Rand) string {
	var b strings.Builder
	b.WriteString(`{`)
	keys := []string{`"content"`, `"isError"`, `"structuredContent"`, `"_meta"`}
	rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	keys = keys[:rng.Intn(len(keys)+1)]
	for i, k := range keys {
		if i > 0 {
			b.WriteString(`,`)
		}
		b.WriteString(k + `:`)
		switch k {
		case `"content"`:
			b.WriteString(`[`)
			for j := rng.Intn(4); j > 0; j-- {
				item := []string{`"type":"text"`, `"text":` + toolResultPieces[7+rng.Intn(10)], `"annotations":null`, `"_meta":null`}
				rng.Shuffle(len(item), func(i, j int) { item[i], item[j] = item[j], item[i] })
				item = item[:1+rng.Intn(len(item))]
				b.WriteString(`{` + strings.Join(item, `,`) + `}`)
				if j > 1 {
					b.WriteString(`,`)
				}
			}
			b.WriteString(`]`)
		case `"isError"`:
			b.WriteString([]string{`true`, `false`, `null`}[rng.Intn(3)])
		default:
			b.WriteString(`null`)
		}
	}
	b.WriteString(`}`)
	s := b.String()
	for n := rng.Intn(3); n > 0 && len(s) > 0; n-- {
		at := rng.Intn(len(s))
		s = s[:at] + toolResultPieces[rng.Intn(len(toolResultPieces))] + s[at:]
	}
	return s
}

func TestStreamedToolResultMatchesTree(t *testing.T) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	rng := rand.New(rand.NewSource(1))
	streamed := 0
	for i := 0; i < 20000; i++ {
		max := []int{0, 40, 64, 200, 10000}[rng.Intn(5)]
		if checkStreamedToolResult(t, p, genToolResult(rng), max) {
			streamed++
		}
	}
	// The common shape must actually take the streamed path.
	require.Greater(t, streamed, 3000)
	require.True(t, checkStreamedToolResult(t, p, benchInput(t, "tool_result_2k.json"), 0))
	for _, unusual := range []string{
		`{"content":[{"type":"text","text":"a","extra":1}]}`,
		`{"content":[{"type":"text","text":"a","type":"text"}]}`,
		`{"content":[{"type":"image","data":"a","mimeType":"x"}]}`,
		`{"content":[{"type":"text"}]}`,
		`{"content":["a"]}`,
		`{"content":[],"isError":0}`,
		`{"content":[],"_meta":{}}`,
		`{"content":[],"content":[]}`,
		`[]`, `"x"`, `{"content":[]`, `{"content":[]}x`,
	} {
		_, _, _, ok := p.redactor.SerializeTextToolResult(unusual, 0)
		require.False(t, ok, unusual)
	}
}

func FuzzStreamedToolResult(f *testing.F) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(f, err)
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 64; i++ {
		f.Add(genToolResult(rng), 64)
	}
	f.Add(benchInput(f, "tool_result_2k.json"), 0)
	f.Fuzz(func(t *testing.T, text string, max int) {
		checkStreamedToolResult(t, p, text, max%20000)
	})
}
