package redact

import (
	"os"
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

func BenchmarkSanitizeText2K(b *testing.B) {
	text := string(benchInput(b, "text_2k.txt"))
	r := New(nil, Options{JSONQuotedKeys: true})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		_ = r.SanitizeText(text)
	}
}

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

func BenchmarkSanitizeAttributeShort(b *testing.B) {
	r := New(nil, Options{JSONQuotedKeys: true})
	b.ReportAllocs()
	for b.Loop() {
		_ = r.SanitizeAttributeString("tool.name", "echo-tool")
	}
}
