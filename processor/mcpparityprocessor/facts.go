package mcpparityprocessor

import (
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// A raw span's facts are found in the pass over its attributes that reads the request context
// (spanFacts.index), not by a Map.Get per rule: Get scans the map from its start (a missing fact
// scans all of it), and an op reads a dozen facts. Every raw key a rule can read has a number
// (its fact id, factOf); the pass keeps, per id, the first value of the key, as Get finds it.

// maxFacts bounds the fact ids (spanFacts.have is a bit per id).
const maxFacts = 64

// factOf is the fact id of a raw key, -1 for a key no rule reads: the request-context facts
// first, in their context slot's order (the id of a context fact is its slot), then each raw key
// of the table in its order (rows of every list and variant, payloads, variant keys, outcome
// flags). A switch: the compiler's search on the length and the bytes costs a fraction of a map's
// hash and probe. TestFactIDsCoverTheTable keeps it equal to the table: a key the table reads
// and the switch does not list would still be read, by Get (spanFacts.fact).
func factOf(k string) int8 {
	switch k {
	case mapping.KeyOp:
		return 0
	case mapping.KeyCorrelationID:
		return 1
	case mapping.KeyCorrelationIDFromHeader:
		return 2
	case mapping.KeyAuthMethod:
		return 3
	case mapping.KeyUserEmail:
		return 4
	case mapping.KeyUserIsAdmin:
		return 5
	case mapping.KeyTeamName:
		return 6
	case mapping.KeySessionID:
		return 7
	case mapping.KeyBaggage:
		return 8
	case mapping.KeyHTTPResponseStatusCode:
		return 9
	case mapping.KeyTeamIDs:
		return 10
	case mapping.KeyHTTPRequestMethod:
		return 11
	case mapping.KeyURLPath:
		return 12
	case mapping.KeyURLQuery:
		return 13
	case mapping.KeyNetworkProtocolVersion:
		return 14
	case mapping.KeyServerAddress:
		return 15
	case mapping.KeyServerPort:
		return 16
	case mapping.KeyClientAddress:
		return 17
	case mapping.KeyClientPort:
		return 18
	case mapping.KeyUserAgentOriginal:
		return 19
	case mapping.KeyGenAIToolName:
		return 20
	case mapping.KeyToolID:
		return 21
	case mapping.KeyToolIntegrationType:
		return 22
	case mapping.KeyToolGatewayID:
		return 23
	case mapping.KeyArgumentsCount:
		return 24
	case mapping.KeyRequestHasHeaders:
		return 25
	case mapping.KeyServerID:
		return 26
	case mapping.KeyToolCallArguments:
		return 27
	case mapping.KeyArgumentsOriginalSize:
		return 28
	case mapping.KeyToolCallResult:
		return 29
	case mapping.KeyResultOriginalSize:
		return 30
	case mapping.KeyResultIsError:
		return 31
	case mapping.KeyUpstreamToolName:
		return 32
	case mapping.KeyUpstreamTransport:
		return 33
	case mapping.KeyURLFull:
		return 34
	case mapping.KeyUpstreamSuccess:
		return 35
	case mapping.KeyListIncludeInactive:
		return 36
	case mapping.KeyListTagsCount:
		return 37
	case mapping.KeyListLimit:
		return 38
	case mapping.KeyListUserEmail:
		return 39
	case mapping.KeyListTeamIDs:
		return 40
	case mapping.KeyListIncludeMetrics:
		return 41
	case mapping.KeyListDefinitionMode:
		return 42
	case mapping.KeyListVariant:
		return 43
	case mapping.KeyMCPResourceURI:
		return 44
	case mapping.KeyCallerUser:
		return 45
	case mapping.KeyResourceRequestID:
		return 46
	case mapping.KeyResourceContent:
		return 47
	case mapping.KeySuccessMarked:
		return 48
	case mapping.KeyGenAIPromptName:
		return 49
	case mapping.KeyTenantID:
		return 50
	case mapping.KeyPromptRequestID:
		return 51
	case mapping.KeyPromptCanonicalName:
		return 52
	case mapping.KeyPromptVersion:
		return 53
	case mapping.KeyPromptMessagesCount:
		return 54
	case mapping.KeyPromptArguments:
		return 55
	case mapping.KeyPromptResult:
		return 56
	case mapping.KeyMCPProtocolVersion:
		return 57
	case mapping.KeyMCPSessionID:
		return 58
	}
	return -1
}

// index finds the facts of the raw span in one pass; as Map.Get, the first of duplicate keys
// counts. Then the facts of the layer that raw does not hold (a bundle's context: raw's facts
// win, as they would in the op's v1 raw map).
func (f *spanFacts) index() {
	f.raw.Range(func(k string, v pcommon.Value) bool {
		if id := factOf(k); id >= 0 && f.have&(1<<id) == 0 {
			f.vals[id] = v
			f.have |= 1 << id
		}
		return true
	})
	if f.layer != nil {
		f.indexLayer()
	}
}

// indexLayer adds the facts of f.layer that f.raw does not hold.
func (f *spanFacts) indexLayer() {
	l := f.layer
	for i, id := range l.ids {
		if id >= 0 && f.have&(1<<id) == 0 {
			f.vals[id] = l.vals[i]
			f.have |= 1 << id
			f.shared |= 1 << id
		}
	}
}

// fact is f.raw.Get(key) for the raw key whose fact id is id (factOf(key)): the value the index
// found, or Get's answer for a key without an id (the layer's when raw has none).
func (f *spanFacts) fact(id int8, key string) (pcommon.Value, bool) {
	if id < 0 {
		v, ok := f.raw.Get(key)
		if !ok && f.layer != nil {
			v, ok = f.layer.get(key)
		}
		return v, ok
	}
	return f.vals[id], f.have&(1<<id) != 0
}

// owns reports whether the value of the fact of id id is the span's own (in its raw map): a
// rule may move it or write into it. A layer's value is shared by the ops of its bundle.
func (f *spanFacts) owns(id int8) bool {
	return f.layer == nil || (id >= 0 && f.shared&(1<<id) == 0)
}

// payloadFacts are the fact ids of a payload capture's raw keys.
type payloadFacts struct{ raw, size int8 }

func payloadFactsOf(pl *mapping.Payload) payloadFacts {
	if pl == nil {
		return payloadFacts{-1, -1}
	}
	return payloadFacts{factOf(pl.RawKey), factOf(pl.OriginalSizeKey)}
}
