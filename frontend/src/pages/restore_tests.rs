//! `/restore-tests`: the restore testing jobs by plan, their validation and
//! deletion, the pass rate over time, filters in the URL.

use leptos::prelude::*;
use shared::{DailyTests, RestoreJob, TestCounts};

use crate::components::{
    data_table, fixed, loaded, loaded_page, resource_cell, use_get, use_list, use_url, Badge, ClearFilters,
    FilterChoice, FilterDate, FilterSelect, TestsChart, Time,
};
use crate::format;

const FILTERS: [&str; 7] =
    ["account_id", "plan_arn", "outcome", "validation_status", "resource_type", "created_after", "created_before"];

#[component]
pub fn RestoreTests() -> impl IntoView {
    let (query, _) = use_url();

    let chart_query = Memo::new(move |_| query.read().api(&["account_id", "plan_arn"], &[("days", "90")]));
    let page = use_list("/api/v1/restore-jobs", &FILTERS, &[("test", "true")]);
    let daily = use_get(move || format!("/api/v1/restore-tests/daily{}", chart_query.get()));
    view! {
        <h1>"Restore tests"</h1>
        <div class="filters" role="search" aria-label="Filter restore tests">
            <FilterChoice name="account_id" list="accounts" label="Account" />
            <FilterChoice name="plan_arn" list="plans" label="Restore testing plan" />
            <FilterSelect name="outcome" label="Outcome" options=fixed(shared::TestOutcome::NAMES) />
            <FilterSelect
                name="validation_status"
                label="Validation"
                options=fixed(&["SUCCESSFUL", "FAILED", "TIMED_OUT", "VALIDATING"])
            />
            <FilterSelect name="resource_type" label="Resource type" options=crate::components::types() />
            <FilterDate name="created_after" label="Started from" />
            <FilterDate name="created_before" label="Started before" />
            <ClearFilters keys=&FILTERS />
        </div>
        {loaded(daily, "the pass rate", |days: Vec<DailyTests>| {
            let weeks = format::weekly(&days);
            view! {
                <div class="charts">
                    <TestsChart days=days caption="Restore tests per day, 90 days (account and plan filters apply)" />
                    <WeeklyRates weeks=weeks />
                </div>
            }
        })}
        {loaded_page(page, "restore tests", &FILTERS, tests_table)}
        <super::validation_checks::ValidationChecks />
    }
}

/// The share of ended tests that restored and no validator failed.
fn success(t: &TestCounts) -> Option<f64> {
    shared::percent(t.tested(), t.ended())
}

/// Per week, the share of ended tests that did not fail (passed or restored), as a bar of its height.
#[component]
fn WeeklyRates(weeks: Vec<(String, TestCounts)>) -> impl IntoView {
    let width = weeks.len() * 20;
    let bars = weeks
        .iter()
        .enumerate()
        .map(|(i, (start, t))| {
            let total = t.ended();
            let rate = if total > 0 { t.tested() as f64 / total as f64 } else { 0.0 };
            let h = (rate * 96.0).max(1.0);
            let class = if total == 0 {
                "none"
            } else if rate >= 0.9 {
                "pass"
            } else {
                "fail"
            };
            let text = format!(
                "week of {start}: {} ({} passed, {} restored, {} failed)",
                format::percent(success(t)),
                t.passed,
                t.restored,
                t.failed
            );
            view! {
                <g>
                    <title>{text}</title>
                    <rect class=class x=i * 20 + 2 y=100.0 - h width=16 height=h></rect>
                </g>
            }
        })
        .collect_view();
    let summary =
        weeks.iter().map(|(s, t)| format!("{s}: {}", format::percent(success(t)))).collect::<Vec<_>>().join(", ");
    view! {
        <figure class="chart">
            <figcaption>
                <strong>"Tests not failed per week"</strong>
                <span class="legend">"green at 90 % or more"</span>
            </figcaption>
            <svg viewBox=format!("0 0 {} 100", width.max(20)) preserveAspectRatio="none" role="img" aria-label=format!("Pass rate per week: {summary}")>
                {bars}
            </svg>
            <div class="axis">
                <span>{weeks.first().map(|w| w.0.clone()).unwrap_or_default()}</span>
                <span>{weeks.last().map(|w| w.0.clone()).unwrap_or_default()}</span>
            </div>
        </figure>
    }
}

fn tests_table(items: Vec<RestoreJob>) -> AnyView {
    let rows = items
        .into_iter()
        .map(|j| {
            let resource = j.resource_arn.clone().unwrap_or_default();
            let plan = j.plan_arn.as_deref().map(format::arn_name).unwrap_or_default().to_string();
            view! {
                <tr>
                    <td>
                        <Time at=Some(j.created_at.clone()) />
                    </td>
                    {resource_cell(&resource, None, format!(" {} · {}", j.resource_type, j.account_id))}
                    <td>{plan}</td>
                    <td>
                        {shared::TestOutcome::of(&j.status, j.validation_status.as_deref())
                            .map(|o| view! { <Badge status=o.as_str() /> })}
                    </td>
                    <td>
                        <Badge status=j.status.clone() />
                        {j.status_message.clone().map(|m| view! { <div class="message">{m}</div> })}
                    </td>
                    <td>
                        {j.validation_status.clone().map(|v| view! { <Badge status=v /> })}
                        {j.validation_message.clone().map(|m| view! { <div class="message">{m}</div> })}
                    </td>
                    <td>
                        {j.deletion_status.clone().map(|v| view! { <Badge status=v /> })}
                        {j.deletion_message.clone().map(|m| view! { <div class="message muted">{m}</div> })}
                    </td>
                    <td class="num">{j.duration_minutes.map(format::minutes).unwrap_or_else(|| "–".into())}</td>
                </tr>
            }
            .into_any()
        })
        .collect();
    data_table("tests", &["Started", "Resource", "Plan", "Outcome", "Restore", "Validation", "Clean-up", "#Took"], rows)
}
