package redact

import (
	"errors"
	"net/netip"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// URLMask replaces userinfo and sensitive query values in URLs.
const URLMask = "REDACTED"

// sensitiveQueryParam reports whether name is in url_auth.STATIC_SENSITIVE_PARAMS (matched on
// the lowercased name or the exact name; "tavilyApiKey" can only match exactly). A switch, not
// a map: the compiler compares the length first.
func sensitiveQueryParam(name string) bool {
	switch name {
	case "api_key", "apikey", "api-key", "key", "token",
		"access_token", "auth", "auth_token", "secret", "password",
		"pwd", "credential", "credentials", "tavilyapikey", "tavilyApiKey":
		return true
	}
	return false
}

// errPythonRaises marks inputs on which Python's urllib raises ValueError (so the oracle's
// sanitizer would raise instead of answering).
var errPythonRaises = errors.New("ValueError")

// pyURLError is the ValueError urllib.parse would raise.
type pyURLError struct{ msg string }

func (e *pyURLError) Error() string { return "ValueError: " + e.msg }
func (e *pyURLError) Unwrap() error { return errPythonRaises }

// SanitizeURL mirrors sanitize_url_for_logging: userinfo becomes REDACTED:REDACTED@, the
// values of sensitive query parameters become REDACTED and the query is rebuilt like
// urlencode(parse_qs(...)) (first value only, blank values kept, quote_plus re-encoding).
// A URL without userinfo and query comes back unchanged. Where Python's urlparse would
// raise ValueError (bad IPv6 brackets, NFKC-unsafe netloc), the whole URL is masked as
// "REDACTED": when unsure, mask.
func SanitizeURL(u string) string {
	out, err := SanitizeURLStrict(u)
	if err != nil {
		return URLMask
	}
	return out
}

// SanitizeURLStrict is SanitizeURL that reports, instead of masking, the ValueError
// Python's urlparse raises on the input.
func SanitizeURLStrict(u string) (string, error) {
	if plainURL(u) {
		return u, nil
	}
	u = payload.ValidString(u)
	p, err := urlParse(u, true)
	if err != nil {
		return "", err
	}
	redacted := false
	if p.hasUserinfo() {
		host := p.netloc
		if i := strings.IndexByte(host, '@'); i >= 0 {
			host = host[i+1:]
		}
		p.netloc = URLMask + ":" + URLMask + "@" + host
		redacted = true
	}
	if p.query == "" {
		if redacted {
			return p.unparse(), nil
		}
		return u, nil
	}
	p.query = sanitizeQuery(p.query)
	return p.unparse(), nil
}

// plainURL reports a URL that SanitizeURLStrict returns unchanged without parsing it: ASCII
// (valid UTF-8, no NFKC check), no '@' (no userinfo), no '?' (no query), no brackets (no
// IPv6 check; urlParse raises only on brackets and non-ASCII netlocs).
func plainURL(u string) bool {
	for i := 0; i < len(u); i++ {
		if urlNeedsParse[u[i]] {
			return false
		}
	}
	return true
}

var urlNeedsParse = func() (t [256]bool) {
	for _, c := range []byte("@?[]") {
		t[c] = true
	}
	for c := utf8.RuneSelf; c < 256; c++ {
		t[c] = true
	}
	return t
}()

// sanitizeUnparsableURL sanitizes, inside free text, a URL on which Python's urlparse raises
// (the oracle raises; this is our answer): the URL as the oracle would sanitize it if its
// authority parsed, with the authority kept raw and its byte span [as, ae) returned, for the
// caller to mask as "REDACTED" after the later rules ran. So a key at the end of the authority
// (http://ｕ＠h=secret= x) still masks the value after it, and the path, the query (sensitive
// values masked) and the fragment (key=value rules) are treated as for a parsable URL.
func sanitizeUnparsableURL(u string) (out string, as, ae int) {
	p, _ := urlParse(payload.ValidString(u), false)
	if p.query != "" {
		p.query = sanitizeQuery(p.query)
	}
	out = p.unparse()
	if p.netloc == "" { // not reached (Python only raises on a netloc); mask all of it
		return out, 0, len(out)
	}
	as = strings.Index(out, "//") + 2
	return out, as, as + len(p.netloc)
}

type parsedURL struct {
	scheme, netloc, path, params, query, fragment string
}

// urlParse mirrors urllib.parse.urlparse of Python 3.11.7 (urlsplit, then ;params). Without
// check it skips the netloc checks on which Python raises ValueError and never fails.
func urlParse(u string, check bool) (parsedURL, error) {
	var p parsedURL
	// lstrip C0 controls and space; drop every tab, CR and LF.
	i := 0
	for i < len(u) && u[i] <= ' ' {
		i++
	}
	u = u[i:]
	if strings.ContainsAny(u, "\t\r\n") {
		u = strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(u)
	}
	if c := strings.IndexByte(u, ':'); c > 0 && isASCIILetter(u[0]) {
		ok := true
		for j := 0; j < c; j++ {
			if !isSchemeChar(u[j]) {
				ok = false
				break
			}
		}
		if ok {
			p.scheme, u = strings.ToLower(u[:c]), u[c+1:]
		}
	}
	if strings.HasPrefix(u, "//") {
		end := len(u)
		for _, d := range []byte{'/', '?', '#'} {
			if k := strings.IndexByte(u[2:], d); k >= 0 && k+2 < end {
				end = k + 2
			}
		}
		p.netloc, u = u[2:end], u[end:]
		open, close := strings.Contains(p.netloc, "["), strings.Contains(p.netloc, "]")
		if !check {
			open, close = false, false
		}
		if open != close {
			return p, &pyURLError{"Invalid IPv6 URL"}
		}
		if open && close {
			_, after, _ := strings.Cut(p.netloc, "[")
			host, _, _ := strings.Cut(after, "]")
			if err := checkBracketedHost(host); err != nil {
				return p, err
			}
		}
	}
	if k := strings.IndexByte(u, '#'); k >= 0 {
		u, p.fragment = u[:k], u[k+1:]
	}
	if k := strings.IndexByte(u, '?'); k >= 0 {
		u, p.query = u[:k], u[k+1:]
	}
	if check {
		if err := checkNetloc(p.netloc); err != nil {
			return p, err
		}
	}
	p.path = u
	if usesParams[p.scheme] && strings.Contains(p.path, ";") {
		k := -1
		if slash := strings.LastIndexByte(p.path, '/'); slash >= 0 {
			if j := strings.IndexByte(p.path[slash:], ';'); j >= 0 {
				k = slash + j
			}
		} else {
			k = strings.IndexByte(p.path, ';')
		}
		if k >= 0 {
			p.path, p.params = p.path[:k], p.path[k+1:]
		}
	}
	return p, nil
}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func isSchemeChar(c byte) bool {
	return isASCIIAlnum(c) || c == '+' || c == '-' || c == '.'
}

var usesParams = map[string]bool{
	"": true, "ftp": true, "hdl": true, "prospero": true, "http": true, "imap": true,
	"https": true, "shttp": true, "rtsp": true, "rtspu": true, "sip": true, "sips": true,
	"mms": true, "sftp": true, "tel": true,
}

var usesNetloc = map[string]bool{
	"": true, "ftp": true, "http": true, "gopher": true, "nntp": true, "telnet": true,
	"imap": true, "wais": true, "file": true, "mms": true, "https": true, "shttp": true,
	"snews": true, "prospero": true, "rtsp": true, "rtspu": true, "rsync": true, "svn": true,
	"svn+ssh": true, "sftp": true, "nfs": true, "git": true, "git+ssh": true, "ws": true, "wss": true,
}

// checkBracketedHost mirrors urllib's _check_bracketed_host.
func checkBracketedHost(host string) error {
	if strings.HasPrefix(host, "v") {
		// \Av[a-fA-F0-9]+\..+\Z
		j := 1
		for j < len(host) && isHex(host[j]) {
			j++
		}
		if j == 1 || j >= len(host) || host[j] != '.' || j+1 >= len(host) || strings.Contains(host[j+1:], "\n") {
			return &pyURLError{"IPvFuture address is invalid"}
		}
		return nil
	}
	if !validPyIPv6(host) {
		return &pyURLError{"'" + host + "' does not appear to be an IPv4 or IPv6 address"}
	}
	return nil
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

// validPyIPv6 approximates ipaddress.IPv6Address (an IPv4 address is refused in brackets).
func validPyIPv6(host string) bool {
	addr, zone, hasZone := strings.Cut(host, "%")
	if hasZone && (zone == "" || strings.Contains(zone, "%")) {
		return false
	}
	for i := 0; i < len(addr); i++ {
		c := addr[i]
		if !(isHex(c) || c == ':' || c == '.') {
			return false
		}
	}
	a, err := netip.ParseAddr(addr)
	return err == nil && a.Is6() && a.Zone() == ""
}

// checkNetloc mirrors urllib's _checknetloc: a non-ASCII netloc must not gain one of
// "/?#@:" under NFKC normalization.
func checkNetloc(netloc string) error {
	for i := 0; i < len(netloc); i++ {
		if netloc[i] >= utf8.RuneSelf {
			for _, r := range netloc {
				if pyNetlocNFKCBad[r] {
					return &pyURLError{"netloc '" + netloc + "' contains invalid characters under NFKC normalization"}
				}
			}
			return nil
		}
	}
	return nil
}

// hasUserinfo is Python's `parsed.username or parsed.password`.
func (p parsedURL) hasUserinfo() bool {
	at := strings.LastIndexByte(p.netloc, '@')
	if at < 0 {
		return false
	}
	userinfo := p.netloc[:at]
	user, pass, _ := strings.Cut(userinfo, ":")
	return user != "" || pass != ""
}

// unparse mirrors urlunparse (urlunsplit of Python 3.11.7).
func (p parsedURL) unparse() string {
	path := p.path
	if p.params != "" {
		path = path + ";" + p.params
	}
	var b strings.Builder
	b.Grow(len(p.scheme) + len(p.netloc) + len(path) + len(p.query) + len(p.fragment) + 8)
	if p.netloc != "" || (p.scheme != "" && usesNetloc[p.scheme] && !strings.HasPrefix(path, "//")) {
		if path != "" && path[0] != '/' {
			path = "/" + path
		}
		path = "//" + p.netloc + path
	}
	if p.scheme != "" {
		b.WriteString(p.scheme)
		b.WriteByte(':')
	}
	b.WriteString(path)
	if p.query != "" {
		b.WriteByte('?')
		b.WriteString(p.query)
	}
	if p.fragment != "" {
		b.WriteByte('#')
		b.WriteString(p.fragment)
	}
	return b.String()
}

// sanitizeQuery is urlencode({k: "REDACTED" if sensitive else v[0]}) over
// parse_qs(query, keep_blank_values=True).
func sanitizeQuery(query string) string {
	b := appendSanitizedQuery(make([]byte, 0, len(query)+16), query)
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not written again
}

// appendSanitizedQuery appends sanitizeQuery(query) to dst.
func appendSanitizedQuery(dst []byte, query string) []byte {
	type param struct{ name, value string }
	var paramsBuf [8]param
	params := paramsBuf[:0]
	var seen map[string]bool // only for long queries: keeps the dedupe linear
	rest := query
	for rest != "" {
		var field string
		field, rest, _ = strings.Cut(rest, "&")
		if field == "" {
			continue
		}
		name, value, _ := strings.Cut(field, "=")
		name = pyUnquotePlus(name)
		// parse_qs keeps every value; the sanitizer uses the first.
		if seen != nil {
			if seen[name] {
				continue
			}
			seen[name] = true
		} else {
			dup := false
			for _, p := range params {
				if p.name == name {
					dup = true
					break
				}
			}
			if dup {
				continue
			}
			if len(params) == len(paramsBuf) {
				seen = make(map[string]bool, 2*len(params))
				for _, p := range params {
					seen[p.name] = true
				}
				seen[name] = true
			}
		}
		params = append(params, param{name, pyUnquotePlus(value)})
	}
	for i, p := range params {
		if i > 0 {
			dst = append(dst, '&')
		}
		v := p.value
		if sensitiveQueryParam(p.name) || isSensitiveLower(p.name) {
			v = URLMask
		}
		dst = appendQuotePlus(dst, p.name)
		dst = append(dst, '=')
		dst = appendQuotePlus(dst, v)
	}
	return dst
}

// isSensitiveLower reports whether Python's name.lower() is a sensitive parameter name.
func isSensitiveLower(name string) bool {
	var buf [16]byte
	low := buf[:0]
	for _, r := range name {
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			if c >= 'A' && c <= 'Z' {
				c += 'a' - 'A'
			}
			low = append(low, c)
		default:
			l, ok := pyLowerASCII[r]
			if !ok || !l.whole {
				return false
			}
			low = append(low, l.kept...)
		}
		if len(low) > len(buf) {
			return false // longer than any sensitive name
		}
	}
	return sensitiveQueryParam(string(low))
}

// pyUnquotePlus is urllib's unquote(s.replace("+", " "), errors="replace"): %XX escapes are
// decoded inside runs of ASCII characters, and the bytes decoded as UTF-8 with Python's
// replacement of ill-formed sequences.
func pyUnquotePlus(s string) string {
	if strings.IndexByte(s, '+') >= 0 {
		s = strings.ReplaceAll(s, "+", " ")
	}
	if strings.IndexByte(s, '%') < 0 {
		return s
	}
	var out []byte
	i := 0
	for i < len(s) {
		if s[i] >= utf8.RuneSelf {
			j := i
			for j < len(s) && s[j] >= utf8.RuneSelf {
				j++
			}
			out = append(out, s[i:j]...)
			i = j
			continue
		}
		j := i
		for j < len(s) && s[j] < utf8.RuneSelf {
			j++
		}
		out = appendPyDecodeUTF8(out, unquoteToBytes(s[i:j]))
		i = j
	}
	return string(out)
}

func unquoteToBytes(s string) []byte {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, byte(hexNibble(s[i+1])<<4|hexNibble(s[i+2])))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return b
}

func hexNibble(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// appendPyDecodeUTF8 decodes b like Python's bytes.decode("utf-8", "replace"): each maximal
// ill-formed subpart becomes one U+FFFD.
func appendPyDecodeUTF8(out, b []byte) []byte {
	for i := 0; i < len(b); {
		c := b[i]
		if c < 0x80 {
			out = append(out, c)
			i++
			continue
		}
		var need int
		lo, hi := byte(0x80), byte(0xBF)
		switch {
		case c >= 0xC2 && c <= 0xDF:
			need = 1
		case c == 0xE0:
			need, lo = 2, 0xA0
		case c >= 0xE1 && c <= 0xEC, c == 0xEE, c == 0xEF:
			need = 2
		case c == 0xED:
			need, hi = 2, 0x9F
		case c == 0xF0:
			need, lo = 3, 0x90
		case c >= 0xF1 && c <= 0xF3:
			need = 3
		case c == 0xF4:
			need, hi = 3, 0x8F
		default:
			out = append(out, "\uFFFD"...)
			i++
			continue
		}
		j := i + 1
		ok := true
		for k := 0; k < need; k++ {
			if j >= len(b) {
				ok = false
				break
			}
			l, h := byte(0x80), byte(0xBF)
			if k == 0 {
				l, h = lo, hi
			}
			if b[j] < l || b[j] > h {
				ok = false
				break
			}
			j++
		}
		if ok {
			out = append(out, b[i:j]...)
		} else {
			out = append(out, "\uFFFD"...)
		}
		i = j
	}
	return out
}

// appendQuotePlus appends urllib's quote_plus(s, safe="") to dst: UTF-8 bytes other than
// [A-Za-z0-9_.~-] as %XX (upper case), space as "+".
func appendQuotePlus(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case isASCIIAlnum(c) || c == '_' || c == '.' || c == '-' || c == '~':
			dst = append(dst, c)
		case c == ' ':
			dst = append(dst, '+')
		default:
			dst = append(dst, '%', hex[c>>4], hex[c&0xf])
		}
	}
	return dst
}

// appendSimpleURL appends to dst SanitizeURLStrict(u) for a URL u found in text (it starts
// with "http://" or "https://", schemeLen being 4 or 5, and holds no byte urlEnd stops at)
// whose parse is simple: ASCII without controls and brackets (urlparse neither strips nor
// raises), a non-empty authority, no ';' in the path (no params). It writes the parts
// straight into dst, with no intermediate strings. ok is false, and dst unchanged, for any
// other u (the caller takes the general path).
func appendSimpleURL(dst []byte, u string, schemeLen int) (_ []byte, ok bool) {
	for i := 0; i < len(u); i++ {
		if urlNotSimple[u[i]] {
			return dst, false
		}
	}
	rest := u[schemeLen+3:]
	netEnd := len(rest) // the authority ends at the first '/', '?' or '#'
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; c == '/' || c == '?' || c == '#' {
			netEnd = i
			break
		}
	}
	if netEnd == 0 {
		return dst, false
	}
	netloc, tail := rest[:netEnd], rest[netEnd:]
	var fragment string
	if k := strings.IndexByte(tail, '#'); k >= 0 {
		tail, fragment = tail[:k], tail[k+1:]
	}
	var query string
	if k := strings.IndexByte(tail, '?'); k >= 0 {
		tail, query = tail[:k], tail[k+1:]
	}
	if strings.IndexByte(tail, ';') >= 0 {
		return dst, false
	}
	userinfo := false // parsed.username or parsed.password
	if at := strings.LastIndexByte(netloc, '@'); at > 0 {
		user, pass, _ := strings.Cut(netloc[:at], ":")
		userinfo = user != "" || pass != ""
	}
	if !userinfo && query == "" {
		return append(dst, u...), true
	}
	dst = append(dst, u[:schemeLen+3]...)
	if userinfo {
		dst = append(dst, URLMask+":"+URLMask+"@"...)
		dst = append(dst, netloc[strings.IndexByte(netloc, '@')+1:]...)
	} else {
		dst = append(dst, netloc...)
	}
	dst = append(dst, tail...)
	if query != "" {
		q := len(dst)
		dst = appendSanitizedQuery(append(dst, '?'), query)
		if len(dst) == q+1 { // an empty query: urlunparse writes no '?'
			dst = dst[:q]
		}
	}
	if fragment != "" {
		dst = append(dst, '#')
		dst = append(dst, fragment...)
	}
	return dst, true
}

// urlNotSimple marks the bytes appendSimpleURL refuses: controls, space, brackets, non-ASCII.
var urlNotSimple = func() (t [256]bool) {
	for c := range t {
		t[c] = c <= ' ' || c == 0x7f || c == '[' || c == ']' || c >= utf8.RuneSelf
	}
	return t
}()
