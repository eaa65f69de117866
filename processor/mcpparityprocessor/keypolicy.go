package mcpparityprocessor

import (
	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/internal/redact"
)

// keyPolicy is what sanitize_trace_attribute_value decides from a key alone: its value is
// masked whole (the key names a redact field), or goes through the URL rules (D10). Both
// answers normalize the key; the keys the processor writes are a fixed set (the contract
// table's and the ones create_span adds), so their policies are computed once per processor.
type keyPolicy uint8

const (
	keyMasked keyPolicy = 1 << iota
	keyURLLike
)

// keyPolicies maps every key the processor writes to its policy; read-only after newKeyPolicies.
type keyPolicies map[string]keyPolicy

func newKeyPolicies(r *redact.Redactor) keyPolicies {
	kp := keyPolicies{}
	add := func(key string) {
		if key != "" {
			kp[key] = computeKeyPolicy(r, key)
		}
	}
	addAll := func(rs []mapping.Rename) {
		for i := range rs {
			add(rs[i].To)
		}
	}
	for i := range mapping.Table {
		op := &mapping.Table[i]
		addAll(op.Attributes)
		addAll(op.AfterIdentity)
		addAll(op.OutcomeAttributes)
		for _, v := range op.Variants {
			addAll(v)
		}
		for _, pl := range [...]*mapping.Payload{op.Input, op.Output} {
			if pl != nil {
				add(pl.Key)
			}
		}
	}
	for _, key := range [...]string{
		keyCorrelationID, keyRequestID, keyUserEmail, keyUserIsAdmin, keyTeamScope, keyTeamName,
		keyAuthMethod, keyLfUserID, keyLfSessionID, keyLfEnvironment, keyLfTags, keyLfTraceName,
		keyLfLevel, keyLfStatusMsg, keySuccess, keyDurationMS, keyError, keyErrorType,
		keyErrorMessage, keyExcType, keyExcMessage, keyExcEscaped, keyExcStacktrace,
	} {
		add(key)
	}
	return kp
}

func computeKeyPolicy(r *redact.Redactor, key string) keyPolicy {
	var kp keyPolicy
	if r.KeyMatches(key) {
		kp |= keyMasked
	}
	if redact.FieldLooksLikeURL(key) {
		kp |= keyURLLike
	}
	return kp
}

// of returns the policy of key: from the table for the processor's own keys, computed for any
// other (a baggage key, a foreign span's key), so the answer never depends on the table.
func (kp keyPolicies) of(r *redact.Redactor, key string) keyPolicy {
	if pol, ok := kp[key]; ok {
		return pol
	}
	return computeKeyPolicy(r, key)
}
