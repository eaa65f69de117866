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

// exportKey is a key the processor writes with its policy, looked up once per processor (a
// lookup per exported value costs a string hash), and the slot of its last exported value in
// the batch (transformScratch.last; -1: none).
type exportKey struct {
	name string
	pol  keyPolicy
	// from is the fact id (facts.go) of the raw key a table row reads into the key, -1: none.
	from int8
	slot int32
}

// key is the exportKey of name, without a slot.
func (p *parityProcessor) key(name string) exportKey {
	return exportKey{name: name, pol: p.keys.of(p.redactor, name), from: -1, slot: -1}
}

// slotKey is the exportKey of name with a slot of its own.
func (p *parityProcessor) slotKey(name string) exportKey {
	k := p.key(name)
	k.slot = p.nSlots
	p.nSlots++
	return k
}

// createSpanKeys are the keys create_span and the Langfuse mapping add, with their policies.
type createSpanKeys struct {
	correlationID, requestID, userEmail, teamScope, teamName, authMethod,
	lfUserID, lfSessionID, lfEnvironment, lfTraceName, lfTags exportKey
	// text is free text (boundText): no key, so neither masked nor URL-like, and no slot.
	text exportKey
	// rootName, scopeVersion and excType are free text with a slot each: a request root's
	// name, a raw scope's version, an exception's type name.
	rootName, scopeVersion, excType, traceState exportKey
}

func (p *parityProcessor) newCreateSpanKeys() createSpanKeys {
	return createSpanKeys{
		correlationID: p.slotKey(keyCorrelationID), requestID: p.slotKey(keyRequestID),
		userEmail: p.slotKey(keyUserEmail), teamScope: p.slotKey(keyTeamScope), teamName: p.slotKey(keyTeamName),
		authMethod: p.slotKey(keyAuthMethod), lfUserID: p.slotKey(keyLfUserID), lfSessionID: p.slotKey(keyLfSessionID),
		lfEnvironment: p.slotKey(keyLfEnvironment), lfTraceName: p.slotKey(keyLfTraceName), lfTags: p.slotKey(keyLfTags),
		text:     exportKey{from: -1, slot: -1},
		rootName: p.textSlot(), scopeVersion: p.textSlot(), excType: p.textSlot(), traceState: p.textSlot(),
	}
}

// textSlot is a free-text exportKey (boundText's rules) with a slot of its own.
func (p *parityProcessor) textSlot() exportKey {
	k := exportKey{from: -1, slot: p.nSlots}
	p.nSlots++
	return k
}

// newRowKeys maps each row list of the table (an op's attributes, variants, after-identity and
// outcome rows), by its first row, to the exportKeys of its rows' Python keys.
func (p *parityProcessor) newRowKeys() map[*mapping.Rename][]exportKey {
	m := map[*mapping.Rename][]exportKey{}
	add := func(rows []mapping.Rename) {
		if len(rows) == 0 {
			return
		}
		keys := make([]exportKey, len(rows))
		for i := range rows {
			keys[i] = p.slotKey(rows[i].To)
			keys[i].from = factOf(rows[i].From)
		}
		m[&rows[0]] = keys
	}
	for i := range mapping.Table {
		eachRowList(&mapping.Table[i], add)
	}
	return m
}

// eachRowList calls f with each row list of op: its attributes, after-identity and outcome rows,
// and each variant's rows.
func eachRowList(op *mapping.Op, f func([]mapping.Rename)) {
	f(op.Attributes)
	f(op.AfterIdentity)
	f(op.OutcomeAttributes)
	for _, v := range op.Variants {
		f(v)
	}
}

// rowKeys returns the exportKeys of rows (a row list of the table; another list gets its keys
// computed).
func (p *parityProcessor) rowKeys(rows []mapping.Rename) []exportKey {
	if len(rows) == 0 {
		return nil
	}
	if keys, ok := p.rowKeyTable[&rows[0]]; ok && len(keys) == len(rows) {
		return keys
	}
	keys := make([]exportKey, len(rows))
	for i := range rows {
		keys[i] = p.key(rows[i].To)
		keys[i].from = factOf(rows[i].From)
	}
	return keys
}

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
		eachRowList(op, addAll)
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
