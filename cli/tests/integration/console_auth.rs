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
    /// How `/jwks` answers: [`JWKS_OK`], [`JWKS_FAILING`] or [`JWKS_SLOW`].
    jwks_mode: Arc<AtomicUsize>,
    /// The claims of the ID token the token endpoint hands out for any code (signed with KEY as k1).
    id_token: Arc<std::sync::Mutex<Value>>,
    /// Requests for the discovery document, and whether it answers 503.
    discovery_fetches: Arc<AtomicUsize>,
    discovery_down: Arc<std::sync::atomic::AtomicBool>,
}

const JWKS_OK: usize = 0;
const JWKS_FAILING: usize = 1;
const JWKS_SLOW: usize = 2;

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
    let jwks_mode = Arc::new(AtomicUsize::new(JWKS_OK));
    let id_token = Arc::new(std::sync::Mutex::new(Value::Null));
    let (i, f, set, mode) = (issuer.clone(), Arc::clone(&fetches), Arc::clone(&keys), Arc::clone(&jwks_mode));
    let claims = Arc::clone(&id_token);
    let discovery_fetches = Arc::new(AtomicUsize::new(0));
    let discovery_down = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (df, down) = (Arc::clone(&discovery_fetches), Arc::clone(&discovery_down));
    let app = axum::Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || {
                df.fetch_add(1, Ordering::SeqCst);
                let (i, down) = (i.clone(), down.load(Ordering::SeqCst));
                async move {
                    if down {
                        return Err(axum::http::StatusCode::SERVICE_UNAVAILABLE);
                    }
                    Ok(axum::Json(json!({
                        "issuer": i,
                        "authorization_endpoint": format!("{i}/auth"),
                        "token_endpoint": format!("{i}/token"),
                        "jwks_uri": format!("{i}/jwks"),
                    })))
                }
            }),
        )
        .route(
            "/jwks",
            get(move || {
                f.fetch_add(1, Ordering::SeqCst);
                let set = set.lock().unwrap().clone();
                let mode = mode.load(Ordering::SeqCst);
                async move {
                    match mode {
                        JWKS_FAILING => return Err(axum::http::StatusCode::INTERNAL_SERVER_ERROR),
                        JWKS_SLOW => tokio::time::sleep(std::time::Duration::from_secs(3)).await,
                        _ => {}
                    }
                    Ok(axum::Json(set))
                }
            }),
        )
        .route(
            "/token",
            axum::routing::post(move || {
                let claims = claims.lock().unwrap().clone();
                async move { axum::Json(json!({"token_type": "Bearer", "id_token": sign(&claims, KEY, "k1")})) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Provider { issuer, jwks_fetches: fetches, keys, jwks_mode, id_token, discovery_fetches, discovery_down }
}

fn claims(issuer: &str, audience: &str, exp_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": issuer, "aud": audience, "sub": "dave", "name": "Dave Ops",
        "iat": now, "exp": now + exp_in, "groups": ["backup-operators", "unrelated"],
    })
}

/// Sign-in through the provider at `issuer` only (RS256 and ES256, the README's example):
/// no demo users, no anonymous viewer.
fn oidc_only(cfg: &mut recovery_console::config::Config, issuer: &str) {
    cfg.auth.demo_users = false;
    cfg.auth.anonymous_viewer = false;
    cfg.auth.oidc = Some(recovery_console::config::OidcConfig {
        issuer: issuer.into(),
        client_id: "recovery-console".into(),
        algorithms: vec!["RS256".into(), "ES256".into()],
        ..Default::default()
    });
}

/// A console signing in through `idp` only, its `backup-operators` group mapped to operator.
async fn sso_console(sb: &TestSandbox, db: &TestDb, idp: &Provider) -> TestConsole {
    console(sb, db, |cfg| {
        oidc_only(cfg, &idp.issuer);
        cfg.auth.public_url = Some("http://127.0.0.1:1".into());
        cfg.auth.group_roles.insert("backup-operators".into(), vec!["operator".into()]);
    })
    .await
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
        let c = sso_console(&sb, &db, &idp).await;
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
            ("a key of another issuer, with that issuer", {
                let other = provider().await;
                *other.keys.lock().unwrap() = JwkSet { keys: vec![jwk(OTHER_KEY, "k1")] };
                sign(&claims(&other.issuer, "recovery-console", 300), OTHER_KEY, "k1")
            }),
            ("ES256 over the RSA key's id (key confusion within the allow-list)", {
                let mut header = Header::new(Algorithm::ES256);
                header.kid = Some("k1".into());
                let key = EncodingKey::from_ec_pem(ALB_KEY).unwrap();
                encode(&header, &claims(&idp.issuer, "recovery-console", 300), &key).unwrap()
            }),
            ("no key id", {
                let header = Header::new(Algorithm::RS256);
                encode(&header, &claims(&idp.issuer, "recovery-console", 300), &EncodingKey::from_rsa_pem(KEY).unwrap())
                    .unwrap()
            }),
            ("no expiry", {
                let mut c = claims(&idp.issuer, "recovery-console", 300);
                c.as_object_mut().unwrap().remove("exp");
                sign(&c, KEY, "k1")
            }),
            ("an empty subject", {
                let mut c = claims(&idp.issuer, "recovery-console", 300);
                c["sub"] = json!("");
                sign(&c, KEY, "k1")
            }),
            ("several audiences and no authorized party", {
                let mut c = claims(&idp.issuer, "recovery-console", 300);
                c["aud"] = json!(["recovery-console", "another-app"]);
                sign(&c, KEY, "k1")
            }),
            ("issued to another client (azp)", {
                let mut c = claims(&idp.issuer, "recovery-console", 300);
                c["azp"] = json!("another-app");
                sign(&c, KEY, "k1")
            }),
        ];
        let (mut requests, mut refusals) = (3, 0);
        for (what, token) in refused {
            let (status, body) = me(token).await;
            requests += 1;
            assert_eq!(status, 401, "{what}: {body}");
            assert_eq!(body["error"]["code"], "unauthenticated", "{what}");
            refusals += 1;
        }
        // Several audiences are fine when the token names this client as its authorized party.
        let mut multi = claims(&idp.issuer, "recovery-console", 300);
        multi["aud"] = json!(["recovery-console", "another-app"]);
        multi["azp"] = json!("recovery-console");
        assert_eq!(me(sign(&multi, KEY, "k1")).await.0, 200);
        requests += 1;
        println!("token suite ({}): {requests} requests made, {refusals} refused, 0 failures", db.label);
        // The unknown key id asked for the JWKS once more at most (within the minute: not at all).
        assert_eq!(idp.jwks_fetches.load(Ordering::SeqCst), 1);
        assert_eq!(me(sign(&claims(&idp.issuer, "recovery-console", 300), KEY, "k9")).await.0, 401);
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

pub(crate) const ALB_KEY: &[u8] = include_bytes!("../fixtures/alb-test-key.pem");
pub(crate) const ALB_PUBLIC: &str = include_str!("../fixtures/alb-test-key.pub.pem");
pub(crate) const SIGNER: &str =
    "arn:aws:elasticloadbalancing:ap-southeast-2:999999999999:loadbalancer/app/console/50dc6c495c0c9188";

/// An `x-amzn-oidc-data` value as an ALB writes it: base64 with padding, ES256.
pub(crate) fn alb_token(signer: &str, exp_in: i64, sub: &str) -> String {
    alb_token_with_key(signer, exp_in, sub, "alb-key-1")
}

fn alb_token_with_key(signer: &str, exp_in: i64, sub: &str, kid: &str) -> String {
    use base64::engine::general_purpose::URL_SAFE;
    let header = json!({"alg": "ES256", "kid": kid, "signer": signer, "iss": "https://idp.example.com", "client": "c", "exp": 0});
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"sub": sub, "name": "Alba", "email": "alba@example.com", "groups": ["backup-approvers"], "exp": now + exp_in, "iss": "https://idp.example.com"});
    let (h, c) = (URL_SAFE.encode(header.to_string()), URL_SAFE.encode(claims.to_string()));
    let key = EncodingKey::from_ec_pem(ALB_KEY).unwrap();
    let sig = jsonwebtoken::crypto::sign(format!("{h}.{c}").as_bytes(), &key, Algorithm::ES256).unwrap();
    format!("{h}.{c}.{sig}")
}

/// Serves the ALB's public key as the ALB's key endpoint does (`{base}/{kid}`, 404 for
/// another id); returns the base and a count of the requests it answered.
pub(crate) async fn alb_keys() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let keys = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let (h1, h2) = (Arc::clone(&hits), Arc::clone(&hits));
    let app = axum::Router::new()
        .route(
            "/alb-key-1",
            get(move || {
                h1.fetch_add(1, Ordering::SeqCst);
                async { ALB_PUBLIC }
            }),
        )
        .fallback(move || {
            h2.fetch_add(1, Ordering::SeqCst);
            async { axum::http::StatusCode::NOT_FOUND }
        });
    tokio::spawn(async move { axum::serve(listener, app).await });
    (keys, hits)
}

#[tokio::test]
async fn behind_an_alb_the_signed_header_is_checked_against_the_pinned_signer() {
    use hmac::Mac;
    let sb = spawn(0, 0.0).await;
    let (keys, hits) = alb_keys().await;
    const CSRF_SECRET: &str = "a shared secret of the replicas behind one ALB";
    for db in databases().await {
        let label = db.label;
        let keys = keys.clone();
        let c = console(&sb, &db, move |cfg| {
            cfg.auth.demo_users = false;
            cfg.auth.anonymous_viewer = false;
            cfg.auth.alb = Some(recovery_console::config::AlbConfig {
                signer_arn: SIGNER.into(),
                key_url: Some(keys.clone()),
                csrf_secret: Some(recovery_console::config::Secret::new(CSRF_SECRET)),
            });
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
        let hits_before = hits.load(Ordering::SeqCst);
        let (status, body) = me(alb_token(SIGNER, 300, "alba")).await;
        assert_eq!(status, 200, "{label}: {body}");
        assert_eq!(
            (body["subject"].as_str(), body["roles"].clone()),
            (Some("alb:alba"), json!(["approver", "viewer"]))
        );

        // The CSRF token is keyed with the console's secret (security review, finding 12):
        // not the unkeyed hash of the public signer and subject anyone could compute.
        let csrf = body["csrf_token"].as_str().unwrap();
        let unkeyed: String = {
            use sha2::Digest;
            let d = sha2::Sha256::digest(format!("recovery-console csrf|{SIGNER}|alba").as_bytes());
            d.iter().map(|b| format!("{b:02x}")).collect()
        };
        assert_ne!(csrf, unkeyed, "{label}: the ALB CSRF token is computable from public values");
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(CSRF_SECRET.as_bytes()).unwrap();
        mac.update(format!("recovery-console alb csrf|{SIGNER}|alb:alba").as_bytes());
        let keyed: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(csrf, keyed, "{label}: replicas sharing auth.alb.csrf_secret agree on the token");

        let other = SIGNER.replace("50dc6c495c0c9188", "0000000000000000");
        let tampered = {
            let t = alb_token(SIGNER, 300, "alba");
            let parts: Vec<&str> = t.split('.').collect();
            let evil = base64::engine::general_purpose::URL_SAFE
                .encode(json!({"sub": "root", "exp": chrono::Utc::now().timestamp() + 300}).to_string());
            format!("{}.{evil}.{}", parts[0], parts[2])
        };
        let tampered_header = {
            let t = alb_token(SIGNER, 300, "alba");
            let parts: Vec<&str> = t.split('.').collect();
            let head = json!({"alg": "ES256", "kid": "alb-key-1", "signer": other, "exp": 0});
            let head = base64::engine::general_purpose::URL_SAFE.encode(head.to_string());
            format!("{head}.{}.{}", parts[1], parts[2])
        };
        let refused = [
            ("another load balancer", alb_token(&other, 300, "alba")),
            ("expired", alb_token(SIGNER, -600, "alba")),
            ("tampered claims", tampered),
            ("tampered header", tampered_header),
            ("no subject", alb_token(SIGNER, 300, "")),
            ("a key id with a path", alb_token_with_key(SIGNER, 300, "alba", "../alb-key-1")),
        ];
        let (mut requests, mut refusals) = (1, 0);
        for (what, token) in refused {
            let (status, body) = me(token).await;
            requests += 1;
            refusals += 1;
            assert_eq!(status, 401, "{label} {what}: {body}");
        }
        assert_eq!(hits.load(Ordering::SeqCst), hits_before + 1, "{label}: one key fetched, once");

        // A flood of made-up key ids (finding 13): one lookup of an unknown id, then none
        // for a minute, and the known key keeps working meanwhile.
        let flood = (0..20).map(|i| me(alb_token_with_key(SIGNER, 300, "alba", &format!("forged-{i}"))));
        let answers = futures_util::future::join_all(flood).await;
        requests += answers.len() + 2;
        refusals += answers.len() + 1;
        assert!(answers.iter().all(|(s, _)| *s == 401), "{label}: {answers:?}");
        assert_eq!(me(alb_token(SIGNER, 300, "alba")).await.0, 200, "{label}");
        let fetched = hits.load(Ordering::SeqCst) - hits_before;
        assert_eq!(fetched, 2, "{label}: the flood made {} key lookups", fetched - 1);
        sb.advance(61.0).await;
        assert_eq!(me(alb_token_with_key(SIGNER, 300, "alba", "forged-x")).await.0, 401, "{label}");
        assert_eq!(hits.load(Ordering::SeqCst) - hits_before, 3, "{label}: another lookup a minute later");
        println!(
            "ALB header ({label}): {requests} requests made, {refusals} refused, {} key fetches, 0 failures",
            fetched + 1
        );
        assert_eq!(c.get("/api/v1/summary").await.0, 401, "without the header nobody is signed in");
    }
}

/// Signs in a demo user with the browser's cookie; returns the cookie pair, the Set-Cookie
/// value, the session token and the CSRF token.
pub(crate) async fn cookie_sign_in(c: &TestConsole, user: &str) -> (String, String, String, String) {
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
        // The `__Host-` prefix (finding 14): browsers take it only Secure, for Path=/, without
        // Domain, so a sibling subdomain cannot plant a session cookie the console reads.
        assert!(cookie.starts_with("__Host-rc_session="), "{label}: {set_cookie}");
        assert!(!set_cookie.to_lowercase().contains("domain"), "{label}: {set_cookie}");
        let (_, _, bobs_token, _) = cookie_sign_in(&c, "bob").await;
        let planted = format!("rc_session={bobs_token}");
        assert!(c.get_with("/api/v1/me", "cookie", &planted).await["subject"].is_null(), "{label}");
        let both = format!("{planted}; {cookie}");
        assert_eq!(
            c.get_with("/api/v1/me", "cookie", &both).await["subject"],
            "erin",
            "{label}: the planted one is ignored"
        );
        // API answers are never cached (they carry the CSRF token, exports and packs).
        let resp = c.http.get(format!("{}/api/v1/me", c.url)).header("cookie", &cookie).send().await.unwrap();
        assert_eq!(resp.headers().get("cache-control").map(|v| v.to_str().unwrap()), Some("no-store"), "{label}");

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
            (reqwest::Method::DELETE, "/api/v1/sessions?subject=bob".into()),
            (reqwest::Method::POST, "/api/v1/evidence?from=2026-11-01&to=2026-11-27".into()),
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
    // The minute passes on the console's clock (the sandbox's, frozen otherwise).
    sb.advance(61.0).await;
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

/// A flood of bearer tokens with made-up key ids (security review, finding 13; the issue's
/// token suite): the JWKS is fetched once for all of them (one fetch at a time, outside the
/// lock that known keys are read under), at most once a minute whether the provider
/// answers, fails or hangs, and a token with a known key never waits behind the flood.
#[tokio::test]
async fn an_unknown_key_id_flood_fetches_the_jwks_once_a_minute_and_known_keys_never_wait() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let idp = provider().await;
        let c = console(&sb, &db, |cfg| oidc_only(cfg, &idp.issuer)).await;
        let fetches = || idp.jwks_fetches.load(Ordering::SeqCst);
        let good = sign(&claims(&idp.issuer, "recovery-console", 600), KEY, "k1");
        let forged = |i: usize| sign(&claims(&idp.issuer, "recovery-console", 600), KEY, &format!("forged-{i}"));
        let (mut requests, mut refusals) = (0, 0);
        let mut flood = |n: usize, from: usize| {
            requests += n;
            refusals += n;
            let tokens: Vec<String> = (from..from + n).map(&forged).collect();
            let c = &c;
            futures_util::future::join_all(
                tokens.into_iter().map(move |token| async move { c.get_as(&token, "/api/v1/me").await.0 }),
            )
        };

        // A cold console: 30 forged ids and 5 good tokens at once share one fetch.
        let goods = futures_util::future::join_all((0..5).map(|_| c.get_as(&good, "/api/v1/me")));
        let (forged_answers, good_answers) = tokio::join!(flood(30, 0), goods);
        assert!(forged_answers.iter().all(|s| *s == 401), "{label}: {forged_answers:?}");
        assert!(good_answers.iter().all(|(s, _)| *s == 200), "{label}: {good_answers:?}");
        assert_eq!(fetches(), 1, "{label}: one fetch for the first 35 tokens");
        assert!(flood(50, 30).await.iter().all(|s| *s == 401));
        assert_eq!(fetches(), 1, "{label}: none within the minute");

        // A minute on, the provider fails: one attempt, and no other for a minute.
        sb.advance(61.0).await;
        idp.jwks_mode.store(JWKS_FAILING, Ordering::SeqCst);
        assert!(flood(30, 100).await.iter().all(|s| *s == 401));
        assert!(flood(30, 200).await.iter().all(|s| *s == 401));
        assert_eq!(fetches(), 2, "{label}: a failed fetch is rate-limited too");
        assert_eq!(c.get_as(&good, "/api/v1/me").await.0, 200, "{label}: the known key still works");

        // A minute on, the provider hangs: the flood waits on one slow fetch, a known key does not.
        sb.advance(61.0).await;
        idp.jwks_mode.store(JWKS_SLOW, Ordering::SeqCst);
        let slow = tokio::spawn({
            let (url, forged) = (c.url.clone(), (300..320).map(forged).collect::<Vec<_>>());
            async move {
                let http = reqwest::Client::new();
                let calls = forged.iter().map(|t| http.get(format!("{url}/api/v1/me")).bearer_auth(t).send());
                futures_util::future::join_all(calls).await.into_iter().map(|r| r.unwrap().status().as_u16()).collect()
            }
        });
        requests += 20;
        refusals += 20;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let started = std::time::Instant::now();
        assert_eq!(c.get_as(&good, "/api/v1/me").await.0, 200, "{label}");
        let waited = started.elapsed();
        assert!(waited < std::time::Duration::from_secs(1), "{label}: a known key waited {waited:?} behind the flood");
        let slow: Vec<u16> = slow.await.unwrap();
        assert!(slow.iter().all(|s| *s == 401), "{label}: {slow:?}");
        assert_eq!(fetches(), 3, "{label}: one slow fetch for 20 tokens");
        requests += 7;
        println!(
            "unknown key flood ({label}): {requests} requests made, {refusals} refused, {} JWKS fetches, 0 failures",
            fetches()
        );
    }
}

/// A provider that is down at start (finding 13): its discovery document is asked for
/// once for a crowd of tokens and not again for a minute; then sign-in works.
#[tokio::test]
async fn a_provider_that_is_down_is_asked_once_a_minute() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let idp = provider().await;
        idp.discovery_down.store(true, Ordering::SeqCst);
        let c = console(&sb, &db, |cfg| oidc_only(cfg, &idp.issuer)).await;
        let good = sign(&claims(&idp.issuer, "recovery-console", 600), KEY, "k1");
        let crowd = || futures_util::future::join_all((0..20).map(|_| c.get_as(&good, "/api/v1/me")));
        let answers = crowd().await;
        assert!(answers.iter().all(|(s, _)| *s == 401), "{label}: {answers:?}");
        assert_eq!(idp.discovery_fetches.load(Ordering::SeqCst), 1, "{label}: one attempt for twenty tokens");
        idp.discovery_down.store(false, Ordering::SeqCst);
        assert!(crowd().await.iter().all(|(s, _)| *s == 401));
        assert_eq!(idp.discovery_fetches.load(Ordering::SeqCst), 1, "{label}: none within the minute");
        sb.advance(61.0).await;
        assert_eq!(c.get_as(&good, "/api/v1/me").await.0, 200, "{label}");
        assert_eq!(idp.discovery_fetches.load(Ordering::SeqCst), 2, "{label}");
        println!("provider down ({label}): 41 requests made, 40 refused, 2 discovery fetches, 0 failures");
    }
}

/// The login callback (the issue's token suite; tests.md section 4): a sign-in comes back
/// with its own state, to the browser that started it, with an ID token carrying its
/// nonce. A used or unknown state, another browser's state, a wrong nonce, an empty
/// subject and an ID token issued to another client are each refused and start no session.
#[tokio::test]
async fn the_login_callback_refuses_a_replayed_or_unknown_state_and_a_wrong_nonce() {
    use sha2::Digest;
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let idp = provider().await;
        let c = sso_console(&sb, &db, &idp).await;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        // Starts a sign-in: the state and nonce the provider is sent, and the browser's login cookie.
        let login = || async {
            let resp = http.get(format!("{}/auth/login?return_to=/requests", c.url)).send().await.unwrap();
            assert_eq!(resp.status(), 303, "{label}");
            let location = resp.headers()["location"].to_str().unwrap().to_string();
            let cookie = resp.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
            let query = location.split_once('?').unwrap().1.to_string();
            let param =
                |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(&format!("{name}="))).unwrap().to_string();
            (param("state"), param("nonce"), cookie)
        };
        // The provider's redirect back; returns the status, the session cookie set (if any) and where to.
        let callback = |state: String, cookie: String| {
            let (http, base) = (&http, &c.url);
            async move {
                let url = format!("{base}/auth/callback?code=the-code&state={state}");
                let resp = http.get(url).header("cookie", cookie).send().await.unwrap();
                let session = resp
                    .headers()
                    .get("set-cookie")
                    .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
                    .filter(|v| v.starts_with("rc_session=") && v.len() > "rc_session=".len());
                let location = resp.headers().get("location").map(|v| v.to_str().unwrap().to_string());
                (resp.status().as_u16(), session, location)
            }
        };
        let id_token = |nonce: &str| {
            let mut claims = claims(&idp.issuer, "recovery-console", 300);
            claims["nonce"] = json!(nonce);
            claims
        };

        let (state, nonce, cookie) = login().await;
        *idp.id_token.lock().unwrap() = id_token(&nonce);
        let (status, session, location) = callback(state.clone(), cookie.clone()).await;
        assert_eq!((status, location.as_deref()), (303, Some("/requests")), "{label}");
        let session = session.expect("a session cookie");
        assert_eq!(c.get_with("/api/v1/me", "cookie", &session).await["subject"], "dave", "{label}");

        let mut refused = vec![("a replayed state", callback(state, cookie.clone()).await)];
        let unknown = "x".repeat(43);
        let digest: String = sha2::Sha256::digest(unknown.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        refused.push((
            "an unknown state (with its browser cookie)",
            callback(unknown, format!("rc_login={digest}")).await,
        ));
        let (other_state, _, _) = login().await;
        refused.push(("another browser's state", callback(other_state, cookie).await));
        let (state, _, cookie) = login().await;
        *idp.id_token.lock().unwrap() = id_token("not-this-logins-nonce");
        refused.push(("a wrong nonce", callback(state, cookie).await));
        let (state, nonce, cookie) = login().await;
        let mut no_subject = id_token(&nonce);
        no_subject["sub"] = json!("");
        *idp.id_token.lock().unwrap() = no_subject;
        refused.push(("an empty subject", callback(state, cookie).await));
        let (state, nonce, cookie) = login().await;
        let mut other_client = id_token(&nonce);
        other_client["azp"] = json!("another-app");
        *idp.id_token.lock().unwrap() = other_client;
        refused.push(("an ID token issued to another client", callback(state, cookie).await));
        for (what, (status, session, _)) in &refused {
            assert_eq!((*status, session), (401, &None), "{label}: {what}");
        }
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
        let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(&pool).await.unwrap();
        assert_eq!(sessions, 1, "{label}: only the good callback started a session");
        // Security review finding 7: a sign-in through the provider holds its roles for
        // auth.oidc.session_minutes (60), not session_hours (12): then the provider is
        // asked again and its groups of that moment count.
        let lasts: i64 =
            sqlx::query_scalar("SELECT expires_at - created_at FROM sessions").fetch_one(&pool).await.unwrap();
        assert_eq!(lasts, 60 * 60_000, "{label}: an SSO session lasts auth.oidc.session_minutes");
        println!(
            "login callback ({label}): {} requests made, {} refused, 0 failures",
            2 * refused.len() + 1,
            refused.len()
        );
    }
}

/// Roles are not frozen until a session expires (security review, finding 7): an admin
/// ends every session of a person at once, audited; their cookies and session tokens stop
/// working, and their next sign-in takes the roles the identity provider gives them then.
#[tokio::test]
async fn an_admin_ends_every_session_of_a_person_at_once() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let c = console(&sb, &db, |cfg| cfg.auth.anonymous_viewer = false).await;
        let (alice, erin, carol) = (c.sign_in("alice").await, c.sign_in("erin").await, c.sign_in("carol").await);
        let bobs_bearer = c.sign_in("bob").await;
        let (bobs_cookie, _, _, _) = cookie_sign_in(&c, "bob").await;
        assert_eq!(c.get_as(&bobs_bearer, "/api/v1/me").await.1["subject"], "bob");

        let revoke = |token: String, query: &'static str| {
            let c = &c;
            async move { c.send_as(reqwest::Method::DELETE, &token, &format!("/api/v1/sessions{query}"), Value::Null).await }
        };
        assert_eq!(revoke(alice.clone(), "?subject=bob").await.0, 403, "{label}: only an admin");
        assert_eq!(revoke(erin.clone(), "").await.0, 400, "{label}: a subject is needed");
        let (status, body) = revoke(erin.clone(), "?subject=bob").await;
        assert_eq!((status, body.clone()), (200, json!({"subject": "bob", "ended": 2})), "{label}");

        assert_eq!(c.get_as(&bobs_bearer, "/api/v1/me").await.0, 401, "{label}: bob's session token is dead");
        let me = c.get_with("/api/v1/me", "cookie", &bobs_cookie).await;
        assert!(me["subject"].is_null(), "{label}: bob's cookie signs nobody in: {me}");
        assert_eq!(c.get_as(&erin, "/api/v1/me").await.0, 200, "{label}: other sessions live on");
        assert_eq!(c.get_as(&alice, "/api/v1/me").await.0, 200, "{label}");

        let (_, records) = c.get_as(&carol, "/api/v1/audit?action=auth.sessions_revoked").await;
        let r = &records["items"][0];
        assert_eq!(
            (&r["actor"], &r["subject"], &r["details"]["sessions_ended"]),
            (&json!("erin"), &json!("user:bob"), &json!(2)),
            "{label}: {records}"
        );
        assert_eq!(revoke(erin.clone(), "?subject=bob").await.1["ended"], 0, "{label}: nothing left to end");
    }
}

/// Security review finding 7, the rest: a session that has ended (expired after
/// auth.oidc.session_minutes, or ended by an admin) is said to have ended, not served
/// as anonymous: every API call is a 401 `session_ended` and `/me` says so (and clears
/// the cookie), so the page signs in again: silently through the provider
/// (`prompt=none`, OpenID Connect Core 1.0 section 3.1.2.1), which answers with a code
/// (the groups of that moment) or `login_required` (then the sign-in page, and back to
/// where the person was). Finding 21: one client starts at most
/// auth.login_per_minute sign-ins a minute.
#[tokio::test]
async fn an_ended_session_signs_in_again_silently_and_sign_ins_are_rate_limited() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let idp = provider().await;
        let c = console(&sb, &db, |cfg| {
            oidc_only(cfg, &idp.issuer);
            cfg.auth.public_url = Some("http://127.0.0.1:1".into());
            cfg.auth.login_per_minute = 3;
        })
        .await;
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let login = |query: &'static str| {
            let (http, base) = (&http, &c.url);
            async move { http.get(format!("{base}/auth/login?return_to=/requests{query}")).send().await.unwrap() }
        };
        let silent = login("&prompt=none").await;
        assert_eq!(silent.status(), 303, "{label}");
        let location = silent.headers()["location"].to_str().unwrap().to_string();
        assert!(location.contains("&prompt=none"), "{label}: {location}");
        let cookie = silent.headers()["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_string();
        let state = location.split(['?', '&']).find_map(|kv| kv.strip_prefix("state=")).unwrap().to_string();
        assert!(!login("").await.headers()["location"].to_str().unwrap().contains("prompt="), "{label}");
        let other = login("&prompt=login").await;
        assert_eq!(other.status(), 400, "{label}: only a silent prompt is accepted");

        // The provider no longer knows the person: to the sign-in page, which says the
        // session ended, then back to /requests; only for this browser's own state.
        let answer = |state: String, cookie: Option<String>| {
            let (http, base) = (&http, &c.url);
            async move {
                let mut req = http.get(format!("{base}/auth/callback?error=login_required&state={state}"));
                if let Some(cookie) = cookie {
                    req = req.header("cookie", cookie);
                }
                let resp = req.send().await.unwrap();
                (resp.status().as_u16(), resp.headers().get("location").map(|v| v.to_str().unwrap().to_string()))
            }
        };
        assert_eq!(answer(state.clone(), None).await.0, 401, "{label}: not this browser's sign-in");
        let (status, to) = answer(state.clone(), Some(cookie.clone())).await;
        assert_eq!((status, to.as_deref()), (303, Some("/sign-in?ended=1&return_to=%2Frequests")), "{label}");
        assert_eq!(answer(state, Some(cookie)).await.0, 401, "{label}: a state is used once");

        // A fourth sign-in started from this client in the same minute (the refused prompt
        // counted too) is refused.
        let refused = login("").await;
        assert_eq!(refused.status(), 429, "{label}");
        let retry: u64 = refused.headers()["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&retry), "{label}: {retry}");
        let body: Value = refused.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rate_limited", "{label}: {body}");
        println!("sign-in rate ({label}): 4 requests made, 1 refused, 0 failures");

        // A demo console: a cookie whose session an admin ended.
        let c = console(&sb, &db, |cfg| cfg.auth.anonymous_viewer = true).await;
        let (cookie, _, _, _) = cookie_sign_in(&c, "bob").await;
        let erin = c.sign_in("erin").await;
        assert_eq!(c.send_as(reqwest::Method::DELETE, &erin, "/api/v1/sessions?subject=bob", Value::Null).await.0, 200);
        let get = |path: &'static str| c.http.get(format!("{}{path}", c.url)).header("cookie", &cookie).send();
        let requests = get("/api/v1/requests").await.unwrap();
        assert_eq!(requests.status(), 401, "{label}: not an anonymous answer, although anonymous viewing is on");
        let body: Value = requests.json().await.unwrap();
        assert_eq!(body["error"]["code"], "session_ended", "{label}: {body}");
        let me = get("/api/v1/me").await.unwrap();
        assert_eq!(me.status(), 200, "{label}");
        let cleared = me.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cleared.starts_with("rc_session=;") && cleared.contains("Max-Age=0"), "{label}: {cleared}");
        let me: Value = me.json().await.unwrap();
        assert_eq!((me["session_ended"].as_bool(), me["subject"].as_str()), (Some(true), None), "{label}: {me}");
        let fresh = c.http.get(format!("{}/api/v1/me", c.url)).send().await.unwrap().json::<Value>().await.unwrap();
        assert_eq!(fresh["session_ended"], false, "{label}: without a cookie nothing ended");
    }
}

/// Identities are namespaced by how people sign in (security review, finding 11): with
/// the ALB and OIDC both configured against different IdPs, the same `sub` from each
/// is two subjects (`alb:X` and `X`), so one cannot cancel the other's request; and
/// four-eyes still treats them as one person, who never approves their own request.
#[tokio::test]
async fn the_same_sub_through_the_alb_and_through_oidc_is_two_subjects_and_one_person() {
    let sb = spawn(0, 0.0).await;
    let (keys, _) = alb_keys().await;
    for db in databases().await {
        let label = db.label;
        let idp = provider().await;
        let keys = keys.clone();
        let c = console(&sb, &db, |cfg| {
            oidc_only(cfg, &idp.issuer);
            cfg.auth.alb = Some(recovery_console::config::AlbConfig {
                signer_arn: SIGNER.into(),
                key_url: Some(keys),
                ..Default::default()
            });
            cfg.auth.group_roles.insert("backup-operators".into(), vec!["operator".into()]);
            cfg.auth.group_roles.insert("backup-approvers".into(), vec!["approver".into()]);
            cfg.requests.approvals_needed = 2;
            cfg.auth.anonymous_viewer = true; // the test finds its recovery point without signing in
        })
        .await;
        c.syncer.run().await.unwrap();
        let mut x = claims(&idp.issuer, "recovery-console", 600);
        x["sub"] = json!("x-123");
        let oidc_x = sign(&x, KEY, "k1");
        let alb_x = alb_token(SIGNER, 600, "x-123");
        assert_eq!(c.get_as(&oidc_x, "/api/v1/me").await.1["subject"], "x-123", "{label}");
        let alb_me = c.get_with("/api/v1/me", "x-amzn-oidc-data", &alb_x).await;
        assert_eq!(alb_me["subject"], "alb:x-123", "{label}");
        let csrf = alb_me["csrf_token"].as_str().unwrap().to_string();

        let rp = crate::console_requests::tracking_point(&c, WORKLOAD_A).await;
        let body = crate::console_requests::restore_body(&rp, "x-namespaced");
        let (status, req) = c.post_as(&oidc_x, "/api/v1/requests", body).await;
        assert_eq!(status, 201, "{label}: {req}");
        let id = req["id"].as_str().unwrap();
        let as_alb = |path: String, body: Value| {
            let (c, alb_x, csrf) = (&c, &alb_x, &csrf);
            async move {
                let resp = c
                    .http
                    .post(format!("{}{path}", c.url))
                    .header("x-amzn-oidc-data", alb_x)
                    .header("x-csrf-token", csrf)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                (resp.status().as_u16(), resp.json::<Value>().await.unwrap_or(Value::Null))
            }
        };
        let (status, body) = as_alb(format!("/api/v1/requests/{id}/cancel"), json!({})).await;
        assert_eq!(status, 403, "{label}: alb:x-123 cancelled x-123's request: {body}");
        let approve = json!({"params_hash": req["params_hash"]});
        let (status, body) = as_alb(format!("/api/v1/requests/{id}/approve"), approve).await;
        assert_eq!(status, 403, "{label}: the same person approved their own request: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("their own request"), "{label}: {body}");
        let (_, r) = c.get_as(&oidc_x, &format!("/api/v1/requests/{id}")).await;
        assert_eq!((r["status"].as_str(), r["requester"].as_str()), (Some("pending_approval"), Some("x-123")));

        // Nor does one person fill two of the approvals through their two identities.
        let mut y = claims(&idp.issuer, "recovery-console", 600);
        y["sub"] = json!("y-456");
        y["groups"] = json!(["backup-approvers"]);
        let (status, body) = c
            .post_as(
                &sign(&y, KEY, "k1"),
                &format!("/api/v1/requests/{id}/approve"),
                json!({"params_hash": req["params_hash"]}),
            )
            .await;
        assert_eq!(status, 200, "{label}: {body}");
        let alb_y = alb_token(SIGNER, 600, "y-456");
        let csrf_y =
            c.get_with("/api/v1/me", "x-amzn-oidc-data", &alb_y).await["csrf_token"].as_str().unwrap().to_string();
        let resp = c
            .http
            .post(format!("{}/api/v1/requests/{id}/approve", c.url))
            .header("x-amzn-oidc-data", &alb_y)
            .header("x-csrf-token", &csrf_y)
            .json(&json!({"params_hash": req["params_hash"]}))
            .send()
            .await
            .unwrap();
        let (status, body) = (resp.status().as_u16(), resp.json::<Value>().await.unwrap());
        assert_eq!((status, body["error"]["code"].as_str()), (409, Some("already_decided")), "{label}: {body}");
        let (_, r) = c.get_as(&oidc_x, &format!("/api/v1/requests/{id}")).await;
        assert_eq!((r["status"].as_str(), r["decisions"].as_array().unwrap().len()), (Some("pending_approval"), 1));
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
