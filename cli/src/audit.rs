//! `recovery-console audit keygen | public-key | digest | verify --digests`: the signed
//! digests of the audit log's head (docs/audit.md, "Digests").

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::Context;
use recovery_console::assurance::digests::{self, Anchored, AnchoredReport, ReadDigest};
use recovery_console::config::Config;
use recovery_console::startup::{self, Deps};

/// Writes a new Ed25519 key (PKCS#8 PEM, readable by its owner only) and prints its public key.
pub fn keygen(out: &Path) -> anyhow::Result<()> {
    let (key, pem) = digests::generate_key()?;
    write_private(out, &pem)
        .with_context(|| format!("could not write {} (an existing key is never replaced)", out.display()))?;
    eprintln!("private key written to {}: set audit.digest_key_file to it", out.display());
    print_public(&key.verifying_key());
    Ok(())
}

/// Writes a new file readable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    options.open(path).and_then(|mut f| f.write_all(text.as_bytes()))
}

fn print_public(key: &digests::VerifyingKey) {
    eprintln!("key id {}; give auditors this public key:", digests::key_id(key));
    print!("{}", digests::public_pem(key));
}

/// Prints the public key of the configured digest key.
pub fn public_key(cfg: &Config) -> anyhow::Result<()> {
    let key = digests::configured_public_key(cfg)?
        .ok_or_else(|| anyhow::anyhow!("audit.digest_key_file is not set: no digests are signed"))?;
    print_public(&key);
    Ok(())
}

/// Signs the head now and writes the digest (and any not yet written) to the folder and bucket.
pub async fn digest(cfg: Config) -> anyhow::Result<()> {
    let path = cfg.audit.digest_key_file.clone().context("audit.digest_key_file is not set: no digests are signed")?;
    let key = digests::load_signing_key(&path).context("audit.digest_key_file")?;
    let app = startup::build(cfg, Deps::default()).await?;
    let made = digests::make(app.console(), &key, None, Some("cli")).await?;
    let written = digests::publish(app.console()).await?;
    if let Some(d) = made {
        println!("digest {} signs record {} ({})", d.number, d.seq, d.hash);
    }
    for w in written {
        println!("written: {w}");
    }
    Ok(())
}

/// The demo signs digests too: a fresh key in the data folder, the digests in
/// `audit-digests` there and in the sandbox's bucket with Object Lock. Returns the key id.
pub fn demo_digests(cfg: &mut Config, data_dir: &Path) -> anyhow::Result<String> {
    let (key, pem) = digests::generate_key()?;
    let dir = data_dir.join("audit-digests");
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("could not remove the old {}", dir.display()))?;
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("could not create {}", data_dir.display()))?;
    let file = data_dir.join("audit-digest-key.pem");
    if file.exists() {
        std::fs::remove_file(&file).with_context(|| format!("could not remove the old {}", file.display()))?;
    }
    write_private(&file, &pem).with_context(|| format!("could not write {}", file.display()))?;
    cfg.audit.digest_key_file = Some(file);
    cfg.audit.digest_s3_bucket = Some(aws_sandbox::generate::AUDIT_DIGEST_BUCKET.into());
    Ok(digests::key_id(&key.verifying_key()))
}

/// Where the digests are: a folder or `s3://bucket/prefix`.
async fn read_digests(cfg: &Config, from: &str) -> anyhow::Result<Vec<ReadDigest>> {
    let Some(rest) = from.strip_prefix("s3://") else {
        return Ok(digests::read_dir(Path::new(from))?);
    };
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let region = cfg.audit.digest_s3_region.clone().unwrap_or_else(|| cfg.aws.region.clone());
    let aws = recovery_console::aws::AwsAccess::new(&cfg.aws, None).await;
    Ok(digests::read_s3(&aws.hub_s3(&region), bucket, prefix).await?)
}

/// Checks the log (the database, or an NDJSON export with no database) against the digests.
pub async fn verify(
    cfg: &Config,
    from: &str,
    public_key: Option<&str>,
    export: Option<&PathBuf>,
) -> anyhow::Result<AnchoredReport> {
    let key = match public_key {
        Some(arg) => digests::read_public_key(arg)?,
        None => digests::configured_public_key(cfg)?.context(
            "no public key: pass --public-key (the key the console's operators gave you) or set audit.digest_key_file",
        )?,
    };
    let mut anchored = Anchored::new(read_digests(cfg, from).await?, &key);
    match export {
        Some(path) => {
            let file = std::fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
            for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
                let line = line.with_context(|| format!("cannot read {}", path.display()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let record = serde_json::from_str(&line)
                    .with_context(|| format!("{} line {}: not an audit record", path.display(), i + 1))?;
                anchored.check(&record);
            }
        }
        None => {
            let store = startup::open_store(cfg).await?;
            store
                .walk_audit(1000, |r| {
                    anchored.check(&r);
                    Ok(())
                })
                .await?;
        }
    }
    Ok(anchored.finish())
}
