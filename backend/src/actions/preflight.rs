//! Pre-flight checks of a request, read from AWS (through the read roles) and from
//! the synced inventory. A check that cannot be made says so (`ok: None`); it never
//! blocks the request: approvers see the results and decide.

use serde_json::Value;
use shared::{PreflightCheck, RecoveryPoint};

use crate::aws::failure;
use crate::domain::VaultArn;
use crate::store::Store;
use crate::sync::Syncer;

fn check(name: &str, ok: Option<bool>, detail: impl Into<String>) -> PreflightCheck {
    PreflightCheck { check: name.into(), ok, detail: detail.into() }
}

/// Whether a vault access policy lets `source_account` copy into the vault.
pub fn policy_allows_copy(policy: &str, source_account: &str, org_member: bool) -> bool {
    let Ok(doc) = serde_json::from_str::<Value>(policy) else { return false };
    let statements = match &doc["Statement"] {
        Value::Array(s) => s.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        _ => return false,
    };
    let strings = |v: &Value| -> Vec<String> {
        match v {
            Value::String(s) => vec![s.clone()],
            Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
            _ => Vec::new(),
        }
    };
    let matches = |s: &Value| {
        let action =
            strings(&s["Action"]).iter().any(|a| a == "backup:CopyIntoBackupVault" || a == "backup:*" || a == "*");
        let principals: Vec<String> = match &s["Principal"] {
            Value::String(p) => vec![p.clone()],
            p => strings(&p["AWS"]),
        };
        let principal =
            principals.iter().any(|p| p == "*" || p == source_account || p.contains(&format!(":{source_account}:")));
        let org_condition = !s["Condition"]["StringEquals"]["aws:PrincipalOrgID"].is_null();
        action && principal && (!org_condition || org_member)
    };
    // An explicit Deny wins over any Allow, as in IAM.
    let denied = statements.iter().any(|s| s["Effect"] == "Deny" && matches(s));
    !denied && statements.iter().any(|s| s["Effect"] == "Allow" && matches(s))
}

/// The ARN the restore would create, for the name check.
fn target_arn(params: &Value) -> Option<(String, String)> {
    let region = params["region"].as_str()?;
    let account = params["restore_account_id"].as_str()?;
    let m = &params["metadata"];
    match params["resource_type"].as_str()? {
        "DynamoDB" => {
            let name = m["targetTableName"].as_str()?;
            Some((name.to_string(), format!("arn:aws:dynamodb:{region}:{account}:table/{name}")))
        }
        "RDS" => {
            let name = m["dbInstanceIdentifier"].as_str()?;
            Some((name.to_string(), format!("arn:aws:rds:{region}:{account}:db:{name}")))
        }
        _ => None,
    }
}

pub async fn preflight(syncer: &Syncer, store: &Store, params: &Value, rp: &RecoveryPoint) -> Vec<PreflightCheck> {
    let mut checks = Vec::new();
    let source = &rp.account_id;

    // 1. The recovery point, as AWS reports it now.
    match syncer.read_role(source).await {
        Ok(Some(role)) => {
            let client = syncer.aws().backup(&role, &rp.region).await;
            match client
                .describe_recovery_point()
                .backup_vault_name(&rp.vault_name)
                .recovery_point_arn(&rp.recovery_point_arn)
                .send()
                .await
            {
                Ok(out) => {
                    let status = out.status().map(|s| s.as_str().to_string()).unwrap_or_default();
                    checks.push(check(
                        "recovery point completed",
                        Some(shared::recovery_point_usable(&status)),
                        format!("AWS reports the recovery point as {status}"),
                    ));
                }
                Err(e) => checks.push(check("recovery point completed", Some(false), failure(&e).to_string())),
            }
        }
        Ok(None) => checks.push(check("recovery point completed", None, format!("account {source} is not registered"))),
        Err(e) => checks.push(check("recovery point completed", None, e.to_string())),
    }

    // 2. The new resource's name.
    if let Some((name, arn)) = target_arn(params) {
        match store.resource_known(&arn).await {
            Ok(Some(why)) => checks.push(check("target name free", Some(false), format!("{name:?} is taken: {why}"))),
            Ok(None) => checks.push(check(
                "target name free",
                Some(true),
                format!(
                    "no resource named {name:?} is known to the console in account {}",
                    params["restore_account_id"].as_str().unwrap_or_default()
                ),
            )),
            Err(e) => checks.push(check("target name free", None, e.to_string())),
        }
    }

    // 3. Both accounts in the organization.
    let destination = params["destination_vault_arn"].as_str().and_then(|v| VaultArn::parse(v).ok());
    let mut accounts = vec![source.clone()];
    if let Some(VaultArn { account, .. }) = &destination {
        if account != source.as_str() {
            accounts.push(account.to_string());
        }
    }
    let pages: Result<Vec<_>, _> =
        syncer.aws().organizations().list_accounts().into_paginator().send().try_collect().await;
    let members: Result<Vec<String>, String> = pages.map_err(|e| failure(&e).to_string()).map(|pages| {
        pages
            .iter()
            .flat_map(|p| p.accounts().iter())
            .filter(|a| a.state().is_none_or(|s| s.as_str() == "ACTIVE"))
            .filter_map(|a| a.id().map(str::to_string))
            .collect()
    });
    let in_org = match &members {
        Ok(list) => {
            let missing: Vec<&String> = accounts.iter().filter(|a| !list.contains(a)).collect();
            checks.push(check(
                "accounts in the organization",
                Some(missing.is_empty()),
                if missing.is_empty() {
                    format!("{} active in the organization", accounts.join(" and "))
                } else {
                    format!("not active members: {}", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                },
            ));
            missing.is_empty()
        }
        Err(e) => {
            checks.push(check("accounts in the organization", None, format!("Organizations could not be read: {e}")));
            false
        }
    };

    // 4. The destination vault lets the copy in.
    if let Some(VaultArn { region, account, name: vault }) = &destination {
        if account == source.as_str() {
            checks.push(check(
                "destination vault allows the copy",
                Some(true),
                "same account: no vault policy is involved",
            ));
        } else {
            match syncer.read_role(account.as_str()).await {
                Ok(Some(role)) => {
                    let client = syncer.aws().backup(&role, region.as_str()).await;
                    match client.get_backup_vault_access_policy().backup_vault_name(vault).send().await {
                        Ok(out) => {
                            let allows = policy_allows_copy(out.policy().unwrap_or_default(), source, in_org);
                            checks.push(check(
                                "destination vault allows the copy",
                                Some(allows),
                                if allows {
                                    format!("the access policy of {vault} allows backup:CopyIntoBackupVault from {source}")
                                } else {
                                    format!("the access policy of {vault} does not allow backup:CopyIntoBackupVault from {source}")
                                },
                            ));
                        }
                        Err(e) => {
                            let f = failure(&e);
                            let detail = if f.code == "ResourceNotFoundException" {
                                format!("{vault} has no access policy: AWS refuses copies from other accounts")
                            } else {
                                f.to_string()
                            };
                            checks.push(check("destination vault allows the copy", Some(false), detail));
                        }
                    }
                }
                Ok(None) => checks.push(check(
                    "destination vault allows the copy",
                    None,
                    format!("account {account} is not registered"),
                )),
                Err(e) => checks.push(check("destination vault allows the copy", None, e.to_string())),
            }
        }
    }

    // 5. Keys.
    let source_key = rp.encryption_key_arn.clone().unwrap_or_else(|| "the service's key".into());
    let mut facts = vec![format!("the recovery point is encrypted with {source_key}")];
    match (params["resource_type"].as_str(), params["metadata"]["encryptionType"].as_str()) {
        (Some("DynamoDB"), Some("KMS")) => facts
            .push(format!("the new table uses {}", params["metadata"]["kmsMasterKeyArn"].as_str().unwrap_or_default())),
        (Some("DynamoDB"), _) if !params["metadata"].is_null() => {
            facts.push("the new table uses the AWS owned key (encryptionType Default)".into())
        }
        (Some("RDS"), _) if !params["metadata"].is_null() => facts.push("RDS keeps the source instance's key".into()),
        _ => {}
    }
    if destination.is_some() {
        facts.push("the copy is encrypted with the destination vault's key".into());
    }
    checks.push(check("encryption keys", Some(true), facts.join("; ")));
    checks
}

#[cfg(test)]
mod tests {
    use super::policy_allows_copy;

    #[test]
    fn vault_policies() {
        let org = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:CopyIntoBackupVault","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#;
        assert!(policy_allows_copy(org, "111111111111", true));
        assert!(!policy_allows_copy(org, "111111111111", false));
        let account = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root"]},"Action":["backup:CopyIntoBackupVault"]}}"#;
        assert!(policy_allows_copy(account, "111111111111", false));
        assert!(!policy_allows_copy(account, "222222222222", false));
        let deny = r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"backup:CopyIntoBackupVault"}]}"#;
        assert!(!policy_allows_copy(deny, "111111111111", true));
        let both = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:*"},
            {"Effect":"Deny","Principal":{"AWS":"111111111111"},"Action":"backup:CopyIntoBackupVault"}]}"#;
        assert!(!policy_allows_copy(both, "111111111111", true), "an explicit deny wins");
        assert!(policy_allows_copy(both, "222222222222", true));
        assert!(!policy_allows_copy("not json", "111111111111", true));
    }
}
