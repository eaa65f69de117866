// Package jsondepthextension is an HTTP server middleware that refuses a JSON request body nested
// deeper than max_depth before any decoder sees it. The OTLP/HTTP receiver decodes OTLP/JSON
// recursively: without a bound a 4 MiB body nested 150,000 levels deep costs ~130 MiB of
// goroutine stack, and the protobuf path already stops at 100 message levels. The scan is one
// streaming pass over the decompressed body (no buffering), so a request costs no more memory
// than its flat decoding.
//
//go:generate mdatagen metadata.yaml
package jsondepthextension // import "github.com/mcpparity/mcpparity/processor/jsondepthextension"
