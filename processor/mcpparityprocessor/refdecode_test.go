package mcpparityprocessor

// The bundle decoder as it was before the levers of issue 11 (main e70a597), kept as the
// reference of FuzzBundleDecode: the decoder must accept and decode exactly what it did.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

type refDec struct {
	s   string
	pos int
}

func refDecode(b *bundle, text string) error {
	d := refDec{s: text}
	for !d.done() {
		tag, err := d.word()
		if err != nil {
			return err
		}
		switch tag {
		case "f":
			if err := refReadFact(b, &d); err != nil {
				return err
			}
		case "o":
			if err := refReadOp(b, &d); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: line tag %q", errBundle, tag)
		}
	}
	for i := 1; i < len(b.ops); i++ {
		op := &b.ops[i]
		if !op.declared {
			return fmt.Errorf("%w: op %d has facts but no op line", errBundle, i)
		}
		// A parent is declared and the chain reaches the request op.
		seen := 0
		for j := op.parent; j != 0; j = b.ops[j].parent {
			if j < 0 || j >= len(b.ops) || !b.ops[j].declared || seen > len(b.ops) {
				return fmt.Errorf("%w: op %d has no path to the request", errBundle, i)
			}
			seen++
		}
		for _, g := range op.groups {
			if b.defined&(1<<g) == 0 {
				return fmt.Errorf("%w: op %d uses undefined group %d", errBundle, i, g)
			}
		}
	}
	return nil
}

func refOp(b *bundle, index int) (*bundleOpRec, error) {
	if index < 0 || index > maxBundleChildOps {
		return nil, fmt.Errorf("%w: op index %d", errBundle, index)
	}
	for len(b.ops) <= index {
		b.addOp()
	}
	return &b.ops[index], nil
}

func refReadFact(b *bundle, d *refDec) error {
	target, err := d.word()
	if err != nil {
		return err
	}
	key, err := d.word()
	if err != nil || key == "" {
		return fmt.Errorf("%w: fact key", errBundle)
	}
	f := bundleFact{key: key}
	if err := d.value(&f); err != nil {
		return err
	}
	switch {
	case target == "c":
		b.context = append(b.context, f)
	case strings.HasPrefix(target, "g"):
		g, err := strconv.Atoi(target[1:])
		if err != nil || g < 1 || g > maxBundleGroups {
			return fmt.Errorf("%w: group %q", errBundle, target)
		}
		b.defined |= 1 << g
		b.groups[g] = append(b.groups[g], f)
	default:
		i, err := strconv.Atoi(target)
		if err != nil {
			return fmt.Errorf("%w: fact target %q", errBundle, target)
		}
		op, err := refOp(b, i)
		if err != nil {
			return err
		}
		op.facts = append(op.facts, f)
	}
	return nil
}

func refReadOp(b *bundle, d *refDec) error {
	var fields [5]string
	for i := range fields {
		w, err := d.word()
		if err != nil {
			return err
		}
		fields[i] = w
	}
	index, err1 := strconv.Atoi(fields[0])
	parent, err2 := strconv.Atoi(fields[2])
	start, err3 := strconv.ParseUint(fields[3], 10, 64)
	end, err4 := strconv.ParseUint(fields[4], 10, 64)
	if err := errors.Join(err1, err2, err3, err4); err != nil || index < 1 || end < start || fields[1] == "" {
		return fmt.Errorf("%w: op line %q", errBundle, strings.Join(fields[:], " "))
	}
	op, err := refOp(b, index)
	if err != nil {
		return err
	}
	if op.declared || parent == index {
		return fmt.Errorf("%w: op %d declared twice or its own parent", errBundle, index)
	}
	op.name, op.parent, op.start, op.end, op.declared = fields[1], parent, start, end, true
	for !d.lineEnd() {
		w, err := d.word()
		if err != nil {
			return err
		}
		g, err := strconv.Atoi(strings.TrimPrefix(w, "g"))
		if !strings.HasPrefix(w, "g") || err != nil || g < 1 || g > maxBundleGroups {
			return fmt.Errorf("%w: group ref %q", errBundle, w)
		}
		op.groups = append(op.groups, g)
	}
	return d.newline()
}

func (d *refDec) done() bool    { return d.pos >= len(d.s) }
func (d *refDec) lineEnd() bool { return d.pos < len(d.s) && d.s[d.pos] == '\n' }

func (d *refDec) newline() error {
	if !d.lineEnd() {
		return fmt.Errorf("%w: expected end of line at byte %d", errBundle, d.pos)
	}
	d.pos++
	return nil
}

// word reads up to the next space (consumed) or newline (consumed by newline()).
func (d *refDec) word() (string, error) {
	start := d.pos
	for d.pos < len(d.s) {
		switch d.s[d.pos] {
		case ' ':
			w := d.s[start:d.pos]
			d.pos++
			return w, nil
		case '\n':
			return d.s[start:d.pos], nil
		}
		d.pos++
	}
	return "", fmt.Errorf("%w: truncated at byte %d", errBundle, start)
}

// counted reads "<len>:<bytes>".
func (d *refDec) counted() (string, error) {
	colon := strings.IndexByte(d.s[d.pos:], ':')
	if colon < 1 || colon > 10 {
		return "", fmt.Errorf("%w: string length at byte %d", errBundle, d.pos)
	}
	n, err := strconv.Atoi(d.s[d.pos : d.pos+colon])
	if err != nil || n < 0 || d.pos+colon+1+n > len(d.s) {
		return "", fmt.Errorf("%w: string length at byte %d", errBundle, d.pos)
	}
	d.pos += colon + 1
	v := d.s[d.pos : d.pos+n]
	d.pos += n
	return v, nil
}

func (d *refDec) value(f *bundleFact) error {
	if d.done() {
		return fmt.Errorf("%w: missing value of %s", errBundle, f.key)
	}
	f.kind = d.s[d.pos]
	d.pos++
	switch f.kind {
	case 's':
		v, err := d.counted()
		if err != nil {
			return err
		}
		f.str = v
	case 'i', 'b':
		w, err := d.word()
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil || (f.kind == 'b' && n != 0 && n != 1) {
			return fmt.Errorf("%w: value of %s", errBundle, f.key)
		}
		f.num = n
	case 'a':
		count := 0
		for d.pos < len(d.s) && d.s[d.pos] >= '0' && d.s[d.pos] <= '9' && count <= maxRawAttributes {
			count = count*10 + int(d.s[d.pos]-'0')
			d.pos++
		}
		if count > maxRawAttributes {
			return fmt.Errorf("%w: array of %s too long", errBundle, f.key)
		}
		f.arr = make([]string, 0, count)
		for i := 0; i < count; i++ {
			if d.done() || d.s[d.pos] != ' ' {
				return fmt.Errorf("%w: array of %s", errBundle, f.key)
			}
			d.pos++
			v, err := d.counted()
			if err != nil {
				return err
			}
			f.arr = append(f.arr, v)
		}
	default:
		return fmt.Errorf("%w: value type %q of %s", errBundle, f.kind, f.key)
	}
	return d.newline()
}

// FuzzBundleDecode: the decoder accepts exactly the texts the reference decoder accepts, and
// decodes them to the same facts and ops.
func FuzzBundleDecode(f *testing.F) {
	good := testBundleText()
	f.Add(good, 0)
	f.Add("f c cf.team.ids a2 1:x 9:y\n", 10)
	f.Add("o 1 tool.invoke 0 5 4 g9\n", len(good))
	f.Add("f 0 url.path s-1:\n", 3)
	f.Add("f 0 url.path s+3:abc\nf 1 k s007:abcdefg\no 1 x 0 +1 2\n", 0)
	f.Add("f  c k s1:x\nf\tc k s1:x\nf c k s1234:x\n", 0)
	f.Fuzz(func(t *testing.T, text string, at int) {
		for _, candidate := range []string{text, splice(good, text, at)} {
			got, want := new(bundle), new(bundle)
			got.reset()
			want.reset()
			err, wantErr := got.decode(candidate), refDecode(want, candidate)
			require.Equal(t, wantErr == nil, err == nil, "decode error %v, reference %v", err, wantErr)
			if err != nil {
				continue
			}
			require.Equal(t, want.context, got.context)
			require.Equal(t, want.groups, got.groups)
			require.Equal(t, want.defined, got.defined)
			require.Equal(t, want.ops, got.ops)
		}
	})
}
