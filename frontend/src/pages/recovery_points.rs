//! `/recovery-points`: every recovery point, filtered and paged in the URL; the
//! selected one in detail (`?selected=<arn>`) with what AWS reports for restoring it.

use leptos::prelude::*;
use shared::{RecoveryPoint, RecoveryPointDetail};

use crate::components::types;

use crate::components::{
    data_table, fixed, href_with, loaded, loaded_page, use_get, use_list, use_url, Badge, ClearFilters, FilterChoice,
    FilterDate, FilterSelect, Time, TimeBoth,
};
use crate::format;
use crate::url::encode;

const FILTERS: [&str; 8] =
    ["account_id", "region", "vault", "resource_type", "resource_arn", "status", "created_after", "created_before"];
const STATUSES: [&str; 7] = ["COMPLETED", "PARTIAL", "DELETING", "EXPIRED", "AVAILABLE", "STOPPED", "CREATING"];

#[component]
pub fn RecoveryPoints() -> impl IntoView {
    let (query, _) = use_url();
    let page = use_list("/api/v1/recovery-points", &FILTERS, &[]);
    let selected = Memo::new(move |_| query.read().get("selected").map(str::to_string));
    view! {
        <h1>"Recovery points"</h1>
        <div class="filters" role="search" aria-label="Filter recovery points">
            <FilterChoice name="account_id" list="accounts" label="Account" />
            <FilterChoice name="region" list="regions" label="Region" />
            <FilterChoice name="vault" list="vaults" label="Vault" />
            <FilterSelect name="resource_type" label="Resource type" options=types() />
            <FilterSelect name="status" label="Status" options=fixed(&STATUSES) />
            <FilterDate name="created_after" label="Created from" />
            <FilterDate name="created_before" label="Created before" />
            <FilterChoice name="resource_arn" list="resources" label="Resource" />
            <ClearFilters keys=&FILTERS />
        </div>
        {move || selected.get().map(|arn| view! { <Detail arn=arn /> })}
        {loaded_page(page, "recovery points", &FILTERS, points_table)}
    }
}

fn points_table(items: Vec<RecoveryPoint>) -> AnyView {
    let (query, _) = use_url();
    let q = query.get_untracked();
    let rows = items
        .into_iter()
        .map(|r| {
            let href = href_with(&q, "/recovery-points", "selected", Some(&r.recovery_point_arn));
            let name = r.resource_name.clone().unwrap_or_else(|| format::arn_name(&r.resource_arn).into());
            view! {
                <tr>
                    <td>
                        <a href=href>
                            <Time at=Some(r.created_at.clone()) />
                        </a>
                    </td>
                    <td>
                        {name.clone()}
                        <span class="muted">{format!(" {}", r.resource_type)}</span>
                        {r.parent_recovery_point_arn.is_some().then(|| view! { <span class="muted">" part of a stack backup"</span> })}
                    </td>
                    <td>{r.account_id.clone()} <span class="muted">{format!(" {}", r.region)}</span></td>
                    <td>{r.vault_name.clone()}</td>
                    <td>
                        <Badge status=if r.gone_at.is_some() { "gone".to_string() } else { r.status.clone() } />
                    </td>
                    <td class="num">{r.size_bytes.map(format::bytes).unwrap_or_else(|| "–".into())}</td>
                    <td>
                        <Time at=r.delete_at.clone() />
                    </td>
                    <td>
                        {r
                            .source_vault_arn
                            .as_deref()
                            .map(|v| format::arn_name(v).to_string())
                            .unwrap_or_else(|| "–".into())}
                    </td>
                </tr>
            }
            .into_any()
        })
        .collect();
    let heads = &["Created", "Resource", "Account", "Vault", "Status", "#Size", "Deleted", "Copy of"];
    view! { <div class="scroll" id="rp-table">{data_table("dense", heads, rows)}</div> }.into_any()
}

#[component]
fn Detail(arn: String) -> impl IntoView {
    let (query, _) = use_url();
    let close = href_with(&query.get_untracked(), "/recovery-points", "selected", None);
    let path = format!("/api/v1/recovery-points/{}", encode(&arn));
    let detail = use_get(move || path.clone());
    view! {
        <section class="detail" aria-labelledby="rp-detail-h">
            <div class="detail-head">
                <h2 id="rp-detail-h">"Recovery point"</h2>
                <a href=close>"Close"</a>
            </div>
            <p class="arn">{arn.clone()}</p>
            {loaded(detail, "the recovery point", |d: RecoveryPointDetail| view! { <DetailBody d=d /> })}
        </section>
    }
}

#[component]
fn DetailBody(d: RecoveryPointDetail) -> impl IntoView {
    let r = d.recovery_point;
    let resource = r.resource_arn.clone();
    let session = expect_context::<crate::session::Session>();
    let ask = |kind: &str| format!("/requests/new?rp={}&kind={kind}", encode(&r.recovery_point_arn));
    let (restore, copy) = (ask("restore"), ask("copy"));
    // The API lists what a restore of this type may set; none: the console does not restore it.
    let restorable = !d.restore_fields.is_empty() && r.gone_at.is_none();
    view! {
        {move || {
            session
                .has("operator")
                .then(|| {
                    view! {
                        <p class="actions">
                            {restorable.then(|| view! { <a class="button primary" href=restore.clone()>"Request a restore"</a> })}
                            " "
                            <a class="button" href=copy.clone()>"Request a copy"</a>
                        </p>
                    }
                })
        }}
        <div class="two">
            <dl class="facts">
                <dt>"Resource"</dt>
                <dd>
                    <a href=format!("/resources?resource={}", encode(&resource))>{resource.clone()}</a>
                    {format!(" ({})", r.resource_type)}
                </dd>
                <dt>"Account, region"</dt>
                <dd>{format!("{}, {}", r.account_id, r.region)}</dd>
                <dt>"Vault"</dt>
                <dd>{r.vault_arn.clone()}</dd>
                <dt>"Status"</dt>
                <dd>
                    <Badge status=r.status.clone() />
                    {r.gone_at.clone().map(|g| view! { " gone from its vault since " <TimeBoth at=Some(g) /> })}
                </dd>
                <dt>"Created"</dt>
                <dd>
                    <TimeBoth at=Some(r.created_at.clone()) />
                </dd>
                <dt>"Completed"</dt>
                <dd>
                    <TimeBoth at=r.completed_at.clone() />
                </dd>
                <dt>"Size"</dt>
                <dd>{r.size_bytes.map(format::bytes).unwrap_or_else(|| "unknown".into())}</dd>
                <dt>"Encryption key"</dt>
                <dd>
                    {match (&r.encryption_key_arn, r.is_encrypted) {
                        (Some(k), _) => k.clone(),
                        (None, true) => "encrypted with the service's key".into(),
                        (None, false) => "not encrypted".into(),
                    }}
                </dd>
                <dt>"Copy of"</dt>
                <dd>{r.source_vault_arn.clone().unwrap_or_else(|| "– (an original backup)".into())}</dd>
                <dt>"Moves to cold storage"</dt>
                <dd>
                    <TimeBoth at=r.move_to_cold_storage_at.clone() />
                </dd>
                <dt>"Deleted"</dt>
                <dd>
                    <TimeBoth at=r.delete_at.clone() />
                    {r.delete_after_days.map(|d| format!(" ({d} days after creation)"))}
                </dd>
                <dt>"Last restored"</dt>
                <dd>
                    <TimeBoth at=r.last_restore_at.clone() />
                </dd>
            </dl>
            <div>
                <h3>"Restore metadata (from AWS)"</h3>
                {match (d.restore_metadata, d.restore_metadata_error) {
                    (Some(m), _) if !m.is_empty() => {
                        view! {
                            <table class="dense">
                                <tbody>
                                    {m
                                        .into_iter()
                                        .map(|(k, v)| view! { <tr><th scope="row">{k}</th><td class="arn">{v}</td></tr> })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                            .into_any()
                    }
                    (_, Some(e)) => view! { <p class="error" role="alert">{format!("AWS did not answer: {e}")}</p> }.into_any(),
                    _ => view! { <p class="empty">"AWS reports no restore metadata."</p> }.into_any(),
                }}
            </div>
        </div>
        <h3>"Copies"</h3>
        {if d.copy_jobs.is_empty() {
            view! { <p class="empty">"No copy job copied this recovery point or made it."</p> }.into_any()
        } else {
            view! {
                <ul class="plain">
                    {d
                        .copy_jobs
                        .into_iter()
                        .map(|c| {
                            view! {
                                <li>
                                    <Time at=Some(c.created_at) />
                                    " "
                                    <Badge status=c.status />
                                    {format!(
                                        " {} → {}",
                                        c.source_vault_arn.as_deref().map(format::arn_name).unwrap_or("?"),
                                        c.destination_vault_arn.clone().unwrap_or_default(),
                                    )}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
        <h3>"Restores"</h3>
        {if d.restore_jobs.is_empty() {
            view! { <p class="empty">"This recovery point has not been restored."</p> }.into_any()
        } else {
            view! {
                <ul class="plain">
                    {d
                        .restore_jobs
                        .into_iter()
                        .map(|j| {
                            view! {
                                <li>
                                    <Time at=Some(j.created_at) />
                                    " "
                                    <Badge status=j.status />
                                    {j.validation_status.map(|v| view! { " validation " <Badge status=v /> })}
                                    {j.duration_minutes.map(|m| format!(" took {}", format::minutes(m)))}
                                    {if j.test { " (restore test)" } else { "" }}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            }
                .into_any()
        }}
    }
}
