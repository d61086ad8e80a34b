//! Bearer tokens from an OIDC provider (a test provider on loopback serving its
//! discovery document and JWKS): a good token signs in with the roles of its
//! groups; forged, expired, not-yet-valid, other-audience, `alg: none` and
//! HS256-with-the-public-key tokens are all 401; an unknown key id refetches the
//! JWKS at most once a minute.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use axum::routing::get;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

use crate::common::*;
use crate::console::*;

const KEY: &[u8] = include_bytes!("../fixtures/oidc-test-key.pem");
const OTHER_KEY: &[u8] = include_bytes!("../fixtures/oidc-other-key.pem");

struct Provider {
    issuer: String,
    jwks_fetches: Arc<AtomicUsize>,
    /// What `/jwks` serves; replace it to rotate the provider's keys.
    keys: Arc<std::sync::Mutex<JwkSet>>,
}

fn jwk(pem: &[u8], kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(&EncodingKey::from_rsa_pem(pem).unwrap(), Algorithm::RS256).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

async fn provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let keys = Arc::new(std::sync::Mutex::new(JwkSet { keys: vec![jwk(KEY, "k1")] }));
    let fetches = Arc::new(AtomicUsize::new(0));
    let (i, f, set) = (issuer.clone(), Arc::clone(&fetches), Arc::clone(&keys));
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                let i = i.clone();
                async move {
                    axum::Json(json!({
                        "issuer": i,
                        "authorization_endpoint": format!("{i}/auth"),
                        "token_endpoint": format!("{i}/token"),
                        "jwks_uri": format!("{i}/jwks"),
                    }))
                }
            }),
        )
        .route(
            "/jwks",
            get(move || {
                f.fetch_add(1, Ordering::SeqCst);
                let set = set.lock().unwrap().clone();
                async move { axum::Json(set) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Provider { issuer, jwks_fetches: fetches, keys }
}

fn claims(issuer: &str, audience: &str, exp_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": issuer, "aud": audience, "sub": "dave", "name": "Dave Ops",
        "iat": now, "exp": now + exp_in, "groups": ["backup-operators", "unrelated"],
    })
}

/// Sign-in through the provider at `issuer` only (RS256): no demo users, no anonymous viewer.
fn oidc_only(cfg: &mut recovery_console::config::Config, issuer: &str) {
    cfg.auth.demo_users = false;
    cfg.auth.anonymous_viewer = false;
    cfg.auth.oidc = Some(recovery_console::config::OidcConfig {
        issuer: issuer.into(),
        client_id: "recovery-console".into(),
        algorithms: vec!["RS256".into()],
        ..Default::default()
    });
}

fn sign(claims: &Value, key: &[u8], kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(&header, claims, &EncodingKey::from_rsa_pem(key).unwrap()).unwrap()
}

#[tokio::test]
async fn bearer_tokens_are_checked_like_an_auditor_would_want() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let idp = provider().await;
        let c = console(&sb, &db, |cfg| {
            oidc_only(cfg, &idp.issuer);
            cfg.auth.public_url = Some("http://127.0.0.1:1".into());
            cfg.auth.group_roles.insert("backup-operators".into(), vec!["operator".into()]);
        })
        .await;
        let me = |token: String| {
            let c = &c;
            async move { c.get_as(&token, "/api/v1/me").await }
        };

        // Nobody signed in and no anonymous viewing: the API is closed.
        assert_eq!(c.get("/api/v1/summary").await.0, 401);

        let good = sign(&claims(&idp.issuer, "recovery-console", 300), KEY, "k1");
        let (status, body) = me(good.clone()).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["subject"], "dave");
        assert_eq!(body["roles"], json!(["operator", "viewer"]), "default role and the group's");
        assert_eq!(c.get_as(&good, "/api/v1/summary").await.0, 200);

        let refused = [
            ("forged", sign(&claims(&idp.issuer, "recovery-console", 300), OTHER_KEY, "k1")),
            ("expired", sign(&claims(&idp.issuer, "recovery-console", -3600), KEY, "k1")),
            ("another audience", sign(&claims(&idp.issuer, "another-app", 300), KEY, "k1")),
            ("another issuer", sign(&claims("http://evil.example", "recovery-console", 300), KEY, "k1")),
            ("not yet valid", {
                let mut c = claims(&idp.issuer, "recovery-console", 3600);
                c["nbf"] = json!(chrono::Utc::now().timestamp() + 1800);
                sign(&c, KEY, "k1")
            }),
            ("alg none", {
                let head = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"k1"}"#);
                let body = URL_SAFE_NO_PAD.encode(claims(&idp.issuer, "recovery-console", 300).to_string());
                format!("{head}.{body}.")
            }),
            ("HS256 keyed with the public key", {
                let public = EncodingKey::from_rsa_pem(KEY).unwrap();
                let jwk = Jwk::from_encoding_key(&public, Algorithm::RS256).unwrap();
                let mut header = Header::new(Algorithm::HS256);
                header.kid = Some("k1".into());
                let secret = serde_json::to_vec(&jwk).unwrap();
                encode(&header, &claims(&idp.issuer, "recovery-console", 300), &EncodingKey::from_secret(&secret))
                    .unwrap()
            }),
            ("unknown key", sign(&claims(&idp.issuer, "recovery-console", 300), KEY, "k9")),
            ("not a token", "a.b.c".to_string()),
        ];
        for (what, token) in refused {
            let (status, body) = me(token).await;
            assert_eq!(status, 401, "{what}: {body}");
            assert_eq!(body["error"]["code"], "unauthenticated", "{what}");
        }
        // The unknown key id asked for the JWKS once more at most (within the minute: not at all).
        assert_eq!(idp.jwks_fetches.load(Ordering::SeqCst), 1);
        let _ = me(sign(&claims(&idp.issuer, "recovery-console", 300), KEY, "k9")).await;
        assert_eq!(idp.jwks_fetches.load(Ordering::SeqCst), 1, "no refetch storm");

        // Signed in without an operator's group: a viewer reads but does not ask for restores.
        let mut viewer = claims(&idp.issuer, "recovery-console", 300);
        viewer["sub"] = json!("vera");
        viewer["groups"] = json!(["readers"]);
        let viewer = sign(&viewer, KEY, "k1");
        assert_eq!(me(viewer.clone()).await.1["roles"], json!(["viewer"]));
        let ask = json!({"kind": "restore", "recovery_point_arn": "arn:aws:backup:ap-southeast-2:111111111111:recovery-point:x", "justification": "a viewer trying to restore"});
        let (status, body) = c.post_as(&viewer, "/api/v1/requests", ask).await;
        assert_eq!(status, 403, "{body}");

        // A bearer token needs no CSRF token: browsers do not send it by themselves.
        let (status, _) = c.post_as(&good, "/api/v1/sync", Value::Null).await;
        assert_eq!(status, 202);
        // The demo's local sign-in does not exist outside the demo.
        let resp =
            c.http.post(format!("{}/api/v1/auth/demo", c.url)).json(&json!({"user": "alice"})).send().await.unwrap();
        assert_eq!(resp.status(), 404);
    }
}

const ALB_KEY: &[u8] = include_bytes!("../fixtures/alb-test-key.pem");
const ALB_PUBLIC: &str = include_str!("../fixtures/alb-test-key.pub.pem");
const SIGNER: &str =
    "arn:aws:elasticloadbalancing:ap-southeast-2:999999999999:loadbalancer/app/console/50dc6c495c0c9188";

/// An `x-amzn-oidc-data` value as an ALB writes it: base64 with padding, ES256.
fn alb_token(signer: &str, exp_in: i64, sub: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE;
    let header = json!({"alg": "ES256", "kid": "alb-key-1", "signer": signer, "iss": "https://idp.example.com", "client": "c", "exp": 0});
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": sub, "name": "Alba", "email": "alba@example.com", "groups": ["backup-approvers"], "exp": now + exp_in, "iss": "https://idp.example.com"});
    let (h, c) = (URL_SAFE.encode(header.to_string()), URL_SAFE.encode(claims.to_string()));
    let key = EncodingKey::from_ec_pem(ALB_KEY).unwrap();
    let sig = jsonwebtoken::crypto::sign(format!("{h}.{c}").as_bytes(), &key, Algorithm::ES256).unwrap();
    format!("{h}.{c}.{sig}")
}

#[tokio::test]
async fn behind_an_alb_the_signed_header_is_checked_against_the_pinned_signer() {
    let sb = spawn(0, 0.0).await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let keys = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/alb-key-1", get(|| async { ALB_PUBLIC }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    for db in databases().await {
        let keys = keys.clone();
        let c = console(&sb, &db, move |cfg| {
            cfg.auth.demo_users = false;
            cfg.auth.anonymous_viewer = false;
            cfg.auth.alb =
                Some(recovery_console::config::AlbConfig { signer_arn: SIGNER.into(), key_url: Some(keys.clone()) });
            cfg.auth.group_roles.insert("backup-approvers".into(), vec!["approver".into()]);
        })
        .await;
        let me = |header: String| {
            let c = &c;
            async move {
                let resp =
                    c.http.get(format!("{}/api/v1/me", c.url)).header("x-amzn-oidc-data", header).send().await.unwrap();
                (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
            }
        };
        let (status, body) = me(alb_token(SIGNER, 300, "alba")).await;
        assert_eq!(status, 200, "{}: {body}", db.label);
        assert_eq!((body["subject"].as_str(), body["roles"].clone()), (Some("alba"), json!(["approver", "viewer"])));

        let other = SIGNER.replace("50dc6c495c0c9188", "0000000000000000");
        let tampered = {
            let t = alb_token(SIGNER, 300, "alba");
            let parts: Vec<&str> = t.split('.').collect();
            let evil = base64::engine::general_purpose::URL_SAFE
                .encode(json!({"sub": "root", "exp": chrono::Utc::now().timestamp() + 300}).to_string());
            format!("{}.{evil}.{}", parts[0], parts[2])
        };
        for (what, token) in [
            ("another load balancer", alb_token(&other, 300, "alba")),
            ("expired", alb_token(SIGNER, -600, "alba")),
            ("tampered", tampered),
        ] {
            let (status, body) = me(token).await;
            assert_eq!(status, 401, "{what}: {body}");
        }
        assert_eq!(c.get("/api/v1/summary").await.0, 401, "without the header nobody is signed in");
    }
}

/// Signs in a demo user with the browser's cookie; returns the cookie pair, the Set-Cookie
/// value, the session token and the CSRF token.
async fn cookie_sign_in(c: &TestConsole, user: &str) -> (String, String, String, String) {
    let resp = c.http.post(format!("{}/api/v1/auth/demo", c.url)).json(&json!({"user": user})).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    let pair = set_cookie.split(';').next().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    let (token, csrf) = (body["token"].as_str().unwrap().to_string(), body["csrf_token"].as_str().unwrap().to_string());
    (pair, set_cookie, token, csrf)
}

#[tokio::test]
async fn every_state_change_with_the_cookie_needs_this_sessions_csrf_token() {
    use sha2::Digest;
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| cfg.auth.cookie_secure = true).await;
        let (cookie, set_cookie, token, csrf) = cookie_sign_in(&c, "erin").await;
        let (_, _, _, bobs_csrf) = cookie_sign_in(&c, "bob").await;
        let attributes: Vec<&str> = set_cookie.split(';').map(str::trim).collect();
        for a in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(attributes.contains(&a), "{label}: {a} missing from {set_cookie}");
        }
        assert!(cookie.ends_with(&format!("={token}")), "{label}: the cookie holds the session token");

        // Only the token's SHA-256 is stored.
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
        use sqlx::Row;
        let rows = sqlx::query("SELECT token_hash, subject, csrf_token FROM sessions").fetch_all(&pool).await.unwrap();
        let hashes: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
        for r in &rows {
            for i in 0..3 {
                assert!(!r.get::<String, _>(i).contains(&token), "{label}: the raw session token is stored");
            }
        }
        let digest: String = sha2::Sha256::digest(token.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        assert!(hashes.contains(&digest), "{label}: {hashes:?}");

        let verify = || {
            let c = &c;
            async move {
                let carol = c.sign_in("carol").await;
                c.get_as(&carol, "/api/v1/audit/verify").await.1["entries"].as_i64().unwrap()
            }
        };
        let before = verify().await;
        let tracking = "arn%3Aaws%3Adynamodb%3Aap-southeast-2%3A111111111111%3Atable%2Ftracking";
        let changes = [
            (reqwest::Method::POST, "/api/v1/requests".to_string()),
            (reqwest::Method::POST, "/api/v1/requests/r-1/approve".into()),
            (reqwest::Method::POST, "/api/v1/requests/r-1/reject".into()),
            (reqwest::Method::POST, "/api/v1/requests/r-1/cancel".into()),
            (reqwest::Method::POST, "/api/v1/sync".into()),
            (reqwest::Method::PUT, "/api/v1/assurance/targets".into()),
            (reqwest::Method::DELETE, format!("/api/v1/assurance/targets?scope_kind=resource&scope={tracking}")),
            (reqwest::Method::PUT, "/api/v1/runbooks/notes".into()),
            (reqwest::Method::POST, "/api/v1/drills".into()),
            (reqwest::Method::PUT, "/api/v1/drills/d-1/followups".into()),
            (reqwest::Method::POST, "/api/v1/drill-schedules".into()),
            (reqwest::Method::DELETE, "/api/v1/drill-schedules/s-1".into()),
            (reqwest::Method::DELETE, "/api/v1/schedule-grants/g-1".into()),
            (reqwest::Method::POST, "/api/v1/evidence/jobs?from=2026-11-01&to=2026-11-27".into()),
            (reqwest::Method::POST, "/auth/logout".into()),
        ];
        for (method, path) in &changes {
            for (what, header) in [("no token", None), ("another session's token", Some(bobs_csrf.as_str()))] {
                let mut req = c
                    .http
                    .request(method.clone(), format!("{}{path}", c.url))
                    .header("cookie", &cookie)
                    .json(&json!({}));
                if let Some(h) = header {
                    req = req.header("x-csrf-token", h);
                }
                let resp = req.send().await.unwrap();
                let status = resp.status().as_u16();
                let body: Value = resp.json().await.unwrap_or(Value::Null);
                assert_eq!(
                    (status, body["error"]["code"].as_str()),
                    (403, Some("csrf_failed")),
                    "{label}: {method} {path} with {what}: {body}"
                );
            }
        }
        assert_eq!(verify().await, before + 1, "{label}: nothing changed but carol's sign-in");
        let me = |cookie: String| {
            let c = &c;
            async move {
                c.http
                    .get(format!("{}/api/v1/me", c.url))
                    .header("cookie", cookie)
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            }
        };
        assert_eq!(me(cookie.clone()).await["subject"], "erin", "{label}: the session survived the refusals");

        // Signing out ends the session: the old cookie is anonymous from then on.
        let post_with_cookie = |path: &str| {
            c.http.post(format!("{}{path}", c.url)).header("cookie", &cookie).header("x-csrf-token", &csrf).send()
        };
        let out = post_with_cookie("/auth/logout").await.unwrap();
        assert_eq!(out.status(), 204, "{label}");
        let after = me(cookie.clone()).await;
        assert!(after["subject"].is_null() && after["csrf_token"].is_null(), "{label}: {after}");
        let sync = post_with_cookie("/api/v1/sync").await.unwrap();
        assert_eq!(sync.status(), 401, "{label}: a signed-out cookie changes nothing");
    }
}

#[tokio::test]
async fn after_a_key_rotation_an_unknown_key_id_refetches_the_jwks_once_a_minute_at_most() {
    let sb = spawn(0, 0.0).await;
    // Both engines at once, so the test waits out the minute only once.
    let mut consoles = Vec::new();
    for db in databases().await {
        let idp = provider().await;
        let c = console(&sb, &db, |cfg| oidc_only(cfg, &idp.issuer)).await;
        consoles.push((db.label, idp, c));
    }
    let token = |idp: &Provider, key: &[u8], kid: &str| sign(&claims(&idp.issuer, "recovery-console", 600), key, kid);
    let fetches = |idp: &Provider| idp.jwks_fetches.load(Ordering::SeqCst);
    for (label, idp, c) in &consoles {
        assert_eq!(c.get_as(&token(idp, KEY, "k1"), "/api/v1/me").await.0, 200, "{label}");
        assert_eq!(fetches(idp), 1);
        // The provider rotates to a new key: within the minute, its id is not looked up again.
        *idp.keys.lock().unwrap() = JwkSet { keys: vec![jwk(OTHER_KEY, "k2")] };
        assert_eq!(c.get_as(&token(idp, OTHER_KEY, "k2"), "/api/v1/me").await.0, 401, "{label}");
        assert_eq!(fetches(idp), 1, "{label}: no refetch within the minute");
    }
    tokio::time::sleep(std::time::Duration::from_secs(61)).await;
    for (label, idp, c) in &consoles {
        let (status, me) = c.get_as(&token(idp, OTHER_KEY, "k2"), "/api/v1/me").await;
        assert_eq!((status, me["subject"].as_str()), (200, Some("dave")), "{label}: the new key after a refetch");
        assert_eq!(fetches(idp), 2, "{label}");
        // The old key is gone with the rotation, and another unknown id waits for the next minute.
        assert_eq!(c.get_as(&token(idp, KEY, "k1"), "/api/v1/me").await.0, 401, "{label}");
        assert_eq!(c.get_as(&token(idp, KEY, "k3"), "/api/v1/me").await.0, 401, "{label}");
        assert_eq!(fetches(idp), 2, "{label}: at most once a minute");
    }
}

/// A person the IdP knows but the console maps to no role (auth.default_roles empty,
/// no mapped group) reads nothing but who they are (security review, finding 2).
#[tokio::test]
async fn a_person_without_a_role_reads_nothing() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |_| {}).await;
        // Sessions live on the wall clock, as the demo sign-in makes them.
        let now = recovery_console::time::now_ms();
        let (nobody, _) =
            recovery_console::auth::start_session(&c.store, &c.state.auth, "nobody", "Nobody", vec![], "test", now)
                .await
                .unwrap();
        let (s, me) = c.get_as(&nobody, "/api/v1/me").await;
        assert_eq!((s, me["roles"].clone()), (200, json!([])), "{label}: {me}");
        for path in ["/api/v1/recovery-points", "/api/v1/summary", "/api/v1/accounts", "/api/v1/overview"] {
            let (s, body) = c.get_as(&nobody, path).await;
            assert_eq!(s, 403, "{label} {path}: {body}");
            assert!(body["error"]["message"].as_str().unwrap().contains("no role"), "{body}");
        }
        let viewer = c.sign_in("carol").await;
        assert_eq!(c.get_as(&viewer, "/api/v1/summary").await.0, 200, "{label}: a person with a role reads");
    }
}
