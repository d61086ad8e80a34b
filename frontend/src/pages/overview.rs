//! `/`: whether the backups restore, across every account, on one page.

use leptos::prelude::*;
use shared::{AccountSummary, Overview as Posture, ProtectedResource, RestoreJob, Summary, TestCounts};

use crate::components::{
    data_table, id_pager, loaded, resource_cell, thead, use_get, use_url, Badge, FilterChoice, TestsChart, Time,
};
use crate::format;

/// The accounts' page of the Overview and the Accounts page: its filter, cursors
/// and size.
const ACCOUNT_PAGE: [&str; 4] = ["account_id", "cursor", "before", "limit"];

/// The API query of a page of accounts: 50 unless the URL says how many.
pub fn account_page(q: &crate::url::Query) -> String {
    let size: &[(&str, &str)] = if q.get("limit").is_some() { &[] } else { &[("limit", "50")] };
    q.api(&ACCOUNT_PAGE, size)
}

#[component]
pub fn Overview() -> impl IntoView {
    let (query, _) = use_url();
    let summary = use_get(move || format!("/api/v1/summary{}", account_page(&query.read())));
    let posture = use_get(|| "/api/v1/overview".into());
    view! {
        <h1>"Overview"</h1>
        {loaded(posture, "the restore-test posture", |p: Posture| view! { <PostureView p=p /> })}
        <section aria-labelledby="accounts-h">
            <h2 id="accounts-h">"Accounts"</h2>
            <div class="filters" role="search" aria-label="Find an account">
                <FilterChoice name="account_id" list="accounts" label="Account" />
            </div>
            {loaded(summary, "the accounts", |s: Summary| {
                if s.accounts.is_empty() {
                    view! {
                        <p class="empty">
                            "No account has been synced yet. " <a href="/accounts">"Start a sync"</a>
                        </p>
                    }
                        .into_any()
                } else {
                    let shown = s.accounts.len();
                    view! {
                        <AccountsTable accounts=s.accounts />
                        {id_pager("accounts", shown, s.total, s.prev_cursor, s.next_cursor)}
                    }
                        .into_any()
                }
            })}
        </section>
    }
}

/// A key figure, in red when something needs attention.
fn big(problems: i64) -> &'static str {
    if problems > 0 {
        "big bad"
    } else {
        "big"
    }
}

#[component]
fn PostureView(p: Posture) -> impl IntoView {
    let now = format::parse_time(&p.generated_at).unwrap_or_default();
    let last30: Vec<_> = p.daily_tests.iter().rev().take(30).rev().cloned().collect();
    let t30: TestCounts = last30.iter().map(|d| d.tests).sum();
    let ages = p.backup_ages.clone();
    let stale = p.stale_after_days;
    view! {
        <div class="cards">
            <div class="card">
                <span class="big">{format::percent(t30.validated_pass_rate())}</span>
                <span>
                    {format!(
                        "of validated restore tests passed in 30 days ({} passed, {} failed in all)",
                        t30.passed,
                        t30.failed,
                    )}
                </span>
            </div>
            <a href="/restore-tests?outcome=restored" class="card">
                <span class="big">{format::percent(t30.validated_share())}</span>
                <span>
                    {format!(
                        "of completed restores validated in 30 days ({} restored without validation)",
                        t30.restored,
                    )}
                </span>
            </a>
            <a href="/resources?never_tested=true" class="card">
                <span class=big(p.never_tested)>{format::count(p.never_tested)}</span>
                <span>"resources never restore-tested"</span>
            </a>
            <a href=format!("/resources?not_tested_days={stale}") class="card">
                <span class=big(p.not_tested_recently)>
                    {format::count(p.not_tested_recently)}
                </span>
                <span>{format!("resources not tested in {stale} days")}</span>
            </a>
            <div class="card">
                <span class=big(ages.older + ages.never)>
                    {format::count(ages.older + ages.never)}
                </span>
                <span>"resources whose newest backup is over 7 days old, or missing"</span>
            </div>
        </div>
        <section aria-labelledby="tests-h">
            <h2 id="tests-h">"Restore tests"</h2>
            <div class="charts">
                <TestsChart days=last30 caption="Last 30 days" />
                <TestsChart days=p.daily_tests.clone() caption="Last 90 days" />
            </div>
        </section>
        <section aria-labelledby="failures-h">
            <h2 id="failures-h">"Latest failures"</h2>
            <Failures jobs=p.latest_failures.clone() />
            <p>
                <a href="/restore-tests?outcome=failed">"Every failed restore test"</a>
            </p>
        </section>
        <div class="two">
            <section aria-labelledby="untested-h">
                <h2 id="untested-h">{format!("Not restore-tested in {stale} days")}</h2>
                <ResourceList resources=p.untested_resources.clone() show_test=true now=now />
            </section>
            <section aria-labelledby="rpo-h">
                <h2 id="rpo-h">"Oldest newest backup (RPO)"</h2>
                <p class="muted">
                    {format!(
                        "Newest backup per resource: {} within 24 h, {} within 7 days, {} older, {} none.",
                        ages.within_24h,
                        ages.within_7d,
                        ages.older,
                        ages.never,
                    )}
                </p>
                <ResourceList resources=p.oldest_backups.clone() show_test=false now=now />
            </section>
        </div>
        <section aria-labelledby="rto-h">
            <h2 id="rto-h">"Measured restore times (RTO), 90 days"</h2>
            {if p.restore_times.is_empty() {
                view! { <p class="empty">"No restore has completed in 90 days, so no restore time is known."</p> }
                    .into_any()
            } else {
                let rows = p
                    .restore_times
                    .iter()
                    .map(|t| {
                        view! {
                            <tr>
                                <th scope="row">{t.resource_type.clone()}</th>
                                <td class="num">{format::count(t.restores)}</td>
                                <td class="num">{format::minutes(t.median_minutes)}</td>
                                <td class="num">{format::minutes(t.p90_minutes)}</td>
                                <td class="num">{format::minutes(t.max_minutes)}</td>
                            </tr>
                        }
                        .into_any()
                    })
                    .collect();
                data_table("", &["Resource type", "#Restores", "#Median", "#90th percentile", "#Longest"], rows)
            }}
        </section>
    }
}

#[component]
fn Failures(jobs: Vec<RestoreJob>) -> impl IntoView {
    if jobs.is_empty() {
        return view! { <p class="empty">"No restore test has failed."</p> }.into_any();
    }
    let rows = jobs
        .into_iter()
        .map(|j| {
            let (result, message) = if j.status == "FAILED" || j.status == "ABORTED" {
                (format!("restore {}", format::status_words(&j.status)), j.status_message)
            } else {
                let validation = format::status_words(j.validation_status.as_deref().unwrap_or_default());
                (format!("validation {validation}"), j.validation_message)
            };
            let resource = j.resource_arn.unwrap_or_default();
            view! {
                <tr>
                    <td>
                        <Time at=Some(j.created_at) />
                    </td>
                    {resource_cell(&resource, None, format!(" {}", j.resource_type))}
                    <td>
                        <a href=format!("/?account_id={}", j.account_id)>{j.account_id.clone()}</a>
                    </td>
                    <td>
                        <span class="badge bad">{result}</span>
                    </td>
                    <td class="message">{message.unwrap_or_else(|| "(no message)".into())}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    data_table("failures", &["Started", "Resource", "Account", "Result", "Message"], rows)
}

/// Resources with their last restore test (`show_test`) or their newest backup.
#[component]
fn ResourceList(resources: Vec<ProtectedResource>, show_test: bool, now: i64) -> impl IntoView {
    if resources.is_empty() {
        let empty = if show_test {
            "Every protected resource was restore-tested recently."
        } else {
            "No resource has a backup yet."
        };
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    let rows = resources
        .into_iter()
        .map(|r| {
            let when = if show_test { r.last_test_at } else { r.last_backup_at };
            let age = when.as_deref().and_then(format::parse_time).map(|t| format::age(now, t));
            let shown = match (when, age) {
                (Some(t), Some(age)) => view! {
                    <Time at=Some(t) />
                    <span class="muted">{format!(" ({age})")}</span>
                }
                .into_any(),
                _ => view! { <Badge status="never" /> }.into_any(),
            };
            let detail = format!(" {} · {}", r.resource_type, r.account_id);
            view! {
                <tr>
                    {resource_cell(&r.resource_arn, r.resource_name, detail)}
                    <td>{shown}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let heads: &'static [&'static str] =
        if show_test { &["Resource", "Last restore test"] } else { &["Resource", "Newest backup"] };
    data_table("", heads, rows)
}

#[component]
fn AccountsTable(accounts: Vec<AccountSummary>) -> impl IntoView {
    let rows = accounts
        .into_iter()
        .map(|a| {
            let t = a.restore_tests_30d;
            let tests = format!("/restore-tests?account_id={}", a.account_id);
            view! {
                <tr>
                    <th scope="row">
                        {a.name.clone()} " " <span class="id">{a.account_id.clone()}</span>
                    </th>
                    <td>
                        <a href="/accounts">
                            <Badge status=if a.sync_ok { "ok" } else { "error" } />
                        </a>
                    </td>
                    <td class="num">
                        <a href=format!("/recovery-points?account_id={}", a.account_id)>{format::count(a.recovery_points)}</a>
                    </td>
                    <td class="num">{format::count(a.protected_resources)}</td>
                    <td class="num">{t.passed}</td>
                    <td class="num">
                        <a href=format!("{tests}&outcome=restored")>{t.restored}</a>
                    </td>
                    <td class="num">
                        <a href=format!("{tests}&outcome=failed")>{t.failed}</a>
                    </td>
                    <td class="num">{format::percent(t.validated_share())}</td>
                    <td class="num">{format::percent(t.validated_pass_rate())}</td>
                    <td class="num">{a.resources_never_tested}</td>
                </tr>
            }
            .into_any()
        })
        .collect::<Vec<_>>();
    let heads = &[
        "Account",
        "Sync",
        "#Recovery points",
        "#Protected resources",
        "#Tests passed",
        "#Restored, not validated",
        "#Tests failed",
        "#Validated",
        "#Validated pass rate",
        "#Never tested",
    ];
    view! {
        <table class="accounts">
            <caption>"Restore tests of the last 30 days, per account"</caption>
            {thead(heads)}
            <tbody>{rows}</tbody>
        </table>
    }
}
