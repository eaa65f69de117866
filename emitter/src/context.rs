use std::sync::Arc;

use opentelemetry::propagation::Extractor;
use opentelemetry::{KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{IdGenerator, RandomIdGenerator};

use crate::keys;

/// Request headers as `(name, value)` pairs; names are matched case-insensitively.
/// (The runtime can also pass `opentelemetry_http::HeaderExtractor` or any [`Extractor`].)
#[derive(Clone, Copy, Debug)]
pub struct HeaderPairs<'a>(pub &'a [(&'a str, &'a str)]);

impl Extractor for HeaderPairs<'_> {
    #[inline]
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| same_header_name(k, key))
            .map(|(_, v)| *v)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.iter().map(|(k, _)| *k).collect()
    }
}

/// `name.eq_ignore_ascii_case(key)`, the exact match first: header names mostly arrive in the
/// case the emitter asks for (lowercase: HTTP/2 requires it, most servers normalize to it), and
/// one byte comparison is cheaper than the per-byte case folding. Same answer either way.
#[inline]
fn same_header_name(name: &str, key: &str) -> bool {
    name.len() == key.len()
        && (same_bytes(name.as_bytes(), key.as_bytes()) || name.eq_ignore_ascii_case(key))
}

/// `a == b` for slices of equal length; 8 to 16 bytes (most header names) as two overlapping
/// 8-byte words, without the call into `memcmp`.
#[inline(always)]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    if (8..=16).contains(&n) && n == b.len() {
        let word =
            |s: &[u8], at: usize| u64::from_ne_bytes(s[at..at + 8].try_into().expect("8 bytes"));
        word(a, 0) == word(b, 0) && word(a, n - 8) == word(b, n - 8)
    } else {
        a == b
    }
}

/// A fresh 32-hex correlation id (what the gateway generates without `X-Correlation-ID`).
pub fn generate_correlation_id() -> String {
    new_correlation_id().as_str().to_owned()
}

/// 32 lowercase hex digits of a random 128-bit id, on the stack.
pub(crate) struct HexId([u8; 32]);

impl HexId {
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("hex digits are ASCII")
    }
}

pub(crate) fn new_correlation_id() -> HexId {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let id = RandomIdGenerator::default().new_trace_id().to_bytes();
    let mut hex = [0u8; 32];
    for (i, b) in id.iter().enumerate() {
        hex[2 * i] = DIGITS[usize::from(b >> 4)];
        hex[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
    }
    HexId(hex)
}

/// The request context the runtime knows; it goes on every raw span of the request.
/// Texts are `Arc<str>`: every span of the request shares them (no copy per span).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RequestContext {
    pub correlation_id: Arc<str>,
    pub correlation_id_from_header: bool,
    pub auth_method: Option<Arc<str>>,
    pub user_email: Option<Arc<str>>,
    pub is_admin: Option<bool>,
    pub team_name: Option<Arc<str>>,
    /// `None` = unrestricted (admin token), `Some(vec![])` = public.
    pub team_ids: Option<Vec<String>>,
    pub session_id: Option<Arc<str>>,
    /// The raw W3C `baggage` header.
    pub baggage: Option<Arc<str>>,
}

/// The gateway's `auth.method` words, sent as `&'static str` (no reference count per span).
const AUTH_METHODS: [&str; 8] = [
    "jwt",
    "api_token",
    "proxy",
    "anonymous",
    "disabled",
    "mcp_internal_forward",
    "bearer",
    "bearer_token",
];

impl RequestContext {
    /// Takes the correlation id (`X-Correlation-ID`, else a generated 32-hex id), the session id
    /// (`Mcp-Session-Id`, else `x-mcp-session-id`) and the raw `baggage` header.
    pub fn from_headers(headers: &dyn Extractor) -> Self {
        let header = |name: &str| {
            headers
                .get(name)
                .filter(|v| !v.is_empty())
                .map(Arc::<str>::from)
        };
        let (correlation_id, from_header) = match header("x-correlation-id") {
            Some(id) => (id, true),
            None => (Arc::from(new_correlation_id().as_str()), false),
        };
        RequestContext {
            correlation_id,
            correlation_id_from_header: from_header,
            session_id: header("mcp-session-id").or_else(|| header("x-mcp-session-id")),
            baggage: header("baggage"),
            ..RequestContext::default()
        }
    }

    pub fn with_auth_method(mut self, method: &str) -> Self {
        self.auth_method = Some(Arc::from(method));
        self
    }

    /// The caller's identity once authentication has run.
    pub fn with_identity(
        mut self,
        user_email: Option<&str>,
        is_admin: Option<bool>,
        team_name: Option<&str>,
        team_ids: Option<Vec<String>>,
    ) -> Self {
        self.user_email = user_email.map(Arc::from);
        self.is_admin = is_admin;
        self.team_name = team_name.map(Arc::from);
        self.team_ids = team_ids;
        self
    }

    /// The `cf.*` context attributes, prepared once per request; each span builds its copies
    /// from them directly (a reference-count increment per text, no generic `KeyValue` clone).
    pub(crate) fn to_attributes(&self) -> ContextAttributes {
        let shared = |v: &Option<Arc<str>>| v.as_ref().map(|v| Text::Shared(Arc::clone(v)));
        ContextAttributes {
            correlation_id: Arc::clone(&self.correlation_id),
            correlation_id_from_header: self.correlation_id_from_header,
            auth_method: self.auth_method.as_ref().map(|v| {
                match AUTH_METHODS.iter().find(|m| **m == &**v) {
                    Some(m) => Text::Static(m),
                    None => Text::Shared(Arc::clone(v)),
                }
            }),
            user_email: shared(&self.user_email),
            is_admin: self.is_admin,
            team_name: shared(&self.team_name),
            team_ids: self
                .team_ids
                .as_ref()
                .map(|ids| ids.iter().map(|id| Arc::<str>::from(id.as_str())).collect()),
            session_id: shared(&self.session_id),
            baggage: shared(&self.baggage),
        }
    }
}

/// A text attribute value: one of the gateway's words, or reference-counted text. Cloning it
/// and turning it into a `Value` are a copy or a reference-count increment, inlined (the generic
/// `Value::clone` is not).
#[derive(Clone, Debug)]
pub(crate) enum Text {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Text {
    /// `value` as `&'static str` when it is one of `known`, else shared.
    pub(crate) fn known_or_shared(value: &str, known: &[&'static str]) -> Self {
        match known.iter().find(|k| **k == value) {
            Some(k) => Text::Static(k),
            None => Text::Shared(Arc::from(value)),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
        }
    }

    fn value(&self) -> Value {
        self.clone().into()
    }
}

impl From<Text> for Value {
    fn from(text: Text) -> Self {
        match text {
            Text::Static(s) => Value::from(s),
            Text::Shared(s) => Value::String(StringValue::from(s)),
        }
    }
}

/// The request context attributes of every raw span (contract order).
#[derive(Debug)]
pub(crate) struct ContextAttributes {
    correlation_id: Arc<str>,
    correlation_id_from_header: bool,
    auth_method: Option<Text>,
    user_email: Option<Text>,
    is_admin: Option<bool>,
    team_name: Option<Text>,
    team_ids: Option<Vec<Arc<str>>>,
    session_id: Option<Text>,
    baggage: Option<Text>,
}

impl ContextAttributes {
    /// How many attributes [`Self::push_into`] adds.
    pub(crate) fn len(&self) -> usize {
        2 + usize::from(self.auth_method.is_some())
            + usize::from(self.user_email.is_some())
            + usize::from(self.is_admin.is_some())
            + usize::from(self.team_name.is_some())
            + usize::from(self.team_ids.is_some())
            + usize::from(self.session_id.is_some())
            + usize::from(self.baggage.is_some())
    }

    pub(crate) fn push_into(&self, attrs: &mut Vec<KeyValue>) {
        let text = |attrs: &mut Vec<KeyValue>, key: &'static str, v: &Option<Text>| {
            if let Some(v) = v {
                attrs.push(KeyValue::new(key, v.value()));
            }
        };
        attrs.push(KeyValue::new(
            keys::CORRELATION_ID,
            Value::String(StringValue::from(Arc::clone(&self.correlation_id))),
        ));
        attrs.push(KeyValue::new(
            keys::CORRELATION_ID_FROM_HEADER,
            self.correlation_id_from_header,
        ));
        text(attrs, keys::AUTH_METHOD, &self.auth_method);
        text(attrs, keys::USER_EMAIL, &self.user_email);
        if let Some(v) = self.is_admin {
            attrs.push(KeyValue::new(keys::USER_IS_ADMIN, v));
        }
        text(attrs, keys::TEAM_NAME, &self.team_name);
        if let Some(ids) = &self.team_ids {
            // Built per span: an empty list (public token) allocates nothing.
            let ids: Vec<StringValue> = ids
                .iter()
                .map(|id| StringValue::from(Arc::clone(id)))
                .collect();
            attrs.push(KeyValue::new(keys::TEAM_IDS, Value::Array(ids.into())));
        }
        text(attrs, keys::SESSION_ID, &self.session_id);
        text(attrs, keys::BAGGAGE, &self.baggage);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_pairs_match_names_ignoring_ascii_case() {
        let h = [
            ("X-Correlation-ID", "mixed"),
            ("x-mcp-session-id", "same-length-other-name"),
            ("mcp-session-id", "exact"),
            ("BAGGAGE", "k=v"),
            ("te", "short"),
            ("x-a-header-name-longer-than-16", "long"),
        ];
        let pairs = HeaderPairs(&h);
        assert_eq!(pairs.get("x-correlation-id"), Some("mixed"));
        assert_eq!(
            pairs.get("X-MCP-SESSION-ID"),
            Some("same-length-other-name")
        );
        assert_eq!(pairs.get("mcp-session-id"), Some("exact"));
        assert_eq!(pairs.get("baggage"), Some("k=v"));
        assert_eq!(pairs.get("TE"), Some("short"));
        assert_eq!(pairs.get("X-A-Header-Name-Longer-Than-16"), Some("long"));
        // Same length, one byte apart (first word, last word): no match.
        assert_eq!(pairs.get("y-correlation-id"), None);
        assert_eq!(pairs.get("x-correlation-ie"), None);
        assert_eq!(pairs.get("mcp-session-i"), None);
        assert_eq!(pairs.get("traceparent"), None);
        // Only ASCII letters fold: `_` is not `-`.
        assert_eq!(pairs.get("x_correlation_id"), None);
        // The first pair that matches wins, as before.
        let twice = [("Baggage", "first"), ("baggage", "second")];
        assert_eq!(HeaderPairs(&twice).get("baggage"), Some("first"));
    }

    #[test]
    fn from_headers_takes_correlation_session_and_baggage() {
        let h = [
            ("X-Correlation-ID", "corr-1"),
            ("x-mcp-session-id", "s-2"),
            ("Baggage", "k=v,tenant=a"),
        ];
        let c = RequestContext::from_headers(&HeaderPairs(&h));
        assert_eq!(&*c.correlation_id, "corr-1");
        assert!(c.correlation_id_from_header);
        assert_eq!(c.session_id.as_deref(), Some("s-2"));
        assert_eq!(c.baggage.as_deref(), Some("k=v,tenant=a"));
        let present = |c: &RequestContext| {
            let context = c.to_attributes();
            let mut attrs = Vec::new();
            context.push_into(&mut attrs);
            assert_eq!(attrs.len(), context.len());
            attrs
        };
        assert_eq!(
            present(&c),
            vec![
                KeyValue::new(keys::CORRELATION_ID, "corr-1"),
                KeyValue::new(keys::CORRELATION_ID_FROM_HEADER, true),
                KeyValue::new(keys::SESSION_ID, "s-2"),
                KeyValue::new(keys::BAGGAGE, "k=v,tenant=a"),
            ]
        );
        let c = c.with_auth_method("jwt").with_identity(
            Some("a@b.c"),
            Some(false),
            Some("T"),
            Some(vec![]),
        );
        let attrs = present(&c);
        assert_eq!(attrs[2], KeyValue::new(keys::AUTH_METHOD, "jwt"));
        assert_eq!(attrs[3], KeyValue::new(keys::USER_EMAIL, "a@b.c"));
        assert_eq!(
            present(&RequestContext::default().with_auth_method("custom_sso"))[2],
            KeyValue::new(keys::AUTH_METHOD, "custom_sso")
        );
    }

    #[test]
    fn mcp_session_id_wins_and_missing_correlation_is_generated() {
        let h = [("mcp-session-id", "a"), ("x-mcp-session-id", "b")];
        let c = RequestContext::from_headers(&HeaderPairs(&h));
        assert_eq!(c.session_id.as_deref(), Some("a"));
        assert!(!c.correlation_id_from_header);
        assert_eq!(c.correlation_id.len(), 32);
        assert!(c
            .correlation_id
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(
            c.correlation_id,
            RequestContext::from_headers(&HeaderPairs(&h)).correlation_id
        );
    }
}
