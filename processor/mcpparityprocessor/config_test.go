package mcpparityprocessor

import (
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"
	"go.yaml.in/yaml/v3"

	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
)

func loadConfig(t *testing.T, name string) (*Config, error) {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig().(*Config)
	if err := sub.Unmarshal(cfg); err != nil {
		return nil, err
	}
	return cfg, confmap.Validate(cfg)
}

func TestLoadConfig(t *testing.T) {
	cfg, err := loadConfig(t, "")
	require.NoError(t, err)
	assert.Equal(t, createDefaultConfig(), cfg)
	assert.False(t, cfg.identityAttributes(), "omitted identity follows langfuse_attributes (false)")
	assert.Len(t, cfg.RedactFields, 16)

	cfg, err = loadConfig(t, "full")
	require.NoError(t, err)
	assert.Equal(t, &Config{
		LangfuseAttributes:    true,
		IdentityAttributes:    boolPtr(false),
		CaptureInputSpans:     []string{"tool.invoke"},
		CaptureOutputSpans:    []string{"tool.invoke"},
		RedactFields:          []string{"query", "password"},
		MaxTracePayloadSize:   256,
		DeploymentEnvironment: "production",
		RawScopeNames:         []string{"contextforge.mcp_runtime", "contextforge.mcp_runtime.v2"},
		ScrubForeignSpans:     false,
		Baggage: BaggageConfig{
			Enabled: true, AllowedKeys: []string{"tenant.id", "user.tier"}, MaxItems: 8, MaxSizeBytes: 2048,
			EmitPrefixedAttributes: false, SpanAttributeAllowlist: []string{"tenant.id"},
		},
	}, cfg)
	assert.False(t, cfg.identityAttributes())

	_, err = loadConfig(t, "too_small_payload")
	assert.EqualError(t, err, "max_trace_payload_size: must be >= 256, got 100")
	_, err = loadConfig(t, "empty_redact_fields")
	assert.ErrorContains(t, err, "redact_fields: must not be empty")
	_, err = loadConfig(t, "unknown_key")
	assert.ErrorContains(t, err, "langfuse")
}

func TestIdentityFollowsLangfuse(t *testing.T) {
	cfg := createDefaultConfig()
	cfg.LangfuseAttributes = true
	assert.True(t, cfg.identityAttributes())
	cfg.IdentityAttributes = boolPtr(false)
	assert.False(t, cfg.identityAttributes())
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string // "" = valid
	}{
		{name: "defaults", mutate: func(*Config) {}},
		{name: "minimum payload size", mutate: func(c *Config) { c.MaxTracePayloadSize = 256 }},
		{name: "payload size below minimum", mutate: func(c *Config) { c.MaxTracePayloadSize = 255 }, want: "max_trace_payload_size: must be >= 256, got 255"},
		{name: "empty redact list", mutate: func(c *Config) { c.RedactFields = []string{} }, want: "redact_fields: must not be empty"},
		{name: "redact field without letters", mutate: func(c *Config) { c.RedactFields = []string{"password", "--"} }, want: `redact_fields[1]: must contain a letter or digit, got "--"`},
		{name: "blank capture name", mutate: func(c *Config) { c.CaptureInputSpans = []string{"tool.invoke", " "} }, want: "capture_input_spans[1]: must be a span name"},
		{name: "blank output capture name", mutate: func(c *Config) { c.CaptureOutputSpans = []string{""} }, want: "capture_output_spans[0]: must be a span name"},
		{name: "empty environment", mutate: func(c *Config) { c.DeploymentEnvironment = "" }, want: "deployment_environment: must not be empty"},
		{name: "no raw scopes", mutate: func(c *Config) { c.RawScopeNames = nil }, want: "raw_scope_names: must list at least one scope name"},
		{name: "blank raw scope", mutate: func(c *Config) { c.RawScopeNames = []string{""} }, want: "raw_scope_names[0]: must not be empty"},
		{name: "baggage items", mutate: func(c *Config) { c.Baggage.MaxItems = 65 }, want: "baggage.max_items: must be between 1 and 64, got 65"},
		{name: "baggage size", mutate: func(c *Config) { c.Baggage.MaxSizeBytes = 1000 }, want: "baggage.max_size_bytes: must be between 1024 and 16384, got 1000"},
		{name: "baggage key", mutate: func(c *Config) { c.Baggage.AllowedKeys = []string{"1bad"} }, want: `baggage.allowed_keys[0]: must match`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := createDefaultConfig()
			tt.mutate(cfg)
			err := cfg.Validate()
			if tt.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tt.want)
		})
	}
	// Every problem is reported, not just the first.
	cfg := createDefaultConfig()
	cfg.MaxTracePayloadSize = 1
	cfg.DeploymentEnvironment = " "
	err := cfg.Validate()
	require.Error(t, err)
	assert.Len(t, strings.Split(err.Error(), "\n"), 2)
}

// TestConfigSchemaMatchesConfig keeps config.schema.yaml (read by the configurator's validate) in
// step with Config: the same keys at every level, and the same defaults.
func TestConfigSchemaMatchesConfig(t *testing.T) {
	raw, err := os.ReadFile("config.schema.yaml")
	require.NoError(t, err)
	var schema map[string]any
	require.NoError(t, yaml.Unmarshal(raw, &schema))
	assert.Equal(t, false, schema["additionalProperties"])

	defaults := confmap.New()
	require.NoError(t, defaults.Marshal(createDefaultConfig()))
	compareSchema(t, "", schema, reflect.TypeOf(Config{}), defaults.ToStringMap())
}

func compareSchema(t *testing.T, path string, schema map[string]any, typ reflect.Type, defaults map[string]any) {
	props, ok := schema["properties"].(map[string]any)
	require.Truef(t, ok, "%s: schema has no properties", path)
	var structKeys []string
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		key := f.Tag.Get("mapstructure")
		structKeys = append(structKeys, key)
		prop, ok := props[key].(map[string]any)
		if !assert.Truef(t, ok, "%s%s: in Config, not in config.schema.yaml", path, key) {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			sub, _ := defaults[key].(map[string]any)
			compareSchema(t, path+key+".", prop, f.Type, sub)
			continue
		}
		assert.Equalf(t, normalize(defaults[key]), normalize(prop["default"]), "%s%s: default", path, key)
	}
	var schemaKeys []string
	for k := range props {
		schemaKeys = append(schemaKeys, k)
	}
	sort.Strings(structKeys)
	sort.Strings(schemaKeys)
	assert.Equalf(t, structKeys, schemaKeys, "%s: keys of Config and config.schema.yaml", path)
}

// normalize makes YAML and confmap values comparable ([]string vs []any, int widths).
func normalize(v any) any {
	switch x := v.(type) {
	case []string:
		if x == nil {
			return nil
		}
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []any:
		if x == nil {
			return nil
		}
		return x
	case int:
		return int64(x)
	case int64:
		return x
	}
	return v
}
