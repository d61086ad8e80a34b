//! Who is asking: a session cookie (browser, CSRF-checked on every state change),
//! a bearer token (an OIDC access or ID token from the provider, or a console
//! session token), the ALB's signed header, or nobody (anonymous viewer, when
//! configured). Roles come from the IdP's groups through the configured mapping.

pub mod limit;
pub mod oidc;

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue};
use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::app::AppError;
use crate::config::AuthConfig;
use crate::store::{SessionRow, Store};
use crate::time::Clock;

/// The session cookie's name over HTTPS: the `__Host-` prefix makes browsers refuse
/// it unless it is Secure, for `Path=/` and without `Domain`, so a sibling subdomain
/// cannot plant a session of its own (security review, finding 14).
pub const SESSION_COOKIE: &str = "__Host-rc_session";
/// Its name over plain HTTP (`cookie_secure = false`: the demo and tests), where a
/// browser would refuse a `__Host-` cookie.
pub const PLAIN_SESSION_COOKIE: &str = "rc_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Anonymous,
    Cookie,
    Bearer,
    Alb,
}

/// The person behind a request.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: Option<String>,
    pub name: Option<String>,
    pub roles: Vec<String>,
    pub csrf_token: Option<String>,
    pub via: Via,
}

impl Identity {
    fn anonymous(viewer: bool) -> Self {
        Identity {
            subject: None,
            name: None,
            roles: if viewer { vec!["viewer".into()] } else { Vec::new() },
            csrf_token: None,
            via: Via::Anonymous,
        }
    }

    /// Whether the person holds `role` (admin holds every role).
    pub fn has(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role || r == "admin")
    }

    /// The signed-in subject holding one of `roles`: 401 when nobody is signed in, 403 otherwise.
    pub fn require(&self, roles: &[&str]) -> Result<&str, AppError> {
        let Some(subject) = self.subject.as_deref() else {
            return Err(AppError::Unauthenticated("sign in first: no action is anonymous".into()));
        };
        if roles.iter().any(|r| self.has(r)) {
            Ok(subject)
        } else {
            Err(AppError::Forbidden(format!("this needs the role {}", roles.join(" or "))))
        }
    }

    /// Whether `sent` is this person's CSRF token (compared in constant time).
    pub fn csrf_matches(&self, sent: &str) -> bool {
        let expected = self.csrf_token.as_deref().unwrap_or_default();
        !sent.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
    }

    pub fn display_name(&self) -> String {
        self.name.clone().or_else(|| self.subject.clone()).unwrap_or_else(|| "anonymous".into())
    }
}

/// The demo's local users: subject, display name, roles.
pub const DEMO_USERS: [(&str, &str, &str); 4] = [
    ("alice", "Alice (operator)", "operator"),
    ("bob", "Bob (approver)", "approver"),
    ("carol", "Carol (auditor)", "auditor"),
    ("erin", "Erin (admin)", "admin"),
];

/// Sign-in configuration and the OIDC provider, shared by the handlers.
pub struct Auth {
    pub cfg: AuthConfig,
    pub oidc: Option<oidc::Oidc>,
    alb_keys: AlbKeys,
    /// Keys the CSRF tokens of people behind the ALB: `auth.alb.csrf_secret`, or random at start.
    csrf_key: Vec<u8>,
    /// Sign-ins started per client address (`auth.login_per_minute`).
    pub login_limit: limit::RateLimit,
}

impl Auth {
    pub fn new(cfg: AuthConfig, clock: Clock) -> Arc<Self> {
        let public_url = cfg.public_url.clone().unwrap_or_default();
        let oidc = cfg.oidc.clone().map(|o| oidc::Oidc::new(o, &public_url, Arc::clone(&clock)));
        let csrf_key = match cfg.alb.as_ref().and_then(|a| a.csrf_secret.as_ref()) {
            Some(secret) => secret.expose().as_bytes().to_vec(),
            None => oidc::new_secret().into_bytes(),
        };
        let login_limit = limit::RateLimit::new(cfg.login_per_minute);
        Arc::new(Self { cfg, oidc, alb_keys: AlbKeys::new(clock), csrf_key, login_limit })
    }

    /// The session cookie's name: `__Host-rc_session` when the cookie is Secure.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.cfg.cookie_secure {
            SESSION_COOKIE
        } else {
            PLAIN_SESSION_COOKIE
        }
    }

    /// Console roles from the IdP's claims: the default roles plus those of each group.
    pub fn roles_of(&self, claims: &serde_json::Map<String, Value>) -> Vec<String> {
        let groups_claim = self.oidc.as_ref().map(|o| o.cfg.groups_claim.as_str()).unwrap_or("groups");
        let groups: Vec<String> = match claims.get(groups_claim) {
            Some(Value::Array(items)) => items.iter().filter_map(|g| g.as_str().map(str::to_string)).collect(),
            Some(Value::String(g)) => g.split([',', ' ']).filter(|s| !s.is_empty()).map(str::to_string).collect(),
            _ => Vec::new(),
        };
        let mut roles = self.cfg.default_roles.clone();
        for g in groups {
            if let Some(mapped) = self.cfg.group_roles.get(&g) {
                roles.extend(mapped.iter().cloned());
            }
        }
        roles.sort();
        roles.dedup();
        roles
    }

    /// How long a session of this sign-in method lasts: `auth.session_hours`, and a
    /// sign-in through the provider no longer than `auth.oidc.session_minutes`, so the
    /// roles it took are asked for again (security review finding 7).
    pub fn session_secs(&self, method: &str) -> i64 {
        let hours = self.cfg.session_hours * 3600;
        match (&self.cfg.oidc, method) {
            (Some(oidc), "oidc") => hours.min(oidc.session_minutes * 60),
            _ => hours,
        }
    }

    pub fn session_cookie(&self, token: &str, max_age_secs: i64) -> HeaderValue {
        let secure = if self.cfg.cookie_secure { "; Secure" } else { "" };
        let name = self.session_cookie_name();
        HeaderValue::from_str(&format!(
            "{name}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_secs}{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    pub fn clear_cookie(&self) -> HeaderValue {
        self.session_cookie("", 0)
    }
}

/// The value of the cookie `name` in a request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn from_session(s: SessionRow, via: Via) -> Identity {
    Identity { subject: Some(s.subject), name: Some(s.name), roles: s.roles, csrf_token: Some(s.csrf_token), via }
}

impl Auth {
    /// Resolves the identity of a request; a presented credential that does not hold is a 401.
    pub async fn resolve(&self, store: &Store, headers: &HeaderMap) -> Result<Identity, AppError> {
        let auth = self;
        let now = crate::time::now_ms();
        if let Some(value) = headers.get(header::AUTHORIZATION) {
            let value = value.to_str().unwrap_or_default();
            let token = value
                .strip_prefix("Bearer ")
                .ok_or_else(|| AppError::Unauthenticated("Authorization must be `Bearer <token>`".into()))?;
            return self.bearer(store, token, now).await;
        }
        if let (Some(alb), Some(data)) = (&auth.cfg.alb, headers.get("x-amzn-oidc-data")) {
            let claims = self.alb_keys.claims(alb, data.to_str().unwrap_or_default()).await?;
            let sub = claims
                .get("sub")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| AppError::Unauthenticated("x-amzn-oidc-data refused: no subject".into()))?;
            let subject = format!("{}{sub}", crate::domain::ALB_SUBJECT_PREFIX);
            return Ok(Identity {
                name: claims.get("name").or_else(|| claims.get("email")).and_then(Value::as_str).map(str::to_string),
                csrf_token: Some(self.alb_csrf(&subject, &alb.signer_arn)),
                subject: Some(subject),
                roles: auth.roles_of(&claims),
                via: Via::Alb,
            });
        }
        if let Some(token) = cookie(headers, self.session_cookie_name()).filter(|t| !t.is_empty()) {
            if let Some(s) = store.session(&token, now).await? {
                return Ok(from_session(s, Via::Cookie));
            }
        }
        Ok(Identity::anonymous(auth.cfg.anonymous_viewer))
    }

    async fn bearer(&self, store: &Store, token: &str, now: i64) -> Result<Identity, AppError> {
        let unauthorized = |why: String| AppError::Unauthenticated(format!("bearer token refused: {why}"));
        if token.split('.').count() == 3 {
            let oidc = self.oidc.as_ref().ok_or_else(|| unauthorized("no identity provider is configured".into()))?;
            let audience = oidc.cfg.api_audience.clone().unwrap_or_else(|| oidc.cfg.client_id.clone());
            let claims = oidc.validate(token, &audience).await.map_err(|e| unauthorized(e.to_string()))?;
            let subject = claims
                .get("sub")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .ok_or_else(|| unauthorized("the token names no subject".into()))?
                .to_string();
            return Ok(Identity {
                name: ["name", "preferred_username", "email"]
                    .iter()
                    .find_map(|c| claims.get(*c).and_then(Value::as_str))
                    .map(str::to_string),
                subject: Some(subject),
                roles: self.roles_of(&claims),
                csrf_token: None,
                via: Via::Bearer,
            });
        }
        match store.session(token, now).await? {
            Some(s) => Ok(from_session(s, Via::Bearer)),
            None => Err(unauthorized("unknown or expired token".into())),
        }
    }
}

impl Auth {
    /// The CSRF token of a person behind the ALB (whose browser holds the ALB's
    /// session cookie): only a page of the console's own origin can read it from
    /// `GET /api/v1/me`, and only the console can make it (an HMAC with its secret,
    /// not a hash of the public signer and subject: security review, finding 12).
    fn alb_csrf(&self, subject: &str, signer: &str) -> String {
        use hmac::{Hmac, Mac};
        let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(&self.csrf_key) else { return String::new() };
        mac.update(format!("recovery-console alb csrf|{signer}|{subject}").as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }
}

type PemsByUrl = std::collections::HashMap<String, Vec<u8>>;

/// The ALB's public keys by key id, fetched with a timeout, one fetch at a time; after a
/// fetch that failed (an unknown key id, or the endpoint down) no other is made for a
/// minute, so forged key ids cannot make the console call out per request (finding 13).
struct AlbKeys {
    http: reqwest::Client,
    /// The keys by URL, and when a fetch last failed.
    pems: std::sync::Mutex<(PemsByUrl, Option<i64>)>,
    fetching: tokio::sync::Mutex<()>,
    clock: Clock,
}

impl AlbKeys {
    fn new(clock: Clock) -> Self {
        let http = reqwest::Client::builder().timeout(std::time::Duration::from_secs(5)).build().unwrap_or_default();
        Self { http, pems: Default::default(), fetching: Default::default(), clock }
    }

    fn cached(&self, url: &str) -> Option<Vec<u8>> {
        self.pems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).0.get(url).cloned()
    }

    async fn pem(&self, url: String) -> Result<Vec<u8>, AppError> {
        if let Some(pem) = self.cached(&url) {
            return Ok(pem);
        }
        let _single_flight = self.fetching.lock().await;
        if let Some(pem) = self.cached(&url) {
            return Ok(pem);
        }
        let now = (self.clock)();
        let failed = self.pems.lock().unwrap_or_else(std::sync::PoisonError::into_inner).1;
        if failed.is_some_and(|t| now - t < oidc::REFETCH_MS) {
            return Err(AppError::Unauthenticated(
                "x-amzn-oidc-data refused: unknown key id (keys are looked up again within a minute)".into(),
            ));
        }
        let fetched = async {
            let resp = self.http.get(&url).send().await?.error_for_status()?;
            resp.bytes().await.map(|b| b.to_vec())
        }
        .await;
        let mut pems = self.pems.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match fetched {
            Ok(pem) => {
                // A key id names one key for good: keep it.
                pems.0.insert(url, pem.clone());
                Ok(pem)
            }
            Err(e) => {
                pems.1 = Some(now);
                if e.status().is_some_and(|s| s.is_client_error()) {
                    return Err(AppError::Unauthenticated("x-amzn-oidc-data refused: unknown key id".into()));
                }
                Err(AppError::Unavailable(format!("the ALB's public key could not be fetched: {e}")))
            }
        }
    }

    /// The ALB's `x-amzn-oidc-data`: an ES256 JWT whose `signer` must be the pinned
    /// load balancer, checked with the key the ALB publishes for its `kid`.
    async fn claims(
        &self,
        alb: &crate::config::AlbConfig,
        token: &str,
    ) -> Result<serde_json::Map<String, Value>, AppError> {
        use base64::Engine as _;
        let refuse = |why: &str| AppError::Unauthenticated(format!("x-amzn-oidc-data refused: {why}"));
        let parts: Vec<&str> = token.split('.').collect();
        let [head, body, sig] = parts[..] else { return Err(refuse("not a JWT")) };
        let b64 = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s.trim_end_matches('='));
        let header: Value =
            b64(head).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| refuse("bad header"))?;
        if header["alg"] != "ES256" {
            return Err(refuse("the algorithm must be ES256"));
        }
        if header["signer"].as_str() != Some(alb.signer_arn.as_str()) {
            return Err(refuse("signed by another load balancer"));
        }
        let kid = header["kid"].as_str().filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        let kid = kid.ok_or_else(|| refuse("no usable key id"))?;
        let region = alb.signer_arn.split(':').nth(3).unwrap_or_default();
        let base =
            alb.key_url.clone().unwrap_or_else(|| format!("https://public-keys.auth.elb.{region}.amazonaws.com"));
        let pem = self.pem(format!("{base}/{kid}")).await?;
        let key = jsonwebtoken::DecodingKey::from_ec_pem(&pem).map_err(|_| refuse("the ALB's key is not an EC key"))?;
        // The ALB pads its base64: the signature covers the segments as sent.
        let signed = format!("{head}.{body}");
        let ok = jsonwebtoken::crypto::verify(
            sig.trim_end_matches('='),
            signed.as_bytes(),
            &key,
            jsonwebtoken::Algorithm::ES256,
        )
        .unwrap_or(false);
        if !ok {
            return Err(refuse("bad signature"));
        }
        let claims: serde_json::Map<String, Value> =
            b64(body).ok().and_then(|b| serde_json::from_slice(&b).ok()).ok_or_else(|| refuse("bad claims"))?;
        let now = crate::time::now_ms() / 1000;
        if claims.get("exp").and_then(Value::as_i64).is_none_or(|exp| exp + 30 < now) {
            return Err(refuse("expired"));
        }
        Ok(claims)
    }
}

/// Creates a session for a signed-in person and writes its audit record.
pub async fn start_session(
    store: &Store,
    auth: &Auth,
    subject: &str,
    name: &str,
    roles: Vec<String>,
    method: &str,
    now: i64,
) -> Result<(String, SessionRow), AppError> {
    let token = oidc::new_secret();
    let row = SessionRow {
        subject: subject.to_string(),
        name: name.to_string(),
        roles,
        csrf_token: oidc::new_secret(),
        expires_at: now + auth.session_secs(method) * 1000,
    };
    store.create_session(&token, &row, now, method).await?;
    Ok((token, row))
}

#[cfg(test)]
mod realm_tests {
    /// The Keycloak realm shipped for docker-compose holds no usable password and no
    /// fixed client secret: its people are disabled until an administrator enables them
    /// and sets their passwords, and the secret comes from the environment (security
    /// review, finding 4: a known temporary password let anyone claim an operator and
    /// an approver).
    #[test]
    fn the_shipped_realm_has_no_usable_password_or_secret() {
        let text = include_str!("../../../deploy/keycloak/recovery-console-realm.json");
        let realm: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
        let users = realm["users"].as_array().cloned().unwrap_or_default();
        assert!(!users.is_empty());
        for u in &users {
            assert_eq!(u["enabled"], false, "{u}");
            assert!(u["credentials"].as_array().is_none_or(Vec::is_empty), "{u}");
        }
        for c in realm["clients"].as_array().cloned().unwrap_or_default() {
            let secret = c["secret"].as_str().unwrap_or("${}");
            assert!(secret.starts_with("${") && secret.ends_with('}'), "client secret {secret:?} is fixed in the file");
        }
    }
}
