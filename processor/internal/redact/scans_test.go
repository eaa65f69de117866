package redact

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// quotedKeyCloses finds the same quotes as the key ends keyEnds finds whose last byte is a
// quote, in texts of separators, quotes, ASCII and Unicode whitespace and invalid bytes.
func TestQuotedKeyClosesAsKeyEnds(t *testing.T) {
	pieces := []string{"=", ":", `"`, "'", " ", "\t", "\u00a0", "\u3000", "\u2028", "a", "b1", "é", "\xff", "\\", "key"}
	rng := rand.New(rand.NewSource(7))
	for trial := 0; trial < 20000; trial++ {
		var b []byte
		for n := rng.Intn(16); n > 0; n-- {
			b = append(b, pieces[rng.Intn(len(pieces))]...)
		}
		s := string(b)
		var want []int
		for _, e := range keyEnds(s, nil) {
			if e.q > 0 && (e.last == '"' || e.last == '\'') {
				want = append(want, e.q-1)
			}
		}
		if got := quotedKeyCloses(s, nil); !slices.Equal(got, want) {
			t.Fatalf("quotedKeyCloses(%q) = %v, the key ends give %v", s, got, want)
		}
	}
}

// validUTF8 answers as utf8.ValidString for every one- and two-byte sequence and random
// three- and four-byte ones, at every offset around the sixteen-byte loop's words.
func TestValidUTF8AsStdlib(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	var seqs []string
	for a := 0; a < 256; a++ {
		seqs = append(seqs, string([]byte{byte(a)}))
		for b := 0; b < 256; b++ {
			seqs = append(seqs, string([]byte{byte(a), byte(b)}))
		}
	}
	for n := 0; n < 20000; n++ {
		seqs = append(seqs, string([]byte{byte(0xE0 + rng.Intn(32)), byte(0x70 + rng.Intn(0x60)), byte(0x70 + rng.Intn(0x60)), byte(rng.Intn(256))}[:3+rng.Intn(2)]))
	}
	pad := strings.Repeat("a", 40)
	for i, seq := range seqs {
		off := i % 35
		for _, s := range []string{pad[:off] + seq, pad[:off] + seq + pad, seq + "é" + pad[:off]} {
			if got, want := validUTF8(s), utf8.ValidString(s); got != want {
				t.Fatalf("validUTF8(%q) = %v, utf8.ValidString %v", s, got, want)
			}
		}
	}
}

// FuzzMatchBackward: the byte-wise backward key match (with the last part compared in one
// word, lastWin) answers as the rune-wise one at every end of the text, for fields whose last
// part is shorter than, as long as and longer than a word, and reads no byte before low.
func FuzzMatchBackward(f *testing.F) {
	for _, s := range []string{"x password=1", "PassWord:", "my_access-token=", "x-api-key", "ſecret", "autHorization", "ab cd\tpassword", "_token", "paſſword=", "k\u212aey"} {
		f.Add(s)
	}
	r := New([]string{"password", "access_token", "api_key", "token", "authorization", "secret", "id", "x9y8z7w6", "sessionid", "set-cookie", "client secret"}, Options{})
	f.Fuzz(func(t *testing.T, s string) {
		for q := 0; q <= len(s); q++ {
			for ki := range r.keys {
				k := &r.keys[ki]
				st, low, ok := matchBackwardAgrees(t, k, s, q)
				// Any change before low leaves the answer.
				if low > 0 {
					t2 := strings.Repeat("\xff", low) + s[low:]
					st2, _, ok2 := k.matchBackwardLow(t2, q)
					if ok2 != ok || ok && st2 != st {
						t.Fatalf("key %v at %d of %q: the bytes before low %d change the answer", k.parts, q, s, low)
					}
				}
			}
		}
	})
}

// matchBackwardAgrees fails t unless k's word-wise backward match at q of s answers as the
// rune-wise one; it returns the word-wise answer.
func matchBackwardAgrees(t *testing.T, k *keyPattern, s string, q int) (start, low int, ok bool) {
	t.Helper()
	start, low, ok = k.matchBackwardLow(s, q)
	wst, _, wok := k.matchBackwardLowRunes(s, q)
	if ok != wok || ok && start != wst {
		t.Fatalf("key %v at %d of %q: %d %v, rune-wise %d %v", k.parts, q, s, start, ok, wst, wok)
	}
	if k.spellLen != 0 && k.spellLen <= 8 && q >= 8 && k.spell[0].matches(wordBefore(s, q)) && (!ok || start != q-k.spellLen || low != start) {
		t.Fatalf("key %v at %d of %q: spelled as the field, the match answers %d %d %v", k.parts, q, s, start, low, ok)
	}
	return start, low, ok
}

// TestMatchBackwardWords runs FuzzMatchBackward's check on texts where the key's last part
// fills the word before the end, after other bytes, in every case.
func TestMatchBackwardWords(t *testing.T) {
	r := New([]string{"password", "access_token", "token", "secret", "x9y8z7w6", "set-cookie"}, Options{})
	for _, s := range []string{
		"x password", "aaaaPASSWORD", "the access_token", "access-Token", "12token", "x secreT", "zzx9Y8z7W6",
		"refresh_token", "xxaccess__token", "x set-cookie", "set_cookie", "aaaaaaaaaccess_token", "set-cookie",
		"passwore", "xpassword", "Xassword", "0000oken", "access tokem", "xxxxtoken", "\xffsecret", "tok\u0130en", "xxx\u017fecret",
	} {
		for q := 0; q <= len(s); q++ {
			for ki := range r.keys {
				matchBackwardAgrees(t, &r.keys[ki], s, q)
			}
		}
	}
}

// FuzzBareValueEnd: bareValueEnd (eight bytes at a time, then byte by byte, then rune by
// rune) ends the value [^\s,;&]+ where a rune-wise scan does, from every start.
func FuzzBareValueEnd(f *testing.F) {
	for _, s := range []string{"hunter2 x", "abcdefghijklmnop,q", "a\x1cb", "a\x01b\x02c\x7fdefgh;", "Zürich\u3000x", "0123456789abcdef&", "\xff\xfeabc"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for i := 0; i <= len(s); i++ {
			want := i
			for want < len(s) {
				c, n := utf8.DecodeRuneInString(s[want:])
				if isSpace(c) || c == ',' || c == ';' || c == '&' {
					break
				}
				want += n
			}
			if got := bareValueEnd(s, i); got != want {
				t.Fatalf("bareValueEnd(%q, %d) = %d, want %d", s, i, got, want)
			}
		}
	})
}

// TestSpelledTaken: keys whose field spans 4 to 16 ASCII bytes from its first to its last
// letter or digit are matched from their spelling (spellLen, spell: matchBackwardLow's first
// test, and the disjoint walk's up to eight bytes, which matchBackwardAgrees checks), the
// others are not.
func TestSpelledTaken(t *testing.T) {
	fields := []string{"password", "token", "x9y8z7w6", "access_token", "id", "sessionid", "-Set-Cookie-", "a very long field name", "pässword", "ab"}
	r := New(fields, Options{})
	for ki, want := range []int{8, 5, 8, 12, 0, 9, 10, 0, 0, 0} {
		if got := r.keys[ki].spellLen; got != want {
			t.Errorf("field %q: spellLen %d, want %d", fields[ki], got, want)
		}
	}
	for _, c := range []struct {
		ki int
		s  string
	}{{0, "xx PassWord"}, {3, "the ACCESS_token"}, {5, "the key named sessionID"}, {6, "12345 set-cookie"}} {
		k := &r.keys[c.ki]
		if q := len(c.s); !(q >= 8 && k.spell[0].matches(wordBefore(c.s, q)) && (k.spellLen <= 8 || q >= 16 && k.spell[1].matches(wordBefore(c.s, q-8)))) {
			t.Errorf("%q: %q is not spelled before its end", c.s, fields[c.ki])
		}
		for q := 0; q <= len(c.s); q++ {
			matchBackwardAgrees(t, k, c.s, q)
		}
	}
}

// TestPlainBareValueAt: wherever plainBareValueAt holds, matchKeyRuleRead answers as the
// disjoint walk takes it to: every byte before and after each separator, before values that
// end at once, at a space, after a rune and at the text's end; and it answers the same when
// told the byte after the separator instead of where the spaces after it end (the walk does).
func TestPlainBareValueAt(t *testing.T) {
	taken := 0
	for _, sep := range []byte{'=', ':'} {
		for b := range 256 {
			for a := range 256 {
				for _, rest := range []string{"", "x", "unter2 tail", "y,z", "\u00e9t\u00e9 x", "\xff", "abcdefghijkl;", "EDACTED x", "**"} {
					s := "k" + string([]byte{byte(b), sep, byte(a)}) + rest
					q, at := 2, 2
					q = keyEndAt(s, at)
					v := skipSpaces(s, at+1)
					if plainBareValueAt(s, q, at, at+1) != plainBareValueAt(s, q, at, v) {
						t.Fatalf("%q: plainBareValueAt after the separator %v, after its spaces %v", s, plainBareValueAt(s, q, at, at+1), plainBareValueAt(s, q, at, v))
					}
					if !plainBareValueAt(s, q, at, v) {
						continue
					}
					taken++
					quoted := v < len(s) && (s[v] == '\'' || s[v] == '"')
					vs, ve, ok, hi := matchKeyRuleRead(s, keySpan{q, q}, quoted)
					if !ok || vs != v || ve != bareValueEnd(s, v) || hi != runeEndAt(s, ve) {
						t.Fatalf("%q: matchKeyRuleRead %d %d %v %d, the fast path %d %d true %d", s, vs, ve, ok, hi, v, bareValueEnd(s, v), runeEndAt(s, bareValueEnd(s, v)))
					}
				}
			}
		}
	}
	if taken == 0 {
		t.Fatal("plainBareValueAt never held")
	}
}

// TestBearerWord: bearerWord answers as bearerWordAt after a 'b' or 'B' followed by every
// byte pair, the words in every case, words cut short, runes (ſ ı İ) and the text's end.
func TestBearerWord(t *testing.T) {
	fast := 0
	tails := []string{"", "x", " tok", "ABCDEFGHIJ", "\u00e9t\u00e9", "\xff\xff"}
	words := []string{"bearer", "BEARER", "Bearer", "bEaReR", "basic", "BASIC", "Basic", "baſic", "bearır", "beare", "basi", "bearers", "basics", "bear", "beaRer9", "bAsIc_"}
	check := func(s string) {
		end, ok := bearerWord(s, 0)
		wantEnd, wantOK := bearerWordAt(s, 0)
		if end != wantEnd || ok != wantOK {
			t.Fatalf("%q: bearerWord %d %v, bearerWordAt %d %v", s, end, ok, wantEnd, wantOK)
		}
		if len(s) >= 8 && (bearerWindow.matches(wordBefore(s, 8)<<16) || basicWindow.matches(wordBefore(s, 8)<<24)) {
			fast++ // answered by a word compare
		}
	}
	for _, w := range words {
		for _, tail := range tails {
			check(w + tail)
			for _, pre := range []string{"be", "Ba", "bA", "b", "bas", "bea"} { // the word a few bytes on
				check(pre + w + tail)
			}
		}
	}
	for _, b := range []byte{'b', 'B'} {
		for x := range 256 {
			for y := range 256 {
				for _, tail := range []string{"", "sic ", "arer", "sIc__", "ARER x", "s"} {
					check(string([]byte{b, byte(x), byte(y)}) + tail)
				}
			}
		}
	}
	if fast < 20 {
		t.Fatalf("the word compares answered %d texts", fast)
	}
}
