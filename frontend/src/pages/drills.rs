//! `/runbooks?resource=&scenario=`: a runbook generated from the live state, its
//! steps' buttons starting the matching requests, the team's notes, the Markdown.
//! `/drills`: drills and schedules; `/drills/:id`: a drill's report.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde_json::{json, Value};
use shared::{ActionRequest, Page};

use crate::json::{b, i, list, oi, opt, s};

use crate::components::{
    cells_table, facts_table, loaded, set_value, use_get, use_list, use_url, Badge, Cell, Pager, Time,
};
use crate::session::Session;
use crate::url::encode;
use crate::{api, format};

const SCENARIOS: [(&str, &str); 3] = [
    ("dynamodb_restore", "In-account restore of a DynamoDB table"),
    ("rds_restore", "In-account restore of an RDS instance"),
    ("cross_account_restore", "Cross-account recovery through the central vault"),
];

fn scenario_name(s: &str) -> &'static str {
    SCENARIOS.iter().find(|(k, _)| *k == s).map(|(_, n)| *n).unwrap_or("Recovery")
}

/// A status line under a form: what happened, or what went wrong.
fn outcome(message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    view! {
        <p role="status" aria-live="polite">
            {move || message.get().map(|m| match m {
                Ok(t) => view! { <span>{t}</span> }.into_any(),
                Err(e) => view! { <span class="error">{e}</span> }.into_any(),
            })}
        </p>
    }
}

#[component]
pub fn RunbookPage() -> impl IntoView {
    let (query, _) = use_url();
    let params = Memo::new(move |_| {
        query.with(|q| {
            (
                q.get("resource").unwrap_or_default().to_string(),
                q.get("scenario").unwrap_or("dynamodb_restore").to_string(),
            )
        })
    });
    let version = RwSignal::new(0u32);
    let runbook = use_get::<Value>(move || {
        let (arn, scenario) = params.get();
        version.get();
        format!("/api/v1/runbooks?resource_arn={}&scenario={scenario}", encode(&arn))
    });
    // The outcome of the last action outlives the runbook's reload after a save (the
    // view is built again), and goes when another runbook is opened.
    let message = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        params.track();
        message.set(None);
    });
    view! {
        <h1>"Runbook"</h1>
        <nav class="tabs" aria-label="Scenarios">
            {move || {
                let (arn, current) = params.get();
                SCENARIOS
                    .iter()
                    .map(|(k, n)| {
                        let href = format!("/runbooks?resource={}&scenario={k}", encode(&arn));
                        view! {
                            <a href=href aria-current=if current == *k { Some("page") } else { None }>{*n}</a>
                        }
                    })
                    .collect_view()
            }}
        </nav>
        {loaded(runbook, "the runbook", move |rb: Value| view! { <RunbookView rb=rb version=version message=message /> })}
    }
}

#[component]
fn RunbookView(rb: Value, version: RwSignal<u32>, message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    let session = expect_context::<Session>();
    let navigate = use_navigate();
    let (scenario, arn) = (s(&rb, "scenario"), s(&rb, "resource_arn"));
    let markdown = format!("/api/v1/runbooks/markdown?resource_arn={}&scenario={scenario}", encode(&arn));
    let drills = format!("/drills?resource={}&scenario={scenario}", encode(&arn));
    let notes = RwSignal::new(s(&rb, "notes"));
    let blockers: Vec<String> = list(&rb, "blockers").iter().filter_map(|b| b.as_str().map(str::to_string)).collect();
    let save_notes = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({"scenario": scenario, "resource_arn": arn, "notes": notes.get_untracked()});
        leptos::task::spawn_local(async move {
            let r = api::send_json::<Value>("PUT", "/api/v1/runbooks/notes", Some(body)).await;
            message.set(Some(r.map(|_| "Notes saved.".to_string())));
            version.update(|v| *v += 1);
        });
    };
    view! {
        <h2>{s(&rb, "title")}</h2>
        <p class="toolbar">
            <span class="muted">"Generated "</span>
            <Time at=opt(&rb, "generated_at") />
            <a href=markdown download="runbook.md">"Export Markdown"</a>
            <a href=drills>"Drills of this runbook"</a>
        </p>
        {(!blockers.is_empty())
            .then(|| {
                view! {
                    <div class="error" role="alert">
                        <strong>"Blocked: "</strong>
                        {blockers.join("; ")}
                    </div>
                }
            })}
        <h3>"What it needs"</h3>
        {facts_table("runbook-facts", list(&rb, "facts").iter().map(|f| (s(f, "name"), Cell::Arn(s(f, "value")))).collect())}
        {opt(&rb, "vault_policy").map(|p| view! {
            <details>
                <summary>"Destination vault access policy"</summary>
                <pre>{p}</pre>
            </details>
        })}
        <h3>"Pre-flight checks"</h3>
        <ul class="checks">
            {list(&rb, "checks")
                .iter()
                .map(|c| {
                    let status = match c["ok"].as_bool() { Some(true) => "passed", Some(false) => "failed", None => "unknown" };
                    view! { <li><Badge status=status /> {format!(" {}: {}", s(c, "check"), s(c, "detail"))}</li> }
                })
                .collect_view()}
        </ul>
        <h3>"Steps"</h3>
        <ol class="steps">
            {list(&rb, "steps")
                .iter()
                .map(|step| {
                    let start = step["request"].is_object().then(|| step["request"].clone()).map(|req| {
                        let navigate = navigate.clone();
                        let can = session.has("operator");
                        let go = move |_| {
                            let body = req.clone();
                            let navigate = navigate.clone();
                            leptos::task::spawn_local(async move {
                                match api::post_json::<ActionRequest>("/api/v1/requests", Some(body)).await {
                                    Ok(r) => navigate(&format!("/requests/{}", r.id), Default::default()),
                                    Err(e) => message.set(Some(Err(e))),
                                }
                            });
                        };
                        view! {
                            <button type="button" class="primary" on:click=go disabled=!can
                                title=if can { "File this request for approval" } else { "Operators file requests" }>
                                "Start this request"
                            </button>
                        }
                    });
                    view! { <li><strong>{s(step, "title")}</strong><p>{s(step, "detail")}</p>{start}</li> }
                })
                .collect_view()}
        </ol>
        <h3>"Notes"</h3>
        <form on:submit=save_notes aria-label="The team's notes">
            <label class="block">
                "Markdown the team keeps with this runbook"
                <textarea rows="6" prop:value=notes on:input=set_value(notes)></textarea>
            </label>
            <p class="muted">
                {opt(&rb, "notes_updated_by").map(|by| format!("Last edited by {by} "))}
                <Time at=opt(&rb, "notes_updated_at") />
            </p>
            <button type="submit" disabled=move || !session.has("operator")>"Save notes"</button>
        </form>
        {outcome(message)}
    }
}

#[component]
pub fn Drills() -> impl IntoView {
    let session = expect_context::<Session>();
    let (query, _) = use_url();
    let page = use_list::<Value>("/api/v1/drills", &["resource_arn"], &[]);
    let version = RwSignal::new(0u32);
    let schedules = use_get::<Value>(move || {
        version.get();
        "/api/v1/drill-schedules".to_string()
    });
    let resource = RwSignal::new(query.get_untracked().get("resource").unwrap_or_default().to_string());
    let scenario = RwSignal::new(query.get_untracked().get("scenario").unwrap_or("dynamodb_restore").to_string());
    let retention = RwSignal::new("60".to_string());
    let every = RwSignal::new(String::new());
    let message = RwSignal::new(None::<Result<String, String>>);
    let navigate = use_navigate();
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let retention = retention.get_untracked().trim().parse::<i64>().unwrap_or(60);
        let every: Option<i64> = every.get_untracked().trim().parse().ok();
        let (resource, scenario) = (resource.get_untracked().trim().to_string(), scenario.get_untracked());
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match every {
                Some(hours) => {
                    let body = json!({"resource_arn": resource, "scenario": scenario, "every_hours": hours, "retention_minutes": retention});
                    let r = api::post_json::<Value>("/api/v1/drill-schedules", Some(body)).await;
                    message.set(Some(r.map(|v| {
                        format!("Scheduled every {} h; the first runs at {}.", i(&v, "every_hours"), s(&v, "next_at"))
                    })));
                    version.update(|v| *v += 1);
                }
                None => {
                    let body = json!({"resource_arn": resource, "scenario": scenario, "retention_minutes": retention});
                    match api::post_json::<Value>("/api/v1/drills", Some(body)).await {
                        Ok(d) => navigate(&format!("/drills/{}", s(&d, "id")), Default::default()),
                        Err(e) => message.set(Some(Err(e))),
                    }
                }
            }
        });
    };
    view! {
        <h1>"Drills"</h1>
        <p class="lead">
            "A drill runs a runbook for one resource through the approval flow, times every step, validates the restored resource and cleans it up."
        </p>
        <form class="inline-form" on:submit=start aria-label="Start or schedule a drill">
            <label>
                "Resource ARN "
                <input required size="50" prop:value=resource on:input=set_value(resource) />
            </label>
            <label>
                "Scenario "
                <select prop:value=scenario on:change=set_value(scenario)>
                    {SCENARIOS.iter().map(|(k, n)| view! { <option value=*k>{*n}</option> }).collect_view()}
                </select>
            </label>
            <label>
                "Keep the restored resource (minutes) "
                <input type="number" min="1" max="10080" prop:value=retention on:input=set_value(retention) />
            </label>
            <label>
                "Repeat every (hours, empty: once now) "
                <input type="number" min="1" prop:value=every on:input=set_value(every) />
            </label>
            <button type="submit" class="primary" disabled=move || !session.has("operator")>"Start drill"</button>
        </form>
        {outcome(message)}
        {loaded(page, "drills", |p: Page<Value>| view! { <DrillTable page=p /> })}
        <h2>"Schedules"</h2>
        {loaded(schedules, "drill schedules", |all: Value| {
            let Some(items) = all.as_array().filter(|a| !a.is_empty()) else {
                return view! { <p class="empty">"No drill is scheduled."</p> }.into_any();
            };
            cells_table(
                "schedules",
                &["Resource", "Scenario", "Every", "Next run", "By", "State"],
                items
                    .iter()
                    .map(|v| {
                        vec![
                            Cell::Arn(s(v, "resource_arn")),
                            Cell::Text(scenario_name(&s(v, "scenario")).into()),
                            Cell::Text(format!("{} h", i(v, "every_hours"))),
                            Cell::Time(opt(v, "next_at")),
                            Cell::Text(s(v, "created_by")),
                            Cell::Badge(if b(v, "enabled") { "enabled" } else { "disabled" }.into()),
                        ]
                    })
                    .collect(),
            )
        })}
    }
}

#[component]
fn DrillTable(page: Page<Value>) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p class="empty">"No drill yet."</p> }.into_any();
    }
    let shown = page.items.len();
    let rows = page
        .items
        .iter()
        .map(|d| {
            vec![
                Cell::Link(scenario_name(&s(d, "scenario")).into(), format!("/drills/{}", s(d, "id"))),
                Cell::Arn(format::arn_name(&s(d, "resource_arn")).to_string()),
                Cell::Badge(opt(d, "outcome").unwrap_or_else(|| s(d, "status"))),
                Cell::Num(oi(d, "measured_rto_minutes").map(format::minutes).unwrap_or_else(|| "–".into())),
                Cell::Time(list(d, "steps").first().and_then(|st| opt(st, "at"))),
            ]
        })
        .collect();
    view! {
        {cells_table("drills", &["Drill", "Resource", "Status", "#Measured RTO", "Requested"], rows)}
        <Pager next=page.next_cursor shown=shown />
    }
    .into_any()
}

const STEP_NAMES: [(&str, &str); 6] = [
    ("requested", "Requested"),
    ("approved", "Approved"),
    ("job_started", "Job started"),
    ("job_completed", "Job completed"),
    ("validated", "Validated"),
    ("cleaned_up", "Cleaned up"),
];

#[component]
pub fn DrillReport() -> impl IntoView {
    let params = use_params_map();
    let version = RwSignal::new(0u32);
    let drill = use_get::<Value>(move || {
        version.get();
        format!("/api/v1/drills/{}", params.with(|p| p.get("id").unwrap_or_default()))
    });
    // Follow a drill under way.
    let handle = set_interval_with_handle(
        move || {
            let running = drill
                .get_untracked()
                .and_then(Result::ok)
                .is_some_and(|d| !["completed", "failed"].contains(&d["status"].as_str().unwrap_or_default()));
            if running {
                version.update(|v| *v += 1);
            }
        },
        std::time::Duration::from_secs(3),
    );
    on_cleanup(move || {
        if let Ok(h) = handle {
            h.clear();
        }
    });
    view! {
        <h1>"Drill report"</h1>
        {loaded(drill, "the drill", |d: Value| view! { <ReportView d=d /> })}
    }
}

#[component]
fn ReportView(d: Value) -> impl IntoView {
    let session = expect_context::<Session>();
    let followups = RwSignal::new(s(&d, "followups"));
    let message = RwSignal::new(None::<Result<String, String>>);
    let path = format!("/api/v1/drills/{}/followups", s(&d, "id"));
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = json!({"followups": followups.get_untracked()});
        let path = path.clone();
        leptos::task::spawn_local(async move {
            let r = api::send_json::<Value>("PUT", &path, Some(body)).await;
            message.set(Some(r.map(|_| "Follow-ups saved.".to_string())));
        });
    };
    let (arn, scenario) = (s(&d, "resource_arn"), s(&d, "scenario"));
    let status = opt(&d, "outcome").unwrap_or_else(|| s(&d, "status"));
    let rto = oi(&d, "measured_rto_minutes");
    let rto_target = i(&d, "rto_target_minutes");
    let minutes = |k: &str| oi(&d, k).map(format::minutes).unwrap_or_else(|| "–".into());
    let mut figures = vec![
        (
            "Measured RTO (job started to validated)".to_string(),
            Cell::Text(format!(
                "{} (target {}){}",
                minutes("measured_rto_minutes"),
                format::minutes(rto_target),
                match rto {
                    Some(m) if m > rto_target => ": outside target",
                    Some(_) => ": within target",
                    None => "",
                }
            )),
        ),
        ("Requested to validated".into(), Cell::Text(minutes("end_to_end_minutes"))),
        (
            "RPO of the recovery point used".into(),
            Cell::Text(format!("{} (target {} h)", minutes("rpo_minutes"), i(&d, "rpo_target_hours"))),
        ),
        ("Recovery point created".into(), Cell::Time(opt(&d, "recovery_point_created_at"))),
        ("Recovery point".into(), Cell::Arn(s(&d, "recovery_point_arn"))),
        ("Restored as".into(), Cell::Arn(opt(&d, "restored_arn").unwrap_or_else(|| s(&d, "target_name")))),
        ("Validation".into(), Cell::Text(opt(&d, "validation").unwrap_or_else(|| "–".into()))),
        ("Kept for".into(), Cell::Text(format::minutes(i(&d, "retention_minutes")))),
    ];
    if let Some(e) = opt(&d, "error") {
        figures.push(("Error".into(), Cell::Text(e)));
    }
    let steps = list(&d, "steps")
        .iter()
        .map(|st| {
            let key = s(st, "step");
            let name = STEP_NAMES.iter().find(|(k, _)| *k == key).map(|(_, n)| *n).unwrap_or("step");
            vec![
                Cell::Text(name.into()),
                Cell::Time(opt(st, "at")),
                Cell::Num(oi(st, "minutes_from_start").map(|m| m.to_string()).unwrap_or_else(|| "–".into())),
                Cell::Text(s(st, "by")),
            ]
        })
        .collect();
    view! {
        <h2>{format!("{} of {}", scenario_name(&scenario), format::arn_name(&arn))}</h2>
        <p class="toolbar">
            <Badge status=status />
            {opt(&d, "request_id").map(|r| view! { <a href=format!("/requests/{r}")>"Its request"</a> })}
            <a href=format!("/runbooks?resource={}&scenario={scenario}", encode(&arn))>"The runbook"</a>
        </p>
        {facts_table("drill-figures", figures)}
        <h3>"Steps"</h3>
        {cells_table("drill-steps", &["Step", "When", "#Minutes from start", "By"], steps)}
        <form on:submit=save aria-label="Follow-ups">
            <label class="block">
                "Follow-ups"
                <textarea rows="4" prop:value=followups on:input=set_value(followups)></textarea>
            </label>
            <button type="submit" disabled=move || !(session.has("operator") || session.has("approver"))>
                "Save follow-ups"
            </button>
        </form>
        {outcome(message)}
    }
}
