package payload

import (
	"errors"
	"slices"
	"sync"
)

// The ToolResult shape, once: the members of Python's ToolResult.model_dump(by_alias=True), in
// order, for the result and for each content item type. NormalizeToolResult (the tree path) and
// SerializeTextToolResultRedacted (the streamed path) both write exactly these.
var (
	toolResultMembers  = []string{"content", "isError", "structuredContent", "_meta"}
	textItemMembers    = []string{"type", "text", "annotations", "_meta"}
	contentItemMembers = map[string][]string{
		"text":  textItemMembers,
		"image": {"type", "data", "mimeType", "annotations", "_meta"},
		"audio": {"type", "data", "mimeType", "annotations", "_meta"},
	}
	// What the streamed path writes before each member's value (memberKeys), and with a null or
	// bool value (withValue).
	toolResultKeys, textItemKeys    = memberKeys(toolResultMembers), memberKeys(textItemMembers)
	toolResultNulls, textItemNulls  = withValue(toolResultKeys, "null"), withValue(textItemKeys, "null")
	toolResultTrue, toolResultFalse = toolResultKeys[rootIsErrorIndex] + "true", toolResultKeys[rootIsErrorIndex] + "false"
	rootIsErrorIndex                = slices.Index(toolResultMembers, "isError")
)

// memberKeys is, for each member of an object written in this order, what SerializeRedacted
// writes before its value: the object's '{' (first member) or a comma, the key in quotes (the
// members' names are plain ASCII), the ':'.
func memberKeys(members []string) []string {
	keys := make([]string, len(members))
	for i, m := range members {
		keys[i] = `,"` + m + `":`
		if i == 0 {
			keys[i] = `{"` + m + `":`
		}
	}
	return keys
}

// withValue is each of keys followed by value.
func withValue(keys []string, value string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + value
	}
	return out
}

// NormalizeToolResult normalizes an MCP CallToolResult to Python's ToolResult JSON:
// content[{type,text|data,mimeType,annotations,_meta}], isError (false when absent or null),
// structuredContent, _meta; missing members are null. Anything but an object is returned as is,
// and so is a content item of another type.
func NormalizeToolResult(v Value) Value {
	in, ok := v.(*Object)
	if !ok {
		return v
	}
	out := NewObject(len(toolResultMembers))
	for _, m := range toolResultMembers {
		switch m {
		case "content":
			content := []Value{}
			if cv, ok := in.Get(m); ok {
				if list, ok := cv.([]Value); ok {
					content = make([]Value, 0, len(list))
					for _, item := range list {
						content = append(content, normalizeContentItem(item))
					}
				}
			}
			out.Set(m, content)
		case "isError":
			isErr, ok := in.Get(m)
			if !ok || isErr == nil {
				isErr = false
			}
			out.Set(m, isErr)
		default:
			out.Set(m, getOrNil(in, m))
		}
	}
	return out
}

func normalizeContentItem(v Value) Value {
	in, ok := v.(*Object)
	if !ok {
		return v
	}
	t, _ := in.Get("type")
	typ, _ := t.(string)
	members, ok := contentItemMembers[typ]
	if !ok {
		return v
	}
	out := NewObject(len(members))
	for _, k := range members {
		out.Set(k, getOrNil(in, k))
	}
	return out
}

func getOrNil(o *Object, key string) Value {
	v, _ := o.Get(key)
	return v
}

// errUnusualToolResult stops the tool-result scan: the text is not the common shape, so the
// caller takes the tree path (ParseString, normalize, SerializeRedacted).
var errUnusualToolResult = errors.New("not a plain text tool result")

// SerializeTextToolResultRedacted writes the normalized ToolResult JSON of an MCP
// CallToolResult text, redacted by r, without building a tree, when the text has the common
// shape: an object with at most the keys content (a list of objects with at most the keys
// type = "text", text (a string), annotations = null, _meta = null), isError (a bool or null),
// structuredContent = null and _meta = null, each once. The output is then
//
//	{"content":[{"type":"text","text":T,"annotations":null,"_meta":null},...],
//	 "isError":B,"structuredContent":null,"_meta":null}
//
// encoded as SerializeRedacted would encode that tree. ok is false (and r untouched) for any
// other text, including text that is not JSON: the caller then takes the tree path. It also
// reports, when ok, whether text is known to be ASCII (so valid UTF-8): the scan read it whole, and
// none of its strings held a byte >= 0x80. false says nothing (see SerializeJSONRedacted).
func SerializeTextToolResultRedacted(text string, maxSize int, r Redaction) (out string, ascii, ok bool) {
	s := toolResultScanners.Get().(*toolResultScanner) // a handler escapes: kept, not allocated
	defer s.release()
	s.texts = s.textsBuf[:0]
	p := parser{data: text, h: s}
	if err := p.run(); err != nil || s.failed || s.depth != 0 || !s.done {
		return "", false, false
	}
	w := newRedactingEncoder(maxSize, r, len(text)+64)
	defer w.release()
	// Written straight to the encoder, in the order and the pieces SerializeRedacted writes
	// them, the rules asked the same questions in the same order: a member's key with what
	// comes before it (toolResultKeys, textItemKeys), then the mask if MaskMember masks it, else
	// the value; a null or bool member is one piece with its key when not masked.
	e := &w.e
	for i, m := range toolResultMembers {
		switch m {
		case "content":
			if w.maskedMember(m, toolResultKeys[i]) {
				continue
			}
			e.writeByte('[')
			for n, t := range s.texts {
				if n > 0 {
					e.writeByte(',')
				}
				for j, k := range textItemMembers {
					switch k {
					case "type":
						if !w.maskedMember(k, textItemKeys[j]) {
							w.writeText(k, "text", true)
						}
					case "text":
						if !w.maskedMember(k, textItemKeys[j]) {
							w.writeText(k, t.text, t.plain)
						}
					default:
						w.literalMember(k, textItemNulls[j], len(textItemKeys[j]))
					}
				}
				e.writeByte('}')
			}
			e.writeByte(']')
		case "isError":
			lit := toolResultFalse
			if s.isError {
				lit = toolResultTrue
			}
			w.literalMember(m, lit, len(toolResultKeys[i]))
		default:
			w.literalMember(m, toolResultNulls[i], len(toolResultKeys[i]))
		}
	}
	e.writeByte('}')
	return w.finish(maxSize), !p.nonASCII, true
}

// maskedMember writes lit, a member's key with what goes before it (memberKeys), and, when
// MaskMember masks key, the mask in place of the value; it reports whether it did.
func (w *redactingEncoder) maskedMember(key, lit string) bool {
	w.e.writeASCII(lit)
	if mask, masked := w.r.MaskMember(key); masked {
		w.e.writeString(mask)
		return true
	}
	return false
}

// literalMember writes lit, a member's key with what goes before it (its first n bytes, see
// memberKeys) and its ASCII value, in one piece; when MaskMember masks key, the key and the
// mask in place of the value.
func (w *redactingEncoder) literalMember(key, lit string, n int) {
	if mask, masked := w.r.MaskMember(key); masked {
		w.e.writeASCII(lit[:n])
		w.e.writeString(mask)
		return
	}
	w.e.writeASCII(lit)
}

// writeText writes the string s under field as the rules answer it (str without a frame).
func (w *redactingEncoder) writeText(field, s string, plain bool) {
	if out, _, outPlain := w.text(field, s, plain); outPlain {
		w.e.writePlain(out)
	} else {
		w.e.writeString(out)
	}
}

// Members of the root (rootXxx) and of a text content item (itemXxx), as bits of a seen set:
// bit i is member i of toolResultMembers / textItemMembers.
var (
	rootContent     = memberBit(toolResultMembers, "content")
	rootIsError     = memberBit(toolResultMembers, "isError")
	rootStructured  = memberBit(toolResultMembers, "structuredContent")
	rootMeta        = memberBit(toolResultMembers, "_meta")
	itemType        = memberBit(textItemMembers, "type")
	itemText        = memberBit(textItemMembers, "text")
	itemAnnotations = memberBit(textItemMembers, "annotations")
	itemMeta        = memberBit(textItemMembers, "_meta")
)

func memberBit(members []string, name string) int {
	for i, m := range members {
		if m == name {
			return 1 << i
		}
	}
	panic("payload: " + name + " is not a ToolResult member")
}

// toolResultScanner is the parse handler that checks the common shape and keeps its texts.
// depth: 0 outside, 1 in the root object, 2 in the content list, 3 in a content item.
type toolResultScanner struct {
	depth    int
	pending  int // the member whose value comes next (one bit), 0 when none
	rootSeen int
	itemSeen int
	itemText scannedText
	isError  bool
	failed   bool
	done     bool
	texts    []scannedText
	textsBuf [4]scannedText
}

// toolResultScanners keeps scanners between calls.
var toolResultScanners = sync.Pool{New: func() any { return new(toolResultScanner) }}

// release returns s to the pool, holding no reference to the texts.
func (s *toolResultScanner) release() {
	*s = toolResultScanner{}
	toolResultScanners.Put(s)
}

// scannedText is the text of a content item, and whether the parser saw it plain.
type scannedText struct {
	text  string
	plain bool
}

// value takes a scalar; only the (member, kind) pairs of the common shape pass (a content
// item's text is taken by str).
func (s *toolResultScanner) value(isNull, isBool, b, isStr bool, str string) {
	p := s.pending
	s.pending = 0
	switch {
	case s.depth == 1 && p == rootIsError && (isNull || isBool):
		s.isError = isBool && b
	case s.depth == 1 && (p == rootStructured || p == rootMeta) && isNull:
	case s.depth == 3 && p == itemType && isStr && str == "text":
	case s.depth == 3 && (p == itemAnnotations || p == itemMeta) && isNull:
	default:
		s.failed = true
	}
}

func (s *toolResultScanner) null()          { s.value(true, false, false, false, "") }
func (s *toolResultScanner) boolean(b bool) { s.value(false, true, b, false, "") }
func (s *toolResultScanner) number(Number)  { s.failed = true }
func (s *toolResultScanner) str(v string, plain bool) {
	if s.depth == 3 && s.pending == itemText {
		s.pending = 0
		s.itemText = scannedText{text: v, plain: plain}
		return
	}
	s.value(false, false, false, true, v)
}
func (s *toolResultScanner) other(Value) { s.failed = true }
func (s *toolResultScanner) endArray()   { s.depth = 1 } // only the content list opens
func (s *toolResultScanner) beginArray() error {
	if s.failed || s.depth != 1 || s.pending != rootContent {
		return errUnusualToolResult
	}
	s.pending, s.depth = 0, 2
	return nil
}

func (s *toolResultScanner) beginObject() error {
	if s.failed {
		return errUnusualToolResult
	}
	switch s.depth {
	case 0:
		s.depth = 1
	case 2:
		s.depth, s.itemSeen, s.itemText = 3, 0, scannedText{}
	default:
		return errUnusualToolResult
	}
	return nil
}

func (s *toolResultScanner) key(k string, _ bool) error {
	if s.failed {
		return errUnusualToolResult
	}
	members, seen := toolResultMembers, &s.rootSeen
	if s.depth != 1 {
		members, seen = textItemMembers, &s.itemSeen
	}
	bit := 0
	for i, m := range members {
		if m == k {
			bit = 1 << i
			break
		}
	}
	if bit == 0 || *seen&bit != 0 {
		return errUnusualToolResult
	}
	*seen |= bit
	s.pending = bit
	return nil
}

func (s *toolResultScanner) endObject() {
	if s.depth == 1 {
		s.depth, s.done = 0, true
		return
	}
	// A content item: the tree path writes a text null for a missing text, and leaves an
	// item without type as it is; both are left to it.
	if s.itemSeen&(itemType|itemText) != itemType|itemText {
		s.failed = true
	}
	s.texts = append(s.texts, s.itemText)
	s.depth = 2
}
