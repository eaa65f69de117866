package jsondepthextension // import "github.com/mcpparity/mcpparity/processor/jsondepthextension"

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension/extensionmiddleware"
)

// guard wraps an HTTP server handler: the body of a JSON request is scanned as it is read.
type guard struct {
	component.StartFunc
	component.ShutdownFunc
	maxDepth int
}

var _ extensionmiddleware.HTTPServer = (*guard)(nil)

func (g *guard) GetHTTPHandler(context.Context) (extensionmiddleware.WrapHTTPHandlerFunc, error) {
	return func(_ context.Context, next http.Handler) (http.Handler, error) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Body != nil && isJSON(r.Header.Get("Content-Type")) {
				r.Body = &depthReader{body: r.Body, max: g.maxDepth}
			}
			next.ServeHTTP(w, r)
		}), nil
	}, nil
}

// isJSON: application/json and any +json type (OTLP/HTTP decodes both as JSON).
func isJSON(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || len(mt) > 5 && mt[len(mt)-5:] == "+json"
}

// ErrTooDeep is what reading a body nested deeper than max_depth returns; the receiver answers 400.
var ErrTooDeep = errors.New("jsondepth: request body nested too deeply")

// depthReader passes bytes through unchanged while tracking the JSON nesting depth outside
// strings; past max it fails every further read.
type depthReader struct {
	body     io.ReadCloser
	max      int
	depth    int
	inString bool
	escaped  bool
	err      error
}

func (d *depthReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.body.Read(p)
	if n > 0 {
		if ok := d.scan(p[:n]); !ok {
			d.err = fmt.Errorf("%w (more than %d levels)", ErrTooDeep, d.max)
			return 0, d.err
		}
	}
	return n, err
}

// scan advances the state over b; false once the depth passes max.
func (d *depthReader) scan(b []byte) bool {
	for _, c := range b {
		if d.inString {
			switch {
			case d.escaped:
				d.escaped = false
			case c == '\\':
				d.escaped = true
			case c == '"':
				d.inString = false
			}
			continue
		}
		switch c {
		case '"':
			d.inString = true
		case '{', '[':
			d.depth++
			if d.depth > d.max {
				return false
			}
		case '}', ']':
			d.depth--
		}
	}
	return true
}

func (d *depthReader) Close() error { return d.body.Close() }
