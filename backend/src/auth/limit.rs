//! A per-client rate limit for the unauthenticated sign-in start (security review
//! finding 21): each client address has a bucket of `per_minute` tokens, refilled
//! evenly; an empty bucket is a 429 with the seconds until the next token.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::http::HeaderMap;

/// At most this many clients are tracked; beyond it, full buckets are forgotten, and
/// if every bucket is in use the newcomers share one.
const MAX_CLIENTS: usize = 10_000;

pub struct RateLimit {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: i64,
}

impl RateLimit {
    pub fn new(per_minute: u32) -> Self {
        Self { per_minute, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token of `client`'s bucket at `now` (ms): `Err(seconds)` to wait when empty.
    pub fn take(&self, client: &str, now: i64) -> Result<(), u32> {
        let capacity = f64::from(self.per_minute.max(1));
        let per_ms = capacity / 60_000.0;
        let refill = |b: &Bucket| (b.tokens + (now - b.at).max(0) as f64 * per_ms).min(capacity);
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        // One place is kept for the shared bucket.
        let full =
            |buckets: &HashMap<String, Bucket>| buckets.len() >= MAX_CLIENTS - 1 && !buckets.contains_key(client);
        if full(&buckets) {
            buckets.retain(|_, b| refill(b) < capacity);
        }
        let key = if full(&buckets) { "(overflow)" } else { client };
        let bucket = buckets.entry(key.to_string()).or_insert(Bucket { tokens: capacity, at: now });
        let tokens = refill(bucket);
        if tokens < 1.0 {
            *bucket = Bucket { tokens, at: now };
            return Err(((1.0 - tokens) / per_ms / 1000.0).ceil().max(1.0) as u32);
        }
        *bucket = Bucket { tokens: tokens - 1.0, at: now };
        Ok(())
    }
}

/// The client's address: the last entry of `header` when the console sits behind a
/// proxy that appends it (an ALB's `X-Forwarded-For`; earlier entries are the
/// client's own word), else the connection's peer.
pub fn client_address(headers: &HeaderMap, header: Option<&str>, peer: Option<SocketAddr>) -> String {
    if let Some(name) = header {
        let last = headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty());
        if let Some(ip) = last.and_then(|v| v.parse::<IpAddr>().ok()) {
            return ip.to_string();
        }
    }
    peer.map(|p| p.ip().to_string()).unwrap_or_else(|| "(unknown)".into())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_rate_and_others_are_not_affected() {
        let limit = RateLimit::new(3);
        for _ in 0..3 {
            assert_eq!(limit.take("10.0.0.1", 0), Ok(()));
        }
        assert_eq!(limit.take("10.0.0.1", 0), Err(20), "one token every 20 s");
        assert_eq!(limit.take("10.0.0.2", 0), Ok(()), "another client has its own bucket");
        assert_eq!(limit.take("10.0.0.1", 19_000), Err(1));
        assert_eq!(limit.take("10.0.0.1", 20_000), Ok(()));
        assert!(limit.take("10.0.0.1", 20_000).is_err());
    }

    #[test]
    fn the_forwarded_address_is_the_one_the_proxy_appended() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", "1.2.3.4, 10.1.1.1".parse().unwrap());
        let peer: SocketAddr = "10.9.9.9:5000".parse().unwrap();
        assert_eq!(client_address(&headers, Some("x-forwarded-for"), Some(peer)), "10.1.1.1");
        assert_eq!(client_address(&headers, None, Some(peer)), "10.9.9.9", "the header is ignored unless configured");
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_address(&headers, Some("x-forwarded-for"), Some(peer)), "10.9.9.9");
        assert_eq!(client_address(&HeaderMap::new(), None, None), "(unknown)");
    }

    #[test]
    fn the_tracked_clients_stay_bounded() {
        let limit = RateLimit::new(1);
        for i in 0..MAX_CLIENTS + 5 {
            let _ = limit.take(&format!("c{i}"), 0);
        }
        assert!(limit.buckets.lock().unwrap().len() <= MAX_CLIENTS);
        assert!(limit.take("c-new", 0).is_err(), "newcomers share one bucket while every other is in use");
    }
}
