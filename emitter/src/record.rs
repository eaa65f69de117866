//! The contract-v2 bundle span as the exporters receive it: its identifying facts, and the
//! record a finished request hands to a sink, turned into the one `SpanData` both sinks send
//! (the bundle queue on its exporter thread, the SDK batch processor on the request thread).

use std::borrow::Cow;
use std::time::SystemTime;

use opentelemetry::trace::{SpanContext, SpanId, SpanKind, Status};
use opentelemetry::{InstrumentationScope, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};

use crate::keys;

/// `cf.contract` of a bundle span.
pub const CONTRACT_VERSION: i64 = 2;
/// `cf.op` (and raw name) of a bundle span: unknown to a v1-only collector, which exports it
/// scrubbed and counted malformed instead of misreading it.
pub const BUNDLE_OP: &str = "request.bundle";
/// The encoded child operations and facts of a bundle span.
pub const BUNDLE_KEY: &str = "cf.bundle";
/// The contract version fact.
pub const CONTRACT_KEY: &str = "cf.contract";

/// One finished bundle, as the request thread hands it over (no allocation of its own).
#[derive(Debug)]
pub(crate) struct BundleRecord {
    pub span_context: SpanContext,
    pub parent_span_id: SpanId,
    pub start_time: SystemTime,
    pub end_time: SystemTime,
    pub status_error: bool,
    /// The `cf.bundle` text (UTF-8: only whole `&str` facts and ASCII are written into it).
    pub buf: Vec<u8>,
    /// Raw payload attributes of the bundle span (key, shared text).
    pub payloads: [Option<(&'static str, StringValue)>; 2],
}

impl BundleRecord {
    /// The bundle span, with `text` as its `cf.bundle` (the caller takes it out of `buf`: moved
    /// on the request thread, copied on the queue's exporter thread so the buffer is reused).
    pub(crate) fn into_span_data(mut self, text: String, scope: InstrumentationScope) -> SpanData {
        let mut attributes = Vec::with_capacity(5);
        attributes.push(KeyValue::new(keys::OP, BUNDLE_OP));
        attributes.push(KeyValue::new(CONTRACT_KEY, CONTRACT_VERSION));
        attributes.push(KeyValue::new(BUNDLE_KEY, Value::String(text.into())));
        for (key, value) in self.payloads.iter_mut().filter_map(Option::take) {
            attributes.push(KeyValue::new(key, value));
        }
        SpanData {
            parent_span_is_remote: self.parent_span_id != SpanId::INVALID,
            span_context: self.span_context,
            parent_span_id: self.parent_span_id,
            span_kind: SpanKind::Server,
            name: Cow::Borrowed(BUNDLE_OP),
            start_time: self.start_time,
            end_time: self.end_time,
            attributes,
            dropped_attributes_count: 0,
            events: SpanEvents::default(),
            links: SpanLinks::default(),
            status: if self.status_error {
                Status::error("")
            } else {
                Status::Unset
            },
            instrumentation_scope: scope,
        }
    }
}
