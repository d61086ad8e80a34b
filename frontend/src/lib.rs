//! The Recovery Console web application: a Leptos client-side app compiled to
//! WebAssembly, talking to the console's `/api/v1/` through the `shared` DTOs.
//! Every page is a URL; its filters, paging and selection live in the query string.

mod api;
mod components;
pub mod format;
mod maps;
mod pages;
mod session;
pub mod sort;
pub mod url;

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use shared::ResourceTypes;
use wasm_bindgen::prelude::wasm_bindgen;

use crate::components::{fetched, Fetched};

/// Entry point called by the generated JavaScript once the module loads.
#[wasm_bindgen(start)]
pub fn start() {
    // A panic's message to the browser's console (the wasm aborts after it). Leptos'
    // console binding, not console_error_panic_hook: the words under a typeahead
    // needed its bytes of the web budget.
    std::panic::set_hook(Box::new(|info| leptos::logging::error!("{info}")));
    leptos::mount::mount_to_body(App);
}

/// The one list loaded once per visit: the resource types the filters offer.
/// Longer lists (accounts, vaults, plans, resources) are asked for as one types
/// ([`components::Typeahead`]).
#[derive(Clone, Copy)]
pub struct Catalog {
    /// [`ResourceTypes`]: the known ones and those the synced data holds.
    pub resource_types: Fetched,
}

impl Catalog {
    /// The resource types as options, spelled as AWS does; the known ones while the
    /// list loads.
    pub fn type_options(&self) -> Signal<Vec<(String, String)>> {
        let res = self.resource_types;
        Signal::derive(move || {
            let items = fetched::<ResourceTypes>(res)
                .map(|t| t.items)
                .unwrap_or_else(|| shared::RESOURCE_TYPES.iter().map(|t| t.to_string()).collect());
            items.into_iter().map(|t| (t.clone(), t)).collect()
        })
    }
}

#[component]
fn App() -> impl IntoView {
    components::provide_zone();
    session::Session::provide();
    provide_context(Catalog { resource_types: components::use_get(|| "/api/v1/resource-types".into()) });
    view! {
        <Router>
            <a class="skip" href="#content">"Skip to content"</a>
            <session::DemoBanner />
            <header class="top">
                <span class="brand">"Recovery Console"</span>
                <nav aria-label="Main">
                    <A href="/" exact=true>"Overview"</A>
                    <A href="/accounts">"Accounts"</A>
                    <A href="/recovery-points">"Recovery points"</A>
                    <A href="/resources">"Resources"</A>
                    <A href="/restore-tests">"Restore tests"</A>
                    <A href="/jobs">"Jobs"</A>
                    <A href="/requests">"Requests"</A>
                    <A href="/assurance">"Assurance"</A>
                    <A href="/audit">"Audit"</A>
                </nav>
                <components::ZoneToggle />
                <session::WhoAmI />
            </header>
            <main id="content" tabindex="-1">
                <Routes fallback=|| {
                    view! {
                        <h1>"Page not found"</h1>
                        <p>"There is no page at this address. " <A href="/">"Go to the Overview"</A></p>
                    }
                }>
                    <Route path=path!("/") view=pages::overview::Overview />
                    <Route path=path!("/accounts") view=pages::accounts::Accounts />
                    <Route path=path!("/recovery-points") view=pages::recovery_points::RecoveryPoints />
                    <Route path=path!("/resources") view=pages::resources::Resources />
                    <Route path=path!("/restore-tests") view=pages::restore_tests::RestoreTests />
                    <Route path=path!("/jobs") view=pages::jobs::Jobs />
                    <Route path=path!("/requests") view=pages::requests::Requests />
                    <Route path=path!("/requests/new") view=pages::requests::NewRequest />
                    <Route path=path!("/requests/new-testing") view=pages::testing_request::NewTestingRequestPage />
                    <Route path=path!("/requests/:id") view=pages::requests::RequestDetail />
                    <Route path=path!("/audit") view=pages::audit::Audit />
                    <Route path=path!("/assurance") view=pages::assurance::Assurance />
                    <Route path=path!("/runbooks") view=pages::drills::RunbookPage />
                    <Route path=path!("/drills") view=pages::drills::Drills />
                    <Route path=path!("/drills/:id") view=pages::drills::DrillReport />
                    <Route path=path!("/evidence") view=pages::evidence::Evidence />
                    <Route path=path!("/sign-in") view=session::SignIn />
                </Routes>
            </main>
        </Router>
    }
}
