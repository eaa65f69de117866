package mcpparityprocessor

import "sync"

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

// memoized returns what the batch memo holds for s under a key of policy pol (a masked key:
// nothing, its answer is the mask).
func (c *counts) memoized(pol keyPolicy, s string) (string, bool) {
	if pol&keyMasked != 0 || c.sanitized == nil || len(s) > maxMemoValueBytes {
		return "", false
	}
	clean, ok := c.sanitized[memoKey{pol & keyURLLike, s}]
	return clean, ok
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
		c.sanitized = memos.Get().(map[memoKey]string)
	}
	if len(c.sanitized) < maxMemoEntries {
		c.sanitized[k] = clean
	}
	return clean
}

// memos keeps the memo maps of finished batches, emptied, so a batch does not allocate one.
var memos = sync.Pool{New: func() any { return make(map[memoKey]string) }}

// releaseMemo empties the batch's memo (it must not keep the batch's strings alive) and
// returns it to memos.
func (c *counts) releaseMemo() {
	if c.sanitized != nil {
		clear(c.sanitized)
		memos.Put(c.sanitized)
		c.sanitized = nil
	}
}
