package mcpparityprocessor

import (
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// formatTeamScope mirrors utils/trace_context.format_trace_team_scope: absent ids = "admin"
// (unrestricted token), [] = "public", else up to 5 ids joined by "," and ",..." beyond.
func formatTeamScope(raw pcommon.Map) string {
	return teamScopeOf(raw.Get(mapping.KeyTeamIDs))
}

// teamScopeOf is formatTeamScope of the token teams already looked up (ok: present).
func teamScopeOf(v pcommon.Value, ok bool) string {
	if !ok {
		return "admin"
	}
	return formatTeamScopeValue(v)
}

// teamScopeMemo remembers the team scope of one token teams value: a string array of 2 to
// maxMemoTeams ids (its items as they were, so an equal array is recognized by comparing them).
type teamScopeMemo struct {
	ids   [maxMemoTeams]string
	n     int // 0: nothing remembered
	scope string
}

const maxMemoTeams = 8

// teamScopeOf is teamScopeOf(v, ok), the scope of a string array of several ids remembered for
// the next span of the batch: its string is built once, not once per span.
func (c *counts) teamScopeOf(v pcommon.Value, ok bool) string {
	if !ok || v.Type() != pcommon.ValueTypeSlice {
		return teamScopeOf(v, ok)
	}
	sl := v.Slice()
	n := sl.Len()
	if n < 2 || n > maxMemoTeams {
		return teamScopeOf(v, ok)
	}
	m := &c.teams
	same := m.n == n
	for i := 0; i < n; i++ {
		item := sl.At(i)
		if item.Type() != pcommon.ValueTypeStr {
			return teamScopeOf(v, ok)
		}
		same = same && item.Str() == m.ids[i]
	}
	if same {
		return m.scope
	}
	m.scope = formatTeamScopeValue(v)
	for i := 0; i < n; i++ {
		m.ids[i] = sl.At(i).Str()
	}
	m.n = n
	return m.scope
}

// formatTeamScopeValue formats present token teams (a string[]; another type: its text).
func formatTeamScopeValue(v pcommon.Value) string {
	if v.Type() != pcommon.ValueTypeSlice {
		if s := strings.TrimSpace(asText(v)); s != "" {
			return s
		}
		return "public"
	}
	sl := v.Slice()
	// The common scope is one id: that id itself, without building a string.
	only, n := "", 0
	for i := 0; i < sl.Len() && n < 2; i++ {
		if id := strings.TrimSpace(asText(sl.At(i))); id != "" {
			only = id
			n++
		}
	}
	switch n {
	case 0:
		return "public"
	case 1:
		return only
	}
	var b strings.Builder
	n = 0
	for i := 0; i < sl.Len(); i++ {
		id := strings.TrimSpace(asText(sl.At(i)))
		if id == "" {
			continue
		}
		if n == maxTeamsInScope {
			b.WriteString(",...")
			break
		}
		if n > 0 {
			b.WriteByte(',')
		}
		b.WriteString(id)
		n++
	}
	if n == 0 {
		return "public"
	}
	return b.String()
}

// primaryTeam mirrors primary_team_from_scope: the first concrete id, none for admin/public.
func primaryTeam(scope string) string {
	if scope == "" || scope == "admin" || scope == "public" {
		return ""
	}
	for rest, more := scope, true; more; {
		var part string
		part, rest, more = strings.Cut(rest, ",")
		if part = strings.TrimSpace(part); part != "" && part != "..." {
			return part
		}
	}
	return ""
}

// enrich adds create_span's automatic keys in its order, skipping keys the span already has.
func (p *parityProcessor) enrich(span ptrace.Span, out pcommon.Map, f *spanFacts, c *counts) {
	op := f.op
	if op.Identity && p.identity {
		// tool_service passes these in the span's own dict: "anonymous" when no email.
		email := f.userEmail
		if email == "" {
			email = "anonymous"
		}
		p.putSpare(out, p.ck.userEmail, email, f, c)
		scope := f.teamScope
		if scope == "" {
			scope = "admin"
		}
		p.putSpare(out, p.ck.teamScope, scope, f, c)
	}
	for i := range op.AfterIdentity {
		p.putFact(out, &op.AfterIdentity[i], f.plan.afterIdentity[i], f, c)
	}
	if op.Input != nil && p.langfuse && f.plan.captureIn {
		p.putPayload(out, op.Input, f.plan.input, f, c)
	}
	if f.correlationID != "" {
		p.putAbsentStr(out, p.ck.correlationID, f.correlationID, f, c)
		p.putAbsentStr(out, p.ck.requestID, f.correlationID, f, c)
	}
	if p.identity {
		if f.userEmail != "" {
			p.putAbsentStr(out, p.ck.userEmail, f.userEmail, f, c)
		}
		if f.userEmail != "" || f.isAdmin {
			if v, present := out.GetOrPutEmpty(keyUserIsAdmin); !present {
				v.SetBool(f.isAdmin)
			}
		}
		if f.teamScope != "" {
			p.putAbsentStr(out, p.ck.teamScope, f.teamScope, f, c)
		}
		if f.teamName != "" {
			p.putAbsentStr(out, p.ck.teamName, f.teamName, f, c)
		}
	}
	if f.authMethod != "" {
		p.putSpare(out, p.ck.authMethod, f.authMethod, f, c)
	}
	if p.langfuse {
		if p.identity && f.userEmail != "" {
			p.putSpare(out, p.ck.lfUserID, f.userEmail, f, c)
		}
		if f.sessionID != "" {
			p.putSpare(out, p.ck.lfSessionID, f.sessionID, f, c)
		}
		env := p.cfg.DeploymentEnvironment
		p.putSpare(out, p.ck.lfEnvironment, env, f, c)
		team := primaryTeam(f.teamScope)
		if !p.identity {
			team = ""
		}
		if team != "" || f.authMethod != "" || env != "" {
			// A tag whose value is empty or ends with ':' ends with ':' and is left out.
			tagValues := [...]string{team, f.authMethod, env}
			n := 0
			for _, v := range tagValues {
				if !strings.HasSuffix(v, ":") && v != "" {
					n++
				}
			}
			tags := p.tagsSlice(out, f, n, c)
			for i, v := range tagValues {
				if !strings.HasSuffix(v, ":") && v != "" {
					c.setStr(tags.AppendEmpty(), p.tag(i, v, c))
				}
			}
		}
		p.putSpare(out, p.ck.lfTraceName, p.traceName(span.Name(), f, out, c), f, c)
		if !f.failed() {
			c.put(out, keyLfLevel, "DEFAULT") // a failure sets ERROR after the error keys (set_span_error)
		}
	}
	p.putBaggage(out, f, c)
}

// tagsSlice puts an empty langfuse.trace.tags with room for n values. When no later rule of the
// op reads the raw token teams (a string array, already read into team.scope) and the span owns
// that value (not a bundle's shared context: spanFacts.owns), it becomes the tags slice: its
// array is reused and its strings are donated to the tags.
func (p *parityProcessor) tagsSlice(out pcommon.Map, f *spanFacts, n int, c *counts) pcommon.Slice {
	if !f.hasTeamIDs || f.teamIDs.Type() != pcommon.ValueTypeSlice || f.plan.teamIDsAfterEnrich || !f.owns(slotTeamIDs) {
		tags := out.PutEmptySlice(keyLfTags)
		tags.EnsureCapacity(n)
		return tags
	}
	dest := out.PutEmpty(keyLfTags)
	f.teamIDs.MoveTo(dest)
	f.hasTeamIDs = false
	tags := dest.Slice()
	c.transformScratch(p).donateItems(tags)
	tags.RemoveIf(func(pcommon.Value) bool { return true }) // keeps the array
	tags.EnsureCapacity(n)
	return tags
}

// readsTeamIDsAfterEnrich reports whether a rule that runs after enrich (finishOp: the outcome
// rows, the success mark, the output capture) reads the raw token teams.
func readsTeamIDsAfterEnrich(op *mapping.Op) bool {
	for i := range op.OutcomeAttributes {
		if op.OutcomeAttributes[i].From == mapping.KeyTeamIDs {
			return true
		}
	}
	return op.SuccessMarked == mapping.KeyTeamIDs || op.ResultFlag == mapping.KeyTeamIDs ||
		(op.Output != nil && (op.Output.RawKey == mapping.KeyTeamIDs || op.Output.OriginalSizeKey == mapping.KeyTeamIDs))
}

// tagPrefixes are the prefixes of the langfuse.trace.tags values, in their order.
var tagPrefixes = [...]string{"team:", "auth:", "env:"}

// tag is exported langfuse.trace.tags value i, tagPrefixes[i]+v with the rules of the key: the
// tag's slot (the last value of the tag in the batch) or the batch memo answers without building
// prefix+v as a string first.
func (p *parityProcessor) tag(i int, v string, c *counts) string {
	last := c.lastOf(p.tagKeys[i])
	if last != nil && last.set && last.s == v {
		return p.cut(last.clean, c)
	}
	var buf [96]byte
	b := append(append(buf[:0], tagPrefixes[i]...), v...)
	pol := p.ck.lfTags.pol
	valid := utf8.Valid(b)
	clean, ok := "", false
	if pol&keyMasked == 0 && c.sanitized != nil && len(b) <= maxMemoValueBytes && valid {
		clean, ok = c.sanitized.of(pol & keyURLLike)[string(b)]
	}
	if !ok {
		clean = p.sanitizeUnder(pol, p.validText(string(b), c), c)
	}
	if valid {
		// The tag exported as it is (prefix and v): the slot may keep v after the batch.
		keep := len(clean) == len(tagPrefixes[i])+len(v) && clean[len(tagPrefixes[i]):] == v
		c.remember(last, p.tagKeys[i].slot, v, clean, false, keep)
	}
	return p.cut(clean, c)
}

// putAbsentStr is create_span's attributes.setdefault: a key the span's own dict holds, even as
// None (blocked), keeps its value.
func (p *parityProcessor) putAbsentStr(out pcommon.Map, k exportKey, s string, f *spanFacts, c *counts) {
	if f.isBlocked(k.name) {
		return
	}
	if dest, present := out.GetOrPutEmpty(k.name); !present {
		p.setSpare(dest, p.exportString(k, s, c), f, c)
	}
}

// captures reports whether the span's Python name is in a capture list (matched exactly).
func (p *parityProcessor) captures(list map[string]struct{}, op *mapping.Op) bool {
	_, ok := list[op.Name]
	return ok
}

// traceName mirrors _derive_langfuse_trace_name over the already sanitized, policy-filtered keys.
// The op's slot answers for the text it met last (an exported value: the slot may keep it).
func (p *parityProcessor) traceName(name string, f *spanFacts, out pcommon.Map, c *counts) string {
	op := f.op
	if op.TraceNameFixed != "" {
		return op.TraceNameFixed
	}
	if op.TraceNameKey != "" {
		if v, ok := out.Get(op.TraceNameKey); ok && v.AsString() != "" {
			text := v.AsString()
			last := c.lastOf(f.plan.traceName)
			if last != nil && last.set && last.s == text {
				return last.clean
			}
			traceName := op.TraceNamePrefix + p.redactor.SanitizeText(text)
			c.remember(last, f.plan.traceName.slot, text, traceName, false, true)
			return traceName
		}
	}
	return name
}
