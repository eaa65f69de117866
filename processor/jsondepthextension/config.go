package jsondepthextension // import "github.com/mcpparity/mcpparity/processor/jsondepthextension"

import "fmt"

const (
	// defaultMaxDepth allows an OTLP/JSON request whose attribute values nest ~80 levels (each
	// AnyValue level is 3 JSON levels, the envelope 10): more than the protobuf path's 100 message levels.
	defaultMaxDepth = 256
	// minMaxDepth is the OTLP/JSON envelope down to an attribute value, plus a little.
	minMaxDepth = 16
)

// Config of the jsondepth middleware.
type Config struct {
	// MaxDepth is the deepest nesting of JSON objects and arrays a request body may have.
	MaxDepth int `mapstructure:"max_depth"`
}

func createDefaultConfig() *Config { return &Config{MaxDepth: defaultMaxDepth} }

// Validate rejects a depth that would refuse every OTLP/JSON request.
func (c *Config) Validate() error {
	if c.MaxDepth < minMaxDepth {
		return fmt.Errorf("max_depth: must be >= %d (the OTLP/JSON envelope), got %d", minMaxDepth, c.MaxDepth)
	}
	return nil
}
