//! Calls to the console's `/api/v1/`: JSON in, the API's error message out.

use serde::de::DeserializeOwned;

async fn read<T: DeserializeOwned>(path: &str, resp: gloo_net::http::Response) -> Result<T, String> {
    if !resp.ok() {
        let body: Result<shared::ErrorBody, _> = resp.json().await;
        return Err(match body {
            Ok(b) => b.error.message,
            Err(_) => format!("{path}: HTTP {}", resp.status()),
        });
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

pub async fn post<T: DeserializeOwned>(path: &str) -> Result<T, String> {
    let resp = gloo_net::http::Request::post(path)
        .send()
        .await
        .map_err(|e| format!("the console did not answer ({path}): {e}"))?;
    read(path, resp).await
}
