package payload

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseEncodePythonSemantics(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b": 1, "a": [true, false, null], "b": 2}`, `{"b":2,"a":[true,false,null]}`}, // dict: first position, last value
		{`[1e16, 1e-5, 100.0, 1.5, 0.1, -0.0, 1E400, -1e400, 123456789012345678901234567890, -0]`,
			`[1e+16,1e-05,100.0,1.5,0.1,-0.0,Infinity,-Infinity,123456789012345678901234567890,0]`},
		{`[NaN, Infinity, -Infinity, 1e15, 12345678901234567.0, 0.0001, 0.00001]`,
			`[NaN,Infinity,-Infinity,1000000000000000.0,1.2345678901234568e+16,0.0001,1e-05]`},
		{`"\u00e9\ud83d\ude00\ud800x\"\\\/\b\f\n\r\t\u0001\u007f\u2028"`, "\"é😀\uFFFDx\\\"\\\\/\\b\\f\\n\\r\\t\\u0001\u007f\u2028\""},
		{" \t\r\n{}\n", `{}`},
	}
	for _, c := range cases {
		v, err := Parse([]byte(c.in))
		if err != nil {
			t.Fatalf("Parse(%s): %v", c.in, err)
		}
		if got := Encode(v); got != c.want {
			t.Errorf("Encode(Parse(%s)) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `[1,]`, `{"a":1,}`, `{'a':1}`, `1 2`, `"a` + "\n" + `"`, `01`, `1.`, `nul`, `"\x"`, `"\u12"`, "\ufeff1", strings.Repeat("9", MaxIntDigits+1)} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("Parse(%.40q) accepted bad input", in)
		}
	}
	deep := strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1)
	if _, err := Parse([]byte(deep)); !errors.Is(err, ErrTooDeep) {
		t.Errorf("Parse of depth %d: %v, want ErrTooDeep", MaxDepth+1, err)
	}
	ok := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Parse([]byte(ok)); err != nil {
		t.Errorf("Parse of depth %d: %v", MaxDepth, err)
	}
}

func TestSerializeTruncation(t *testing.T) {
	for _, size := range []int{256, 300, 1000} {
		for _, ch := range []string{"a", "é", "😀", "\n", "\x01", `"`} {
			v := strings.Repeat(ch, 3*size)
			got := Serialize(v, size)
			n := utf8.RuneCountInString(got)
			if n > size || !json.Valid([]byte(got)) {
				t.Fatalf("Serialize(%q*%d, %d): %d code points, valid=%v", ch, 3*size, size, n, json.Valid([]byte(got)))
			}
			if ch == "a" && n != size-1 { // Python's shrink loop removes overflow+1
				t.Errorf("Serialize(a*%d, %d) has %d code points, want %d", 3*size, size, n, size-1)
			}
			if !strings.Contains(got, `"_original_size":`+itoa(utf8.RuneCountInString(Encode(v)))) {
				t.Errorf("wrapper lacks the original size: %.80s", got)
			}
		}
	}
	if got := Serialize("abc", 0); got != `"abc"` {
		t.Errorf("max 0 means default: %s", got)
	}
	if got := Serialize(strings.Repeat("a", 100), 17); got != `{"_truncated":tru` {
		t.Errorf("tiny max cuts the minimal wrapper: %s", got)
	}
	if got := Serialize(strings.Repeat("a", 100), -5); got != `{"_truncated":` {
		t.Errorf("negative max slices like Python: %s", got)
	}
	exact := strings.Repeat("a", 254) // 256 with quotes: fits exactly
	if got := Serialize(exact, 256); got != `"`+exact+`"` {
		t.Errorf("exact fit truncated")
	}
}

func TestObjectDictSemantics(t *testing.T) {
	o := NewObject(0)
	for i := 0; i < 20; i++ {
		o.Set(string(rune('a'+i)), IntNumber(int64(i)))
	}
	o.Set("c", "x")
	if o.Len() != 20 || o.Key(2) != "c" || o.Value(2) != "x" {
		t.Errorf("Set on existing key must keep position: %s", Encode(o))
	}
	if v, ok := o.Get("t"); !ok || v.(Number).String() != "19" {
		t.Errorf("Get(t) = %v %v", v, ok)
	}
	if FloatNumber(math.NaN()).String() != "NaN" || Encode(float64(3)) != "3.0" || Encode(struct{}{}) != `"{}"` {
		t.Error("scalar encoding")
	}
}

func itoa(n int) string { return IntNumber(int64(n)).String() }

// TestPlainRunEnd: the word-at-a-time scan ends every run where a byte-by-byte scan of
// plainStringByte does, for each start, on strings mixing plain bytes with each byte value,
// and with two bytes of which the first borders a special byte (where a word's borrows could
// flag a byte above it: the scan must take the lowest).
func TestPlainRunEnd(t *testing.T) {
	byteLoop := func(s string, i int) int {
		for i < len(s) && plainStringByte[s[i]] {
			i++
		}
		return i
	}
	plain := "abcdefghijklmnop qrstuvwxyz0123456789~\x7f"
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 20; pos++ {
			b := []byte(plain[:20])
			b[pos] = byte(c)
			s := string(b) + plain
			for i := 0; i <= len(s); i++ {
				if got, want := plainRunEnd(s, i), byteLoop(s, i); got != want {
					t.Fatalf("plainRunEnd(%q, %d) = %d, want %d", s, i, got, want)
				}
			}
		}
	}
	for _, c1 := range []byte{0x00, 0x01, 0x1f, 0x20, 0x21, '"', '#', '[', '\\', ']', 0x7f, 0x80, 0xc3, 0xff} {
		for c2 := 0; c2 < 256; c2++ {
			for pos1 := 0; pos1 < 9; pos1++ {
				for pos2 := pos1 + 1; pos2 < 10; pos2++ {
					b := []byte(plain[:12])
					b[pos1], b[pos2] = c1, byte(c2)
					s := string(b)
					for i := 0; i <= 4; i++ {
						if got, want := plainRunEnd(s, i), byteLoop(s, i); got != want {
							t.Fatalf("plainRunEnd(%q, %d) = %d, want %d", s, i, got, want)
						}
					}
				}
			}
		}
	}
}

// TestPlainRunEndLong: on runs long enough for the blocks (plainBlockClean), the scan still
// ends where the byte loop does, for every byte value at every position of a 700-byte run
// (in the first four words, in a block, in the words after the last block, in the last
// bytes), from starts on both sides of the first block's bounds.
func TestPlainRunEndLong(t *testing.T) {
	byteLoop := func(s string, i int) int {
		for i < len(s) && plainStringByte[s[i]] {
			i++
		}
		return i
	}
	base := []byte(strings.Repeat("lorem ipsum dolor sit amet ~!#$%&'()*+,-./:;<=>?@[]^_`{|}\x7f", 13)[:700])
	for c := 0; c < 256; c++ {
		for pos := 0; pos < len(base); pos++ {
			b := append([]byte(nil), base...)
			b[pos] = byte(c)
			s := string(b)
			for _, i := range []int{0, 1, 7, 31, 32, 33, 287, 288, 289, 600} {
				if got, want := plainRunEnd(s, i), byteLoop(s, i); got != want {
					t.Fatalf("plainRunEnd(%q, %d) = %d, want %d (byte %#x at %d)", s, i, got, want, c, pos)
				}
			}
		}
	}
	// A clean run ends at the end of the text, whatever its length.
	for n := 0; n <= 600; n++ {
		s := string(base[:n])
		for _, i := range []int{0, 3, 40} {
			if i <= n {
				if got := plainRunEnd(s, i); got != n {
					t.Fatalf("plainRunEnd(clean[:%d], %d) = %d, want %d", n, i, got, n)
				}
			}
		}
	}
}

// fieldRules is a Redaction for tests: a string is replaced by field:string, upper-cased;
// members keyed "secret" are masked. It counts its Text calls.
type fieldRules struct{ calls int }

func (r *fieldRules) MaskMember(key string) (string, bool) { return "***", key == "secret" }
func (r *fieldRules) Restart()                             {}
func (r *fieldRules) Text(field, s string, _ bool) (string, bool) {
	r.calls++
	return strings.ToUpper(field + ":" + s), false
}

// TestRepeatedStringsUseTheTextMemo: a string met again under the same field gets the answer
// the rules gave it (the memo saves the call), after a streak of strings that all differ too;
// under another field, the rules are asked again.
// The streamed pass, the tree walk and the duplicate-key fallback write the same text.
func TestRepeatedStringsUseTheTextMemo(t *testing.T) {
	doc := `{"items":[{"t":"a","u":"a"},{"t":"a","u":"a"},{"t":"a","u":"b","secret":"a"},{"t":"a","u":"a"}],"t":"a"}`
	want := `{"items":[{"t":"T:A","u":"U:A"},{"t":"T:A","u":"U:A"},{"t":"T:A","u":"U:B","secret":"***"},{"t":"T:A","u":"U:A"}],"t":"T:A"}`
	r := &fieldRules{}
	got, _, err := SerializeJSONRedacted(doc, 0, r)
	if err != nil || got != want {
		t.Fatalf("streamed: %s, %v; want %s", got, err, want)
	}
	if r.calls != 3 { // t:a, u:a, u:b
		t.Errorf("streamed: %d Text calls, want 3 (one per distinct field and string)", r.calls)
	}
	v, err := ParseString(doc)
	if err != nil {
		t.Fatal(err)
	}
	r = &fieldRules{}
	if got := SerializeRedacted(v, 0, r); got != want || r.calls != 3 {
		t.Errorf("tree: %s with %d calls; want %s with 3", got, r.calls, want)
	}
	dup := `{"t":"a","t":"b","u":"a"}` // a duplicate key: the tree path, after Restart
	r = &fieldRules{}
	if got, _, err := SerializeJSONRedacted(dup, 0, r); err != nil || got != `{"t":"T:B","u":"U:A"}` {
		t.Errorf("duplicate keys: %s, %v", got, err)
	}
	// More distinct strings than the memo holds, repeated: every answer is still the rules'.
	var b, w strings.Builder
	b.WriteByte('[')
	w.WriteByte('[')
	for i := 0; i < 40; i++ {
		if i > 0 {
			b.WriteByte(',')
			w.WriteByte(',')
		}
		s := string(rune('a' + i%7))
		b.WriteString(`"` + s + `"`)
		w.WriteString(`"` + strings.ToUpper("item:"+s) + `"`) // "item": a list under no member
	}
	b.WriteByte(']')
	w.WriteByte(']')
	if got, _, err := SerializeJSONRedacted(b.String(), 0, &fieldRules{}); err != nil || got != w.String() {
		t.Errorf("cycling strings: %s, %v; want %s", got, err, w.String())
	}
	// Strings that all differ, then one repeated: the memo stands aside after textMisses misses
	// in a row and serves again textRetry strings later, so the repeated string is asked at most
	// textRetry+1 times; every answer is the rules'.
	distinct := 3 * (textMisses + textRetry)
	b.Reset()
	w.Reset()
	for i := range distinct {
		fmt.Fprintf(&b, `,"s%d"`, i)
		fmt.Fprintf(&w, `,"ITEM:S%d"`, i)
	}
	for range 100 {
		b.WriteString(`,"a"`)
		w.WriteString(`,"ITEM:A"`)
	}
	doc, want = "["+b.String()[1:]+"]", "["+w.String()[1:]+"]"
	if v, err = ParseString(doc); err != nil {
		t.Fatal(err)
	}
	streamed, tree := &fieldRules{}, &fieldRules{}
	if got, _, err := SerializeJSONRedacted(doc, 0, streamed); err != nil || got != want {
		t.Errorf("a streak, then a repeat: %s, %v; want %s", got, err, want)
	}
	if got := SerializeRedacted(v, 0, tree); got != want {
		t.Errorf("a streak, then a repeat: the tree writes %s; want %s", got, want)
	}
	for _, r := range []*fieldRules{streamed, tree} {
		if r.calls > distinct+textRetry+1 {
			t.Errorf("a streak, then a repeat: %d Text calls, want at most %d", r.calls, distinct+textRetry+1)
		}
	}
}

// TestRepeatedMembersAnswerAsTheRules: the streaming pass answers a member spelled like the
// last one whose plain string value the rules left unchanged (key, separators and value) from
// that member's source, without asking the rules; anything spelled otherwise is asked. Each
// document is written as the tree walk writes it: a value changed under one key is not reused,
// the same value under another key (that the rules change) is asked again, spaces and a
// longer value are other spellings, list items and masked members are not members' values.
func TestRepeatedMembersAnswerAsTheRules(t *testing.T) {
	for _, tc := range []struct{ doc, want string }{
		{`[{"ab":"valuable"},{"abx":"valuable"},{"ab":"valuable"},{"abx":"valuable"}]`,
			`[{"ab":"valuable"},{"abx":"ABX:VALUABLE"},{"ab":"valuable"},{"abx":"ABX:VALUABLE"}]`},
		{`[{"ab":"valuex"},{"ab":"valuex"},{"ab":"value"},{"ab":"value"}]`,
			`[{"ab":"AB:VALUEX"},{"ab":"AB:VALUEX"},{"ab":"value"},{"ab":"value"}]`},
		{`[{"ab":"value"},{"ab" : "value"},{"ab":"value1"},{"ab":"value","ab2":"value"}]`,
			`[{"ab":"value"},{"ab":"value"},{"ab":"value1"},{"ab":"value","ab2":"value"}]`},
		{`{"ab":"value","l":["value",{"ab":"value"},"value",["value"]],"b":{"ab":"value"}}`,
			`{"ab":"value","l":["value",{"ab":"value"},"value",["value"]],"b":{"ab":"value"}}`},
		{`{"lx":["value",{"ab":"value"},"value"],"ab":"value"}`, `{"lx":["LX:VALUE",{"ab":"value"},"LX:VALUE"],"ab":"value"}`},
		{`[{"ab":"value","secret":"value"},{"ab":"value","secret":"value"},{"ab":"value"}]`,
			`[{"ab":"value","secret":"***"},{"ab":"value","secret":"***"},{"ab":"value"}]`},
		{`[{"ab":"value"},{"ab":"valu\u0065x"},{"ab":"valuex"},{"ab":"value"}]`,
			`[{"ab":"value"},{"ab":"AB:VALUEX"},{"ab":"AB:VALUEX"},{"ab":"value"}]`},
		// Members that alternate, keys whose first bytes share a place (a, i), a key changed.
		{`[{"ab":"valuable","id":"valuable"},{"ab":"valuable","id":"valuable"},{"ab":"valuable","ix":"valuable"}]`,
			`[{"ab":"valuable","id":"valuable"},{"ab":"valuable","id":"valuable"},{"ab":"valuable","ix":"IX:VALUABLE"}]`},
		// The same first and last words, another middle.
		{`[{"ab":"value-one-middle-end"},{"ab":"valux-one-middle-end"}]`,
			`[{"ab":"value-one-middle-end"},{"ab":"AB:VALUX-ONE-MIDDLE-END"}]`},
		// ... another third or fourth word (of six): every word between is compared.
		{`[{"ab":"value-one-two-three-four-five-end"},{"ab":"value-one-txo-three-four-five-end"}]`,
			`[{"ab":"value-one-two-three-four-five-end"},{"ab":"AB:VALUE-ONE-TXO-THREE-FOUR-FIVE-END"}]`},
		{`[{"ab":"value-one-two-three-four-five-end"},{"ab":"value-one-two-three-fxur-five-end"}]`,
			`[{"ab":"value-one-two-three-four-five-end"},{"ab":"AB:VALUE-ONE-TWO-THREE-FXUR-FIVE-END"}]`},
		{`[{"ab":"value"},{"ab":"value"`, ``}, // a syntax error after a repeated member: Parse's error
	} {
		got, _, err := SerializeJSONRedacted(tc.doc, 0, xRules{})
		v, perr := ParseString(tc.doc)
		if perr != nil {
			if err == nil || err.Error() != perr.Error() || tc.want != "" {
				t.Errorf("%s: %q, %v; Parse fails with %v", tc.doc, got, err, perr)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s: streamed %s, %v; want %s", tc.doc, got, err, tc.want)
		}
		if tree := SerializeRedacted(v, 0, xRules{}); tree != tc.want {
			t.Errorf("%s: tree %s; want %s", tc.doc, tree, tc.want)
		}
	}
}

// xRules is a Redaction for tests: a string holding 'x', or under a field holding 'x', is
// replaced by field:string, upper-cased; every other string stays; "secret" is masked.
type xRules struct{}

func (xRules) MaskMember(key string) (string, bool) { return "***", key == "secret" }
func (xRules) Restart()                             {}
func (xRules) Text(field, s string, plain bool) (string, bool) {
	if strings.Contains(field+s, "x") {
		return strings.ToUpper(field + ":" + s), plain
	}
	return s, plain
}

// TestObjectShapes: the streaming pass reads an object whose keys so far are the last ones read
// at its depth without the duplicate check or MaskMember for them; every document is written
// as the tree walk writes it (a duplicate key, plain or escaped, at any position after keys of
// the shape, a masked key in a shape's place, nested and deep objects, keys longer than a word
// and at the end of the text), and the rules are asked once per key of the first record only.
func TestObjectShapes(t *testing.T) {
	deep := strings.Repeat(`{"k":`, 8) + `{"ab":1,"cd":2}` + strings.Repeat(`}`, 8)
	deepDup := strings.Repeat(`{"k":`, 8) + `{"ab":1,"ab":2}` + strings.Repeat(`}`, 8)
	for _, doc := range []string{
		`[{"a":1,"b":2},{"a":1,"a":2}]`, `[{"ab":1,"cd":2},{"a":1,"a":2}]`,
		`[{"a":1,"b":2,"c":3},{"a":1,"b":2,"a":3},{"a":1,"b":2,"b":3}]`,
		`[{"a":1,"b":2,"c":3},{"a":1,"b":2,"c":3,"c":4},{"a":1,"b":2,"c":3,"d":4,"a":5}]`,
		`[{"ab":1,"cd":2},{"a\u0062":1,"ab":2},{"ab":1,"a\u0062":2},{"ab":1,"cd":2}]`,
		`[{"a":1,"s":"x","b":2},{"a":1,"s":"x","b":2},{"a":1,"b":2,"s":"y"},{"s":1,"a":2}]`,
		`[{"a":1,"m":{"x":1,"y":2},"b":2},{"a":1,"m":{"x":1,"y":2},"b":2},{"a":1,"m":{"x":1,"x":3},"b":2}]`,
		`[{"a":1,"m":{"x":1,"y":2},"b":2},{"a":1,"m":{"x":1,"y":2},"b":2,"m":3}]`,
		`[{"long-key-name-1":1,"long-key-name-2":2},{"long-key-name-1":1,"long-key-name-1":2}]`,
		`[{"long-key-name-1":1,"long-key-name-2":2},{"long-key-name-1":1,"long-key-name-3":2}]`,
		`[{"a":1,"b":2},{"b":1,"a":2},{"a":1},{"a":1,"b":2,"c":3},{"a":1,"b":{"a":1,"b":2}}]`,
		`[` + deep + `,` + deep + `,` + deepDup + `]`,
		`[{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k1":0},` +
			`{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k9":0}]`,
		`{"":1,"a":{"":1,"":2}}`, `[{"":1},{"":1,"":2}]`, `[{"a":1},{"a":1}`, `[{"a":1},{"a":1,}]`,
		`[{"ab":"x1","cd":"x2"},{"ab":"x3","cd":"x4"},{"ab" : "x5" , "cd":"x6"},{"abc":"x7","ab":"x8"}]`,
		`[{"ab":1,"cd":2},{"abc":1,"abc":2},{"ab":1,"c\"":2},{"ab":1,"cd":2,"cd":3}]`,
		`[{"ab":1},{"abX:1,"q":2}]`, // not JSON, though it reads as such if "ab" is not closed
		// A shape's word that holds the ':' (keys of up to 5 bytes): not JSON when another byte
		// is there, spaces around it cut.
		`[{"ab":1},{"ab"x1}]`, `[{"abcde":1},{"abcde";1}]`, `[{"abcdef":1},{"abcdef";1}]`,
		`[{"ab":1,"cd":2},{"ab": 1,"cd" :2},{"ab" : 1,"cd":2},{"ab":1 ,"cd":2 }]`,
		`[{"abcde":1,"abcdef":2},{"abcde":1,"abcdef":2},{"abcde": 1,"abcdef" : 2}]`,
	} {
		got, _, err := SerializeJSONRedacted(doc, 0, edgeRules{})
		v, perr := ParseString(doc)
		if perr != nil {
			if err == nil || err.Error() != perr.Error() {
				t.Errorf("%s: %q, %v; Parse fails with %v", doc, got, err, perr)
			}
			continue
		}
		if want := SerializeRedacted(v, 0, edgeRules{}); err != nil || got != want {
			t.Errorf("%s: streamed %s, %v; the tree walk writes %s", doc, got, err, want)
		}
	}
	r := &maskCounter{}
	doc := `[` + strings.Repeat(`{"id":1,"text":"a","secret":2},`, 5) + `{"id":1,"text":"a","secret":2}]`
	want := `[` + strings.Repeat(`{"id":1,"text":"a","secret":"***"},`, 5) + `{"id":1,"text":"a","secret":"***"}]`
	if got, _, err := SerializeJSONRedacted(doc, 0, r); err != nil || got != want {
		t.Fatalf("records: %s, %v; want %s", got, err, want)
	}
	if want := map[string]int{"id": 1, "text": 1, "secret": 6}; !maps.Equal(r.calls, want) {
		t.Errorf("records: MaskMember calls %v, want %v (a masked key is asked every time)", r.calls, want)
	}
}

// maskCounter is a Redaction for tests that masks "secret", keeps every string and counts
// its MaskMember calls per key.
type maskCounter struct{ calls map[string]int }

func (r *maskCounter) MaskMember(key string) (string, bool) {
	if r.calls == nil {
		r.calls = map[string]int{}
	}
	r.calls[key]++
	return "***", key == "secret"
}
func (r *maskCounter) Restart()                                    {}
func (r *maskCounter) Text(_, s string, plain bool) (string, bool) { return s, plain }

// callLog is a Redaction for tests that masks the keys in mask (as "#"+key) and changes a
// string holding 'x' (field:string, upper-cased), logging every question it is asked.
type callLog struct {
	mask map[string]bool
	log  []string
}

func (r *callLog) MaskMember(key string) (string, bool) {
	r.log = append(r.log, "M "+key)
	return "#" + key, r.mask[key]
}
func (r *callLog) Restart() { r.log = append(r.log, "R") }
func (r *callLog) Text(field, s string, plain bool) (string, bool) {
	r.log = append(r.log, "T "+field+" "+s)
	if strings.Contains(s, "x") {
		out := strings.ToUpper(field + ":" + s)
		return out, plainRunEnd(out, 0) == len(out)
	}
	return s, plain
}

// TestTextToolResultAsTheTree: the streamed tool result writes what the tree path writes
// (NormalizeToolResult, then SerializeRedacted), asks the rules the same questions in the same
// order, under every set of masked wrapper keys and caps that cut anywhere in the wrapper.
func TestTextToolResultAsTheTree(t *testing.T) {
	keys := []string{"content", "isError", "structuredContent", "_meta", "type", "text", "annotations"}
	texts := []string{
		`{"content":[]}`, `{}`, `{"isError":true}`, `{"isError":null,"_meta":null}`,
		`{"content":[{"type":"text","text":"plain words"}],"isError":false}`,
		`{"_meta":null,"content":[{"text":"a\nb","_meta":null,"type":"text","annotations":null},` +
			`{"type":"text","text":"has x"},{"type":"text","text":"plain words"}],"structuredContent":null}`,
		`{"content":[{"type":"text","text":"x\u00e9x"}],"isError":true}`,
	}
	for set := 0; set < 1<<len(keys); set++ {
		mask := map[string]bool{}
		for i, k := range keys {
			if set&(1<<i) != 0 {
				mask[k] = true
			}
		}
		for _, text := range texts {
			for _, max := range []int{0, 1, 12, 25, 40, 47, 60, 90, 130} {
				streamed := &callLog{mask: mask}
				got, _, ok := SerializeTextToolResultRedacted(text, max, streamed)
				if !ok {
					t.Fatalf("%s: not streamed", text)
				}
				v, err := ParseString(text)
				if err != nil {
					t.Fatal(err)
				}
				tree := &callLog{mask: mask}
				want := SerializeRedacted(NormalizeToolResult(v), max, tree)
				if got != want || !slices.Equal(streamed.log, tree.log) {
					t.Fatalf("%s masked %v, cap %d: streamed %s %q; the tree writes %s %q",
						text, mask, max, got, streamed.log, want, tree.log)
				}
			}
		}
	}
}

// TestMissStreaksAnswerAsTheTree: records whose keys all differ make a depth's shape miss; after
// shapeMisses misses in a row its objects neither follow nor learn one, until shapeRetry objects
// later one learns it again. A shape that misses is emptied before the object's keys are learnt
// (a stale one extended by them would hold a key twice, and the next object's duplicate would go
// unseen: {"p","q","r","a"} then {"a","b","c","a"}). Each document, with the streak ending
// at every position around the retry and then records that follow, repeat a key of a stale
// shape or mask a key, is written as the tree walk writes it; and after the streak, records
// that share their keys follow a shape again (MaskMember is not asked for every record). The
// member memo's streak (sameMisses: members that all differ) comes and goes in the same texts.
func TestMissStreaksAnswerAsTheTree(t *testing.T) {
	// What follows the streak; a duplicate key (the tree answers for the whole text once the
	// pass sees one) only in a last record.
	after := []string{
		`{"p":1,"q":2,"r":3,"a":4},{"a":1,"b":2,"c":3,"a":5}`,
		`{"p":1,"q":2,"r":3,"a":4},{"a":1,"b":2,"c":3},{"a":1,"b":2,"c":3,"a":5}`,
		`{"a":1,"b":2,"c":3},{"a":1,"b":2,"c":3,"b":6}`,
		`{"a":1,"b":2,"s":3},{"a":1,"b":2,"s":3,"s":4}`,
		`{"a":"value","t":"text x"},{"a":"value","t":"text x"},{"a":"value","b":2,"c":3}`,
		`{"u0":"value 0","v0":2},{"u0":"value 0","v0":2,"x0":"w 0"}`,
	}
	for n := 0; n <= shapeMisses+shapeRetry+3; n++ {
		for _, tail := range after {
			var b strings.Builder
			b.WriteString(`[{"a":"value","b":2,"c":3},{"a":"value","b":2,"c":3}`)
			for i := range n {
				fmt.Fprintf(&b, `,{"u%d":"value %d","v%d":2,"x%d":"w %d"}`, i, i, i, i, i)
			}
			b.WriteString("," + tail + "]")
			doc := b.String()
			v, err := ParseString(doc)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range []Redaction{edgeRules{}, xRules{}} {
				want := SerializeRedacted(v, 0, r)
				if got, _, err := SerializeJSONRedacted(doc, 0, r); err != nil || got != want {
					t.Fatalf("%s (%T): streamed %s, %v; the tree walk writes %s", doc, r, got, err, want)
				}
			}
		}
	}
	// A streak, then 40 records of one shape: the shape is followed again.
	var b strings.Builder
	b.WriteString("[")
	for i := range 2 * (shapeMisses + shapeRetry) {
		fmt.Fprintf(&b, `{"u%d":1,"v%d":2},`, i, i)
	}
	const records = 40
	for i := range records {
		fmt.Fprintf(&b, `{"id":%d,"text":"a"},`, i)
	}
	doc := strings.TrimSuffix(b.String(), ",") + "]"
	r := &maskCounter{}
	v, err := ParseString(doc)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, err := SerializeJSONRedacted(doc, 0, r); err != nil || got != SerializeRedacted(v, 0, &maskCounter{}) {
		t.Fatalf("records after a streak: %s, %v", got, err)
	}
	if n := r.calls["id"]; n > shapeRetry+2 {
		t.Errorf("records after a streak: MaskMember asked for id %d times of %d: no shape followed", n, records)
	}
}

// TestResultsOutliveTheirEncoder: the encoders are pooled, but the string each call returns is
// the caller's (the processor hands it to pdata): a result kept while later calls of every
// entry point run on other text of the same length (the same buffer size, so a reused buffer
// would be overwritten in place) stays as it was. Each path writes into its buffer: the tree
// walk, the streaming pass (the source is not compact, so its output is not a slice of the
// text), the streamed tool result, and each of them cut by a cap (the truncation wrapper).
func TestResultsOutliveTheirEncoder(t *testing.T) {
	doc := func(c byte) string {
		return `{"a": "` + strings.Repeat(string(c), 300) + `", "n": [1, 2, "` + string(c) + `é"]}`
	}
	result := func(c byte) string {
		return `{"content":[{"type":"text","text":"` + strings.Repeat(string(c), 300) + `"}],"isError":false}`
	}
	paths := map[string]func(c byte, max int) string{
		"tree": func(c byte, max int) string {
			v, err := ParseString(doc(c))
			if err != nil {
				t.Fatal(err)
			}
			return SerializeRedacted(v, max, &maskCounter{})
		},
		"streamed": func(c byte, max int) string {
			out, _, err := SerializeJSONRedacted(doc(c), max, &maskCounter{})
			if err != nil {
				t.Fatal(err)
			}
			return out
		},
		"tool result": func(c byte, max int) string {
			out, _, ok := SerializeTextToolResultRedacted(result(c), max, &maskCounter{})
			if !ok {
				t.Fatal("not streamed")
			}
			return out
		},
	}
	for name, write := range paths {
		for _, max := range []int{0, 250} {
			kept := write('x', max)
			want := strings.Clone(kept)
			if !strings.Contains(want, "xxx") {
				t.Fatalf("%s, cap %d: %q does not hold the text", name, max, want)
			}
			for c := byte('a'); c < 'a'+8; c++ {
				for _, other := range paths {
					if got := other(c, max); !strings.Contains(got, string([]byte{c, c, c})) {
						t.Fatalf("%s, cap %d: %q does not hold its text", name, max, got)
					}
				}
			}
			if kept != want {
				t.Fatalf("%s, cap %d: a result changed after later calls: %q, was %q", name, max, kept, want)
			}
		}
	}
}

// TestStreamedPathsSayWhenASCII: the streaming pass and the streamed tool result say ascii
// exactly when their text holds no byte >= 0x80 wherever it sits: a string read plain or with
// escapes (before or after a non-ASCII byte), a key, the value of a masked member (dropped
// unread by the rules), a repeated member (answered from the source), capped output where the
// byte lies past the cut. An escape that decodes to non-ASCII (\u00e9) is ASCII text. A pass that
// gives way (a duplicate key) says false, which says nothing. The capture relies on ascii true
// for valid UTF-8 (it then skips its check), so this fails when a path misses a byte.
func TestStreamedPathsSayWhenASCII(t *testing.T) {
	long := strings.Repeat("plain words ", 40)
	for _, c := range []struct {
		doc   string
		ascii bool
	}{
		{`{"a":"plain","b":[1,true,null],"c":{"d":"x\n\"y"}}`, true},
		{`{"a":"caf\u00e9 \ud83d\ude00"}`, true},
		{`{"a":"café"}`, false},
		{"{\"a\":\"bad\xff\"}", false},
		{`{"a":"x\n café"}`, false},
		{`{"a":"café \n x"}`, false},
		{"{\"a\":\"x\\n\xc3\"}", false},
		{`{"clé":1}`, false},
		{`{"secret":"café"}`, false},
		{"{\"secret\":{\"k\":[\"\xff\"]}}", false},
		{`{"secret":{"k":["plain"]}}`, true},
		{`[{"key":"value1"},{"key":"value1"},{"key":"valué"}]`, false},
		{`{"a":"` + long + `","z":"` + long + `é"}`, false},
		{`{"a":"` + long + `","z":"` + long + `"}`, true},
		{`{"a":1,"a":"é"}`, false},
	} {
		for _, max := range []int{0, 40} {
			v, perr := ParseString(c.doc)
			if perr != nil {
				t.Fatalf("%q: %v", c.doc, perr)
			}
			out, ascii, err := SerializeJSONRedacted(c.doc, max, &maskCounter{})
			if want := SerializeRedacted(v, max, &maskCounter{}); err != nil || out != want {
				t.Errorf("SerializeJSONRedacted(%q, %d) = %q, %v; want %q", c.doc, max, out, err, want)
			}
			if ascii != c.ascii {
				t.Errorf("SerializeJSONRedacted(%q, %d): ascii %v, want %v", c.doc, max, ascii, c.ascii)
			}
		}
	}
	result := func(s string) string {
		return `{"content":[{"type":"text","text":"a"},{"type":"text","text":"` + s + `"}],"isError":false}`
	}
	for _, c := range []struct {
		text  string
		ascii bool
	}{
		{"plain", true},
		{`caf\u00e9`, true},
		{"café", false},
		{"bad\xff", false},
		{`x\ncafé`, false},
		{long + "\xff", false},
	} {
		for _, max := range []int{0, 40} {
			out, ascii, ok := SerializeTextToolResultRedacted(result(c.text), max, &maskCounter{})
			want, _, wantOK := SerializeTextToolResultRedacted(result(c.text), max, &maskCounter{})
			if !ok || !wantOK || out != want || ascii != c.ascii {
				t.Errorf("SerializeTextToolResultRedacted(%q, %d) = %q, ascii %v, %v; want %q, ascii %v",
					c.text, max, out, ascii, ok, want, c.ascii)
			}
		}
	}
	// A key with non-ASCII fails the common shape: not ok, and not ascii.
	if _, ascii, ok := SerializeTextToolResultRedacted(`{"contént":[]}`, 0, &maskCounter{}); ok || ascii {
		t.Errorf("a result of another shape: ascii %v, ok %v", ascii, ok)
	}
}
