package mcpparityprocessor

import "go.opentelemetry.io/collector/pdata/pcommon"

// putSpare is putStr that writes the exported string into a spare raw value of the span
// (spanFacts.spares: a request-context fact already read, that no later rule reads) instead of
// allocating a new one; without a spare it is putStr. The raw map the spare leaves empty is
// replaced by the exported one at the end of the transform.
func (p *parityProcessor) putSpare(out pcommon.Map, key, s string, f *spanFacts, c *counts) {
	clean := p.exportString(key, s, c)
	if f.nSpares > 0 {
		f.nSpares--
		spare := f.spares[f.nSpares]
		dest := out.PutEmpty(key)
		spare.MoveTo(dest)
		dest.SetStr(clean)
		return
	}
	out.PutStr(key, clean)
}
