//! `/assurance`: restore-test coverage per account and resource type with its
//! trend and gaps, the resources outside their RPO or RTO target, and the
//! targets (admins edit them). Also the RTO and RPO charts of a resource page.

use leptos::prelude::*;
use serde::de::IgnoredAny;
use shared::{
    Coverage, CoverageTrend, OutsideTarget, Page, ResourceRestoreTimes, ResourceRpo, SetTarget, TargetPolicy,
    TargetScope,
};

use crate::components::{cells_table, loaded, outcome, set_value, use_get, use_list, Badge, Cell, Pager, Time};
use crate::session::Session;
use crate::url::encode;
use crate::{api, format};

fn pct(a: i64, b: i64) -> String {
    shared::percent(a, b).map_or_else(|| "–".into(), |p| format!("{}%", p.floor()))
}

fn resource_link(arn: &str) -> String {
    format!("/resources?resource={}", encode(arn))
}

#[component]
pub fn Assurance() -> impl IntoView {
    let coverage = use_get(|| "/api/v1/assurance/coverage".to_string());
    let trend = use_get(|| "/api/v1/assurance/coverage-trend?days=90".to_string());
    let outside = use_list("/api/v1/assurance/outside-targets", &[], &[("limit", "50")]);
    view! {
        <h1>"Assurance"</h1>
        <p class="lead">
            "Which resources restore testing covers, how that moved, and what misses its RPO or RTO target. "
            <a href="/drills">"Drills"</a>
            " · "
            <a href="/evidence">"Evidence pack"</a>
        </p>
        <section aria-labelledby="coverage-h">
            <h2 id="coverage-h">"Restore-test coverage"</h2>
            {loaded(trend, "the coverage trend", |t: CoverageTrend| view! { <TrendChart trend=t /> })}
            {loaded(coverage, "coverage", |c: Coverage| view! { <CoverageTable coverage=c /> })}
        </section>
        <section aria-labelledby="outside-h">
            <h2 id="outside-h">"Outside target"</h2>
            {loaded(outside, "resources outside target", |p: Page<OutsideTarget>| view! { <OutsideTable page=p /> })}
        </section>
        <Targets />
    }
}

#[component]
fn TrendChart(trend: CoverageTrend) -> impl IntoView {
    let window = trend.window_days;
    let validated_today = trend.points.last().map(|p| p.validated).unwrap_or_default();
    let points: Vec<(String, i64, i64)> = trend.points.into_iter().map(|p| (p.date, p.tested, p.resources)).collect();
    if points.is_empty() {
        return view! { <p class="empty">"No trend yet."</p> }.into_any();
    }
    let last = points.last().map(|p| (p.1, p.2)).unwrap_or_default();
    let label = format!(
        "Resources a restore test restored in the {window} days before each day, over {} days; today {} of {}",
        points.len(),
        last.0,
        last.1
    );
    let (first_day, last_day) = (
        points.first().map(|p| p.0.clone()).unwrap_or_default(),
        points.last().map(|p| p.0.clone()).unwrap_or_default(),
    );
    let bars = points
        .into_iter()
        .map(|(date, tested, resources)| {
            let h = if resources > 0 { tested as f64 / resources as f64 * 96.0 } else { 0.0 };
            (h, "pass", format!("{date}: {tested} of {resources} tested ({})", pct(tested, resources)))
        })
        .collect();
    view! {
        <figure class="chart" id="coverage-trend">
            <figcaption>
                <strong>{format!("Tested within {window} days, per day")}</strong>
                <span class="legend">
                    {format!(
                        "today {} of {} ({}); {validated_today} validated",
                        last.0,
                        last.1,
                        pct(last.0, last.1),
                    )}
                </span>
            </figcaption>
            {bars_svg(label, bars, None)}
            <div class="axis">
                <span>{first_day}</span>
                <span>{last_day}</span>
            </div>
        </figure>
    }
    .into_any()
}

#[component]
fn CoverageTable(coverage: Coverage) -> impl IntoView {
    let rows = coverage
        .rows
        .into_iter()
        .map(|r| {
            let n = r.resources;
            vec![
                Cell::Text(r.account_id),
                Cell::Text(r.resource_type),
                Cell::Num(n.to_string()),
                Cell::Num(format!("{} ({})", r.covered, pct(r.covered, n))),
                Cell::Num(r.covered_by_tags.to_string()),
                Cell::Num(format!("{} ({})", r.tested_recently, pct(r.tested_recently, n))),
                Cell::Num(format!("{} ({})", r.validated_recently, pct(r.validated_recently, n))),
                Cell::Num(r.never_tested.to_string()),
            ]
        })
        .collect();
    let gaps: Vec<(String, String, String, String)> = coverage
        .gaps
        .into_iter()
        .map(|g| {
            let text = format!(
                " {} in {}: no selection names it, {}",
                g.resource_type,
                g.account_id,
                if g.last_test_at.is_some() { "not tested recently" } else { "never tested" }
            );
            let href = resource_link(&g.resource_arn);
            let name = g.resource_name.unwrap_or_else(|| crate::format::arn_name(&g.resource_arn).to_string());
            let add = format!(
                "/requests/new-testing?resource={}&type={}&account={}&region={}&name={}",
                encode(&g.resource_arn),
                encode(&g.resource_type),
                encode(&g.account_id),
                encode(&g.region),
                encode(&name)
            );
            (name, href, text, add)
        })
        .collect();
    view! {
        {cells_table(
            "coverage",
            &["Account", "Type", "#Resources", "#Named by a selection", "#Possibly (tags)", "#Tested recently", "#Validated", "#Never tested"],
            rows,
        )}
        <p class="muted">
            {format!(
                "Tested recently: a restore test restored it within {} days (passed or restored); validated: a validator also passed it.",
                coverage.days,
            )}
        </p>
        <h3>"Gaps"</h3>
        {if gaps.is_empty() {
            view! { <p class="empty">"No gap: every resource is named by a selection or was tested recently."</p> }.into_any()
        } else {
            view! {
                <ul class="gaps" aria-label="Coverage gaps">
                    {gaps
                        .into_iter()
                        .map(|(name, href, text, add)| {
                            view! {
                                <li>
                                    <a href=href>{name}</a>
                                    {text}
                                    " · "
                                    <a class="action" href=add>"Add to a restore testing selection"</a>
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

#[component]
fn OutsideTable(page: Page<OutsideTarget>) -> impl IntoView {
    if page.items.is_empty() {
        return view! { <p class="empty">"Every resource is within its targets."</p> }.into_any();
    }
    let shown = page.items.len();
    let mark = |outside: bool| Cell::Badge(if outside { "outside" } else { "within" }.to_string());
    let rows = page
        .items
        .into_iter()
        .map(|o| {
            let r = o.resource;
            let href = resource_link(&r.resource_arn);
            vec![
                Cell::Link(
                    format!("{} ({}, {})", r.resource_name.unwrap_or(r.resource_arn), r.resource_type, r.account_id),
                    href,
                ),
                mark(o.outside_rpo),
                Cell::Time(r.last_backup_at),
                Cell::Text(format!("{} h", o.rpo_target_hours)),
                mark(o.outside_rto),
                Cell::Num(r.latest_restore_minutes.map(format::minutes).unwrap_or_else(|| "–".into())),
                Cell::Text(format::minutes(o.rto_target_minutes)),
            ]
        })
        .collect();
    view! {
        {cells_table(
            "outside-targets",
            &["Resource", "RPO", "Newest backup", "RPO target", "RTO", "#Latest restore took", "RTO target"],
            rows,
        )}
        <Pager next=page.next_cursor shown=shown />
    }
    .into_any()
}

/// The RPO/RTO policy; admins add, change and remove targets.
#[component]
fn Targets() -> impl IntoView {
    let session = expect_context::<Session>();
    let version = RwSignal::new(0u32);
    let policy = use_get(move || {
        version.get();
        "/api/v1/assurance/targets".to_string()
    });
    let (kind, scope, rpo, rto) = (
        RwSignal::new(TargetScope::ResourceType),
        RwSignal::new(String::new()),
        RwSignal::new(String::from("24")),
        RwSignal::new(String::from("60")),
    );
    let message = RwSignal::new(None::<Result<String, String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let body = api::body(&SetTarget {
            scope_kind: kind.get_untracked(),
            scope: scope.get_untracked().trim().to_string(),
            rpo_hours: rpo.get_untracked().trim().parse::<i64>().unwrap_or(0),
            rto_minutes: rto.get_untracked().trim().parse::<i64>().unwrap_or(0),
        });
        leptos::task::spawn_local(async move {
            let r = api::send_json::<IgnoredAny>("PUT", "/api/v1/assurance/targets", body).await;
            message.set(Some(r.map(|_| "Saved.".to_string())));
            version.update(|v| *v += 1);
        });
    };
    let remove = move |kind: TargetScope, scope: String| {
        leptos::task::spawn_local(async move {
            let path = format!("/api/v1/assurance/targets?scope_kind={kind}&scope={}", encode(&scope));
            let r = api::send_json::<IgnoredAny>("DELETE", &path, None).await;
            message.set(Some(r.map(|_| format!("Removed the target of {scope}."))));
            version.update(|v| *v += 1);
        });
    };
    view! {
        <section aria-labelledby="targets-h">
            <h2 id="targets-h">"Targets"</h2>
            {loaded(policy, "the targets", move |p: TargetPolicy| {
                let admin = session.has("admin");
                let rows = p
                    .rules
                    .into_iter()
                    .map(|r| {
                        let console = r.source == "console";
                        let (k, sc) = (r.scope_kind, r.scope);
                        let action = if admin && console {
                            let sc = sc.clone();
                            Cell::View(
                                view! { <button type="button" on:click=move |_| remove(k, sc.clone())>"Remove"</button> }
                                    .into_any(),
                            )
                        } else {
                            Cell::Text(String::new())
                        };
                        let what = match k {
                            TargetScope::Resource => "resource",
                            TargetScope::ResourceType => "type",
                        };
                        vec![
                            Cell::Text(format!("{what} {sc}")),
                            Cell::Text(format!("{} h", r.rpo_hours)),
                            Cell::Text(format::minutes(r.rto_minutes)),
                            Cell::Text(if console { r.updated_by.unwrap_or_default() } else { "the config file".into() }),
                            Cell::Time(r.updated_at),
                            action,
                        ]
                    })
                    .collect();
                view! {
                    <p>
                        {format!(
                            "Default: RPO {} h, RTO {}. A target for a resource beats one for its type.",
                            p.default_rpo_hours,
                            format::minutes(p.default_rto_minutes),
                        )}
                    </p>
                    {cells_table("targets", &["For", "RPO", "RTO", "Set by", "Set at", "Change"], rows)}
                }
            })}
            {move || {
                session
                    .has("admin")
                    .then(|| {
                        view! {
                            <form class="inline-form" on:submit=save aria-label="Set a target">
                                <label>
                                    "For "
                                    <select
                                        on:change=move |ev| {
                                            if let Ok(k) = event_target_value(&ev).parse() {
                                                kind.set(k);
                                            }
                                        }
                                        prop:value=move || kind.get().as_str()
                                    >
                                        <option value=TargetScope::ResourceType.as_str()>"a resource type"</option>
                                        <option value=TargetScope::Resource.as_str()>"a resource (ARN)"</option>
                                    </select>
                                </label>
                                <label>
                                    "Type or ARN "
                                    <input required placeholder="RDS" on:input=set_value(scope) prop:value=scope />
                                </label>
                                <label>
                                    "RPO (hours) "
                                    <input type="number" min="1" required on:input=set_value(rpo) prop:value=rpo />
                                </label>
                                <label>
                                    "RTO (minutes) "
                                    <input type="number" min="1" required on:input=set_value(rto) prop:value=rto />
                                </label>
                                <button type="submit" class="primary">"Set target"</button>
                            </form>
                        }
                    })
            }}
            {outcome(message)}
        </section>
    }
}

/// A resource's RTO: its completed restores against the target line, with p50, p95, longest.
#[component]
pub fn RtoChart(times: ResourceRestoreTimes) -> impl IntoView {
    let restores = times.restores;
    if restores.is_empty() {
        return view! { <p class="empty">"No completed restore, so no measured restore time."</p> }.into_any();
    }
    let target = times.target_minutes;
    let top = times.max_minutes.unwrap_or_default().max(target).max(1) as f64 * 1.05;
    let y = move |m: i64| 100.0 - m as f64 / top * 100.0;
    let within = times.within_target.unwrap_or(true);
    let m = |v: Option<i64>| v.map(format::minutes).unwrap_or_default();
    let summary = format!(
        "p50 {} · p95 {} · longest {} · target {}",
        m(times.p50_minutes),
        m(times.p95_minutes),
        m(times.max_minutes),
        format::minutes(target)
    );
    let label = format!("Restore durations of {} restores against the RTO target: {summary}", restores.len());
    let bars = restores
        .into_iter()
        .map(|r| {
            let (minutes, test) = (r.minutes, r.test);
            let class = if minutes > target {
                "fail"
            } else if test {
                "pass"
            } else {
                "other"
            };
            let title = format!("{}: {}{}", r.created_at, format::minutes(minutes), if test { " (test)" } else { "" });
            (100.0 - y(minutes), class, title)
        })
        .collect();
    view! {
        <figure class="chart" id="rto-chart">
            <figcaption>
                <strong>"Restore time (RTO)"</strong>
                " "
                <Badge status=if within { "within" } else { "outside" } />
                <span class="legend">{summary}</span>
            </figcaption>
            {bars_svg(label, bars, Some(y(target)))}
        </figure>
    }
    .into_any()
}

/// A resource's RPO: time between recovery points against the target line, the
/// newest backup and central copy, and the gaps.
#[component]
pub fn RpoChart(rpo: ResourceRpo) -> impl IntoView {
    let (target_h, days) = (rpo.target_hours, rpo.days);
    let target = target_h * 60;
    let points: Vec<(String, i64)> =
        rpo.backups.into_iter().filter_map(|p| p.minutes_since_previous.map(|m| (p.at, m))).collect();
    let top = points.iter().map(|p| p.1).max().unwrap_or(0).max(target).max(1) as f64 * 1.05;
    let y = move |m: i64| 100.0 - m as f64 / top * 100.0;
    let age = |v: Option<i64>| v.map(format::minutes).unwrap_or_else(|| "none".into());
    let summary = format!(
        "newest backup {} old · newest central copy {} old · target {target_h} h",
        age(rpo.backup_age_minutes),
        age(rpo.copy_age_minutes),
    );
    let label = format!("Time between backups over {days} days against the RPO target: {summary}");
    let bars = points
        .into_iter()
        .map(|(at, m)| {
            let class = if m > target { "fail" } else { "pass" };
            (100.0 - y(m), class, format!("{at}: {} after the previous backup", format::minutes(m)))
        })
        .collect();
    let gaps: Vec<(String, String, Option<String>, i64)> =
        rpo.gaps.into_iter().map(|g| (g.kind, g.from, g.to, g.minutes_between)).collect();
    let mark = |ok: bool| if ok { "within" } else { "outside" };
    view! {
        <figure class="chart" id="rpo-chart">
            <figcaption>
                <strong>"Time between backups (RPO)"</strong>
                " "
                <Badge status=mark(rpo.within_target) />
                " copy "
                <Badge status=mark(rpo.copy_within_target) />
                <span class="legend">{summary}</span>
            </figcaption>
            {bars_svg(label, bars, Some(y(target)))}
        </figure>
        {if gaps.is_empty() {
            view! { <p class="muted">{format!("No gap longer than the target in {days} days.")}</p> }.into_any()
        } else {
            view! {
                <details>
                    <summary>{format!("{} gaps longer than the target in {days} days", gaps.len())}</summary>
                    <ul>
                        {gaps
                            .into_iter()
                            .map(|(kind, from, to, m)| {
                                view! {
                                    <li>
                                        {format!("{kind}: ")}
                                        <Time at=Some(from) />
                                        " – "
                                        <Time at=to />
                                        {format!(" ({} between points)", format::minutes(m))}
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </details>
            }
                .into_any()
        }}
    }
}

/// Bars (height out of 100, CSS class, tooltip), oldest left, and a dashed target line.
fn bars_svg(label: String, bars: Vec<(f64, &'static str, String)>, target_y: Option<f64>) -> AnyView {
    let width = (bars.len() * 10).max(10);
    view! {
        <svg viewBox=format!("0 0 {width} 100") preserveAspectRatio="none" role="img" aria-label=label>
            {bars
                .into_iter()
                .enumerate()
                .map(|(n, (h, class, title))| {
                    view! {
                        <rect class=class x=n * 10 + 1 y=100.0 - h width=8 height=h>
                            <title>{title}</title>
                        </rect>
                    }
                })
                .collect_view()}
            {target_y.map(|ty| view! { <line class="target" x1=0 x2=width y1=ty y2=ty></line> })}
        </svg>
    }
    .into_any()
}
