"""mcpparity configurator: gateway settings in, otelcol-mcpparity config out."""
