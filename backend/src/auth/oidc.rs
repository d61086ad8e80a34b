//! OpenID Connect: the provider's discovery document and JWKS, token checks with
//! jsonwebtoken (signature, allowed algorithms only, issuer, audience, expiry,
//! not-before), and the authorization code flow with PKCE.

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::OnceCell;

use crate::config::OidcConfig;
use crate::time::Clock;

/// The JWKS, and the discovery document while it fails, are fetched at most this
/// often (ms), whether the last attempt worked or not: unknown key ids, or a
/// provider that is down, never make the console call it more.
pub const REFETCH_MS: i64 = 60_000;

#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub end_session_endpoint: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("the identity provider could not be reached: {0}")]
    Provider(String),
    #[error("invalid token: {0}")]
    Invalid(String),
}

struct Keys {
    set: JwkSet,
    /// When the JWKS was last asked for (the console's clock), answered or not.
    attempted: Option<i64>,
}

pub struct Oidc {
    pub cfg: OidcConfig,
    pub redirect_uri: String,
    http: reqwest::Client,
    discovery: OnceCell<Discovery>,
    discovery_failed: Mutex<Option<i64>>,
    /// Held only to read or replace the set, never across a fetch: known key ids never wait.
    keys: Mutex<Keys>,
    /// One JWKS fetch at a time; those that need it meanwhile wait for its answer.
    fetching: tokio::sync::Mutex<()>,
    clock: Clock,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn random_token() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A fresh unguessable token (sessions, CSRF, OIDC state, nonce, PKCE verifier).
pub fn new_secret() -> String {
    random_token()
}

/// The PKCE S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn algorithm(name: &str) -> Option<Algorithm> {
    Some(match name {
        "RS256" => Algorithm::RS256,
        "RS384" => Algorithm::RS384,
        "RS512" => Algorithm::RS512,
        "PS256" => Algorithm::PS256,
        "PS384" => Algorithm::PS384,
        "PS512" => Algorithm::PS512,
        "ES256" => Algorithm::ES256,
        "ES384" => Algorithm::ES384,
        _ => return None,
    })
}

impl Oidc {
    pub fn new(cfg: OidcConfig, public_url: &str, clock: Clock) -> Self {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        Self {
            cfg,
            redirect_uri: format!("{public_url}/auth/callback"),
            http,
            discovery: OnceCell::new(),
            discovery_failed: Mutex::new(None),
            keys: Mutex::new(Keys { set: JwkSet { keys: Vec::new() }, attempted: None }),
            fetching: tokio::sync::Mutex::new(()),
            clock,
        }
    }

    /// The provider's discovery document, read once; while it fails, asked for again
    /// once a minute at most (concurrent callers share one attempt: those waiting on a
    /// failed one find it failed and do not fetch).
    pub async fn discovery(&self) -> Result<&Discovery, TokenError> {
        self.discovery
            .get_or_try_init(|| async {
                let now = (self.clock)();
                if lock(&self.discovery_failed).is_some_and(|t| now - t < REFETCH_MS) {
                    return Err(TokenError::Provider(
                        "the discovery document could not be read a moment ago; it is asked for again within a minute"
                            .into(),
                    ));
                }
                let found = self.fetch_discovery().await;
                if found.is_err() {
                    *lock(&self.discovery_failed) = Some(now);
                }
                found
            })
            .await
    }

    async fn fetch_discovery(&self) -> Result<Discovery, TokenError> {
        let url = format!("{}/.well-known/openid-configuration", self.cfg.issuer.trim_end_matches('/'));
        let d: Discovery = self
            .http
            .get(&url)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| TokenError::Provider(format!("{url}: {e}")))?
            .json()
            .await
            .map_err(|e| TokenError::Provider(format!("{url}: {e}")))?;
        if d.issuer.trim_end_matches('/') != self.cfg.issuer.trim_end_matches('/') {
            return Err(TokenError::Provider(format!(
                "the discovery document names issuer {:?}, not the configured {:?}",
                d.issuer, self.cfg.issuer
            )));
        }
        Ok(d)
    }

    fn cached(&self, kid: &str) -> Option<Jwk> {
        lock(&self.keys).set.find(kid).cloned()
    }

    /// The key of `kid`; an unknown id refetches the JWKS unless it was asked for in the last minute.
    async fn key(&self, kid: &str) -> Result<Jwk, TokenError> {
        let unknown = || TokenError::Invalid(format!("unknown key id {kid:?}"));
        if let Some(k) = self.cached(kid) {
            return Ok(k);
        }
        let _single_flight = self.fetching.lock().await;
        if let Some(k) = self.cached(kid) {
            return Ok(k);
        }
        let now = (self.clock)();
        {
            let mut keys = lock(&self.keys);
            if keys.attempted.is_some_and(|t| now - t < REFETCH_MS) {
                return Err(unknown());
            }
            keys.attempted = Some(now);
        }
        let uri = self.discovery().await?.jwks_uri.clone();
        let set: JwkSet = self
            .http
            .get(&uri)
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| TokenError::Provider(format!("{uri}: {e}")))?
            .json()
            .await
            .map_err(|e| TokenError::Provider(format!("{uri}: {e}")))?;
        let found = set.find(kid).cloned();
        lock(&self.keys).set = set;
        found.ok_or_else(unknown)
    }

    /// Checks a token from this provider for `audience`; returns its claims.
    pub async fn validate(&self, token: &str, audience: &str) -> Result<serde_json::Map<String, Value>, TokenError> {
        let header = decode_header(token).map_err(|e| TokenError::Invalid(format!("unreadable header: {e}")))?;
        let allowed: Vec<Algorithm> = self.cfg.algorithms.iter().filter_map(|a| algorithm(a)).collect();
        if !allowed.contains(&header.alg) {
            return Err(TokenError::Invalid(format!("algorithm {:?} is not allowed", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| TokenError::Invalid("no key id (kid)".into()))?;
        let jwk = self.key(&kid).await?;
        let key = DecodingKey::from_jwk(&jwk).map_err(|e| TokenError::Invalid(format!("key {kid:?}: {e}")))?;
        let mut v = Validation::new(header.alg);
        v.algorithms = vec![header.alg];
        v.set_issuer(&[self.discovery().await?.issuer.clone()]);
        v.set_audience(&[audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.validate_nbf = true;
        v.leeway = 30;
        let data = decode::<serde_json::Map<String, Value>>(token, &key, &v)
            .map_err(|e| TokenError::Invalid(e.to_string()))?;
        self.check_azp(&data.claims, audience)?;
        Ok(data.claims)
    }

    /// The authorized party of a token (OIDC Core 3.1.3.7): a token for several
    /// audiences must name it, and a token taken as this client's (ID tokens, and
    /// bearer tokens when no `api_audience` is set) must name this client if it names one.
    fn check_azp(&self, claims: &serde_json::Map<String, Value>, audience: &str) -> Result<(), TokenError> {
        let audiences = claims.get("aud").and_then(Value::as_array).map_or(1, Vec::len);
        let azp = claims.get("azp").and_then(Value::as_str);
        if audiences > 1 && azp.is_none() {
            return Err(TokenError::Invalid(
                "a token for several audiences must name its authorized party (azp)".into(),
            ));
        }
        if audience == self.cfg.client_id && azp.is_some_and(|a| a != self.cfg.client_id) {
            return Err(TokenError::Invalid(format!("the token was issued to another client (azp {azp:?})")));
        }
        Ok(())
    }

    /// The provider's authorization URL for a login with this state, nonce and verifier.
    /// The provider's authorization URL; `silent` adds `prompt=none` (no page is shown:
    /// the provider answers with a code, or with `login_required`).
    pub async fn authorize_url(
        &self,
        state: &str,
        nonce: &str,
        verifier: &str,
        silent: bool,
    ) -> Result<String, TokenError> {
        let d = self.discovery().await?;
        let scope = self.cfg.scopes.join(" ");
        let mut query = serde_urlencoded::to_string([
            ("response_type", "code"),
            ("client_id", self.cfg.client_id.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
            ("scope", scope.as_str()),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", &pkce_challenge(verifier)),
            ("code_challenge_method", "S256"),
        ])
        .map_err(|e| TokenError::Provider(e.to_string()))?;
        if silent {
            query.push_str("&prompt=none");
        }
        let sep = if d.authorization_endpoint.contains('?') { '&' } else { '?' };
        Ok(format!("{}{sep}{query}", d.authorization_endpoint))
    }

    /// Trades the code for tokens and checks the ID token (audience: the client id; the nonce).
    pub async fn redeem(
        &self,
        code: &str,
        verifier: &str,
        nonce: &str,
    ) -> Result<serde_json::Map<String, Value>, TokenError> {
        let d = self.discovery().await?;
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", self.redirect_uri.clone()),
            ("client_id", self.cfg.client_id.clone()),
            ("code_verifier", verifier.to_string()),
        ];
        if let Some(secret) = &self.cfg.client_secret {
            form.push(("client_secret", secret.expose().to_string()));
        }
        let resp = self
            .http
            .post(&d.token_endpoint)
            .form(&form)
            .send()
            .await
            .map_err(|e| TokenError::Provider(format!("token endpoint: {e}")))?;
        let status = resp.status();
        let body: Value = resp.json().await.map_err(|e| TokenError::Provider(format!("token endpoint: {e}")))?;
        if !status.is_success() {
            return Err(TokenError::Invalid(format!("the token endpoint refused the code: {body}")));
        }
        let id_token =
            body["id_token"].as_str().ok_or_else(|| TokenError::Invalid("no id_token in the answer".into()))?;
        let claims = self.validate(id_token, &self.cfg.client_id).await?;
        if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
            return Err(TokenError::Invalid("the ID token's nonce is not this login's".into()));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn pkce_follows_rfc_7636() {
        // The example of RFC 7636, appendix B.
        assert_eq!(
            super::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(super::new_secret().len(), 43);
        assert_ne!(super::new_secret(), super::new_secret());
    }
}
