//! The audit log anchored outside the console, as CloudTrail does with its digest
//! files: every hour (and on demand) the console signs the head of the chain (the last
//! record's sequence number and hash, the time, and the digest before) with an Ed25519
//! key, and writes the digest to a folder and, when configured, to an S3 bucket with
//! Object Lock in compliance mode. A digest is made even when no record was added, so
//! missing digests show. With the public key alone, the digests prove that no record
//! was changed, removed from the end or rewritten up to the last digest
//! ([`Anchored`]). docs/audit.md describes the format.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signature, Signer};
pub use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use shared::AuditRecord;

use crate::app::{AppError, Console};
use crate::config::Config;
use crate::digest::sha256_hex;
use crate::store::{audit_time, DigestRow, Verifier, GENESIS};

/// The `format` of every digest this code writes.
pub const FORMAT: &str = "recovery-console-audit-digest/1";

/// A key or digest problem, in words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DigestError(pub String);

fn err(message: impl Into<String>) -> DigestError {
    DigestError(message.into())
}

/// Reads the PKCS#8 PEM Ed25519 private key of `audit.digest_key_file`.
pub fn load_signing_key(path: &Path) -> Result<SigningKey, DigestError> {
    #[cfg(unix)]
    if let Ok(meta) = std::fs::metadata(path) {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                "audit.digest_key_file can be read by others than its owner: whoever reads it can sign a rewritten audit log"
            );
        }
    }
    let text = std::fs::read_to_string(path).map_err(|e| err(format!("cannot read {}: {e}", path.display())))?;
    SigningKey::from_pkcs8_pem(&text).map_err(|e| {
        err(format!("{} is not a PKCS#8 PEM Ed25519 private key (BEGIN PRIVATE KEY): {e}", path.display()))
    })
}

/// A fresh key as PKCS#8 PEM (what `audit keygen` writes).
pub fn generate_key() -> Result<(SigningKey, String), DigestError> {
    use rand::RngCore;
    let mut seed = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    let key = SigningKey::from_bytes(&seed);
    let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|e| err(format!("could not encode the key: {e}")))?;
    Ok((key, pem.to_string()))
}

/// The public key as SPKI PEM (BEGIN PUBLIC KEY), which OpenSSL reads too.
pub fn public_pem(key: &VerifyingKey) -> String {
    key.to_public_key_pem(LineEnding::LF).unwrap_or_default()
}

/// A short name of a public key: the first 16 hex digits of the SHA-256 of its 32 bytes.
pub fn key_id(key: &VerifyingKey) -> String {
    sha256_hex(key.as_bytes())[..16].to_string()
}

/// A public key from a PEM text (BEGIN PUBLIC KEY), or the base64 of its 32 bytes.
pub fn parse_public_key(text: &str) -> Result<VerifyingKey, DigestError> {
    let text = text.trim();
    if text.contains("BEGIN PUBLIC KEY") {
        return VerifyingKey::from_public_key_pem(text).map_err(|e| err(format!("not an Ed25519 public key: {e}")));
    }
    let bytes = STANDARD.decode(text).map_err(|_| err("neither a PEM public key nor base64"))?;
    let bytes: [u8; 32] = bytes.try_into().map_err(|_| err("an Ed25519 public key has 32 bytes"))?;
    VerifyingKey::from_bytes(&bytes).map_err(|e| err(format!("not an Ed25519 public key: {e}")))
}

/// A public key from `--public-key`: a file holding one, or the key itself.
pub fn read_public_key(arg: &str) -> Result<VerifyingKey, DigestError> {
    match std::fs::read_to_string(arg) {
        Ok(text) => parse_public_key(&text).map_err(|e| err(format!("{arg}: {e}"))),
        Err(e) => parse_public_key(arg).map_err(|_| err(format!("cannot read {arg}: {e}"))),
    }
}

/// The public key the configuration names: `audit.digest_public_key_file`, else the
/// private key's.
pub fn configured_public_key(cfg: &Config) -> Result<Option<VerifyingKey>, DigestError> {
    if let Some(path) = &cfg.audit.digest_public_key_file {
        return read_public_key(&path.display().to_string()).map(Some);
    }
    Ok(cfg.audit.digest_key_file.as_deref().map(load_signing_key).transpose()?.map(|k| k.verifying_key()))
}

/// The signed part of a digest.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Body {
    pub format: String,
    pub number: i64,
    pub made_at: String,
    /// The last record when the digest was made (0 and 64 zeros for an empty log).
    pub audit_seq: i64,
    pub audit_hash: String,
    pub key_id: String,
    pub previous: Option<Previous>,
}

/// The digest before: its number, the SHA-256 of its signed text and its signature.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Previous {
    pub number: i64,
    pub sha256: String,
    pub signature: String,
}

/// A digest file: the body and the Ed25519 signature of its canonical text.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DigestFile {
    pub digest: Body,
    pub signature: String,
}

/// The text that is signed: the body's JSON with keys sorted, no whitespace (as the
/// audit records' canonical form; Python: `json.dumps(body, sort_keys=True,
/// separators=(",", ":"))`).
pub fn signed_text(body: &Body) -> String {
    serde_json::to_value(body).map(|v| v.to_string()).unwrap_or_default()
}

/// The file name of digest `number`: names sort in the order of the chain.
pub fn file_name(number: i64) -> String {
    format!("audit-digest-{number:010}.json")
}

/// Makes the next digest of the log's head inside one write transaction (so the head is
/// the head, and two consoles never make the same number). With `only_after_ms`, no
/// digest is made when the last one is younger (the schedule, shared by replicas).
/// `record` first appends an audit record by this actor (the on-demand route).
pub async fn make(
    s: &Console,
    key: &SigningKey,
    only_after_ms: Option<i64>,
    record: Option<&str>,
) -> Result<Option<DigestRow>, AppError> {
    let now = s.now();
    let mut tx = s.store.write_tx().await?;
    let last = s.store.last_digest(&mut tx).await?;
    if let (Some(every), Some(last)) = (only_after_ms, &last) {
        if now - last.made_at < every {
            return Ok(None);
        }
    }
    let number = last.as_ref().map_or(1, |d| d.number + 1);
    if let Some(actor) = record {
        let details = json!({"number": number, "key_id": key_id(&key.verifying_key())});
        s.store
            .audit(&mut tx, now, actor, "audit.digest_requested", &format!("audit-digest:{number}"), details)
            .await?;
    }
    let (seq, hash) = s.store.audit_head(&mut tx).await?.unwrap_or((0, GENESIS.to_string()));
    let previous = match &last {
        Some(d) => {
            let file: DigestFile = serde_json::from_str(&d.body)
                .map_err(|e| AppError::Unavailable(format!("the stored digest {} does not read: {e}", d.number)))?;
            Some(Previous {
                number: d.number,
                sha256: sha256_hex(signed_text(&file.digest)),
                signature: file.signature,
            })
        }
        None => None,
    };
    let body = Body {
        format: FORMAT.into(),
        number,
        made_at: audit_time(now),
        audit_seq: seq,
        audit_hash: hash.clone(),
        key_id: key_id(&key.verifying_key()),
        previous,
    };
    let signature = STANDARD.encode(key.sign(signed_text(&body).as_bytes()).to_bytes());
    let file = DigestFile { digest: body, signature };
    let text = serde_json::to_string_pretty(&file).unwrap_or_default() + "\n";
    let row = DigestRow { number, made_at: now, seq, hash, body: text, published: false };
    s.store.insert_digest(&mut tx, &row).await?;
    tx.commit().await.map_err(crate::store::StoreError::from)?;
    Ok(Some(row))
}

/// Writes every digest not yet written to the folder and the bucket, oldest first;
/// a failure stops there (the next run tries again) and is returned.
pub async fn publish(s: &Console) -> Result<Vec<String>, AppError> {
    let cfg = &s.config;
    let mut written = Vec::new();
    for d in s.store.unpublished_digests().await? {
        let dir = cfg.digest_dir();
        write_file(&dir, &d).map_err(|e| AppError::Unavailable(format!("digest {}: {e}", d.number)))?;
        written.push(dir.join(file_name(d.number)).display().to_string());
        if let Some(bucket) = &cfg.audit.digest_s3_bucket {
            let key = format!("{}{}", cfg.audit.digest_s3_prefix, file_name(d.number));
            put_locked(s, bucket, &key, &d).await.map_err(|e| {
                AppError::Unavailable(format!("digest {}: S3 PutObject s3://{bucket}/{key}: {e}", d.number))
            })?;
            written.push(format!("s3://{bucket}/{key}"));
        }
        s.store.mark_digest_published(d.number).await?;
    }
    Ok(written)
}

/// Writes a digest file that is not there yet; the same file again is fine (a run that
/// stopped before marking it written), another one under its name is an error.
fn write_file(dir: &Path, d: &DigestRow) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(file_name(d.number));
    use std::io::Write;
    match std::fs::OpenOptions::new().write(true).create_new(true).open(&path) {
        Ok(mut f) => f.write_all(d.body.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => match std::fs::read_to_string(&path) {
            Ok(existing) if existing == d.body => Ok(()),
            _ => Err(format!("{} already holds another digest; it is left as it is", path.display())),
        },
        Err(e) => Err(format!("cannot create {}: {e}", path.display())),
    }
}

/// PutObject locked in COMPLIANCE mode until `digest_retention_days` after the digest,
/// with a SHA-256 checksum (S3 requires Content-MD5 or an `x-amz-checksum-*` header
/// with Object Lock parameters: PutObject API reference).
async fn put_locked(s: &Console, bucket: &str, key: &str, d: &DigestRow) -> Result<(), String> {
    use aws_sdk_s3::types::{ChecksumAlgorithm, ObjectLockMode};
    let cfg = &s.config;
    let region = cfg.audit.digest_s3_region.clone().unwrap_or_else(|| cfg.aws.region.clone());
    let until = d.made_at + cfg.audit.digest_retention_days * crate::time::DAY_MS;
    s.syncer
        .aws()
        .hub_s3(&region)
        .put_object()
        .bucket(bucket)
        .key(key)
        .content_type("application/json")
        .body(d.body.clone().into_bytes().into())
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(aws_smithy_types::DateTime::from_millis(until))
        .send()
        .await
        .map(|_| ())
        .map_err(|e| crate::aws::failure(&e).to_string())
}

/// Makes and writes a digest every `audit.digest_interval_secs` (one per interval across
/// replicas), checking every minute at most.
pub fn run(s: Console) {
    let Some(path) = s.config.audit.digest_key_file.clone() else { return };
    let interval = s.config.audit.digest_interval_secs;
    if interval == 0 {
        return;
    }
    tokio::spawn(async move {
        let key = match load_signing_key(&path) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(error = %e, "audit digests are off: audit.digest_key_file");
                return;
            }
        };
        let mut tick = tokio::time::interval(Duration::from_secs(interval.min(60)));
        loop {
            tick.tick().await;
            let every = i64::try_from(interval).unwrap_or(i64::MAX).saturating_mul(1000);
            if let Err(e) = make(&s, &key, Some(every), None).await {
                tracing::warn!(error = %e, "could not make an audit digest");
            }
            if let Err(e) = publish(&s).await {
                tracing::warn!(error = %e, "could not write an audit digest");
            }
        }
    });
}

/// One digest as read back: where it came from (a file, an S3 object version) and its contents.
#[derive(Debug, Clone)]
pub struct ReadDigest {
    pub source: String,
    pub file: DigestFile,
}

/// Reads a digest file's text.
pub fn parse_digest(source: &str, text: &str) -> Result<ReadDigest, DigestError> {
    let file: DigestFile =
        serde_json::from_str(text).map_err(|e| err(format!("{source} is not an audit digest: {e}")))?;
    Ok(ReadDigest { source: source.to_string(), file })
}

/// The digests of a folder (`audit-digest-*.json`).
pub fn read_dir(dir: &Path) -> Result<Vec<ReadDigest>, DigestError> {
    let entries = std::fs::read_dir(dir).map_err(|e| err(format!("cannot read {}: {e}", dir.display())))?;
    let mut paths: Vec<PathBuf> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("audit-digest-") && n.ends_with(".json"))
        })
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p).map_err(|e| err(format!("cannot read {}: {e}", p.display())))?;
            parse_digest(&p.display().to_string(), &text)
        })
        .collect()
}

/// Every version of the digests under `s3://bucket/prefix` (ListObjectVersions and
/// GetObject by version): a delete marker hides a locked digest from a plain listing,
/// and a put adds a new version over it, but neither removes the locked version, which
/// is read here too.
pub async fn read_s3(client: &aws_sdk_s3::Client, bucket: &str, prefix: &str) -> Result<Vec<ReadDigest>, DigestError> {
    let fail = |e: String| err(format!("s3://{bucket}/{prefix}: {e}"));
    let mut versions = Vec::new();
    let (mut key_marker, mut version_marker) = (None, None);
    loop {
        let page = client
            .list_object_versions()
            .bucket(bucket)
            .prefix(prefix)
            .set_key_marker(key_marker.take())
            .set_version_id_marker(version_marker.take())
            .send()
            .await
            .map_err(|e| fail(crate::aws::failure(&e).to_string()))?;
        for v in page.versions() {
            if let (Some(key), Some(id)) = (v.key(), v.version_id()) {
                versions.push((key.to_string(), id.to_string()));
            }
        }
        key_marker = page.next_key_marker().map(str::to_string);
        version_marker = page.next_version_id_marker().map(str::to_string);
        if page.is_truncated() != Some(true) || key_marker.is_none() {
            break;
        }
    }
    versions
        .retain(|(k, _)| k.rsplit('/').next().is_some_and(|n| n.starts_with("audit-digest-") && n.ends_with(".json")));
    let mut out = Vec::new();
    for (key, version) in versions {
        let object = client
            .get_object()
            .bucket(bucket)
            .key(&key)
            .version_id(&version)
            .send()
            .await
            .map_err(|e| fail(format!("{key}: {}", crate::aws::failure(&e))))?;
        let bytes = object.body.collect().await.map_err(|e| fail(format!("{key}: {e}")))?.to_vec();
        let text = String::from_utf8(bytes).map_err(|_| fail(format!("{key} is not UTF-8")))?;
        out.push(parse_digest(&format!("s3://{bucket}/{key} (version {version})"), &text)?);
    }
    Ok(out)
}

/// What the digests prove about a log.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AnchoredReport {
    pub valid: bool,
    /// Records read.
    pub entries: i64,
    pub head: Option<String>,
    pub digests: usize,
    pub key_id: String,
    /// The newest digest: its number, time and the record it signs.
    pub last_digest: Option<Value>,
    /// Records after the last digest's, which only the chain vouches for.
    pub unanchored_records: i64,
    pub first_bad_seq: Option<i64>,
    pub problem: Option<String>,
}

/// Checks a log's records, in order, against the digests: each digest's signature with
/// the auditor's public key, the chain of digests (each names the one before by its
/// SHA-256 and signature, numbers without gaps, the signed record never going back),
/// and each signed (sequence, hash) present in the log with that hash.
pub struct Anchored {
    chain: Verifier,
    key_id: String,
    /// seq -> (digest number, signed hash), from the valid digests.
    anchors: BTreeMap<i64, (i64, String)>,
    digests: usize,
    last: Option<Body>,
    /// The digests' own problem (signature, chain), found before any record is read.
    digest_problem: Option<String>,
    /// The last record whose hash a digest confirmed.
    confirmed: i64,
    first_bad: Option<(i64, String)>,
    entries: i64,
    last_seq: i64,
    head: Option<String>,
}

impl Anchored {
    pub fn new(mut digests: Vec<ReadDigest>, key: &VerifyingKey) -> Self {
        let kid = key_id(key);
        digests.sort_by_key(|d| d.file.digest.number);
        let mut problem = None;
        // The same digest twice (written again after a stop) is one; two different ones
        // under one number mean one was made after the fact.
        digests.dedup_by(|b, a| a.file == b.file);
        if let Some(w) = digests.windows(2).find(|w| w[0].file.digest.number == w[1].file.digest.number) {
            problem = Some(format!(
                "digest {} exists twice with different contents ({} and {}): one was written after the fact",
                w[0].file.digest.number, w[0].source, w[1].source
            ));
        }
        let mut anchors = BTreeMap::new();
        let mut before: Option<&ReadDigest> = None;
        let checked = if problem.is_some() { &digests[..0] } else { &digests[..] };
        for d in checked {
            let b = &d.file.digest;
            if let Err(p) = check_one(d, key, before) {
                problem = Some(p);
                break;
            }
            anchors.entry(b.audit_seq).or_insert((b.number, b.audit_hash.clone()));
            before = Some(d);
        }
        if digests.is_empty() {
            problem = Some("no digests: nothing outside the database vouches for the log".into());
        }
        Anchored {
            chain: Verifier::default(),
            key_id: kid,
            anchors,
            digests: digests.len(),
            last: before.map(|d| d.file.digest.clone()),
            digest_problem: problem,
            confirmed: 0,
            first_bad: None,
            entries: 0,
            last_seq: 0,
            head: None,
        }
    }

    pub fn check(&mut self, r: &AuditRecord) {
        self.chain.check(r);
        self.entries += 1;
        self.last_seq = r.seq;
        self.head = Some(r.hash.clone());
        if self.first_bad.is_some() {
            return;
        }
        let Some((number, hash)) = self.anchors.get(&r.seq) else { return };
        if *hash == r.hash {
            self.confirmed = r.seq;
        } else {
            self.first_bad = Some((
                self.confirmed + 1,
                format!(
                    "record {} has hash {}, but digest {number} signed {hash}: a record from {} to {} was changed \
                     or the chain rewritten",
                    r.seq,
                    r.hash,
                    self.confirmed + 1,
                    r.seq
                ),
            ));
        }
    }

    pub fn finish(self) -> AnchoredReport {
        let chain = self.chain.finish();
        let signed_head = self.last.as_ref().map_or(0, |b| b.audit_seq);
        let mut first_bad = self.first_bad;
        if first_bad.is_none() && self.last_seq < signed_head {
            let number = self.last.as_ref().map_or(0, |b| b.number);
            first_bad = Some((
                self.last_seq + 1,
                format!(
                    "records {} to {signed_head} are missing: digest {number} signed the head at record {signed_head}",
                    self.last_seq + 1
                ),
            ));
        }
        // The chain's own break is exact; the digests name a range starting after the last
        // record they confirmed. The earlier of the two is the first bad record.
        if let (Some(seq), Some(problem)) = (chain.first_bad_seq, chain.problem.clone()) {
            if first_bad.as_ref().is_none_or(|(s, _)| seq <= *s) {
                first_bad = Some((seq, problem));
            }
        }
        let problem = match (&self.digest_problem, &first_bad) {
            (Some(d), Some((_, r))) => Some(format!("{d}; {r}")),
            (Some(d), None) => Some(d.clone()),
            (None, r) => r.as_ref().map(|r| r.1.clone()),
        };
        AnchoredReport {
            valid: problem.is_none(),
            entries: self.entries,
            head: self.head,
            digests: self.digests,
            key_id: self.key_id,
            last_digest: self.last.as_ref().map(|b| {
                json!({"number": b.number, "made_at": b.made_at, "audit_seq": b.audit_seq, "audit_hash": b.audit_hash})
            }),
            unanchored_records: (self.last_seq - signed_head).max(0),
            first_bad_seq: first_bad.map(|b| b.0),
            problem,
        }
    }
}

/// One digest against the key and the digest before it.
fn check_one(d: &ReadDigest, key: &VerifyingKey, before: Option<&ReadDigest>) -> Result<(), String> {
    let b = &d.file.digest;
    let name = format!("digest {} ({})", b.number, d.source);
    let signature = STANDARD
        .decode(&d.file.signature)
        .ok()
        .and_then(|s| Signature::from_slice(&s).ok())
        .ok_or_else(|| format!("{name}: the signature is not 64 bytes of base64"))?;
    if key.verify_strict(signed_text(b).as_bytes(), &signature).is_err() {
        return Err(format!(
            "{name} is not signed by the key {} (it names key {}): forged, altered, or made with another key",
            key_id(key),
            b.key_id
        ));
    }
    if b.format != FORMAT {
        return Err(format!("{name}: unknown format {:?}", b.format));
    }
    match (before, &b.previous) {
        (None, None) if b.number == 1 => Ok(()),
        (None, _) => Err(format!("{name}: the digests before it are missing (the first one is number 1)")),
        (Some(p), prev) => {
            let pb = &p.file.digest;
            let expected = Previous {
                number: pb.number,
                sha256: sha256_hex(signed_text(pb)),
                signature: p.file.signature.clone(),
            };
            if b.number != pb.number + 1 {
                return Err(format!("{name} follows digest {}: the digests between are missing", pb.number));
            }
            if prev.as_ref() != Some(&expected) {
                return Err(format!(
                    "{name} does not name digest {} as the one before: the digest chain breaks",
                    pb.number
                ));
            }
            if b.audit_seq < pb.audit_seq {
                return Err(format!(
                    "{name} signs record {}, before digest {}'s record {}: the log went back",
                    b.audit_seq, pb.number, pb.audit_seq
                ));
            }
            if b.audit_seq == pb.audit_seq && b.audit_hash != pb.audit_hash {
                return Err(format!("{name} signs another hash for record {} than digest {}", b.audit_seq, pb.number));
            }
            Ok(())
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn digest(key: &SigningKey, number: i64, seq: i64, hash: &str, before: Option<&DigestFile>) -> ReadDigest {
        let body = Body {
            format: FORMAT.into(),
            number,
            made_at: "2026-11-27T12:00:00.000Z".into(),
            audit_seq: seq,
            audit_hash: hash.into(),
            key_id: key_id(&key.verifying_key()),
            previous: before.map(|p| Previous {
                number: p.digest.number,
                sha256: sha256_hex(signed_text(&p.digest)),
                signature: p.signature.clone(),
            }),
        };
        let signature = STANDARD.encode(key.sign(signed_text(&body).as_bytes()).to_bytes());
        ReadDigest { source: format!("d{number}"), file: DigestFile { digest: body, signature } }
    }

    #[test]
    fn keys_round_trip_and_the_signed_text_is_canonical() {
        let (key, pem) = generate_key().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"));
        let again = SigningKey::from_pkcs8_pem(&pem).unwrap();
        assert_eq!(again.to_bytes(), key.to_bytes());
        let public = public_pem(&key.verifying_key());
        assert_eq!(parse_public_key(&public).unwrap(), key.verifying_key());
        assert_eq!(parse_public_key(&STANDARD.encode(key.verifying_key().as_bytes())).unwrap(), key.verifying_key());
        let d = digest(&key, 1, 0, GENESIS, None);
        let text = signed_text(&d.file.digest);
        assert!(text.starts_with(r#"{"audit_hash":"000"#) && text.ends_with(r#""previous":null}"#), "{text}");
    }

    #[test]
    fn a_broken_digest_chain_or_another_key_is_named() {
        let (key, _) = generate_key().unwrap();
        let (other, _) = generate_key().unwrap();
        let one = digest(&key, 1, 3, "h3", None);
        let two = digest(&key, 2, 5, "h5", Some(&one.file));
        let ok = Anchored::new(vec![two.clone(), one.clone()], &key.verifying_key());
        assert!(ok.digest_problem.is_none());
        let report = Anchored::new(vec![one.clone(), two.clone()], &other.verifying_key()).finish();
        assert!(report.problem.unwrap().contains("is not signed by the key"));
        let missing = Anchored::new(vec![two.clone()], &key.verifying_key()).finish();
        assert!(missing.problem.unwrap().contains("before it are missing"));
        let mut altered = two.clone();
        altered.file.digest.audit_seq = 4;
        let report = Anchored::new(vec![one.clone(), altered], &key.verifying_key()).finish();
        assert!(report.problem.unwrap().contains("digest 2 (d2) is not signed"));
        let stray = digest(&key, 2, 5, "h5", None);
        let report = Anchored::new(vec![one.clone(), stray.clone()], &key.verifying_key()).finish();
        assert!(report.problem.unwrap().contains("does not name digest 1"));
        // Read twice (two versions of one object) is one digest; two different ones are refused.
        let again = Anchored::new(vec![one.clone(), two.clone(), two.clone()], &key.verifying_key());
        assert!(again.digest_problem.is_none());
        let report = Anchored::new(vec![one, two, stray], &key.verifying_key()).finish();
        assert!(report.problem.unwrap().contains("digest 2 exists twice"));
    }
}
