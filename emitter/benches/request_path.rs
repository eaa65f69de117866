//! Request-path cost of emitting the raw spans of one `tools/call` (REST tree: 5 spans, MCP
//! tree: 9 spans; 2 KB arguments and 2 KB result captured), against not tracing at all.
//! The SDK's batch processor exports to a no-op sink, so only the request path is measured, in
//! two modes: the exporter thread draining between samples (the request path's own cost) and
//! draining while calls run (a saturated request thread sharing 2 cores with the exporter).
//! Wall and thread-CPU µs per call, medians; allocations are counted on the calling thread only
//! (a counting global allocator). The official SDK's per-span floor is measured in the same run.
//!
//! `cargo bench --manifest-path emitter/Cargo.toml` (options: `-- --samples N --iters N`).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcpparity_emitter::*;
use opentelemetry::Context;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, SpanData, SpanExporter};

struct CountingAllocator;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = COUNTING.try_with(|c| {
            if c.get() {
                let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
            }
        });
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let _ = COUNTING.try_with(|c| {
            if c.get() {
                let _ = ALLOCS.try_with(|a| a.set(a.get() + 1));
            }
        });
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// Accepts every batch and drops it, counting spans (to check none was dropped by a full queue).
#[derive(Debug, Clone, Default)]
struct NoopSink(Arc<AtomicUsize>);

impl SpanExporter for NoopSink {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len(), Ordering::Relaxed);
        Ok(())
    }
}

/// What the runtime holds for one call; payload texts are shared (`Arc<str>`), so capturing
/// them copies nothing.
struct Inputs {
    arguments: Arc<str>,
    result: Arc<str>,
    headers: Vec<(&'static str, &'static str)>,
    /// The runtime's cached facts of the called tool.
    rest_tool: ToolFacts,
    mcp_tool: ToolFacts,
    upstream: UpstreamFacts,
}

fn inputs() -> Inputs {
    let filler = "x".repeat(2048 - 20);
    Inputs {
        arguments: format!(r#"{{"query":"{filler}"}}"#).into(),
        result: format!(
            r#"{{"content":[{{"type":"text","text":"{}"}}],"isError":false}}"#,
            "y".repeat(2048 - 52)
        )
        .into(),
        headers: vec![
            (
                "traceparent",
                "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            ),
            ("x-correlation-id", "c94b8eae12724b6c8a19dc582c6b3e84"),
            ("mcp-session-id", "5f1c0d2e9a7b4c3d8e6f"),
            ("user-agent", "python-httpx/0.28.1"),
        ],
        rest_tool: ToolFacts::new("c027c896d0324e138cab7d3086d57fc9", "REST", None),
        mcp_tool: ToolFacts::new(
            "c027c896d0324e138cab7d3086d57fc9",
            "MCP",
            Some("aadee14b4fc94f9f9bf60d895538364b"),
        ),
        upstream: UpstreamFacts::new(&UpstreamTarget {
            tool_name: "whoami_trace",
            transport: "streamablehttp",
            url: "http://localhost:18090/mcp",
        }),
    }
}

const HTTP: HttpRequest<'static> = HttpRequest {
    method: "POST",
    path: "/mcp",
    query: None,
    protocol_version: Some("1.1"),
    server_address: Some("127.0.0.1"),
    server_port: Some(4444),
    client_address: Some("127.0.0.1"),
    client_port: Some(38690),
    user_agent: Some("python-httpx/0.28.1"),
};

/// One `tools/call` the way the runtime would trace it.
fn traced_call(emitter: &RawSpanEmitter, input: &Inputs, mcp: bool) {
    let headers = HeaderPairs(&input.headers);
    let parent = emitter.extract_context(&headers);
    let context = RequestContext::from_headers(&headers)
        .with_auth_method("jwt")
        .with_identity(
            Some("admin@example.com"),
            Some(true),
            None,
            Some(Vec::new()),
        );
    let mut request = emitter.start_request(&parent, context, &HTTP);
    let tool = if mcp {
        &input.mcp_tool
    } else {
        &input.rest_tool
    };
    let mut invoke = request.start_tool_invoke(
        tool,
        &ToolCall {
            tool_name: "upstream-whoami-trace",
            server_id: None,
            jsonrpc_id: Some(JsonRpcId::Number(7)),
            arguments_count: 1,
            has_headers: true,
        },
    );
    invoke.set_arguments_json(Arc::clone(&input.arguments));
    invoke.start_lookup().end();
    let gateway_call = invoke.start_gateway_call();
    if mcp {
        let call = gateway_call.start_mcp_call(&input.upstream);
        call.start_initialize().end();
        call.start_request().end();
        call.start_response(true).end();
        call.end();
    }
    gateway_call.end();
    invoke.start_post_process().end();
    invoke.set_result_json(Arc::clone(&input.result), false);
    invoke.end();
    request.set_status_code(200);
    request.end();
}

/// The same call recorded as one contract-v2 request bundle (one exported span).
fn bundled_call(emitter: &BundleEmitter, input: &Inputs, mcp: bool) {
    let headers = HeaderPairs(&input.headers);
    let request = emitter.start_request(&headers, &HTTP);
    request.set_auth_method("jwt");
    request.set_identity(Some("admin@example.com"), Some(true), None, Some(&[]));
    let tool = if mcp {
        &input.mcp_tool
    } else {
        &input.rest_tool
    };
    let mut invoke = request.start_tool_invoke(
        tool,
        &ToolCall {
            tool_name: "upstream-whoami-trace",
            server_id: None,
            jsonrpc_id: Some(JsonRpcId::Number(7)),
            arguments_count: 1,
            has_headers: true,
        },
    );
    invoke.set_arguments_json(Arc::clone(&input.arguments));
    invoke.start_lookup().end();
    let gateway_call = invoke.start_gateway_call();
    if mcp {
        let call = gateway_call.start_mcp_call(&input.upstream);
        black_box(call.span_context()); // the upstream traceparent
        call.start_initialize().end();
        call.start_request().end();
        call.start_response(true).end();
        call.end();
    }
    gateway_call.end();
    invoke.start_post_process().end();
    invoke.set_result_json(Arc::clone(&input.result), false);
    invoke.end();
    request.set_status_code(200);
    request.end();
}

/// A family request the way the runtime would trace it (contract v1.1): `which` 0 = `tools/list`
/// (server variant), 1 = `resources/read` with its 2 KB content, 2 = `prompts/get` (2 KB result).
fn traced_family(emitter: &RawSpanEmitter, input: &Inputs, which: u8) {
    let headers = HeaderPairs(&input.headers);
    let parent = emitter.extract_context(&headers);
    let context = RequestContext::from_headers(&headers)
        .with_auth_method("jwt")
        .with_identity(
            Some("admin@example.com"),
            Some(true),
            None,
            Some(Vec::new()),
        );
    let mut request = emitter.start_request(&parent, context, &HTTP);
    let teams: [String; 0] = [];
    match which {
        0 => request
            .start_list(
                ListFamily::Tools,
                &ListCall {
                    variant: ListVariant::Server,
                    server_id: Some("4ed4b9b657c04424913c2b8a5b6c5a20"),
                    user_email: Some("admin@example.com"),
                    team_ids: Some(&teams),
                    ..ListCall::default()
                },
            )
            .end(),
        1 => {
            let mut read = request.start_resource_read(&ResourceRead {
                uri: "docs://handbook/intro",
                request_id: None,
                server_id: Some("4ed4b9b657c04424913c2b8a5b6c5a20"),
                user: Some("admin@example.com"),
            });
            read.set_content_json(Arc::clone(&input.result));
            read.end();
        }
        _ => {
            let mut prompt = request.start_prompt_render(&PromptGet {
                name: "greeting",
                arguments_count: 0,
                user: Some("admin@example.com"),
                server_id: Some("4ed4b9b657c04424913c2b8a5b6c5a20"),
                tenant_id: None,
            });
            prompt.set_arguments_json("{}");
            prompt.set_result(
                &PromptOutcome {
                    canonical_name: Some("greeting"),
                    version: Some(1),
                    messages_count: 1,
                },
                Arc::clone(&input.result),
            );
            prompt.end();
        }
    }
    request.set_status_code(200);
    request.end();
}

/// The family request of [`traced_family`] as one contract-v2 bundle (request op + its op).
fn bundled_family(emitter: &BundleEmitter, input: &Inputs, which: u8) {
    let headers = HeaderPairs(&input.headers);
    let request = emitter.start_request(&headers, &HTTP);
    request.set_auth_method("jwt");
    request.set_identity(Some("admin@example.com"), Some(true), None, Some(&[]));
    let teams: [String; 0] = [];
    match which {
        0 => request
            .start_list(
                ListFamily::Tools,
                &ListCall {
                    variant: ListVariant::Server,
                    server_id: Some("4ed4b9b657c04424913c2b8a5b6c5a20"),
                    user_email: Some("admin@example.com"),
                    team_ids: Some(&teams),
                    ..ListCall::default()
                },
            )
            .end(),
        1 => {
            let mut read = request.start_resource_read(&ResourceRead {
                uri: "docs://handbook/intro",
                request_id: None,
                server_id: Some("4ed4b9b657c04424913c2b8a5b6c5a20"),
                user: Some("admin@example.com"),
            });
            read.set_content_json(Arc::clone(&input.result));
            read.end();
        }
        _ => {
            let mut prompt = request.start_prompt_render(&PromptGet {
                name: "greeting",
                arguments_count: 0,
                user: Some("admin@example.com"),
                server_id: Some("4ed4b9b657c04424913c2b8a5b6c5a20"),
                tenant_id: None,
            });
            prompt.set_arguments_json("{}");
            prompt.set_result(
                &PromptOutcome {
                    canonical_name: Some("greeting"),
                    version: Some(1),
                    messages_count: 1,
                },
                Arc::clone(&input.result),
            );
            prompt.end();
        }
    }
    request.set_status_code(200);
    request.end();
}

/// The same call without tracing: the runtime only holds its inputs.
fn untraced_call(input: &Inputs, mcp: bool) {
    black_box((&input.headers, &input.arguments, &input.result, mcp, &HTTP));
}

struct Sample {
    micros_per_call: f64,
    cpu_micros_per_call: f64,
    allocs_per_call: f64,
}

/// CPU time of the calling thread: the request path's own cost, unlike wall time not inflated
/// when the 2-core machine is shared (other processes, the batch exporter thread).
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always supported on Linux.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn measure(iters: u64, mut f: impl FnMut()) -> Sample {
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    let cpu_start = thread_cpu_time();
    let start = Instant::now();
    for _ in 0..iters {
        f();
    }
    let elapsed = start.elapsed();
    let cpu = thread_cpu_time() - cpu_start;
    COUNTING.with(|c| c.set(false));
    let allocs = ALLOCS.with(|a| a.get());
    Sample {
        micros_per_call: elapsed.as_secs_f64() * 1e6 / iters as f64,
        cpu_micros_per_call: cpu.as_secs_f64() * 1e6 / iters as f64,
        allocs_per_call: allocs as f64 / iters as f64,
    }
}

/// Medians of wall µs, thread-CPU µs and allocations over the samples.
#[derive(Clone, Copy)]
struct Figures {
    wall: f64,
    cpu: f64,
    allocs: f64,
}

fn figures(samples: &[Sample]) -> Figures {
    let pick = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
    Figures {
        wall: pick(|s| s.micros_per_call),
        cpu: pick(|s| s.cpu_micros_per_call),
        allocs: pick(|s| s.allocs_per_call),
    }
}

fn row(label: &str, f: Figures) {
    println!(
        "{:<44} {:>10.3} {:>10.3} {:>12.1}",
        label, f.wall, f.cpu, f.allocs
    );
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// When the batch processor's exporter thread runs, relative to the measured calls.
#[derive(Clone, Copy, PartialEq)]
enum ExportMode {
    /// The exporter thread drains between samples (`force_flush`), never during one: the
    /// request path's own cost, as at a moderate request rate where the thread wakes briefly
    /// every `scheduled_delay`.
    Between,
    /// The exporter thread drains every 4096 spans while calls run: a saturated request thread
    /// sharing the machine's 2 cores with the exporter (cache lines and the allocator bounce
    /// between the cores).
    During,
}

fn main() {
    let samples = arg("--samples", 31);
    let iters = arg("--iters", 1_000);
    let input = inputs();
    println!("request path of one tools/call, 2 KB arguments + 2 KB result captured; {samples} samples x {iters} calls, median");
    println!(
        "{:<44} {:>10} {:>10} {:>12}",
        "case", "wall µs", "cpu µs", "allocs/call"
    );
    if let Some(case) = std::env::args().skip_while(|a| a != "--count").nth(1) {
        return count_driver(&case, iters, &input);
    }
    // `--only v1|v2`: one contract's rows (profiling); default both, and the SDK floor.
    let only = std::env::args().skip_while(|a| a != "--only").nth(1);
    for mode in [ExportMode::Between, ExportMode::During] {
        if only.as_deref() != Some("v2") {
            run_trees(mode, samples, iters, &input);
        }
        if only.as_deref() != Some("v1") {
            run_bundles(mode, samples, iters, &input, BundleSink::Batch);
            run_bundles(mode, samples, iters, &input, BundleSink::Queue);
        }
    }
    if only.is_some() {
        return;
    }
    let (floor, floor_exported) = sdk_span_floor(samples, iters, 0);
    row("floor: SDK span, no attributes", floor);
    let (floor16, floor16_exported) = sdk_span_floor(samples, iters, 16);
    row("floor: SDK span, 16 static attributes", floor16);
    let floor_emitted = 2 * (samples * iters) as usize;
    println!(
        "floor spans dropped {}",
        (floor_emitted + 2 * QUEUE_SLOTS).saturating_sub(floor_exported + floor16_exported)
    );
}

/// Both trees, traced and not, through one emitter whose exporter runs per `mode`.
fn run_trees(mode: ExportMode, samples: u64, iters: u64, input: &Inputs) {
    let sink = NoopSink::default();
    let config = EmitterConfig {
        gateway_version: "1.0.7-20260921".into(),
        capture_input: true,
        capture_output: true,
        ..EmitterConfig::default()
    };
    let config = EmitterConfig {
        family_capture: FamilyCapture {
            resource_read_input: true,
            resource_read_output: true,
            prompt_render_input: true,
            prompt_render_output: true,
        },
        ..config
    };
    let emitter = RawSpanEmitter::with_span_processor(config, batch_processor(sink.clone(), mode));
    let export = match mode {
        ExportMode::Between => "export between samples",
        ExportMode::During => "export during calls",
    };
    let mut emitted = 0usize;
    for (label, tree, spans) in [
        ("REST tree (5 spans)", 0u8, 5),
        ("MCP tree (9 spans)", 1, 9),
        ("tools/list (2 spans)", 10, 2),
        ("resources/read, 2 KB content (2 spans)", 11, 2),
        ("prompts/get, 2 KB result (2 spans)", 12, 2),
    ] {
        let mcp = tree == 1;
        let traced_call = |emitter: &RawSpanEmitter, input: &Inputs, mcp: bool| {
            if tree >= 10 {
                traced_family(emitter, input, tree - 10)
            } else {
                traced_call(emitter, input, mcp)
            }
        };
        // Warm-up: one lap of the queue's ring, so no measured call pays a first-touch page
        // fault of the 128 Ki-slot ring (a runtime's 2048-slot queue is warm after seconds).
        let warm = QUEUE_SLOTS / spans + 200;
        for i in 0..warm {
            traced_call(&emitter, input, mcp);
            if i % iters as usize == 0 {
                let _ = emitter.force_flush();
            }
        }
        emitted += warm * spans;
        let _ = emitter.force_flush();
        let mut traced = Vec::new();
        let mut untraced = Vec::new();
        for _ in 0..samples {
            traced.push(measure(iters, || traced_call(&emitter, input, mcp)));
            emitted += iters as usize * spans;
            untraced.push(measure(iters, || untraced_call(input, mcp)));
            // Drain now; a full queue would drop spans, which is cheaper and not the path measured.
            let _ = emitter.force_flush();
        }
        let (t, u) = (figures(&traced), figures(&untraced));
        row(&format!("{label}, {export}"), t);
        row(&format!("{label}, not traced"), u);
        row(
            &format!("{label}, cost"),
            Figures {
                wall: t.wall - u.wall,
                cpu: t.cpu - u.cpu,
                allocs: t.allocs - u.allocs,
            },
        );
    }
    if mode == ExportMode::Between {
        // Breakdown: the per-request setup and one request span.
        let headers = HeaderPairs(&input.headers);
        let setup = figures(
            &(0..samples)
                .map(|_| {
                    measure(iters, || {
                        let parent = emitter.extract_context(&headers);
                        black_box((parent, RequestContext::from_headers(&headers)));
                    })
                })
                .collect::<Vec<_>>(),
        );
        row("breakdown: extract + RequestContext", setup);
        let one_span = figures(
            &(0..samples)
                .map(|_| {
                    let s = measure(iters, || {
                        emitter
                            .start_request(&Context::new(), RequestContext::default(), &HTTP)
                            .end();
                    });
                    let _ = emitter.force_flush();
                    s
                })
                .collect::<Vec<_>>(),
        );
        emitted += (samples * iters) as usize;
        row("breakdown: one request span", one_span);
    }
    emitter.force_flush().expect("flush");
    let exported = sink.0.load(Ordering::Relaxed);
    println!(
        "({export}: spans emitted {emitted}, exported {exported}, dropped {})",
        emitted.saturating_sub(exported)
    );
    emitter.shutdown().expect("shutdown");
}

/// Where the bundles go.
#[derive(Clone, Copy, PartialEq)]
enum BundleSink {
    /// One `SpanData` per bundle into the official batch processor (`with_batch_processor`).
    Batch,
    /// The bundle queue: recycled buffers, one exporter thread (`with_queue`, the default).
    Queue,
}

/// The bench's emitter settings: every payload captured (arguments, results, family content).
fn capture_everything() -> EmitterConfig {
    EmitterConfig {
        gateway_version: "1.0.7-20260921".into(),
        capture_input: true,
        capture_output: true,
        family_capture: FamilyCapture {
            resource_read_input: true,
            resource_read_output: true,
            prompt_render_input: true,
            prompt_render_output: true,
        },
        ..EmitterConfig::default()
    }
}

/// Both trees as contract-v2 request bundles (one span per call), through the official batch
/// processor or the bundle queue, configured per `mode`; the official exporter API either way.
fn run_bundles(mode: ExportMode, samples: u64, iters: u64, input: &Inputs, kind: BundleSink) {
    let sink = NoopSink::default();
    let config = capture_everything();
    let emitter = match kind {
        BundleSink::Batch => {
            BundleEmitter::with_batch_processor(config, batch_processor(sink.clone(), mode))
        }
        BundleSink::Queue => BundleEmitter::with_queue(config, sink.clone(), queue_config(mode)),
    };
    let export = match mode {
        ExportMode::Between => "export between samples",
        ExportMode::During => "export during calls",
    };
    let prefix = match kind {
        BundleSink::Batch => "v2 bundle",
        BundleSink::Queue => "v2 queue",
    };
    let mut emitted = 0usize;
    for (label, tree) in [
        (format!("{prefix}, REST tree (5 ops)"), 0u8),
        (format!("{prefix}, MCP tree (9 ops)"), 1),
        (format!("{prefix}, tools/list (2 ops)"), 10),
        (
            format!("{prefix}, resources/read, 2 KB content (2 ops)"),
            11,
        ),
        (format!("{prefix}, prompts/get, 2 KB result (2 ops)"), 12),
    ] {
        let mcp = tree == 1;
        let bundled_call = |emitter: &BundleEmitter, input: &Inputs, mcp: bool| {
            if tree >= 10 {
                bundled_family(emitter, input, tree - 10)
            } else {
                bundled_call(emitter, input, mcp)
            }
        };
        // Warm-up: one lap of the queue's ring (see `run_trees`).
        let warm = QUEUE_SLOTS + 200;
        for i in 0..warm {
            bundled_call(&emitter, input, mcp);
            if i % iters as usize == 0 {
                let _ = emitter.force_flush();
            }
        }
        emitted += warm;
        let _ = emitter.force_flush();
        let mut traced = Vec::new();
        let mut untraced = Vec::new();
        for _ in 0..samples {
            traced.push(measure(iters, || bundled_call(&emitter, input, mcp)));
            emitted += iters as usize;
            untraced.push(measure(iters, || untraced_call(input, mcp)));
            let _ = emitter.force_flush();
        }
        let (t, u) = (figures(&traced), figures(&untraced));
        row(&format!("{label}, {export}"), t);
        row(
            &format!("{label}, cost"),
            Figures {
                wall: t.wall - u.wall,
                cpu: t.cpu - u.cpu,
                allocs: t.allocs - u.allocs,
            },
        );
    }
    if mode == ExportMode::Between {
        // Breakdown: a bundle with the request op only (traceparent parse, ids, context facts,
        // buffer, one hand-off to the batch processor): the fixed cost under every call.
        let headers = HeaderPairs(&input.headers);
        let empty = figures(
            &(0..samples)
                .map(|_| {
                    let s = measure(iters, || {
                        let request = emitter.start_request(&headers, &HTTP);
                        request.set_auth_method("jwt");
                        request.set_status_code(200);
                        request.end();
                    });
                    let _ = emitter.force_flush();
                    s
                })
                .collect::<Vec<_>>(),
        );
        emitted += (samples * iters) as usize;
        row(
            match kind {
                BundleSink::Batch => "v2 breakdown: request op only",
                BundleSink::Queue => "v2 queue breakdown: request op only",
            },
            empty,
        );
    }
    emitter.force_flush().expect("flush");
    let exported = sink.0.load(Ordering::Relaxed);
    println!(
        "({prefix} {export}: bundles emitted {emitted}, exported {exported}, dropped {})",
        emitted.saturating_sub(exported)
    );
    assert_eq!(emitter.dropped(), 0, "the bundle queue dropped bundles");
    emitter.shutdown().expect("shutdown");
}

/// The official SDK's own cost of one span (static name, `attributes` static attributes built
/// in one `Vec`, start + end) through a batch processor configured as the emitter's: the floor
/// under every raw span (a raw span carries 12-19 attributes).
fn sdk_span_floor(samples: u64, iters: u64, attributes: usize) -> (Figures, usize) {
    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
    let sink = NoopSink::default();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(batch_processor(sink.clone(), ExportMode::Between))
        .build();
    let tracer = provider.tracer(SCOPE_NAME);
    let parent = Context::new();
    // Warm-up: one lap of the ring (see `run_trees`).
    for i in 0..QUEUE_SLOTS {
        tracer
            .build_with_context(tracer.span_builder("warm-up"), &parent)
            .end();
        if i % iters as usize == 0 {
            let _ = provider.force_flush();
        }
    }
    let _ = provider.force_flush();
    let floor = figures(
        &(0..samples)
            .map(|_| {
                let s = measure(iters, || {
                    let mut builder = tracer.span_builder("tool.lookup");
                    if attributes > 0 {
                        let mut attrs = Vec::with_capacity(attributes);
                        attrs.extend(
                            STATIC_KEYS[..attributes]
                                .iter()
                                .map(|k| opentelemetry::KeyValue::new(*k, "v")),
                        );
                        builder = builder.with_attributes(attrs);
                    }
                    tracer.build_with_context(builder, &parent).end();
                });
                let _ = provider.force_flush();
                s
            })
            .collect::<Vec<_>>(),
    );
    provider.force_flush().expect("flush");
    provider.shutdown().expect("shutdown");
    (floor, sink.0.load(Ordering::Relaxed))
}

const STATIC_KEYS: [&str; 16] = [
    "k0", "k1", "k2", "k3", "k4", "k5", "k6", "k7", "k8", "k9", "k10", "k11", "k12", "k13", "k14",
    "k15",
];

/// Slots of every queue in this bench: nothing is dropped.
const QUEUE_SLOTS: usize = 1 << 17;

/// The bundle queue sized and woken as [`batch_processor`].
fn queue_config(mode: ExportMode) -> QueueConfig {
    let queue = QUEUE_SLOTS;
    let (batch, delay) = match mode {
        ExportMode::Between => (queue, Duration::from_secs(3600)),
        ExportMode::During => (4096, Duration::from_millis(50)),
    };
    QueueConfig {
        max_queue_size: queue,
        max_export_batch_size: batch,
        scheduled_delay: delay,
        ..QueueConfig::default()
    }
}

/// The SDK's batch processor with a queue large enough that nothing is dropped; per `mode`,
/// the exporter thread wakes every 4096 spans or only when flushed.
fn batch_processor(sink: NoopSink, mode: ExportMode) -> BatchSpanProcessor {
    let queue = QUEUE_SLOTS;
    let (batch, delay) = match mode {
        ExportMode::Between => (queue, Duration::from_secs(3600)),
        ExportMode::During => (4096, Duration::from_millis(50)),
    };
    BatchSpanProcessor::builder(sink)
        .with_batch_config(
            BatchConfigBuilder::default()
                .with_max_queue_size(queue)
                .with_max_export_batch_size(batch)
                .with_scheduled_delay(delay)
                .build(),
        )
        .build()
}

/// `--count CASE --iters N`: the driver of `bench/emitter_instructions.sh`. `CASE` (`rest`, `mcp`,
/// `list`, `read`, `prompt`, `empty`) runs N times (at most 3000) through the default sink (the
/// bundle queue) with the pool of buffers warm and the exporter thread idle, in
/// `measured_calls`, then the process exits without exporting: the instructions callgrind
/// collects in `measured_calls`, divided by N, are the request thread's own work per call.
const COUNT_WARM: u64 = 3000;

fn count_driver(case: &str, calls: u64, input: &Inputs) {
    let config = capture_everything();
    let emitter = BundleEmitter::with_queue(
        config,
        NoopSink::default(),
        queue_config(ExportMode::Between),
    );
    let call: &dyn Fn() = match case {
        "rest" => &|| bundled_call(&emitter, input, false),
        "mcp" => &|| bundled_call(&emitter, input, true),
        "list" => &|| bundled_family(&emitter, input, 0),
        "read" => &|| bundled_family(&emitter, input, 1),
        "prompt" => &|| bundled_family(&emitter, input, 2),
        "empty" => &|| {
            let request = emitter.start_request(&HeaderPairs(&input.headers), &HTTP);
            request.set_auth_method("jwt");
            request.set_status_code(200);
            request.end();
        },
        other => panic!("--count {other}: rest, mcp, list, read, prompt or empty"),
    };
    // Warm, the same for every N: the buffers of every measured call are in the pool, the queue
    // is empty.
    let calls = calls.clamp(1, COUNT_WARM);
    for _ in 0..COUNT_WARM {
        call();
    }
    emitter.force_flush().expect("flush");
    measured_calls(calls, call);
    // No export of the measured calls: only the request thread's work is counted.
    std::process::exit(0);
}

/// The calls counted (`valgrind --tool=callgrind --toggle-collect='*measured_calls*'`): the
/// warm-up and the flush before them wait on channels and spin a varying number of times.
#[inline(never)]
fn measured_calls(calls: u64, call: &dyn Fn()) {
    for _ in 0..calls {
        call();
    }
}
