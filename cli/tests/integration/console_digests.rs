//! The audit log anchored outside the console (issue 15, security review finding 20):
//! signed digests of the head, written to a folder and to an S3 bucket with Object Lock,
//! prove from outside the database that no record was removed from the end, edited, or
//! rewritten with the whole chain (and new digests signed with a new key), from the
//! database and from an evidence pack on its own.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use recovery_console::assurance::digests;
use recovery_console::store::{canonical, chain_hash};
use serde_json::{json, Value};
use shared::AuditRecord;

use crate::common::*;
use crate::console::*;

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rc-digests-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary, with no `RC_` variable of this process, the sandbox's credentials and
/// `dir` as its working folder (so nothing it might create lands elsewhere).
fn cli(dir: &Path, args: &[&str]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_recovery-console"));
    for (k, _) in std::env::vars().filter(|(k, _)| k.starts_with("RC_") || k.starts_with("AWS_")) {
        cmd.env_remove(k);
    }
    cmd.env("AWS_ACCESS_KEY_ID", "AKIACLITEST000000001").env("AWS_SECRET_ACCESS_KEY", "secret");
    cmd.current_dir(dir).args(args).output().unwrap()
}

fn text(out: &std::process::Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// `audit keygen`: the private key file and the public key it prints.
fn keygen(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let key = dir.join(format!("{name}.pem"));
    let out = cli(dir, &["audit", "keygen", "--out", key.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o077, 0, "the private key is its owner's");
    assert!(!cli(dir, &["audit", "keygen", "--out", key.to_str().unwrap()]).status.success(), "never replaced");
    let public = String::from_utf8(out.stdout).unwrap();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"), "{public}");
    let public_file = dir.join(format!("{name}.pub.pem"));
    std::fs::write(&public_file, public).unwrap();
    (key, public_file)
}

/// Changes record `seq`'s actor and recomputes every hash from there on, as a database
/// administrator rewriting the chain consistently would.
fn rewrite(records: &mut [AuditRecord], seq: i64) {
    let mut prev = None::<String>;
    for r in records.iter_mut() {
        if r.seq == seq {
            r.actor = "mallory".into();
        }
        if r.seq >= seq {
            if let Some(p) = &prev {
                r.prev_hash = p.clone();
            }
            r.hash = chain_hash(&r.prev_hash, &canonical(r.seq, &r.at, &r.actor, &r.action, &r.subject, &r.details));
        }
        prev = Some(r.hash.clone());
    }
}

/// Writes these records' actor and hashes over the stored ones.
async fn store_chain(pool: &sqlx::AnyPool, records: &[AuditRecord]) {
    for r in records {
        let q = format!(
            "UPDATE audit_log SET actor = '{}', prev_hash = '{}', hash = '{}' WHERE seq = {}",
            r.actor, r.prev_hash, r.hash, r.seq
        );
        sqlx::query(&q).execute(pool).await.unwrap();
    }
}

fn ndjson(records: &[AuditRecord]) -> String {
    records.iter().map(recovery_console::store::ndjson_line).collect()
}

/// Makes `n` digests with `key` outside the console's own folder (the forger's).
async fn forge_digests(c: &TestConsole, key: &Path, dir: &Path, n: usize) {
    let key = digests::load_signing_key(key).unwrap();
    let pool = sqlx::AnyPool::connect(c.state.config.database_url().expose()).await.unwrap();
    sqlx::query("DELETE FROM audit_digests").execute(&pool).await.unwrap();
    std::fs::create_dir_all(dir).unwrap();
    for _ in 0..n {
        let d = digests::make(&c.state, &key, None, None).await.unwrap().unwrap();
        std::fs::write(dir.join(digests::file_name(d.number)), &d.body).unwrap();
    }
}

// The CLI reads the bucket from the sandbox served by this test: two threads, so the
// sandbox answers while the test waits for the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn digests_prove_from_outside_the_database_that_no_record_was_removed_edited_or_rewritten() {
    let sb = spawn(0, 0.0).await;
    sqlx::any::install_default_drivers();
    for db in databases().await {
        let label = db.label;
        let dir = temp_dir();
        let (key, public) = keygen(&dir, "digest-key");
        let folder = dir.join("digests");
        let c = console(&sb, &db, |cfg| {
            cfg.audit.digest_key_file = Some(key.clone());
            cfg.audit.digest_dir = Some(folder.clone());
            cfg.audit.digest_s3_bucket = Some(aws_sandbox::generate::AUDIT_DIGEST_BUCKET.into());
            // One sandbox serves both databases: each console its own prefix (two
            // consoles writing one prefix would be refused as digests made twice).
            cfg.audit.digest_s3_prefix = format!("{label}/audit-digests/");
        })
        .await;
        let (alice, _carol, erin) = (c.sign_in("alice").await, c.sign_in("carol").await, c.sign_in("erin").await);

        // On demand: an admin's call, audited; others are refused.
        assert_eq!(c.post_as(&alice, "/api/v1/audit/digests", json!({})).await.0, 403, "{label}");
        let (s, first) = c.post_as(&erin, "/api/v1/audit/digests", json!({})).await;
        assert_eq!(s, 201, "{label}: {first}");
        assert_eq!((first["number"].as_i64(), first["audit_seq"].as_i64()), (Some(1), Some(4)), "{label}: {first}");
        assert_eq!(first["public_key"].as_str().unwrap(), std::fs::read_to_string(&public).unwrap());
        let s3_key = format!("s3://rc-audit-digests-999999999999/{label}/audit-digests/audit-digest-0000000001.json");
        assert_eq!(first["written_to"].as_array().unwrap().last().unwrap(), &s3_key, "{label}: {first}");
        let (_, audit) = c.get_as(&erin, "/api/v1/audit?action=audit.digest_requested").await;
        assert_eq!(audit["items"][0]["seq"], 4, "{label}: {audit}");
        c.sign_in("bob").await;
        c.sign_in("alice").await;
        assert_eq!(c.post_as(&erin, "/api/v1/audit/digests", json!({})).await.1["audit_seq"], 7, "{label}");
        // A digest when nothing changed still chains: it signs record 7 again.
        let signing = digests::load_signing_key(&key).unwrap();
        let third = digests::make(&c.state, &signing, None, None).await.unwrap().unwrap();
        assert_eq!((third.number, third.seq), (3, 7), "{label}");
        digests::publish(&c.state).await.unwrap();
        // The schedule makes none while the last one is younger than the interval.
        assert!(digests::make(&c.state, &signing, Some(3_600_000), None).await.unwrap().is_none());

        let config = dir.join("console.toml");
        std::fs::write(
            &config,
            format!(
                "[database]\nurl = {:?}\n[aws]\nendpoint_url = {:?}\nregion = {REGION:?}\n[audit]\ndigest_key_file = {key:?}\n",
                db.url.expose(),
                sb.url
            ),
        )
        .unwrap();
        let config = config.to_str().unwrap();
        let folder_arg = folder.to_str().unwrap();
        let s3_prefix = format!("s3://rc-audit-digests-999999999999/{label}/audit-digests/");
        let s3 = s3_prefix.as_str();
        let verify = |from: &str, key: &Path| {
            cli(
                &dir,
                &["audit", "verify", "--config", config, "--digests", from, "--public-key", key.to_str().unwrap()],
            )
        };
        for from in [folder_arg, s3] {
            let ok = verify(from, &public);
            assert!(ok.status.success(), "{label} {from}: {}", text(&ok));
            let report: Value = serde_json::from_slice(&ok.stdout).unwrap();
            assert_eq!((report["digests"].as_i64(), report["entries"].as_i64()), (Some(3), Some(7)), "{report}");
        }
        let printed = cli(&dir, &["audit", "public-key", "--config", config]);
        assert_eq!(String::from_utf8_lossy(&printed.stdout), std::fs::read_to_string(&public).unwrap());

        let pool = sqlx::AnyPool::connect(db.url.expose()).await.unwrap();
        let records: Vec<AuditRecord> = c.store.audit_after(0, 100).await.unwrap();

        // 1. One record edited: named exactly.
        sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2").execute(&pool).await.unwrap();
        let bad = verify(folder_arg, &public);
        assert!(!bad.status.success() && text(&bad).contains("from record 2"), "{label}: {}", text(&bad));
        sqlx::query(&format!("UPDATE audit_log SET actor = '{}' WHERE seq = 2", records[1].actor))
            .execute(&pool)
            .await
            .unwrap();
        assert!(verify(folder_arg, &public).status.success(), "{label}: restored");

        // 2. The chain rewritten consistently from record 6: the chain alone holds, the
        // digests name the records after the last one they confirmed (4).
        let mut rewritten = records.clone();
        rewrite(&mut rewritten, 6);
        store_chain(&pool, &rewritten[5..]).await;
        assert!(cli(&dir, &["audit", "verify", "--config", config]).status.success(), "{label}: the chain alone holds");
        for from in [folder_arg, s3] {
            let bad = verify(from, &public);
            let out = text(&bad);
            assert!(!bad.status.success() && out.contains("from record 5") && out.contains("digest 2 signed"), "{out}");
        }
        // ... and with new digests signed by a new key (the old key is not the forger's):
        // the auditor's public key refuses them.
        let (new_key, new_public) = keygen(&dir, "forger");
        let forged = dir.join("forged");
        forge_digests(&c, &new_key, &forged, 3).await;
        let bad = verify(forged.to_str().unwrap(), &public);
        assert!(!bad.status.success() && text(&bad).contains("is not signed by the key"), "{}", text(&bad));
        assert!(verify(forged.to_str().unwrap(), &new_public).status.success(), "the forger's own key agrees");
        // The locked objects in the bucket still hold the real digests.
        assert!(!verify(s3, &new_public).status.success());
        store_chain(&pool, &records[5..]).await;

        // 3. Records removed from the end: the chain alone cannot tell, the digests can,
        // also when the last digests are hidden behind delete markers (which Object Lock
        // allows; the locked versions stay and are read).
        sqlx::query("DELETE FROM audit_log WHERE seq > 5").execute(&pool).await.unwrap();
        let hub = aws_sdk_s3::config::Builder::from(&sb.hub().await).force_path_style(true).build();
        let hub = aws_sdk_s3::Client::from_conf(hub);
        for n in [2, 3] {
            let key = format!("{label}/audit-digests/{}", digests::file_name(n));
            let marker = hub.delete_object().bucket(aws_sandbox::generate::AUDIT_DIGEST_BUCKET).key(key);
            assert_eq!(marker.send().await.unwrap().delete_marker(), Some(true));
        }
        assert!(cli(&dir, &["audit", "verify", "--config", config]).status.success(), "{label}");
        for from in [folder_arg, s3] {
            let bad = verify(from, &public);
            let out = text(&bad);
            assert!(!bad.status.success() && out.contains("records 6 to 7 are missing"), "{label} {from}: {out}");
        }
        pool.close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
}

// Two threads: the CLI reads the bucket from this test's sandbox.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_evidence_pack_alone_proves_its_log_against_the_digests_it_carries() {
    let sb = spawn(0, 0.0).await;
    for db in databases().await {
        let label = db.label;
        let dir = temp_dir();
        let (key, public) = keygen(&dir, "digest-key");
        let c = console(&sb, &db, |cfg| {
            cfg.audit.digest_key_file = Some(key.clone());
            cfg.audit.digest_dir = Some(dir.join("digests"));
            cfg.audit.digest_s3_bucket = Some(aws_sandbox::generate::AUDIT_DIGEST_BUCKET.into());
            cfg.audit.digest_s3_prefix = format!("pack-{label}/");
        })
        .await;
        let erin = c.sign_in("erin").await;
        c.sign_in("alice").await;
        assert_eq!(c.post_as(&erin, "/api/v1/audit/digests", json!({})).await.0, 201, "{label}");
        c.sign_in("bob").await;
        assert_eq!(c.post_as(&erin, "/api/v1/audit/digests", json!({})).await.0, 201, "{label}");

        let scope =
            recovery_console::assurance::evidence::Scope::parse("2026-01-01", "2026-12-31", None, None).unwrap();
        let file = tokio::fs::File::create(dir.join("pack.zip")).await.unwrap();
        let mut zip = recovery_console::zipstream::ZipStream::new(recovery_console::zipstream::Out::File(file), 0);
        recovery_console::assurance::evidence::generate(&c.state, &scope, "carol", &mut zip, &|_| {}).await.unwrap();
        zip.finish().await.unwrap();
        let unzip = std::process::Command::new("python3")
            .args(["-c", "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])"])
            .arg(dir.join("pack.zip"))
            .arg(dir.join("pack"))
            .output()
            .unwrap();
        assert!(unzip.status.success(), "{}", text(&unzip));
        let pack = dir.join("pack/audit");
        assert!(pack.join("digests/audit-digest-0000000002.json").exists(), "{label}");
        assert_eq!(
            std::fs::read_to_string(pack.join("digest-public-key.pem")).unwrap(),
            std::fs::read_to_string(&public).unwrap()
        );

        // No configuration, no database: the pack's files and the auditor's key.
        let offline = |log: &Path, digests: &Path, key: &Path| {
            cli(
                &dir,
                &[
                    "audit",
                    "verify",
                    "--export",
                    log.to_str().unwrap(),
                    "--digests",
                    digests.to_str().unwrap(),
                    "--public-key",
                    key.to_str().unwrap(),
                ],
            )
        };
        // The same with the pack's Python script (standard library only).
        let script = |log: &Path, digests: &Path, key: &Path| {
            std::process::Command::new("python3")
                .arg(pack.join("verify-audit-export.py"))
                .arg(log)
                .args(["--digests", digests.to_str().unwrap(), "--public-key", key.to_str().unwrap()])
                .output()
                .unwrap()
        };
        let log = pack.join("audit-log.ndjson");
        let ok = offline(&log, &pack.join("digests"), &public);
        assert!(ok.status.success(), "{label}: {}", text(&ok));
        let ok = script(&log, &pack.join("digests"), &public);
        assert!(ok.status.success() && text(&ok).contains("2 digests up to record 5"), "{label}: {}", text(&ok));
        assert!(!dir.join("data").exists(), "the offline check opened no database");
        // And against the digests outside the pack, in the Object Lock bucket.
        let aws = dir.join("aws.toml");
        std::fs::write(&aws, format!("[aws]\nendpoint_url = {:?}\nregion = {REGION:?}\n", sb.url)).unwrap();
        let outside = format!("s3://rc-audit-digests-999999999999/pack-{label}/");
        let args = ["--config", aws.to_str().unwrap(), "--public-key", public.to_str().unwrap()];
        let from_bucket = |log: &Path| {
            let log = log.to_str().unwrap();
            cli(&dir, &[&["audit", "verify", "--export", log, "--digests", &outside][..], &args[..]].concat())
        };
        assert!(from_bucket(&log).status.success(), "{label}: {}", text(&from_bucket(&log)));

        let records: Vec<AuditRecord> =
            std::fs::read_to_string(&log).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        let signed_head = 5;
        assert_eq!(records.len(), 5, "{label}: sign-ins 1, 2, 4 and two digest requests");
        let tampered = dir.join("tampered.ndjson");
        // Removed from the end.
        std::fs::write(&tampered, ndjson(&records[..3])).unwrap();
        let bad = offline(&tampered, &pack.join("digests"), &public);
        assert!(text(&bad).contains(&format!("records 4 to {signed_head} are missing")), "{label}: {}", text(&bad));
        let bad = script(&tampered, &pack.join("digests"), &public);
        assert!(text(&bad).contains(&format!("records 4 to {signed_head} are missing")), "{label}: {}", text(&bad));
        let bad = from_bucket(&tampered);
        assert!(text(&bad).contains(&format!("records 4 to {signed_head} are missing")), "{label}: {}", text(&bad));
        // One record edited.
        let mut edited = records.clone();
        edited[2].details = json!({"edited": true});
        std::fs::write(&tampered, ndjson(&edited)).unwrap();
        let bad = offline(&tampered, &pack.join("digests"), &public);
        assert!(!bad.status.success() && text(&bad).contains("from record 3"), "{label}: {}", text(&bad));
        // The whole chain rewritten consistently, with new digests signed by a new key.
        let mut rewritten = records.clone();
        rewrite(&mut rewritten, 1);
        std::fs::write(&tampered, ndjson(&rewritten)).unwrap();
        let bad = offline(&tampered, &pack.join("digests"), &public);
        assert!(!bad.status.success() && text(&bad).contains("from record 1"), "{label}: {}", text(&bad));
        let bad = script(&tampered, &pack.join("digests"), &public);
        assert!(!bad.status.success() && text(&bad).contains("a record from 1 to 3"), "{label}: {}", text(&bad));
        let (new_key, _) = keygen(&dir, "forger");
        let forged = dir.join("forged");
        forge_digests(&c, &new_key, &forged, 2).await;
        let bad = offline(&log, &forged, &public);
        assert!(!bad.status.success() && text(&bad).contains("is not signed by the key"), "{label}: {}", text(&bad));
        let bad = script(&log, &forged, &public);
        assert!(!bad.status.success() && text(&bad).contains("is not signed by the key"), "{label}: {}", text(&bad));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
