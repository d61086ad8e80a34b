//! Pre-flight checks of a request, read from AWS (through the read roles) and from
//! the synced inventory. A check that cannot be made says so (`ok: None`); it never
//! blocks the request: approvers see the results and decide.

use serde_json::Value;
use shared::{PreflightCheck, RecoveryPoint};

use super::vault_policy::{copy_verdict, CopyingAccount, PolicyVerdict};
use crate::aws::failure;
use crate::domain::VaultArn;
use crate::store::Store;
use crate::sync::Syncer;

fn check(name: &str, ok: Option<bool>, detail: impl Into<String>) -> PreflightCheck {
    PreflightCheck { check: name.into(), ok, detail: detail.into() }
}

/// The ARN the restore would create, for the name check.
fn target_arn(params: &Value) -> Option<(String, String)> {
    let region = params["region"].as_str()?;
    let account = params["restore_account_id"].as_str()?;
    // The partition of the recovery point (aws, aws-us-gov, aws-cn).
    let partition = params["recovery_point_arn"].as_str().and_then(|a| a.split(':').nth(1)).unwrap_or("aws");
    let m = &params["metadata"];
    match params["resource_type"].as_str()? {
        "DynamoDB" => {
            let name = m["targetTableName"].as_str()?;
            Some((name.to_string(), format!("arn:{partition}:dynamodb:{region}:{account}:table/{name}")))
        }
        "RDS" => {
            // RDS keeps instance identifiers in lower case (RDS API Reference,
            // CreateDBInstance: "This parameter is stored as a lowercase string").
            let name = m["dbInstanceIdentifier"].as_str()?.to_lowercase();
            Some((name.clone(), format!("arn:{partition}:rds:{region}:{account}:db:{name}")))
        }
        // DBClusterIdentifier: "This parameter is stored as a lowercase string" (RDS API Reference).
        "Aurora" => {
            let name = m["dbClusterIdentifier"].as_str()?.to_lowercase();
            Some((name.clone(), format!("arn:{partition}:rds:{region}:{account}:cluster:{name}")))
        }
        // Only a new bucket must be free; without NewBucket true the restore writes into one that exists.
        "S3" if m["NewBucket"].as_str() == Some("true") => {
            let name = m["DestinationBucketName"].as_str()?;
            Some((name.to_string(), format!("arn:{partition}:s3:::{name}")))
        }
        // EC2 instances, EBS volumes and EFS file systems get fresh ids from AWS.
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
    let organization = syncer.organization().await.map_err(|e| e.to_string());
    let in_org = match &organization {
        Ok(org) => {
            let missing: Vec<&String> = accounts.iter().filter(|a| !org.has_active(a)).collect();
            checks.push(check(
                "accounts in the organization",
                Some(missing.is_empty()),
                if missing.is_empty() {
                    format!("{} active in the organization", accounts.join(" and "))
                } else {
                    format!("not active members: {}", missing.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
                },
            ));
            Some(missing.is_empty())
        }
        Err(e) => {
            checks.push(check("accounts in the organization", None, format!("Organizations could not be read: {e}")));
            None
        }
    };
    let copying = CopyingAccount {
        account_id: source,
        in_organization: in_org,
        organization_id: organization.as_ref().ok().map(|o| o.id.as_str()),
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
                            let verdict = copy_verdict(out.policy().unwrap_or_default(), &copying);
                            let detail = match &verdict {
                                PolicyVerdict::Allows => format!(
                                    "the access policy of {vault} allows backup:CopyIntoBackupVault from {source}"
                                ),
                                PolicyVerdict::Refuses(why) => format!(
                                    "the access policy of {vault} does not allow backup:CopyIntoBackupVault from {source}: {why}"
                                ),
                                PolicyVerdict::CannotTell(why) => {
                                    format!("cannot tell whether the access policy of {vault} lets {source} copy in: {why}")
                                }
                            };
                            checks.push(check("destination vault allows the copy", verdict.ok(), detail));
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
    let mut keys_ok = Some(true);
    match &destination {
        Some(VaultArn { account, region, .. }) if account != source.as_str() => {
            checks.push(super::copy_checks::copyable(&rp.recovery_point_arn));
            checks.push(super::copy_checks::cross_account_enabled(syncer, region.as_str()).await);
            let (ok, detail) = super::copy_checks::copy_key(syncer, rp, account.as_str()).await;
            keys_ok = ok;
            facts.push(detail);
            facts.push("the copy is encrypted with the destination vault's key".into());
        }
        Some(_) => facts.push("the copy is encrypted with the destination vault's key".into()),
        None => {}
    }
    checks.push(check("encryption keys", keys_ok, facts.join("; ")));
    checks
}

#[cfg(test)]
mod tests {
    use super::target_arn;

    /// Fidelity review item 14: the name check looks for the ARN AWS would create: RDS
    /// identifiers in lower case, in the recovery point's partition.
    #[test]
    fn the_target_arn_is_the_one_aws_would_create() {
        let params = |kind: &str, key: &str, name: &str, rp: &str| {
            serde_json::json!({"region": "us-gov-west-1", "restore_account_id": "111111111111",
                "resource_type": kind, "recovery_point_arn": rp, "metadata": {key: name}})
        };
        let gov = "arn:aws-us-gov:backup:us-gov-west-1:111111111111:recovery-point:x";
        assert_eq!(
            target_arn(&params("RDS", "dbInstanceIdentifier", "MyDB-Restored", gov)),
            Some(("mydb-restored".into(), "arn:aws-us-gov:rds:us-gov-west-1:111111111111:db:mydb-restored".into()))
        );
        assert_eq!(
            target_arn(&params("DynamoDB", "targetTableName", "Orders", "arn:aws:backup:x")).map(|t| t.1),
            Some("arn:aws:dynamodb:us-gov-west-1:111111111111:table/Orders".into())
        );
        assert_eq!(
            target_arn(&params("Aurora", "dbClusterIdentifier", "Orders-R", gov)).map(|t| t.1),
            Some("arn:aws-us-gov:rds:us-gov-west-1:111111111111:cluster:orders-r".into())
        );
        let mut s3 = params("S3", "DestinationBucketName", "orders-r", gov);
        assert_eq!(target_arn(&s3), None, "into the source bucket: nothing new to name");
        s3["metadata"]["NewBucket"] = "true".into();
        assert_eq!(target_arn(&s3).map(|t| t.1), Some("arn:aws-us-gov:s3:::orders-r".into()));
        assert_eq!(target_arn(&params("EBS", "volumeType", "gp3", gov)), None);
    }
}
