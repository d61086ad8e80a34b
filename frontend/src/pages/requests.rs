//! Requests: the form started from a recovery point, my requests, the approvals
//! inbox, and one request with its live timeline and the decision buttons.

use std::time::Duration;

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::de::IgnoredAny;
use serde_json::Value;
use shared::{ActionRequest, CopyLifecycle, DecisionInput, Page, RecoveryPointDetail, RequestKind, RequestStatus};

use crate::components::{
    data_table, fetched, loaded, set_value, use_get, use_url, Badge, Person, Time, TimeBoth, Typeahead,
};
use crate::session::Session;
use crate::url::encode;
use crate::{api, format};

fn final_status(s: RequestStatus) -> bool {
    use RequestStatus::*;
    matches!(s, Succeeded | Failed | Rejected | Expired | Cancelled)
}

/// `/requests/new?rp=<arn>`: asks for a restore, a copy or a cross-account restore.
#[component]
pub fn NewRequest() -> impl IntoView {
    let (query, _) = use_url();
    let rp = query.get_untracked().get("rp").unwrap_or_default().to_string();
    let kind0: RequestKind = query.get_untracked().get("kind").and_then(|k| k.parse().ok()).unwrap_or_default();
    let session = expect_context::<Session>();
    let path = format!("/api/v1/recovery-points/{}", encode(&rp));
    let detail = use_get(move || path.clone());
    view! {
        <h1>"New request"</h1>
        {move || {
            (!session.has("operator"))
                .then(|| {
                    view! {
                        <p class="error" role="alert">
                            "Requests are made by operators. " <a href="/sign-in">"Sign in"</a>
                        </p>
                    }
                })
        }}
        {if rp.is_empty() {
            view! {
                <p class="empty">
                    "Start from a recovery point: open one on the " <a href="/recovery-points">"Recovery points"</a>
                    " page and choose Request a restore."
                </p>
            }
                .into_any()
        } else {
            loaded(detail, "the recovery point", move |d: RecoveryPointDetail| view! { <RequestForm d=d kind=kind0 /> })
                .into_any()
        }}
    }
}

#[component]
fn RequestForm(d: RecoveryPointDetail, kind: RequestKind) -> impl IntoView {
    let rp = d.recovery_point.clone();
    let name = rp.resource_name.clone().unwrap_or_else(|| format::arn_name(&rp.resource_arn).to_string());
    let kind = RwSignal::new(kind);
    // The settings the API lists for the type, each with its value (blank: the recovery point's).
    let fields: Vec<(shared::RestoreField, RwSignal<String>)> = d
        .restore_fields
        .iter()
        .map(|f| {
            let start = if f.kind == "name" { format!("{name}-restored") } else { String::new() };
            (f.clone(), RwSignal::new(start))
        })
        .collect();
    let chosen = fields.clone();
    let destination = RwSignal::new(String::new());
    let delete_after = RwSignal::new(String::new());
    let justification = RwSignal::new(String::new());
    let ticket = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let rp_arn = rp.recovery_point_arn.clone();
    // Taken here, in the component: hooks need the router's context, which an async task has not.
    let navigate = leptos_router::hooks::use_navigate();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let k = kind.get_untracked();
        let ticket = ticket.get_untracked().trim().to_string();
        let mut input = shared::NewRequest {
            kind: k,
            recovery_point_arn: rp_arn.clone(),
            justification: justification.get_untracked(),
            ticket: (!ticket.is_empty()).then_some(ticket),
            ..Default::default()
        };
        if k != RequestKind::Copy {
            for (f, v) in &chosen {
                let v = v.get_untracked().trim().to_string();
                if !v.is_empty() {
                    input.metadata.insert(f.key.clone(), v);
                }
            }
        }
        if k != RequestKind::Restore {
            input.destination_vault_arn = Some(destination.get_untracked());
        }
        if k == RequestKind::Copy {
            if let Ok(days) = delete_after.get_untracked().parse::<i64>() {
                input.lifecycle = Some(CopyLifecycle { delete_after_days: Some(days), ..Default::default() });
            }
        }
        let body = api::body(&input);
        busy.set(true);
        problem.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post_json::<ActionRequest>("/api/v1/requests", body).await {
                Ok(r) => navigate(&format!("/requests/{}", r.id), Default::default()),
                Err(e) => {
                    problem.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    let metadata = d.restore_metadata.clone().unwrap_or_default();
    view! {
        <section class="detail" aria-labelledby="rp-h">
            <h2 id="rp-h">{format!("{name} ({})", rp.resource_type)}</h2>
            <dl class="facts">
                <dt>"Recovery point"</dt>
                <dd class="arn">{rp.recovery_point_arn.clone()}</dd>
                <dt>"Created"</dt>
                <dd>
                    <TimeBoth at=Some(rp.created_at.clone()) />
                </dd>
                <dt>"Vault"</dt>
                <dd>{rp.vault_arn.clone()}</dd>
                <dt>"AWS restore metadata"</dt>
                <dd class="arn">
                    {metadata.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" · ")}
                </dd>
            </dl>
        </section>
        <form class="request-form" on:submit=submit>
            <div class="filter">
                <label for="kind">"What"</label>
                <select
                    id="kind"
                    on:change=move |ev| {
                        if let Ok(k) = event_target_value(&ev).parse() {
                            kind.set(k);
                        }
                    }
                    prop:value=move || kind.get().as_str()
                >
                    <option value=RequestKind::Restore.as_str()>"Restore into a new resource in this account"</option>
                    <option value=RequestKind::Copy.as_str()>"Copy to another vault"</option>
                    <option value=RequestKind::CrossAccountRestore.as_str()>
                        "Restore in another account (copy, then restore)"
                    </option>
                </select>
            </div>
            <Show when=move || kind.get() != RequestKind::Copy>
                {fields.iter().map(|(f, v)| restore_field(f, *v, &metadata)).collect_view()}
            </Show>
            <Show when=move || kind.get() != RequestKind::Restore>
                <div class="filter">
                    <Typeahead list="vault_arns" id="destination".to_string() label="Destination vault" value=destination />
                </div>
            </Show>
            <Show when=move || kind.get() == RequestKind::Copy>
                <div class="filter">
                    <label for="delete-after">"Delete the copy after (days, optional)"</label>
                    <input id="delete-after" type="number" min="1" on:input=set_value(delete_after) />
                </div>
            </Show>
            {why_and_submit(justification, ticket, problem, busy)}
        </form>
    }
}

/// One restore setting as the API describes it; the new resource's name is `#target`.
fn restore_field(
    f: &shared::RestoreField,
    v: RwSignal<String>,
    metadata: &std::collections::BTreeMap<String, String>,
) -> impl IntoView {
    let now = metadata.iter().find(|(k, _)| f.inherits && k.eq_ignore_ascii_case(&f.key)).map(|(_, x)| x.clone());
    let id = if f.kind == "name" { "target".to_string() } else { f.key.clone() };
    let label = match (f.required, &now) {
        (true, _) => f.label.clone(),
        (false, Some(now)) => format!("{} (blank: {now})", f.label),
        (false, None) => format!("{} (optional)", f.label),
    };
    let input = match f.kind.as_str() {
        "bool" | "choice" => {
            let options = if f.kind == "bool" { vec!["true".to_string(), "false".into()] } else { f.options.clone() };
            view! {
                <select id=id.clone() on:change=set_value(v)>
                    <option value="">{if f.inherits { "As the recovery point" } else { "AWS's default" }}</option>
                    {options.into_iter().map(|o| { let text = o.clone(); view! { <option value=o>{text}</option> } }).collect_view()}
                </select>
            }
            .into_any()
        }
        _ => view! {
            <input
                id=id.clone()
                required=f.required
                title=f.hint.clone()
                placeholder=now.unwrap_or_else(|| f.hint.clone())
                prop:value=move || v.get()
                on:input=set_value(v)
            />
        }
        .into_any(),
    };
    view! {
        <div class="filter">
            <label for=id>{label}</label>
            {input}
        </div>
    }
}

/// The end of every request form: why, a ticket, what went wrong, and the button.
pub fn why_and_submit(
    justification: RwSignal<String>,
    ticket: RwSignal<String>,
    problem: RwSignal<Option<String>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    view! {
        <div class="filter wide">
            <label for="justification">"Justification"</label>
            <textarea id="justification" required minlength="10" rows="3" on:input=set_value(justification)></textarea>
        </div>
        <div class="filter">
            <label for="ticket">"Ticket (optional)"</label>
            <input id="ticket" placeholder="OPS-1234" on:input=set_value(ticket) />
        </div>
        {move || problem.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        <p>
            <button type="submit" class="primary" disabled=move || busy.get()>"Ask for approval"</button>
        </p>
    }
}

/// `/requests`: mine, waiting for approval, or all (`?view=`).
#[component]
pub fn Requests() -> impl IntoView {
    let (query, _) = use_url();
    let session = expect_context::<Session>();
    let view_name = Memo::new(move |_| query.read().get("view").unwrap_or("pending").to_string());
    let page = use_get(move || {
        let v = view_name.get();
        let cursor = query.read().get("cursor").map(|c| format!("&cursor={}", encode(c))).unwrap_or_default();
        let q = match v.as_str() {
            "mine" => "?mine=true",
            "all" => "?limit=50",
            _ => "?status=pending_approval",
        };
        format!("/api/v1/requests{q}{cursor}")
    });
    let tab = move |value: &'static str, label: &'static str| {
        view! {
            <a class="tab" href=format!("/requests?view={value}") aria-current=move || (view_name.get() == value).then_some("page")>
                {label}
            </a>
        }
    };
    view! {
        <h1>"Requests"</h1>
        <nav class="tabs" aria-label="Which requests">
            {tab("pending", "Waiting for approval")}
            {tab("mine", "My requests")}
            {tab("all", "All")}
        </nav>
        {move || {
            (session.get().is_some_and(|m| m.subject.is_none()))
                .then(|| view! { <p class="muted">"Sign in to make or decide requests. " <a href="/sign-in">"Sign in"</a></p> })
        }}
        {loaded(page, "requests", |p: Page<ActionRequest>| {
            if p.items.is_empty() {
                return view! { <p class="empty">"No request here."</p> }.into_any();
            }
            let rows = p
                .items
                .into_iter()
                .map(|r| {
                    let resource = subject(&r);
                    view! {
                        <tr>
                            <td>
                                <a href=format!("/requests/{}", r.id)>
                                    <Time at=Some(r.created_at.clone()) />
                                </a>
                            </td>
                            <td>{r.kind.label()}</td>
                            <td>
                                {resource}
                                <span class="muted">{format!(" {}", r.account_id)}</span>
                            </td>
                            <td>
                                <Person name=r.requester_name.clone() subject=r.requester.clone() />
                            </td>
                            <td>
                                <Badge status=r.status.as_str() />
                            </td>
                        </tr>
                    }
                    .into_any()
                })
                .collect();
            data_table("", &["Asked", "What", "Resource", "Requester", "Status"], rows)
        })}
    }
}

/// `/requests/:id`: the request, its checks, decisions, AWS jobs and live timeline.
#[component]
pub fn RequestDetail() -> impl IntoView {
    let params = use_params_map();
    let id = params.with_untracked(|p| p.get("id").unwrap_or_default());
    let tick = RwSignal::new(0u32);
    let path = format!("/api/v1/requests/{}", encode(&id));
    let request = use_get(move || {
        tick.get();
        path.clone()
    });
    // Live: reload every 2 seconds until the request has ended.
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let ended = untrack(|| fetched::<ActionRequest>(request)).is_some_and(|r| final_status(r.status));
            if !ended {
                tick.update(|t| *t += 1);
            }
        },
        Duration::from_secs(2),
    ) {
        on_cleanup(move || handle.clear());
    }
    view! {
        <h1>"Request"</h1>
        {loaded(request, "the request", move |r: ActionRequest| view! { <RequestView r=r on_change=move || tick.update(|t| *t += 1) /> })}
    }
}

#[component]
fn RequestView(r: ActionRequest, on_change: impl Fn() + Copy + Send + Sync + 'static) -> impl IntoView {
    let session = expect_context::<Session>();
    let me = session.subject();
    let pending = r.status == RequestStatus::PendingApproval;
    let can_decide = pending && session.has("approver") && me.as_deref() != Some(r.requester.as_str());
    let can_cancel = pending && me.as_deref() == Some(r.requester.as_str());
    let reason = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let id = r.id.clone();
    let hash = r.params_hash.clone();
    let act = move |action: &'static str| {
        let (id, hash) = (id.clone(), hash.clone());
        move |_| {
            let body = match action {
                "approve" => api::body(&DecisionInput { params_hash: Some(hash.clone()), reason: None }),
                "reject" => api::body(&DecisionInput { params_hash: None, reason: Some(reason.get_untracked()) }),
                _ => None,
            };
            let path = format!("/api/v1/requests/{}/{action}", encode(&id));
            leptos::task::spawn_local(async move {
                match api::post_json::<IgnoredAny>(&path, body).await {
                    Ok(_) => on_change(),
                    Err(e) => problem.set(Some(e)),
                }
            });
        }
    };
    let params = flat_params(&r.params);
    let testing = r.kind.is_testing_change();
    let change = describe(&r);
    view! {
        <div class="request-head">
            <Badge status=r.status.as_str() />
            <span>
                {format!(" {} requested by ", r.kind.label())}
                <Person name=r.requester_name.clone() subject=r.requester.clone() />
            </span>
            <span class="muted">" · "<Time at=Some(r.created_at.clone()) /></span>
        </div>
        <div class="two">
            <section aria-labelledby="params-h">
                <h2 id="params-h">"Exact parameters"</h2>
                {change.map(|c| view! { <p class="change">{c}</p> })}
                <table class="dense">
                    <tbody>
                        {params.into_iter().map(|(k, v)| view! { <tr><th scope="row">{k}</th><td class="arn">{v}</td></tr> }).collect_view()}
                        <tr>
                            <th scope="row">"params_hash"</th>
                            <td class="arn">{r.params_hash.clone()}</td>
                        </tr>
                    </tbody>
                </table>
                <p>
                    <strong>"Justification: "</strong>
                    {r.justification.clone()}
                    {r.ticket.clone().map(|t| format!(" (ticket {t})"))}
                </p>
                <p class="muted">
                    {format!("Needs {} approval(s) by someone other than the requester; expires ", r.approvals_needed)}
                    <Time at=Some(r.expires_at.clone()) />
                </p>
            </section>
            <section aria-labelledby="checks-h">
                <h2 id="checks-h">"Pre-flight checks"</h2>
                <ul class="plain">
                    {r
                        .preflight
                        .iter()
                        .map(|c| {
                            let status = match c.ok {
                                Some(true) => "passed",
                                Some(false) => "failed",
                                None => "unknown",
                            };
                            view! {
                                <li>
                                    <Badge status=status />
                                    " "
                                    <strong>{c.check.clone()}</strong>
                                    ": "
                                    {c.detail.clone()}
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
                <h2>"AWS"</h2>
                {if testing {
                    view! {
                        <dl class="facts">
                            <dt>"Restore testing plan"</dt>
                            <dd class="arn">{r.change_result.clone().unwrap_or_else(|| "–".into())}</dd>
                        </dl>
                    }
                        .into_any()
                } else {
                    view! {
                        <dl class="facts">
                            <dt>"Copy job"</dt>
                            <dd>{r.copy_job_id.clone().map(|j| format!("{j} ({})", r.copy_state.clone().unwrap_or_default())).unwrap_or_else(|| "–".into())}</dd>
                            <dt>"Restore job"</dt>
                            <dd>{r.restore_job_id.clone().map(|j| format!("{j} ({})", r.restore_state.clone().unwrap_or_default())).unwrap_or_else(|| "–".into())}</dd>
                            <dt>"Created resource"</dt>
                            <dd class="arn">{r.created_resource_arn.clone().unwrap_or_else(|| "–".into())}</dd>
                        </dl>
                    }
                        .into_any()
                }}
                {r.error.clone().map(|e| view! { <p class="error" role="alert">{e}</p> })}
            </section>
        </div>
        {(can_decide || can_cancel)
            .then(|| {
                view! {
                    <section class="decide" aria-labelledby="decide-h">
                        <h2 id="decide-h">"Decide"</h2>
                        {move || problem.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
                        {can_decide
                            .then(|| {
                                view! {
                                    <p>
                                        <button type="button" class="primary" on:click=act("approve")>
                                            "Approve these exact parameters"
                                        </button>
                                    </p>
                                    <div class="filter wide">
                                        <label for="reason">"Reason to reject"</label>
                                        <textarea id="reason" rows="2" on:input=set_value(reason)></textarea>
                                    </div>
                                    <p>
                                        <button type="button" on:click=act("reject")>"Reject"</button>
                                    </p>
                                }
                            })}
                        {can_cancel.then(|| view! { <button type="button" on:click=act("cancel")>"Cancel my request"</button> })}
                    </section>
                }
            })}
        <section aria-labelledby="timeline-h">
            <h2 id="timeline-h">"Timeline"</h2>
            <ol class="timeline" aria-live="polite">
                {r
                    .timeline
                    .iter()
                    .map(|t| {
                        let details = summary(&t.details);
                        view! {
                            <li>
                                <Time at=Some(t.at.clone()) />
                                <span class="kind">{t.action.clone()}</span>
                                <span class="muted">{t.actor.clone()}</span>
                                <span class="text">{details}</span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </section>
        <ul class="plain">
            {r
                .decisions
                .iter()
                .map(|d| {
                    view! {
                        <li>
                            <Badge status=if d.decision == "approve" { "approved" } else { "rejected" } />
                            " by "
                            <Person name=d.approver_name.clone() subject=d.approver.clone() />
                            " "
                            <Time at=Some(d.at.clone()) />
                            {d.reason.clone().map(|r| format!(": {r}"))}
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}

/// What a request is about, in a few words: the resource, or the selection and plan.
fn subject(r: &ActionRequest) -> String {
    let text = |k: &str| r.params[k].as_str().unwrap_or_default().to_string();
    if !r.kind.is_testing_change() {
        return format::arn_name(&text("resource_arn")).to_string();
    }
    match r.params["selection_name"].as_str() {
        Some(sel) => format!("{sel} in plan {}", text("plan_name")),
        None => format!("plan {}", text("plan_name")),
    }
}

/// A restore testing change as a sentence: what AWS will have once it is done.
fn describe(r: &ActionRequest) -> Option<String> {
    let p = &r.params;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let list = |v: &Value| {
        v.as_array().map(|a| a.iter().map(|x| format::arn_name(&text(x)).to_string()).collect::<Vec<_>>().join(", "))
    };
    let place = format!("in account {} ({})", r.account_id, r.region);
    let (plan, sel) = (text(&p["plan_name"]), text(&p["selection_name"]));
    let chosen = || {
        let s = &p["selection"];
        format!("{} resources {}", text(&s["resource_type"]), list(&s["resource_arns"]).unwrap_or_default())
    };
    let schedule = || format!("runs {} ", text(&p["plan"]["schedule_expression"]));
    Some(match r.kind {
        RequestKind::CreateTestingPlan if p["selection"].is_null() => {
            format!("Creates the restore testing plan {plan} {place}; it {}", schedule())
        }
        RequestKind::CreateTestingPlan => format!(
            "Creates the restore testing plan {plan} {place}, which {}and tests {} (selection {sel})",
            schedule(),
            chosen()
        ),
        RequestKind::UpdateTestingPlan => {
            format!("Changes the restore testing plan {plan} {place}: it {}with the settings below", schedule())
        }
        RequestKind::DeleteTestingPlan => format!("Deletes the restore testing plan {plan} {place}"),
        RequestKind::CreateTestingSelection => {
            format!("Adds the selection {sel} to the plan {plan} {place}: it tests {}", chosen())
        }
        RequestKind::UpdateTestingSelection => {
            format!("Changes the selection {sel} of the plan {plan} {place}: it tests {}", chosen())
        }
        RequestKind::DeleteTestingSelection => format!("Deletes the selection {sel} of the plan {plan} {place}"),
        _ => return None,
    })
}

/// The canonical parameters as rows; a nested object's fields are rows of their own
/// (`selection.resource_arns`), lists joined.
fn flat_params(params: &Value) -> Vec<(String, String)> {
    fn show(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|i| match (i["key"].as_str(), i["value"].as_str()) {
                    (Some(k), Some(v)) => format!("{k}={v}"),
                    _ => show(i),
                })
                .collect::<Vec<_>>()
                .join(", "),
            other => other.to_string(),
        }
    }
    let empty = |v: &Value| match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    };
    let mut rows = Vec::new();
    for (k, v) in params.as_object().into_iter().flatten() {
        match v {
            Value::Null => {}
            Value::Object(fields) => {
                rows.extend(fields.iter().filter(|(_, x)| !empty(x)).map(|(f, x)| (format!("{k}.{f}"), show(x))))
            }
            _ => rows.push((k.clone(), show(v))),
        }
    }
    rows
}

/// A short line from an audit record's details.
fn summary(details: &Value) -> String {
    let keys = ["job_id", "state", "result", "error", "reason", "idempotency_token", "creator_request_id", "approvals"];
    keys.iter()
        .filter_map(|k| {
            details
                .get(*k)
                .filter(|v| !v.is_null())
                .map(|v| format!("{k}: {}", v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
        })
        .collect::<Vec<_>>()
        .join(" · ")
}
