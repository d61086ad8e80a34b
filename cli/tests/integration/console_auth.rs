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
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let idp = provider().await;
        let issuer = idp.issuer.clone();
        let c = console(&sb, &db, move |cfg| {
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
