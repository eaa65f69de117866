package mcpparityprocessor

// The spans of one batch repeat their attribute values: every span of a request carries the
// same caller, team and correlation id, and a batch holds many calls of the same tools (the
// 1,000-span bench batch has 8,460 string facts and 470 distinct values). Sanitizing is a
// pure function of the value and of whether its key is URL-like, so within a batch each
// distinct short value is sanitized once.
const (
	// maxMemoValueBytes: longer values (payload-sized text) are rarely repeated and are
	// sanitized each time, so the memo only holds small strings.
	maxMemoValueBytes = 256
	// maxMemoEntries bounds the memo of one batch (a hostile batch of distinct values).
	maxMemoEntries = 4096
)

type memoKey struct {
	urlLike keyPolicy
	value   string
}

// memoize returns sanitize(urlLike, s), computed once per batch for each short value.
func (c *counts) memoize(urlLike keyPolicy, s string, sanitize func(keyPolicy, string) string) string {
	if len(s) > maxMemoValueBytes {
		return sanitize(urlLike, s)
	}
	k := memoKey{urlLike, s}
	if clean, ok := c.sanitized[k]; ok {
		return clean
	}
	clean := sanitize(urlLike, s)
	if c.sanitized == nil {
		c.sanitized = make(map[memoKey]string, 64)
	}
	if len(c.sanitized) < maxMemoEntries {
		c.sanitized[k] = clean
	}
	return clean
}
