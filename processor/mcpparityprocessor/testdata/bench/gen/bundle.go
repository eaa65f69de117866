package main

import (
	"fmt"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
)

// The v2 batch (mixed_1000_v2.json): the same requests as mixed_1000.json, each raw request tree
// as ONE contract-v2 bundle span (docs/raw-span-contract.md, "v2: request bundle"), as the
// emitter's default sink sends them; the foreign spans stay as they are. Expanded, it stands for
// the v1 batch's spans (span ids aside: v2 derives the children's ids from the bundle's).

// contextKeys are the request-context facts (target "c"), in the emitter's order.
var contextKeys = []string{
	mapping.KeyCorrelationID, mapping.KeyCorrelationIDFromHeader, mapping.KeyAuthMethod,
	mapping.KeyUserEmail, mapping.KeyUserIsAdmin, mapping.KeyTeamName, mapping.KeyTeamIDs,
	mapping.KeySessionID, mapping.KeyBaggage,
}

// payloadKeys travel as attributes of the bundle span, not as facts.
var payloadKeys = []string{
	mapping.KeyToolCallArguments, mapping.KeyToolCallResult, mapping.KeyResourceContent,
	mapping.KeyPromptArguments, mapping.KeyPromptResult,
}

func isOneOf(k string, keys []string) bool {
	for _, c := range keys {
		if c == k {
			return true
		}
	}
	return false
}

// asBundles returns td with every raw scope's request trees (a request span and the spans after
// it up to the next request) turned into bundles.
func asBundles(td ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	rss := out.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			ss := sss.At(j)
			if ss.Scope().Name() != rawScope {
				continue
			}
			bundled := ptrace.NewSpanSlice()
			spans := ss.Spans()
			for k := 0; k < spans.Len(); {
				end := k + 1
				for end < spans.Len() && op(spans.At(end)) != "request" {
					end++
				}
				bundle(spans, k, end, bundled.AppendEmpty())
				k = end
			}
			bundled.MoveAndAppendTo(spans)
			spans.RemoveIf(func(s ptrace.Span) bool { return op(s) != "request.bundle" })
		}
	}
	return out
}

func op(s ptrace.Span) string {
	v, _ := s.Attributes().Get(mapping.KeyOp)
	return v.Str()
}

// bundle writes spans[from:to] (a request span and its ops) into b as one bundle span.
func bundle(spans ptrace.SpanSlice, from, to int, b ptrace.Span) {
	req := spans.At(from)
	req.CopyTo(b)
	b.SetName("request.bundle")
	b.Events().RemoveIf(func(ptrace.SpanEvent) bool { return true })
	index := map[pcommon.SpanID]int{req.SpanID(): 0}
	var text strings.Builder
	attrs := pcommon.NewMap()
	attrs.PutStr(mapping.KeyOp, "request.bundle")
	attrs.PutInt("cf.contract", 2)
	req.Attributes().Range(func(k string, v pcommon.Value) bool {
		if isOneOf(k, contextKeys) {
			fact(&text, "c", k, v)
		}
		return true
	})
	var opLines []string
	for i := from; i < to; i++ {
		s := spans.At(i)
		n := i - from
		index[s.SpanID()] = n
		target := fmt.Sprint(n)
		s.Attributes().Range(func(k string, v pcommon.Value) bool {
			switch {
			case k == mapping.KeyOp || isOneOf(k, contextKeys):
			case isOneOf(k, payloadKeys):
				v.CopyTo(attrs.PutEmpty(k))
			default:
				fact(&text, target, k, v)
			}
			return true
		})
		for e := 0; e < s.Events().Len(); e++ {
			ev := s.Events().At(e)
			if ev.Name() != mapping.ExceptionEvent {
				continue
			}
			for _, k := range []string{mapping.KeyExceptionType, mapping.KeyExceptionMessage} {
				if v, ok := ev.Attributes().Get(k); ok {
					fact(&text, target, k, v)
				}
			}
		}
		if n > 0 {
			start := uint64(s.StartTimestamp() - req.StartTimestamp())
			end := uint64(s.EndTimestamp() - req.StartTimestamp())
			opLines = append(opLines, fmt.Sprintf("o %d %s %d %d %d\n", n, op(s), index[s.ParentSpanID()], start, end))
		}
	}
	for _, l := range opLines {
		text.WriteString(l)
	}
	attrs.PutStr("cf.bundle", text.String())
	attrs.MoveTo(b.Attributes())
}

func fact(b *strings.Builder, target, key string, v pcommon.Value) {
	fmt.Fprintf(b, "f %s %s ", target, key)
	switch v.Type() {
	case pcommon.ValueTypeStr:
		fmt.Fprintf(b, "s%d:%s", len(v.Str()), v.Str())
	case pcommon.ValueTypeInt:
		fmt.Fprintf(b, "i%d", v.Int())
	case pcommon.ValueTypeBool:
		if v.Bool() {
			b.WriteString("b1")
		} else {
			b.WriteString("b0")
		}
	case pcommon.ValueTypeSlice:
		fmt.Fprintf(b, "a%d", v.Slice().Len())
		for i := 0; i < v.Slice().Len(); i++ {
			s := v.Slice().At(i).Str()
			fmt.Fprintf(b, " %d:%s", len(s), s)
		}
	default:
		panic(fmt.Sprintf("gen: fact %s of type %s has no v2 encoding", key, v.Type()))
	}
	b.WriteByte('\n')
}
