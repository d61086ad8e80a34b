//! Reading API answers as JSON values: the assurance pages read their fields
//! through these few non-generic accessors instead of a typed decoder each, which
//! keeps the WebAssembly small (a struct decoder costs kilobytes; these, nothing
//! per type). The field names are those of the `shared` types the API sends.

use serde_json::Value;

/// A text field, or "" when absent.
pub fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// A text field that may be null.
pub fn opt(v: &Value, key: &str) -> Option<String> {
    v[key].as_str().map(str::to_string)
}

/// A whole number, or 0.
pub fn i(v: &Value, key: &str) -> i64 {
    v[key].as_i64().unwrap_or_default()
}

/// A whole number that may be null.
pub fn oi(v: &Value, key: &str) -> Option<i64> {
    v[key].as_i64()
}

pub fn b(v: &Value, key: &str) -> bool {
    v[key].as_bool().unwrap_or_default()
}

/// The items of an array field (none when absent).
pub fn list<'a>(v: &'a Value, key: &str) -> &'a [Value] {
    v[key].as_array().map(Vec::as_slice).unwrap_or_default()
}
