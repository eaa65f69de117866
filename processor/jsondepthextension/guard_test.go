package jsondepthextension

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/extension/extensiontest"

	"github.com/mcpparity/mcpparity/processor/jsondepthextension/internal/metadata"
)

// serve sends body through the guard to a handler that reads it all, like the OTLP receiver.
func serve(t *testing.T, maxDepth int, contentType, body string) (status int, read string) {
	t.Helper()
	cfg := createDefaultConfig()
	cfg.MaxDepth = maxDepth
	ext, err := NewFactory().Create(context.Background(), extensiontest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	require.NoError(t, ext.Start(context.Background(), componenttest.NewNopHost()))
	defer func() { require.NoError(t, ext.Shutdown(context.Background())) }()
	wrap, err := ext.(*guard).GetHTTPHandler(context.Background())
	require.NoError(t, err)
	h, err := wrap(context.Background(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			assert.True(t, errors.Is(err, ErrTooDeep), err)
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		read = string(b)
	}))
	require.NoError(t, err)
	req := httptest.NewRequest(http.MethodPost, "/v1/traces", strings.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, read
}

func nested(depth int) string {
	return strings.Repeat(`{"a":[`, depth) + "1" + strings.Repeat("]}", depth)
}

func TestDepthBound(t *testing.T) {
	cases := []struct {
		name, contentType, body string
		max                     int
		refused                 bool
	}{
		{"flat request passes unchanged", "application/json", `{"resourceSpans":[{"scopeSpans":[]}]}`, 16, false},
		{"exactly max levels", "application/json", nested(8), 16, false},
		{"one level more", "application/json", nested(8) + "[" + nested(8) + "]", 16, true},
		{"600,000 levels", "application/json", strings.Repeat("[", 600_000), 256, true},
		{"brackets inside strings do not count", "application/json", `{"a":"` + strings.Repeat("[{", 1000) + `\"[["}`, 16, false},
		{"escaped quote keeps the string open", "application/json", `["\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["]`, 16, false},
		{"charset parameter", "application/json; charset=utf-8", strings.Repeat("[", 100), 16, true},
		{"+json type", "application/x-otlp+json", strings.Repeat("[", 100), 16, true},
		{"protobuf is not scanned", "application/x-protobuf", strings.Repeat("[", 100), 16, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, read := serve(t, tc.max, tc.contentType, tc.body)
			if tc.refused {
				assert.Equal(t, http.StatusBadRequest, status)
				return
			}
			assert.Equal(t, http.StatusOK, status)
			assert.Equal(t, tc.body, read, "the body passes byte for byte")
		})
	}
}

func TestConfigValidate(t *testing.T) {
	assert.NoError(t, createDefaultConfig().Validate())
	err := (&Config{MaxDepth: 3}).Validate()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max_depth")
}

// BenchmarkScan: the guard's cost per byte of a flat OTLP/JSON body.
func BenchmarkScan(b *testing.B) {
	body := []byte(strings.Repeat(`{"key":"k","value":{"stringValue":"password=x \"quoted\" [1,2]"}},`, 4096))
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		d := depthReader{max: defaultMaxDepth}
		if !d.scan(body) {
			b.Fatal("refused")
		}
	}
}
