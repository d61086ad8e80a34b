//! Pieces every page uses: the URL state hooks, filters, the pager, times in UTC
//! and the viewer's zone, status badges, charts, and the loading, empty and error states.

use leptos::prelude::*;
use leptos_router::hooks::{use_location, use_navigate};
use leptos_router::NavigateOptions;
use serde::de::DeserializeOwned;
use shared::{Choice, DailyTests, Page, TestCounts};
use wasm_bindgen::JsValue;

use crate::url::Query;
use crate::{api, format};

/// The page's query string, parsed, and a way to go to another one.
pub fn use_url() -> (Memo<Query>, impl Fn(Query) + Clone + 'static) {
    let location = use_location();
    let query = Memo::new(move |_| Query::parse(&location.search.get()));
    let navigate = use_navigate();
    let path = location.pathname;
    let go = move |q: Query| {
        navigate(
            &format!("{}{}", path.get_untracked(), q.to_search()),
            NavigateOptions { scroll: false, ..Default::default() },
        )
    };
    (query, go)
}

/// A GET's answer, as text until it is shown (see [`api::Answer`]).
pub type Fetched = LocalResource<Result<api::Answer, String>>;

/// One page of an API list that follows the URL: its `filters`, the cursor and
/// the page size go to `endpoint`, with the fixed `extra` pairs.
pub fn use_list(
    endpoint: &'static str,
    filters: &'static [&'static str],
    extra: &'static [(&'static str, &'static str)],
) -> Fetched {
    let (query, _) = use_url();
    let list_query = Memo::new(move |_| {
        let mut allowed = filters.to_vec();
        allowed.extend(["cursor", "limit"]);
        query.read().api(&allowed, extra)
    });
    use_get(move || format!("{endpoint}{}", list_query.get()))
}

/// The answer to a GET of the address `path` returns, fetched again when a signal
/// `path` reads changes.
pub fn use_get(path: impl Fn() -> String + 'static) -> Fetched {
    get_resource(Box::new(path))
}

// Not generic (a closure made in `use_get` would be one type per caller): one copy
// of the resource's code for every answer.
fn get_resource(path: Box<dyn Fn() -> String>) -> Fetched {
    LocalResource::new(move || {
        let p = path();
        async move { api::get_answer(&p).await }
    })
}

/// The answer as a `T`, once it has come and if it decodes.
pub fn fetched<T: DeserializeOwned>(res: Fetched) -> Option<T> {
    res.get().and_then(Result::ok).and_then(|a| a.decode().ok())
}

/// The link to this page with `key` set (or removed).
pub fn href_with(query: &Query, path: &str, key: &str, value: Option<&str>) -> String {
    format!("{path}{}", query.with(key, value).to_search())
}

/// Which zone times show in; the other one is in each time's tooltip.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Zone {
    Utc,
    Local,
}

#[derive(Clone, Copy)]
pub struct ZoneChoice(pub RwSignal<Zone>);

const ZONE_KEY: &str = "recovery-console.zone";

/// The viewer's offset east of UTC at `ms`, in minutes.
pub fn local_offset(ms: i64) -> i64 {
    -(js_sys::Date::new(&JsValue::from_f64(ms as f64)).get_timezone_offset() as i64)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

pub fn provide_zone() -> ZoneChoice {
    let saved = storage().and_then(|s| s.get_item(ZONE_KEY).ok().flatten());
    let choice = ZoneChoice(RwSignal::new(if saved.as_deref() == Some("local") { Zone::Local } else { Zone::Utc }));
    provide_context(choice);
    choice
}

/// The button in the header that switches between UTC and the viewer's zone.
#[component]
pub fn ZoneToggle() -> impl IntoView {
    let ZoneChoice(zone) = expect_context::<ZoneChoice>();
    let local = format::zone(local_offset(js_sys::Date::now() as i64));
    let here = local.clone();
    let shown = Signal::derive(move || match zone.get() {
        Zone::Utc => "Times: UTC".to_string(),
        Zone::Local => format!("Times: {here}"),
    });
    // The accessible name starts with the visible text, then says what a press does.
    let label = Signal::derive(move || {
        let other = if zone.get() == Zone::Utc { local.clone() } else { "UTC".to_string() };
        format!("{} (switch to {other})", shown.get())
    });
    let flip = move |_| {
        let next = if zone.get_untracked() == Zone::Utc { Zone::Local } else { Zone::Utc };
        zone.set(next);
        if let Some(s) = storage() {
            let _ = s.set_item(ZONE_KEY, if next == Zone::Local { "local" } else { "utc" });
        }
    };
    view! {
        <button type="button" class="zone" on:click=flip aria-label=label title=label>
            {shown}
        </button>
    }
}

/// A person: the display name the IdP gave (which people can often edit themselves),
/// then the identity the console checks (the subject), set apart.
#[component]
pub fn Person(name: String, subject: String) -> impl IntoView {
    view! {
        <span class="person">
            {name}
            " "
            <code class="subject" title="The identity the console checks (the IdP subject)">
                {subject}
            </code>
        </span>
    }
}

/// A time in the chosen zone, the other zone in its tooltip.
#[component]
pub fn Time(at: Option<String>) -> impl IntoView {
    let ZoneChoice(zone) = expect_context::<ZoneChoice>();
    match at.as_deref().and_then(format::parse_time) {
        None => view! { <span class="muted">"–"</span> }.into_any(),
        Some(ms) => {
            let offset = local_offset(ms);
            let utc = format!("{} UTC", format::time(ms, 0));
            let local = format!("{} {}", format::time(ms, offset), format::zone(offset));
            let (u, l) = (utc.clone(), local.clone());
            view! {
                <time
                    datetime=at
                    title=move || if zone.get() == Zone::Utc { l.clone() } else { u.clone() }
                >
                    {move || if zone.get() == Zone::Utc { utc.clone() } else { local.clone() }}
                </time>
            }
            .into_any()
        }
    }
}

/// A time in UTC and in the viewer's zone, for detail panels.
#[component]
pub fn TimeBoth(at: Option<String>) -> impl IntoView {
    match at.as_deref().and_then(format::parse_time) {
        None => view! { <span class="muted">"–"</span> }.into_any(),
        Some(ms) => {
            let offset = local_offset(ms);
            view! {
                <time datetime=at>{format!("{} UTC", format::time(ms, 0))}</time>
                <span class="muted">
                    {format!(" ({} {})", format::time(ms, offset), format::zone(offset))}
                </span>
            }
            .into_any()
        }
    }
}

/// A status as a coloured badge with its text (colour is never the only cue).
#[component]
pub fn Badge(#[prop(into)] status: String) -> impl IntoView {
    let class = format!("badge {}", format::tone(&status));
    view! { <span class=class>{format::status_words(&status)}</span> }
}

/// What a resource returned: loading, the error, or the view of its answer as a `T`.
pub fn loaded<T, V>(res: Fetched, what: &'static str, show: impl Fn(T) -> V + Send + Sync + 'static) -> impl IntoView
where
    T: DeserializeOwned + 'static,
    V: IntoView + 'static,
{
    shown(res, what, move |a| a.decode::<T>().map(|v| show(v).into_any()))
}

/// What a resource returned: loading, the error, or what `show` makes of the answer.
pub fn shown(
    res: Fetched,
    what: &'static str,
    show: impl Fn(api::Answer) -> Result<AnyView, String> + Send + Sync + 'static,
) -> impl IntoView {
    shown_boxed(res, what, Box::new(show))
}

type Show = Box<dyn Fn(api::Answer) -> Result<AnyView, String> + Send + Sync>;

// Not generic: one copy of the reactive view's code for every resource shown.
fn shown_boxed(res: Fetched, what: &'static str, show: Show) -> impl IntoView {
    move || match res.get().map(|r| r.and_then(&show)) {
        None => loading(what),
        Some(Err(e)) => load_failed(what, e),
        Some(Ok(v)) => v,
    }
}

// Not generic, so that every `loaded` shares one copy of these views.
pub fn loading(what: &'static str) -> AnyView {
    view! { <p class="loading" role="status">"Loading " {what} "…"</p> }.into_any()
}

pub fn load_failed(what: &'static str, e: String) -> AnyView {
    view! {
        <div class="error" role="alert">
            <strong>"Could not load " {what} ". "</strong>
            {e}
        </div>
    }
    .into_any()
}

/// A page of an API list as a table and the pager, or the empty state (which says
/// whether the `filters` hid everything); `table` makes the table of the items.
pub fn loaded_page<T: DeserializeOwned + 'static>(
    res: Fetched,
    what: &'static str,
    filters: &'static [&'static str],
    table: impl Fn(Vec<T>) -> AnyView + Send + Sync + 'static,
) -> impl IntoView {
    loaded(res, what, move |p: Page<T>| {
        let shown = p.items.len();
        paged(what, filters, shown, p.next_cursor, || table(p.items))
    })
}

/// `table` and the pager for a list of `shown` items, or its empty state.
pub fn paged(
    what: &'static str,
    filters: &'static [&'static str],
    shown: usize,
    next: Option<String>,
    table: impl FnOnce() -> AnyView,
) -> AnyView {
    if shown == 0 {
        let filtered = Query::parse(&use_location().search.get_untracked()).has_any(filters);
        return view! { <Empty what=what filtered=filtered /> }.into_any();
    }
    view! {
        {table()}
        <Pager next=next shown=shown />
    }
    .into_any()
}

/// The empty state of a list: says whether filters hid everything.
#[component]
pub fn Empty(#[prop(into)] what: String, filtered: bool) -> impl IntoView {
    view! {
        <p class="empty">
            {if filtered {
                format!("No {what} match these filters.")
            } else {
                format!("No {what} yet: they appear after a sync finds some.")
            }}
        </p>
    }
}

/// A select that sets one URL filter.
#[component]
pub fn FilterSelect(
    name: &'static str,
    label: &'static str,
    #[prop(into)] options: Signal<Vec<(String, String)>>,
    #[prop(default = "All")] all: &'static str,
) -> impl IntoView {
    let (query, go) = use_url();
    let id = format!("filter-{name}");
    view! {
        <div class="filter">
            <label for=id.clone()>{label}</label>
            <select
                id=id
                on:change=move |ev| go(query.get_untracked().with(name, Some(&event_target_value(&ev))))
            >
                <option value="" selected=move || query.read().get(name).is_none()>{all}</option>
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            let v = value.clone();
                            view! {
                                <option value=value selected=move || query.read().get(name) == Some(v.as_str())>
                                    {text}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
        </div>
    }
}

/// A field that offers the choices of an API list as one types (`/api/v1/choices/{list}`:
/// accounts, regions, vaults, plans, resources), 20 at a time, so that no page loads
/// a whole list: one component for every such field, in filters and forms alike. The
/// browser shows the choices (a `datalist`: its keyboard and screen-reader support);
/// a choice (or an emptied field) goes to the URL's `url` key when given (a filter),
/// else to `value`. Text that is not a choice is put back when the field is left.
/// Under the field, the chosen value's words (an account's name for its id, a
/// vault's name and place for its ARN): from the choice picked, or asked for by
/// value (`?value=`) when the value came with the page's link.
#[component]
pub fn Typeahead(
    list: &'static str,
    id: String,
    label: &'static str,
    value: RwSignal<String>,
    #[prop(optional)] url: Option<&'static str>,
) -> impl IntoView {
    let (query, go) = use_url();
    let current = move || {
        match url {
            Some(_) => query.track(),
            None => value.track(),
        }
        current_untracked(url, query, value)
    };
    let apply = move |v: &str| match url {
        Some(key) => go(query.get_untracked().with(key, Some(v))),
        None => value.set(v.to_string()),
    };
    let options = RwSignal::new(Vec::<Choice>::new());
    // The last choice seen whose value is the field's: its words are shown under it.
    // (A list of at most one: the signal type `options` has, compiled once.)
    let words = RwSignal::new(Vec::<Choice>::new());
    let remember = move |found: &[Choice], shown: &str| {
        if let Some(c) = found.iter().find(|c| c.value == shown) {
            words.set(vec![c.clone()]);
        }
    };
    // Answers that come after a newer question are dropped; typing waits 150 ms.
    // Text that is exactly a choice's value (typed or pasted whole) is that choice.
    let asked = StoredValue::new(0u32);
    let timer = StoredValue::new(None::<TimeoutHandle>);
    let exact = apply.clone();
    let ask = move |key: &'static str, typed: String| {
        if let Some(h) = timer.get_value() {
            h.clear();
        }
        let n = asked.get_value().wrapping_add(1);
        asked.set_value(n);
        let exact = exact.clone();
        let wait = move || {
            leptos::task::spawn_local(async move {
                let path = format!("/api/v1/choices/{list}?limit=20&{key}={}", crate::url::encode(&typed));
                let found = api::get::<Page<Choice>>(&path).await.map(|p| p.items).unwrap_or_default();
                if asked.get_value() == n {
                    let new = typed != current_untracked(url, query, value);
                    if new && !typed.is_empty() && found.iter().any(|c| c.value == typed) {
                        exact(&typed);
                    }
                    remember(&found, &typed);
                    options.set(found);
                }
            })
        };
        timer.set_value(set_timeout_with_handle(wait, std::time::Duration::from_millis(150)).ok());
    };
    let on_focus = ask.clone();
    let initial = current_untracked(url, query, value);
    if !initial.is_empty() {
        ask("value", initial);
    }
    let input = move |ev: leptos::ev::Event| {
        let typed = event_target_value(&ev);
        let known = typed.is_empty() || options.with_untracked(|o| o.iter().any(|c| c.value == typed));
        if known && typed != current_untracked(url, query, value) {
            apply(&typed);
            options.with_untracked(|o| remember(o, &typed));
        }
        ask("q", typed);
    };
    let choices = format!("{id}-choices");
    view! {
        <div class="typeahead">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="search"
                list=choices.clone()
                autocomplete="off"
                placeholder="Type to search"
                prop:value=current
                on:input=input
                on:focus=move |_| on_focus("q", String::new())
                on:change=move |ev| {
                    let shown = current_untracked(url, query, value);
                    if event_target_value(&ev) != shown {
                        event_target::<web_sys::HtmlInputElement>(&ev).set_value(&shown);
                    }
                }
            />
            <datalist id=choices>
                {move || options.get().into_iter().map(|c| view! { <option value=c.value label=c.label></option> }).collect_view()}
            </datalist>
            <small class="muted">
                {move || { let shown = current(); words.get().into_iter().find(|c| c.value == shown).map(|c| c.label) }}
            </small>
        </div>
    }
}

/// The [`Typeahead`]'s value: the URL's `url` key, or `value`.
fn current_untracked(url: Option<&str>, query: Memo<Query>, value: RwSignal<String>) -> String {
    match url {
        Some(key) => query.get_untracked().get(key).unwrap_or_default().to_string(),
        None => value.get_untracked(),
    }
}

/// A [`Typeahead`] that sets one URL filter.
#[component]
pub fn FilterChoice(name: &'static str, list: &'static str, label: &'static str) -> impl IntoView {
    view! {
        <div class="filter">
            <Typeahead list=list id=format!("filter-{name}") label=label value=RwSignal::new(String::new()) url=name />
        </div>
    }
}

/// The handler of an input or a select that copies its value into `signal`: one
/// closure type for every such field, so one copy of the event code in the wasm.
pub fn set_value(signal: RwSignal<String>) -> impl Fn(leptos::ev::Event) + Clone + 'static {
    move |ev| signal.set(event_target_value(&ev))
}

/// A fixed list of values as select options.
pub fn fixed(values: &[&str]) -> Signal<Vec<(String, String)>> {
    let v: Vec<(String, String)> = values.iter().map(|s| (s.to_string(), format::status_words(s))).collect();
    Signal::stored(v)
}

/// The resource types as select options, spelled as AWS does ([`crate::Catalog::type_options`]).
pub fn types() -> Signal<Vec<(String, String)>> {
    expect_context::<crate::Catalog>().type_options()
}

/// A date input that sets one URL filter (`YYYY-MM-DD`, UTC).
#[component]
pub fn FilterDate(name: &'static str, label: &'static str) -> impl IntoView {
    let (query, go) = use_url();
    let id = format!("filter-{name}");
    view! {
        <div class="filter">
            <label for=id.clone()>{label}</label>
            <input
                id=id
                type="date"
                prop:value=move || { query.read().get(name).unwrap_or_default().chars().take(10).collect::<String>() }
                on:change=move |ev| go(query.get_untracked().with(name, Some(&event_target_value(&ev))))
            />
        </div>
    }
}

/// A text input (applied on Enter or with its button) that sets one URL filter.
#[component]
pub fn FilterText(name: &'static str, label: &'static str, placeholder: &'static str) -> impl IntoView {
    let (query, go) = use_url();
    let id = format!("filter-{name}");
    let input = NodeRef::<leptos::html::Input>::new();
    let apply = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let value = input.get().map(|i| i.value()).unwrap_or_default();
        go(query.get_untracked().with(name, Some(value.trim())));
    };
    view! {
        <form class="filter wide" on:submit=apply>
            <label for=id.clone()>{label}</label>
            <span class="inline">
                <input
                    id=id
                    type="search"
                    node_ref=input
                    placeholder=placeholder
                    prop:value=move || query.read().get(name).unwrap_or_default().to_string()
                />
                <button type="submit">"Apply"</button>
            </span>
        </form>
    }
}

/// "Clear filters", when any of `keys` is set.
#[component]
pub fn ClearFilters(keys: &'static [&'static str]) -> impl IntoView {
    let location = use_location();
    let (query, _) = use_url();
    move || {
        let active = query.read().has_any(keys);
        active.then(|| {
            let mut q = query.get();
            for k in keys {
                q = q.with(k, None);
            }
            let href = format!("{}{}", location.pathname.get(), q.to_search());
            view! { <a href=href class="clear">"Clear filters"</a> }
        })
    }
}

/// Links to the first and the next page of a list.
#[component]
pub fn Pager(next: Option<String>, shown: usize) -> impl IntoView {
    let first = Query::parse(&use_location().search.get_untracked()).get("cursor").map(|_| ("First page", None));
    let next = next.map(|c| ("Next page", Some(c)));
    pager(format!("{shown} shown"), "cursor", first, next)
}

/// The pager's view: `text`, then up to two links that set (or, with `None`,
/// remove) the page key `key`.
fn pager(
    text: String,
    key: &'static str,
    a: Option<(&str, Option<String>)>,
    b: Option<(&str, Option<String>)>,
) -> AnyView {
    let path = use_location().pathname.get_untracked();
    let q = Query::parse(&use_location().search.get_untracked());
    let links = [a, b]
        .into_iter()
        .flatten()
        .map(|(label, at)| {
            // A link to the page before sets `before`, which drops the cursor.
            let k = if label.starts_with('P') { "before" } else { key };
            view! { <a href=href_with(&q, &path, k, at.as_deref())>{label.to_string()}</a> }
        })
        .collect_view();
    view! {
        <nav class="pager" aria-label="Pages">
            <span class="muted">{text}</span>
            {links}
        </nav>
    }
    .into_any()
}

/// Pages of a list by key, both ways: how many are shown of how many, and links
/// to the page before (`before`) and after (`cursor`).
pub fn id_pager(what: &'static str, shown: usize, total: i64, prev: Option<String>, next: Option<String>) -> AnyView {
    let text = format!("{shown} of {} {what} shown", format::count(total));
    pager(text, "cursor", prev.map(|c| ("Previous page", Some(c))), next.map(|c| ("Next page", Some(c))))
}

/// Restore tests per day as stacked bars: passed (validated) below, restored (not
/// validated) above them, failed on top.
#[component]
pub fn TestsChart(days: Vec<DailyTests>, #[prop(into)] caption: String) -> impl IntoView {
    let all: TestCounts = days.iter().map(|d| d.tests).sum();
    let top = days.iter().map(|d| d.tests.ended()).max().unwrap_or(0).max(1) as f64;
    let width = (days.len() * 10).max(10);
    let validated = format!(
        "{} of completed restores validated, {} of those passed",
        format::percent(all.validated_share()),
        format::percent(all.validated_pass_rate())
    );
    let label = format!(
        "{caption}: {} passed, {} restored without validation, {} failed; {validated}",
        all.passed, all.restored, all.failed
    );
    let (first, last) = (
        days.first().map(|d| d.date.clone()).unwrap_or_default(),
        days.last().map(|d| d.date.clone()).unwrap_or_default(),
    );
    let bars = days
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let x = (i * 10 + 1) as f64;
            let t = d.tests;
            let (hp, hr, hf) = (t.passed as f64 / top * 96.0, t.restored as f64 / top * 96.0, t.failed as f64 / top * 96.0);
            view! {
                <g>
                    <title>{format!("{}: {} passed, {} restored, {} failed", d.date, t.passed, t.restored, t.failed)}</title>
                    <rect class="pass" x=x y=100.0 - hp width=8 height=hp></rect>
                    <rect class="restored" x=x y=100.0 - hp - hr width=8 height=hr></rect>
                    <rect class="fail" x=x y=100.0 - hp - hr - hf width=8 height=hf></rect>
                    <rect class="hit" x=x - 1.0 y=0 width=10 height=100></rect>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>
                <strong>{caption}</strong>
                <span class="legend">
                    <span class="key pass"></span>
                    {format!("{} passed", all.passed)}
                    <span class="key restored"></span>
                    {format!("{} restored", all.restored)}
                    <span class="key fail"></span>
                    {format!("{} failed", all.failed)}
                    <span title=validated.clone()>
                        {format!(" · {} validated", format::percent(all.validated_share()))}
                    </span>
                </span>
            </figcaption>
            <svg viewBox=format!("0 0 {width} 100") preserveAspectRatio="none" role="img" aria-label=label>
                {bars}
            </svg>
            <div class="axis">
                <span>{first}</span>
                <span>{last}</span>
            </div>
        </figure>
    }
}

/// A cell naming a resource (its `name`, or the end of its ARN), linked to its
/// page, with `detail` after it in grey.
pub fn resource_cell(arn: &str, name: Option<String>, detail: String) -> AnyView {
    let name = name.unwrap_or_else(|| format::arn_name(arn).to_string());
    view! {
        <td>
            <a href=format!("/resources?resource={}", crate::url::encode(arn))>{name}</a>
            <span class="muted">{detail}</span>
        </td>
    }
    .into_any()
}

/// One cell of a [`cells_table`].
pub enum Cell {
    Text(String),
    /// Right-aligned.
    Num(String),
    /// (text, href)
    Link(String, String),
    Badge(String),
    Time(Option<String>),
    /// Long identifiers (ARNs), allowed to break anywhere.
    Arn(String),
    /// Anything else (a button).
    View(AnyView),
}

fn cell_view(c: Cell) -> AnyView {
    match c {
        Cell::Text(t) => view! { <td>{t}</td> }.into_any(),
        Cell::Num(t) => view! { <td class="num">{t}</td> }.into_any(),
        Cell::Link(t, href) => view! { <td><a href=href>{t}</a></td> }.into_any(),
        Cell::Badge(s) => view! { <td><Badge status=s /></td> }.into_any(),
        Cell::Time(at) => view! { <td><Time at=at /></td> }.into_any(),
        Cell::Arn(t) => view! { <td class="arn">{t}</td> }.into_any(),
        Cell::View(v) => view! { <td>{v}</td> }.into_any(),
    }
}

/// The header row of a table. A heading starting with `#` is numeric
/// (right-aligned; the `#` is not shown).
pub fn thead(heads: &'static [&'static str]) -> AnyView {
    view! {
        <thead>
            <tr>
                {heads
                    .iter()
                    .map(|h| match h.strip_prefix('#') {
                        Some(h) => view! { <th scope="col" class="num">{h}</th> }.into_any(),
                        None => view! { <th scope="col">{*h}</th> }.into_any(),
                    })
                    .collect_view()}
            </tr>
        </thead>
    }
    .into_any()
}

/// A table of the `class`, its `heads` (see [`thead`]) and the rows the caller made:
/// one copy of the table code for every table of the pages.
pub fn data_table(class: &'static str, heads: &'static [&'static str], rows: Vec<AnyView>) -> AnyView {
    view! {
        <table class=class>
            {thead(heads)}
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// A table from plain rows: one copy of the table code for every simple table.
pub fn cells_table(id: &'static str, heads: &'static [&'static str], rows: Vec<Vec<Cell>>) -> AnyView {
    view! {
        <table id=id>
            {thead(heads)}
            <tbody>
                {rows.into_iter().map(|r| view! { <tr>{r.into_iter().map(cell_view).collect_view()}</tr> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A two-column table of named facts.
pub fn facts_table(id: &'static str, rows: Vec<(String, Cell)>) -> AnyView {
    view! {
        <table class="facts" id=id>
            <tbody>
                {rows
                    .into_iter()
                    .map(|(name, c)| view! { <tr><th scope="row">{name}</th>{cell_view(c)}</tr> })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// A status line under a form: what happened, or what went wrong.
pub fn outcome(message: RwSignal<Option<Result<String, String>>>) -> impl IntoView {
    view! {
        <p role="status" aria-live="polite">
            {move || message.get().map(|m| match m {
                Ok(t) => view! { <span>{t}</span> }.into_any(),
                Err(e) => view! { <span class="error">{e}</span> }.into_any(),
            })}
        </p>
    }
}
