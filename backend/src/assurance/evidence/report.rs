//! `report.html`: the printable summary an auditor opens first, saying which
//! control each file of the pack evidences.

use maud::{html, Markup, PreEscaped, DOCTYPE};

use super::charts;
use super::gather::Figures;
use super::Scope;
use crate::config::AssuranceConfig;
use crate::time::rfc3339;

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;color:#1a202c;max-width:960px;margin:2em auto;padding:0 1em}
h1{font-size:24px}h2{font-size:18px;border-bottom:1px solid #cbd5e0;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #cbd5e0;padding:4px 6px;text-align:left;vertical-align:top}th{background:#edf2f7}
.ok{color:#22543d;font-weight:600}.bad{color:#9b2c2c;font-weight:600}.chart{width:100%;height:auto}code{font-size:12px;word-break:break-all}
.figures td:first-child{width:45%}@media print{h2{page-break-after:avoid}table,svg{page-break-inside:avoid}}
";

/// `ok` or `bad`, the classes a finding is shown in.
fn class(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "bad"
    }
}

/// `a` as a share of `b`, or `n/a` when `b` is 0.
fn percent(a: i64, b: i64) -> String {
    shared::percent(a, b).map_or_else(|| "n/a".into(), |p| format!("{p:.0}%"))
}

fn hours(minutes: Option<i64>) -> String {
    minutes.map(|m| format!("{:.1} h", m as f64 / 60.0)).unwrap_or_else(|| "none".into())
}

/// A person: the IdP's display name, which people can often edit themselves, and
/// the subject the console checks, set apart (security review, finding 19).
fn person(name: &str, subject: &str) -> Markup {
    html! { (name) " " code title="IdP subject" { (subject) } }
}

/// A text field of an Audit Manager item (a JSON object).
fn field<'a>(item: &'a serde_json::Value, name: &str) -> &'a str {
    item[name].as_str().unwrap_or_default()
}

/// The counts both the controls table and the key figures show.
struct Totals {
    resources: i64,
    covered: i64,
    tested: i64,
    never_tested: i64,
    outside_rpo: usize,
    outside_rto: usize,
    executed: usize,
}

impl Totals {
    fn of(f: &Figures) -> Self {
        let rows = &f.coverage.rows;
        Self {
            resources: rows.iter().map(|r| r.resources).sum(),
            covered: rows.iter().map(|r| r.covered).sum(),
            tested: rows.iter().map(|r| r.tested_recently).sum(),
            never_tested: rows.iter().map(|r| r.never_tested).sum(),
            outside_rpo: f.rpo.iter().filter(|r| r.backup_outside_target()).count(),
            outside_rto: f.restore_times.iter().filter(|r| !r.within_target()).count(),
            executed: f.requests.iter().filter(|r| r.status == shared::RequestStatus::Succeeded).count(),
        }
    }
}

/// The whole page; `defaults` are the configured RPO and RTO targets.
pub fn render(defaults: &AssuranceConfig, scope: &Scope, by: &str, now: i64, f: &Figures) -> String {
    let cov = &f.coverage;
    let t = Totals::of(f);
    let tests = &f.tests.all;
    let figures = [
        ("Protected resources in scope".to_string(), t.resources.to_string()),
        (
            "Covered by a restore testing selection".into(),
            format!("{} ({})", t.covered, percent(t.covered, t.resources)),
        ),
        (format!("Tested within {} days", cov.days), format!("{} ({})", t.tested, percent(t.tested, t.resources))),
        ("Never tested".into(), t.never_tested.to_string()),
        (
            "Restore tests in the period: passed / restored, not validated / failed".into(),
            format!("{} / {} / {}", tests.passed, tests.restored, tests.failed),
        ),
        (
            "Completed restores a validator judged".into(),
            format!("{} of {} ({})", tests.validated, tests.completed, percent(tests.validated, tests.completed)),
        ),
        ("Pass rate of validated tests".into(), percent(tests.passed, tests.validated)),
        ("Resources outside their RPO target at the end of the period".into(), t.outside_rpo.to_string()),
        ("Resources restored slower than their RTO target (p95)".into(), t.outside_rto.to_string()),
        (
            "Default targets".into(),
            format!("RPO {} h, RTO {} min (per type or resource where set)", defaults.rpo_hours, defaults.rto_minutes),
        ),
        (
            "AWS Backup Audit Manager".into(),
            format!(
                "{} frameworks, {} report plans found",
                f.audit_manager.frameworks.len(),
                f.audit_manager.report_plans.len()
            ),
        ),
    ];
    let mut restore_times: Vec<_> = f.restore_times.iter().collect();
    restore_times.sort_by_key(|r| std::cmp::Reverse(r.p95_minutes - r.target_minutes));
    let mut rpo: Vec<_> = f.rpo.iter().collect();
    rpo.sort_by_key(|r| std::cmp::Reverse(r.age_minutes(r.backup_at).unwrap_or(i64::MAX)));

    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                title { "Backup and recovery evidence" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                h1 { "Backup and recovery evidence" }
                p {
                    strong { "Scope:" } " " (scope.describe()) br;
                    strong { "Generated:" } " " (rfc3339(now)) " by " (by) " with Recovery Console " (env!("CARGO_PKG_VERSION")) "."
                }
                (controls(f, &t))

                h2 { "Key figures" }
                table.figures {
                    @for (name, value) in &figures {
                        tr { td { (name) } td { (value) } }
                    }
                }
                h2 { "Restore tests per day" }
                (charts::tests_per_day(&f.tests.by_day))
                (outcomes())
                h2 { "Resources tested recently, per account" }
                (charts::tested_per_account(&cov.rows))

                h2 { "Coverage gaps" }
                @if cov.gaps.is_empty() {
                    p.ok { "None: every resource in scope is named by a selection or was tested recently." }
                } @else {
                    table {
                        tr { th { "Resource" } th { "Account" } th { "Type" } th { "Last test" } }
                        @for g in cov.gaps.iter().take(50) {
                            tr {
                                td { code { (g.resource_arn) } }
                                td { (g.account_id) }
                                td { (g.resource_type) }
                                td { (g.last_test_at.as_deref().unwrap_or("never")) }
                            }
                        }
                    }
                }

                h2 { "Restore times against RTO targets" }
                table {
                    tr { th { "Resource" } th { "Restores" } th { "p50" } th { "p95" } th { "Longest" } th { "Target" } }
                    @for r in restore_times.iter().take(50) {
                        tr {
                            td { code { (r.resource_arn) } }
                            td { (r.restores) }
                            td { (r.p50_minutes) " min" }
                            td class=(class(r.within_target())) { (r.p95_minutes) " min" }
                            td { (r.max_minutes) " min" }
                            td { (r.target_minutes) " min" }
                        }
                    }
                }

                h2 { "Recovery point objectives" }
                table {
                    tr { th { "Resource" } th { "Target" } th { "Newest backup age" } th { "Newest central copy age" } }
                    @for r in rpo.iter().take(50) {
                        tr {
                            td { code { (r.resource.resource_arn) } }
                            td { (r.target_hours) " h" }
                            td class=(class(!r.backup_outside_target())) { (hours(r.age_minutes(r.backup_at))) }
                            td { (hours(r.age_minutes(r.copy_at))) }
                        }
                    }
                }

                h2 { "Drills" }
                @if f.drills.is_empty() {
                    p { "No drills in the period." }
                } @else {
                    table {
                        tr {
                            th { "Drill" } th { "Resource" } th { "Outcome" } th { "Measured RTO" }
                            th { "RPO of the point used" } th { "Steps" }
                        }
                        @for d in &f.drills {
                            @let steps: Vec<String> =
                                d.steps.iter().map(|s| format!("{} {}", s.step, s.at.as_deref().unwrap_or("-"))).collect();
                            tr {
                                td { (d.scenario) br; (d.id) }
                                td { code { (d.resource_arn) } }
                                td class=(class(d.outcome.as_deref() == Some("passed"))) { (d.outcome.as_deref().unwrap_or(d.status.as_str())) }
                                td {
                                    (d.measured_rto_minutes.map(|m| format!("{m} min")).unwrap_or_else(|| "-".into()))
                                    " (target " (d.rto_target_minutes) " min)"
                                }
                                td { (d.rpo_minutes) " min (target " (d.rpo_target_hours) " h)" }
                                td { (steps.join("; ")) }
                            }
                        }
                    }
                }

                h2 { "Requests and approvals" }
                @if f.requests.is_empty() {
                    p { "No restore or copy requests in the period." }
                } @else {
                    table {
                        tr { th { "Request" } th { "Requested by" } th { "Approved by" } th { "Status" } th { "Jobs" } }
                        @for r in f.requests.iter().take(200) {
                            @let jobs: Vec<&str> = [&r.copy_job_id, &r.restore_job_id].into_iter().flatten().map(String::as_str).collect();
                            tr {
                                td { (r.kind) " " (r.id) br; code { (r.params_hash) } }
                                td { (person(&r.requester_name, &r.requester)) " " (r.created_at) }
                                td {
                                    @for (i, d) in r.decisions.iter().enumerate() {
                                        @if i > 0 { "; " }
                                        (person(&d.approver_name, &d.approver)) " (" (d.decision) ") " (d.at)
                                    }
                                }
                                td { (r.status) }
                                td { (jobs.join(", ")) }
                            }
                        }
                    }
                }

                (audit_manager(f))

                h2 { "Audit log" }
                p {
                    "The pack holds the whole audit chain (" code { "audit/audit-log.ndjson" } ", "
                    (f.audit.entries) " records) and its verification. Check it offline: "
                    code { "python3 audit/verify-audit-export.py audit/audit-log.ndjson --head " (f.audit_head) }
                    " (standard library only). Compare the head with one kept outside the console to detect a rewritten or truncated chain."
                }
            }
        }
    };
    let mut html = page.into_string();
    html.push('\n');
    html
}

/// What each restore-test outcome means (`shared::TestOutcome`; the `outcome` column of
/// `restore-tests.csv`) and how a test came to be validated.
fn outcomes() -> Markup {
    html! {
        table {
            tr { th { "Outcome" } th { "Meaning" } }
            tr { td { "passed" } td { "The restore completed and a validator reported SUCCESSFUL to AWS Backup (PutRestoreValidationResult) within the selection's validation window." } }
            tr { td { "restored" } td { "The restore completed, but no validator reported a result: none is configured, the validation window is 0 hours, or the window is still open. The data was restorable; its content was not checked." } }
            tr { td { "failed" } td { "The restore failed, or was aborted because it could not start within the plan's start window, or a validator reported FAILED, or the validation window closed without a result (TIMED_OUT). The reason is in restore-tests.csv." } }
        }
        p {
            "A validation status comes from whoever calls PutRestoreValidationResult for the job: Recovery Console's own validator when checks are configured for the plan or selection, or a team's own code. "
            code { "restore-tests.csv" } " names the validator of each test in " code { "validated_by" } "."
        }
    }
}

/// The table of controls and what the pack finds for each.
fn controls(f: &Figures, t: &Totals) -> Markup {
    let audit_ok = f.audit.valid;
    html! {
        h2 { "Controls evidenced" }
        table {
            tr { th { "Control" } th { "What it asks" } th { "Evidence in this pack" } th { "Finding" } }
            tr {
                td { "ISO/IEC 27001:2022 Annex A 8.13 Information backup" }
                td { "Backup copies of information, software and systems are maintained and regularly tested in line with the agreed backup policy." }
                td { code { "coverage.json" } ", " code { "rpo.csv" } ", " code { "restore-tests.csv" } ", " code { "aws-backup-audit-manager.json" } }
                td {
                    (t.covered) " of " (t.resources) " resources covered by a restore testing selection; " (t.tested)
                    " restored by a restore test within " (f.coverage.days) " days (as of this pack); " (t.outside_rpo)
                    " outside their RPO target."
                }
            }
            tr {
                td { "SOC 2 (2017 TSC) A1.3 Recovery plan testing" }
                td { "The entity tests recovery plan procedures supporting system recovery to meet its objectives." }
                td { code { "restore-tests.csv" } ", " code { "restore-times.csv" } ", " code { "drills.json" } ", " code { "requests.json" } }
                td {
                    (f.tests.all.passed) " restore tests passed a validation, " (f.tests.all.restored) " restored without one and " (f.tests.all.failed) " failed in the period; " (f.drills.len())
                    " drills; " (t.outside_rto) " resources restored slower than their RTO target (p95)."
                }
            }
            tr {
                td { "Integrity of this record (supports both)" }
                td { "Recoveries were approved by a second person and every step was logged tamper-evidently." }
                td { code { "requests.json" } ", " code { "audit/" } }
                td {
                    (f.requests.len()) " requests in the period (" (t.executed) " executed); audit chain "
                    span class=(class(audit_ok)) { @if audit_ok { "verified" } @else { "BROKEN" } }
                    ", head " code { (f.audit_head) } "."
                }
            }
        }
    }
}

/// The frameworks and report plans found, and the accounts that could not be read.
fn audit_manager(f: &Figures) -> Markup {
    let am = &f.audit_manager;
    html! {
        h2 { "AWS Backup Audit Manager" }
        @if am.frameworks.is_empty() && am.report_plans.is_empty() {
            p { "No frameworks or report plans found in the accounts of the scope." }
        }
        @if !am.frameworks.is_empty() {
            table {
                tr { th { "Framework" } th { "Account and region" } th { "Controls" } th { "Status" } }
                @for fw in &am.frameworks {
                    tr {
                        td { (field(fw, "name")) }
                        td { (field(fw, "account_id")) " " (field(fw, "region")) }
                        td { (fw["controls"]) }
                        td { (field(fw, "deployment_status")) }
                    }
                }
            }
        }
        @if !am.report_plans.is_empty() {
            table {
                tr { th { "Report plan" } th { "Account and region" } th { "Template" } th { "Last successful run" } }
                @for p in &am.report_plans {
                    tr {
                        td { (field(p, "name")) }
                        td { (field(p, "account_id")) " " (field(p, "region")) }
                        td { (field(p, "template")) }
                        td { (p["last_successful_execution"].as_str().unwrap_or("never")) }
                    }
                }
            }
        }
        @for e in &am.errors {
            p.bad { "Not read: " (e) }
        }
    }
}
