package mcpparityprocessor

import (
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/mcpparity/mcpparity/processor/internal/mapping"
	"github.com/mcpparity/mcpparity/processor/internal/redact"
)

// finishOp writes the outcome keys, the capture of the output, the status and the error keys.
func (p *parityProcessor) finishOp(span ptrace.Span, out pcommon.Map, f *spanFacts, c *counts) {
	op := f.op
	failed := f.failed()
	if op.Outcome && (!op.OutcomeOnSuccess || !failed || (op.SuccessMarked != "" && f.boolValue(f.fact(f.plan.successMarked, op.SuccessMarked)))) {
		success := !failed && !f.resultIsError
		if op.OutcomeOnSuccess {
			success = true // the families write success=True only; a failure leaves it unset or already True
		}
		out.PutBool(keySuccess, success)
		out.PutDouble(keyDurationMS, durationMS(span))
		p.putFacts(out, op.OutcomeAttributes, f.plan.outcomes, f, c)
		if !failed && !f.resultIsError && op.Output != nil && p.langfuse && f.plan.captureOut {
			p.putPayload(out, op.Output, f.plan.output, f, c)
		}
	}
	if !failed {
		span.Status().SetCode(ptrace.StatusCodeOk)
		span.Status().SetMessage("")
		span.Events().RemoveIf(func(ptrace.SpanEvent) bool { return true })
		return
	}
	p.setError(span, out, f, c)
}

// setError mirrors set_span_error(span, exc, exc_type=type(exc), record_exception=True), with the
// status description sanitized (D1) and only the sanitized exception event (D2).
func (p *parityProcessor) setError(span ptrace.Span, out pcommon.Map, f *spanFacts, c *counts) {
	typeName := p.exportString(p.ck.excType, f.excType, c)               // boundText
	msg := p.exceptionMessage(p.validText(f.excMessage, c), typeName, c) // cuts after sanitizing
	if msg != f.excMessage {
		c.redactions++
	}
	if strings.HasSuffix(msg, "...") && utf8.RuneCountInString(f.excMessage) > redact.MaxExceptionMessageLength {
		c.truncations++ // cut to 1021 characters + "..." after sanitizing
	}
	out.PutBool(keyError, true)
	if typeName != "" {
		c.put(out, keyErrorType, typeName)
	}
	c.put(out, keyErrorMessage, msg)
	if p.langfuse {
		c.put(out, keyLfLevel, "ERROR")
		c.put(out, keyLfStatusMsg, msg)
	}
	span.Status().SetCode(ptrace.StatusCodeError)
	span.Status().SetMessage(msg) // D1
	events := span.Events()
	var keep ptrace.SpanEvent
	found := false
	events.RemoveIf(func(ev ptrace.SpanEvent) bool {
		if ev.Name() == eventException && !found {
			found = true
			keep = ev
			return false
		}
		return true
	})
	if !found {
		keep = events.AppendEmpty()
		keep.SetName(eventException)
		keep.SetTimestamp(span.EndTimestamp())
	}
	// The raw event's attributes make room for the exported ones: their string values become
	// donors (written over at once), their array is kept (emptied, every entry zeroed).
	ea := keep.Attributes()
	c.transformScratch(p).donate(ea)
	ea.RemoveIf(removeAll)
	ea.EnsureCapacity(3)
	if typeName != "" {
		c.put(ea, keyExcType, typeName)
	}
	c.put(ea, keyExcMessage, msg)
	ea.PutBool(keyExcEscaped, true)
}

// exceptionMessage is SanitizeExceptionMessage(message, typeName), answered by the batch's last
// exception when it is the same one: a failure is recorded on each span it passes through (the
// op, tools/call, the request root), with the same type and message.
func (p *parityProcessor) exceptionMessage(message, typeName string, c *counts) string {
	s := c.scratch
	if s == nil {
		return p.redactor.SanitizeExceptionMessage(message, typeName)
	}
	e := &s.lastException
	if e.set && e.message == message && e.typeName == typeName {
		return e.clean
	}
	clean := p.redactor.SanitizeExceptionMessage(message, typeName)
	*e = exceptionAnswer{message: message, typeName: typeName, clean: clean, set: true}
	return clean
}

// finishRequest applies the request root's rules (OpenTelemetryRequestMiddleware).
func (p *parityProcessor) finishRequest(span ptrace.Span, out pcommon.Map, f *spanFacts, c *counts) {
	if f.fromHeader && f.correlationID != "" {
		p.putStr(out, p.ck.correlationID, f.correlationID, c)
	}
	if v, ok := f.context(slotHTTPStatus); ok {
		if v.Type() == pcommon.ValueTypeInt {
			out.PutInt(mapping.KeyHTTPResponseStatusCode, v.Int())
		} else {
			p.putStr(out, p.key(mapping.KeyHTTPResponseStatusCode), asText(v), c)
		}
	}
	p.putBaggage(out, f, c)
	span.Events().RemoveIf(func(ptrace.SpanEvent) bool { return true })
	if f.httpStatusCode >= 500 {
		span.Status().SetCode(ptrace.StatusCodeError)
		span.Status().SetMessage("")
		return
	}
	if f.hasException {
		// An exception escaping the ASGI app: set_span_error on the root.
		p.setError(span, out, f, c)
		return
	}
	span.Status().SetCode(ptrace.StatusCodeOk)
	span.Status().SetMessage("")
}
