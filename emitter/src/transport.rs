//! The hop to the collector: the OTLP exporters, built from the TLS files and export headers
//! of an `EmitterConfig` (the receiver's bearer token), checked before they are built. Raw spans
//! carry unredacted secrets until the collector's processor runs, so a hop that leaves the host
//! must be TLS (`docs/security.md`).

use std::path::Path;

use crate::config::{EmitterConfig, EmitterError, Protocol};

/// `("authorization", "Bearer {token}")`, the header the collector's `bearertokenauth` checks.
pub fn bearer_header(token: &str) -> (String, String) {
    (
        "authorization".to_owned(),
        format!("Bearer {}", token.trim()),
    )
}

/// Checks the hop before any exporter is built: TLS files need `https://`, a client certificate
/// needs its key, and a header must be a valid HTTP header.
pub(crate) fn check(config: &EmitterConfig) -> Result<(), EmitterError> {
    let https = config
        .endpoint
        .trim()
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"));
    if config.tls.is_set() && !https {
        return Err(EmitterError::Config(format!(
            "tls: CA or client certificate files are set but the endpoint {} is not https://",
            config.endpoint
        )));
    }
    if config.tls.client_cert_file.is_some() != config.tls.client_key_file.is_some() {
        return Err(EmitterError::Config(
            "tls: a client certificate needs its key (OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE and OTEL_EXPORTER_OTLP_CLIENT_KEY)".into(),
        ));
    }
    if https && config.protocol == Protocol::Grpc && config.tls.ca_file.is_none() {
        return Err(EmitterError::Config(
            "tls: gRPC over https needs the collector's CA file (OTEL_EXPORTER_OTLP_CERTIFICATE); no system roots are built in".into(),
        ));
    }
    for (name, value) in &config.headers {
        let valid_name = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid_name || value.bytes().any(|b| b < 0x20 || b == 0x7f) {
            return Err(EmitterError::Config(format!(
                "headers: {name:?} is not a valid header name, or its value has control characters"
            )));
        }
    }
    Ok(())
}

#[cfg_attr(not(any(feature = "http", feature = "grpc")), allow(dead_code))]
fn read_pem(what: &str, path: &Path) -> Result<Vec<u8>, EmitterError> {
    let pem = std::fs::read(path)
        .map_err(|e| EmitterError::Config(format!("tls: {what} {}: {e}", path.display())))?;
    if !pem.windows(11).any(|w| w == b"-----BEGIN ") {
        return Err(EmitterError::Config(format!(
            "tls: {what} {}: not a PEM file",
            path.display()
        )));
    }
    Ok(pem)
}

#[cfg_attr(not(any(feature = "http", feature = "grpc")), allow(dead_code))]
fn exporter_error(config: &EmitterConfig, e: impl std::fmt::Display) -> EmitterError {
    let word = match config.protocol {
        Protocol::Http => "http",
        Protocol::Grpc => "grpc",
    };
    EmitterError::Exporter(format!("{} ({word}): {e}", config.endpoint))
}

/// The OTLP exporter of `config.protocol`; a protocol whose cargo feature is off is refused.
#[cfg(any(feature = "http", feature = "grpc"))]
pub(crate) fn otlp_exporter(
    config: &EmitterConfig,
) -> Result<opentelemetry_otlp::SpanExporter, EmitterError> {
    match config.protocol {
        #[cfg(feature = "http")]
        Protocol::Http => http_exporter(config),
        #[cfg(feature = "grpc")]
        Protocol::Grpc => grpc_exporter(config),
        #[allow(unreachable_patterns)]
        other => Err(EmitterError::Config(format!(
            "protocol {other:?}: this build lacks its cargo feature (`http` or `grpc`)"
        ))),
    }
}

/// OTLP/HTTP protobuf through a reqwest client that trusts only `ca_file` when given (else the
/// system roots), presents the client certificate when given, and sends `headers`.
#[cfg(feature = "http")]
pub(crate) fn http_exporter(
    config: &EmitterConfig,
) -> Result<opentelemetry_otlp::SpanExporter, EmitterError> {
    use opentelemetry_otlp::{WithExportConfig, WithHttpConfig};
    use std::collections::HashMap;

    // reqwest is built without a bundled crypto provider (no aws-lc build); ring is the process
    // default unless the embedding runtime installed its own first.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = reqwest::blocking::Client::builder().timeout(config.export_timeout);
    if let Some(ca) = &config.tls.ca_file {
        let certs = reqwest::Certificate::from_pem_bundle(&read_pem("CA file", ca)?)
            .map_err(|e| EmitterError::Config(format!("tls: CA file {}: {e}", ca.display())))?;
        builder = builder.tls_certs_only(certs);
    }
    if let (Some(cert), Some(key)) = (&config.tls.client_cert_file, &config.tls.client_key_file) {
        let mut pem = read_pem("client certificate", cert)?;
        pem.push(b'\n');
        pem.extend(read_pem("client key", key)?);
        let identity = reqwest::Identity::from_pem(&pem).map_err(|e| {
            EmitterError::Config(format!(
                "tls: client certificate {} / key {}: {e}",
                cert.display(),
                key.display()
            ))
        })?;
        builder = builder.identity(identity);
    }
    // A blocking client owns a runtime; build it off any async context the caller may be in.
    let client = std::thread::spawn(move || builder.build())
        .join()
        .map_err(|_| exporter_error(config, "building the HTTP client panicked"))?
        .map_err(|e| exporter_error(config, e))?;
    let headers: HashMap<String, String> = config.headers.iter().cloned().collect();
    opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(client)
        .with_protocol(opentelemetry_otlp::Protocol::HttpBinary)
        .with_endpoint(config.endpoint.clone())
        .with_timeout(config.export_timeout)
        .with_headers(headers)
        .build()
        .map_err(|e| exporter_error(config, e))
}

/// OTLP/gRPC through tonic; with `https://`, TLS trusting `ca_file` and presenting the client
/// certificate when given; `headers` as request metadata.
#[cfg(feature = "grpc")]
pub(crate) fn grpc_exporter(
    config: &EmitterConfig,
) -> Result<opentelemetry_otlp::SpanExporter, EmitterError> {
    use opentelemetry_otlp::tonic_types::metadata::MetadataMap;
    use opentelemetry_otlp::tonic_types::transport::{Certificate, ClientTlsConfig, Identity};
    use opentelemetry_otlp::{WithExportConfig, WithTonicConfig};

    if tokio::runtime::Handle::try_current().is_err() {
        return Err(EmitterError::Config(
            "protocol grpc: RawSpanEmitter::new must run inside a Tokio runtime".into(),
        ));
    }
    let mut headers = http::HeaderMap::new();
    for (name, value) in &config.headers {
        let name = http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|e| EmitterError::Config(format!("headers: {name:?}: {e}")))?;
        let value = http::HeaderValue::from_str(value)
            .map_err(|_| EmitterError::Config(format!("headers: {name}: invalid value")))?;
        headers.insert(name, value);
    }
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_protocol(opentelemetry_otlp::Protocol::Grpc)
        .with_endpoint(config.endpoint.clone())
        .with_timeout(config.export_timeout)
        .with_metadata(MetadataMap::from_headers(headers));
    if let Some(ca) = &config.tls.ca_file {
        let mut tls =
            ClientTlsConfig::new().ca_certificate(Certificate::from_pem(read_pem("CA file", ca)?));
        if let (Some(cert), Some(key)) = (&config.tls.client_cert_file, &config.tls.client_key_file)
        {
            tls = tls.identity(Identity::from_pem(
                read_pem("client certificate", cert)?,
                read_pem("client key", key)?,
            ));
        }
        builder = builder.with_tls_config(tls);
    }
    builder.build().map_err(|e| exporter_error(config, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<EmitterConfig, EmitterError> {
        let settings =
            crate::GatewaySettings::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string())));
        EmitterConfig::from_settings("v", &settings)
    }

    #[test]
    fn reads_the_standard_tls_and_header_settings() {
        let c = settings(&[
            (
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "https://collector:4318/v1/traces",
            ),
            ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/etc/ca.pem"),
            ("OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE", "/etc/c.pem"),
            ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/etc/k.pem"),
            (
                "OTEL_EXPORTER_OTLP_HEADERS",
                "Authorization=Bearer%20t0k, x-a=b",
            ),
        ])
        .unwrap();
        assert_eq!(c.tls.ca_file.as_deref(), Some(Path::new("/etc/ca.pem")));
        assert_eq!(
            c.tls.client_key_file.as_deref(),
            Some(Path::new("/etc/k.pem"))
        );
        assert_eq!(
            c.headers,
            vec![
                ("authorization".to_owned(), "Bearer t0k".to_owned()),
                ("x-a".to_owned(), "b".to_owned())
            ]
        );
        check(&c).unwrap();
    }

    #[test]
    fn malformed_headers_are_refused_without_quoting_the_value() {
        let err = settings(&[("OTEL_EXPORTER_OTLP_HEADERS", "authorization:Bearer secret")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("entry 1") && !err.contains("secret"), "{err}");
    }

    #[test]
    fn tls_files_need_https_and_a_client_cert_needs_its_key() {
        let mut c = EmitterConfig {
            endpoint: "http://127.0.0.1:4318/v1/traces".into(),
            ..EmitterConfig::default()
        };
        c.tls.ca_file = Some("/ca.pem".into());
        assert!(check(&c).unwrap_err().to_string().contains("not https://"));
        c.endpoint = "https://127.0.0.1:4318/v1/traces".into();
        c.tls.client_cert_file = Some("/c.pem".into());
        assert!(check(&c).unwrap_err().to_string().contains("needs its key"));
        c.tls.client_key_file = Some("/k.pem".into());
        check(&c).unwrap();
        c.protocol = Protocol::Grpc;
        c.tls.ca_file = None;
        assert!(check(&c).unwrap_err().to_string().contains("CA file"));
    }

    #[test]
    fn bearer_header_and_bad_header_values() {
        assert_eq!(
            bearer_header(" abc\n"),
            ("authorization".to_owned(), "Bearer abc".to_owned())
        );
        let c = EmitterConfig {
            headers: vec![("authorization".into(), "Bearer a\nb".into())],
            ..EmitterConfig::default()
        };
        let err = check(&c).unwrap_err().to_string();
        assert!(
            err.contains("control characters") && !err.contains("Bearer"),
            "{err}"
        );
    }

    #[test]
    fn missing_or_non_pem_files_are_named() {
        let err = read_pem("CA file", Path::new("/nonexistent/ca.pem"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("CA file /nonexistent/ca.pem"), "{err}");
        let dir = std::env::temp_dir().join(format!("mcpparity-pem-{}", std::process::id()));
        std::fs::write(&dir, b"not pem").unwrap();
        let err = read_pem("client key", &dir).unwrap_err().to_string();
        std::fs::remove_file(&dir).unwrap();
        assert!(err.contains("not a PEM file"), "{err}");
    }
}
