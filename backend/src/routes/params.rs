//! Query parameters, declared once per endpoint: the OpenAPI description and the
//! parser come from the same declaration, so an endpoint documents exactly the
//! parameters it takes. Bad input is a 400 naming the parameter; a parameter an
//! endpoint does not take is refused, not ignored.

use std::collections::HashMap;
use std::marker::PhantomData;

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Required};
use utoipa::IntoParams;

use super::AppError;
use crate::domain::{is_arn, AccountId, Region};
pub use crate::store::CURSOR_PATTERN;
use crate::store::{Cursor, ListQuery};

pub use shared::RESOURCE_TYPES;

/// Raw query parameters, extracted without failing so that errors are ours.
pub struct RawQuery(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for RawQuery {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad("invalid_query", e.body_text()))?;
        // PostgreSQL cannot store or compare a NUL in text (SQLite can): refused alike.
        if let Some((k, _)) = map.iter().find(|(k, v)| k.contains('\0') || v.contains('\0')) {
            let name = k.replace('\0', "\\u0000");
            return Err(AppError::bad("invalid_parameter", format!("{name}: contains a NUL character (%00)")));
        }
        Ok(RawQuery(map))
    }
}

/// The query of an endpoint whose parameters `P` documents (`#[derive(IntoParams,
/// Deserialize)]`), checked against that description before it is read into `P`:
/// a name `P` does not document is refused, and each value must fit its
/// documented schema (whole numbers within the minimum and maximum, booleans,
/// listed values, dates, account ids, regions and ARNs by their pattern).
pub struct Params<P>(pub P);

/// The query parameters `P` documents.
fn query_spec<P: IntoParams>() -> Vec<Parameter> {
    P::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .filter(|p| matches!(p.parameter_in, ParameterIn::Query))
        .collect()
}

/// Refuses a parameter not in `spec`, naming the ones the endpoint takes.
fn refuse_unknown(raw: &HashMap<String, String>, spec: &[Parameter]) -> Result<(), AppError> {
    match raw.keys().find(|k| !spec.iter().any(|p| &p.name == *k)) {
        Some(k) => {
            let known: Vec<&str> = spec.iter().map(|p| p.name.as_str()).collect();
            let takes = if known.is_empty() { "no parameters".to_string() } else { known.join(", ") };
            Err(AppError::bad("unknown_parameter", format!("unknown parameter {k:?}; this takes {takes}")))
        }
        None => Ok(()),
    }
}

/// Checks one value against its documented schema; the error names the parameter.
fn check_value(name: &str, value: &str, schema: Option<&RefOr<Schema>>) -> Result<(), AppError> {
    let bad = |why: String| Err(AppError::bad("invalid_parameter", format!("{name}: {why}")));
    let Some(RefOr::T(Schema::Object(o))) = schema else { return Ok(()) };
    let num = |n: &Option<utoipa::Number>, or: i64| match n {
        Some(utoipa::Number::Int(i)) => *i as i64,
        Some(utoipa::Number::UInt(u)) => i64::try_from(*u).unwrap_or(i64::MAX),
        _ => or,
    };
    let is = |t: Type| matches!(&o.schema_type, utoipa::openapi::schema::SchemaType::Type(x) if *x == t);
    if is(Type::Integer) {
        let (min, max) = (num(&o.minimum, i64::MIN), num(&o.maximum, i64::MAX));
        if !value.parse::<i64>().is_ok_and(|n| (min..=max).contains(&n)) {
            return bad(format!("must be a whole number from {min} to {max}, got {value:?}"));
        }
    } else if is(Type::Boolean) {
        bool_param(name, value)?;
    }
    if let Some(values) = &o.enum_values {
        if !values.iter().any(|v| v.as_str() == Some(value)) {
            let listed: Vec<&str> = values.iter().filter_map(|v| v.as_str()).collect();
            return bad(format!("one of {}, got {value:?}", listed.join(", ")));
        }
    }
    if matches!(o.format, Some(SchemaFormat::KnownFormat(KnownFormat::Date | KnownFormat::DateTime))) {
        time_param(name, value)?;
    }
    if let Some(pattern) = &o.pattern {
        let ok = match pattern.as_str() {
            ACCOUNT_ID_PATTERN => AccountId::is(value),
            REGION_PATTERN => Region::is(value),
            ARN_PATTERN => is_arn(value),
            CURSOR_PATTERN => Cursor::decode(value).is_ok(),
            _ => true,
        };
        if !ok {
            return bad(format!("{value:?} is not {}", pattern_meaning(pattern)));
        }
    }
    Ok(())
}

/// The patterns the API's parameters use, in words; another pattern is a mistake in a declaration.
fn pattern_meaning(pattern: &str) -> &'static str {
    match pattern {
        ACCOUNT_ID_PATTERN => "a 12-digit AWS account id",
        REGION_PATTERN => "an AWS region",
        ARN_PATTERN => "an ARN",
        VAULT_PATTERN => "a vault name or ARN",
        CURSOR_PATTERN => "a cursor this API issues (the `next_cursor` of a page)",
        _ => "of the documented pattern",
    }
}

impl<S: Send + Sync, P: IntoParams + serde::de::DeserializeOwned> FromRequestParts<S> for Params<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let RawQuery(raw) = RawQuery::from_request_parts(parts, state).await?;
        let spec = query_spec::<P>();
        refuse_unknown(&raw, &spec)?;
        for p in &spec {
            if let Some(value) = raw.get(&p.name) {
                check_value(&p.name, value, p.schema.as_ref())?;
            } else if matches!(p.required, Required::True) {
                return Err(AppError::bad("missing_parameter", format!("{} is required", p.name)));
            }
        }
        let Query(typed) = Query::<P>::from_request_parts(parts, state)
            .await
            .map_err(|e| AppError::bad("invalid_query", e.body_text()))?;
        Ok(Params(typed))
    }
}

fn time_param(name: &str, v: &str) -> Result<i64, AppError> {
    crate::time::parse(v).ok_or_else(|| {
        AppError::bad("invalid_parameter", format!("{name}: {v:?} is not a date (RFC 3339 or YYYY-MM-DD)"))
    })
}

pub fn cursor_param(v: &str) -> Result<Cursor, AppError> {
    Cursor::decode(v).map_err(|e| AppError::bad("invalid_parameter", format!("cursor: {e}")))
}

/// A list's query parameters: the filters it takes and its status values. The
/// OpenAPI description (`list_params!`) and the parser ([`List`]) both read this.
pub trait ListParams {
    const FILTERS: &'static [&'static str];
    const STATUSES: &'static [&'static str] = &[];
    /// Whether `vault` must be the vault's ARN (not a name).
    const VAULT_ARN_ONLY: bool = false;
}

/// Declares a list's parameters: a type implementing [`ListParams`] and `IntoParams`.
macro_rules! list_params {
    ($(#[$doc:meta])* $name:ident { filters: [$($f:literal),* $(,)?] $(, statuses: $st:expr)? $(, vault_arn_only: $va:expr)? }) => {
        $(#[$doc])*
        pub struct $name;

        impl $crate::routes::params::ListParams for $name {
            const FILTERS: &'static [&'static str] = &[$($f),*];
            $(const STATUSES: &'static [&'static str] = &$st;)?
            $(const VAULT_ARN_ONLY: bool = $va;)?
        }

        impl utoipa::IntoParams for $name {
            fn into_params(
                _: impl Fn() -> Option<utoipa::openapi::path::ParameterIn>,
            ) -> Vec<utoipa::openapi::path::Parameter> {
                $crate::routes::params::list_parameters::<$name>()
            }
        }
    };
}
pub(crate) use list_params;

/// A list's parsed query, checked against `P`.
pub struct List<P>(pub ListQuery, pub PhantomData<P>);

impl<S: Send + Sync, P: ListParams> FromRequestParts<S> for List<P> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let raw = RawQuery::from_request_parts(parts, state).await?;
        let q = parse(&raw, P::FILTERS, P::STATUSES)?;
        if P::VAULT_ARN_ONLY && q.vault.as_ref().is_some_and(|v| !v.starts_with("arn:")) {
            return Err(AppError::bad("invalid_parameter", "vault: this list is filtered by the vault's ARN"));
        }
        Ok(List(q, PhantomData))
    }
}

/// The patterns of the API's parameters: `#[param(pattern = ...)]` spells them
/// out (a test checks that every documented pattern is one of these).
pub const ACCOUNT_ID_PATTERN: &str = "^[0-9]{12}$";
pub const REGION_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)+-[0-9]+$";
pub const ARN_PATTERN: &str = "^arn:aws(-[a-z-]*)?:[^:]+:[^:]*:[^:]*:.+$";
pub const RESOURCE_TYPE_PATTERN: &str = "^[A-Za-z0-9._-]([A-Za-z0-9 ._-]{0,48}[A-Za-z0-9._-])?$";
pub const JOB_ID_PATTERN: &str = "^[A-Za-z0-9_-]{1,100}$";
pub const VAULT_PATTERN: &str = "^[A-Za-z0-9._-]+$|^arn:aws(-[a-z-]*)?:[^:]+:[^:]*:[^:]*:.+$";

/// The OpenAPI parameters of list `P`: paging, then its filters.
pub fn list_parameters<P: ListParams>() -> Vec<Parameter> {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let boolean = || ObjectBuilder::new().schema_type(Type::Boolean);
    let whole = |min: i64, max: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(min))
            .maximum(Some(max))
    };
    let one_of = |values: &[&str]| string().enum_values(Some(values.iter().map(|v| v.to_string())));
    let date = || string().format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)));
    let describe = |name: &str| -> (&'static str, ObjectBuilder) {
        match name {
            "limit" => ("Items per page, 1 to 1000 (default 100).", whole(1, 1000)),
            "cursor" => ("`next_cursor` of the previous page.", string().pattern(Some(CURSOR_PATTERN))),
            "include_gone" => ("Include what a sync no longer found (default false).", boolean()),
            "account_id" => ("12-digit AWS account id.", string().pattern(Some(ACCOUNT_ID_PATTERN))),
            "region" => ("AWS region, e.g. `ap-southeast-2`.", string().pattern(Some(REGION_PATTERN))),
            "vault" if P::VAULT_ARN_ONLY => {
                ("Backup vault ARN (of the source vault).", string().pattern(Some(ARN_PATTERN)))
            }
            "vault" => ("Backup vault name or ARN.", string().pattern(Some(VAULT_PATTERN))),
            "resource_type" => (
                "AWS Backup resource type, as AWS spells it: a known one (the examples) or one AWS added later.",
                string()
                    .pattern(Some(RESOURCE_TYPE_PATTERN))
                    .examples(RESOURCE_TYPES.iter().map(|t| serde_json::json!(t))),
            ),
            "resource_arn" => ("ARN of the protected (source) resource.", string().pattern(Some(ARN_PATTERN))),
            "plan_arn" => ("The restore testing plan ARN.", string().pattern(Some(ARN_PATTERN))),
            "status" => ("Status or state as AWS reports it.", one_of(P::STATUSES)),
            "created_after" => ("Created at or after (YYYY-MM-DD, or RFC 3339; UTC).", date()),
            "created_before" => ("Created before (YYYY-MM-DD, or RFC 3339; UTC).", date()),
            "test" => ("`true` for restore tests, `false` for other restores.", boolean()),
            "validation_status" => ("Validation status of a restore test.", one_of(&VALIDATION_STATUSES)),
            "outcome" => (
                "`passed` (restored, validation successful), `restored` (restored, not validated: no validation \
                 status or still validating) or `failed` (restore failed or aborted, validation failed or timed out).",
                one_of(OUTCOMES),
            ),
            "parent_job_id" => {
                ("The child jobs of this composite (parent) job.", string().pattern(Some(JOB_ID_PATTERN)))
            }
            "never_tested" => ("`true` for resources with no restore test on record.", boolean()),
            "not_tested_days" => ("Resources with no restore test in this many days.", whole(1, 3650)),
            _ => ("", string()),
        }
    };
    ["limit", "cursor", "include_gone"]
        .iter()
        .chain(P::FILTERS)
        .map(|name| {
            let (doc, schema) = describe(name);
            ParameterBuilder::new()
                .name(*name)
                .parameter_in(ParameterIn::Query)
                .required(Required::False)
                .description(Some(doc))
                .schema(Some(schema.build()))
                .build()
        })
        .collect()
}

const VALIDATION_STATUSES: [&str; 4] = ["SUCCESSFUL", "FAILED", "TIMED_OUT", "VALIDATING"];
const OUTCOMES: &[&str] = shared::TestOutcome::NAMES;

fn bool_param(name: &str, v: &str) -> Result<bool, AppError> {
    match v {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(AppError::bad("invalid_parameter", format!("{name} must be true or false, got {v:?}"))),
    }
}

/// Parses the parameters a list accepts: `filters` names the filters it has;
/// `statuses` are its allowed status values.
fn parse(raw: &RawQuery, filters: &[&str], statuses: &[&str]) -> Result<ListQuery, AppError> {
    let mut q = ListQuery { limit: 100, ..ListQuery::default() };
    for (name, value) in &raw.0 {
        let bad = |why: String| AppError::bad("invalid_parameter", format!("{name}: {why}"));
        let common = ["limit", "cursor", "include_gone"];
        if !common.contains(&name.as_str()) && !filters.contains(&name.as_str()) {
            let known = filters.iter().chain(common.iter()).copied().collect::<Vec<_>>().join(", ");
            return Err(AppError::bad(
                "unknown_parameter",
                format!("unknown parameter {name:?}; this list takes {known}"),
            ));
        }
        match name.as_str() {
            "limit" => {
                q.limit = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| bad(format!("must be a whole number from 1 to 1000, got {value:?}")))?;
            }
            "cursor" => q.cursor = Some(cursor_param(value)?),
            "include_gone" => q.include_gone = bool_param(name, value)?,
            "account_id" => {
                if !AccountId::is(value) {
                    return Err(bad(format!("{value:?} is not a 12-digit AWS account id")));
                }
                q.account_id = Some(value.clone());
            }
            "region" => {
                if !Region::is(value) {
                    return Err(bad(format!("{value:?} is not an AWS region")));
                }
                q.region = Some(value.clone());
            }
            "vault" => {
                if value.starts_with("arn:") && !is_arn(value) {
                    return Err(bad(format!("{value:?} is not a valid ARN")));
                }
                q.vault = Some(value.clone());
            }
            "resource_type" => {
                if !shared::is_resource_type(value) {
                    return Err(bad(format!(
                        "{value:?} is not an AWS Backup resource type (1 to 50 letters, digits, spaces, - _ .; e.g. {})",
                        RESOURCE_TYPES.join(", ")
                    )));
                }
                q.resource_type = Some(value.clone());
            }
            "resource_arn" | "plan_arn" => {
                if !is_arn(value) {
                    return Err(bad(format!("{value:?} is not a valid ARN")));
                }
                if name == "resource_arn" {
                    q.resource_arn = Some(value.clone());
                } else {
                    q.plan_arn = Some(value.clone());
                }
            }
            "status" => {
                if !statuses.contains(&value.as_str()) {
                    return Err(bad(format!("unknown status {value:?}; one of {}", statuses.join(", "))));
                }
                q.status = Some(value.clone());
            }
            "created_after" | "created_before" => {
                let t = time_param(name, value)?;
                if name == "created_after" {
                    q.created_after = Some(t);
                } else {
                    q.created_before = Some(t);
                }
            }
            "test" => q.test = Some(bool_param(name, value)?),
            "outcome" => {
                if !OUTCOMES.contains(&value.as_str()) {
                    return Err(bad(format!("one of {}, got {value:?}", OUTCOMES.join(", "))));
                }
                q.outcome = Some(value.clone());
            }
            "parent_job_id" => {
                let ok = (1..=100).contains(&value.len())
                    && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
                if !ok {
                    return Err(bad(format!("{value:?} is not an AWS Backup job id")));
                }
                q.parent_job_id = Some(value.clone());
            }
            "never_tested" => q.never_tested = bool_param(name, value)?,
            "not_tested_days" => {
                let days = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| (1..=3650).contains(n))
                    .ok_or_else(|| bad(format!("must be a whole number of days from 1 to 3650, got {value:?}")))?;
                q.not_tested_days = Some(days);
            }
            "validation_status" => {
                if !VALIDATION_STATUSES.contains(&value.as_str()) {
                    let allowed = VALIDATION_STATUSES.join(", ");
                    return Err(bad(format!("unknown validation status {value:?}; one of {allowed}")));
                }
                q.validation_status = Some(value.clone());
            }
            _ => return Err(bad("not a parameter of this list".into())),
        }
    }
    Ok(q)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> RawQuery {
        RawQuery(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn bad_input_names_the_parameter() {
        let f = ["account_id", "resource_arn", "created_after", "status"];
        let err = |pairs: &[(&str, &str)]| {
            parse(&raw(pairs), &f, &["COMPLETED"]).err().map(|e| e.to_string()).unwrap_or_default()
        };
        assert!(err(&[("limit", "-1")]).contains("limit"));
        assert!(err(&[("limit", "1001")]).contains("limit"));
        assert!(err(&[("account_id", "12")]).contains("account_id"));
        assert!(err(&[("resource_arn", "table/tracking")]).contains("resource_arn"));
        assert!(err(&[("created_after", "last tuesday")]).contains("created_after"));
        assert!(err(&[("status", "DONE")]).contains("status"));
        assert!(err(&[("cursor", "forged")]).contains("cursor"));
        assert!(err(&[("test", "true")]).contains("unknown parameter"));
        let ok = parse(&raw(&[("limit", "5"), ("created_after", "2026-11-01")]), &f, &[]).ok();
        assert_eq!(ok.map(|q| (q.limit, q.created_after)), Some((5, Some(1_793_491_200_000))));
    }
}
