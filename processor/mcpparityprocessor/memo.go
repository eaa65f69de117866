package mcpparityprocessor

import "sync"

// The spans of one batch repeat their attribute values: every span of a request carries the
// same caller, team and correlation id, and a batch holds many calls of the same tools (the
// 1,000-span bench batch has 8,460 string facts and 470 distinct values). Sanitizing is a
// pure function of the value and of whether its key is URL-like, so within a batch each
// distinct short value is sanitized once. In front of the memo, each key the processor writes
// remembers the last value it exported (exportKey slots, exportString): the spans of one request
// repeat it, and one comparison answers. A slot whose value was exported unchanged keeps a copy
// of it for the next batches (transformScratch.last); any other is emptied at the batch's end.
const (
	// maxMemoValueBytes: longer values (payload-sized text) are rarely repeated and are
	// sanitized each time, so the memo only holds small strings.
	maxMemoValueBytes = 256
	// maxMemoEntries bounds each map of the memo of one batch (a hostile batch of distinct values).
	maxMemoEntries = 4096
)

// sanitizedMemo maps a valid UTF-8 value to its sanitized form, one map per key kind (plain,
// URL-like); string-keyed maps take the runtime's fast string path.
type sanitizedMemo struct {
	plain, urlLike map[string]string
}

func (m *sanitizedMemo) of(urlLike keyPolicy) map[string]string {
	if urlLike != 0 {
		return m.urlLike
	}
	return m.plain
}

// memoized returns what the batch memo holds for s under a key of policy pol (a masked key:
// nothing, its answer is the mask).
func (c *counts) memoized(pol keyPolicy, s string) (string, bool) {
	if pol&keyMasked != 0 || c.sanitized == nil || len(s) > maxMemoValueBytes {
		return "", false
	}
	clean, ok := c.sanitized.of(pol & keyURLLike)[s]
	return clean, ok
}

// memoize returns sanitize(urlLike, s), computed once per batch for each short value; s must be
// valid UTF-8 (memoized answers without checking).
func (c *counts) memoize(urlLike keyPolicy, s string, sanitize func(keyPolicy, string) string) string {
	if len(s) > maxMemoValueBytes {
		return sanitize(urlLike, s)
	}
	if c.sanitized == nil {
		c.sanitized = memos.Get().(*sanitizedMemo)
	}
	m := c.sanitized.of(urlLike)
	if clean, ok := m[s]; ok {
		return clean
	}
	clean := sanitize(urlLike, s)
	if len(m) < maxMemoEntries {
		m[s] = clean
	}
	return clean
}

// memos keeps the memos of finished batches, emptied, so a batch does not allocate one.
var memos = sync.Pool{New: func() any {
	return &sanitizedMemo{plain: make(map[string]string), urlLike: make(map[string]string)}
}}

// releaseMemo empties the batch's memo (it must not keep the batch's strings alive) and
// returns it to memos.
func (c *counts) releaseMemo() {
	if c.sanitized != nil {
		clear(c.sanitized.plain)
		clear(c.sanitized.urlLike)
		memos.Put(c.sanitized)
		c.sanitized = nil
	}
}
