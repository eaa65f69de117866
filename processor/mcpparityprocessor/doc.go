// Package mcpparityprocessor is a traces processor that turns the raw spans of the ContextForge Rust MCP
// runtime (contract v1, docs/raw-span-contract.md) into the spans the Python runtime emits,
// applying every gateway policy: names, enrichment, gating, redaction, truncation and status. The only
// differences are the deliberate deviations D1–D9 (docs/parity.md). Spans of other scopes pass
// through, scrubbed when scrub_foreign_spans is on. Self-telemetry: documentation.md (mdatagen).
//
//go:generate mdatagen metadata.yaml
package mcpparityprocessor // import "github.com/mcpparity/mcpparity/processor/mcpparityprocessor"
