//! Wire-level pieces shared by the four AWS protocols the sandbox speaks:
//! caller identification from SigV4, error rendering, timestamps and page tokens.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, TimeZone, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Milliseconds since the Unix epoch, on the sandbox clock.
pub type Millis = i64;

/// The wire protocol a request arrived in; errors are rendered in the same one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// restJson1 (AWS Backup).
    RestJson,
    /// awsJson1_1 (AWS Organizations).
    Json11,
    /// awsJson1_0 (AWS Cloud Control API).
    Json10,
    /// awsQuery (AWS STS).
    Query,
    /// restXml (Amazon S3).
    S3,
}

/// An AWS error as the caller will see it.
#[derive(Debug, Clone)]
pub struct AwsError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl AwsError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidParameterValueException", message)
    }
    pub fn missing_parameter(name: &str) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "MissingParameterValueException", format!("{name} is required"))
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "ResourceNotFoundException", message)
    }
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "InvalidRequestException", message)
    }
    pub fn access_denied(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// Renders the error in the caller's protocol, the way AWS does.
    pub fn into_response(self, protocol: Protocol, request_id: &str) -> Response {
        let sender = self.status.is_client_error();
        let (content_type, body) = match protocol {
            Protocol::RestJson => (
                "application/json",
                serde_json::json!({
                    "__type": self.code,
                    "Code": self.code,
                    "Message": self.message,
                    "message": self.message,
                    "Type": if sender { "User" } else { "Server" },
                })
                .to_string(),
            ),
            Protocol::Json11 => (
                "application/x-amz-json-1.1",
                serde_json::json!({ "__type": self.code, "Message": self.message }).to_string(),
            ),
            Protocol::Json10 => (
                "application/x-amz-json-1.0",
                serde_json::json!({ "__type": self.code, "Message": self.message, "message": self.message })
                    .to_string(),
            ),
            Protocol::Query => (
                "text/xml",
                format!(
                    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                     <Error><Type>{}</Type><Code>{}</Code><Message>{}</Message></Error>\
                     <RequestId>{}</RequestId></ErrorResponse>",
                    if sender { "Sender" } else { "Receiver" },
                    self.code,
                    xml_escape(&self.message),
                    request_id
                ),
            ),
            // Amazon S3 API Reference, "Error responses": an `<Error>` document.
            Protocol::S3 => (
                "application/xml",
                format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{}</Code><Message>{}</Message>\
                     <RequestId>{request_id}</RequestId></Error>",
                    self.code,
                    xml_escape(&self.message),
                ),
            ),
        };
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert("content-type", HeaderValue::from_static(content_type));
        headers.insert("x-amzn-errortype", HeaderValue::from_static(self.code));
        insert_request_id(headers, request_id);
        response
    }
}

pub fn insert_request_id(headers: &mut HeaderMap, request_id: &str) {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        headers.insert("x-amzn-requestid", value);
    }
}

/// What the SigV4 `Authorization` header says about the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub access_key: String,
    pub region: String,
    pub service: String,
}

/// Parses `AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/SERVICE/aws4_request,
/// SignedHeaders=..., Signature=HEX`. The signature itself is not checked.
pub fn parse_authorization(headers: &HeaderMap) -> Result<Signature, AwsError> {
    let Some(value) = headers.get("authorization") else {
        return Err(AwsError::access_denied(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token: the request has no SigV4 Authorization header",
        ));
    };
    let malformed = |why: &str| {
        AwsError::new(
            StatusCode::BAD_REQUEST,
            "IncompleteSignatureException",
            format!("Authorization header is not a well-formed SigV4 signature: {why}"),
        )
    };
    let value = value.to_str().map_err(|_| malformed("not ASCII"))?;
    let rest =
        value.strip_prefix("AWS4-HMAC-SHA256 ").ok_or_else(|| malformed("algorithm must be AWS4-HMAC-SHA256"))?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_prefix("Credential=") {
            credential = Some(v);
        } else if let Some(v) = part.strip_prefix("SignedHeaders=") {
            signed_headers = Some(v);
        } else if let Some(v) = part.strip_prefix("Signature=") {
            signature = Some(v);
        }
    }
    let credential = credential.ok_or_else(|| malformed("missing Credential"))?;
    let signed_headers = signed_headers.ok_or_else(|| malformed("missing SignedHeaders"))?;
    let signature = signature.ok_or_else(|| malformed("missing Signature"))?;
    if signed_headers.is_empty() {
        return Err(malformed("SignedHeaders is empty"));
    }
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(malformed("Signature must be 64 hexadecimal characters"));
    }
    let scope: Vec<&str> = credential.split('/').collect();
    match scope.as_slice() {
        [key, date, region, service, "aws4_request"]
            if !key.is_empty()
                && date.len() == 8
                && date.bytes().all(|b| b.is_ascii_digit())
                && !region.is_empty()
                && !service.is_empty() =>
        {
            Ok(Signature {
                access_key: (*key).to_string(),
                region: (*region).to_string(),
                service: (*service).to_string(),
            })
        }
        _ => Err(malformed("Credential must be KEY/YYYYMMDD/REGION/SERVICE/aws4_request")),
    }
}

/// The operation an awsJson request names in `X-Amz-Target` (`<prefix><Operation>`), if it is one of `ops`.
pub fn json_operation(headers: &HeaderMap, prefix: &str, ops: &[&'static str]) -> Result<&'static str, AwsError> {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let op = target.strip_prefix(prefix).and_then(|name| ops.iter().find(|op| **op == name));
    op.copied().ok_or_else(|| {
        AwsError::new(
            StatusCode::BAD_REQUEST,
            "UnknownOperationException",
            format!("The sandbox does not implement {target}"),
        )
    })
}

/// The body of an awsJson request as `T`; an empty body is an empty object.
pub fn json_input<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AwsError> {
    let body = if body.is_empty() { b"{}".as_slice() } else { body };
    serde_json::from_slice(body).map_err(|e| {
        AwsError::new(StatusCode::BAD_REQUEST, "SerializationException", format!("Request body is not valid: {e}"))
    })
}

/// Epoch seconds with millisecond precision, as restJson1 and awsJson send timestamps.
pub fn epoch(ms: Millis) -> Value {
    if ms % 1000 == 0 {
        Value::from(ms / 1000)
    } else {
        Value::from(ms as f64 / 1000.0)
    }
}

/// ISO 8601, as awsQuery sends timestamps.
pub fn iso8601(ms: Millis) -> String {
    Utc.timestamp_millis_opt(ms).single().map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true)).unwrap_or_default()
}

/// Parses a query-string timestamp: ISO 8601 as the SDKs send it, or epoch seconds.
pub fn parse_timestamp(name: &str, value: &str) -> Result<Millis, AwsError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(value) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(seconds) = value.parse::<f64>() {
        return Ok((seconds * 1000.0) as Millis);
    }
    Err(AwsError::invalid_parameter(format!("{name} must be an ISO 8601 timestamp, got {value:?}")))
}

/// Serializes a JSON value leaving out `null` members, so that absent optional
/// fields are absent on the wire.
pub fn to_json(value: &Value) -> String {
    serde_json::to_string(&WithoutNulls(value)).unwrap_or_default()
}

struct WithoutNulls<'a>(&'a Value);

impl serde::Serialize for WithoutNulls<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Object(map) => {
                let mut out = serializer.serialize_map(None)?;
                for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                    out.serialize_entry(k, &WithoutNulls(v))?;
                }
                out.end()
            }
            Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&WithoutNulls(item))?;
                }
                out.end()
            }
            other => other.serialize(serializer),
        }
    }
}

pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Signs and checks the opaque `NextToken`s of every list call. A token names the
/// list it belongs to (operation, account, region) and the position to resume after.
pub struct PageTokens {
    key: [u8; 32],
}

type HmacSha256 = Hmac<Sha256>;

impl PageTokens {
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, payload: &[u8]) -> Vec<u8> {
        // Hmac accepts keys of any length, so this cannot fail.
        let mut mac = match HmacSha256::new_from_slice(&self.key) {
            Ok(mac) => mac,
            Err(_) => return Vec::new(),
        };
        mac.update(payload);
        mac.finalize().into_bytes()[..16].to_vec()
    }

    pub fn issue(&self, scope: &str, position: &[u64]) -> String {
        let mut payload = scope.as_bytes().to_vec();
        for p in position {
            payload.push(b'|');
            payload.extend_from_slice(p.to_string().as_bytes());
        }
        let mut bytes = self.mac(&payload);
        bytes.extend_from_slice(&payload);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position a token resumes after, if this sandbox issued it for `scope`.
    pub fn check(&self, scope: &str, token: &str) -> Result<Vec<u64>, AwsError> {
        let invalid =
            || AwsError::invalid_parameter(format!("Invalid NextToken: {token:?} was not issued for this request"));
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| invalid())?;
        if bytes.len() < 16 {
            return Err(invalid());
        }
        let (mac, payload) = bytes.split_at(16);
        if self.mac(payload) != mac {
            return Err(invalid());
        }
        let text = std::str::from_utf8(payload).map_err(|_| invalid())?;
        let mut parts = text.split('|');
        if parts.next() != Some(scope) {
            return Err(invalid());
        }
        parts.map(|p| p.parse::<u64>().map_err(|_| invalid())).collect()
    }
}

/// `MaxResults` as AWS checks it: 1 to `limit`, `default` when absent.
pub fn max_results(value: Option<&str>, default: usize, limit: usize) -> Result<usize, AwsError> {
    match value {
        None => Ok(default),
        Some(v) => match v.parse::<usize>() {
            Ok(n) if (1..=limit).contains(&n) => Ok(n),
            _ => {
                Err(AwsError::invalid_parameter(format!("MaxResults must be an integer from 1 to {limit}, got {v:?}")))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_forgeries() {
        let tokens = PageTokens::new([7; 32]);
        let token = tokens.issue("ListBackupJobs:111111111111:ap-southeast-2", &[3, 42]);
        assert_eq!(tokens.check("ListBackupJobs:111111111111:ap-southeast-2", &token).ok(), Some(vec![3, 42]));
        assert!(tokens.check("ListCopyJobs:111111111111:ap-southeast-2", &token).is_err());
        assert!(tokens.check("ListBackupJobs:111111111111:ap-southeast-2", "bm90LWEtdG9rZW4").is_err());
        let other = PageTokens::new([8; 32]);
        assert!(other.check("ListBackupJobs:111111111111:ap-southeast-2", &token).is_err());
    }

    #[test]
    fn authorization_header_is_parsed_and_checked() {
        let mut headers = HeaderMap::new();
        assert_eq!(parse_authorization(&headers).err().map(|e| e.code), Some("MissingAuthenticationTokenException"));
        headers.insert(
            "authorization",
            HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261127/ap-southeast-2/backup/aws4_request, \
                 SignedHeaders=host;x-amz-date, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            ),
        );
        let sig = parse_authorization(&headers).ok();
        assert_eq!(sig.as_ref().map(|s| s.region.as_str()), Some("ap-southeast-2"));
        assert_eq!(sig.as_ref().map(|s| s.access_key.as_str()), Some("AKIDEXAMPLE"));
        headers.insert("authorization", HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=AKID/x"));
        assert_eq!(parse_authorization(&headers).err().map(|e| e.code), Some("IncompleteSignatureException"));
    }

    #[test]
    fn nulls_are_left_out_at_every_depth() {
        let v = serde_json::json!({ "a": null, "b": [{ "c": null, "d": 1 }], "e": { "f": null } });
        assert_eq!(to_json(&v), r#"{"b":[{"d":1}],"e":{}}"#);
    }

    #[test]
    fn timestamps_parse_both_forms() {
        assert_eq!(parse_timestamp("t", "2026-11-27T00:00:00Z").ok(), Some(1_795_737_600_000));
        assert_eq!(parse_timestamp("t", "1795737600").ok(), Some(1_795_737_600_000));
        assert!(parse_timestamp("t", "yesterday").is_err());
        assert_eq!(iso8601(1_795_737_600_000), "2026-11-27T00:00:00Z");
    }
}
