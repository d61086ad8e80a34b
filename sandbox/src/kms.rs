//! AWS KMS over awsJson1_1: DescribeKey, enough for a caller to learn whether a
//! key is AWS managed (`KeyManager`) and whether its key policy lets the caller's
//! account use it. Model: KMS API Reference, DescribeKey ("KeyManager": AWS |
//! CUSTOMER). AWS managed keys (aws/rds, aws/ebs, ...) have key policies that admit
//! only their own account (`kms:CallerAccount`), so another account is denied; a
//! customer managed key admits the accounts its policy names.

use axum::http::HeaderMap;
use serde_json::{json, Value};

use super::protocol::{json_input, json_operation, AwsError};
use super::world::World;
use super::Caller;

pub const TARGET_PREFIX: &str = "TrentService.";

pub fn identify(headers: &HeaderMap) -> Result<&'static str, AwsError> {
    json_operation(headers, TARGET_PREFIX, &["DescribeKey"])
}

/// The (region, account) of a key ARN `arn:aws:kms:REGION:ACCOUNT:key/ID`.
fn key_owner(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    match parts.as_slice() {
        ["arn", _, "kms", region, account, rest] if rest.starts_with("key/") => Some((region, account)),
        _ => None,
    }
}

pub fn call(world: &World, caller: &Caller, body: &[u8]) -> Result<Value, AwsError> {
    let input: Value = json_input(body)?;
    let key = input["KeyId"].as_str().ok_or_else(|| AwsError::missing_parameter("KeyId"))?;
    let not_found = || {
        AwsError::new(axum::http::StatusCode::BAD_REQUEST, "NotFoundException", format!("Key '{key}' does not exist"))
    };
    let (region, account) = key_owner(key).ok_or_else(not_found)?;
    let aws_managed = world.aws_managed_keys.contains(key);
    let other_account = account != caller.account_id;
    if other_account && (aws_managed || world.unshared_keys.contains(key)) {
        return Err(AwsError::access_denied(
            "AccessDeniedException",
            format!(
                "User: {} is not authorized to perform: kms:DescribeKey on resource: {key} because no resource-based policy allows the kms:DescribeKey action",
                caller.principal_arn
            ),
        ));
    }
    let id = key.rsplit('/').next().unwrap_or_default();
    Ok(json!({
        "KeyMetadata": {
            "AWSAccountId": account,
            "KeyId": id,
            "Arn": key,
            "Enabled": true,
            "KeyState": "Enabled",
            "KeyUsage": "ENCRYPT_DECRYPT",
            "KeySpec": "SYMMETRIC_DEFAULT",
            "KeyManager": if aws_managed { "AWS" } else { "CUSTOMER" },
            "Origin": "AWS_KMS",
            "MultiRegion": false,
            "Description": if aws_managed {
                format!("Default key that protects my data when no other key is defined ({region})")
            } else {
                String::new()
            },
        }
    }))
}
