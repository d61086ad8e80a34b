-- Signed digests of the audit log's head (docs/audit.md, "Digests"): each names the
-- last record (seq, hash) and the digest before it, signed with the console's Ed25519
-- key, and is written outside the database (a folder, an S3 bucket with Object Lock).
-- `body` is the digest file exactly as written; `published` is 1 once every configured
-- destination holds it.
CREATE TABLE audit_digests (
    number      BIGINT PRIMARY KEY,
    made_at     BIGINT NOT NULL,
    seq         BIGINT NOT NULL,
    hash        TEXT NOT NULL,
    body        TEXT NOT NULL,
    published   BIGINT NOT NULL DEFAULT 0
);
