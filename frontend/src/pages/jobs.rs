//! `/jobs`: backup, copy and restore jobs (`?kind=`), their status and progress.

use leptos::prelude::*;
use serde::de::DeserializeOwned;
use shared::{BackupJob, CopyJob, Page, RestoreJob};
use wasm_bindgen::JsValue;

use crate::api::Answer;
use crate::components::{
    data_table, fixed, href_with, paged, resource_cell, shown, types, use_get, use_url, Badge, ClearFilters,
    FilterChoice, FilterDate, FilterSelect, FilterText, Time,
};
use crate::format;
use crate::url::encode;

const FILTERS: [&str; 8] = [
    "account_id",
    "region",
    "resource_type",
    "resource_arn",
    "status",
    "created_after",
    "created_before",
    "parent_job_id",
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Backup,
    Copy,
    Restore,
}

impl Kind {
    fn from(q: Option<&str>) -> Self {
        match q {
            Some("copy") => Kind::Copy,
            Some("restore") => Kind::Restore,
            _ => Kind::Backup,
        }
    }

    /// The API's list of this kind of job.
    fn endpoint(self) -> &'static str {
        match self {
            Kind::Backup => "/api/v1/backup-jobs",
            Kind::Copy => "/api/v1/copy-jobs",
            Kind::Restore => "/api/v1/restore-jobs",
        }
    }

    fn statuses(self) -> &'static [&'static str] {
        match self {
            Kind::Backup => {
                &["CREATED", "PENDING", "RUNNING", "ABORTING", "ABORTED", "COMPLETED", "FAILED", "EXPIRED", "PARTIAL"]
            }
            Kind::Copy => &["CREATED", "RUNNING", "COMPLETED", "FAILED", "PARTIAL"],
            Kind::Restore => &["PENDING", "RUNNING", "COMPLETED", "ABORTED", "FAILED"],
        }
    }
}

/// One row, whatever the kind of job.
#[derive(Clone)]
struct Row {
    created_at: String,
    completed_at: Option<String>,
    resource_arn: String,
    resource_type: String,
    account: String,
    status: String,
    progress: Option<String>,
    size: Option<i64>,
    detail: String,
    message: Option<String>,
    recovery_point: Option<String>,
    /// A composite job: its own id (its children are listed by it).
    children_of: Option<String>,
    /// A child job: its composite parent's id.
    parent: Option<String>,
}

/// A `Row` of the job `$j` (a backup, copy or restore job): the fields every kind
/// has, then the ones given.
macro_rules! row {
    ($j:ident, $($field:ident: $value:expr),+ $(,)?) => {
        Row {
            created_at: $j.created_at,
            completed_at: $j.completed_at,
            resource_type: $j.resource_type,
            account: format!("{} {}", $j.account_id, $j.region),
            status: $j.status,
            size: $j.size_bytes,
            message: $j.status_message,
            $($field: $value),+
        }
    };
}

/// The rows of a page of jobs; which kind it lists follows from the address that answered.
fn rows(answer: &Answer) -> Result<(Vec<Row>, Option<String>), String> {
    let kind = [Kind::Copy, Kind::Restore].into_iter().find(|k| answer.path().starts_with(k.endpoint()));
    match kind.unwrap_or(Kind::Backup) {
        Kind::Backup => page_of(answer, |j: BackupJob| {
            row!(j,
                resource_arn: j.resource_arn,
                progress: j.percent_done,
                detail: j.vault_name.map(|v| format!("into {v}")).unwrap_or_default(),
                recovery_point: j.recovery_point_arn,
                children_of: j.is_parent.then_some(j.job_id),
                parent: j.parent_job_id,
            )
        }),
        Kind::Copy => page_of(answer, |j: CopyJob| {
            let from = j.source_vault_arn.as_deref().map(format::arn_name).unwrap_or("?");
            let detail = format!("{from} → {}", j.destination_vault_arn.as_deref().unwrap_or_default());
            row!(j,
                resource_arn: j.resource_arn,
                progress: None,
                detail: detail,
                recovery_point: j.destination_recovery_point_arn,
                children_of: j.is_parent.then_some(j.job_id),
                parent: j.parent_job_id,
            )
        }),
        Kind::Restore => page_of(answer, |j: RestoreJob| {
            let created = j.created_resource_arn.as_deref().map(format::arn_name).unwrap_or("(not created)");
            let detail = format!("{}{created}", if j.test { "restore test → " } else { "→ " });
            row!(j,
                resource_arn: j.resource_arn.unwrap_or_default(),
                progress: j.percent_done,
                detail: detail,
                recovery_point: j.recovery_point_arn,
                children_of: None,
                parent: None,
            )
        }),
    }
}

fn page_of<T: DeserializeOwned>(answer: &Answer, row: impl Fn(T) -> Row) -> Result<(Vec<Row>, Option<String>), String> {
    let p = answer.decode::<Page<T>>()?;
    Ok((p.items.into_iter().map(row).collect(), p.next_cursor))
}

/// AWS's `PercentDone` (`45.0`, perhaps with `%`) as a number, read by the browser.
fn percent(text: &str) -> Option<f64> {
    format::parse_float(text.trim_end_matches('%'), |t| JsValue::from_str(t).unchecked_into_f64())
}

#[component]
pub fn Jobs() -> impl IntoView {
    let (query, _) = use_url();
    let kind = Memo::new(move |_| Kind::from(query.read().get("kind")));
    let list_query = Memo::new(move |_| {
        let mut allowed = FILTERS.to_vec();
        allowed.extend(["cursor", "limit"]);
        query.read().api(&allowed, &[])
    });
    let page = use_get(move || format!("{}{}", kind.get().endpoint(), list_query.get()));
    let kind_name = move || match kind.get() {
        Kind::Backup => "backup",
        Kind::Copy => "copy",
        Kind::Restore => "restore",
    };
    let tab = move |k: Kind, value: &'static str, label: &'static str| {
        let q = query.get();
        // A status of one kind of job may not exist for another: switching kind drops it.
        // Nor do composite jobs exist among restores.
        let href = href_with(&q.with("status", None).with("parent_job_id", None), "/jobs", "kind", Some(value));
        view! {
            <a href=href aria-current=move || (kind.get() == k).then_some("page") class="tab">
                {label}
            </a>
        }
    };
    view! {
        <h1>"Jobs"</h1>
        <nav class="tabs" aria-label="Kind of job">
            {move || {
                view! {
                    {tab(Kind::Backup, "backup", "Backup jobs")}
                    {tab(Kind::Copy, "copy", "Copy jobs")}
                    {tab(Kind::Restore, "restore", "Restore jobs")}
                }
            }}
        </nav>
        <div class="filters" role="search" aria-label="Filter jobs">
            <FilterChoice name="account_id" list="accounts" label="Account" />
            <FilterChoice name="region" list="regions" label="Region" />
            <FilterSelect name="resource_type" label="Resource type" options=types() />
            {move || {
                let statuses = kind.get().statuses();
                view! { <FilterSelect name="status" label="Status" options=fixed(statuses) /> }
            }}
            <FilterDate name="created_after" label="Created from" />
            <FilterDate name="created_before" label="Created before" />
            <FilterChoice name="resource_arn" list="resources" label="Resource" />
            {move || {
                (kind.get() != Kind::Restore)
                    .then(|| view! { <FilterText name="parent_job_id" label="Composite job" placeholder="job id" /> })
            }}
            <ClearFilters keys=&FILTERS />
        </div>
        {shown(page, "jobs", move |answer| {
            let (rows, next) = rows(&answer)?;
            Ok(paged("jobs", &FILTERS, rows.len(), next, || jobs_table(rows, kind_name())))
        })}
    }
}

/// A composite job is listed with its children: it links to them, and each links to
/// its siblings. Totals elsewhere count the children only (the backend's `counted_job`).
fn jobs_table(rows: Vec<Row>, kind: &'static str) -> AnyView {
    let children = move |id: &str| format!("/jobs?kind={kind}&parent_job_id={}", encode(id));
    let rows = rows
        .into_iter()
        .map(|r| {
            let progress = r.progress.clone();
            let pct = progress.as_deref().and_then(percent);
            view! {
                <tr>
                    <td>
                        <Time at=Some(r.created_at) />
                    </td>
                    {resource_cell(&r.resource_arn, None, format!(" {}", r.resource_type))}
                    <td>{r.account}</td>
                    <td>
                        <Badge status=r.status />
                        {r.message.map(|m| view! { <div class="message">{m}</div> })}
                    </td>
                    <td>
                        {pct
                            .map(|p| {
                                view! {
                                    <progress max=100 value=p aria-label="Progress"></progress>
                                    <span class="muted">{format!(" {p:.0} %")}</span>
                                }
                            })}
                    </td>
                    <td class="num">{r.size.map(format::bytes).unwrap_or_else(|| "–".into())}</td>
                    <td>
                        <Time at=r.completed_at />
                    </td>
                    <td>
                        {r.detail}
                        {r.children_of.map(|id| view! { " " <a href=children(&id)>"composite: its jobs"</a> })}
                        {r.parent.map(|id| view! { " " <a href=children(&id)>"part of a composite job"</a> })}
                        {r
                            .recovery_point
                            .map(|rp| {
                                view! {
                                    " "
                                    <a href=format!("/recovery-points?selected={}", encode(&rp))>"recovery point"</a>
                                }
                            })}
                    </td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let heads = &["Created", "Resource", "Account", "Status", "Progress", "#Size", "Completed", "Detail"];
    data_table("dense", heads, rows)
}
