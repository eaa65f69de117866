package payload

import "errors"

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
// other text, including text that is not JSON: the caller then takes the tree path.
func SerializeTextToolResultRedacted(text string, maxSize int, r Redaction) (out string, ok bool) {
	s := toolResultScanner{}
	s.texts = s.textsBuf[:0]
	if err := parseEvents(text, &s); err != nil || s.failed || s.depth != 0 || !s.done {
		return "", false
	}
	w := newRedactingEncoder(maxSize, r, false, len(text)+64)
	defer w.release()
	_ = w.beginObject() // depth errors start at MaxDepth, far below here
	_ = w.key("content")
	_ = w.beginArray()
	for _, t := range s.texts {
		_ = w.beginObject()
		_ = w.key("type")
		w.str("text")
		_ = w.key("text")
		w.str(t)
		_ = w.key("annotations")
		w.null()
		_ = w.key("_meta")
		w.null()
		w.endObject()
	}
	w.endArray()
	_ = w.key("isError")
	w.boolean(s.isError)
	_ = w.key("structuredContent")
	w.null()
	_ = w.key("_meta")
	w.null()
	w.endObject()
	return w.finish(maxSize), true
}

// Members of the root (rootXxx) and of a content item (itemXxx), as bits of a seen set.
const (
	rootContent = 1 << iota
	rootIsError
	rootStructured
	rootMeta
)

const (
	itemType = 1 << iota
	itemText
	itemAnnotations
	itemMeta
)

// toolResultScanner is the parse handler that checks the common shape and keeps its texts.
// depth: 0 outside, 1 in the root object, 2 in the content list, 3 in a content item.
type toolResultScanner struct {
	depth    int
	pending  int // the member whose value comes next (one bit), 0 when none
	rootSeen int
	itemSeen int
	itemText string
	isError  bool
	failed   bool
	done     bool
	texts    []string
	textsBuf [4]string
}

// value takes a scalar; only the (member, kind) pairs of the common shape pass.
func (s *toolResultScanner) value(isNull, isBool, b, isStr bool, str string) {
	p := s.pending
	s.pending = 0
	switch {
	case s.depth == 1 && p == rootIsError && (isNull || isBool):
		s.isError = isBool && b
	case s.depth == 1 && (p == rootStructured || p == rootMeta) && isNull:
	case s.depth == 3 && p == itemType && isStr && str == "text":
	case s.depth == 3 && p == itemText && isStr:
		s.itemText = str
	case s.depth == 3 && (p == itemAnnotations || p == itemMeta) && isNull:
	default:
		s.failed = true
	}
}

func (s *toolResultScanner) null()          { s.value(true, false, false, false, "") }
func (s *toolResultScanner) boolean(b bool) { s.value(false, true, b, false, "") }
func (s *toolResultScanner) number(Number)  { s.failed = true }
func (s *toolResultScanner) str(v string)   { s.value(false, false, false, true, v) }
func (s *toolResultScanner) other(Value)    { s.failed = true }
func (s *toolResultScanner) endArray()      { s.depth = 1 } // only the content list opens
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
		s.depth, s.itemSeen, s.itemText = 3, 0, ""
	default:
		return errUnusualToolResult
	}
	return nil
}

func (s *toolResultScanner) key(k string) error {
	if s.failed {
		return errUnusualToolResult
	}
	bit, seen := 0, &s.rootSeen
	if s.depth == 1 {
		switch k {
		case "content":
			bit = rootContent
		case "isError":
			bit = rootIsError
		case "structuredContent":
			bit = rootStructured
		case "_meta":
			bit = rootMeta
		}
	} else {
		seen = &s.itemSeen
		switch k {
		case "type":
			bit = itemType
		case "text":
			bit = itemText
		case "annotations":
			bit = itemAnnotations
		case "_meta":
			bit = itemMeta
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
