package mcpparityprocessor

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// resourceRead adds a resource.read raw span for uri (local content, success).
func resourceRead(ss ptrace.ScopeSpans, uri string) ptrace.Span {
	s := rawSpan(ss, "resource.read", "resources/read "+uri)
	a := s.Attributes()
	a.PutStr("mcp.method.name", "resources/read")
	a.PutStr("mcp.resource.uri", uri)
	a.PutStr("cf.caller.user", "admin@example.com")
	a.PutStr("cf.resource.content", `{"type":"resource","id":"991e2cf1d0ae417091ff8f6522934784","uri":"docs://handbook/intro","mimeType":"text/plain","text":"Welcome to the handbook. Ask the platform team for access.","blob":null,"_meta":null}`)
	return s
}

func TestResourceReadAttributesInPythonOrder(t *testing.T) {
	td, ss := rawTraces()
	resourceRead(ss, "docs://handbook/intro")
	a := spanAt(run(t, langfuseConfig(), td), 0)
	assert.Equal(t, "resource.read", a.Name())
	m := a.Attributes()
	assert.Equal(t, []string{"resource.uri", "user", "resource.type", "correlation_id", "user.email", "user.is_admin",
		"team.scope", "auth.method", "langfuse.user.id", "langfuse.environment", "langfuse.trace.tags",
		"langfuse.trace.name", "langfuse.observation.level", "success", "duration.ms", "content.size"}, keys(m))
	// request_id: the explicit None of resource_service blocks create_span's setdefault (pitfall 2/3).
	_, has := m.Get("request_id")
	assert.False(t, has)
	assert.Equal(t, "Resource: docs://handbook/intro", str(t, m, "langfuse.trace.name"))
	size, _ := m.Get("content.size")
	assert.Equal(t, int64(190), size.Int(), "len(str(ResourceContent)) of the captured read")
	assert.Equal(t, ptrace.StatusCodeOk, a.Status().Code())
}

func TestD8ResourceURIGetsTextRulesThenURLRules(t *testing.T) {
	td, ss := rawTraces()
	resourceRead(ss, "config://vault/db/password=hunter2&mode=ro")
	https := resourceRead(ss, "https://u:pw@files.example.com/q3.txt?api_key=res-ak-111&v=3")
	_ = https
	out := run(t, langfuseConfig(), td)
	secret := spanAt(out, 0).Attributes()
	assert.Equal(t, "config://vault/db/password=***&mode=ro", str(t, secret, "resource.uri"), "D8: Python exports it in clear")
	assert.Equal(t, "Resource: config://vault/db/password=***&mode=ro", str(t, secret, "langfuse.trace.name"))
	web := spanAt(out, 1).Attributes()
	assert.NotContains(t, str(t, web, "resource.uri"), "res-ak-111")
	assert.NotContains(t, str(t, web, "resource.uri"), "pw@")
	assert.Equal(t, str(t, web, "resource.uri"), str(t, web, "http.url"), "http.url: the URI again, only for http URIs")
	_, has := secret.Get("http.url")
	assert.False(t, has)
}

func TestD9UserFollowsIdentity(t *testing.T) {
	cfg := langfuseConfig()
	off := false
	cfg.IdentityAttributes = &off
	td, ss := rawTraces()
	resourceRead(ss, "docs://handbook/intro")
	m := spanAt(run(t, cfg, td), 0).Attributes()
	_, has := m.Get("user")
	assert.False(t, has, "D9: Python exports the caller email in user even with identity off")
	_, has = m.Get("user.email")
	assert.False(t, has)
}

func TestListExplicitNoneBlocksEnrichment(t *testing.T) {
	td, ss := rawTraces()
	s := rawSpan(ss, "tool.list", "tools/list")
	s.Attributes().PutStr("cf.list.variant", "server")
	s.Attributes().PutStr("cf.server.id", "srv-1")
	s.Attributes().PutBool("cf.list.include_inactive", false)
	s.Attributes().PutBool("cf.list.include_metrics", false)
	s.Attributes().PutStr("cf.list.user_email", "admin@example.com")
	// no cf.list.team_ids: Python passed team.scope=None (unrestricted token), which blocks the enrichment
	m := spanAt(run(t, langfuseConfig(), td), 0).Attributes()
	assert.Equal(t, []string{"server_id", "include_inactive", "include_metrics", "user.email", "correlation_id", "request_id",
		"user.is_admin", "auth.method", "langfuse.user.id", "langfuse.environment", "langfuse.trace.tags",
		"langfuse.trace.name", "langfuse.observation.level"}, keys(m))
	assert.Equal(t, "Tools", str(t, m, "langfuse.trace.name"))
}

func TestPromptRenderOutcomeAndErrors(t *testing.T) {
	td, ss := rawTraces()
	ok := rawSpan(ss, "prompt.render", "prompts/get greeting")
	ok.Attributes().PutStr("gen_ai.prompt.name", "greeting")
	ok.Attributes().PutInt("cf.arguments.count", 0)
	ok.Attributes().PutStr("cf.prompt.canonical_name", "greeting")
	ok.Attributes().PutInt("cf.prompt.version", 1)
	ok.Attributes().PutInt("cf.prompt.messages_count", 1)
	bad := rawSpan(ss, "prompt.render", "prompts/get nope")
	bad.Attributes().PutStr("gen_ai.prompt.name", "nope")
	bad.Status().SetCode(ptrace.StatusCodeError)
	ev := bad.Events().AppendEmpty()
	ev.SetName("exception")
	ev.Attributes().PutStr("exception.type", "PromptNotFoundError")
	ev.Attributes().PutStr("exception.message", "Prompt not found: nope")
	out := run(t, langfuseConfig(), td)
	m := spanAt(out, 0).Attributes()
	assert.Equal(t, "none", str(t, m, "request_id"), "prompt.render's request_id is the literal none")
	assert.Equal(t, "anonymous", str(t, m, "user"), "user or \"anonymous\"")
	assert.Equal(t, "Prompt: greeting", str(t, m, "langfuse.trace.name"))
	v, _ := m.Get("langfuse.observation.prompt.version")
	assert.Equal(t, int64(1), v.Int())
	e := spanAt(out, 1)
	_, has := e.Attributes().Get("success")
	assert.False(t, has, "a failed prompt.render has no outcome keys")
	assert.Equal(t, "PromptNotFoundError", str(t, e.Attributes(), "error.type"))
}

func TestResourceContentReprLen(t *testing.T) {
	for _, tc := range []struct {
		json string
		want int
	}{
		{`{"type":"resource","id":"62c920386ebb456faa777fab564a7052","uri":"docs://handbook/{section}","mimeType":"text/plain","text":"docs://handbook/missing","blob":null,"_meta":null}`, 159},
		// repr picks double quotes for a text with ' and no ", escapes \n, keeps printable non-ASCII.
		{`{"type":"resource","id":"i","uri":"u","mimeType":null,"text":"it's\né","blob":null,"_meta":{"k":true}}`,
			len([]rune(`type='resource' id='i' uri='u' mime_type=None text="it's\né" blob=None meta={'k': True}`))},
	} {
		v, err := payload.ParseString(tc.json)
		require.NoError(t, err)
		assert.Equal(t, tc.want, resourceContentReprLen(v.(*payload.Object)), tc.json)
	}
}

func TestD8CoversTheURIInsideResourceReadCaptures(t *testing.T) {
	cfg := langfuseConfig()
	cfg.CaptureInputSpans = []string{"resource.read"}
	cfg.CaptureOutputSpans = []string{"resource.read"}
	td, ss := rawTraces()
	s := resourceRead(ss, "config://vault/db/password=hunter2&mode=ro")
	s.Attributes().PutStr("cf.resource.content", `{"type":"resource","id":"c","uri":"config://vault/db/password=hunter2&mode=ro","mimeType":"text/plain","text":"db password=hunter2 here","blob":null,"_meta":null}`)
	m := spanAt(run(t, cfg, td), 0).Attributes()
	assert.Equal(t, `{"uri":"config://vault/db/password=***&mode=ro"}`, str(t, m, "langfuse.observation.input"))
	out := str(t, m, "langfuse.observation.output")
	assert.NotContains(t, out, "hunter2")
	assert.Contains(t, out, `"uri":"config://vault/db/password=***&mode=ro"`)
}

func TestD7CapturedArgumentsKeepTheClientsNumbers(t *testing.T) {
	cfg := langfuseConfig()
	cfg.CaptureInputSpans = []string{"tool.invoke", "prompt.render"}
	td, ss := rawTraces()
	toolInvoke(ss, `{"big":123456789012345678901234567890,"neg":-18446744073709551617,"f":1.50}`, "")
	p := rawSpan(ss, "prompt.render", "prompts/get greeting")
	p.Attributes().PutStr("gen_ai.prompt.name", "greeting")
	p.Attributes().PutStr("cf.prompt.arguments", `{"n":99999999999999999999}`)
	out := run(t, cfg, td)
	// Python's /rpc parser would have made floats of the integers (1.2345678901234568e+29); a float
	// is written as Python writes it (1.5), only integers are kept digit for digit.
	assert.Equal(t, `{"big":123456789012345678901234567890,"neg":-18446744073709551617,"f":1.5}`,
		str(t, spanAt(out, 0).Attributes(), "langfuse.observation.input"))
	assert.Equal(t, `{"n":99999999999999999999}`, str(t, spanAt(out, 1).Attributes(), "langfuse.observation.input"))
}
