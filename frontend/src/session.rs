//! Who is signed in: loaded once from `GET /api/v1/me`, reloaded after signing in
//! or out; the header, the sign-in page and every action read it.

use leptos::prelude::*;
use shared::Me;

use crate::api;
use crate::components::{fetched, use_get, Fetched};

#[derive(Clone, Copy)]
pub struct Session {
    /// A [`Me`].
    pub me: Fetched,
}

impl Session {
    pub fn provide() -> Self {
        let me = use_get(|| "/api/v1/me".into());
        Effect::new(move || api::set_csrf(fetched::<Me>(me).and_then(|m| m.csrf_token)));
        // Said by `/me` or by any other answer (whichever comes first: `/me` clears the
        // ended session's cookie, so a later `/me` no longer says it).
        let ended = RwSignal::new(false);
        api::on_session_ended(move || ended.set(true));
        Effect::new(move || {
            if let Some(m) = fetched::<Me>(me).filter(|m| m.session_ended || ended.get()) {
                sign_in_again(m.sso);
            }
        });
        let s = Session { me };
        provide_context(s);
        s
    }

    pub fn get(&self) -> Option<Me> {
        fetched(self.me)
    }

    pub fn subject(&self) -> Option<String> {
        self.get().and_then(|m| m.subject)
    }

    /// Whether the signed-in person holds `role` (admin holds every role).
    pub fn has(&self, role: &str) -> bool {
        self.get().is_some_and(|m| m.subject.is_some() && m.roles.iter().any(|r| r == role || r == "admin"))
    }

    pub fn reload(&self) {
        self.me.refetch();
    }
}

/// When a silent sign-in was last tried in this tab (sessionStorage, epoch ms).
const SILENT_TRIED: &str = "rc_silent_sign_in";

/// After the session ended (it expired after `auth.oidc.session_minutes`, or was
/// ended): signs in again through SSO without a page (`prompt=none`: the provider
/// answers at once while it still knows the person, with their current groups) and
/// comes back here; when that was tried in the last minute, or there is no SSO, the
/// sign-in page says the session ended.
fn sign_in_again(sso: bool) {
    let Some(w) = web_sys::window() else { return };
    let loc = w.location();
    let here = format!("{}{}", loc.pathname().unwrap_or_default(), loc.search().unwrap_or_default());
    if here.starts_with("/sign-in") {
        return;
    }
    // Whole milliseconds: formatting and parsing floats would add their code to the wasm.
    let now = js_sys::Date::now() as i64;
    let storage = w.session_storage().ok().flatten();
    let tried =
        storage.as_ref().and_then(|s| s.get_item(SILENT_TRIED).ok().flatten()).and_then(|v| v.parse::<i64>().ok());
    let back = crate::url::encode(&here);
    let to = if sso && tried.is_none_or(|t| now - t > 60_000) {
        if let Some(s) = &storage {
            let _ = s.set_item(SILENT_TRIED, &now.to_string());
        }
        format!("/auth/login?prompt=none&return_to={back}")
    } else {
        format!("/sign-in?ended=1&return_to={back}")
    };
    let _ = loc.assign(&to);
}

/// The header's part: the demo banner, who is signed in, sign in or out.
#[component]
pub fn WhoAmI() -> impl IntoView {
    let session = expect_context::<Session>();
    let sign_out = move |_| {
        leptos::task::spawn_local(async move {
            let _ = api::post::<serde::de::IgnoredAny>("/auth/logout").await;
            session.reload();
        });
    };
    move || match session.get() {
        None => view! { <span class="who muted">"…"</span> }.into_any(),
        Some(me) => match me.subject {
            Some(_) => {
                let roles = me.roles.iter().filter(|r| *r != "viewer").cloned().collect::<Vec<_>>().join(", ");
                view! {
                    <span class="who">
                        <span title=format!("roles: {}", me.roles.join(", "))>
                            {me.name.clone().unwrap_or_default()}
                            {(!roles.is_empty()).then(|| format!(" · {roles}"))}
                        </span>
                        <button type="button" class="link" on:click=sign_out>"Sign out"</button>
                    </span>
                }
                .into_any()
            }
            None => view! { <a class="who" href="/sign-in">"Sign in"</a> }.into_any(),
        },
    }
}

/// On every page in demo mode: this is a demo, without SSO.
#[component]
pub fn DemoBanner() -> impl IntoView {
    let session = expect_context::<Session>();
    move || {
        session.get().filter(|m| m.demo).map(|_| {
            view! {
                <div class="demo-banner" role="note">
                    <strong>"Demo"</strong>
                    " · the AWS sandbox stands in for AWS · local sign-in without SSO: "
                    <a href="/sign-in">"choose a demo user"</a>
                </div>
            }
        })
    }
}

/// `/sign-in`: SSO, or in the demo the local users.
#[component]
pub fn SignIn() -> impl IntoView {
    let session = expect_context::<Session>();
    let problem = RwSignal::new(None::<String>);
    let demo_user = move |user: &'static str| {
        move |_| {
            leptos::task::spawn_local(async move {
                match api::post_json::<serde::de::IgnoredAny>(
                    "/api/v1/auth/demo",
                    api::body(&shared::DemoSignIn { user: user.to_string() }),
                )
                .await
                {
                    Ok(_) => {
                        session.reload();
                        let _ = web_sys::window().map(|w| w.location().set_href("/requests"));
                    }
                    Err(e) => problem.set(Some(e)),
                }
            });
        }
    };
    let query = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .map(|s| crate::url::Query::parse(&s))
        .unwrap_or_default();
    let ended = query.get("ended").is_some();
    let back = query.get("return_to").filter(|p| p.starts_with('/') && !p.starts_with("//")).unwrap_or("/requests");
    let sso_href = format!("/auth/login?return_to={}", crate::url::encode(back));
    view! {
        <h1>"Sign in"</h1>
        {ended.then(|| view! { <p class="empty" role="status">"Your session has ended. Sign in again to go on."</p> })}
        {move || problem.get().map(|e| view! { <p class="error" role="alert">{e}</p> })}
        {move || {
            session
                .get()
                .map(|me| {
                    view! {
                        {me
                            .sso
                            .then(|| {
                                view! {
                                    <p>
                                        <a class="button primary" rel="external" href=sso_href.clone()>
                                            "Sign in with SSO"
                                        </a>
                                    </p>
                                }
                            })}
                        {me
                            .demo
                            .then(|| {
                                view! {
                                    <p>"Demo mode: sign in as one of the local users (no SSO, no password)."</p>
                                    <div class="users">
                                        <button type="button" on:click=demo_user("alice")>"Alice · operator"</button>
                                        <button type="button" on:click=demo_user("bob")>"Bob · approver"</button>
                                        <button type="button" on:click=demo_user("carol")>"Carol · auditor"</button>
                                        <button type="button" on:click=demo_user("erin")>"Erin · admin"</button>
                                    </div>
                                }
                            })}
                        {(!me.sso && !me.demo)
                            .then(|| view! { <p class="empty">"No sign-in is configured (auth.oidc)."</p> })}
                    }
                })
        }}
    }
}
