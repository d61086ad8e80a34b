//! The Recovery Console web application: a Leptos client-side app compiled to
//! WebAssembly, talking to the console's `/api/v1/` through the `shared` DTOs.

mod format;

use leptos::prelude::*;
use shared::{AccountSummary, Summary};
use wasm_bindgen::prelude::wasm_bindgen;

/// Entry point called by the generated JavaScript once the module loads.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

async fn get_json<T: serde::de::DeserializeOwned>(path: &str) -> Result<T, String> {
    let resp = gloo_net::http::Request::get(path).send().await.map_err(|e| format!("{path}: {e}"))?;
    if !resp.ok() {
        let body: Result<shared::ErrorBody, _> = resp.json().await;
        return Err(match body {
            Ok(b) => format!("{path}: {}", b.error.message),
            Err(_) => format!("{path}: HTTP {}", resp.status()),
        });
    }
    resp.json().await.map_err(|e| format!("{path}: {e}"))
}

#[component]
fn App() -> impl IntoView {
    let summary = LocalResource::new(|| get_json::<Summary>("/api/v1/summary"));
    view! {
        <header class="top">
            <h1>"Recovery Console"</h1>
        </header>
        <main>
            <h2>"Overview"</h2>
            <Suspense fallback=|| view! { <p class="loading">"Loading the accounts…"</p> }>
                {move || {
                    summary
                        .get()
                        .map(|result| match result {
                            Ok(s) if s.accounts.is_empty() => {
                                view! { <p class="empty">"No account has been synced yet."</p> }.into_any()
                            }
                            Ok(s) => view! { <AccountsTable accounts=s.accounts /> }.into_any(),
                            Err(e) => view! { <p class="error" role="alert">{e}</p> }.into_any(),
                        })
                }}
            </Suspense>
        </main>
    }
}

#[component]
fn AccountsTable(accounts: Vec<AccountSummary>) -> impl IntoView {
    view! {
        <table class="accounts">
            <caption>"Restore tests of the last 30 days, per account"</caption>
            <thead>
                <tr>
                    <th scope="col">"Account"</th>
                    <th scope="col">"Sync"</th>
                    <th scope="col">"Recovery points"</th>
                    <th scope="col">"Protected resources"</th>
                    <th scope="col">"Tests passed"</th>
                    <th scope="col">"Tests failed"</th>
                    <th scope="col">"Pass rate"</th>
                    <th scope="col">"Never tested"</th>
                </tr>
            </thead>
            <tbody>
                {accounts
                    .into_iter()
                    .map(|a| {
                        let rate = format::pass_rate(a.restore_tests_passed_30d, a.restore_tests_failed_30d);
                        view! {
                            <tr>
                                <th scope="row">{a.name.clone()}" "<span class="id">{a.account_id.clone()}</span></th>
                                <td class=if a.sync_ok { "ok" } else { "bad" }>{if a.sync_ok { "ok" } else { "error" }}</td>
                                <td class="num">{format::count(a.recovery_points)}</td>
                                <td class="num">{format::count(a.protected_resources)}</td>
                                <td class="num">{a.restore_tests_passed_30d}</td>
                                <td class="num">{a.restore_tests_failed_30d}</td>
                                <td class="num">{rate}</td>
                                <td class="num">{a.resources_never_tested}</td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
}
