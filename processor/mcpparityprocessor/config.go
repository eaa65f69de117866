package mcpparityprocessor // import "github.com/mcpparity/mcpparity/processor/mcpparityprocessor"

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/internal/redact"
)

// The gateway's own bounds (mcpgateway/config.py), so one operator setting means one thing everywhere.
const (
	defaultMaxTracePayloadSize = 32768 // OTEL_MAX_TRACE_PAYLOAD_SIZE
	minMaxTracePayloadSize     = 256   // pydantic ge=256
	defaultEnvironment         = "development"
	defaultRawScopeName        = mapping.RawScopeName // contract/raw-span-contract.yaml
	defaultBaggageMaxItems     = 32                   // OTEL_BAGGAGE_MAX_ITEMS (1..64)
	defaultBaggageMaxSizeBytes = 8192                 // OTEL_BAGGAGE_MAX_SIZE_BYTES (1024..16384)
)

// baggageKeyPattern is the gateway's BAGGAGE_KEY_REGEX (mcpgateway/baggage.py).
var baggageKeyPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.\-]*$`)

// Config mirrors the gateway's OTEL_* settings; the configurator resolves the tri-states.
type Config struct {
	// LangfuseAttributes is the resolved OTEL_EMIT_LANGFUSE_ATTRIBUTES: emit langfuse.* keys.
	LangfuseAttributes bool `mapstructure:"langfuse_attributes"`
	// IdentityAttributes is OTEL_CAPTURE_IDENTITY_ATTRIBUTES; nil (omitted) follows LangfuseAttributes.
	IdentityAttributes *bool `mapstructure:"identity_attributes"`
	// CaptureInputSpans is OTEL_CAPTURE_INPUT_SPANS: span names (Python names) whose input is captured.
	CaptureInputSpans []string `mapstructure:"capture_input_spans"`
	// CaptureOutputSpans is OTEL_CAPTURE_OUTPUT_SPANS.
	CaptureOutputSpans []string `mapstructure:"capture_output_spans"`
	// RedactFields is OTEL_REDACT_FIELDS; omitted means the gateway's 16 defaults, a list replaces them.
	RedactFields []string `mapstructure:"redact_fields"`
	// MaxTracePayloadSize is OTEL_MAX_TRACE_PAYLOAD_SIZE, in characters (>= 256).
	MaxTracePayloadSize int `mapstructure:"max_trace_payload_size"`
	// DeploymentEnvironment is DEPLOYMENT_ENV: langfuse.environment and the env:<x> trace tag.
	DeploymentEnvironment string `mapstructure:"deployment_environment"`
	// RawScopeNames are the instrumentation scopes whose spans are contract-v1 raw spans.
	RawScopeNames []string `mapstructure:"raw_scope_names"`
	// ScrubForeignSpans sanitizes every string of the spans of other scopes (and their scopes and
	// resources); spans that only look like raw spans are scrubbed whatever it says.
	ScrubForeignSpans bool `mapstructure:"scrub_foreign_spans"`
	// Baggage mirrors OTEL_BAGGAGE_* and the SpanAttributeCustomizer baggage policy.
	Baggage BaggageConfig `mapstructure:"baggage"`
}

// BaggageConfig mirrors the gateway's inbound baggage handling (mcpgateway/baggage.py) and the
// SpanAttributeCustomizer policy that turns baggage into span attributes (observability.py).
type BaggageConfig struct {
	// Enabled is OTEL_BAGGAGE_ENABLED: when false, no baggage.* attributes are emitted.
	Enabled bool `mapstructure:"enabled"`
	// AllowedKeys are the baggage keys of OTEL_BAGGAGE_HEADER_MAPPINGS: inbound baggage is fail-closed to them.
	AllowedKeys []string `mapstructure:"allowed_keys"`
	// MaxItems is OTEL_BAGGAGE_MAX_ITEMS (1..64).
	MaxItems int `mapstructure:"max_items"`
	// MaxSizeBytes is OTEL_BAGGAGE_MAX_SIZE_BYTES (1024..16384).
	MaxSizeBytes int `mapstructure:"max_size_bytes"`
	// EmitPrefixedAttributes is the plugin's emit_baggage_prefixed_attributes: baggage.<k> (true) or <k>.
	EmitPrefixedAttributes bool `mapstructure:"emit_prefixed_attributes"`
	// SpanAttributeAllowlist is the plugin's allowed_baggage_span_attributes; nil (omitted) allows every key.
	SpanAttributeAllowlist []string `mapstructure:"span_attribute_allowlist"`
}

func createDefaultConfig() *Config {
	return &Config{
		CaptureInputSpans:     []string{},
		CaptureOutputSpans:    []string{},
		RedactFields:          redact.DefaultFields(), // the gateway's default (contract/raw-span-contract.yaml)
		MaxTracePayloadSize:   defaultMaxTracePayloadSize,
		DeploymentEnvironment: defaultEnvironment,
		RawScopeNames:         []string{defaultRawScopeName},
		ScrubForeignSpans:     true,
		Baggage: BaggageConfig{
			AllowedKeys:            []string{},
			MaxItems:               defaultBaggageMaxItems,
			MaxSizeBytes:           defaultBaggageMaxSizeBytes,
			EmitPrefixedAttributes: true,
		},
	}
}

// identityAttributes resolves the tri-state: omitted follows langfuse_attributes (observability.py).
func (c *Config) identityAttributes() bool {
	if c.IdentityAttributes == nil {
		return c.LangfuseAttributes
	}
	return *c.IdentityAttributes
}

// Validate rejects values the gateway would refuse at start, naming the key path and the reason.
func (c *Config) Validate() error {
	var errs []error
	bad := func(path, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if c.MaxTracePayloadSize < minMaxTracePayloadSize {
		bad("max_trace_payload_size", "must be >= %d, got %d", minMaxTracePayloadSize, c.MaxTracePayloadSize)
	}
	// The gateway falls back to its defaults for an empty OTEL_REDACT_FIELDS; an explicit empty
	// list here would silently disable key redaction, so it is rejected (omit the key for the defaults).
	if c.RedactFields != nil && len(c.RedactFields) == 0 {
		bad("redact_fields", "must not be empty (omit the key to use the gateway's 16 defaults)")
	}
	for i, f := range c.RedactFields {
		if !hasAlnum(f) {
			bad(fmt.Sprintf("redact_fields[%d]", i), "must contain a letter or digit, got %q", f)
		}
	}
	for i, n := range c.CaptureInputSpans {
		if strings.TrimSpace(n) == "" {
			bad(fmt.Sprintf("capture_input_spans[%d]", i), "must be a span name, got an empty string")
		}
	}
	for i, n := range c.CaptureOutputSpans {
		if strings.TrimSpace(n) == "" {
			bad(fmt.Sprintf("capture_output_spans[%d]", i), "must be a span name, got an empty string")
		}
	}
	if strings.TrimSpace(c.DeploymentEnvironment) == "" {
		bad("deployment_environment", "must not be empty")
	}
	if len(c.RawScopeNames) == 0 {
		bad("raw_scope_names", "must list at least one scope name")
	}
	for i, n := range c.RawScopeNames {
		if n == "" {
			bad(fmt.Sprintf("raw_scope_names[%d]", i), "must not be empty")
		}
	}
	b := c.Baggage
	if b.MaxItems < 1 || b.MaxItems > 64 {
		bad("baggage.max_items", "must be between 1 and 64, got %d", b.MaxItems)
	}
	if b.MaxSizeBytes < 1024 || b.MaxSizeBytes > 16384 {
		bad("baggage.max_size_bytes", "must be between 1024 and 16384, got %d", b.MaxSizeBytes)
	}
	for i, k := range b.AllowedKeys {
		if !baggageKeyPattern.MatchString(k) {
			bad(fmt.Sprintf("baggage.allowed_keys[%d]", i), "must match %s, got %q", baggageKeyPattern, k)
		}
	}
	return errors.Join(errs...)
}

func hasAlnum(s string) bool {
	for _, r := range s {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return true
		}
	}
	return false
}
