//! AWS STS over awsQuery: AssumeRole and GetCallerIdentity.

use std::collections::HashMap;

use axum::http::StatusCode;
use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;

use super::protocol::{iso8601, xml_escape, AwsError, Millis};
use super::world::{Session, World};
use super::Caller;

const NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";

/// The form parameters of an awsQuery request (body, or query string for GET).
pub fn params(body: &[u8], raw_query: Option<&str>) -> HashMap<String, String> {
    let mut out: HashMap<String, String> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    if let Some(q) = raw_query {
        let extra: HashMap<String, String> = serde_urlencoded::from_str(q).unwrap_or_default();
        for (k, v) in extra {
            out.entry(k).or_insert(v);
        }
    }
    out
}

pub fn identify(params: &HashMap<String, String>) -> Result<&'static str, AwsError> {
    match params.get("Action").map(String::as_str) {
        Some("AssumeRole") => Ok("AssumeRole"),
        Some("GetCallerIdentity") => Ok("GetCallerIdentity"),
        Some(other) => Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "InvalidAction",
            format!("Could not find operation {other} for version 2011-06-15"),
        )),
        None => Err(AwsError::new(StatusCode::BAD_REQUEST, "MissingAction", "Missing Action parameter")),
    }
}

fn validation(message: String) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, "ValidationError", message)
}

fn envelope(op: &str, result: &str, request_id: &str) -> String {
    format!(
        "<{op}Response xmlns=\"{NS}\"><{op}Result>{result}</{op}Result>\
         <ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{op}Response>"
    )
}

pub fn get_caller_identity(caller: &Caller, request_id: &str) -> String {
    let result = format!(
        "<Arn>{}</Arn><UserId>{}</UserId><Account>{}</Account>",
        xml_escape(&caller.principal_arn),
        xml_escape(&caller.user_id),
        caller.account_id
    );
    envelope("GetCallerIdentity", &result, request_id)
}

pub fn assume_role(
    world: &mut World,
    caller: &Caller,
    params: &HashMap<String, String>,
    denied_accounts: &[String],
    now_wall: Millis,
    request_id: &str,
) -> Result<String, AwsError> {
    let role_arn = params.get("RoleArn").ok_or_else(|| validation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null".into()))?;
    let session_name = params
        .get("RoleSessionName")
        .ok_or_else(|| validation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null".into()))?;
    if !(2..=64).contains(&session_name.len())
        || !session_name.chars().all(|c| c.is_ascii_alphanumeric() || "+=,.@_-".contains(c))
    {
        return Err(validation(format!(
            "1 validation error detected: Value '{session_name}' at 'roleSessionName' failed to satisfy constraint: Member must have length 2-64 and match [\\w+=,.@-]*"
        )));
    }
    let duration: i64 = match params.get("DurationSeconds") {
        None => 3600,
        Some(d) => d
            .parse()
            .ok()
            .filter(|d| (900..=43200).contains(d))
            .ok_or_else(|| validation(format!("1 validation error detected: Value '{d}' at 'durationSeconds' failed to satisfy constraint: Member must have value between 900 and 43200")))?,
    };
    let denied = || {
        AwsError::access_denied(
            "AccessDenied",
            format!(
                "User: {} is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
                caller.principal_arn
            ),
        )
    };
    let (account_id, role_name) =
        parse_role_arn(role_arn).ok_or_else(|| validation(format!("RoleArn is not an IAM role ARN: {role_arn}")))?;
    if denied_accounts.contains(&account_id) {
        return Err(denied());
    }
    let account = world.account(&account_id).ok_or_else(denied)?;
    let role = world.accounts[account].roles.iter().find(|r| r.name == role_name).cloned().ok_or_else(denied)?;
    if role.trusts != caller.account_id {
        return Err(denied());
    }
    if let Some(required) = &role.external_id {
        if params.get("ExternalId") != Some(required) {
            return Err(denied());
        }
    }
    let mut rng = rand::thread_rng();
    let access_key = format!("ASIA{}", Alphanumeric.sample_string(&mut rng, 16).to_uppercase());
    let secret = Alphanumeric.sample_string(&mut rng, 40);
    let token = format!("FwoGZXIvYXdzE{}", Alphanumeric.sample_string(&mut rng, 120));
    let role_id = format!("AROA{:016X}", rng.gen::<u64>());
    let expires = now_wall + duration * 1000;
    world.sessions.insert(
        access_key.clone(),
        Session {
            account,
            role: role.name.clone(),
            session_name: session_name.clone(),
            secret: secret.clone(),
            token: token.clone(),
            expires_wall: expires,
            can_act: role.can_act,
            can_validate: role.can_validate,
        },
    );
    let result = format!(
        "<Credentials><AccessKeyId>{access_key}</AccessKeyId><SecretAccessKey>{secret}</SecretAccessKey>\
         <SessionToken>{token}</SessionToken><Expiration>{}</Expiration></Credentials>\
         <AssumedRoleUser><AssumedRoleId>{role_id}:{}</AssumedRoleId>\
         <Arn>arn:aws:sts::{account_id}:assumed-role/{role_name}/{}</Arn></AssumedRoleUser>\
         <PackedPolicySize>0</PackedPolicySize>",
        iso8601(expires),
        xml_escape(session_name),
        xml_escape(session_name),
    );
    Ok(envelope("AssumeRole", &result, request_id))
}

/// (account, role name) of `arn:aws:iam::ACCOUNT:role/[path/]NAME`.
fn parse_role_arn(arn: &str) -> Option<(String, String)> {
    let rest = arn.strip_prefix("arn:aws:iam::")?;
    let (account, resource) = rest.split_once(':')?;
    let path = resource.strip_prefix("role/")?;
    let name = path.rsplit('/').next()?;
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) && !name.is_empty())
        .then(|| (account.to_string(), name.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn role_arns_parse_with_paths() {
        assert_eq!(
            super::parse_role_arn("arn:aws:iam::111111111111:role/ops/RecoveryConsoleRead"),
            Some(("111111111111".into(), "RecoveryConsoleRead".into()))
        );
        assert_eq!(super::parse_role_arn("arn:aws:iam::1111:role/x"), None);
        assert_eq!(super::parse_role_arn("arn:aws:iam::111111111111:user/x"), None);
    }
}
