//! `raw-span-replay --facts FILE [--endpoint URL] [--protocol http|grpc] [--timeout-ms N]
//! [--gateway-version V] [--ca-file PEM] [--client-cert PEM --client-key PEM]
//! [--bearer-token-env VAR]`: emits the contract-v1 raw spans of one recorded call (facts file,
//! `docs/facts-format.md`), flushes, and exits 0; or exits non-zero with a clear message.
//! The endpoint in the facts' `env` is never used: pass `--endpoint`.
//!
//! `raw-span-replay --print-settings`: reads the gateway settings from the process environment
//! as the runtime does and prints the emitter's decisions as one JSON object (exit 0), or the
//! refusal on stderr (exit 1). tests/contract/test_settings_agree.py compares these decisions with
//! the configurator's parser.

use std::process::ExitCode;
use std::time::Duration;

use mcpparity_emitter::facts::{replay, Facts};
use mcpparity_emitter::{
    bearer_header, EmitterConfig, GatewaySettings, Protocol, RawSpanEmitter, TlsFiles,
};

/// The pinned oracle's `mcpgateway.__version__` (mcp-contextforge-gateway 1.0.7.post20260921).
const DEFAULT_GATEWAY_VERSION: &str = "1.0.7-20260921";

const USAGE: &str = "usage: raw-span-replay --facts FILE [--endpoint URL] [--protocol http|grpc] [--timeout-ms N] [--gateway-version V]
       raw-span-replay --print-settings
  --endpoint      OTLP endpoint (default http://127.0.0.1:4318/v1/traces for http, http://127.0.0.1:4317 for grpc)
  --protocol      http (default) or grpc
  --timeout-ms    export timeout in milliseconds (default 10000)
  --gateway-version  service.version and scope version (default 1.0.7-20260921)
  --ca-file       PEM CA that verifies the collector's certificate (https:// endpoints)
  --client-cert, --client-key  PEM client certificate and key for a receiver that wants them (mTLS)
  --bearer-token-env  environment variable holding the receiver's bearer token (sent as authorization: Bearer …)
  --print-settings   print the emitter's decisions on the gateway settings of this process's environment";

struct Args {
    facts: String,
    endpoint: Option<String>,
    protocol: Protocol,
    timeout: Duration,
    gateway_version: String,
    tls: TlsFiles,
    bearer_token_env: Option<String>,
}

fn parse_args(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut facts = None;
    let mut endpoint = None;
    let mut protocol = Protocol::Http;
    let mut timeout = Duration::from_millis(10_000);
    let mut gateway_version = DEFAULT_GATEWAY_VERSION.to_owned();
    let mut tls = TlsFiles::default();
    let mut bearer_token_env = None;
    while let Some(flag) = argv.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let mut value = || argv.next().ok_or_else(|| format!("{flag}: missing value"));
        match flag.as_str() {
            "--facts" => facts = Some(value()?),
            "--endpoint" => endpoint = Some(value()?),
            "--protocol" => {
                protocol = Protocol::parse(&value()?).map_err(|e| format!("--protocol: {e}"))?
            }
            "--timeout-ms" => {
                let v = value()?;
                let ms: u64 = v.parse().ok().filter(|ms| *ms > 0).ok_or_else(|| {
                    format!("--timeout-ms: must be a positive integer, got {v:?}")
                })?;
                timeout = Duration::from_millis(ms);
            }
            "--gateway-version" => gateway_version = value()?,
            "--ca-file" => tls.ca_file = Some(value()?.into()),
            "--client-cert" => tls.client_cert_file = Some(value()?.into()),
            "--client-key" => tls.client_key_file = Some(value()?.into()),
            "--bearer-token-env" => bearer_token_env = Some(value()?),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    let facts = facts.ok_or("--facts FILE is required")?;
    Ok(Args {
        facts,
        endpoint,
        protocol,
        timeout,
        gateway_version,
        tls,
        bearer_token_env,
    })
}

fn run(args: Args) -> Result<(), String> {
    let text = std::fs::read_to_string(&args.facts)
        .map_err(|e| format!("{}: cannot read: {e}", args.facts))?;
    let facts = Facts::from_json(&text).map_err(|e| format!("{}: {e}", args.facts))?;
    // The facts' own exporter settings describe the gateway run, not where this replay goes.
    let settings = GatewaySettings::from_pairs(
        facts
            .env
            .iter()
            .filter(|(k, _)| !k.to_ascii_uppercase().starts_with("OTEL_EXPORTER_OTLP_"))
            .map(|(k, v)| (k, v.clone())),
    );
    let mut config = EmitterConfig::from_settings(&args.gateway_version, &settings)
        .map_err(|e| e.to_string())?;
    config.protocol = args.protocol;
    config.endpoint = args.endpoint.unwrap_or_else(|| match args.protocol {
        Protocol::Http => "http://127.0.0.1:4318/v1/traces".into(),
        Protocol::Grpc => "http://127.0.0.1:4317".into(),
    });
    config.export_timeout = args.timeout;
    config.tls = args.tls;
    if let Some(var) = &args.bearer_token_env {
        // The token stays in the environment: never on the command line, never in a message.
        let token = std::env::var(var)
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or_else(|| format!("--bearer-token-env {var}: the variable is unset or empty"))?;
        config.headers.push(bearer_header(&token));
    }
    let endpoint = config.endpoint.clone();

    // gRPC (tonic) needs a Tokio runtime alive while the batch processor exports.
    let runtime = match args.protocol {
        Protocol::Grpc => Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start the Tokio runtime: {e}"))?,
        ),
        Protocol::Http => None,
    };
    let _guard = runtime.as_ref().map(|rt| rt.enter());
    let emitter = RawSpanEmitter::new(config).map_err(|e| e.to_string())?;
    replay(&emitter, &facts);
    let flushed = emitter.force_flush();
    let shut = emitter.shutdown();
    flushed.and(shut).map_err(|e| format!("{endpoint}: {e}"))
}

/// `--print-settings`: the decisions the emitter takes on the process environment, as JSON.
fn print_settings() -> ExitCode {
    match EmitterConfig::from_settings(
        DEFAULT_GATEWAY_VERSION,
        &GatewaySettings::from_process_env(),
    ) {
        Ok(c) => {
            let decisions = serde_json::json!({
                "endpoint": c.endpoint,
                "protocol": match c.protocol { Protocol::Http => "http", Protocol::Grpc => "grpc" },
                "service_name": c.service_name,
                "deployment_environment": c.deployment_env,
                "capture_input": c.capture_input,
                "capture_output": c.capture_output,
            });
            println!("{decisions}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("raw-span-replay: {e}");
            ExitCode::from(1)
        }
    }
}

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("--print-settings") {
        return print_settings();
    }
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) if msg.is_empty() => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("raw-span-replay: {msg}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("raw-span-replay: {msg}");
            ExitCode::from(1)
        }
    }
}
