//! The checks the console runs as the restore-test validator, on the Restore tests
//! page: admins list them (the config file's read-only), add and remove their own.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde::de::IgnoredAny;
use shared::{RestoreTestCheckRule, RestoreTestChecks};

use crate::api;
use crate::components::{cells_table, loaded, outcome, set_value, use_get, Cell, Typeahead};
use crate::session::Session;
use crate::url::encode;

/// Keys as typed: `pk=order#1, sk=current; pk=order#2, sk=current`.
fn parse_keys(text: &str) -> Vec<BTreeMap<String, String>> {
    text.split(';')
        .map(|key| {
            key.split(',')
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .collect::<BTreeMap<_, _>>()
        })
        .filter(|k| !k.is_empty())
        .collect()
}

fn show_keys(keys: &[BTreeMap<String, String>]) -> String {
    keys.iter()
        .map(|k| k.iter().map(|(a, v)| format!("{a}={v}")).collect::<Vec<_>>().join(", "))
        .collect::<Vec<_>>()
        .join("; ")
}

fn describe(c: &RestoreTestChecks) -> String {
    let mut parts = vec!["resource ready".to_string()];
    if let Some(n) = c.min_items {
        parts.push(format!("DynamoDB: at least {n} items"));
    }
    if !c.keys.is_empty() {
        parts.push(format!("DynamoDB keys {}", show_keys(&c.keys)));
    }
    if c.rds_matches_source {
        parts.push("RDS: engine and storage as the source's".into());
    }
    parts.join(" · ")
}

/// The validator's checks, for admins (the API answers them only).
#[component]
pub fn ValidationChecks() -> impl IntoView {
    let session = expect_context::<Session>();
    move || session.has("admin").then(|| view! { <ChecksEditor /> })
}

#[component]
fn ChecksEditor() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let rules = use_get(move || {
        version.get();
        "/api/v1/restore-testing/checks".to_string()
    });
    let (plan, selection, min_items, keys) = (
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
        RwSignal::new(String::new()),
    );
    let rds = RwSignal::new(true);
    let message = RwSignal::new(None::<Result<String, String>>);
    let save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let selection = selection.get_untracked().trim().to_string();
        let body = api::body(&RestoreTestChecks {
            plan_arn: plan.get_untracked(),
            selection_name: (!selection.is_empty()).then_some(selection),
            min_items: min_items.get_untracked().trim().parse().ok(),
            keys: parse_keys(&keys.get_untracked()),
            rds_matches_source: rds.get_untracked(),
        });
        leptos::task::spawn_local(async move {
            let r = api::send_json::<IgnoredAny>("PUT", "/api/v1/restore-testing/checks", body).await;
            message.set(Some(
                r.map(|_| "Saved: the next completed tests of the plan are validated with these checks.".into()),
            ));
            version.update(|v| *v += 1);
        });
    };
    let remove = move |plan_arn: String, selection: Option<String>| {
        leptos::task::spawn_local(async move {
            let sel = selection.map(|s| format!("&selection_name={}", encode(&s))).unwrap_or_default();
            let path = format!("/api/v1/restore-testing/checks?plan_arn={}{sel}", encode(&plan_arn));
            let r = api::send_json::<IgnoredAny>("DELETE", &path, None).await;
            message.set(Some(r.map(|_| "Removed.".to_string())));
            version.update(|v| *v += 1);
        });
    };
    view! {
        <section aria-labelledby="checks-h">
            <h2 id="checks-h">"Validation checks"</h2>
            <p>
                "When a restore test of a plan below completes, the console checks what it restored inside the \
                 selection's validation window and reports SUCCESSFUL or FAILED to AWS Backup. Checks set here win \
                 over the config file's for the same plan and selection."
            </p>
            {loaded(rules, "the validation checks", move |rules: Vec<RestoreTestCheckRule>| {
                let rows = rules
                    .into_iter()
                    .map(|r| {
                        let c = r.checks.clone();
                        let action = if r.source == "console" {
                            let (p, s) = (c.plan_arn.clone(), c.selection_name.clone());
                            Cell::View(
                                view! { <button type="button" on:click=move |_| remove(p.clone(), s.clone())>"Remove"</button> }
                                    .into_any(),
                            )
                        } else {
                            Cell::Text("read-only".into())
                        };
                        vec![
                            Cell::Text(crate::format::arn_name(&c.plan_arn).to_string()),
                            Cell::Text(c.selection_name.clone().unwrap_or_else(|| "every selection".into())),
                            Cell::Text(describe(&c)),
                            Cell::Text(if r.source == "console" { r.updated_by.unwrap_or_default() } else { "the config file".into() }),
                            Cell::Time(r.updated_at),
                            action,
                        ]
                    })
                    .collect();
                cells_table("checks", &["Plan", "Selection", "Checks", "Set by", "Set at", "Change"], rows)
            })}
            <form class="inline-form" on:submit=save aria-label="Set validation checks">
                <Typeahead list="plans" id="checks-plan".to_string() label="Plan" value=plan />
                <label>
                    "Selection (optional) "
                    <input placeholder="every selection" on:input=set_value(selection) prop:value=selection />
                </label>
                <label>
                    "At least N items "
                    <input type="number" min="0" on:input=set_value(min_items) prop:value=min_items />
                </label>
                <label>
                    "Items present "
                    <input placeholder="pk=order#1, sk=current" on:input=set_value(keys) prop:value=keys />
                </label>
                <label>
                    <input type="checkbox" prop:checked=rds on:change=move |ev| rds.set(event_target_checked(&ev)) />
                    " RDS: engine and storage as the source's"
                </label>
                <button type="submit" class="primary">"Set checks"</button>
            </form>
            {outcome(message)}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_read_as_typed() {
        let keys = parse_keys("pk=order#1, sk=current; pk = order#2 ;");
        assert_eq!(show_keys(&keys), "pk=order#1, sk=current; pk=order#2");
    }
}
