//! `/requests/new-testing?resource=&type=&account=&region=&name=`: asks for a
//! resource to be added to a restore testing selection, in an existing plan of its
//! account and region or in a new plan; another person approves it.

use leptos::prelude::*;
use shared::{ActionRequest, Choice, NewTestingRequest, Page, RequestKind, TestingPlanSpec, TestingSelectionSpec};

use crate::api;
use crate::components::{fetched, set_value, use_get, use_url};
use crate::session::Session;

/// A name AWS takes for a plan or selection: letters, digits and underscores, at most 50.
fn aws_name(text: &str) -> String {
    let name: String = text.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).take(50).collect();
    if name.is_empty() {
        "selection".into()
    } else {
        name
    }
}

fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::trim).filter(|l| !l.is_empty()).map(str::to_string).collect()
}

fn number(signal: RwSignal<String>) -> Option<i64> {
    signal.get_untracked().trim().parse().ok()
}

#[component]
pub fn NewTestingRequestPage() -> impl IntoView {
    let (query, _) = use_url();
    let q = query.get_untracked();
    let get = |k: &str| q.get(k).unwrap_or_default().to_string();
    let (resource, kind, account, region) = (get("resource"), get("type"), get("account"), get("region"));
    let name = q.get("name").map(str::to_string).unwrap_or_else(|| crate::format::arn_name(&resource).to_string());
    let session = expect_context::<Session>();
    // The plans of the resource's account and region; the first is suggested.
    let listed = use_get({
        let path = format!("/api/v1/choices/plans?limit=50&account_id={account}&region={region}");
        move || path.clone()
    });
    let plans = Signal::derive(move || {
        let items = fetched::<Page<Choice>>(listed).map(|p| p.items).unwrap_or_default();
        // A plan's label is "name (account, region)"; AWS's plan names hold no space.
        let mut names: Vec<String> =
            items.into_iter().filter_map(|c| c.label.split(" (").next().map(str::to_string)).collect();
        names.sort();
        names
    });
    let chosen = RwSignal::new(None::<String>);
    let plan = Signal::derive(move || chosen.get().or_else(|| plans.get().first().cloned()).unwrap_or_default());
    let new_plan = move || plan.get().is_empty();
    let plan_name = RwSignal::new(aws_name(&format!("{name}_restore_test")));
    let schedule = RwSignal::new("cron(0 5 ? * * *)".to_string());
    let start_window = RwSignal::new("8".to_string());
    let algorithm = RwSignal::new("LATEST_WITHIN_WINDOW".to_string());
    let lookback = RwSignal::new("7".to_string());
    let point_types = RwSignal::new("SNAPSHOT".to_string());
    let selection_name = RwSignal::new(aws_name(&name));
    let arns = RwSignal::new(resource.clone());
    let window = RwSignal::new("0".to_string());
    let role = RwSignal::new(String::new());
    let justification = RwSignal::new(String::new());
    let ticket = RwSignal::new(String::new());
    let problem = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let navigate = leptos_router::hooks::use_navigate();
    let (kind0, account0, region0) = (kind.clone(), account.clone(), region.clone());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let existing = plan.get_untracked();
        let fresh = existing.is_empty();
        let types = match point_types.get_untracked().as_str() {
            "both" => vec!["CONTINUOUS".to_string(), "SNAPSHOT".to_string()],
            one => vec![one.to_string()],
        };
        let role = role.get_untracked().trim().to_string();
        let ticket = ticket.get_untracked().trim().to_string();
        let input = NewTestingRequest {
            kind: if fresh { RequestKind::CreateTestingPlan } else { RequestKind::CreateTestingSelection },
            account_id: account0.clone(),
            region: region0.clone(),
            plan_name: if fresh { plan_name.get_untracked() } else { existing },
            plan: fresh.then(|| TestingPlanSpec {
                schedule_expression: schedule.get_untracked(),
                start_window_hours: number(start_window),
                algorithm: algorithm.get_untracked(),
                selection_window_days: number(lookback),
                include_vaults: vec!["*".into()],
                recovery_point_types: types,
                ..Default::default()
            }),
            selection_name: Some(selection_name.get_untracked()),
            selection: Some(TestingSelectionSpec {
                resource_type: kind0.clone(),
                resource_arns: lines(&arns.get_untracked()),
                validation_window_hours: number(window),
                iam_role_arn: (!role.is_empty()).then_some(role),
                ..Default::default()
            }),
            justification: justification.get_untracked(),
            ticket: (!ticket.is_empty()).then_some(ticket),
        };
        let body = api::body(&input);
        busy.set(true);
        problem.set(None);
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            match api::post_json::<ActionRequest>("/api/v1/requests/restore-testing", body).await {
                Ok(r) => navigate(&format!("/requests/{}", r.id), Default::default()),
                Err(e) => {
                    problem.set(Some(e));
                    busy.set(false);
                }
            }
        });
    };
    let field = |id: &'static str, label: &'static str, signal: RwSignal<String>| {
        view! {
            <div class="filter">
                <label for=id>{label}</label>
                <input id=id required prop:value=move || signal.get() on:input=set_value(signal) />
            </div>
        }
    };
    view! {
        <h1>"Add to a restore testing selection"</h1>
        {move || {
            (!session.has("operator"))
                .then(|| view! { <p class="error" role="alert">"Requests are made by operators. " <a href="/sign-in">"Sign in"</a></p> })
        }}
        <section class="detail" aria-labelledby="resource-h">
            <h2 id="resource-h">{format!("{name} ({kind})")}</h2>
            <dl class="facts">
                <dt>"Account and region"</dt>
                <dd>{format!("{account} · {region}")}</dd>
                <dt>"Resource"</dt>
                <dd class="arn">{resource.clone()}</dd>
            </dl>
            <p class="muted">
                "Once another person approves, the console creates the selection in AWS; the plan then restores the resource on its schedule and the result counts for coverage."
            </p>
        </section>
        <form class="request-form" on:submit=submit>
            <div class="filter">
                <label for="plan">"Restore testing plan"</label>
                <select id="plan" prop:value=move || plan.get() on:change=move |ev| chosen.set(Some(event_target_value(&ev)))>
                    {move || plans.get().into_iter().map(|p| view! { <option value=p.clone()>{p.clone()}</option> }).collect_view()}
                    <option value="">"A new plan"</option>
                </select>
            </div>
            <Show when=new_plan>
                <fieldset class="plan">
                    <legend>"New plan"</legend>
                    {field("plan-name", "Plan name (letters, digits, _)", plan_name)}
                    {field("schedule", "Schedule (cron, UTC)", schedule)}
                    {field("start-window", "Start window (hours, 1-168)", start_window)}
                    <div class="filter">
                        <label for="algorithm">"Recovery point"</label>
                        <select id="algorithm" on:change=set_value(algorithm)>
                            <option value="LATEST_WITHIN_WINDOW">"Latest within the window"</option>
                            <option value="RANDOM_WITHIN_WINDOW">"Random within the window"</option>
                        </select>
                    </div>
                    {field("lookback", "Window (days back, 1-365)", lookback)}
                    <div class="filter">
                        <label for="point-types">"Recovery point types"</label>
                        <select id="point-types" on:change=set_value(point_types)>
                            <option value="SNAPSHOT">"Snapshots"</option>
                            <option value="CONTINUOUS">"Continuous"</option>
                            <option value="both">"Both"</option>
                        </select>
                    </div>
                </fieldset>
            </Show>
            {field("selection-name", "Selection name (letters, digits, _)", selection_name)}
            <div class="filter wide">
                <label for="arns">{format!("{kind} resources (one ARN a line, at most 30)")}</label>
                <textarea id="arns" rows="2" prop:value=move || arns.get() on:input=set_value(arns)></textarea>
            </div>
            {field("window", "Validation window (hours, 0-168)", window)}
            <div class="filter wide">
                <label for="role">"Restore role ARN (optional: the account's backup role)"</label>
                <input id="role" on:input=set_value(role) />
            </div>
            {super::requests::why_and_submit(justification, ticket, problem, busy)}
        </form>
    }
}
