package redact

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/mcpparity/mcpparity/processor/internal/payload"
)

// disjointBothWays runs step 3 on s (no URL, Bearer or pending span) on the disjoint path and
// on the general one (the one pass, else rule by rule); it fails when the disjoint path
// answers and the answers differ, or when it declines and changed something.
func disjointBothWays(t *testing.T, r *Redactor, s string) (taken bool) {
	t.Helper()
	var bufs textBuffers
	var sc onceScratch
	run := r.redactKeyValuesDisjoint(s, nil, &sc, false)
	if !run.ok {
		return false
	}
	got, gotChanged, _, _, ok := r.disjointAnswer(s, run, nil, &bufs, &sc)
	if !ok {
		t.Fatalf("%q: the disjoint path declined without a pending mask", s)
	}
	got = strings.Clone(got)
	var bufs2 textBuffers
	ends := keyEnds(s, nil)
	r.probeEnds(s, ends)
	want, wantChanged, once := r.redactKeyValuesOnce(s, nil, ends, &bufs2, new(onceScratch))
	if !once {
		ends = keyEnds(s, nil)
		r.probeEnds(s, ends)
		want, wantChanged = r.redactKeyValues(s, nil, ends, &bufs2)
	}
	if got != want || gotChanged != wantChanged {
		t.Errorf("%q: disjoint %q (%v), general %q (%v)", s, got, gotChanged, want, wantChanged)
	}
	return true
}

// checkDisjointAgainstGeneral fails when a redactor answers s differently with and without
// the disjoint path (which also lets D3's second pass and the collapse be skipped when they
// cannot change the text), and reports whether the disjoint path changed s at step 3 for
// one of them.
func checkDisjointAgainstGeneral(t *testing.T, s string) (taken bool) {
	t.Helper()
	for i, r := range referenceRedactors {
		off := *r
		off.noDisjoint = true
		got, gotErr := r.applyTextRules(s)
		got = strings.Clone(got)
		want, wantErr := off.applyTextRules(s)
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("redactor %d on %q:\n disjoint %q (%v)\n general  %q (%v)", i, s, got, gotErr, want, wantErr)
		}
		if r.probesEnds() && validUTF8(s) && disjointChanges(r, s) {
			taken = true
		}
	}
	return taken
}

// disjointChanges reports whether the disjoint path answers step 3 on s (after the Bearer
// step, as applyTextRules runs it) with a change.
func disjointChanges(r *Redactor, s string) bool {
	s = redactBearer(s, nil)
	run := r.redactKeyValuesDisjoint(s, nil, new(onceScratch), false)
	return run.ok && run.changed
}

// disjointFragments add the shapes the disjoint path takes (values apart, keys after masks,
// two fields' keys at one end) to referenceFragments.
var disjointFragments = append([]string{
	"password=hunter2 ", "dolor sit amet ", "token: 'x y' ", "api_key=1&session_id=2 ", "client_secret: s ",
	"refresh_token=r&", "x=1 token=2 ", "'' ", `"password": "p", `, "Bearer abc ", "*** ", "set-cookie=sid; ",
	"auth_token=a token=b ", "session_id=9 ", "a=***", "password= ", "token='' ", "id=1 ", " ", "=",
}, referenceFragments...)

// TestDisjointMatchesGeneral: on seeded texts of those fragments, every redactor answers as
// with the general path, and the disjoint path changes many of them.
func TestDisjointMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(20261203, 7))
	taken, n := 0, 20000
	for range n {
		var b strings.Builder
		for k := rng.IntN(14); k >= 0; k-- {
			b.WriteString(disjointFragments[rng.IntN(len(disjointFragments))])
		}
		if checkDisjointAgainstGeneral(t, b.String()) {
			taken++
		}
	}
	if taken < n/4 {
		t.Errorf("the disjoint path changed %d of %d texts", taken, n)
	}
	t.Logf("the disjoint path changed %d of %d texts", taken, n)
}

// FuzzDisjointMatchesGeneral: the disjoint path (and the skips it allows) changes no answer.
func FuzzDisjointMatchesGeneral(f *testing.F) {
	for _, s := range disjointFragments {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		memoChecks = true // every answer of the probe memo checked too
		checkDisjointAgainstGeneral(t, a+b)
		checkDisjointAgainstGeneral(t, a+" "+b+" "+a)
		for _, r := range referenceRedactors[:len(referenceRedactors)-1] { // at most 64 fields
			disjointBothWays(t, r, payload.ValidString(a+b))
		}
	})
}

// TestDisjointTaken: the benchmark texts, and keys right after masks their probes read
// (access_token at token=), take the disjoint path.
func TestDisjointTaken(t *testing.T) {
	r := New(nil, Options{JSONQuotedKeys: true})
	for _, name := range []string{"text_2k.txt", "text_secrets_2k.txt"} {
		data, err := os.ReadFile("testdata/bench/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if s := redactBearer(string(data), nil); !disjointBothWays(t, r, s) {
			t.Errorf("%s: the disjoint path declined", name)
		}
	}
	// the tool result of the benchmarks, then the one pass's texts
	for _, s := range append([]string{strings.Repeat("dolor sit amet password=hunter2 ", 62)}, fastPathTexts...) {
		if !disjointBothWays(t, r, s) {
			t.Errorf("%q: the disjoint path declined", s)
		}
	}
}

// TestDisjointDeclines: where one rule may read what another masks, the general path decides.
func TestDisjointDeclines(t *testing.T) {
	for _, c := range []struct {
		fields []string
		s      string
	}{
		{nil, "token: password: hunter2"},                   // password's end is inside token's value
		{nil, "token=password=abc"},                         // the same, no space
		{[]string{"set", "set-cookie"}, "set=abc cookie=1"}, // set-cookie matches across set's mask
		{[]string{"api", "api_key"}, "api=x key=1"},         // api_key too
		{nil, "password='a b token=c"},                      // an unclosed quote reads to the end
		{[]string{"b b"}, "b b=_ b=1"},                      // b b at the second end spans the first's mask
		{[]string{"a", "a b c"}, "a=_ b=_ c=1"},             // a b c at c= reads both masks
	} {
		r := New(c.fields, Options{})
		if disjointBothWays(t, r, c.s) {
			t.Errorf("%q: the disjoint path answered", c.s)
		}
		checkAgainstReference(t, c.s)
		checkDisjointAgainstGeneral(t, c.s)
	}
}

// TestQuotedKeysHold: D3's second pass is skipped after the disjoint path only where it finds
// nothing new; a mask inside a quoted key (the key the rules' masks bring together) or in the
// bytes a search for its opener reads keeps it.
func TestQuotedKeysHold(t *testing.T) {
	r := New(nil, Options{JSONQuotedKeys: true})
	for _, c := range []struct {
		s    string
		hold bool
	}{
		{`"password": "x" token=y`, true},
		{`{"api_key": 1, "q": "a"} password=b`, true},
		{`x "token=abc": 1`, false},               // token's mask makes the quoted key "token=***"
		{`'a token=b c': 1`, false},               // a mask inside the key
		{`token=b "password": 1 \"x\": 2`, false}, // a backslash: every quote may open a key
	} {
		var sc onceScratch
		run := r.redactKeyValuesDisjoint(c.s, nil, &sc, true)
		if !run.ok {
			t.Errorf("%q: the disjoint path declined", c.s)
			continue
		}
		if want := quotedKeyCloses(c.s, nil); !slices.Equal(sc.quotes, want) {
			t.Errorf("%q: the disjoint path found D3's candidates %v, quotedKeyCloses %v", c.s, sc.quotes, want)
		}
		pend := r.quotedKeyValues(c.s, nil, sc.quotes)
		var bufs textBuffers
		_, _, _, hold, ok := r.disjointAnswer(c.s, run, pend, &bufs, &sc)
		if !ok || hold != c.hold {
			t.Errorf("%q: disjoint %v, keys hold %v, want %v", c.s, ok, hold, c.hold)
		}
		checkDisjointAgainstGeneral(t, c.s)
		checkAgainstReference(t, c.s)
	}
}

// TestDisjointValueRead: the disjoint walk reads a bare value's first word inline; values of
// every length around a word, ended by every byte (a stop, a control byte that is none, a
// rune) or by the text's end, are masked as the general path masks them.
func TestDisjointValueRead(t *testing.T) {
	r := New(nil, Options{JSONQuotedKeys: true})
	for n := 1; n <= 17; n++ {
		value := strings.Repeat("x", n)
		for c := range 256 {
			for _, tail := range []string{"", " password=y", "\u3000z", "\u00e9 token=a"} {
				s := "password=" + value + string([]byte{byte(c)}) + tail
				checkDisjointAgainstGeneral(t, s)
				if c < utf8.RuneSelf && !disjointChanges(r, s) {
					t.Fatalf("%q: the disjoint path did not answer", s)
				}
			}
		}
	}
}

// TestDisjointShortCopy: the disjoint walk writes a short run of text before a mask and the
// mask by fixed-size copies into dst's spare room when the room and the text after the run
// allow it, else by append; runs of 0-50 bytes, both masks, texts ending 0-40 bytes after
// the last mask, in a fresh buffer and in one whose room holds other bytes, answer as the
// general path.
func TestDisjointShortCopy(t *testing.T) {
	r := New(nil, Options{JSONQuotedKeys: true})
	dirty := make([]byte, 256)
	for g := 0; g <= 40; g++ {
		for tail := 0; tail <= 40; tail++ {
			s := strings.Repeat("w", g) + " password=hunter2 " + strings.Repeat("v", g) + " token=x " + strings.Repeat("t", tail)
			if !disjointBothWays(t, r, s) {
				t.Fatalf("%q: the disjoint path declined", s)
			}
			checkDisjointAgainstGeneral(t, s)
			for i := range dirty {
				dirty[i] = '#'
			}
			run := r.redactKeyValuesDisjoint(s, dirty[:7], new(onceScratch), true)
			want := strings.Repeat("w", g) + " password=*** " + strings.Repeat("v", g) + " token=*** " + strings.Repeat("t", tail)
			if !run.ok || !run.changed || string(run.dst) != want {
				t.Fatalf("%q: disjoint %q (ok %v), want %q", s, run.dst, run.ok, want)
			}
		}
	}
}

// TestEditsUpTo: quotedKeysHold's walk over the edits (editsUpTo, the last edit starting at or
// before each ascending candidate) answers as masksReach for every candidate and reach, with
// empty edits, edits that touch, and candidates before, inside and after them.
func TestEditsUpTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 12))
	for range 5000 {
		var edits []edit
		at := rng.IntN(4)
		for n := rng.IntN(6); n > 0; n-- {
			st := at + rng.IntN(3)
			end := st + rng.IntN(4) // empty ones too
			edits = append(edits, edit{st, end, len(Mask)})
			at = end
		}
		k := 0
		for c := 0; c < at+4; c += 1 + rng.IntN(2) {
			lo := max(0, c-rng.IntN(6))
			k = editsUpTo(edits, k, c)
			got := k > 0 && max(edits[k-1].end, edits[k-1].start+1) > lo
			if want := masksReach(edits, lo, c+1); got != want {
				t.Fatalf("edits %v, [%d, %d]: editsUpTo reaches %v, masksReach %v", edits, lo, c, got, want)
			}
		}
	}
}

// quotedKeysHoldByScan is quotedKeysHold as it read before its walks over the sorted edits and
// pending spans: every candidate against every edit (masksReach) and every pending span.
func quotedKeysHoldByScan(s string, cands []int, edits []edit, pend []pendingMask) bool {
	if !quotedKeysMayHold(s, pend) {
		return false
	}
	for _, c := range cands {
		lo := max(0, c-maxQuotedKeyLen)
		if open := strings.LastIndexByte(s[lo:c], s[c]); open >= 0 {
			lo += open
		}
		if masksReach(edits, lo, c+1) {
			return false
		}
		for _, p := range pend {
			if p.start <= c && max(p.end, p.start+1) > lo {
				return false
			}
		}
	}
	return true
}

// TestQuotedKeysHoldWalks: quotedKeysHold answers as quotedKeysHoldByScan on random texts of
// quotes, with ascending candidates, sorted edits (empty ones too) and pending spans in any
// order, overlapping, nested and empty.
func TestQuotedKeysHoldWalks(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	alphabet := []byte(`"'ab =:`)
	for range 20000 {
		n := 1 + rng.IntN(40)
		b := make([]byte, n)
		for i := range b {
			b[i] = alphabet[rng.IntN(len(alphabet))]
		}
		s := string(b)
		var cands []int
		for i := 0; i < n; i++ {
			if (s[i] == '"' || s[i] == '\'') && rng.IntN(2) == 0 {
				cands = append(cands, i)
			}
		}
		var edits []edit
		for at := rng.IntN(5); at < n && rng.IntN(4) > 0; {
			end := min(n, at+rng.IntN(4))
			edits = append(edits, edit{at, end, len(Mask)})
			at = end + rng.IntN(6)
		}
		var pend []pendingMask
		for k := rng.IntN(4); k > 0; k-- {
			st := rng.IntN(n)
			pend = append(pend, pendingMask{start: st, end: min(n, st+rng.IntN(8)), mask: []string{Mask, `"***"`, URLMask}[rng.IntN(3)]})
		}
		want := quotedKeysHoldByScan(s, cands, edits, slices.Clone(pend))
		if got := quotedKeysHold(s, cands, edits, pend); got != want {
			t.Fatalf("%q cands %v edits %v pend %v: %v, by scan %v", s, cands, edits, pend, got, want)
		}
	}
}

// TestShiftPendingApart: spans no edit reaches (empty edits and spans too), sorted by start
// and not, move as shiftPending moves them.
func TestShiftPendingApart(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 4))
	for range 20000 {
		edits, at := randomEdits(rng, func() int { return 1 + rng.IntN(8) })
		var pend []pendingMask
		for k := rng.IntN(5); k > 0; k-- {
			st := rng.IntN(at + 6)
			p := pendingMask{start: st, end: st + rng.IntN(5), mask: Mask}
			if !masksReach(edits, p.start, max(p.end, p.start+1)) {
				pend = append(pend, p)
			}
		}
		if rng.IntN(3) > 0 {
			slices.SortStableFunc(pend, pendingByStart)
		}
		want := slices.Clone(pend)
		shiftPending(want, edits)
		shiftPendingApart(pend, edits)
		if !slices.Equal(pend, want) {
			t.Fatalf("edits %v: apart %v, shiftPending %v", edits, pend, want)
		}
	}
}

// TestPendingReached: pending spans (sorted by start or not, empty ones too) are reached by
// sorted edits (empty ones too) exactly when masksReach says one is, and stay as they were.
func TestPendingReached(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2))
	for range 20000 {
		edits, at := randomEdits(rng, func() int { return len(Mask) })
		var pend []pendingMask
		for k := rng.IntN(5); k > 0; k-- {
			st := rng.IntN(at + 6)
			pend = append(pend, pendingMask{start: st, end: st + rng.IntN(5), mask: Mask})
		}
		if rng.IntN(3) > 0 {
			slices.SortStableFunc(pend, pendingByStart)
		}
		want := false
		for _, p := range pend {
			want = want || masksReach(edits, p.start, max(p.end, p.start+1))
		}
		before := slices.Clone(pend)
		if got := pendingReached(pend, edits); got != want || !slices.Equal(pend, before) {
			t.Fatalf("edits %v pend %v: reached %v, masksReach %v (pend now %v)", edits, before, got, want, pend)
		}
	}
}

// randomEdits makes up to 5 sorted, disjoint edits (empty ones too: an empty value's mask), each
// with a mask of maskLen() bytes, and the end of the last one.
func randomEdits(rng *rand.Rand, maskLen func() int) (edits []edit, at int) {
	for k := rng.IntN(6); k > 0; k-- {
		st := at + rng.IntN(5)
		end := st + rng.IntN(6)
		edits = append(edits, edit{st, end, maskLen()})
		at = end
	}
	return edits, at
}

// TestDisjointDeclineKeepsRoom: a walk that declines after it grew its buffer (a masked value
// holds a key end another field's key matches) hands the room back, empty, for the next steps.
func TestDisjointDeclineKeepsRoom(t *testing.T) {
	r := New(nil, Options{})
	for _, s := range []string{"user password=a token=b", "x secret=1 password=token=abc"} {
		run := r.redactKeyValuesDisjoint(s, nil, new(onceScratch), false)
		if run.ok {
			continue // not a decline on this text
		}
		if len(run.dst) != 0 || cap(run.dst) < len(s) {
			t.Fatalf("%q declined with dst len %d cap %d: want empty room of at least %d", s, len(run.dst), cap(run.dst), len(s))
		}
		return
	}
	t.Fatal("no text of the test declined: the test checks nothing")
}

// probeMemoCase is a text of key ends that repeat (the probe memo answers the repeats) with
// other bytes before the key, its parts and the separator each time: the byte before the
// key (a \b or not, a rune), the key's case, folds and gaps, and the spaces before the
// separator.
func probeMemoCase(rng *rand.Rand) string {
	befores := []string{" ", "x", "_", "-", "=", "*", "'", "\"", "\t", "ſ", "K", "İ", "é", "\u00a0", "1", "&", ";"}
	keys := []string{"password", "Password", "PASSWORD", "paſſword", "passwd", "pass", "token", "api_key", "api-key",
		"apikey", "API_KEY", "user_password", "access_token", "auth_token", "session_id", "id", "set-cookie",
		"secret", "client_secret", "client secret", "X-Api-Key", "pässword", "naïve-secret", "auth.token", "private_key"}
	seps := []string{"=", ":", " =", ": ", "\t:", "= "}
	values := []string{"v ", "hunter2 ", "'x' ", "*** ", "REDACTED ", "a,b ", "", "é "}
	fillers := []string{"", " ", "dolor sit amet ", "x", "\u00e9t\u00e9 ", "*** "}
	var b strings.Builder
	key := keys[rng.IntN(len(keys))]
	for range 1 + rng.IntN(8) {
		if rng.IntN(3) == 0 {
			key = keys[rng.IntN(len(keys))]
		}
		b.WriteString(fillers[rng.IntN(len(fillers))])
		b.WriteString(befores[rng.IntN(len(befores))])
		b.WriteString(key)
		b.WriteString(seps[rng.IntN(len(seps))])
		b.WriteString(values[rng.IntN(len(values))])
	}
	return b.String()
}

// TestProbeMemo: every probe the disjoint walk answers from its memo (probeMemo) is the one
// probeEnd gives (memoChecked panics otherwise), and the texts answer as on the general
// path; the memo answers many key ends.
func TestProbeMemo(t *testing.T) {
	memoChecks, memoAnswers = true, 0
	defer func() { memoChecks = false }()
	rng := rand.New(rand.NewPCG(20261203, 11))
	for range 20000 {
		s := probeMemoCase(rng)
		checkDisjointAgainstGeneral(t, s)
		for _, r := range referenceRedactors[:len(referenceRedactors)-1] { // at most 64 fields
			disjointBothWays(t, r, s)
		}
	}
	if memoAnswers < 10000 {
		t.Errorf("the probe memo answered %d key ends", memoAnswers)
	}
	t.Logf("the probe memo answered %d key ends", memoAnswers)
}
