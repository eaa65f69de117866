package mcpparityprocessor

import "github.com/mcpparity/mcpparity/processor/internal/mapping"

// opPlan is what a processor derives once from an op of the table, so a span of the op looks
// nothing up by name: its row lists' exportKeys, whether the configuration captures its input
// and output, which request-context facts a later rule reads, and its trace name's slot.
type opPlan struct {
	op                             *mapping.Op
	index                          int // the plan's number (transformScratch.outLen)
	attrs, afterIdentity, outcomes []exportKey
	captureIn, captureOut          bool
	// readLater has bit i set when a rule after the request context reads the fact of context
	// slot i (op.ReadsLater): that fact's value cannot become a spare.
	readLater uint32
	// teamIDsAfterEnrich: a rule after enrich reads the raw token teams (readsTeamIDsAfterEnrich).
	teamIDsAfterEnrich bool
	// traceName holds the op's last langfuse.trace.name text and its answer (traceName).
	traceName exportKey
	// The fact ids (facts.go) of the payloads' raw keys, the variant key and the outcome flags.
	input, output                      payloadFacts
	variant, resultFlag, successMarked int8
}

// newPlans builds the plan of every op of the table, by its cf.op value (as mapping.Lookup).
func (p *parityProcessor) newPlans() map[string]*opPlan {
	plans := make(map[string]*opPlan, len(mapping.Table))
	for i := range mapping.Table {
		op := mapping.Lookup(mapping.Table[i].Op)
		if op == nil || plans[op.Op] != nil {
			continue
		}
		pl := &opPlan{
			op:                 op,
			index:              len(plans),
			attrs:              p.rowKeys(op.Attributes),
			afterIdentity:      p.rowKeys(op.AfterIdentity),
			outcomes:           p.rowKeys(op.OutcomeAttributes),
			captureIn:          p.captures(p.captureIn, op),
			captureOut:         p.captures(p.captureOut, op),
			teamIDsAfterEnrich: readsTeamIDsAfterEnrich(op),
			traceName:          p.textSlot(),
			input:              payloadFactsOf(op.Input),
			output:             payloadFactsOf(op.Output),
			variant:            factOf(op.VariantKey),
			resultFlag:         factOf(op.ResultFlag),
			successMarked:      factOf(op.SuccessMarked),
		}
		for _, key := range contextKeys {
			if op.ReadsLater(key) {
				pl.readLater |= 1 << factOf(key) // a context fact's id is its slot
			}
		}
		plans[op.Op] = pl
	}
	return plans
}

// contextKeys are the raw keys of the context slots (their fact ids, factOf).
var contextKeys = [...]string{
	mapping.KeyOp, mapping.KeyCorrelationID, mapping.KeyCorrelationIDFromHeader, mapping.KeyAuthMethod,
	mapping.KeyUserEmail, mapping.KeyUserIsAdmin, mapping.KeyTeamName, mapping.KeySessionID,
	mapping.KeyBaggage, mapping.KeyHTTPResponseStatusCode, mapping.KeyTeamIDs,
}
