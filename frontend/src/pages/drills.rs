//! `/runbooks?resource=&scenario=`: a runbook generated from the live state, its
//! steps' buttons starting the matching requests, the team's notes, the Markdown.
//! `/drills`: drills and schedules; `/drills/:id`: a drill's report.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use serde::de::IgnoredAny;
use shared::{
    ActionRequest, Drill, DrillFollowups, DrillSchedule, DrillStatus, NewDrill, NewDrillSchedule, Page, Runbook,
    RunbookNotes, Scenario,
};

use crate::components::{
    cells_table, facts_table, fetched, loaded, outcome, set_value, use_get, use_list, use_url, Badge, Cell, Pager,
    Time, Typeahead,
};
use crate::session::Session;
use crate::url::encode;
use crate::{api, format};

/// The scenario a URL names, or the first that fits the resource.
fn scenario_of(text: Option<&str>, arn: &str) -> Scenario {
    text.and_then(|t| t.parse().ok())
        .or_else(|| Scenario::ALL.iter().copied().find(|s| s.fits(arn)))
        .unwrap_or(Scenario::DynamodbRestore)
}

#[component]
pub fn RunbookPage() -> impl IntoView {
    let (query, _) = use_url();
    let params = Memo::new(move |_| {
        query.with(|q| {
            let arn = q.get("resource").unwrap_or_default().to_string();
            let scenario = scenario_of(q.get("scenario"), &arn);
            (arn, scenario)
        })
    });
    let version = RwSignal::new(0u32);
    let runbook = use_get(move || {
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
                Scenario::ALL
                    .iter()
                    .filter(|k| k.fits(&arn))
                    .map(|&k| {
                        let href = format!("/runbooks?resource={}&scenario={k}", encode(&arn));
                        view! {
                            <a href=href aria-current=if current == k { Some("page") } else { None }>{k.title()}</a>
                        }
                    })
                    .collect_view()
            }}
        </nav>
        {loaded(runbook, "the runbook", move |rb: Runbook| view! { <RunbookView rb=rb version=version message=message /> })}
    }
}

#[component]
fn RunbookView(
    rb: Runbook,
    version: RwSignal<u32>,
    message: RwSignal<Option<Result<String, String>>>,
) -> impl IntoView {
    let session = expect_context::<Session>();
    let navigate = use_navigate();
    let (scenario, arn) = (rb.scenario, rb.resource_arn.clone());
    let markdown = format!("/api/v1/runbooks/markdown?resource_arn={}&scenario={scenario}", encode(&arn));
    let drills = format!("/drills?resource={}&scenario={scenario}", encode(&arn));
    let notes = RwSignal::new(rb.notes.clone());
    let blockers = rb.blockers.clone();
    let save_notes = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = api::body(&RunbookNotes { scenario, resource_arn: arn.clone(), notes: notes.get_untracked() });
        leptos::task::spawn_local(async move {
            let r = api::send_json::<IgnoredAny>("PUT", "/api/v1/runbooks/notes", body).await;
            message.set(Some(r.map(|_| "Notes saved.".to_string())));
            version.update(|v| *v += 1);
        });
    };
    view! {
        <h2>{rb.title}</h2>
        <p class="toolbar">
            <span class="muted">"Generated "</span>
            <Time at=Some(rb.generated_at) />
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
        {facts_table("runbook-facts", rb.facts.into_iter().map(|f| (f.name, Cell::Arn(f.value))).collect())}
        {rb.vault_policy.map(|p| view! {
            <details>
                <summary>"Destination vault access policy"</summary>
                <pre>{p}</pre>
            </details>
        })}
        <h3>"Pre-flight checks"</h3>
        <ul class="checks">
            {rb.checks
                .into_iter()
                .map(|c| {
                    let status = match c.ok { Some(true) => "passed", Some(false) => "failed", None => "unknown" };
                    view! { <li><Badge status=status /> {format!(" {}: {}", c.check, c.detail)}</li> }
                })
                .collect_view()}
        </ul>
        <h3>"Steps"</h3>
        <ol class="steps">
            {rb.steps
                .into_iter()
                .map(|step| {
                    let start = step.request.map(|req| {
                        let navigate = navigate.clone();
                        let can = session.has("operator");
                        let go = move |_| {
                            let body = api::body(&req);
                            let navigate = navigate.clone();
                            leptos::task::spawn_local(async move {
                                match api::post_json::<ActionRequest>("/api/v1/requests", body).await {
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
                    view! { <li><strong>{step.title}</strong><p>{step.detail}</p>{start}</li> }
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
                {rb.notes_updated_by.map(|by| format!("Last edited by {by} "))}
                <Time at=rb.notes_updated_at />
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
    let page = use_list("/api/v1/drills", &["resource_arn"], &[]);
    let version = RwSignal::new(0u32);
    let schedules = use_get(move || {
        version.get();
        "/api/v1/drill-schedules".to_string()
    });
    let resource = RwSignal::new(query.get_untracked().get("resource").unwrap_or_default().to_string());
    let scenario = RwSignal::new(scenario_of(query.get_untracked().get("scenario"), &resource.get_untracked()));
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
                Some(every_hours) => {
                    let body = api::body(&NewDrillSchedule {
                        resource_arn: resource,
                        scenario,
                        every_hours,
                        first_at: None,
                        retention_minutes: Some(retention),
                        ends_at: None,
                    });
                    let r = api::post_json::<DrillSchedule>("/api/v1/drill-schedules", body).await;
                    message.set(Some(
                        r.map(|v| format!("Scheduled every {} h; the first runs at {}.", v.every_hours, v.next_at)),
                    ));
                    version.update(|v| *v += 1);
                }
                None => {
                    let body =
                        api::body(&NewDrill { resource_arn: resource, scenario, retention_minutes: Some(retention) });
                    match api::post_json::<Drill>("/api/v1/drills", body).await {
                        Ok(d) => navigate(&format!("/drills/{}", d.id), Default::default()),
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
            <Typeahead list="resources" id="drill-resource".to_string() label="Resource" value=resource />
            <label>
                "Scenario "
                <select
                    prop:value=move || scenario.get().as_str()
                    on:change=move |ev| scenario.set(scenario_of(Some(&event_target_value(&ev)), ""))
                >
                    {Scenario::ALL
                        .iter()
                        .map(|&k| view! { <option value=k.as_str()>{k.title()}</option> })
                        .collect_view()}
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
        {loaded(page, "drills", |p: Page<Drill>| view! { <DrillTable page=p /> })}
        <h2>"Schedules"</h2>
        {loaded(schedules, "drill schedules", |items: Vec<DrillSchedule>| {
            if items.is_empty() {
                return view! { <p class="empty">"No drill is scheduled."</p> }.into_any();
            }
            cells_table(
                "schedules",
                &["Resource", "Scenario", "Every", "Next run", "By", "State"],
                items
                    .into_iter()
                    .map(|v| {
                        vec![
                            Cell::Arn(v.resource_arn),
                            Cell::Text(v.scenario.title().into()),
                            Cell::Text(format!("{} h", v.every_hours)),
                            Cell::Time(Some(v.next_at)),
                            Cell::Text(v.created_by),
                            Cell::Badge(if v.enabled { "enabled" } else { "disabled" }.into()),
                        ]
                    })
                    .collect(),
            )
        })}
    }
}

#[component]
fn DrillTable(page: Page<Drill>) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p class="empty">"No drill yet."</p> }.into_any();
    }
    let shown = page.items.len();
    let rows = page
        .items
        .into_iter()
        .map(|d| {
            vec![
                Cell::Link(d.scenario.title().into(), format!("/drills/{}", d.id)),
                Cell::Arn(format::arn_name(&d.resource_arn).to_string()),
                Cell::Badge(d.outcome.unwrap_or_else(|| d.status.to_string())),
                Cell::Num(d.measured_rto_minutes.map(format::minutes).unwrap_or_else(|| "–".into())),
                Cell::Time(d.steps.into_iter().next().and_then(|st| st.at)),
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
    let drill = use_get(move || {
        version.get();
        format!("/api/v1/drills/{}", params.with(|p| p.get("id").unwrap_or_default()))
    });
    // Follow a drill under way.
    let handle = set_interval_with_handle(
        move || {
            let running = untrack(|| fetched::<Drill>(drill))
                .is_some_and(|d| !matches!(d.status, DrillStatus::Completed | DrillStatus::Failed));
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
        {loaded(drill, "the drill", |d: Drill| view! { <ReportView d=d /> })}
    }
}

#[component]
fn ReportView(d: Drill) -> impl IntoView {
    let session = expect_context::<Session>();
    let followups = RwSignal::new(d.followups.clone().unwrap_or_default());
    let message = RwSignal::new(None::<Result<String, String>>);
    let path = format!("/api/v1/drills/{}/followups", d.id);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = api::body(&DrillFollowups { followups: followups.get_untracked() });
        let path = path.clone();
        leptos::task::spawn_local(async move {
            let r = api::send_json::<IgnoredAny>("PUT", &path, body).await;
            message.set(Some(r.map(|_| "Follow-ups saved.".to_string())));
        });
    };
    let (arn, scenario) = (d.resource_arn.clone(), d.scenario);
    let status = d.outcome.clone().unwrap_or_else(|| d.status.to_string());
    let rto = d.measured_rto_minutes;
    let rto_target = d.rto_target_minutes;
    let minutes = |m: Option<i64>| m.map(format::minutes).unwrap_or_else(|| "–".into());
    let mut figures = vec![
        (
            "Measured RTO (job started to validated)".to_string(),
            Cell::Text(format!(
                "{} (target {}){}",
                minutes(rto),
                format::minutes(rto_target),
                match rto {
                    Some(m) if m > rto_target => ": outside target",
                    Some(_) => ": within target",
                    None => "",
                }
            )),
        ),
        ("Requested to validated".into(), Cell::Text(minutes(d.end_to_end_minutes))),
        (
            "RPO of the recovery point used".into(),
            Cell::Text(format!("{} (target {} h)", format::minutes(d.rpo_minutes), d.rpo_target_hours)),
        ),
        ("Recovery point created".into(), Cell::Time(Some(d.recovery_point_created_at))),
        ("Recovery point".into(), Cell::Arn(d.recovery_point_arn)),
        ("Restored as".into(), Cell::Arn(d.restored_arn.unwrap_or(d.target_name))),
        ("Validation".into(), Cell::Text(d.validation.unwrap_or_else(|| "–".into()))),
        ("Kept for".into(), Cell::Text(format::minutes(d.retention_minutes))),
    ];
    if let Some(e) = d.error {
        figures.push(("Error".into(), Cell::Text(e)));
    }
    let steps = d
        .steps
        .into_iter()
        .map(|st| {
            let name = STEP_NAMES.iter().find(|(k, _)| *k == st.step).map(|(_, n)| *n).unwrap_or("step");
            vec![
                Cell::Text(name.into()),
                Cell::Time(st.at),
                Cell::Num(st.minutes_from_start.map(|m| m.to_string()).unwrap_or_else(|| "–".into())),
                Cell::Text(st.by.unwrap_or_default()),
            ]
        })
        .collect();
    view! {
        <h2>{format!("{} of {}", scenario.title(), format::arn_name(&arn))}</h2>
        <p class="toolbar">
            <Badge status=status />
            {d.request_id.map(|r| view! { <a href=format!("/requests/{r}")>"Its request"</a> })}
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
