package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestDriverLines(t *testing.T) {
	in := strings.Join([]string{
		`{"fn":"sanitize_trace_text","text":"token=abc Bearer xyz"}`,
		`{"fn":"sanitize_trace_text","text":"{\"password\": \"hunter2\"}","deviations":false}`,
		`{"fn":"sanitize_trace_text","text":"{\"password\": \"hunter2\"}"}`,
		`{"fn":"sanitize_trace_attribute_value","key":"langfuse.trace.tags","value":["auth:jwt","x=token=1"]}`,
		`{"fn":"serialize_trace_payload","value":{"b":1.0,"a":12345678901234567890123,"c":NaN},"max_size":256,"redact_fields":["b"]}`,
		`{"fn":"sanitize_span_exception_message","text":"","type":"ToolTimeoutError"}`,
		`{"fn":"sanitize_url_for_logging","url":"https://u:p@h/x?api_key=1&q=a%20b"}`,
		`{"fn":"sanitize_url_for_logging","url":"http://[::1/x?token=1"}`,
		`not json`,
		`{"fn":"nope"}`,
		``,
		`{"fn":"sanitize_trace_text","text":"api_key=1 custom=2","redact_fields":["custom"]}`,
	}, "\n")
	var out bytes.Buffer
	if err := run(strings.NewReader(in), &out); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"result":"token=*** Bearer ***"}`,
		`{"result":"{\"password\": \"hunter2\"}"}`,
		`{"result":"{\"password\": \"***\"}"}`,
		`{"result":["auth:jwt","x=token=***"]}`,
		`{"result":"{\"b\":\"***\",\"a\":12345678901234567890123,\"c\":NaN}"}`,
		`{"result":"ToolTimeoutError"}`,
		`{"result":"https://REDACTED:REDACTED@h/x?api_key=REDACTED&q=a+b"}`,
		`{"result":"REDACTED","oracle_raises":"ValueError: Invalid IPv6 URL"}`,
		"error",
		`{"error":"unknown fn \"nope\""}`,
		"error",
		`{"result":"api_key=1 custom=***"}`,
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(got) != len(want) {
		t.Fatalf("%d answers for %d lines:\n%s", len(got), len(want), out.String())
	}
	for i := range want {
		if want[i] == "error" {
			var m map[string]any
			if json.Unmarshal([]byte(got[i]), &m) != nil || m["error"] == nil {
				t.Errorf("line %d: want an error, got %s", i, got[i])
			}
			continue
		}
		if got[i] != want[i] {
			t.Errorf("line %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}
}

func BenchmarkDriverLine(b *testing.B) {
	line := `{"fn":"sanitize_trace_text","text":"GET https://h/x?token=1 password=2 Authorization: Bearer abc","deviations":false}` + "\n"
	in := strings.Repeat(line, 1000)
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		if err := run(strings.NewReader(in), &out); err != nil {
			b.Fatal(err)
		}
	}
}
