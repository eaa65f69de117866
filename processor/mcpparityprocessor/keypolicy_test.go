package mcpparityprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"go.opentelemetry.io/collector/processor/processortest"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/mcpparityprocessor/internal/metadata"
)

// The key policies follow the configured redact fields: a table key that names a configured
// field is masked, the same key under the default fields is not.
func TestKeyPolicyFollowsRedactFields(t *testing.T) {
	td, ss := rawTraces()
	toolInvoke(ss, "", "")
	out := run(t, langfuseConfig(), td)
	email, ok := spanAt(out, 0).Attributes().Get(keyUserEmail)
	require.True(t, ok)
	assert.Equal(t, "admin@example.com", email.Str())

	cfg := langfuseConfig()
	cfg.RedactFields = append(cfg.RedactFields, "user.email")
	td, ss = rawTraces()
	toolInvoke(ss, "", "")
	out = run(t, cfg, td)
	email, ok = spanAt(out, 0).Attributes().Get(keyUserEmail)
	require.True(t, ok)
	assert.Equal(t, mask, email.Str())
}

// Every key of the contract table has its policy precomputed, equal to computing it.
func TestKeyPoliciesCoverTheTable(t *testing.T) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	for _, op := range mapping.Table {
		for _, r := range op.Attributes {
			pol, ok := p.keys[r.To]
			require.True(t, ok, "%s: %s has no precomputed policy", op.Op, r.To)
			assert.Equal(t, computeKeyPolicy(p.redactor, r.To), pol, r.To)
		}
	}
	// A key outside the table is computed, not assumed harmless.
	assert.Equal(t, keyMasked, p.keys.of(p.redactor, "api_key")&keyMasked)
	assert.Equal(t, keyURLLike, p.keys.of(p.redactor, "callback_href")&keyURLLike)
}

// The batch memo keeps a value's answer per key kind: the same value under a URL-like key
// and under a plain key is sanitized by each key's rules.
func TestMemoSeparatesURLLikeKeys(t *testing.T) {
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), langfuseConfig())
	require.NoError(t, err)
	var c counts
	v := "https://user:pw@example.com/x?q=1"
	plain := p.attributeString("note", v, &c)
	urlLike := p.attributeString("callback_url", v, &c)
	assert.Equal(t, p.sanitizeValue(0, v), plain)
	assert.Equal(t, p.sanitizeValue(keyURLLike, v), urlLike)
	assert.Equal(t, plain, p.attributeString("note", v, &c), "a memo hit answers what the rules answer")
	assert.NotContains(t, urlLike, "pw")
	assert.Len(t, c.sanitized.plain, 1)
	assert.Len(t, c.sanitized.urlLike, 1)
}

// Every row list of the table (attributes, variants, after-identity and outcome rows) has its
// rows' keys precomputed with the policy computing them gives, under the configured fields; the
// create_span keys too.
func TestExportKeysCoverTheTable(t *testing.T) {
	cfg := langfuseConfig()
	cfg.RedactFields = append(cfg.RedactFields, "tool.name", "user.email")
	p, err := newParityProcessor(processortest.NewNopSettings(metadata.Type), cfg)
	require.NoError(t, err)
	check := func(op string, rows []mapping.Rename) {
		if len(rows) == 0 {
			return
		}
		keys, ok := p.rowKeyTable[&rows[0]]
		require.True(t, ok, "%s: a row list has no precomputed keys", op)
		require.Len(t, keys, len(rows))
		for i, r := range rows {
			assert.Equal(t, r.To, keys[i].name, op)
			assert.Equal(t, computeKeyPolicy(p.redactor, r.To), keys[i].pol, "%s: %s", op, r.To)
			assert.True(t, keys[i].slot >= 0 && keys[i].slot < p.nSlots, "%s: %s has a slot", op, r.To)
		}
	}
	masked := 0
	for i := range mapping.Table {
		op := &mapping.Table[i]
		check(op.Op, op.Attributes)
		check(op.Op, op.AfterIdentity)
		check(op.Op, op.OutcomeAttributes)
		for _, v := range op.Variants {
			check(op.Op, v)
		}
		for i, k := range p.rowKeys(op.Attributes) {
			if op.Attributes[i].To == "tool.name" {
				masked++
				assert.Equal(t, keyMasked, k.pol&keyMasked, "%s: tool.name is a configured field", op.Op)
			}
		}
	}
	assert.Positive(t, masked, "tool.name is a table key")
	assert.Equal(t, keyUserEmail, p.ck.userEmail.name)
	assert.Equal(t, keyMasked, p.ck.userEmail.pol&keyMasked)
	assert.Equal(t, keyURLLike, p.key("callback_href").pol&keyURLLike, "a key outside the table is computed")
}
