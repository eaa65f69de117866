package jsondepthextension // import "github.com/mcpparity/mcpparity/processor/jsondepthextension"

import (
	"context"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/extension"

	"github.com/mcpparity/mcpparity/processor/jsondepthextension/internal/metadata"
)

// NewFactory returns the factory of the jsondepth middleware extension.
func NewFactory() extension.Factory {
	return extension.NewFactory(
		metadata.Type,
		func() component.Config { return createDefaultConfig() },
		func(_ context.Context, _ extension.Settings, cfg component.Config) (extension.Extension, error) {
			return &guard{maxDepth: cfg.(*Config).MaxDepth}, nil
		},
		metadata.ExtensionStability,
	)
}
