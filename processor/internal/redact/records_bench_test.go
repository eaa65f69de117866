package redact

import (
	"testing"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// benchSerializeJSON serializes the JSON text of testdata/bench/name as a tool.invoke input
// is (SerializeTraceJSON: sensitive members masked, every other string sanitized under its
// field), for BenchmarkSerializeToolArguments2K and the record shapes below.
func benchSerializeJSON(b *testing.B, name string) {
	text := string(benchInput(b, name))
	r := New(nil, Options{JSONQuotedKeys: true})
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := r.SerializeTraceJSON(text, payload.DefaultMaxSize); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSerializeRecordsSameKeys2K: a query and 33 records with the same three keys
// (name, count, tag) and distinct values (records_same_keys_2k.json): the shape the streaming
// pass's key shapes follow.
func BenchmarkSerializeRecordsSameKeys2K(b *testing.B) {
	benchSerializeJSON(b, "records_same_keys_2k.json")
}

// BenchmarkSerializeRecordsDistinctKeys2K: a query and 29 records whose three keys all differ
// from every other record's (records_distinct_keys_2k.json): no record follows the shape the
// one before it left, and no member repeats.
func BenchmarkSerializeRecordsDistinctKeys2K(b *testing.B) {
	benchSerializeJSON(b, "records_distinct_keys_2k.json")
}
