//! AWS KMS over awsJson1_1: DescribeKey, enough for a caller to learn whether a
//! key is AWS managed (`KeyManager`) and whether its key policy lets the caller's
//! account use it. Model: KMS API Reference, DescribeKey ("KeyManager": AWS |
//! CUSTOMER). AWS managed keys (aws/rds, aws/ebs, ...) have key policies that admit
//! only their own account (`kms:CallerAccount`), so another account is denied; a
//! customer managed key admits the accounts its policy names. `KeyId` may be a key
//! ARN or an AWS managed key's alias (`alias/aws/ebs`, or its alias ARN), which names
//! that account's key for the service (DescribeKey `KeyId`: "key ID, key ARN, alias
//! name, or alias ARN"; KMS Developer Guide, "AWS managed keys": KMS creates them on
//! first use).

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

/// The key an AWS managed key's alias names: `alias/aws/SERVICE` in the caller's
/// account and region, or `arn:aws:kms:REGION:ACCOUNT:alias/aws/SERVICE`.
fn aws_managed_alias(key: &str, caller: &Caller) -> Option<(String, &'static str)> {
    let (region, account, service) = match key.strip_prefix("alias/aws/") {
        Some(service) => (caller.region.as_str(), caller.account_id.as_str(), service),
        None => {
            let parts: Vec<&str> = key.splitn(6, ':').collect();
            match parts.as_slice() {
                ["arn", _, "kms", region, account, rest] => (*region, *account, rest.strip_prefix("alias/aws/")?),
                _ => return None,
            }
        }
    };
    let service =
        ["backup", "ebs", "rds", "dynamodb", "elasticfilesystem", "s3"].into_iter().find(|s| *s == service)?;
    Some((crate::generate::aws_managed_key(account, region, service), service))
}

/// What KMS writes as an AWS managed key's description.
fn managed_description(service: &str) -> String {
    let what = match service {
        "ebs" => "EBS volumes",
        "rds" => "RDS database volumes",
        "backup" => "backups",
        "dynamodb" => "DynamoDB data",
        "elasticfilesystem" => "EFS file systems",
        _ => "data",
    };
    format!("Default key that protects my {what} when no other key is defined")
}

pub fn call(world: &World, caller: &Caller, body: &[u8]) -> Result<Value, AwsError> {
    let input: Value = json_input(body)?;
    let key_id = input["KeyId"].as_str().ok_or_else(|| AwsError::missing_parameter("KeyId"))?;
    let not_found = || {
        AwsError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "NotFoundException",
            format!("Key '{key_id}' does not exist"),
        )
    };
    let alias = aws_managed_alias(key_id, caller);
    let key = alias.as_ref().map_or(key_id, |(k, _)| k.as_str());
    let (_, account) = key_owner(key).ok_or_else(not_found)?;
    let service = alias.as_ref().map(|(_, s)| *s).or_else(|| world.aws_managed_keys.get(key).copied());
    let aws_managed = service.is_some();
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
            "Description": service.map(managed_description).unwrap_or_default(),
            "CreationDate": 1_640_995_200,
        }
    }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::generate::{build, WorldOptions, BACKUP};

    fn caller(world: &World, account: &str) -> Caller {
        Caller {
            account: world.account(account).unwrap(),
            account_id: account.into(),
            region: "ap-southeast-2".into(),
            is_hub: false,
            can_act: false,
            can_validate: false,
            principal_arn: format!("arn:aws:sts::{account}:assumed-role/RecoveryConsoleRead/s"),
            user_id: "AROA:s".into(),
        }
    }

    fn describe(world: &World, account: &str, key: &str) -> Result<Value, AwsError> {
        call(world, &caller(world, account), json!({ "KeyId": key }).to_string().as_bytes())
    }

    #[test]
    fn aws_managed_and_customer_managed_keys_as_describe_key_shows_them() {
        let world = build(&WorldOptions { seed: 7, accounts: 6, start: 1_795_780_800_000 });
        const FIFTH: &str = "400000000005";
        const SIXTH: &str = "400000000006";
        // The fifth account's aws/rds: by its ARN and by its alias, AWS managed, its own only.
        let rds = crate::generate::aws_managed_key(FIFTH, "ap-southeast-2", "rds");
        let by_arn = describe(&world, FIFTH, &rds).unwrap();
        assert_eq!(by_arn["KeyMetadata"]["KeyManager"], "AWS");
        assert!(by_arn["KeyMetadata"]["Description"].as_str().unwrap().contains("RDS"));
        let by_alias = describe(&world, FIFTH, "alias/aws/rds").unwrap();
        assert_eq!(by_alias["KeyMetadata"]["Arn"], rds.as_str());
        let alias_arn = format!("arn:aws:kms:ap-southeast-2:{FIFTH}:alias/aws/ebs");
        assert_eq!(describe(&world, FIFTH, &alias_arn).unwrap()["KeyMetadata"]["KeyManager"], "AWS");
        assert!(describe(&world, BACKUP, &rds).is_err(), "an AWS managed key admits no other account");
        // The sixth account's volumes and databases default to aws/ebs and aws/rds.
        let sixth = &world.accounts[world.account(SIXTH).unwrap()];
        let keys: Vec<&str> = sixth
            .regions
            .values()
            .flat_map(|r| r.resources.iter())
            .filter(|r| r.info.kind.keeps_source_key())
            .map(|r| r.info.kms_key.as_str())
            .collect();
        assert!(!keys.is_empty());
        for key in keys {
            assert_eq!(describe(&world, SIXTH, key).unwrap()["KeyMetadata"]["KeyManager"], "AWS", "{key}");
        }
        // The fifth account's customer managed key: its own account reads it, no other.
        let unshared = world.unshared_keys.iter().find(|k| k.contains(FIFTH)).unwrap();
        assert_eq!(describe(&world, FIFTH, unshared).unwrap()["KeyMetadata"]["KeyManager"], "CUSTOMER");
        let denied = describe(&world, BACKUP, unshared).unwrap_err();
        assert!(format!("{denied:?}").contains("AccessDeniedException"), "{denied:?}");
        assert!(describe(&world, FIFTH, "alias/aws/nothing").is_err());
    }
}
