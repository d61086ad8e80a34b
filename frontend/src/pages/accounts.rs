//! `/accounts`: each account and region, how its last sync went, and a button
//! that starts a sync and follows its progress.

use std::time::Duration;

use leptos::prelude::*;
use shared::{Account, AccountPage, SyncProgress};

use super::overview::account_page;
use crate::components::{data_table, id_pager, loaded, use_get, use_url, Badge, FilterChoice, Time};
use crate::{api, format};

#[component]
pub fn Accounts() -> impl IntoView {
    let (query, _) = use_url();
    let accounts = use_get(move || format!("/api/v1/accounts{}", account_page(&query.read())));
    let progress = RwSignal::new(None::<SyncProgress>);
    let problem = RwSignal::new(None::<String>);
    let poll = StoredValue::new(None::<IntervalHandle>);

    // Follows a running sync once a second; reloads the table when it ends.
    let watch = move || {
        if poll.get_value().is_some() {
            return;
        }
        let tick = move || {
            leptos::task::spawn_local(async move {
                match api::get::<SyncProgress>("/api/v1/sync").await {
                    Ok(p) => {
                        let running = p.running;
                        progress.set(Some(p));
                        if !running {
                            if let Some(h) = poll.get_value() {
                                h.clear();
                            }
                            poll.set_value(None);
                            accounts.refetch();
                        }
                    }
                    Err(e) => problem.set(Some(e)),
                }
            })
        };
        if let Ok(h) = set_interval_with_handle(tick, Duration::from_millis(1000)) {
            poll.set_value(Some(h));
        }
    };
    on_cleanup(move || {
        if let Some(h) = poll.get_value() {
            h.clear();
        }
    });
    // A sync may already be running (the schedule's) when the page opens.
    leptos::task::spawn_local(async move {
        if let Ok(p) = api::get::<SyncProgress>("/api/v1/sync").await {
            let running = p.running;
            progress.set(Some(p));
            if running {
                watch();
            }
        }
    });
    let start = move |_| {
        problem.set(None);
        leptos::task::spawn_local(async move {
            match api::post::<SyncProgress>("/api/v1/sync").await {
                Ok(p) => {
                    progress.set(Some(p));
                    watch();
                }
                Err(e) => problem.set(Some(e)),
            }
        });
    };
    let running = move || progress.get().is_some_and(|p| p.running);

    view! {
        <h1>"Accounts"</h1>
        <div class="toolbar">
            <button type="button" class="primary" on:click=start disabled=running>
                {move || if running() { "Syncing…" } else { "Sync now" }}
            </button>
            <div class="progress" role="status" aria-live="polite">
                {move || progress.get().map(|p| view! { <SyncState p=p /> })}
            </div>
        </div>
        {move || problem.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <div class="filters" role="search" aria-label="Find an account">
            <FilterChoice name="account_id" list="accounts" label="Account" />
        </div>
        {loaded(accounts, "the accounts", |page: AccountPage| {
            let shown = page.items.len();
            view! {
                <AccountTable accounts=page.items />
                {(shown > 0).then(|| id_pager("accounts", shown, page.total, page.prev_cursor, page.next_cursor))}
            }
        })}
    }
}

#[component]
fn SyncState(p: SyncProgress) -> impl IntoView {
    if p.running {
        let text = format!("{} of {} account-regions synced, {} failed", p.done, p.targets, p.failed);
        view! {
            <progress max=p.targets.max(1) value=p.done aria-label="Sync progress"></progress>
            <span>{text}</span>
        }
        .into_any()
    } else if p.finished_at.is_some() {
        let text = format!("Last sync: {} account-regions, {} failed, finished ", p.targets, p.failed);
        view! {
            <span>{text}</span>
            <Time at=p.finished_at />
        }
        .into_any()
    } else {
        view! { <span class="muted">"No sync has run since the console started."</span> }.into_any()
    }
}

#[component]
fn AccountTable(accounts: Vec<Account>) -> impl IntoView {
    if accounts.is_empty() {
        return view! {
            <p class="empty">
                "No account is registered. Add accounts to the configuration, or turn on discovery through AWS Organizations."
            </p>
        }
        .into_any();
    }
    let rows = accounts
        .into_iter()
        .flat_map(|a| {
            let regions = if a.sync.is_empty() { vec![None] } else { a.sync.into_iter().map(Some).collect() };
            let (name, id, role, source) = (a.name, a.id, a.role_arn, a.source);
            regions
                .into_iter()
                .map(move |s| {
                    let c = s.as_ref().map(|s| s.counts.clone()).unwrap_or_default();
                    let jobs = c.backup_jobs + c.copy_jobs + c.restore_jobs;
                    let s = s.clone();
                    view! {
                        <tr>
                            <th scope="row" title=role.clone()>
                                {name.clone()}
                                " "
                                <span class="id">{id.clone()}</span>
                                {(source == "discovery").then(|| view! { <span class="muted">" (discovered)"</span> })}
                            </th>
                            <td>{s.as_ref().map(|s| s.region.clone()).unwrap_or_else(|| "–".into())}</td>
                            <td>
                                <Badge status=s.as_ref().map(|s| s.status.clone()).unwrap_or_else(|| "never".into()) />
                            </td>
                            <td>
                                <Time at=s.as_ref().and_then(|s| s.last_attempt_at.clone()) />
                            </td>
                            <td>
                                <Time at=s.as_ref().and_then(|s| s.last_success_at.clone()) />
                            </td>
                            <td class="num">
                                {s
                                    .as_ref()
                                    .and_then(|s| s.duration_ms)
                                    .map(|ms| format!("{:.1} s", ms as f64 / 1000.0))
                                    .unwrap_or_else(|| "–".into())}
                            </td>
                            <td class="num">{format::count(c.recovery_points)}</td>
                            <td class="num">{format::count(c.protected_resources)}</td>
                            <td class="num">{format::count(jobs)}</td>
                            <td class="message">
                                {s
                                    .as_ref()
                                    .and_then(|s| {
                                        s.error_code
                                            .clone()
                                            .map(|code| {
                                                view! {
                                                    <strong>{code}</strong>
                                                    " "
                                                    {s.error_message.clone().unwrap_or_default()}
                                                }
                                            })
                                    })}
                            </td>
                        </tr>
                    }
                    .into_any()
                })
                .collect::<Vec<_>>()
        })
        .collect();
    let heads = &[
        "Account",
        "Region",
        "Status",
        "Last attempt",
        "Last success",
        "#Took",
        "#Recovery points",
        "#Resources",
        "#Jobs",
        "Error",
    ];
    data_table("", heads, rows)
}
