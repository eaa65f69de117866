// Package redact applies the ContextForge gateway's trace redaction rules
// (mcpgateway/utils/trace_redaction.py, url_auth.py, observability.py) exactly, plus the
// documented deviation D3. It uses the Go standard library only; see
// docs/redaction-engine.md for each rule, the Python source it mirrors and its test.
package redact

import (
	"math"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// Mask replaces every redacted value.
const Mask = "***"

// DefaultFields returns the gateway's default redact fields (config.py, 16 names); the list is
// generated from contract/raw-span-contract.yaml (zz_generated_contract.go).
func DefaultFields() []string { return append([]string(nil), defaultFields...) }

// ModuleFallbackFields returns trace_redaction.py's own fallback, used when the setting is
// an empty string: the defaults plus session_token.
func ModuleFallbackFields() []string { return append(DefaultFields(), moduleFallbackAdds...) }

// FieldsFromSetting parses an OTEL_REDACT_FIELDS value exactly as the gateway does: an empty
// string means ModuleFallbackFields; otherwise split on "," and strip, dropping blanks (so a
// value of only commas and spaces means no fields at all).
func FieldsFromSetting(setting string) []string {
	if setting == "" {
		return ModuleFallbackFields()
	}
	fields := []string{}
	for _, f := range strings.Split(setting, ",") {
		if f = pyStrip(f); f != "" {
			fields = append(fields, f)
		}
	}
	return fields
}

// Options selects deviations from the oracle.
type Options struct {
	// JSONQuotedKeys turns on deviation D3: secrets under quoted keys inside free text
	// ("password": "hunter2", \"api_key\":\"x\", 'token': 'x') are masked. Off = oracle-exact.
	JSONQuotedKeys bool
}

// Redactor holds the compiled rules of one redact_fields list. It is safe for concurrent use.
type Redactor struct {
	opts        Options
	normalized  map[string]bool    // normalized field names (exact key match)
	minFieldLen int                // shortest normalized field: shorter keys cannot match
	maxFieldLen int                // longest normalized field: a key normalizing longer cannot match
	fieldLens   [maxKeyLenSet]bool // normalized field lengths below maxKeyLenSet
	fieldLast   [256]bool          // last bytes of the non-empty normalized fields
	keys        []keyPattern       // one free-text key pattern per field, in configured order
	// keyLast marks the bytes a key pattern can end with, as keyEnd.last holds them (ASCII
	// lowercased; every byte >= 0x80 when a pattern's last rune can match a non-ASCII rune):
	// the key=value rules' prefilter.
	keyLast [256]bool
	// keysByLast[b] has bit i set when keys[i] can end with byte b (as keyLast); only
	// used when there are at most 64 keys.
	keysByLast [256]uint64
	// keysByPrev[b] has bit i set when keys[i] can have byte b (ASCII lowercased) right
	// before an ASCII last byte: its last part's second to last letter, or any byte when
	// that part has one letter or is not ASCII.
	keysByPrev [256]uint64
	// noDisjoint turns off step 3's disjoint path (redactKeyValuesDisjoint) and the skips
	// that rely on it, for the tests that compare it with the general path.
	noDisjoint bool
}

// keyPattern is _field_name_text_pattern: the field's ASCII alphanumeric parts joined by
// [\W_]*, or the whole field as a literal when it has none.
type keyPattern struct {
	parts      [][]rune
	asciiParts []string // parts lowercased when they are [A-Za-z0-9]+ (else nil): the byte-wise backward match
	asciiFolds []string // per byte of asciiParts, 0x20 for a letter (c|0x20 folds ASCII case), 0 for a digit
	// lastWin matches the last of asciiParts, 4 to 8 bytes long, against the eight bytes
	// that end where it ends: (window|fold)&mask == pat, little-endian (mask 0: no window).
	lastWin window
	// spell matches the field as it is spelled from its first to its last ASCII letter or
	// digit (the parts and the field's own gaps, ASCII, 4 to 16 bytes: spellLen, else 0)
	// against the bytes before a key end: spell[0] the last eight of them, spell[1] the ones
	// before. Text that spells the key so is its whole backward match (matchBackwardLow's
	// first test; the disjoint walk's for a key of at most eight bytes).
	spell        [2]window
	spellLen     int
	last         byte // lowercase last rune of the key when ASCII
	lastNonASCII bool // the last rune is not ASCII (or folds to non-ASCII runes): no quick filter
}

// window matches up to eight bytes, right-aligned in a little-endian word (wordBefore):
// (v|fold)&mask == pat, fold 0x20 on a letter (either case), 0 elsewhere.
type window struct{ pat, fold, mask uint64 }

// matches reports that the word v matches w.
func (w *window) matches(v uint64) bool { return (v|w.fold)&w.mask == w.pat }

// newWindow is the window of the ASCII bytes b (at most eight, letters lowercase) with their
// folds, right-aligned.
func newWindow(b, fold string) (w window) {
	for i := range len(b) { // byte i of b is byte 8-len(b)+i of the word
		sh := 8 * (8 - len(b) + i)
		w.pat |= uint64(b[i]) << sh
		w.fold |= uint64(fold[i]) << sh
		w.mask |= 0xff << sh
	}
	return w
}

// New compiles the rules for fields (nil = DefaultFields()). Each field is stripped and blank
// fields are dropped, as the gateway does.
func New(fields []string, opts Options) *Redactor {
	if fields == nil {
		fields = defaultFields
	}
	r := &Redactor{opts: opts, normalized: map[string]bool{}, minFieldLen: math.MaxInt}
	for _, f := range fields {
		f = pyStrip(payload.ValidString(f))
		if f == "" {
			continue
		}
		n := normalizeFieldName(f)
		r.normalized[n] = true
		r.minFieldLen = min(r.minFieldLen, len(n))
		r.maxFieldLen = max(r.maxFieldLen, len(n))
		if len(n) < maxKeyLenSet {
			r.fieldLens[len(n)] = true
		}
		if n != "" {
			r.fieldLast[n[len(n)-1]] = true
		}
		r.keys = append(r.keys, newKeyPattern(f))
		r.markKeyLast(len(r.keys) - 1)
		r.markKeyPrev(len(r.keys) - 1)
	}
	return r
}

// markKeyLast adds to keyLast every byte a text rune matching k's last pattern rune under
// IGNORECASE (foldEq) can end with.
func (r *Redactor) markKeyLast(ki int) {
	k := r.keys[ki]
	mark := func(b int) {
		r.keyLast[b] = true
		if ki < 64 {
			r.keysByLast[b] |= 1 << ki
		}
	}
	lastPart := k.parts[len(k.parts)-1]
	p := lastPart[len(lastPart)-1]
	orbit := []rune{p}
	for f := unicode.SimpleFold(p); f != p; f = unicode.SimpleFold(f) {
		orbit = append(orbit, f)
	}
	if p < utf8.RuneSelf && isASCIILetter(byte(p)) {
		orbit = append(orbit, pyIgnoreCaseExtra[byte(p)|0x20]...)
	}
	for _, c := range orbit {
		switch {
		case c >= utf8.RuneSelf:
			for b := utf8.RuneSelf; b < 256; b++ {
				mark(b)
			}
		case c >= 'A' && c <= 'Z':
			mark(int(c + 'a' - 'A'))
		default:
			mark(int(c))
		}
	}
}

// markKeyPrev adds keys[ki] to keysByPrev.
func (r *Redactor) markKeyPrev(ki int) {
	if ki >= 64 {
		return
	}
	k := r.keys[ki]
	var last string
	if k.asciiParts != nil {
		last = k.asciiParts[len(k.asciiParts)-1]
	}
	for b := range r.keysByPrev {
		// A text rune matching the letter under IGNORECASE is its ASCII case or a
		// non-ASCII rune (ſ ı İ K), whose last byte is >= 0x80.
		if len(last) < 2 || b == int(last[len(last)-2]) || b >= utf8.RuneSelf {
			r.keysByPrev[b] |= 1 << ki
		}
	}
}

func newKeyPattern(field string) keyPattern {
	var k keyPattern
	for i := 0; i < len(field); {
		if !isASCIIAlnum(field[i]) {
			i++
			continue
		}
		j := i
		for j < len(field) && isASCIIAlnum(field[j]) {
			j++
		}
		k.parts = append(k.parts, []rune(field[i:j]))
		i = j
	}
	if len(k.parts) == 0 {
		k.parts = [][]rune{[]rune(field)}
	} else {
		for _, part := range k.parts {
			lower := strings.ToLower(string(part))
			fold := []byte(lower)
			for j, c := range fold {
				fold[j] = 0
				if c >= 'a' {
					fold[j] = 0x20
				}
			}
			k.asciiParts = append(k.asciiParts, lower)
			k.asciiFolds = append(k.asciiFolds, string(fold))
		}
	}
	if n := len(k.asciiParts); n > 0 && len(k.asciiParts[n-1]) >= 4 && len(k.asciiParts[n-1]) <= 8 {
		k.lastWin = newWindow(k.asciiParts[n-1], k.asciiFolds[n-1])
	}
	if k.asciiParts != nil {
		first := strings.IndexFunc(field, func(r rune) bool { return r < utf8.RuneSelf && isASCIIAlnum(byte(r)) })
		last := strings.LastIndexFunc(field, func(r rune) bool { return r < utf8.RuneSelf && isASCIIAlnum(byte(r)) })
		span := strings.ToLower(field[first : last+1])
		if n := len(span); n >= 4 && n <= 16 && isASCII(span) {
			fold := []byte(span)
			for i, c := range fold {
				fold[i] = 0
				if c >= 'a' && c <= 'z' {
					fold[i] = 0x20
				}
			}
			k.spellLen = n
			k.spell[0] = newWindow(span[max(0, n-8):], string(fold[max(0, n-8):]))
			if n > 8 {
				k.spell[1] = newWindow(span[:n-8], string(fold[:n-8]))
			}
		}
	}
	lastPart := k.parts[len(k.parts)-1]
	last := lastPart[len(lastPart)-1]
	switch {
	case last >= utf8.RuneSelf:
		k.lastNonASCII = true
	case pyIgnoreCaseExtra[byte(last|0x20)] != nil && last|0x20 >= 'a' && last|0x20 <= 'z':
		k.lastNonASCII = true
	case last >= 'A' && last <= 'Z':
		k.last = byte(last) + 'a' - 'A'
	default:
		k.last = byte(last)
	}
	return k
}

// normalizeFieldName is re.sub(r"[^a-z0-9]", "", key.lower()).
func normalizeFieldName(key string) string {
	simple := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			simple = false
			break
		}
	}
	if simple {
		return key
	}
	return string(appendNormalized(make([]byte, 0, len(key)), key))
}

func appendNormalized(b []byte, key string) []byte {
	return appendNormalizedUpTo(b, key, math.MaxInt)
}

// normASCII is what the normalization keeps of a byte: an ASCII letter lowercased, a digit
// as it is, 0 for other ASCII bytes (dropped), normNonASCII for a byte of a non-ASCII rune.
var normASCII = func() (t [256]byte) {
	for c := 0x80; c < 0x100; c++ {
		t[c] = normNonASCII
	}
	for c := byte('0'); c <= '9'; c++ {
		t[c] = c
	}
	for c := byte('a'); c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = c, c
	}
	return t
}()

const normNonASCII = 0x80

// appendNormalizedUpTo is appendNormalized that stops once more than limit bytes were added
// (the key is then longer than any field and its full form is not needed). ASCII bytes go
// through normASCII; from the first non-ASCII byte on, the rest is normalized rune by rune
// (appendNormalizedRunes).
func appendNormalizedUpTo(b []byte, key string, limit int) []byte {
	limit += len(b)
	for i := 0; i < len(key); i++ {
		if len(b) > limit {
			return b
		}
		switch c := normASCII[key[i]]; c {
		case 0:
		case normNonASCII:
			return appendNormalizedRunes(b, key[i:], limit-len(b))
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendNormalizedRunes is appendNormalizedUpTo rune by rune, for any key.
func appendNormalizedRunes(b []byte, key string, limit int) []byte {
	limit += len(b)
	for _, r := range key {
		if len(b) > limit {
			break
		}
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			b = append(b, byte(r))
		case r >= 'A' && r <= 'Z':
			b = append(b, byte(r)+'a'-'A')
		case r >= utf8.RuneSelf:
			if l, ok := pyLowerASCII[r]; ok {
				b = append(b, l.kept...)
			}
		}
	}
	return b
}

// KeyMatches reports whether key names a redact field after normalization (lowercase, only
// [a-z0-9] kept): Api_Key, client-secret and auth.token match; user_password does not.
func (r *Redactor) KeyMatches(key string) bool {
	// A key normalizes to at most len(key) bytes (a non-ASCII rune keeps at most one ASCII
	// letter), so short keys and keys of no field's length skip the map.
	if len(key) < r.minFieldLen {
		return false
	}
	// The last byte of the normalized key is the last ASCII letter or digit of the key,
	// lowercased, when only ASCII bytes follow it (they are dropped): no field ending with
	// it, no match. A non-ASCII rune may normalize to a letter; no letter or digit at all
	// normalizes to "" (a field of punctuation only): both take the full check.
	for i := len(key) - 1; i >= 0; i-- {
		c := key[i]
		if c >= utf8.RuneSelf {
			break
		}
		if isASCIIAlnum(c) {
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			if !r.fieldLast[c] {
				return false
			}
			break
		}
	}
	var buf [64]byte
	n := appendNormalizedUpTo(buf[:0], key, r.maxFieldLen)
	if len(n) > r.maxFieldLen || len(n) < maxKeyLenSet && !r.fieldLens[len(n)] {
		return false
	}
	return r.normalized[string(n)] // no allocation for the lookup
}

// maxKeyLenSet bounds the normalized lengths Redactor.fieldLens records.
const maxKeyLenSet = 64

// FieldLooksLikeURL is _field_looks_like_url: values under such keys go through the URL rules.
func FieldLooksLikeURL(field string) bool { return fieldLooksLikeURL(field) }

// fieldLooksLikeURL is _field_looks_like_url.
func fieldLooksLikeURL(field string) bool {
	var buf [64]byte
	return containsURLKeyword(appendNormalized(buf[:0], field))
}

// urlKeywords are the words _field_looks_like_url looks for in a normalized field name.
var urlKeywords = [...]string{"url", "uri", "endpoint", "href", "link", "redirect", "callback", "webhook"}

// containsURLKeyword reports whether n contains one of urlKeywords, in one pass over n: at
// each byte only the keywords starting with that byte are compared.
func containsURLKeyword(n []byte) bool {
	for i := 0; i+3 <= len(n); i++ {
		rest := n[i:]
		switch rest[0] {
		case 'u':
			if rest[1] == 'r' && (rest[2] == 'l' || rest[2] == 'i') {
				return true
			}
		case 'e':
			if hasPrefix(rest, "endpoint") {
				return true
			}
		case 'h':
			if hasPrefix(rest, "href") {
				return true
			}
		case 'l':
			if hasPrefix(rest, "link") {
				return true
			}
		case 'r':
			if hasPrefix(rest, "redirect") {
				return true
			}
		case 'c':
			if hasPrefix(rest, "callback") {
				return true
			}
		case 'w':
			if hasPrefix(rest, "webhook") {
				return true
			}
		}
	}
	return false
}

func hasPrefix(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && string(b[:len(prefix)]) == prefix
}

// SanitizeAttributeString is sanitize_trace_attribute_value for a string value.
func (r *Redactor) SanitizeAttributeString(key, s string) string {
	if r.KeyMatches(key) {
		return Mask
	}
	if fieldLooksLikeURL(key) {
		return SanitizeURL(s)
	}
	return r.SanitizeText(s)
}

// SanitizeAttributeValue is sanitize_trace_attribute_value: a matching key masks the whole
// value; otherwise objects are redacted, lists sanitized item by item under the same key,
// strings sanitized (URL-like keys through the URL sanitizer only), other values kept.
func (r *Redactor) SanitizeAttributeValue(key string, v payload.Value) payload.Value {
	out, _ := r.SanitizeAttributeValueStrict(key, v)
	return out
}

// SanitizeAttributeValueStrict is SanitizeAttributeValue that also reports the first
// ValueError the oracle would raise on an embedded URL (the result masks that URL).
func (r *Redactor) SanitizeAttributeValueStrict(key string, v payload.Value) (payload.Value, error) {
	if r.KeyMatches(key) {
		return Mask, nil
	}
	var err error
	out := r.sanitizeField(key, v, 0, &err)
	return out, err
}

// RedactValue is redact_sensitive_fields: it returns a new value and leaves v untouched.
// Values nested deeper than payload.MaxDepth are masked (Python would raise RecursionError).
func (r *Redactor) RedactValue(v payload.Value) payload.Value {
	return r.redact(v, 0, nil)
}

// RedactValueStrict is RedactValue that also reports the first ValueError the oracle would
// raise on an embedded URL (the result masks that URL).
func (r *Redactor) RedactValueStrict(v payload.Value) (payload.Value, error) {
	var err error
	out := r.redact(v, 0, &err)
	return out, err
}

// text sanitizes a string value, remembering the first oracle ValueError in errp; valid says
// the caller proved s valid UTF-8 (sanitizeText).
func (r *Redactor) text(s string, url, valid bool, errp *error) string {
	var out string
	var err error
	if url {
		out, err = SanitizeURLStrict(s)
		if err != nil {
			out = URLMask
		}
	} else {
		out, err = r.sanitizeText(s, valid)
	}
	if err != nil && errp != nil && *errp == nil {
		*errp = err
	}
	return out
}

func (r *Redactor) redact(v payload.Value, depth int, errp *error) payload.Value {
	if depth > payload.MaxDepth {
		return Mask
	}
	switch x := v.(type) {
	case *payload.Object:
		if x == nil {
			return nil
		}
		out := payload.NewObject(x.Len())
		for i := 0; i < x.Len(); i++ {
			k := x.Key(i)
			if r.KeyMatches(k) {
				out.Set(k, Mask)
			} else {
				out.Set(k, r.sanitizeField(k, x.Value(i), depth+1, errp))
			}
		}
		return out
	case []payload.Value:
		out := make([]payload.Value, len(x))
		for i, item := range x {
			out[i] = r.sanitizeField("item", item, depth+1, errp)
		}
		return out
	case string:
		return r.text(x, false, false, errp)
	}
	return v
}

// sanitizeField is _sanitize_trace_value.
func (r *Redactor) sanitizeField(field string, v payload.Value, depth int, errp *error) payload.Value {
	if depth > payload.MaxDepth {
		return Mask
	}
	switch x := v.(type) {
	case *payload.Object:
		return r.redact(x, depth, errp)
	case []payload.Value:
		out := make([]payload.Value, len(x))
		for i, item := range x {
			out[i] = r.sanitizeField(field, item, depth+1, errp)
		}
		return out
	case string:
		return r.text(x, fieldLooksLikeURL(field), false, errp)
	}
	return v
}

// SerializeTracePayload is serialize_trace_payload: redact, then payload.Serialize, in one
// walk that never builds the redacted copy.
func (r *Redactor) SerializeTracePayload(v payload.Value, maxSize int) string {
	out, _ := r.SerializeTracePayloadReport(v, maxSize)
	return out
}

// SerializeTracePayloadReport is SerializeTracePayload that also reports whether a rule
// redacted something (a masked member, a string the rules changed).
func (r *Redactor) SerializeTracePayloadReport(v payload.Value, maxSize int) (string, bool) {
	rules := r.payloadRules()
	out := payload.SerializeRedacted(v, maxSize, rules)
	redacted := rules.redacted
	rules.release()
	return out, redacted
}

// SerializeTracePayloadStrict is SerializeTracePayload that also reports the first
// ValueError the oracle would raise while redacting.
func (r *Redactor) SerializeTracePayloadStrict(v payload.Value, maxSize int) (string, error) {
	rules := r.payloadRules()
	out := payload.SerializeRedacted(v, maxSize, rules)
	err := rules.err
	rules.release()
	if out == serializationFailed {
		// The walk stops where encoding fails; the redact walk goes on and may meet an
		// error further on, so take the error from it.
		_, err = r.RedactValueStrict(v)
	}
	return out, err
}

// SerializeTraceJSON is SerializeTracePayloadReport of the JSON text text
// (payload.ParseString), read, redacted and written in one pass without building a tree. It
// returns the parse error for text that is not JSON.
func (r *Redactor) SerializeTraceJSON(text string, maxSize int) (out string, redacted bool, err error) {
	out, redacted, _, err = r.SerializeTraceJSONASCII(text, maxSize)
	return out, redacted, err
}

// SerializeTraceJSONASCII is SerializeTraceJSON that also reports whether text is known to be
// ASCII, so valid UTF-8 (payload.SerializeJSONRedacted; false says nothing).
func (r *Redactor) SerializeTraceJSONASCII(text string, maxSize int) (out string, redacted, ascii bool, err error) {
	rules := r.payloadRules()
	out, ascii, err = payload.SerializeJSONRedacted(text, maxSize, rules)
	redacted = rules.redacted
	rules.release()
	return out, redacted, ascii, err
}

// SerializeTextToolResult is SerializeTracePayloadReport of the normalized ToolResult of the
// MCP CallToolResult text, written without a tree when the text has the common plain-text
// shape (payload.SerializeTextToolResultRedacted); ok is false for any other text. It also
// reports, when ok, whether text is known to be ASCII, so valid UTF-8 (false says nothing).
func (r *Redactor) SerializeTextToolResult(text string, maxSize int) (out string, redacted, ascii, ok bool) {
	rules := r.payloadRules()
	out, ascii, ok = payload.SerializeTextToolResultRedacted(text, maxSize, rules)
	redacted = rules.redacted
	rules.release()
	return out, redacted, ascii, ok
}

// serializationFailed is safe_serialize's answer when encoding fails (payload.Serialize).
const serializationFailed = `{"_error":"serialization_failed"}`

// payloadRules applies this engine's structured rules (redact, sanitizeField) inside the
// payload encoder, remembering the first oracle ValueError.
type payloadRules struct {
	r        *Redactor
	err      error
	redacted bool // a member was masked or a string changed
	// The field of the last string and whether it looks like a URL: strings of one
	// member or list share it, so the check runs once per field, not once per string.
	field    string
	fieldURL bool
	known    bool
}

// payloadRulesPool keeps rule objects between calls: one handed to the encoders as a
// payload.Redaction escapes, and would be allocated per payload.
var payloadRulesPool = sync.Pool{New: func() any { return new(payloadRules) }}

// payloadRules returns a fresh rule object of r's rules (release returns it).
func (r *Redactor) payloadRules() *payloadRules {
	p := payloadRulesPool.Get().(*payloadRules)
	p.r = r
	return p
}

// release returns p to the pool, reset: it holds no reference to r, a field or an error.
func (p *payloadRules) release() {
	*p = payloadRules{}
	payloadRulesPool.Put(p)
}

func (p *payloadRules) Restart() { p.redacted, p.err = false, nil }

func (p *payloadRules) MaskMember(key string) (string, bool) {
	if p.r.KeyMatches(key) {
		p.redacted = true
		return Mask, true
	}
	return "", false
}

// Text sanitizes s under field. Its answer for a plain s (printable ASCII without '"' or
// '\\') is plain: the rules keep or drop the bytes of their text and insert only plain ASCII,
// the masks (***, REDACTED), the separators urlunparse writes (: // ? # ;), the lowercased
// scheme, and the query's names and values through quote_plus ([A-Za-z0-9_.~-], + and %XX,
// whatever its %XX decoded to); U+FFFD only replaces invalid UTF-8, which a plain s is not
// (TestPayloadRulesPlainStaysPlain, FuzzPayloadRulesPlainStaysPlain). Nor is a plain s
// checked for it again (those tests compare the answer with the checked one).
func (p *payloadRules) Text(field, s string, plain bool) (string, bool) {
	if !p.known || field != p.field {
		p.field, p.fieldURL, p.known = field, fieldLooksLikeURL(field), true
	}
	out := p.r.text(s, p.fieldURL, plain, &p.err) // a plain s is printable ASCII: valid UTF-8
	if out != s {
		p.redacted = true
	}
	return out, plain
}

// MaxExceptionMessageLength is observability._MAX_SPAN_EXCEPTION_MESSAGE_LENGTH.
const MaxExceptionMessageLength = 1024

// SanitizeExceptionMessage is _sanitize_span_exception_message: sanitize the text, turn
// control characters [\x00-\x1f\x7f-\x9f] into spaces, strip Unicode whitespace, fall back to
// the class name when empty, and cut to 1021 code points + "..." when longer than 1024.
func (r *Redactor) SanitizeExceptionMessage(msg, typeName string) string {
	s := r.SanitizeText(msg)
	s = replaceControlChars(s)
	s = pyStrip(s)
	if s == "" {
		s = typeName
	}
	if utf8.RuneCountInString(s) <= MaxExceptionMessageLength {
		return s
	}
	cut, n := 0, 0
	for cut < len(s) && n < MaxExceptionMessageLength-3 {
		_, size := utf8.DecodeRuneInString(s[cut:])
		cut += size
		n++
	}
	return s[:cut] + "..."
}

// replaceControlChars is log_sanitizer.sanitize_for_log: [\x00-\x1f\x7f-\x9f] → " ".
func replaceControlChars(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || c == 0xc2 { // U+0080..U+009F are encoded C2 80..C2 9F
			break
		}
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			b.WriteByte(' ')
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// pyStrip is Python's str.strip() with no arguments (Unicode whitespace).
func pyStrip(s string) string {
	start := 0
	for start < len(s) {
		r, n := runeAt(s, start)
		if !isSpace(r) {
			break
		}
		start += n
	}
	end := len(s)
	for end > start {
		r, n := runeBefore(s, end)
		if !isSpace(r) {
			break
		}
		end -= n
	}
	return s[start:end]
}

// isASCII reports that s has no byte >= 0x80.
func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
