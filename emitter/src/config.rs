use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::keys;

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
    /// Which family payloads to send (`resource.read` / `prompt.render` in the capture lists;
    /// the other families capture nothing in Python, so they have no switch).
    pub family_capture: FamilyCapture,
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
            family_capture: FamilyCapture::default(),
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
        let inputs = settings.get(keys::SETTING_OTEL_CAPTURE_INPUT_SPANS);
        let outputs = settings.get(keys::SETTING_OTEL_CAPTURE_OUTPUT_SPANS);
        config.family_capture = FamilyCapture {
            resource_read_input: span_list_contains(inputs, "resource.read"),
            resource_read_output: span_list_contains(outputs, "resource.read"),
            prompt_render_input: span_list_contains(inputs, "prompt.render"),
            prompt_render_output: span_list_contains(outputs, "prompt.render"),
        };
        apply_settings(&mut config, &|key| settings.get(key).map(str::to_owned))?;
        Ok(config)
    }
}

/// PEM files of a TLS hop. `ca_file` is the CA that signed the collector's certificate; the client
/// certificate and key are for a receiver that wants client certificates (mTLS).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsFiles {
    pub ca_file: Option<PathBuf>,
    pub client_cert_file: Option<PathBuf>,
    pub client_key_file: Option<PathBuf>,
}

impl TlsFiles {
    /// True when any file is set: the endpoint must then be `https://`.
    pub fn is_set(&self) -> bool {
        self.ca_file.is_some() || self.client_cert_file.is_some() || self.client_key_file.is_some()
    }
}

/// Reads the standard OTLP exporter settings of the hop into `config`:
/// `OTEL_EXPORTER_OTLP_CERTIFICATE`, `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`,
/// `OTEL_EXPORTER_OTLP_CLIENT_KEY` (file paths) and `OTEL_EXPORTER_OTLP_HEADERS` (`k=v,k=v`,
/// values percent-decoded). Errors never quote a header value: it may be a credential.
pub(crate) fn apply_settings(
    config: &mut EmitterConfig,
    lookup: &dyn Fn(&str) -> Option<String>,
) -> Result<(), EmitterError> {
    let path = |key: &str| {
        lookup(key)
            .filter(|v| !v.trim().is_empty())
            .map(|v| PathBuf::from(v.trim()))
    };
    config.tls.ca_file = path("OTEL_EXPORTER_OTLP_CERTIFICATE").or(config.tls.ca_file.take());
    config.tls.client_cert_file =
        path("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE").or(config.tls.client_cert_file.take());
    config.tls.client_key_file =
        path("OTEL_EXPORTER_OTLP_CLIENT_KEY").or(config.tls.client_key_file.take());
    if let Some(raw) = lookup("OTEL_EXPORTER_OTLP_HEADERS") {
        for (position, entry) in raw.split(',').enumerate() {
            if entry.trim().is_empty() {
                continue;
            }
            let (name, value) = entry.split_once('=').ok_or_else(|| {
                EmitterError::Config(format!(
                    "OTEL_EXPORTER_OTLP_HEADERS: entry {} is not name=value",
                    position + 1
                ))
            })?;
            if name.trim().is_empty() {
                return Err(EmitterError::Config(format!(
                    "OTEL_EXPORTER_OTLP_HEADERS: entry {} has an empty name",
                    position + 1
                )));
            }
            config.headers.push((
                name.trim().to_ascii_lowercase(),
                percent_decode(value.trim()),
            ));
        }
    }
    Ok(())
}

fn percent_decode(value: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16);
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(hi), Some(lo)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((hi * 16 + lo) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_owned())
}

/// Payload switches of the families that capture (contract v1.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FamilyCapture {
    /// `resource.read` in `OTEL_CAPTURE_INPUT_SPANS` (the input is built from the URI fact,
    /// so this switch sends nothing extra; kept for symmetry and documentation).
    pub resource_read_input: bool,
    /// Send `cf.resource.content`'s payload role (the content is always sent: `content.size`
    /// needs it); see docs/raw-span-contract.md.
    pub resource_read_output: bool,
    /// Send `cf.prompt.arguments`.
    pub prompt_render_input: bool,
    /// Send `cf.prompt.result`.
    pub prompt_render_output: bool,
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

    #[test]
    fn percent_decoding_keeps_malformed_escapes() {
        assert_eq!(percent_decode("a%20b%2"), "a b%2");
        assert_eq!(percent_decode("%zz"), "%zz");
    }

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
