//! Runbooks generated from the live state: for a scenario and a resource, the
//! recovery point to use, the accounts, vaults, keys, roles and vault policy
//! involved, the pre-flight checks of the request it would start, and its steps.
//! Drills follow the same plan.

use shared::{
    NewRequest, ProtectedResource, RecoveryPoint, RequestKind, Runbook, RunbookFact, RunbookStep, Scenario, Vault,
};

use crate::app::{AppError, Console};
use crate::store::ListQuery;

/// What following a scenario for one resource needs, from the synced inventory.
pub struct Plan {
    pub scenario: Scenario,
    pub resource: ProtectedResource,
    pub recovery_point: Option<RecoveryPoint>,
    /// Cross-account: the vault in the resource's account that takes the copy.
    pub destination: Option<Vault>,
    pub source_vault: Option<Vault>,
    /// The request the runbook's main step starts (when nothing blocks it).
    pub request: Option<NewRequest>,
    pub target_name: String,
    pub restore_account_id: String,
    pub blockers: Vec<String>,
}

/// Checks a scenario name and that it fits the resource type (the cross-account
/// scenario fits every type the console restores).
pub fn check_scenario(scenario: &str, resource_type: &str) -> Result<Scenario, AppError> {
    let known: Scenario =
        scenario.parse().map_err(|e: shared::UnknownValue| AppError::bad("invalid_scenario", e.to_string()))?;
    if !scenarios_for(resource_type).contains(&known) {
        return Err(AppError::Unprocessable {
            code: "scenario_mismatch",
            message: format!("scenario {scenario} does not apply to a {resource_type} resource"),
        });
    }
    Ok(known)
}

/// The scenarios that apply to a resource type: its in-account restore, then the cross-account one.
pub fn scenarios_for(resource_type: &str) -> Vec<Scenario> {
    let own = Scenario::ALL.iter().copied().filter(|s| s.restores().is_some_and(|(t, _)| t == resource_type));
    let mut all: Vec<Scenario> = own.collect();
    if !all.is_empty() {
        all.push(Scenario::CrossAccountRestore);
    }
    all
}

/// What the restore makes, for the runbook's words (`an EBS volume`).
fn noun(resource_type: &str) -> &'static str {
    Scenario::ALL
        .iter()
        .find_map(|s| s.restores().filter(|(t, _)| *t == resource_type).map(|(_, noun)| noun))
        .unwrap_or("resource")
}

/// A name for the new resource: the old name, a label and the time (minutes), in
/// the characters both DynamoDB and RDS accept.
pub fn target_name(resource: &ProtectedResource, label: &str, now: i64) -> String {
    let base = resource.resource_name.clone().unwrap_or_else(|| "restored".into());
    let mut clean: String =
        base.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    clean.truncate(30);
    if !clean.starts_with(|c: char| c.is_ascii_alphabetic()) {
        clean.insert(0, 'r');
    }
    let stamp: String = crate::time::rfc3339(now).chars().filter(char::is_ascii_digit).take(12).collect();
    let name = format!("{}-{label}-{stamp}", clean.trim_end_matches('-'));
    name.split('-').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

pub async fn resource(s: &Console, arn: &str) -> Result<ProtectedResource, AppError> {
    let found = s.store.owned_protected_resource(arn, s.now()).await?;
    found.ok_or_else(|| AppError::NotFound(format!("protected resource {arn:?} is not in the inventory")))
}

async fn vault(s: &Console, account: &str, region: &str, name: &str) -> Result<Option<Vault>, AppError> {
    let q = ListQuery {
        limit: 5,
        account_id: Some(account.into()),
        region: Some(region.into()),
        vault: Some(name.into()),
        ..Default::default()
    };
    Ok(s.store.list_vaults(&q).await?.0.into_iter().find(|v| v.name == name))
}

/// What the scenario needs for the resource, and what blocks it now.
pub async fn plan(s: &Console, scenario: &str, resource_arn: &str, label: &str) -> Result<Plan, AppError> {
    let resource = resource(s, resource_arn).await?;
    let known = check_scenario(scenario, &resource.resource_type)?;
    let cfg = s.syncer.config();
    let cross = scenario == "cross_account_restore";
    let q =
        ListQuery { limit: 200, resource_arn: Some(resource.resource_arn.clone()), usable: true, ..Default::default() };
    let (points, _) = s.store.list_recovery_points(&q).await?;
    // Restores happen in the recovery point's region: only points in the resource's region serve.
    let recovery_point = points.into_iter().filter(|rp| rp.region == resource.region).find(|rp| {
        if cross {
            super::is_central(&cfg.assurance, &resource.account_id, &rp.account_id, &rp.vault_arn)
        } else {
            rp.account_id == resource.account_id
        }
    });
    let mut blockers = Vec::new();
    let mut destination = None;
    if recovery_point.is_none() {
        blockers.push(if cross {
            "no completed copy of the resource in a central vault".to_string()
        } else {
            format!("no usable (COMPLETED or AVAILABLE) recovery point in account {}", resource.account_id)
        });
    }
    let mut source_vault = None;
    if let Some(rp) = &recovery_point {
        source_vault = vault(s, &rp.account_id, &rp.region, &rp.vault_name).await?;
        if cross {
            // A vault in the resource's account whose policy lets the central account copy in.
            let q = ListQuery {
                limit: 100,
                account_id: Some(resource.account_id.clone()),
                region: Some(resource.region.clone()),
                ..Default::default()
            };
            let (vaults, _) = s.store.list_vaults(&q).await?;
            // The copy leaves from the central account, a member of the organization; a
            // policy that the console cannot evaluate is offered too (the pre-flight says why).
            let organization = s.syncer.organization().await.ok();
            let copying = crate::actions::CopyingAccount {
                account_id: &rp.account_id,
                in_organization: organization.as_ref().map(|o| o.has_active(&rp.account_id)),
                organization_id: organization.as_ref().map(|o| o.id.as_str()),
            };
            destination = vaults.into_iter().find(|v| {
                v.access_policy.as_deref().is_some_and(|p| {
                    !matches!(crate::actions::copy_verdict(p, &copying), crate::actions::PolicyVerdict::Refuses(_))
                })
            });
            if destination.is_none() {
                blockers.push(format!(
                    "no vault in {} {} lets account {} copy in (backup:CopyIntoBackupVault in its access policy)",
                    resource.account_id, resource.region, rp.account_id
                ));
            }
        }
    }
    let now = s.now();
    let target = target_name(&resource, label, now);
    let restore_account_id = resource.account_id.clone();
    let request = match (&recovery_point, blockers.is_empty()) {
        (Some(rp), true) => {
            // The new resource's name where the type needs one; everything else comes
            // from the recovery point's own restore metadata.
            let metadata = crate::actions::new_resource_metadata(&resource.resource_type, &target);
            Some(NewRequest {
                kind: if cross { RequestKind::CrossAccountRestore } else { RequestKind::Restore },
                recovery_point_arn: rp.recovery_point_arn.clone(),
                metadata,
                destination_vault_arn: destination.as_ref().map(|v| v.arn.clone()),
                justification: format!("Runbook {}: {}", scenario, known.title()),
                ..Default::default()
            })
        }
        _ => None,
    };
    Ok(Plan {
        scenario: known,
        resource,
        recovery_point,
        destination,
        source_vault,
        request,
        target_name: target,
        restore_account_id,
        blockers,
    })
}

/// The runbook of a plan, with live pre-flight checks and the team's notes.
pub async fn runbook(s: &Console, plan: Plan) -> Result<Runbook, AppError> {
    let cfg = s.syncer.config();
    let r = &plan.resource;
    let cross = plan.scenario == Scenario::CrossAccountRestore;
    let fact = |name: &str, value: String| RunbookFact { name: name.to_string(), value };
    let crate::domain::Target { rpo_hours, rto_minutes } =
        s.store.targets(&cfg.assurance).await?.of(&r.resource_type, &r.resource_arn);
    let mut facts = vec![
        fact("Resource", format!("{} ({})", r.resource_name.clone().unwrap_or_default(), r.resource_arn)),
        fact("Resource account and region", format!("{} {}", r.account_id, r.region)),
        fact("Targets", format!("RPO {rpo_hours} h, RTO {rto_minutes} min")),
    ];
    let mut checks = Vec::new();
    if let Some(rp) = &plan.recovery_point {
        facts.push(fact("Recovery point", format!("{} (created {})", rp.recovery_point_arn, rp.created_at)));
        facts.push(fact("Source vault", format!("{} in account {}", rp.vault_arn, rp.account_id)));
        facts.push(fact(
            "Recovery point key",
            rp.encryption_key_arn.clone().unwrap_or_else(|| "AWS owned key (not encrypted with a customer key)".into()),
        ));
        if let Some(v) = &plan.source_vault {
            facts.push(fact("Source vault key", v.encryption_key_arn.clone().unwrap_or_else(|| "unknown".into())));
        }
        if cross {
            facts.push(fact("Copy role (AWS Backup, central account)", cfg.backup_role(&rp.account_id)));
        }
        if let Some(request) = &plan.request {
            let registered = s.syncer.registered_accounts().await?;
            let base = crate::actions::restore_base(s, request, rp).await?;
            let (params, _) = crate::actions::canonical_params(request, rp, cfg, &registered, &base)?;
            checks = crate::actions::preflight(&s.syncer, &s.store, &params, rp).await;
        }
    }
    if let Some(v) = &plan.destination {
        facts.push(fact("Destination vault", format!("{} in account {}", v.arn, v.account_id)));
        facts.push(fact("Destination vault key", v.encryption_key_arn.clone().unwrap_or_else(|| "unknown".into())));
    }
    facts.push(fact("Restore role (AWS Backup)", cfg.backup_role(&plan.restore_account_id)));
    let operator = s.syncer.operator_role(&plan.restore_account_id).await?;
    facts.push(fact(
        "Console operator role",
        operator.map(|o| o.role_arn).unwrap_or_else(|| "none configured: the console cannot act here".into()),
    ));
    facts.push(fact("New resource name", plan.target_name.clone()));

    let noun = noun(&r.resource_type);
    let type_name = super::drills::cloud_control_type(&r.resource_type).unwrap_or("its type");
    // Types whose new resource AWS names: the request carries no name, the job says which it made.
    let named = !crate::actions::new_resource_metadata(&r.resource_type, "").is_empty();
    let mut steps = vec![RunbookStep {
        title: "Check the pre-flight results".into(),
        detail: "Every check below must pass: the recovery point is COMPLETED or AVAILABLE as AWS reports it now, the new name is free, the accounts are active members of the organization and the destination vault lets the copy in.".into(),
        request: None,
    }];
    steps.push(RunbookStep {
        title: if cross {
            "Request the cross-account restore (copy into the resource's account, then restore)".into()
        } else {
            format!("Request the restore into a new {noun}")
        },
        detail: format!(
            "AWS Backup restores into a new {noun} {}; nothing is restored over the existing resource.{}",
            if named { format!("named {}", plan.target_name) } else { "(AWS gives it its id: the restore job's created resource)".into() },
            if cross { " The copy runs first, with the central account's backup role; the restore follows in the resource's account." } else { "" }
        ),
        request: plan.request.clone(),
    });
    steps.push(RunbookStep {
        title: "Have a second person approve the exact request".into(),
        detail: "An approver (not the requester) approves the request's parameter hash; the console then runs it exactly once.".into(),
        request: None,
    });
    steps.push(RunbookStep {
        title: format!("Validate the new {noun}"),
        detail: format!(
            "Check the {noun} with Cloud Control GetResource ({type_name}) and the application's own checks: row counts, recent writes, files, connectivity."
        ),
        request: None,
    });
    steps.push(RunbookStep {
        title: "Switch over or clean up".into(),
        detail: format!("Point the application at the new {noun}, or delete it (Cloud Control DeleteResource) when it was a test. Record the times in the drill report."),
        request: None,
    });
    let notes = s.store.runbook_notes(plan.scenario.as_str(), &r.resource_arn).await?;
    let vault_policy = plan.destination.as_ref().and_then(|v| v.access_policy.clone());
    Ok(Runbook {
        title: format!(
            "{}: {}",
            plan.scenario.title(),
            r.resource_name.clone().unwrap_or_else(|| r.resource_arn.clone())
        ),
        scenario: plan.scenario,
        resource_arn: r.resource_arn.clone(),
        generated_at: crate::time::rfc3339(s.now()),
        facts,
        vault_policy,
        checks,
        steps,
        notes_updated_by: notes.as_ref().map(|n| n.1.clone()),
        notes_updated_at: notes.as_ref().map(|n| crate::time::rfc3339(n.2)),
        notes: notes.map(|n| n.0).unwrap_or_default(),
        blockers: plan.blockers,
    })
}

/// The runbook as Markdown.
pub fn markdown(rb: &Runbook) -> String {
    let mut out = format!(
        "# {}\n\nScenario `{}`, generated {} from the console's live state.\n\n",
        rb.title, rb.scenario, rb.generated_at
    );
    if !rb.blockers.is_empty() {
        out.push_str("## Blocked\n\n");
        for b in &rb.blockers {
            out.push_str(&format!("- {b}\n"));
        }
        out.push('\n');
    }
    out.push_str("## What it needs\n\n| | |\n|---|---|\n");
    for f in &rb.facts {
        out.push_str(&format!("| {} | `{}` |\n", f.name, f.value.replace('|', "\\|")));
    }
    if let Some(p) = &rb.vault_policy {
        out.push_str(&format!("\nDestination vault access policy:\n\n```json\n{p}\n```\n"));
    }
    out.push_str("\n## Pre-flight checks\n\n");
    if rb.checks.is_empty() {
        out.push_str("(none could run: see above)\n");
    }
    for c in &rb.checks {
        let mark = match c.ok {
            Some(true) => "pass",
            Some(false) => "FAIL",
            None => "unknown",
        };
        out.push_str(&format!("- **{mark}** {}: {}\n", c.check, c.detail));
    }
    out.push_str("\n## Steps\n\n");
    for (i, step) in rb.steps.iter().enumerate() {
        out.push_str(&format!("{}. **{}**. {}\n", i + 1, step.title, step.detail));
        if let Some(req) = &step.request {
            let json = serde_json::to_string_pretty(req).unwrap_or_default();
            out.push_str(&format!("\n   `POST /api/v1/requests`:\n\n   ```json\n{}\n   ```\n", indent(&json)));
        }
    }
    out.push_str("\n## Notes\n\n");
    if rb.notes.trim().is_empty() {
        out.push_str("(no notes yet)\n");
    } else {
        out.push_str(rb.notes.trim_end());
        out.push('\n');
        if let (Some(by), Some(at)) = (&rb.notes_updated_by, &rb.notes_updated_at) {
            out.push_str(&format!("\n_Last edited by {by} at {at}._\n"));
        }
    }
    out
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("   {l}")).collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
mod tests {
    #[test]
    fn target_names_fit_dynamodb_and_rds() {
        let mut r = shared::ProtectedResource {
            resource_arn: "arn:aws:dynamodb:ap-southeast-2:111111111111:table/Orders_2024".into(),
            account_id: "111111111111".into(),
            region: "ap-southeast-2".into(),
            resource_type: "DynamoDB".into(),
            resource_name: Some("Orders_2024".into()),
            last_backup_at: None,
            last_backup_vault_arn: None,
            last_recovery_point_arn: None,
            latest_restore_minutes: None,
            latest_restore_job_created_at: None,
            latest_restore_recovery_point_created_at: None,
            last_test_at: None,
            last_test_outcome: None,
            tags: None,
        };
        let name = super::target_name(&r, "drill", 1_795_000_000_000);
        assert!(name.starts_with("orders-2024-drill-"), "{name}");
        assert!(name.len() <= 63 && !name.contains("--"));
        r.resource_name = Some("9lives".into());
        assert!(super::target_name(&r, "restored", 0).starts_with("r9lives-restored-"));
    }
}
