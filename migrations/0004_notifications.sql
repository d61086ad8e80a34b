-- Webhook notifications (issue 6): one row per event and webhook, delivered at
-- most once, retried with backoff until it is.
CREATE TABLE notifications (
    event_key       TEXT NOT NULL,
    webhook         TEXT NOT NULL,
    event           TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    delivered_at    BIGINT,
    last_error      TEXT,
    PRIMARY KEY (event_key, webhook)
);
CREATE INDEX notifications_due ON notifications (delivered_at, next_attempt_at);
