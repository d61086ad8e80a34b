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
}

async fn provider() -> Provider {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let mut jwk = Jwk::from_encoding_key(&EncodingKey::from_rsa_pem(KEY).unwrap(), Algorithm::RS256).unwrap();
    jwk.common.key_id = Some("k1".into());
    let set = JwkSet { keys: vec![jwk] };
    let fetches = Arc::new(AtomicUsize::new(0));
    let (i, f) = (issuer.clone(), Arc::clone(&fetches));
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
                let set = set.clone();
                async move { axum::Json(set) }
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    Provider { issuer, jwks_fetches: fetches }
}

fn claims(issuer: &str, audience: &str, exp_in: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({
        "iss": issuer, "aud": audience, "sub": "dave", "name": "Dave Ops",
        "iat": now, "exp": now + exp_in, "groups": ["backup-operators", "unrelated"],
    })
}

fn sign(claims: &Value, key: &[u8], kid: &str) -> String {
    let mut header = Header::new(Algorithm::RS256);
    header.kid = Some(kid.into());
    encode(&header, claims, &EncodingKey::from_rsa_pem(key).unwrap()).unwrap()
}

#[tokio::test]
async fn bearer_tokens_are_checked_like_an_auditor_would_want() {
    let sb = spawn(0, 1.0).await;
    let idp = provider().await;
    let dbs = databases().await;
    let issuer = idp.issuer.clone();
    let c = console(&sb, &dbs[0], move |cfg| {
        cfg.auth.demo_users = false;
        cfg.auth.anonymous_viewer = false;
        cfg.auth.public_url = Some("http://127.0.0.1:1".into());
        cfg.auth.oidc = Some(recovery_console::config::OidcConfig {
            issuer: issuer.clone(),
            client_id: "recovery-console".into(),
            algorithms: vec!["RS256".into()],
            ..Default::default()
        });
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
            encode(&header, &claims(&idp.issuer, "recovery-console", 300), &EncodingKey::from_secret(&secret)).unwrap()
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

    // A bearer token needs no CSRF token: browsers do not send it by themselves.
    let (status, _) = c.post_as(&good, "/api/v1/sync", Value::Null).await;
    assert_eq!(status, 202);
    // The demo's local sign-in does not exist outside the demo.
    let resp = c.http.post(format!("{}/api/v1/auth/demo", c.url)).json(&json!({"user": "alice"})).send().await.unwrap();
    assert_eq!(resp.status(), 404);
}
