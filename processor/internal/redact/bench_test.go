package redact

import (
	"os"
	"strings"
	"testing"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

func benchInput(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile("testdata/bench/" + name)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func benchSanitizeText(b *testing.B, name string) {
	text := string(benchInput(b, name))
	r := New(nil, Options{JSONQuotedKeys: true})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		_ = r.SanitizeText(text)
	}
}

// BenchmarkSanitizeText2K: log-like text with a few secrets (text_2k.txt).
func BenchmarkSanitizeText2K(b *testing.B) { benchSanitizeText(b, "text_2k.txt") }

// BenchmarkSanitizeTextClean2K: tool output without secrets (text_clean_2k.txt): separators,
// quotes, URLs, JSON fragments and non-ASCII words, none of which a rule changes.
func BenchmarkSanitizeTextClean2K(b *testing.B) { benchSanitizeText(b, "text_clean_2k.txt") }

// BenchmarkSanitizeTextSecrets2K: a secret every ~30 bytes (text_secrets_2k.txt): key=value,
// quoted values, D3 keys, Bearer/Basic and URLs with userinfo and api_key.
func BenchmarkSanitizeTextSecrets2K(b *testing.B) { benchSanitizeText(b, "text_secrets_2k.txt") }

func benchSerialize(b *testing.B, name string) {
	v, err := payload.Parse(benchInput(b, name))
	if err != nil {
		b.Fatal(err)
	}
	r := New(nil, Options{JSONQuotedKeys: true})
	b.ReportAllocs()
	for b.Loop() {
		_ = r.SerializeTracePayload(v, payload.DefaultMaxSize)
	}
}

func BenchmarkSerializeTracePayload2K(b *testing.B)  { benchSerialize(b, "payload_2k.json") }
func BenchmarkSerializeTracePayload40K(b *testing.B) { benchSerialize(b, "payload_40k.json") }

// BenchmarkSerializeToolArguments2K: the arguments of the processor's BenchmarkToolInvoke2KB
// (tool_args_2k.json), serialized as a tool.invoke input is: JSON parsed, sensitive members
// masked, every other string sanitized under its field.
func BenchmarkSerializeToolArguments2K(b *testing.B) { benchSerializeJSON(b, "tool_args_2k.json") }

// BenchmarkSerializeToolResult2K: the result of the processor's BenchmarkToolInvoke2KB
// (tool_result_2k.json), one text item of 62 "password=hunter2", serialized as a tool.invoke
// output is.
func BenchmarkSerializeToolResult2K(b *testing.B) {
	text := string(benchInput(b, "tool_result_2k.json"))
	r := New(nil, Options{JSONQuotedKeys: true})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, _, ok := r.SerializeTextToolResult(text, payload.DefaultMaxSize); !ok {
			b.Fatal("not the streamed tool result")
		}
	}
}

func BenchmarkSanitizeAttributeShort(b *testing.B) {
	r := New(nil, Options{JSONQuotedKeys: true})
	b.ReportAllocs()
	for b.Loop() {
		_ = r.SanitizeAttributeString("tool.name", "echo-tool")
	}
}

// TestBenchTextsOracleShape keeps the benchmark texts what their names say: the oracle leaves
// text_clean_2k.txt unchanged (so does the engine, with and without D3) and masks 57 values
// of text_secrets_2k.txt as *** and 15 as REDACTED (D3 adds the "password": "…" values).
func TestBenchTextsOracleShape(t *testing.T) {
	read := func(name string) string {
		data, err := os.ReadFile("testdata/bench/" + name)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	clean := read("text_clean_2k.txt")
	for _, opts := range []Options{{}, {JSONQuotedKeys: true}} {
		if out := New(nil, opts).SanitizeText(clean); out != clean {
			t.Errorf("text_clean_2k.txt changed (%+v):\n%s", opts, out)
		}
	}
	out := New(nil, Options{}).SanitizeText(read("text_secrets_2k.txt"))
	if n, m := strings.Count(out, Mask), strings.Count(out, URLMask); n != 57 || m != 15 {
		t.Errorf("text_secrets_2k.txt: %d *** and %d REDACTED, the oracle gives 57 and 15", n, m)
	}
}
