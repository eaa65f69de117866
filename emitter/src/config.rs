use std::fmt;
use std::time::Duration;

/// The hard cap on one raw payload attribute (1 MiB), from the contract.
pub const DEFAULT_MAX_RAW_PAYLOAD_BYTES: usize = 1024 * 1024;

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
}

impl Default for EmitterConfig {
    fn default() -> Self {
        EmitterConfig {
            endpoint: "http://127.0.0.1:4318/v1/traces".to_owned(),
            protocol: Protocol::Http,
            service_name: "mcp-gateway".to_owned(),
            gateway_version: "unknown".to_owned(),
            deployment_env: "development".to_owned(),
            capture_input: false,
            capture_output: false,
            family_capture: FamilyCapture::default(),
            max_raw_payload_bytes: DEFAULT_MAX_RAW_PAYLOAD_BYTES,
            export_timeout: Duration::from_secs(10),
            batch_delay: Duration::from_millis(200),
        }
    }
}

impl EmitterConfig {
    /// Builds the config from gateway settings, as the runtime reads them: `lookup` returns the
    /// value of a setting (e.g. `|k| std::env::var(k).ok()`, or a facts file's `env`).
    /// Reads `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_PROTOCOL` (default `grpc`, as the
    /// gateway), `OTEL_SERVICE_NAME`, `DEPLOYMENT_ENV`/`ENVIRONMENT`, `OTEL_CAPTURE_INPUT_SPANS`,
    /// `OTEL_CAPTURE_OUTPUT_SPANS`. Setting names are matched case-sensitively, upper case.
    pub fn from_settings(
        gateway_version: &str,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, EmitterError> {
        let non_empty = |key: &str| lookup(key).filter(|v| !v.trim().is_empty());
        let mut config = EmitterConfig {
            gateway_version: gateway_version.to_owned(),
            ..EmitterConfig::default()
        };
        if let Some(endpoint) = non_empty("OTEL_EXPORTER_OTLP_ENDPOINT") {
            config.endpoint = endpoint;
        }
        config.protocol = Protocol::parse(
            &non_empty("OTEL_EXPORTER_OTLP_PROTOCOL").unwrap_or_else(|| "grpc".into()),
        )
        .map_err(|e| EmitterError::Config(format!("OTEL_EXPORTER_OTLP_PROTOCOL: {e}")))?;
        if let Some(name) = non_empty("OTEL_SERVICE_NAME") {
            config.service_name = name;
        }
        if let Some(env) = non_empty("DEPLOYMENT_ENV").or_else(|| non_empty("ENVIRONMENT")) {
            config.deployment_env = env;
        }
        config.capture_input =
            span_list_contains(lookup("OTEL_CAPTURE_INPUT_SPANS"), "tool.invoke");
        config.capture_output =
            span_list_contains(lookup("OTEL_CAPTURE_OUTPUT_SPANS"), "tool.invoke");
        let inputs = lookup("OTEL_CAPTURE_INPUT_SPANS");
        let outputs = lookup("OTEL_CAPTURE_OUTPUT_SPANS");
        config.family_capture = FamilyCapture {
            resource_read_input: span_list_contains(inputs.clone(), "resource.read"),
            resource_read_output: span_list_contains(outputs.clone(), "resource.read"),
            prompt_render_input: span_list_contains(inputs, "prompt.render"),
            prompt_render_output: span_list_contains(outputs, "prompt.render"),
        };
        Ok(config)
    }
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

/// The gateway's comma list of span names, matched exactly after trimming.
fn span_list_contains(list: Option<String>, span: &str) -> bool {
    list.is_some_and(|l| l.split(',').any(|item| item.trim() == span))
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
    use std::collections::HashMap;

    #[test]
    fn from_settings_reads_gateway_words() {
        let env: HashMap<&str, &str> = [
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http"),
            ("OTEL_SERVICE_NAME", "svc"),
            ("ENVIRONMENT", "staging"),
            ("OTEL_CAPTURE_INPUT_SPANS", "tool.list, tool.invoke"),
            ("OTEL_CAPTURE_OUTPUT_SPANS", "tool.invoked"),
        ]
        .into();
        let c =
            EmitterConfig::from_settings("1.2.3", |k| env.get(k).map(|v| v.to_string())).unwrap();
        assert_eq!(c.protocol, Protocol::Http);
        assert_eq!(c.service_name, "svc");
        assert_eq!(c.deployment_env, "staging");
        assert_eq!(c.gateway_version, "1.2.3");
        assert!(c.capture_input);
        assert!(!c.capture_output, "exact match only");
    }

    #[test]
    fn from_settings_defaults_and_bad_protocol() {
        let c = EmitterConfig::from_settings("v", |_| None).unwrap();
        assert_eq!(c.protocol, Protocol::Grpc);
        assert_eq!(c.service_name, "mcp-gateway");
        assert_eq!(c.deployment_env, "development");
        let err = EmitterConfig::from_settings("v", |k| {
            (k == "OTEL_EXPORTER_OTLP_PROTOCOL").then(|| "thrift".into())
        })
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("OTEL_EXPORTER_OTLP_PROTOCOL") && err.contains("thrift"),
            "{err}"
        );
    }
}
