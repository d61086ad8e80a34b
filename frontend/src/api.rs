//! Calls to the console's `/api/v1/`: JSON in, the API's error message out.
//! State changes carry the session's CSRF token (`X-CSRF-Token`).

use std::cell::RefCell;

use serde::de::DeserializeOwned;

thread_local! {
    static CSRF: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Remembers the CSRF token of the signed-in session (from `GET /api/v1/me`).
pub fn set_csrf(token: Option<String>) {
    CSRF.with(|c| *c.borrow_mut() = token);
}

async fn read<T: DeserializeOwned>(path: &str, resp: gloo_net::http::Response) -> Result<T, String> {
    if !resp.ok() {
        let body: Result<shared::ErrorBody, _> = resp.json().await;
        return Err(match body {
            Ok(b) => b.error.message,
            Err(_) => format!("{path}: HTTP {}", resp.status()),
        });
    }
    if resp.status() == 204 {
        return serde_json::from_str("null").map_err(|e| e.to_string());
    }
    resp.json().await.map_err(|e| format!("{path}: unexpected answer: {e}"))
}

pub async fn get<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let resp = gloo_net::http::Request::get(path)
        .send()
        .await
        .map_err(|e| format!("the console did not answer ({path}): {e}"))?;
    read(path, resp).await
}

/// POSTs `body` as JSON (or nothing), with the CSRF token.
pub async fn post_json<T: DeserializeOwned>(path: &str, body: Option<serde_json::Value>) -> Result<T, String> {
    let mut req = gloo_net::http::Request::post(path);
    if let Some(token) = CSRF.with(|c| c.borrow().clone()) {
        req = req.header("X-CSRF-Token", &token);
    }
    let sent = match body {
        Some(b) => req.json(&b).map_err(|e| e.to_string())?.send().await,
        None => req.send().await,
    };
    let resp = sent.map_err(|e| format!("the console did not answer ({path}): {e}"))?;
    read(path, resp).await
}

pub async fn post<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    post_json(path, None).await
}
