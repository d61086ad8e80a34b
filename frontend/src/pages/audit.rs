//! `/audit`: the hash-chained audit log (auditors): search, verify, export.

use leptos::prelude::*;
use shared::{AuditRecord, AuditVerification, Page};

use crate::components::{data_table, loaded, use_get, use_url, ClearFilters, FilterText, Pager, Time};
use crate::{api, session::Session};

const FILTERS: [&str; 3] = ["actor", "action", "subject"];

#[component]
pub fn Audit() -> impl IntoView {
    let session = expect_context::<Session>();
    let (query, _) = use_url();
    let api_query =
        Memo::new(move |_| query.read().api(&["actor", "action", "subject", "cursor"], &[("limit", "100")]));
    let page = use_get(move || format!("/api/v1/audit{}", api_query.get()));
    let verification = RwSignal::new(None::<Result<AuditVerification, String>>);
    let verify = move |_| {
        leptos::task::spawn_local(async move {
            verification.set(Some(api::get::<AuditVerification>("/api/v1/audit/verify").await));
        });
    };
    view! {
        <h1>"Audit log"</h1>
        {move || {
            (!session.has("auditor"))
                .then(|| {
                    view! {
                        <p class="error" role="alert">
                            "The audit log is for auditors and admins. " <a href="/sign-in">"Sign in"</a>
                        </p>
                    }
                })
        }}
        <div class="toolbar">
            <button type="button" class="primary" on:click=verify>"Verify the chain"</button>
            <a href="/api/v1/audit/export?format=ndjson" download="audit-log.ndjson">"Export NDJSON"</a>
            <a href="/api/v1/audit/export?format=csv" download="audit-log.csv">"Export CSV"</a>
            <a href="/evidence">"Evidence pack"</a>
            <span role="status" aria-live="polite">
                {move || {
                    verification
                        .get()
                        .map(|v| match v {
                            Ok(v) if v.valid => view! {
                                <span class="badge ok">"valid"</span>
                                {format!(" {} records, head {}", v.entries, v.head.unwrap_or_default())}
                            }
                                .into_any(),
                            Ok(v) => view! {
                                <span class="badge bad">"broken"</span>
                                {format!(
                                    " at record {}: {}",
                                    v.first_bad_seq.unwrap_or_default(),
                                    v.problem.unwrap_or_default(),
                                )}
                            }
                                .into_any(),
                            Err(e) => view! { <span class="error">{e}</span> }.into_any(),
                        })
                }}
            </span>
        </div>
        <div class="filters" role="search" aria-label="Search the audit log">
            <FilterText name="actor" label="Actor" placeholder="alice" />
            <FilterText name="action" label="Action" placeholder="request.approval" />
            <FilterText name="subject" label="Subject" placeholder="request:…" />
            <ClearFilters keys=&FILTERS />
        </div>
        {loaded(page, "the audit log", |p: Page<AuditRecord>| {
            if p.items.is_empty() {
                return view! { <p class="empty">"No audit record matches."</p> }.into_any();
            }
            let shown = p.items.len();
            let rows = p
                .items
                .into_iter()
                .map(|r| {
                    let subject = match r.subject.strip_prefix("request:") {
                        Some(id) => view! { <a href=format!("/requests/{id}")>{r.subject.clone()}</a> }.into_any(),
                        None => view! { <span>{r.subject.clone()}</span> }.into_any(),
                    };
                    view! {
                        <tr>
                            <td class="num">{r.seq}</td>
                            <td>
                                <Time at=Some(r.at) />
                            </td>
                            <td>{r.actor}</td>
                            <td>{r.action}</td>
                            <td>{subject}</td>
                            <td class="arn">{r.details.to_string()}</td>
                        </tr>
                    }
                    .into_any()
                })
                .collect();
            view! {
                {data_table("dense audit", &["##", "When", "Actor", "Action", "Subject", "Details"], rows)}
                <Pager next=p.next_cursor shown=shown />
            }
                .into_any()
        })}
    }
}
