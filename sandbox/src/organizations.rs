//! AWS Organizations over awsJson1_1: DescribeOrganization, which any member may
//! call; ListAccounts, ListDelegatedAdministrators and
//! ListAWSServiceAccessForOrganization, which answer the management account and
//! delegated administrators only (Organizations model, each operation: "You can only
//! call this operation from the management account or a member account that is a
//! delegated administrator"; other members get AccessDeniedException); and
//! EnableAWSServiceAccess and DisableAWSServiceAccess, the management account's only
//! ("You can only call this operation from the management account").

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::backup::{decode_position, encode_position, page};
use super::protocol::{epoch, json_input, json_operation, max_results, AwsError, Millis};
use super::world::{Account, World, HUB_ACCOUNT, ORG_ID};
use super::Caller;

const TARGET_PREFIX: &str = "AWSOrganizationsV20161128.";

const MUTATIONS: [&str; 2] = ["EnableAWSServiceAccess", "DisableAWSServiceAccess"];

pub fn identify(headers: &HeaderMap) -> Result<&'static str, AwsError> {
    json_operation(
        headers,
        TARGET_PREFIX,
        &[
            "DescribeOrganization",
            "ListAccounts",
            "ListDelegatedAdministrators",
            "ListAWSServiceAccessForOrganization",
            MUTATIONS[0],
            MUTATIONS[1],
        ],
    )
}

pub fn is_mutation(op: &str) -> bool {
    MUTATIONS.contains(&op)
}

/// An account as Organizations describes it (the `Account` shape of ListAccounts).
fn account_json(a: &Account) -> Value {
    json!({
        "Id": a.id,
        "Arn": account_arn(&a.id),
        "Email": a.email,
        "Name": a.name,
        "Status": "ACTIVE",
        "State": "ACTIVE",
        "JoinedMethod": if a.id == HUB_ACCOUNT { "CREATED" } else { "INVITED" },
        "JoinedTimestamp": epoch(a.joined),
    })
}

fn account_arn(id: &str) -> String {
    format!("arn:aws:organizations::{HUB_ACCOUNT}:account/{ORG_ID}/{id}")
}

fn member(world: &World, caller: &Caller) -> Result<(), AwsError> {
    if !world.accounts[caller.account].in_organization {
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ));
    }
    Ok(())
}

/// EnableAWSServiceAccess and DisableAWSServiceAccess (`ServicePrincipal` required),
/// from the management account only.
pub fn call_mut(world: &mut World, now: Millis, caller: &Caller, op: &str, body: &[u8]) -> Result<Value, AwsError> {
    member(world, caller)?;
    let input: Value = json_input(body)?;
    if !caller.is_hub {
        return Err(AwsError::access_denied(
            "AccessDeniedException",
            format!("You don't have permissions to access this resource: {op} needs the management account."),
        ));
    }
    let principal = match input["ServicePrincipal"].as_str() {
        Some(p) if !p.is_empty() => p.to_string(),
        _ => {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "InvalidInputException",
                "You must specify a value for ServicePrincipal.",
            ))
        }
    };
    world.trusted_services.retain(|(p, _)| *p != principal);
    if op == "EnableAWSServiceAccess" {
        world.trusted_services.push((principal, now));
    }
    Ok(json!({}))
}

pub fn call(world: &World, caller: &Caller, op: &str, body: &[u8]) -> Result<Value, AwsError> {
    member(world, caller)?;
    let input: Value = json_input(body)?;
    let administers = caller.is_hub || world.delegated_admins.iter().any(|(a, _, _)| *a == caller.account_id);
    let denied = |op: &str| {
        AwsError::access_denied(
            "AccessDeniedException",
            format!("You don't have permissions to access this resource: {op} needs the management account or a delegated administrator."),
        )
    };
    match op {
        "DescribeOrganization" => Ok(json!({
            "Organization": {
                "Id": ORG_ID,
                "Arn": format!("arn:aws:organizations::{HUB_ACCOUNT}:organization/{ORG_ID}"),
                "FeatureSet": "ALL",
                "MasterAccountArn": account_arn(HUB_ACCOUNT),
                "MasterAccountId": HUB_ACCOUNT,
                "MasterAccountEmail": "aws+management@example.com",
                "AvailablePolicyTypes": [{ "Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED" }],
            }
        })),
        "ListDelegatedAdministrators" => {
            if !administers {
                return Err(denied(op));
            }
            let principal = input["ServicePrincipal"].as_str();
            let admins: Vec<Value> = world
                .delegated_admins
                .iter()
                .filter(|(_, service, _)| principal.is_none_or(|p| p == *service))
                .filter_map(|(id, _, since)| {
                    let mut admin = account_json(&world.accounts[world.account(id)?]);
                    admin["DelegationEnabledDate"] = json!(epoch(*since));
                    Some(admin)
                })
                .collect();
            Ok(json!({ "DelegatedAdministrators": admins }))
        }
        "ListAWSServiceAccessForOrganization" => {
            if !administers {
                return Err(denied(op));
            }
            let enabled: Vec<Value> = world
                .trusted_services
                .iter()
                .map(|(principal, since)| json!({ "ServicePrincipal": principal, "DateEnabled": epoch(*since) }))
                .collect();
            Ok(json!({ "EnabledServicePrincipals": enabled }))
        }
        "ListAccounts" => {
            if !administers {
                return Err(denied(op));
            }
            let invalid = |m: String| AwsError::new(StatusCode::BAD_REQUEST, "InvalidInputException", m);
            let max = match &input["MaxResults"] {
                Value::Null => 20,
                v => max_results(Some(&v.to_string()), 20, 20).map_err(|e| invalid(e.message))?,
            };
            let scope = format!("ListAccounts:{}", caller.account_id);
            let position =
                decode_position(world, &scope, input["NextToken"].as_str()).map_err(|e| invalid(e.message))?;
            let members: Vec<_> = world.accounts.iter().filter(|a| a.in_organization).collect();
            // Oldest first, as Organizations lists them: walk the reversed list newest first.
            let reversed: Vec<_> = members.into_iter().rev().collect();
            let (items, next) = page(&[(0, reversed.as_slice())], position, max, |_, _, a| Some(account_json(a)));
            Ok(json!({ "Accounts": items, "NextToken": encode_position(world, &scope, next) }))
        }
        other => Err(AwsError::invalid_request(format!("unknown operation {other}"))),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::generate::{build, WorldOptions, BACKUP, WORKLOAD_A};

    fn caller(world: &World, account: &str) -> Caller {
        Caller {
            account: world.account(account).unwrap(),
            account_id: account.into(),
            region: "ap-southeast-2".into(),
            is_hub: account == HUB_ACCOUNT,
            can_act: true,
            can_validate: false,
            principal_arn: format!("arn:aws:sts::{account}:assumed-role/RecoveryConsoleOperator/s"),
            user_id: "AROA:s".into(),
        }
    }

    #[test]
    fn trusted_access_is_listed_to_administrators_and_changed_by_the_management_account() {
        let mut world = build(&WorldOptions { seed: 7, accounts: 0, start: 1_795_780_800_000 });
        let listed = |world: &World, account: &str| {
            let answer = call(world, &caller(world, account), "ListAWSServiceAccessForOrganization", b"{}").unwrap();
            answer["EnabledServicePrincipals"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["ServicePrincipal"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(listed(&world, HUB_ACCOUNT), vec!["backup.amazonaws.com"]);
        assert_eq!(listed(&world, BACKUP), vec!["backup.amazonaws.com"], "a delegated administrator");
        let refused = call(&world, &caller(&world, WORKLOAD_A), "ListAWSServiceAccessForOrganization", b"{}");
        assert_eq!(refused.err().map(|e| e.code), Some("AccessDeniedException"));
        let backup = json!({ "ServicePrincipal": "backup.amazonaws.com" }).to_string();
        for account in [BACKUP, WORKLOAD_A] {
            let who = caller(&world, account);
            let refused = call_mut(&mut world, 1, &who, "DisableAWSServiceAccess", backup.as_bytes());
            assert_eq!(refused.err().map(|e| e.code), Some("AccessDeniedException"), "{account}");
        }
        let hub = caller(&world, HUB_ACCOUNT);
        let missing = call_mut(&mut world, 1, &hub, "DisableAWSServiceAccess", b"{}").err().map(|e| e.code);
        assert_eq!(missing, Some("InvalidInputException"));
        call_mut(&mut world, 1, &hub, "DisableAWSServiceAccess", backup.as_bytes()).unwrap();
        assert!(listed(&world, HUB_ACCOUNT).is_empty() && !world.backup_monitoring());
        call_mut(&mut world, 2, &hub, "EnableAWSServiceAccess", backup.as_bytes()).unwrap();
        assert!(world.backup_monitoring());
    }

    #[test]
    fn delegated_administrators_list_accounts_and_other_members_may_not() {
        let world = build(&WorldOptions { seed: 7, accounts: 0, start: 1_795_780_800_000 });
        let caller = |account: &str| Caller {
            account: world.account(account).unwrap(),
            account_id: account.into(),
            region: "ap-southeast-2".into(),
            is_hub: account == HUB_ACCOUNT,
            can_act: false,
            can_validate: false,
            principal_arn: format!("arn:aws:sts::{account}:assumed-role/RecoveryConsoleRead/s"),
            user_id: "AROA:s".into(),
        };
        let backup = json!({ "ServicePrincipal": "backup.amazonaws.com" }).to_string();
        for account in [HUB_ACCOUNT, BACKUP] {
            let admins = call(&world, &caller(account), "ListDelegatedAdministrators", backup.as_bytes()).unwrap();
            let ids: Vec<&str> = admins["DelegatedAdministrators"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["Id"].as_str().unwrap())
                .collect();
            assert_eq!(ids, vec![BACKUP], "{account}");
            let accounts = call(&world, &caller(account), "ListAccounts", b"{}").unwrap();
            assert_eq!(accounts["Accounts"].as_array().unwrap().len(), 3, "{account}");
        }
        let other = json!({ "ServicePrincipal": "securityhub.amazonaws.com" }).to_string();
        let none = call(&world, &caller(HUB_ACCOUNT), "ListDelegatedAdministrators", other.as_bytes()).unwrap();
        assert_eq!(none["DelegatedAdministrators"], json!([]));
        for op in ["ListAccounts", "ListDelegatedAdministrators"] {
            let refused = call(&world, &caller(WORKLOAD_A), op, b"{}").err().map(|e| e.code);
            assert_eq!(refused, Some("AccessDeniedException"), "{op}");
        }
    }
}
