//! `/resources`: the protected resources, their newest backup and last restore
//! test; the selected one (`?resource=<arn>`) with a timeline of its backups,
//! copies and restores, its restore times against the RTO target and the time
//! between its backups against the RPO target.

use leptos::prelude::*;
use shared::{BackupJob, CopyJob, Page, ProtectedResource, RestoreJob, RestoreValidation};
use shared::{ResourceRestoreTimes, ResourceRpo};

use super::assurance::{RpoChart, RtoChart};

use crate::components::{
    data_table, fixed, href_with, load_failed, loaded, loaded_page, loading, types, use_get, use_list, use_url, Badge,
    ClearFilters, Fetched, FilterChoice, FilterSelect, Time,
};
use crate::url::encode;
use crate::{format, sort};

/// How many jobs of each kind the timeline shows.
const TIMELINE: usize = 50;

const FILTERS: [&str; 5] = ["account_id", "region", "resource_type", "never_tested", "not_tested_days"];

#[component]
pub fn Resources() -> impl IntoView {
    let (query, _) = use_url();
    let page = use_list("/api/v1/protected-resources", &FILTERS, &[]);
    let selected = Memo::new(move |_| query.read().get("resource").map(str::to_string));
    view! {
        <h1>"Protected resources"</h1>
        <div class="filters" role="search" aria-label="Filter resources">
            <FilterChoice name="account_id" list="accounts" label="Account" />
            <FilterChoice name="region" list="regions" label="Region" />
            <FilterSelect name="resource_type" label="Resource type" options=types() />
            <FilterSelect name="never_tested" label="Never restore-tested" options=fixed(&["true"]) all="Any" />
            <FilterSelect
                name="not_tested_days"
                label="Not restore-tested in"
                options=Signal::stored(
                    [7, 30, 90].iter().map(|d| (d.to_string(), format!("{d} days"))).collect::<Vec<_>>(),
                )
                all="Any time"
            />
            <ClearFilters keys=&FILTERS />
        </div>
        {move || selected.get().map(|arn| view! { <Timeline arn=arn /> })}
        {loaded_page(page, "protected resources", &FILTERS, resources_table)}
    }
}

fn resources_table(items: Vec<ProtectedResource>) -> AnyView {
    let (query, _) = use_url();
    let q = query.get_untracked();
    let rows = items
        .into_iter()
        .map(|r| {
            let href = href_with(&q, "/resources", "resource", Some(&r.resource_arn));
            let name = r.resource_name.clone().unwrap_or_else(|| format::arn_name(&r.resource_arn).into());
            let outcome = match (&r.last_test_at, r.last_test_outcome) {
                (None, _) => "never",
                (Some(_), Some(o)) => o.as_str(),
                (Some(_), None) => "running",
            };
            view! {
                <tr>
                    <td>
                        <a href=href>{name}</a>
                        <span class="muted">{format!(" {}", r.resource_type)}</span>
                    </td>
                    <td>{r.account_id.clone()} <span class="muted">{format!(" {}", r.region)}</span></td>
                    <td>
                        <Time at=r.last_backup_at.clone() />
                    </td>
                    <td>
                        <Badge status=outcome />
                        " "
                        <Time at=r.last_test_at.clone() />
                    </td>
                    <td class="num">{r.latest_restore_minutes.map(format::minutes).unwrap_or_else(|| "–".into())}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let heads = &["Resource", "Account", "Newest backup", "Last restore test", "#Latest restore took"];
    data_table("", heads, rows)
}

/// One event of a resource's history.
struct Event {
    at: String,
    kind: &'static str,
    status: String,
    text: String,
    link: Option<String>,
}

type History = (Page<BackupJob>, Page<CopyJob>, Page<RestoreJob>, Page<RestoreValidation>);

/// The resource's backup, copy and restore jobs and the console's validations once all four lists have come.
fn history(lists: [Fetched; 4]) -> Option<Result<History, String>> {
    let [b, c, r, v] = lists.map(|l| l.get());
    let (b, c, r, v) = (b?, c?, r?, v?);
    Some((|| Ok((b?.decode()?, c?.decode()?, r?.decode()?, v?.decode()?)))())
}

/// The console's validation of a restore test: the checks, what they saw, the result sent.
fn validation_event(v: &RestoreValidation) -> Event {
    let seen = v.checks.iter().map(|c| format!("{}: {}", c.check, c.seen)).collect::<Vec<_>>().join("; ");
    let text = match v.state.as_str() {
        "skipped" => format!("not validated: {}", v.message.clone().unwrap_or_default()),
        "reported" => format!("reported to AWS: {seen}"),
        _ => v.message.clone().unwrap_or_default(),
    };
    Event {
        at: v.finished_at.clone().unwrap_or_else(|| v.started_at.clone()),
        kind: "console validation",
        status: v.result.clone().unwrap_or_else(|| v.state.clone()),
        text,
        link: None,
    }
}

fn events((backups, copies, restores, validations): &History) -> Vec<Event> {
    let rp_link = |arn: &Option<String>| arn.as_ref().map(|a| format!("/recovery-points?selected={}", encode(a)));
    let mut events: Vec<Event> = backups
        .items
        .iter()
        .map(|b| Event {
            at: b.created_at.clone(),
            kind: "backup",
            status: b.status.clone(),
            text: format!(
                "into {}{}",
                b.vault_name.clone().unwrap_or_default(),
                b.status_message.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
            ),
            link: rp_link(&b.recovery_point_arn),
        })
        .chain(copies.items.iter().map(|c| Event {
            at: c.created_at.clone(),
            kind: "copy",
            status: c.status.clone(),
            text: format!(
                "{} → {}{}",
                c.source_vault_arn.as_deref().map(format::arn_name).unwrap_or("?"),
                c.destination_vault_arn.clone().unwrap_or_default(),
                c.status_message.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
            ),
            link: rp_link(&c.destination_recovery_point_arn),
        }))
        .chain(restores.items.iter().map(|r| {
            let validation = r.validation_status.as_ref().map(|v| {
                format!(
                    ", validation {}{}",
                    format::status_words(v),
                    r.validation_message.as_ref().map(|m| format!(": {m}")).unwrap_or_default()
                )
            });
            Event {
                at: r.created_at.clone(),
                kind: if r.test { "restore test" } else { "restore" },
                // A test that restored but failed validation failed: its badge says so.
                status: match (&r.validation_status, r.status.as_str()) {
                    (Some(v), "COMPLETED") => v.clone(),
                    _ => r.status.clone(),
                },
                text: format!(
                    "{}{}{}",
                    r.duration_minutes.map(|m| format!("took {}", format::minutes(m))).unwrap_or_default(),
                    r.status_message.as_ref().map(|m| format!(" {m}")).unwrap_or_default(),
                    validation.unwrap_or_default()
                ),
                link: rp_link(&r.recovery_point_arn),
            }
        }))
        .chain(validations.items.iter().map(validation_event))
        .collect();
    sort::sort_by(&mut events, |a, b| b.at.cmp(&a.at));
    events
}

#[component]
fn Timeline(arn: String) -> impl IntoView {
    let (query, _) = use_url();
    let close = href_with(&query.get_untracked(), "/resources", "resource", None);
    let enc = encode(&arn);
    let jobs = |endpoint: &str| {
        let path = format!("{endpoint}?resource_arn={enc}&limit={TIMELINE}");
        use_get(move || path.clone())
    };
    let lists = [
        jobs("/api/v1/backup-jobs"),
        jobs("/api/v1/copy-jobs"),
        jobs("/api/v1/restore-jobs"),
        jobs("/api/v1/restore-testing/validations"),
    ];
    let rto = use_get({
        let enc = enc.clone();
        move || format!("/api/v1/protected-resources/{enc}/restore-times")
    });
    let rpo = use_get(move || format!("/api/v1/protected-resources/{enc}/rpo"));
    view! {
        <section class="detail" aria-labelledby="timeline-h">
            <div class="detail-head">
                <h2 id="timeline-h">{format!("History of {}", format::arn_name(&arn))}</h2>
                <a href=close>"Close"</a>
            </div>
            <p class="arn">
                {arn.clone()} " · "
                <a href=format!("/recovery-points?resource_arn={}", encode(&arn))>"its recovery points"</a>
            </p>
            <p class="toolbar">
                <a href=format!("/runbooks?resource={}", encode(&arn))>"Runbooks"</a>
                <a href=format!("/drills?resource={}", encode(&arn))>"Drills"</a>
            </p>
            {loaded(rto, "the restore times", |t: ResourceRestoreTimes| view! { <RtoChart times=t /> })}
            {loaded(rpo, "the recovery point objective", |r: ResourceRpo| view! { <RpoChart rpo=r /> })}
            {move || match history(lists) {
                None => loading("the resource's history"),
                Some(Err(e)) => load_failed("the resource's history", e),
                Some(Ok(h)) => timeline(events(&h)),
            }}
        </section>
    }
}

fn timeline(events: Vec<Event>) -> AnyView {
    let list = if events.is_empty() {
        view! { <p class="empty">"No backup, copy or restore job of this resource is on record."</p> }.into_any()
    } else {
        view! {
            <ol class="timeline">
                {events
                    .into_iter()
                    .map(|e| {
                        view! {
                            <li>
                                <Time at=Some(e.at) />
                                <span class="kind">{e.kind}</span>
                                <Badge status=e.status />
                                <span class="text">{e.text}</span>
                                {e.link.map(|l| view! { <a href=l>"recovery point"</a> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        }
        .into_any()
    };
    view! {
        <h3>{format!("Timeline (newest first, the last {TIMELINE} jobs of each kind)")}</h3>
        {list}
    }
    .into_any()
}
