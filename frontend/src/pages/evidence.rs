//! `/evidence`: the auditor's evidence pack for a period and a scope; made in the
//! background (a POST, with the CSRF token) with its progress shown, then downloaded
//! (a GET of the finished file, which has no side effects).

use leptos::prelude::*;
use shared::EvidenceJob;

use crate::api;
use crate::components::{set_value, types, use_url, Typeahead};
use crate::session::Session;
use crate::url::encode;

fn today_minus(days: i64) -> String {
    let ms = js_sys::Date::now() - days as f64 * 86_400_000.0;
    crate::format::date(ms as i64, 0)
}

#[component]
pub fn Evidence() -> impl IntoView {
    let session = expect_context::<Session>();
    let (query, _) = use_url();
    let q = query.get_untracked();
    let from = RwSignal::new(q.get("from").map(str::to_string).unwrap_or_else(|| today_minus(90)));
    let to = RwSignal::new(q.get("to").map(str::to_string).unwrap_or_else(|| today_minus(0)));
    let account = RwSignal::new(String::new());
    let rtype = RwSignal::new(String::new());
    let job = RwSignal::new(None::<Result<EvidenceJob, String>>);
    let scope = move || {
        let mut s = format!("from={}&to={}", encode(&from.get()), encode(&to.get()));
        if !account.get().is_empty() {
            s.push_str(&format!("&account_id={}", account.get()));
        }
        if !rtype.get().is_empty() {
            s.push_str(&format!("&resource_type={}", encode(&rtype.get())));
        }
        s
    };
    // While a pack is being made, its progress is read twice a second.
    let handle = set_interval_with_handle(
        move || {
            let Some(Ok(j)) = job.get_untracked() else { return };
            if j.status != "running" {
                return;
            }
            leptos::task::spawn_local(async move {
                let r = api::get::<EvidenceJob>(&format!("/api/v1/evidence/jobs/{}", j.id)).await;
                job.set(Some(r));
            });
        },
        std::time::Duration::from_millis(500),
    );
    on_cleanup(move || {
        if let Ok(h) = handle {
            h.clear();
        }
    });
    let prepare = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let path = format!("/api/v1/evidence/jobs?{}", scope());
        leptos::task::spawn_local(async move {
            job.set(Some(api::post::<EvidenceJob>(&path).await));
        });
    };
    view! {
        <h1>"Evidence pack"</h1>
        <p class="lead">
            "One ZIP for a period and a scope: coverage and restore tests, restore times and RPO against targets, requests with approvals, drill reports, the audit log with its verification, the AWS Backup Audit Manager frameworks and report plans, and a printable report mapped to ISO 27001:2022 A.8.13 and SOC 2 A1.3."
        </p>
        {move || {
            (!session.has("auditor"))
                .then(|| view! { <p class="error" role="alert">"Evidence packs are for auditors and admins. " <a href="/sign-in">"Sign in"</a></p> })
        }}
        <form class="inline-form" on:submit=prepare aria-label="The pack's period and scope">
            <label>"From " <input type="date" required prop:value=from on:input=set_value(from) /></label>
            <label>"To (included) " <input type="date" required prop:value=to on:input=set_value(to) /></label>
            <Typeahead list="accounts" id="evidence-account".to_string() label="Account (empty: all)" value=account />
            <label>
                "Resource type "
                <select on:change=set_value(rtype)>
                    <option value="">"All types"</option>
                    {move || types().get().into_iter().map(|(v, l)| view! { <option value=v>{l}</option> }).collect_view()}
                </select>
            </label>
            <button type="submit" class="primary">"Prepare the pack"</button>
        </form>
        <div role="status" aria-live="polite" id="evidence-progress">
            {move || job.get().map(|j| {
                let j = match j {
                    Err(e) => return view! { <p class="error">{e}</p> }.into_any(),
                    Ok(j) => j,
                };
                let (steps, name) = (j.steps, j.file_name.clone());
                match j.status.as_str() {
                    "done" => view! {
                        <p>
                            <progress max=steps value=steps></progress>
                            {format!(" Ready: {name} ({}). ", crate::format::bytes(j.bytes.unwrap_or_default()))}
                            <a class="button primary" href=format!("/api/v1/evidence/jobs/{}/download", j.id) download=name>
                                "Download the pack"
                            </a>
                        </p>
                    }
                        .into_any(),
                    "failed" => view! { <p class="error">{format!("The pack failed: {}", j.error.unwrap_or_default())}</p> }.into_any(),
                    _ => view! {
                        <p>
                            <progress max=steps value=j.step></progress>
                            {format!(" Step {} of {steps}: {}…", j.step + 1, j.step_name)}
                        </p>
                    }
                        .into_any(),
                }
            })}
        </div>
    }
}
