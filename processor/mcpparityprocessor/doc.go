// Package mcpparityprocessor is a traces processor that turns the raw spans of the ContextForge Rust MCP
// runtime (contract v1, docs/raw-span-contract.md) into the spans the Python runtime emits,
// applying every gateway policy: names, enrichment, gating, redaction, truncation and status.
//
//go:generate mdatagen metadata.yaml
package mcpparityprocessor // import "github.com/mcpparity/mcpparity/processor/mcpparityprocessor"
