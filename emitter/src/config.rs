use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use crate::keys;
use crate::transport::TlsFiles;

/// The hard cap on one raw payload attribute (1 MiB), from the contract.
pub const DEFAULT_MAX_RAW_PAYLOAD_BYTES: usize = keys::MAX_RAW_PAYLOAD_BYTES;

/// OTLP transport of the exporter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// OTLP/HTTP protobuf; the endpoint is used verbatim (include `/v1/traces`).
    Http,
    /// OTLP/gRPC (tonic); needs a multi-thread Tokio runtime alive for the emitter's lifetime.
    Grpc,
}

impl Protocol {
    /// Parses `http`, `http/protobuf` or `grpc` (the gateway's `OTEL_EXPORTER_OTLP_PROTOCOL` words).
    pub fn parse(value: &str) -> Result<Self, EmitterError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "http" | "http/protobuf" => Ok(Protocol::Http),
            "grpc" => Ok(Protocol::Grpc),
            other => Err(EmitterError::Config(format!(
                "protocol: must be http or grpc, got {other:?}"
            ))),
        }
    }
}

/// Settings of a [`crate::RawSpanEmitter`]. `Default` gives the gateway's defaults.
#[derive(Clone, Debug)]
pub struct EmitterConfig {
    /// OTLP endpoint of the collector (HTTP: the full `/v1/traces` URL; gRPC: `http://host:4317`).
    pub endpoint: String,
    pub protocol: Protocol,
    /// Resource `service.name` (gateway: `OTEL_SERVICE_NAME`, default `mcp-gateway`).
    pub service_name: String,
    /// Resource `service.version` and the scope version, e.g. `1.0.7-20260921`.
    pub gateway_version: String,
    /// Resource `deployment.environment` (`DEPLOYMENT_ENV`/`ENVIRONMENT`, default `development`).
    pub deployment_env: String,
    /// Send `gen_ai.tool.call.arguments` (`tool.invoke` is in `OTEL_CAPTURE_INPUT_SPANS`).
    pub capture_input: bool,
    /// Send `gen_ai.tool.call.result` (`tool.invoke` is in `OTEL_CAPTURE_OUTPUT_SPANS`).
    pub capture_output: bool,
    /// Hard cap of one raw payload, in bytes; larger payloads are cut at a char boundary and
    /// carry `cf.*.original_size`.
    pub max_raw_payload_bytes: usize,
    /// Bound of one export call.
    pub export_timeout: Duration,
    /// Batch processor delay between exports.
    pub batch_delay: Duration,
    /// CA and client certificate files of a TLS hop (`https://` endpoint).
    pub tls: TlsFiles,
    /// Headers sent with every export, e.g. [`crate::bearer_header`] for the collector's
    /// bearertokenauth (lower-case names).
    pub headers: Vec<(String, String)>,
}

impl Default for EmitterConfig {
    fn default() -> Self {
        EmitterConfig {
            endpoint: "http://127.0.0.1:4318/v1/traces".to_owned(),
            protocol: Protocol::Http,
            service_name: keys::DEFAULT_OTEL_SERVICE_NAME.to_owned(),
            gateway_version: "unknown".to_owned(),
            deployment_env: keys::DEFAULT_DEPLOYMENT_ENV.to_owned(),
            capture_input: false,
            capture_output: false,
            max_raw_payload_bytes: DEFAULT_MAX_RAW_PAYLOAD_BYTES,
            export_timeout: Duration::from_secs(10),
            batch_delay: Duration::from_millis(200),
            tls: TlsFiles::default(),
            headers: Vec::new(),
        }
    }
}

/// Gateway settings as the gateway (pydantic-settings) reads them: names case-insensitive, values
/// verbatim (never stripped). When one name is set in several spellings the last one wins, as
/// pydantic-settings folds `os.environ` in order.
#[derive(Clone, Debug, Default)]
pub struct GatewaySettings {
    values: HashMap<String, String>,
}

impl GatewaySettings {
    /// Settings from `(name, value)` pairs, e.g. a facts file's `env` or `std::env::vars()`.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: Into<String>,
    {
        let mut values = HashMap::new();
        for (name, value) in pairs {
            values.insert(name.as_ref().to_lowercase(), value.into());
        }
        GatewaySettings { values }
    }

    /// The process environment (names or values that are not UTF-8 are read lossily).
    pub fn from_process_env() -> Self {
        Self::from_pairs(std::env::vars_os().map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        }))
    }

    /// The value of a setting, whatever the case of its name.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(&name.to_lowercase()).map(String::as_str)
    }
}

/// The gateway's `environment` setting (read from `ENVIRONMENT`) is one of these; anything else
/// makes the gateway refuse to start.
const GATEWAY_ENVIRONMENTS: [&str; 3] = ["development", "staging", "production"];

impl EmitterConfig {
    /// Builds the config from gateway settings with the gateway's decisions (the names and
    /// defaults are the contract's `runtime_settings`): `OTEL_EXPORTER_OTLP_ENDPOINT` (when
    /// non-empty), `OTEL_EXPORTER_OTLP_PROTOCOL` (`grpc`, case-insensitive, else OTLP/HTTP; default
    /// `grpc`), `OTEL_SERVICE_NAME` (verbatim), `DEPLOYMENT_ENV`, else `ENVIRONMENT` (refused when
    /// blank, or when `ENVIRONMENT` is not development/staging/production), and
    /// `OTEL_CAPTURE_INPUT_SPANS` / `OTEL_CAPTURE_OUTPUT_SPANS` (comma lists, items stripped as
    /// Python strips, `tool.invoke` matched exactly). `mcpparity`'s settings parser makes the same
    /// decisions (tests/contract/test_settings_agree.py). The hop's standard OTLP exporter
    /// settings `OTEL_EXPORTER_OTLP_CERTIFICATE`, `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`,
    /// `OTEL_EXPORTER_OTLP_CLIENT_KEY` and `OTEL_EXPORTER_OTLP_HEADERS` fill `tls` and `headers`.
    pub fn from_settings(
        gateway_version: &str,
        settings: &GatewaySettings,
    ) -> Result<Self, EmitterError> {
        let mut config = EmitterConfig {
            gateway_version: gateway_version.to_owned(),
            ..EmitterConfig::default()
        };
        if let Some(endpoint) = settings
            .get(keys::SETTING_OTEL_EXPORTER_OTLP_ENDPOINT)
            .filter(|v| !v.is_empty())
        {
            config.endpoint = endpoint.to_owned();
        }
        let protocol = settings
            .get(keys::SETTING_OTEL_EXPORTER_OTLP_PROTOCOL)
            .unwrap_or(keys::DEFAULT_OTEL_EXPORTER_OTLP_PROTOCOL);
        // observability.py: `protocol.lower() == "grpc"` picks gRPC, any other word OTLP/HTTP.
        config.protocol = if protocol.to_lowercase() == "grpc" {
            Protocol::Grpc
        } else {
            Protocol::Http
        };
        config.service_name = settings
            .get(keys::SETTING_OTEL_SERVICE_NAME)
            .unwrap_or(keys::DEFAULT_OTEL_SERVICE_NAME)
            .to_owned();
        let environment = settings.get(keys::SETTING_ENVIRONMENT);
        if let Some(env) = environment.filter(|e| !GATEWAY_ENVIRONMENTS.contains(e)) {
            return Err(EmitterError::Config(format!(
                "{}: must be development, staging or production (the gateway refuses to start), got {env:?}",
                keys::SETTING_ENVIRONMENT
            )));
        }
        let deployment = settings
            .get(keys::SETTING_DEPLOYMENT_ENV)
            .or(environment)
            .unwrap_or(keys::DEFAULT_DEPLOYMENT_ENV);
        if python_strip(deployment).is_empty() {
            return Err(EmitterError::Config(format!(
                "{}: is empty; set a deployment label (the gateway's default is 'development')",
                keys::SETTING_DEPLOYMENT_ENV
            )));
        }
        config.deployment_env = deployment.to_owned();
        config.capture_input = span_list_contains(
            settings.get(keys::SETTING_OTEL_CAPTURE_INPUT_SPANS),
            "tool.invoke",
        );
        config.capture_output = span_list_contains(
            settings.get(keys::SETTING_OTEL_CAPTURE_OUTPUT_SPANS),
            "tool.invoke",
        );
        crate::transport::apply_settings(&mut config, &|key| settings.get(key).map(str::to_owned))?;
        Ok(config)
    }
}

/// Python's `str.strip()`: Unicode White_Space plus the separators U+001C..U+001F.
fn python_strip(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c))
}

/// The gateway's comma list of span names (trace_redaction.py), matched exactly after stripping.
fn span_list_contains(list: Option<&str>, span: &str) -> bool {
    list.is_some_and(|l| l.split(',').any(|item| python_strip(item) == span))
}

/// Why an emitter could not be built or flushed.
#[derive(Debug)]
pub enum EmitterError {
    Config(String),
    Exporter(String),
    Flush(String),
}

impl fmt::Display for EmitterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmitterError::Config(m) => write!(f, "invalid emitter config: {m}"),
            EmitterError::Exporter(m) => write!(f, "cannot build the OTLP exporter: {m}"),
            EmitterError::Flush(m) => write!(f, "export failed: {m}"),
        }
    }
}

impl std::error::Error for EmitterError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> GatewaySettings {
        GatewaySettings::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string())))
    }

    #[test]
    fn from_settings_reads_gateway_words() {
        let env = settings(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http"),
            ("OTEL_SERVICE_NAME", "svc"),
            ("ENVIRONMENT", "staging"),
            ("OTEL_CAPTURE_INPUT_SPANS", "tool.list, tool.invoke"),
            ("OTEL_CAPTURE_OUTPUT_SPANS", "tool.invoked"),
        ]);
        let c = EmitterConfig::from_settings("1.2.3", &env).unwrap();
        assert_eq!(c.protocol, Protocol::Http);
        assert_eq!(c.service_name, "svc");
        assert_eq!(c.deployment_env, "staging");
        assert_eq!(c.gateway_version, "1.2.3");
        assert!(c.capture_input);
        assert!(!c.capture_output, "exact match only");
    }

    #[test]
    fn setting_names_are_case_insensitive_and_the_last_spelling_wins() {
        let env = settings(&[
            ("otel_capture_input_spans", "tool.invoke"),
            ("Otel_Service_Name", "first"),
            ("OTEL_SERVICE_NAME", "last"),
        ]);
        let c = EmitterConfig::from_settings("v", &env).unwrap();
        assert!(
            c.capture_input,
            "a lower-case name still turns the payload on"
        );
        assert_eq!(c.service_name, "last");
    }

    #[test]
    fn values_are_read_as_the_gateway_reads_them() {
        let env = settings(&[
            ("OTEL_EXPORTER_OTLP_PROTOCOL", " grpc "),
            ("OTEL_SERVICE_NAME", " svc "),
            ("OTEL_CAPTURE_INPUT_SPANS", "tool.invoke\u{1f}"),
        ]);
        let c = EmitterConfig::from_settings("v", &env).unwrap();
        assert_eq!(
            c.protocol,
            Protocol::Http,
            "the gateway compares the unstripped word"
        );
        assert_eq!(c.service_name, " svc ", "verbatim");
        assert!(c.capture_input, "Python's strip() also strips U+001F");
    }

    #[test]
    fn from_settings_defaults_and_refusals() {
        let c = EmitterConfig::from_settings("v", &GatewaySettings::default()).unwrap();
        assert_eq!(c.protocol, Protocol::Grpc);
        assert_eq!(c.service_name, "mcp-gateway");
        assert_eq!(c.deployment_env, "development");
        let c = EmitterConfig::from_settings(
            "v",
            &settings(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "thrift")]),
        )
        .unwrap();
        assert_eq!(
            c.protocol,
            Protocol::Http,
            "any word but grpc is OTLP/HTTP for the gateway"
        );
        for (env, setting) in [
            (settings(&[("ENVIRONMENT", "qa")]), "ENVIRONMENT"),
            (
                settings(&[("DEPLOYMENT_ENV", "x"), ("environment", "Staging")]),
                "ENVIRONMENT",
            ),
            (settings(&[("DEPLOYMENT_ENV", " ")]), "DEPLOYMENT_ENV"),
        ] {
            let err = EmitterConfig::from_settings("v", &env)
                .unwrap_err()
                .to_string();
            assert!(err.contains(setting), "{err}");
        }
    }
}
