//! Pre-flight of a copy into another account: what AWS requires before the copy
//! job can succeed, checked before anyone approves. Sources: AWS Backup Developer
//! Guide, "Creating backup copies across AWS accounts" and "Encryption for a backup
//! copy to a different account"; re:Post "backup-troubleshoot-cross-account-copy";
//! the Backup model (`StartCopyJob`: "Does not support continuous backups";
//! `DescribeGlobalSettings`: `isCrossAccountBackupEnabled`).
//!
//! What the console cannot check: a key policy (KMS `GetKeyPolicy` needs the key
//! owner's permission and the console does not read policies). It asks KMS
//! `DescribeKey` from the destination account instead: AWS answers only when the key
//! policy admits that account, which is what sharing the key means; it cannot tell
//! whether the policy grants `kms:CreateGrant` and `kms:Decrypt` besides.

use shared::{PreflightCheck, RecoveryPoint};

use crate::aws::failure;
use crate::sync::Syncer;

fn check(name: &str, ok: Option<bool>, detail: impl Into<String>) -> PreflightCheck {
    PreflightCheck { check: name.into(), ok, detail: detail.into() }
}

/// The service part of an ARN (`arn:PARTITION:SERVICE:...`).
fn arn_service(arn: &str) -> Option<&str> {
    arn.split(':').nth(2)
}

/// Whether AWS Backup can copy the recovery point to another account at all.
pub fn copyable(arn: &str) -> PreflightCheck {
    let name = "recovery point can be copied";
    if arn.contains(":recovery-point:continuous:") {
        check(name, Some(false), "a continuous recovery point: StartCopyJob does not copy continuous backups")
    } else if arn_service(arn) == Some("dynamodb") {
        check(
            name,
            Some(false),
            "a DynamoDB backup without advanced backup (arn:aws:dynamodb:...:backup/...): only backups with DynamoDB advanced backup enabled are copied to other accounts",
        )
    } else {
        check(name, Some(true), "a snapshot (periodic) recovery point")
    }
}

/// `isCrossAccountBackupEnabled` of the organization, read in the management account
/// (the console's own credentials).
pub async fn cross_account_enabled(syncer: &Syncer, region: &str) -> PreflightCheck {
    let name = "cross-account backup enabled";
    match syncer.aws().hub_backup(region).describe_global_settings().send().await {
        Ok(out) => {
            let value = out.global_settings().and_then(|g| g.get("isCrossAccountBackupEnabled")).map(String::as_str);
            match value {
                Some("true") => check(name, Some(true), "AWS Backup's cross-account backup is on in the organization"),
                Some(v) => check(
                    name,
                    Some(false),
                    format!("isCrossAccountBackupEnabled is {v}: turn on cross-account backup in the management account's AWS Backup settings"),
                ),
                None => check(name, None, "DescribeGlobalSettings did not report isCrossAccountBackupEnabled"),
            }
        }
        Err(e) => check(name, None, format!("DescribeGlobalSettings failed: {}", failure(&e))),
    }
}

/// The recovery point's key, for a copy to `destination`: types AWS Backup fully
/// manages (their recovery points are `arn:aws:backup:...` ARNs) are re-encrypted with
/// the destination vault's key; the others (RDS, Aurora, EBS, EC2, ...) keep the
/// source's key, which must be customer managed and shared with the destination.
pub async fn copy_key(syncer: &Syncer, rp: &RecoveryPoint, destination: &str) -> (Option<bool>, String) {
    if arn_service(&rp.recovery_point_arn) == Some("backup") {
        return (Some(true), "AWS Backup fully manages this type: the copy takes the destination vault's key".into());
    }
    let Some(key) = rp.encryption_key_arn.as_deref() else {
        return (None, "AWS reports no key for the recovery point: cannot tell whether the copy can use it".into());
    };
    let describe = |account: String| async move {
        let role = syncer.read_role(&account).await.map_err(|e| e.to_string())?;
        let role = role.ok_or_else(|| format!("account {account} is not registered"))?;
        syncer.aws().kms(&role, &rp.region).await.describe_key().key_id(key).send().await.map_err(|e| {
            let f = failure(&e);
            if f.code == "AccessDeniedException" {
                "denied".to_string()
            } else {
                f.to_string()
            }
        })
    };
    match describe(rp.account_id.clone()).await {
        Ok(out) => {
            let manager = out.key_metadata().and_then(|m| m.key_manager()).map(|m| m.as_str().to_string());
            if manager.as_deref() == Some("AWS") {
                return (
                    Some(false),
                    format!("{key} is an AWS managed key (such as aws/rds or aws/ebs): it cannot be shared, so the copy to account {destination} fails; back the resource up with a customer managed key"),
                );
            }
        }
        Err(e) => return (None, format!("KMS DescribeKey of {key} in account {}: {e}", rp.account_id)),
    }
    match describe(destination.to_string()).await {
        Ok(_) => (
            Some(true),
            format!("{key} is customer managed and its key policy admits account {destination} (KMS DescribeKey from there succeeds; the console cannot read whether it grants kms:CreateGrant and kms:Decrypt)"),
        ),
        Err(e) if e == "denied" => (
            Some(false),
            format!("{key} is customer managed but its key policy does not admit account {destination} (KMS DescribeKey from there is denied): share the key with the destination account"),
        ),
        Err(e) => (None, format!("KMS DescribeKey of {key} from account {destination}: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::copyable;

    #[test]
    fn continuous_and_dynamodb_managed_recovery_points_cannot_be_copied() {
        let ok = |arn: &str| copyable(arn).ok;
        assert_eq!(ok("arn:aws:backup:ap-southeast-2:111111111111:recovery-point:continuous:db-abc-1234"), Some(false));
        assert_eq!(
            ok("arn:aws:dynamodb:ap-southeast-2:111111111111:table/T/backup/01700000000000-abcdef12"),
            Some(false)
        );
        assert_eq!(ok("arn:aws:backup:ap-southeast-2:111111111111:recovery-point:1EB3B5E7-9EB0-435A"), Some(true));
        assert_eq!(ok("arn:aws:rds:ap-southeast-2:111111111111:snapshot:awsbackup:job-1"), Some(true));
        assert_eq!(ok("arn:aws:ec2:ap-southeast-2::snapshot/snap-0123"), Some(true));
    }
}
