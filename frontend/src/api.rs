//! Calls to the console's `/api/v1/`: JSON in, the API's error message out.
//! State changes carry the session's CSRF token (`X-CSRF-Token`).

use std::cell::RefCell;
use std::rc::Rc;

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;

thread_local! {
    static CSRF: RefCell<Option<String>> = const { RefCell::new(None) };
    static ON_SESSION_ENDED: RefCell<Option<Rc<dyn Fn()>>> = const { RefCell::new(None) };
}

/// What to do when an answer says the session has ended (`session_ended`): the
/// session signs in again.
pub fn on_session_ended(hook: impl Fn() + 'static) {
    ON_SESSION_ENDED.with(|h| *h.borrow_mut() = Some(Rc::new(hook)));
}

/// Remembers the CSRF token of the signed-in session (from `GET /api/v1/me`).
pub fn set_csrf(token: Option<String>) {
    CSRF.with(|c| *c.borrow_mut() = token);
}

// Sending and reading are not generic: only `decode` is compiled once per type.

/// The answer's body, `None` for 204 No Content, or the API's error message.
async fn read(path: &str, sent: Result<Response, gloo_net::Error>) -> Result<Option<String>, String> {
    let resp = sent.map_err(|e| format!("the console did not answer ({path}): {e}"))?;
    if !resp.ok() {
        let body = resp.text().await.ok().and_then(|t| crate::maps::from_str::<shared::ErrorBody>(&t).ok());
        if body.as_ref().is_some_and(|b| b.error.code == "session_ended") {
            if let Some(hook) = ON_SESSION_ENDED.with(|h| h.borrow().clone()) {
                hook();
            }
        }
        return Err(match body {
            Some(b) => b.error.message,
            None => format!("{path}: HTTP {}", resp.status()),
        });
    }
    if resp.status() == 204 {
        return Ok(None);
    }
    resp.text().await.map(Some).map_err(|e| format!("{path}: unexpected answer: {e}"))
}

/// The body as a `T`; no body (204) reads as JSON `null`.
fn decode<T: DeserializeOwned>(path: &str, body: Option<&str>) -> Result<T, String> {
    crate::maps::from_str(body.unwrap_or("null")).map_err(|e| undecodable(path, body.is_some(), e))
}

fn undecodable(path: &str, had_body: bool, e: serde_json::Error) -> String {
    if had_body {
        format!("{path}: unexpected answer: {e}")
    } else {
        e.to_string()
    }
}

async fn get_text(path: &str) -> Result<Option<String>, String> {
    read(path, Request::get(path).send().await).await
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    decode(path, get_text(path).await?.as_deref())
}

/// An answer still as its text, decoded where it is shown: the resources that
/// hold answers then share one type, so the wasm holds one copy of their code.
#[derive(Clone)]
pub struct Answer {
    path: Rc<str>,
    body: Option<Rc<str>>,
}

impl Answer {
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, String> {
        decode(&self.path, self.body.as_deref())
    }

    /// The address that gave this answer.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// The answer to a GET of `path`, not yet decoded.
pub async fn get_answer(path: &str) -> Result<Answer, String> {
    let body = get_text(path).await?;
    Ok(Answer { path: path.into(), body: body.map(Into::into) })
}

/// `value` as a request body: one of the `shared` input types, as JSON.
pub fn body<T: Serialize>(value: &T) -> Option<String> {
    // The input types are plain structs of strings, numbers and maps: nothing fails to serialize.
    serde_json::to_string(value).ok()
}

async fn post_text(path: &str, body: Option<String>) -> Result<Option<String>, String> {
    send_text("POST", path, body).await
}

async fn send_text(method: &str, path: &str, body: Option<String>) -> Result<Option<String>, String> {
    let mut req = match method {
        "PUT" => Request::put(path),
        "DELETE" => Request::delete(path),
        _ => Request::post(path),
    };
    if let Some(token) = CSRF.with(|c| c.borrow().clone()) {
        req = req.header("X-CSRF-Token", &token);
    }
    let sent = match body {
        Some(b) => req.header("Content-Type", "application/json").body(b).map_err(|e| e.to_string())?.send().await,
        None => req.send().await,
    };
    read(path, sent).await
}

/// POSTs `body` (JSON, from [`body`]) or nothing, with the CSRF token.
pub async fn post_json<T: DeserializeOwned>(path: &str, body: Option<String>) -> Result<T, String> {
    decode(path, post_text(path, body).await?.as_deref())
}

/// Sends `body` (JSON, from [`body`]) or nothing with `method` (`PUT`, `DELETE`), with the CSRF token.
pub async fn send_json<T: DeserializeOwned>(method: &str, path: &str, body: Option<String>) -> Result<T, String> {
    decode(path, send_text(method, path, body).await?.as_deref())
}

pub async fn post<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    post_json(path, None).await
}
