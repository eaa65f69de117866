//! The contract-v2 bundle record: what the request thread writes while a request runs (fixed-width
//! binary entries: facts and ended ops), and how a sink turns a finished record into the one
//! bundle span it exports, with the contract's `cf.bundle` text (docs/raw-span-contract.md,
//! "v2: request bundle"). Both sinks call [`BundleRecord::into_span_data`]: the bundle queue on
//! its exporter thread, the SDK batch processor on the request thread.

use std::borrow::Cow;
use std::sync::Arc;
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

/// Child operations a record keeps (a `tools/call` has at most 8); later ones are not recorded.
pub const RECORDED_CHILD_OPS: u8 = 15;

/// One finished bundle, as the request thread hands it over (no allocation of its own).
#[derive(Debug)]
pub(crate) struct BundleRecord {
    pub span_context: SpanContext,
    pub parent_span_id: SpanId,
    pub start_time: SystemTime,
    pub end_time: SystemTime,
    pub status_error: bool,
    /// The binary record of the facts and ended ops (written by the `fact_*`, `op_entry` and
    /// `end_entry` functions below), decoded into the `cf.bundle` text by `into_span_data`.
    pub buf: Vec<u8>,
    /// Raw payload attributes of the bundle span (key, shared text).
    pub payloads: [Option<(&'static str, StringValue)>; 2],
}

impl BundleRecord {
    /// The bundle span, with the record decoded into its `cf.bundle` text (a string of its own),
    /// and the emptied record buffer, for the caller to reuse.
    pub(crate) fn into_span_data(mut self, scope: InstrumentationScope) -> (SpanData, Vec<u8>) {
        let buf = std::mem::take(&mut self.buf);
        let text = decode_record(&buf);
        let mut attributes = Vec::with_capacity(5);
        attributes.push(KeyValue::new(keys::OP, BUNDLE_OP));
        attributes.push(KeyValue::new(CONTRACT_KEY, CONTRACT_VERSION));
        attributes.push(KeyValue::new(BUNDLE_KEY, Value::String(text.into())));
        for (key, value) in self.payloads.iter_mut().filter_map(Option::take) {
            attributes.push(KeyValue::new(key, value));
        }
        let span = SpanData {
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
        };
        (span, buf)
    }
}

/// The fact target of the request context (every expanded span).
pub(crate) const CTX: u8 = u8::MAX;
/// Fact targets of the groups (`g1`…`g7`): facts several ops share, written once.
pub(crate) const GROUP_TARGET: u8 = 200;

/// A child op's timing in ticks since the bundle start.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct OpRecord {
    pub(crate) name: &'static str,
    pub(crate) parent: u8,
    pub(crate) groups: u8,
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) ended: bool,
}

/// Writes the op lines, converting tick offsets to ns with `ns_per_tick` = total ns / total ticks
/// (clamped to the bundle: a tick source that ran backwards gives 0, never past the end).
fn write_op_lines(b: &mut Vec<u8>, ops: &[OpRecord], total_ticks: u64, total_ns: u64) {
    // ns = ticks * total_ns / total_ticks, as one 32.32 fixed-point factor (one division per
    // bundle, not two per op).
    let factor = if total_ticks == 0 {
        0
    } else {
        (u128::from(total_ns) << 32) / u128::from(total_ticks)
    };
    let to_ns = |t: u64| -> u64 {
        if t > total_ticks {
            return total_ns;
        }
        if t == total_ticks {
            return if total_ticks == 0 { 0 } else { total_ns };
        }
        ((u128::from(t) * factor) >> 32).min(u128::from(total_ns)) as u64
    };
    for (i, op) in ops.iter().enumerate() {
        if !op.ended {
            continue;
        }
        let start = to_ns(op.start);
        let end = to_ns(op.end).max(start);
        put(b, b"o ");
        push_uint(b, i as u64 + 1);
        b.push(b' ');
        put(b, op.name.as_bytes());
        b.push(b' ');
        push_uint(b, u64::from(op.parent));
        b.push(b' ');
        push_uint(b, start);
        b.push(b' ');
        push_uint(b, end);
        for g in 1..8u8 {
            if op.groups & (1 << g) != 0 {
                put(b, b" g");
                b.push(b'0' + g);
            }
        }
        b.push(b'\n');
    }
}

// --- encoding (docs/raw-span-contract.md, "v2: request bundle") ---

// The request path writes ~30 short facts per bundle: each piece is copied inline (no `memcpy`
// call for the short keys and values that dominate) and numbers are written in place.

/// Appends `s`: short slices (the keys and most values) by overlapping unaligned words, longer
/// ones by `memcpy`.
#[inline(always)]
fn put(b: &mut Vec<u8>, s: &[u8]) {
    b.reserve(s.len());
    let len = b.len();
    // SAFETY: `reserve` made room for `s.len()` more bytes after `len`.
    unsafe {
        copy_bytes(b.as_mut_ptr().add(len), s);
        b.set_len(len + s.len());
    }
}

/// Copies `s` to `dst`: 1 to 32 bytes by overlapping unaligned loads and stores (no `memcpy`
/// call for the short keys and values that dominate), longer ones by `memcpy`.
///
/// # Safety
/// `dst` is valid for `s.len()` bytes of writes and does not overlap `s`.
#[inline(always)]
unsafe fn copy_bytes(dst: *mut u8, s: &[u8]) {
    let n = s.len();
    // SAFETY: every read is inside `s` (the two words overlap when `n` < 16) and every write
    // inside `dst..dst + n`, which the caller says is writable.
    unsafe {
        let src = s.as_ptr();
        if (17..=32).contains(&n) {
            let head = std::ptr::read_unaligned(src as *const u128);
            let tail = std::ptr::read_unaligned(src.add(n - 16) as *const u128);
            std::ptr::write_unaligned(dst as *mut u128, head);
            std::ptr::write_unaligned(dst.add(n - 16) as *mut u128, tail);
        } else if (8..=16).contains(&n) {
            let head = std::ptr::read_unaligned(src as *const u64);
            let tail = std::ptr::read_unaligned(src.add(n - 8) as *const u64);
            std::ptr::write_unaligned(dst as *mut u64, head);
            std::ptr::write_unaligned(dst.add(n - 8) as *mut u64, tail);
        } else if (4..8).contains(&n) {
            let head = std::ptr::read_unaligned(src as *const u32);
            let tail = std::ptr::read_unaligned(src.add(n - 4) as *const u32);
            std::ptr::write_unaligned(dst as *mut u32, head);
            std::ptr::write_unaligned(dst.add(n - 4) as *mut u32, tail);
        } else if n < 4 {
            // 1 to 3 bytes: the first, middle and last (overlapping); a loop here became a call
            // into `memcpy`.
            if n > 0 {
                *dst = *src;
                *dst.add(n / 2) = *src.add(n / 2);
                *dst.add(n - 1) = *src.add(n - 1);
            }
        } else {
            std::ptr::copy_nonoverlapping(src, dst, n);
        }
    }
}

// The request thread's record: fixed-width binary entries, turned into the contract's text by
// `decode_record` on the exporter thread. A key or op name is a `&'static str` (one of
// `keys`), recorded as its address and length, never copied; a number is 8 bytes, never
// formatted; a value is its length and bytes.

/// Entry tags of the record.
const TAG_STR: u8 = 1;
const TAG_INT: u8 = 2;
const TAG_BOOL: u8 = 3;
/// An integer sent as a string fact (a numeric JSON-RPC id: v1 sends `"7"`).
const TAG_INT_STR: u8 = 4;
const TAG_ARRAY: u8 = 5;
/// An ended child op: index, parent, groups, name, start and end ticks.
const TAG_OP: u8 = 6;
/// The bundle's end: total ticks and total ns (the calibration of every op's ticks).
const TAG_END: u8 = 7;
/// A [`FactBlock`]'s entries, copied whole: target (the op of its [`BLOCK_OP`] facts), length,
/// bytes.
const TAG_BLOCK: u8 = 8;

/// The target of a [`FactBlock`]'s op facts: the op the block is written for ([`fact_block`]).
/// (Op indices are below 64, groups 201-207, the context 255.)
pub(crate) const BLOCK_OP: u8 = 254;

/// Appends one entry: `head` (the tag and up to 3 more bytes: `head.len()` ≤ 4), the `words`,
/// then the `tail` bytes (a value), with one capacity check and one length update (the buffer's
/// address and length are read once per entry, not once per piece).
#[inline(always)]
fn entry<const W: usize>(b: &mut Vec<u8>, head: &[u8], words: [u64; W], tail: &[u8]) {
    assert!(head.len() <= 4);
    let n = head.len() + 8 * W;
    b.reserve(n + tail.len());
    let len = b.len();
    // SAFETY: `reserve` made room for `n + tail.len()` bytes after `len`: `head`, `W` words, then
    // `tail`; `tail` is not inside `b`'s spare room (it is borrowed while `b` is borrowed
    // mutably).
    unsafe {
        let dst = b.as_mut_ptr().add(len);
        std::ptr::copy_nonoverlapping(head.as_ptr(), dst, head.len());
        let words_at = dst.add(head.len());
        for (i, w) in words.iter().enumerate() {
            std::ptr::write_unaligned(words_at.add(8 * i) as *mut u64, w.to_le());
        }
        copy_bytes(dst.add(n), tail);
        b.set_len(len + n + tail.len());
    }
}

/// A `'static` text as the words of its address and length (read back by
/// [`RecordReader::static_str`]).
#[inline(always)]
fn static_words(s: &'static str) -> [u64; 2] {
    [s.as_ptr() as usize as u64, s.len() as u64]
}

#[inline(always)]
fn push_bytes(b: &mut Vec<u8>, v: &str) {
    entry(b, &[], [v.len() as u64], v.as_bytes());
}

/// The fact's head and one word (its length, or its number), then `tail` (a string's bytes).
#[inline(always)]
fn fact_entry(b: &mut Vec<u8>, tag: u8, target: u8, key: &'static str, word: u64, tail: &[u8]) {
    let [address, length] = static_words(key);
    entry(b, &[tag, target], [address, length, word], tail);
}

// The writers below are called from bundle.rs, another codegen unit: `#[inline]` lets them be
// inlined there as they were when they lived in it (+35 to +60 instructions per call without).
#[inline]
pub(crate) fn fact_str(b: &mut Vec<u8>, target: u8, key: &'static str, v: &str) {
    fact_entry(b, TAG_STR, target, key, v.len() as u64, v.as_bytes());
}

#[inline]
pub(crate) fn opt_str(b: &mut Vec<u8>, target: u8, key: &'static str, v: Option<&str>) {
    if let Some(v) = v {
        fact_str(b, target, key, v);
    }
}

#[inline]
pub(crate) fn fact_int(b: &mut Vec<u8>, target: u8, key: &'static str, v: i64) {
    fact_entry(b, TAG_INT, target, key, v as u64, &[]);
}

#[inline]
pub(crate) fn fact_bool(b: &mut Vec<u8>, target: u8, key: &'static str, v: bool) {
    fact_entry(b, TAG_BOOL, target, key, u64::from(v), &[]);
}

#[inline]
pub(crate) fn fact_int_str(b: &mut Vec<u8>, target: u8, key: &'static str, v: i64) {
    fact_entry(b, TAG_INT_STR, target, key, v as u64, &[]);
}

#[inline]
pub(crate) fn fact_array<S: AsRef<str>>(
    b: &mut Vec<u8>,
    target: u8,
    key: &'static str,
    items: &[S],
) {
    fact_entry(b, TAG_ARRAY, target, key, items.len() as u64, &[]);
    for item in items {
        push_bytes(b, item.as_ref());
    }
}

/// Fact entries encoded once (per tool, per upstream: facts every call of it repeats) and copied
/// whole into a record by [`fact_block`]: one entry instead of one per fact. Its facts target a
/// group, or [`BLOCK_OP`]; the decoded text is the same as that of the facts written one by one.
#[derive(Clone, Debug, Default)]
pub(crate) struct FactBlock(Arc<[u8]>);

impl FactBlock {
    /// The entries `write` appends with the `fact_*` writers.
    pub(crate) fn new(write: impl FnOnce(&mut Vec<u8>)) -> Self {
        let mut b = Vec::new();
        write(&mut b);
        FactBlock(b.into())
    }
}

/// Appends `block`'s facts, its [`BLOCK_OP`] facts for op `target`.
#[inline]
pub(crate) fn fact_block(b: &mut Vec<u8>, target: u8, block: &FactBlock) {
    entry(b, &[TAG_BLOCK, target], [block.0.len() as u64], &block.0);
}

#[inline]
pub(crate) fn op_entry(b: &mut Vec<u8>, index: u8, op: &OpRecord) {
    let [address, length] = static_words(op.name);
    entry(
        b,
        &[TAG_OP, index, op.parent, op.groups],
        [address, length, op.start, op.end],
        &[],
    );
}

#[inline]
pub(crate) fn end_entry(b: &mut Vec<u8>, total_ticks: u64, total_ns: u64) {
    entry(b, &[TAG_END], [total_ticks, total_ns], &[]);
}

/// Reads a record back (only records this module wrote: see [`decode_record`]).
struct RecordReader<'a> {
    rest: &'a [u8],
}

impl<'a> RecordReader<'a> {
    fn byte(&mut self) -> u8 {
        let (first, rest) = self.rest.split_first().expect("bundle record: truncated");
        self.rest = rest;
        *first
    }

    fn word(&mut self) -> u64 {
        let (word, rest) = self.rest.split_at(8);
        self.rest = rest;
        u64::from_le_bytes(word.try_into().expect("8 bytes"))
    }

    fn take(&mut self, n: u64) -> &'a [u8] {
        let (v, rest) = self.rest.split_at(n as usize);
        self.rest = rest;
        v
    }

    fn bytes(&mut self) -> &'a [u8] {
        let n = self.word();
        self.take(n)
    }

    fn static_str(&mut self) -> &'static str {
        let (ptr, len) = (self.word() as usize, self.word() as usize);
        // SAFETY: the record is written only by `push_static`, from a `&'static str`: the address
        // and length are those of a live, immutable, valid UTF-8 text.
        unsafe { std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr as *const u8, len)) }
    }
}

/// The `cf.bundle` text of a finished record (contract v2): its facts in the order they were
/// recorded, then its op lines in index order, exactly as the request thread used to write them.
pub(crate) fn decode_record(record: &[u8]) -> String {
    // Room for a text longer than its record (keys longer than the 16 bytes of their address
    // and length, op lines' decimal ns), so that it is rarely grown.
    let mut out = Vec::with_capacity(record.len() + record.len() / 2);
    let mut r = RecordReader { rest: record };
    let mut ops = [OpRecord::default(); RECORDED_CHILD_OPS as usize];
    let mut count = 0;
    while !r.rest.is_empty() {
        let tag = r.byte();
        match tag {
            TAG_OP => {
                let (index, parent, groups) = (r.byte(), r.byte(), r.byte());
                let name = r.static_str();
                let (start, end) = (r.word(), r.word());
                ops[usize::from(index) - 1] = OpRecord {
                    name,
                    parent,
                    groups,
                    start,
                    end,
                    ended: true,
                };
                count = count.max(usize::from(index));
            }
            TAG_END => {
                let (total_ticks, total_ns) = (r.word(), r.word());
                write_op_lines(&mut out, &ops[..count], total_ticks, total_ns);
            }
            TAG_BLOCK => {
                let op = r.byte();
                let mut block = RecordReader { rest: r.bytes() };
                while !block.rest.is_empty() {
                    let tag = block.byte();
                    decode_fact(&mut out, tag, &mut block, op);
                }
            }
            _ => decode_fact(&mut out, tag, &mut r, BLOCK_OP),
        }
    }
    // SAFETY: every value came from a `&str`, every key from a `&'static str`, the rest is ASCII.
    unsafe { String::from_utf8_unchecked(out) }
}

/// One fact entry (its `tag` read) as its text line; a [`BLOCK_OP`] target becomes `op`.
fn decode_fact(out: &mut Vec<u8>, tag: u8, r: &mut RecordReader<'_>, op: u8) {
    let target = match r.byte() {
        BLOCK_OP => op,
        target => target,
    };
    let key = r.static_str();
    // Every fact has one word after its key: a length, a number or a boolean.
    let word = r.word();
    match tag {
        TAG_STR => text_fact_str(out, target, key, r.take(word)),
        TAG_INT => text_fact_int(out, target, key, word as i64),
        TAG_BOOL => text_fact_bool(out, target, key, word != 0),
        TAG_INT_STR => {
            let mut digits = [0u8; 20];
            let text = int_text(word as i64, &mut digits);
            text_fact_str(out, target, key, text);
        }
        TAG_ARRAY => {
            text_fact_head(out, target, key);
            out.push(b'a');
            let n = word;
            push_uint(out, n);
            for _ in 0..n {
                out.push(b' ');
                text_len_str(out, r.bytes());
            }
            out.push(b'\n');
        }
        _ => unreachable!("bundle record: unknown tag {tag}"),
    }
}

// --- the contract's text (docs/raw-span-contract.md, "v2: request bundle") ---

fn text_fact_head(b: &mut Vec<u8>, target: u8, key: &str) {
    put(b, b"f ");
    if target == CTX {
        b.push(b'c');
    } else if target > GROUP_TARGET {
        b.push(b'g');
        b.push(b'0' + (target - GROUP_TARGET));
    } else {
        push_uint(b, u64::from(target));
    }
    b.push(b' ');
    put(b, key.as_bytes());
    b.push(b' ');
}

fn text_len_str(b: &mut Vec<u8>, v: &[u8]) {
    push_uint(b, v.len() as u64);
    b.push(b':');
    put(b, v);
}

fn text_fact_str(b: &mut Vec<u8>, target: u8, key: &str, v: &[u8]) {
    text_fact_head(b, target, key);
    b.push(b's');
    text_len_str(b, v);
    b.push(b'\n');
}

fn text_fact_int(b: &mut Vec<u8>, target: u8, key: &str, v: i64) {
    text_fact_head(b, target, key);
    b.push(b'i');
    if v < 0 {
        b.push(b'-');
    }
    push_uint(b, v.unsigned_abs());
    b.push(b'\n');
}

fn text_fact_bool(b: &mut Vec<u8>, target: u8, key: &str, v: bool) {
    text_fact_head(b, target, key);
    put(b, if v { b"b1\n" } else { b"b0\n" });
}

/// Decimal digits of `v`.
#[inline(always)]
fn decimal_len(v: u64) -> usize {
    let mut n = 1;
    let mut t = v;
    while t >= 10_000 {
        t /= 10_000;
        n += 4;
    }
    n + usize::from(t >= 10) + usize::from(t >= 100) + usize::from(t >= 1000)
}

/// Appends the decimal text of `v`, written in place.
#[inline]
fn push_uint(b: &mut Vec<u8>, v: u64) {
    if v < 10 {
        b.push(b'0' + v as u8);
        return;
    }
    let n = decimal_len(v);
    b.reserve(n);
    let len = b.len();
    // SAFETY: `reserve` made room for the `n` digits written at `len..len + n`.
    unsafe {
        let dst = b.as_mut_ptr().add(len);
        let mut i = n;
        let mut v = v;
        while i > 0 {
            i -= 1;
            *dst.add(i) = b'0' + (v % 10) as u8;
            v /= 10;
        }
        b.set_len(len + n);
    }
}

/// Decimal text of `v` in `digits` (no allocation).
fn int_text(v: i64, digits: &mut [u8; 20]) -> &[u8] {
    let mut i = digits.len();
    let mut m = v.unsigned_abs();
    loop {
        i -= 1;
        digits[i] = b'0' + (m % 10) as u8;
        m /= 10;
        if m == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        digits[i] = b'-';
    }
    &digits[i..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_primitives_write_exact_text() {
        for n in [
            0usize, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 24, 31, 32, 33, 40,
        ] {
            let text: String = ('a'..='z').cycle().take(n).collect();
            let mut b = b"x".to_vec();
            put(&mut b, text.as_bytes());
            assert_eq!(b, format!("x{text}").into_bytes());
        }
        for v in [0u64, 9, 10, 99, 100, 9_999, 10_000, 123_456_789, u64::MAX] {
            let mut b = Vec::new();
            push_uint(&mut b, v);
            assert_eq!(b, v.to_string().into_bytes());
        }
        let mut b = Vec::new();
        fact_int(&mut b, 3, "k", i64::MIN);
        fact_int_str(&mut b, 3, "k", i64::MIN);
        fact_array::<&str>(&mut b, CTX, "k", &[]);
        assert_eq!(
            decode_record(&b),
            format!("f 3 k i{m}\nf 3 k s20:{m}\nf c k a0\n", m = i64::MIN)
        );
        // Tick offsets become ns within the bundle, in order.
        let op = |start, end| OpRecord {
            name: "tool.lookup",
            start,
            end,
            ended: true,
            ..OpRecord::default()
        };
        let mut b = Vec::new();
        write_op_lines(&mut b, &[op(0, 3), op(3, 10), op(7, 11)], 10, 1_000);
        assert_eq!(
            String::from_utf8(b).unwrap(),
            "o 1 tool.lookup 0 0 300\no 2 tool.lookup 0 300 1000\no 3 tool.lookup 0 700 1000\n"
        );
    }
}
