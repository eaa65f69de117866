//! The bundle queue: the request path's sink for contract-v2 bundles (`BundleEmitter::new` and
//! `with_exporter`), cheaper than one SDK span through the `BatchSpanProcessor`.
//!
//! A request encodes its bundle into a buffer taken from a free list (no `malloc` on the request
//! path once the pool is warm) and pushes a small record on a bounded queue (one lock-free
//! `try_send`, one relaxed counter); it never blocks: a full queue drops the bundle and counts it,
//! as the SDK's `max_queue_size`. One exporter thread per queue drains it in batches, builds the
//! `SpanData` there (attribute `Vec`, the `cf.bundle` string and the scope are allocated on that
//! thread, which also frees them), calls the official `SpanExporter` (the same OTLP exporter,
//! resource and scope as the batch processor path) and returns the buffers to the free list.
//! v1 spans of the same emitter (`BundleEmitter::v1`) go through the same queue as boxed
//! `SpanData`, so there is one exporter and one order of export.

use std::cell::RefCell;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Wake};
use std::thread::JoinHandle;
use std::time::Duration;

use opentelemetry::InstrumentationScope;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use opentelemetry_sdk::Resource;

use crate::record::BundleRecord;

/// Sizes and timings of the bundle queue (`BundleQueue`); the defaults are the SDK `BatchSpanProcessor`'s.
#[derive(Clone, Copy, Debug)]
pub struct QueueConfig {
    /// Records (bundles or v1 spans) waiting for export; one more is dropped and counted.
    pub max_queue_size: usize,
    /// Records per `export` call; the exporter thread is woken when this many are waiting.
    pub max_export_batch_size: usize,
    /// The exporter thread also drains this often.
    pub scheduled_delay: Duration,
    /// How long `force_flush`/`shutdown` wait for the exporter thread.
    pub flush_timeout: Duration,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            max_queue_size: 2048,
            max_export_batch_size: 512,
            scheduled_delay: Duration::from_millis(5000),
            flush_timeout: Duration::from_secs(30),
        }
    }
}

// The bundle record is inline on purpose: boxing it would be one allocation per request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
enum Item {
    Bundle(BundleRecord),
    Span(Box<SpanData>),
}

enum Control {
    /// A batch is waiting.
    Wake,
    Flush(SyncSender<OTelSdkResult>),
    Shutdown(SyncSender<OTelSdkResult>),
}

/// The bounded queue and its exporter thread.
#[derive(Debug)]
pub(crate) struct BundleQueue {
    items: SyncSender<Item>,
    control: SyncSender<Control>,
    /// Records pushed and not yet drained (wakes the exporter thread once per batch).
    pending: Arc<AtomicUsize>,
    batch: usize,
    dropped: AtomicU64,
    shut_down: AtomicBool,
    flush_timeout: Duration,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for Control {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Control::Wake => "Wake",
            Control::Flush(_) => "Flush",
            Control::Shutdown(_) => "Shutdown",
        })
    }
}

impl BundleQueue {
    /// Starts the exporter thread; `exporter` gets `resource` first, as the batch processor does.
    pub fn start<E: SpanExporter + 'static>(
        mut exporter: E,
        resource: &Resource,
        scope: InstrumentationScope,
        config: QueueConfig,
    ) -> Self {
        exporter.set_resource(resource);
        let (items, items_rx) = mpsc::sync_channel(config.max_queue_size.max(1));
        let (control, control_rx) = mpsc::sync_channel(64);
        let pending = Arc::new(AtomicUsize::new(0));
        let worker = Worker {
            exporter,
            items: items_rx,
            pending: Arc::clone(&pending),
            scope,
            batch: config.max_export_batch_size.max(1),
            flush_timeout: config.flush_timeout,
        };
        let thread = std::thread::Builder::new()
            .name("mcpparity-bundle-export".into())
            .spawn(move || worker.run(control_rx, config.scheduled_delay))
            .expect("spawn the bundle exporter thread");
        BundleQueue {
            items,
            control,
            pending,
            batch: config.max_export_batch_size.max(1),
            dropped: AtomicU64::new(0),
            shut_down: AtomicBool::new(false),
            flush_timeout: config.flush_timeout,
            thread: Mutex::new(Some(thread)),
        }
    }

    /// Hands a finished bundle over; never blocks (a full or stopped queue drops it, counted).
    /// Inlined, so that the record is built in place as the queue's item (one copy of it, into
    /// the channel's slot, not three).
    #[inline(always)]
    pub fn push_bundle(&self, record: BundleRecord) {
        if let Some(Item::Bundle(record)) = self.push(Item::Bundle(record)) {
            give_back(record.buf);
        }
    }

    /// Queues `item`, or gives it back (counted dropped) when the queue is full or stopped.
    #[inline(always)]
    fn push(&self, item: Item) -> Option<Item> {
        // Counted before the send, so the exporter thread never subtracts a record not counted.
        let waiting = self.pending.fetch_add(1, Ordering::Relaxed) + 1;
        match self.items.try_send(item) {
            Ok(()) => {
                if waiting == self.batch {
                    let _ = self.control.try_send(Control::Wake);
                }
                None
            }
            Err(TrySendError::Full(item) | TrySendError::Disconnected(item)) => {
                self.pending.fetch_sub(1, Ordering::Relaxed);
                self.dropped.fetch_add(1, Ordering::Relaxed);
                Some(item)
            }
        }
    }

    /// Records dropped because the queue was full (or already shut down).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Exports everything queued before this call, then the exporter's own flush.
    pub fn force_flush(&self) -> OTelSdkResult {
        if self.shut_down.load(Ordering::Acquire) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        self.request(Control::Flush)
    }

    /// Exports everything queued, shuts the exporter down and stops the thread (once).
    pub fn shutdown(&self) -> OTelSdkResult {
        if self.shut_down.swap(true, Ordering::AcqRel) {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        let result = self.request(Control::Shutdown);
        if result.is_ok() {
            if let Some(thread) = self.thread.lock().map(|mut t| t.take()).unwrap_or(None) {
                let _ = thread.join();
            }
        }
        result
    }

    fn request(&self, message: fn(SyncSender<OTelSdkResult>) -> Control) -> OTelSdkResult {
        let (reply, reply_rx) = mpsc::sync_channel(1);
        self.control
            .send(message(reply))
            .map_err(|_| OTelSdkError::InternalFailure("bundle exporter thread stopped".into()))?;
        match reply_rx.recv_timeout(self.flush_timeout) {
            Ok(result) => result,
            Err(RecvTimeoutError::Timeout) => Err(OTelSdkError::Timeout(self.flush_timeout)),
            Err(RecvTimeoutError::Disconnected) => Err(OTelSdkError::InternalFailure(
                "bundle exporter thread stopped".into(),
            )),
        }
    }
}

impl Drop for BundleQueue {
    fn drop(&mut self) {
        if !self.shut_down.load(Ordering::Acquire) {
            let _ = self.shutdown();
        }
    }
}

/// The v1 spans of a bundle emitter into the same queue (and exporter).
#[derive(Debug)]
pub(crate) struct QueueProcessor(pub Arc<BundleQueue>);

impl SpanProcessor for QueueProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &opentelemetry::Context) {}
    fn on_end(&self, span: SpanData) {
        let _ = self.0.push(Item::Span(Box::new(span)));
    }
    fn force_flush(&self) -> OTelSdkResult {
        self.0.force_flush()
    }
    fn shutdown_with_timeout(&self, _timeout: Duration) -> OTelSdkResult {
        self.0.shutdown()
    }
    // The exporter got the resource when the queue started.
    fn set_resource(&mut self, _resource: &Resource) {}
}

struct Worker<E> {
    exporter: E,
    items: Receiver<Item>,
    pending: Arc<AtomicUsize>,
    scope: InstrumentationScope,
    batch: usize,
    flush_timeout: Duration,
}

impl<E: SpanExporter> Worker<E> {
    fn run(self, control: Receiver<Control>, delay: Duration) {
        loop {
            let message = control.recv_timeout(delay);
            let exported = self.export_queued();
            match message {
                Ok(Control::Wake) | Err(RecvTimeoutError::Timeout) => {}
                Ok(Control::Flush(reply)) => {
                    let _ = reply.send(exported.and(self.exporter.force_flush()));
                }
                Ok(Control::Shutdown(reply)) => {
                    let shut = self.exporter.shutdown_with_timeout(self.flush_timeout);
                    let _ = reply.send(exported.and(shut));
                    return;
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let _ = self.exporter.shutdown_with_timeout(self.flush_timeout);
                    return;
                }
            }
        }
    }

    /// Exports every record queued now, in batches; the result of the last failed batch.
    fn export_queued(&self) -> OTelSdkResult {
        let mut result = Ok(());
        let mut buffers = Vec::new();
        loop {
            let mut batch = Vec::with_capacity(self.batch.min(1024));
            while batch.len() < self.batch {
                match self.items.try_recv() {
                    Ok(Item::Bundle(record)) => batch.push(self.span_data(record, &mut buffers)),
                    Ok(Item::Span(span)) => batch.push(*span),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                break;
            }
            self.pending.fetch_sub(batch.len(), Ordering::Relaxed);
            let full = batch.len() == self.batch;
            if let Err(e) = block_on(self.exporter.export(batch)) {
                result = Err(e);
            }
            give_back_all(&mut buffers);
            if !full {
                break;
            }
        }
        result
    }

    /// The bundle span, built on this thread: the record is decoded into a `cf.bundle` string
    /// this thread frees, and the request's buffer goes back to the free list.
    fn span_data(&self, record: BundleRecord, buffers: &mut Vec<Vec<u8>>) -> SpanData {
        let (span, buf) = record.into_span_data(self.scope.clone());
        buffers.push(buf);
        span
    }
}

/// Runs an export future to completion on this thread (the batch processor does the same with
/// `futures_executor::block_on`; the gRPC exporter's connection runs on the runtime's Tokio
/// runtime, the HTTP one blocks in its client).
fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(ThreadWaker(std::thread::current())).into();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}

// --- the free list of bundle buffers ---

/// Buffers kept for reuse process-wide (2 KB each: at most 8 MB).
const POOL_MAX: usize = 4096;
/// Buffers a request thread keeps for itself, and takes from the pool at once (one lock per
/// `TAKE` requests, never one per request).
const LOCAL_MAX: usize = 64;
const TAKE: usize = 32;
/// A buffer that grew past this (a request with very large facts) is freed, not kept.
const KEEP_MAX_CAPACITY: usize = 16 * 1024;

static POOL: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());

thread_local! {
    static LOCAL: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

/// An empty buffer of at least `capacity` bytes: from this thread's cache, else a few from the
/// pool, else a new one (only until the pool is warm).
pub(crate) fn take_buffer(capacity: usize) -> Vec<u8> {
    let reused = LOCAL
        .try_with(|local| {
            let mut local = local.borrow_mut();
            if local.is_empty() {
                if let Ok(mut pool) = POOL.lock() {
                    let n = pool.len().min(TAKE);
                    let at = pool.len() - n;
                    local.extend(pool.drain(at..));
                }
            }
            local.pop()
        })
        .ok()
        .flatten();
    match reused {
        Some(mut b) => {
            b.reserve(capacity);
            b
        }
        None => Vec::with_capacity(capacity),
    }
}

/// A buffer the request thread did not hand over (dropped bundle, or decoded on the request
/// thread for the batch processor) goes back to its cache.
pub(crate) fn give_back(mut buf: Vec<u8>) {
    if buf.capacity() > KEEP_MAX_CAPACITY {
        return;
    }
    buf.clear();
    let _ = LOCAL.try_with(|local| {
        let mut local = local.borrow_mut();
        if local.len() < LOCAL_MAX {
            local.push(buf);
        }
    });
}

/// The exporter thread returns a batch's buffers to the pool (one lock per batch).
fn give_back_all(buffers: &mut Vec<Vec<u8>>) {
    if buffers.is_empty() {
        return;
    }
    if let Ok(mut pool) = POOL.lock() {
        for mut b in buffers.drain(..) {
            if pool.len() >= POOL_MAX {
                break;
            }
            if b.capacity() <= KEEP_MAX_CAPACITY {
                b.clear();
                pool.push(b);
            }
        }
    }
    buffers.clear();
}
