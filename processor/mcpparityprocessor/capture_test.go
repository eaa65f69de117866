package mcpparityprocessor

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// TestInvalidUTF8PayloadIsMalformed: a captured payload that is JSON (the parser repairs the
// invalid bytes inside its strings, it does not refuse them) or a tool result of the common
// shape (the streamed path) counts its span malformed when its raw text holds invalid UTF-8,
// short or over the cap, and exports it repaired (U+FFFD, valid UTF-8, within the cap); the same
// payload with valid non-ASCII text is not malformed. putPayload's utf8.ValidString is the only
// check that sees these bytes: this fails when it is dropped without a replacement.
func TestInvalidUTF8PayloadIsMalformed(t *testing.T) {
	const maxSize = 256
	args := func(s string) string { return `{"q":"` + s + `","n":1}` }
	result := func(s string) string {
		return `{"content":[{"type":"text","text":"` + s + `"}],"isError":false}`
	}
	long := strings.Repeat("plain words ", 60)
	run := func(t *testing.T, a, r string) (ptrace.Span, int64) {
		cfg := langfuseConfig()
		cfg.MaxTracePayloadSize = maxSize
		td, ss := rawTraces()
		toolInvoke(ss, a, r)
		out, malformed := runCounted(t, cfg, td)
		return spanAt(out, 0), malformed
	}
	for _, tc := range []struct {
		name, text string
		invalid    bool
	}{
		{"valid", "caf\u00e9", false},
		{"invalid", "bad\xff\xfe\xc3(", true},
		{"valid long", "caf\u00e9 " + long, false},
		{"invalid long", "bad\xff " + long, true},
		{"invalid past the cap", long + "\xff", true},
		{"truncated rune", "caf\xc3", true},
	} {
		for _, which := range []string{"arguments", "result"} {
			t.Run(tc.name+" "+which, func(t *testing.T) {
				a, r := args("fine"), result(tc.text)
				key := "langfuse.observation.output"
				if which == "arguments" {
					a, r, key = args(tc.text), result("fine"), "langfuse.observation.input"
				}
				s, malformed := run(t, a, r)
				want := int64(0)
				if tc.invalid {
					want = 1
				}
				assert.Equal(t, want, malformed, "malformed spans")
				got := str(t, s.Attributes(), key)
				assert.True(t, utf8.ValidString(got), "%q", got)
				assert.LessOrEqual(t, utf8.RuneCountInString(got), maxSize)
				if len(tc.text) < 100 {
					assert.Equal(t, tc.invalid, strings.ContainsRune(got, utf8.RuneError), "%q", got)
				}
			})
		}
	}
	// Whole payloads whose bytes the streamed paths read elsewhere: a masked member's value
	// (dropped, never sanitized), a key, after an escape, a duplicate key (the tree decides), a
	// result of another shape (the tree path), an escape that decodes to non-ASCII (valid).
	for _, tc := range []struct {
		name, args, result string
		invalid            bool
	}{
		{"masked invalid", "{\"password\":\"bad\xff\",\"n\":1}", result("fine"), true},
		{"masked valid", `{"password":"café","n":1}`, result("fine"), false},
		{"key invalid", "{\"q\xff\":1}", result("fine"), true},
		{"key valid", `{"clé":1}`, result("fine"), false},
		{"after an escape", args("a\\n b\xff"), result("b\\n c\xfe"), true},
		{"escaped non-ASCII", args(`caf\u00e9`), result(`caf\u00e9`), false},
		{"duplicate key", "{\"q\":1,\"q\":\"bad\xff\"}", result("fine"), true},
		{"result of another shape", args("fine"), "{\"content\":[],\"structuredContent\":{\"k\":\"bad\xff\"}}", true},
		{"result of another shape, valid", args("fine"), `{"content":[],"structuredContent":{"k":"café"}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, malformed := run(t, tc.args, tc.result)
			want := int64(0)
			if tc.invalid {
				want = 1
			}
			assert.Equal(t, want, malformed, "malformed spans")
			for _, key := range []string{"langfuse.observation.input", "langfuse.observation.output"} {
				got := str(t, s.Attributes(), key)
				assert.True(t, utf8.ValidString(got), "%q", got)
			}
		})
	}
}
