//! The authorization matrix: every route the console serves (those of the OpenAPI
//! document, read from the running console, and those it serves outside it) called
//! with no identity and as a person holding each single role, against the table of
//! who may call what in docs/authorization.md. A route missing from the table fails
//! the test with the row to add. Then every state change made with the session
//! cookie, or behind the ALB, without the CSRF token: refused, and nothing changed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;
use crate::console_auth::{alb_keys, alb_token, cookie_sign_in, SIGNER};

/// The table's columns after method and path: no identity, then one role each.
const WHO: [&str; 6] = ["anonymous", "viewer", "operator", "approver", "auditor", "admin"];
const TABLE: &str = "docs/authorization.md";
const TRACKING: &str = "arn:aws:dynamodb:ap-southeast-2:111111111111:table/tracking";

/// The rows of docs/authorization.md: (method, path) to whether each of [`WHO`] may call it.
fn table() -> BTreeMap<(String, String), [bool; 6]> {
    let path = format!("{}/../{TABLE}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut rows = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        let cells: Vec<&str> = line.split('|').map(|c| c.trim().trim_matches('`')).collect();
        if cells.len() < 9 || !["GET", "POST", "PUT", "DELETE", "PATCH"].contains(&cells[1]) {
            continue;
        }
        let mut allowed = [false; 6];
        for (i, cell) in cells[3..9].iter().enumerate() {
            allowed[i] = match *cell {
                "yes" => true,
                "no" => false,
                other => panic!("{TABLE}: {:?} in the {} column of `{line}`: write yes or no", other, WHO[i]),
            };
        }
        let key = (cells[1].to_string(), cells[2].to_string());
        assert!(rows.insert(key, allowed).is_none(), "{TABLE}: `{line}` is there twice");
    }
    rows
}

/// A value that passes a parameter's own checks, so a call reaches the handler's role check.
fn sample(name: &str, schema: &Value) -> Option<String> {
    let value = match name {
        "id" => "x-1",
        "arn" | "resource_arn" | "scope" => TRACKING,
        "plan_arn" => "arn:aws:backup:ap-southeast-2:111111111111:restore-testing-plan:p-1",
        "scope_kind" => "resource",
        "subject" => "matrix-nobody",
        "from" => "2026-11-01",
        "to" => "2026-11-27",
        "list" => "accounts",
        _ => return schema["enum"][0].as_str().map(str::to_string),
    };
    Some(value.to_string())
}

/// A route to call: method, path as documented, and the URL with its required parameters filled.
struct Route {
    method: String,
    path: String,
    url: String,
}

/// Every route: the served OpenAPI document's operations and the router's others.
async fn routes(c: &TestConsole) -> Vec<Route> {
    let (status, doc) = c.get("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let mut url = path.clone();
            let mut query = Vec::new();
            for p in op["parameters"].as_array().into_iter().flatten() {
                let name = p["name"].as_str().unwrap();
                if p["required"] != true {
                    continue;
                }
                let value = sample(name, &p["schema"]).unwrap_or_else(|| {
                    panic!(
                        "{method} {path}: no sample value for its parameter {name:?}: add one to sample() in {}",
                        file!()
                    )
                });
                match p["in"].as_str() {
                    Some("path") => url = url.replace(&format!("{{{name}}}"), &encode(&value)),
                    _ => query.push(format!("{name}={}", encode(&value))),
                }
            }
            if !query.is_empty() {
                url = format!("{url}?{}", query.join("&"));
            }
            routes.push(Route { method, path: path.clone(), url });
        }
    }
    for (method, path) in recovery_console::routes::undocumented_routes() {
        routes.push(Route { method: method.into(), path: path.into(), url: path.into() });
    }
    routes
}

/// Calls a route with a bearer token (or none); returns the status.
async fn call(c: &TestConsole, route: &Route, token: Option<&str>) -> u16 {
    let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
    let mut req = c.http.request(method.clone(), format!("{}{}", c.url, route.url));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if matches!(method, reqwest::Method::POST | reqwest::Method::PUT) {
        req = req.json(&json!({}));
    }
    // The status is all the matrix needs: a download's body is not read.
    req.send().await.unwrap().status().as_u16()
}

fn row(route: &Route, seen: &[bool; 6]) -> String {
    let cells: Vec<&str> = seen.iter().map(|a| if *a { "yes" } else { "no" }).collect();
    format!("| {} | `{}` | {} | |", route.method, route.path, cells.join(" | "))
}

#[tokio::test]
async fn every_route_answers_each_role_as_the_authorization_table_says() {
    let sb = spawn(0, 0.0).await;
    let table = table();
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| cfg.auth.anonymous_viewer = false).await;
        let routes = routes(&c).await;
        let (mut requests, mut refused) = (0, 0);
        let mut failures = Vec::new();
        for route in &routes {
            let mut seen = [false; 6];
            for (i, who) in WHO.iter().enumerate() {
                // A fresh session for every call: a route may end sessions (sign-out, revocation).
                let token = match *who {
                    "anonymous" => None,
                    role => {
                        let now = recovery_console::time::now_ms();
                        let subject = format!("matrix-{role}");
                        let roles = vec![role.to_string()];
                        let (token, _) = recovery_console::auth::start_session(
                            &c.store,
                            &c.state.auth,
                            &subject,
                            role,
                            roles,
                            "test",
                            now,
                        )
                        .await
                        .unwrap();
                        Some(token)
                    }
                };
                let status = call(&c, route, token.as_deref()).await;
                requests += 1;
                let refusal = if token.is_none() { 401 } else { 403 };
                seen[i] = !matches!(status, 401 | 403);
                if !seen[i] {
                    refused += 1;
                }
                let Some(expected) = table.get(&(route.method.clone(), route.path.clone())) else { continue };
                let fits = if expected[i] { seen[i] } else { status == refusal };
                if !fits {
                    let want = if expected[i] { "allowed (not 401 or 403)".to_string() } else { format!("{refusal}") };
                    failures.push(format!(
                        "{} {} as {who}: {TABLE} says {want}, the console answered {status}",
                        route.method, route.url
                    ));
                }
            }
            if !table.contains_key(&(route.method.clone(), route.path.clone())) {
                failures.push(format!(
                    "{} {} is not in {TABLE}: add this row (the answers seen now; check each against the intent):\n{}",
                    route.method,
                    route.path,
                    row(route, &seen)
                ));
            }
        }
        for (method, path) in table.keys() {
            if !routes.iter().any(|r| &r.method == method && &r.path == path) {
                failures
                    .push(format!("{TABLE} lists {method} {path}, which the console does not serve: remove the row"));
            }
        }
        println!(
            "authorization matrix ({label}): {} routes, {requests} requests made, {refused} refused, {} failures",
            routes.len(),
            failures.len()
        );
        assert!(failures.is_empty(), "{label}:\n{}", failures.join("\n"));
        assert!(routes.len() >= 50 && refused > 50, "{label}: the matrix saw too little");

        // With auth.anonymous_viewer on, nobody signed in reads what a viewer reads and changes nothing.
        let c = console(&sb, &db, |cfg| cfg.auth.anonymous_viewer = true).await;
        let (mut requests, mut refused) = (0, 0);
        for route in &routes {
            let Some(cells) = table.get(&(route.method.clone(), route.path.clone())) else { continue };
            let expected = cells[0] || (route.method == "GET" && cells[1]);
            let status = call(&c, route, None).await;
            requests += 1;
            refused += usize::from(status == 401);
            let fits = if expected { !matches!(status, 401 | 403) } else { status == 401 };
            if !fits {
                failures.push(format!(
                    "{} {} anonymously with anonymous_viewer on: answered {status}",
                    route.method, route.url
                ));
            }
        }
        println!(
            "authorization matrix, anonymous viewing on ({label}): {requests} requests made, {refused} refused, {} failures",
            failures.len()
        );
        assert!(failures.is_empty(), "{label}:\n{}", failures.join("\n"));
    }
}

/// Every state change, made with erin's (admin's) session cookie or behind the ALB
/// without the CSRF token: 403 `csrf_failed` for each, and the audit log unchanged.
#[tokio::test]
async fn every_state_change_without_the_csrf_token_is_refused_with_the_cookie_and_behind_the_alb() {
    let sb = spawn(0, 0.0).await;
    let (keys, _) = alb_keys().await;
    for db in databases().await {
        let label = db.label;
        let keys = keys.clone();
        let c = console(&sb, &db, move |cfg| {
            cfg.auth.alb = Some(recovery_console::config::AlbConfig {
                signer_arn: SIGNER.into(),
                key_url: Some(keys.clone()),
                ..Default::default()
            });
            cfg.auth.group_roles.insert("backup-approvers".into(), vec!["admin".into()]);
        })
        .await;
        let changes: Vec<Route> = routes(&c).await.into_iter().filter(|r| r.method != "GET").collect();
        let (cookie, _, _, cookie_csrf) = cookie_sign_in(&c, "erin").await;
        let alb = alb_token(SIGNER, 600, "alba");
        let carol = c.sign_in("carol").await;
        let entries = || async { c.get_as(&carol, "/api/v1/audit/verify").await.1["entries"].as_i64().unwrap() };
        let before = entries().await;
        let (mut requests, mut refused, mut failures) = (0, 0, Vec::new());
        for route in &changes {
            for (via, header, value) in [("cookie", "cookie", cookie.as_str()), ("ALB", "x-amzn-oidc-data", &alb)] {
                let method = reqwest::Method::from_bytes(route.method.as_bytes()).unwrap();
                let resp = c
                    .http
                    .request(method, format!("{}{}", c.url, route.url))
                    .header(header, value)
                    .json(&json!({}))
                    .send()
                    .await
                    .unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                requests += 1;
                if (status, body["error"]["code"].as_str()) == (403, Some("csrf_failed")) {
                    refused += 1;
                } else {
                    failures.push(format!(
                        "{} {} with the {via} and no CSRF token: {status} {body}",
                        route.method, route.url
                    ));
                }
            }
        }
        println!(
            "CSRF ({label}): {} state-changing routes, {requests} requests made, {refused} refused, {} failures",
            changes.len(),
            failures.len()
        );
        assert!(failures.is_empty(), "{label}:\n{}", failures.join("\n"));
        assert!(changes.len() >= 15, "{label}: only {} state-changing routes", changes.len());
        assert_eq!(entries().await, before, "{label}: a refused state change left an audit record");

        // The same changes pass with the token: the refusals were the CSRF check's.
        let alb_me = c.get_with("/api/v1/me", "x-amzn-oidc-data", &alb).await;
        let alb_csrf = alb_me["csrf_token"].as_str().unwrap().to_string();
        for (header, value, csrf) in [("cookie", &cookie, &cookie_csrf), ("x-amzn-oidc-data", &alb, &alb_csrf)] {
            let resp = c
                .http
                .post(format!("{}/api/v1/sync", c.url))
                .header(header, value.as_str())
                .header("x-csrf-token", csrf.as_str())
                .send()
                .await
                .unwrap();
            // Started, or already running from the first: either way past the CSRF check.
            assert!(
                matches!(resp.status().as_u16(), 202 | 409),
                "{label}: {header} with its CSRF token: {}",
                resp.status()
            );
        }
    }
}
