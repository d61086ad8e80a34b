//! Webhook notifications: a failed restore test, a failed job, a request waiting
//! for approval. Events are recorded once per (event, webhook) in the database,
//! then delivered as Slack-compatible JSON signed with the webhook's secret, and
//! retried with backoff until the receiver answers 2xx (up to `MAX_ATTEMPTS`).
//!
//! Signature: `X-Recovery-Console-Signature: sha256=HEX`, the HMAC-SHA256 with the
//! secret of `TIMESTAMP + "." + BODY`, where TIMESTAMP is the
//! `X-Recovery-Console-Timestamp` header (Unix seconds). Receivers should refuse
//! old timestamps.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::config::{NotificationsConfig, WebhookConfig};
use crate::store::{Store, StoreError};
use crate::time::{Clock, DAY_MS};

/// Deliveries tried at most this many times.
pub const MAX_ATTEMPTS: i64 = 8;

/// The signature header value of a body sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes keys of any length, so this never returns early.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let bytes = mac.finalize().into_bytes();
    format!("sha256={}", crate::digest::hex(&bytes))
}

/// Plain text made safe for a Slack-compatible `text`: Slack parses `&`, `<` and `>`
/// as control characters (`<!channel>`, `<@U123>`, `<https://x|label>`), so a
/// justification or display name could page a channel or plant a disguised link. They
/// become the HTML entities Slack documents, and nothing else is encoded (Slack API,
/// "Formatting text for app surfaces", Escaping text:
/// https://api.slack.com/reference/surfaces/formatting#escaping).
pub fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A failed delivery as stored in `last_error`: reqwest's error and its causes without
/// the URL, which is a secret (Slack and others carry the credential in its path).
fn delivery_error(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// A webhook's stable name in the database (its URL is a secret: only a hash).
fn webhook_id(w: &WebhookConfig) -> String {
    crate::store::token_hash(w.url.expose())[..16].to_string()
}

fn wants(w: &WebhookConfig, event: &str) -> bool {
    w.events.is_empty() || w.events.iter().any(|e| e == event)
}

pub struct Notifier {
    store: Store,
    cfg: NotificationsConfig,
    clock: Clock,
    http: reqwest::Client,
    /// Failures this process has recorded already: each pass re-reads the recent
    /// ones, and the database would only ignore them again.
    recorded: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Wakes the delivery loop before its next round (a poll saved new jobs).
    woken: tokio::sync::Notify,
}

impl Notifier {
    pub fn new(store: Store, cfg: NotificationsConfig, clock: Clock) -> Arc<Self> {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().unwrap_or_default();
        Arc::new(Self { store, cfg, clock, http, recorded: Default::default(), woken: tokio::sync::Notify::new() })
    }

    pub fn start(self: &Arc<Self>, every: Duration) {
        if self.cfg.webhooks.is_empty() {
            return;
        }
        let me = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                if let Err(e) = me.pass().await {
                    tracing::error!(error = %e, "notification pass failed");
                }
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = me.woken.notified() => {}
                }
            }
        });
    }

    /// Runs the next pass now rather than at the end of the wait.
    pub fn wake(&self) {
        self.woken.notify_one();
    }

    /// Records an event for every webhook that wants it (once per event key). `text`
    /// is plain text: it is escaped for Slack here ([`slack_escape`]).
    pub async fn enqueue(&self, event: &str, key: &str, text: String, details: Value) -> Result<(), StoreError> {
        let now = (self.clock)();
        let payload = json!({ "text": slack_escape(&text), "event": event, "details": details }).to_string();
        for w in self.cfg.webhooks.iter().filter(|w| wants(w, event)) {
            self.store.enqueue_notification(key, &webhook_id(w), event, &payload, now).await?;
        }
        Ok(())
    }

    /// Finds new failures in the synced data, then delivers what is due.
    pub async fn pass(&self) -> Result<(), StoreError> {
        if self.cfg.webhooks.is_empty() {
            return Ok(());
        }
        let since = (self.clock)() - self.cfg.recent_days * DAY_MS;
        for f in self.store.recent_failures(since).await? {
            let key = format!("{}:{}:{}", f.kind, f.account_id, f.job_id);
            if self.recorded.lock().is_ok_and(|r| r.contains(&key)) {
                continue;
            }
            let (event, text) = if f.test {
                (
                    "restore_test_failed",
                    format!("Restore test of {} failed in account {}: {}", f.resource, f.account_id, f.message),
                )
            } else {
                (
                    "job_failed",
                    format!("{} job of {} failed in account {}: {}", f.kind, f.resource, f.account_id, f.message),
                )
            };
            let mut details = json!({
                "account_id": f.account_id, "region": f.region, "job_id": f.job_id, "kind": f.kind,
                "resource_arn": f.resource, "message": f.message, "created_at": crate::time::rfc3339(f.created_at),
            });
            if f.test {
                details["outcome"] = json!(shared::TestOutcome::Failed);
            }
            self.enqueue(event, &key, text, details).await?;
            if let Ok(mut r) = self.recorded.lock() {
                // Bounded: the database keeps every event once anyway.
                if r.len() >= 100_000 {
                    r.clear();
                }
                r.insert(key);
            }
        }
        self.deliver().await
    }

    async fn deliver(&self) -> Result<(), StoreError> {
        let now = (self.clock)();
        for n in self.store.due_notifications(now, MAX_ATTEMPTS).await? {
            let Some(w) = self.cfg.webhooks.iter().find(|w| webhook_id(w) == n.webhook) else { continue };
            let timestamp = crate::time::now_ms() / 1000;
            let result = self
                .http
                .post(w.url.expose())
                .header("content-type", "application/json")
                .header("x-recovery-console-event", &n.event)
                .header("x-recovery-console-timestamp", timestamp.to_string())
                .header("x-recovery-console-signature", signature(w.secret.expose(), timestamp, &n.payload))
                .body(n.payload.clone())
                .send()
                .await;
            let error = match result {
                Ok(r) if r.status().is_success() => None,
                Ok(r) => Some(format!("HTTP {}", r.status())),
                Err(e) => Some(delivery_error(e)),
            };
            // Backoff: 30 s, 1 min, 2 min, ... capped at an hour (on the console's clock).
            let backoff = (30_000i64 << n.attempts.min(7)).min(3_600_000);
            self.store.notification_attempted(&n.event_key, &n.webhook, now, error.as_deref(), now + backoff).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn slack_control_characters_are_escaped_and_nothing_else() {
        assert_eq!(
            super::slack_escape("<!channel> urgent <https://evil.example|open> & <@U1>"),
            "&lt;!channel&gt; urgent &lt;https://evil.example|open&gt; &amp; &lt;@U1&gt;"
        );
        assert_eq!(super::slack_escape("Übung ✓ 'quoted' \"x\""), "Übung ✓ 'quoted' \"x\"");
        assert_eq!(super::slack_escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn signatures_cover_the_timestamp_and_the_body() {
        let a = super::signature("a-secret-of-16-chars", 1_795_780_800, "{}");
        assert!(a.starts_with("sha256=") && a.len() == 7 + 64);
        assert_ne!(a, super::signature("a-secret-of-16-chars", 1_795_780_801, "{}"));
        assert_ne!(a, super::signature("another-secret-16ch", 1_795_780_800, "{}"));
    }

    /// Known answers from an independent implementation of README's recipe:
    /// `python3 -c 'import hmac, hashlib; print(hmac.new(SECRET, b"TIMESTAMP." + BODY, hashlib.sha256).hexdigest())'`.
    #[test]
    fn signatures_match_a_known_answer() {
        assert_eq!(
            super::signature("a-secret-of-16-chars", 1_795_780_800, "{}"),
            "sha256=f33f49724f49059dfa092a681a0c3bec3303d12413bb78ba53bf1ceca5a3def0"
        );
        assert_eq!(
            super::signature("a-secret-of-16-chars", 1_795_780_800, "{\"text\":\"Übung ✓\"}"),
            "sha256=c34b38669e17edbf8c84579550f6596844badc05c01e277815995301f7c713a2"
        );
    }
}
