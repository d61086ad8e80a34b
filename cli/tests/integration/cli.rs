//! The `recovery-console` binary as a person meets it: errors in a line or two
//! (missing AWS credentials, a denied AssumeRole, an unreachable endpoint, a
//! database that cannot be opened), SQLite files created where the URL points,
//! `--version` with the commit; and `scripts/demo.sh --check` on a machine
//! without wasm-bindgen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sandbox as sandbox;

use crate::common::*;

const BIN: &str = env!("CARGO_BIN_EXE_recovery-console");

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rc-cli-{name}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with an environment that has no AWS settings at all: no keys, no
/// profile files, no instance metadata (this machine is no EC2 instance).
fn console(home: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("AWS_CONFIG_FILE", home.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .current_dir(home);
    cmd
}

fn text(out: &Output) -> (String, String) {
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The lines that report the command's failure (the others are the log).
fn error_lines(stderr: &str) -> Vec<&str> {
    stderr.lines().filter(|l| l.starts_with("error:")).collect()
}

/// The sync table's line of an account.
fn line_of<'a>(stdout: &'a str, account: &str) -> &'a str {
    stdout.lines().find(|l| l.starts_with(account)).unwrap_or_else(|| panic!("no line for {account}:\n{stdout}"))
}

#[tokio::test]
async fn sync_errors_are_one_line_each_and_the_sqlite_file_is_created() {
    // The sandbox denies AssumeRole into the backup account.
    let faults = aws_sandbox::Faults { deny_accounts: vec![BACKUP.to_string()], ..Default::default() };
    let sb = spawn_with(0, 0.0, faults).await;
    let home = temp_dir("sync");
    // The README's form of a SQLite URL, without `?mode=rwc`, in a folder that does not exist yet.
    let db = home.join("new-folder").join("console.db");
    let config = home.join("console.toml");
    let toml = format!(
        "[database]\nurl = \"sqlite://{}\"\n{}",
        db.display(),
        sandbox::console_config(&sb.url, &sb.sandbox.accounts())
    );
    std::fs::write(&config, &toml).unwrap();

    // No credentials anywhere: one line per account says so, and how to give them.
    let out = tokio::task::spawn_blocking({
        let mut cmd = console(&home);
        cmd.args(["sync", "--config"]).arg(&config);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(db.is_file(), "the SQLite file was not created: {stderr}");
    let line = line_of(&stdout, WORKLOAD_A);
    assert!(line.contains("NoCredentials: the console has no AWS credentials"), "{line}");
    assert!(line.contains("AWS_ACCESS_KEY_ID") && line.contains("AWS_PROFILE"), "{line}");
    assert!(line.len() < 600, "{} characters: {line}", line.len());
    for noise in ["DispatchFailure", "ProviderError", "ConnectorError", "{"] {
        assert!(!stdout.contains(noise), "{noise} in:\n{stdout}");
    }
    assert_eq!(error_lines(&stderr), ["error: every account failed to sync"], "{stderr}");
    for noise in ["DispatchFailure", "ProviderError", "\u{1b}["] {
        assert!(!stderr.contains(noise), "{noise:?} in the log:\n{stderr}");
    }

    // With credentials: the account whose role is denied has its one-line AccessDenied.
    let out = tokio::task::spawn_blocking({
        let mut cmd = console(&home);
        cmd.env("AWS_ACCESS_KEY_ID", "AKIACLITEST000000001").env("AWS_SECRET_ACCESS_KEY", "secret");
        cmd.args(["sync", "--config"]).arg(&config);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(line_of(&stdout, WORKLOAD_A).contains(" ok "), "{stdout}");
    let line = line_of(&stdout, BACKUP);
    assert!(line.contains("AccessDenied: "), "{line}");
    assert!(line.contains("sts:AssumeRole"), "{line}");
    assert!(line.len() < 400, "{line}");

    // An endpoint nothing listens on: one line naming the connection failure.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let unreachable = home.join("unreachable.toml");
    std::fs::write(&unreachable, toml.replace(&sb.url, &format!("http://{closed}"))).unwrap();
    let out = tokio::task::spawn_blocking({
        let mut cmd = console(&home);
        cmd.env("AWS_ACCESS_KEY_ID", "AKIACLITEST000000001").env("AWS_SECRET_ACCESS_KEY", "secret");
        cmd.env("RC_AWS__MAX_ATTEMPTS", "1");
        cmd.args(["sync", "--config"]).arg(&unreachable);
        move || cmd.output().unwrap()
    })
    .await
    .unwrap();
    let (stdout, _) = text(&out);
    let line = line_of(&stdout, WORKLOAD_A);
    assert!(line.contains("ConnectionError: could not reach AWS: "), "{line}");
    assert!(line.to_lowercase().contains("refused"), "{line}");
    assert!(line.len() < 300, "{line}");
}

/// `migrate` with a database URL that cannot work: its one error line, and all of standard error.
fn migrate_error(home: &Path, url: &str) -> (String, String) {
    let out = console(home).args(["migrate"]).env("RC_DATABASE__URL", url).output().unwrap();
    let (_, stderr) = text(&out);
    assert!(!out.status.success());
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    (errors[0].to_string(), stderr)
}

#[test]
fn a_database_that_cannot_be_opened_is_named_in_one_line_without_its_password() {
    let home = temp_dir("db");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let (error, stderr) = migrate_error(&home, &format!("postgres://console:hunter2@{closed}/rc"));
    assert!(
        error.starts_with(&format!("error: database.url: could not open postgres://console:***@{closed}/rc: ")),
        "{error}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");

    // A SQLite file where no file can be: the path and the reason.
    let blocker = home.join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let (error, _) = migrate_error(&home, &format!("sqlite://{}/console.db", blocker.display()));
    assert!(error.contains(&format!("cannot create the folder {}", blocker.display())), "{error}");
}

#[test]
fn version_names_the_commit() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = Command::new("git").args(["rev-parse", "--short=12", "HEAD"]).output().unwrap();
    let commit = String::from_utf8_lossy(&expected.stdout).trim().to_string();
    assert!(out.status.success());
    assert_eq!(stdout.trim(), format!("recovery-console {} (commit {commit})", env!("CARGO_PKG_VERSION")));
}

#[test]
fn demo_check_lists_what_is_missing_and_installs_nothing() {
    // A PATH with cargo, rustup and the system's tools, but no wasm-bindgen.
    let bin = temp_dir("path");
    for tool in ["cargo", "rustup", "rustc"] {
        let found = Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().unwrap();
        let path = String::from_utf8_lossy(&found.stdout).trim().to_string();
        assert!(!path.is_empty(), "{tool} is not on the PATH");
        std::os::unix::fs::symlink(&path, bin.join(tool)).unwrap();
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = Command::new("bash")
        .arg(root.join("scripts/demo.sh"))
        .arg("--check")
        .env("PATH", format!("{}:/usr/bin:/bin", bin.display()))
        .output()
        .unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap();
    let version = lock.split("name = \"wasm-bindgen\"\nversion = \"").nth(1).unwrap().split('"').next().unwrap();
    assert!(stdout.contains("Missing, and what scripts/demo.sh would run to install it:"), "{stdout}");
    assert!(
        stdout.contains(&format!(
            "wasm-bindgen-cli {version} (found none): cargo install wasm-bindgen-cli --version {version}"
        )),
        "{stdout}"
    );
    assert!(!stdout.contains("building") && !stderr.contains("installing"), "{stdout}{stderr}");
}

/// The demo signs anyone in as admin: on an address other machines reach it starts
/// only when asked to (security review, INFO "Demo on a network address").
#[test]
fn the_demo_refuses_an_address_other_machines_reach_unless_asked() {
    let home = temp_dir("demo-remote");
    let out =
        console(&home).args(["demo", "--listen", "0.0.0.0:0", "--data-dir"]).arg(home.join("data")).output().unwrap();
    let (stdout, stderr) = text(&out);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    let errors = error_lines(&stderr);
    assert_eq!(errors.len(), 1, "{stderr}");
    assert!(
        errors[0].contains("0.0.0.0:0 is reachable from other machines") && errors[0].contains("--allow-remote"),
        "{stderr}"
    );
    assert!(!home.join("data").exists(), "nothing was made before the refusal");
}

#[test]
fn bad_sandbox_rates_are_named() {
    let home = temp_dir("rates");
    for (arg, expected) in [
        ("ListBackupJobs", "expected OPERATION=RATE[/BURST]"),
        ("ListBackupJobs=fast", "is not a number"),
        ("backup=0", "per_second must be above 0"),
    ] {
        let out = console(&home).args(["sandbox", "--listen", "127.0.0.1:0", "--api-rate", arg]).output().unwrap();
        let (_, stderr) = text(&out);
        assert!(!out.status.success(), "{arg}");
        assert!(stderr.contains("--api-rate") && stderr.contains(expected), "{arg}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(home);
}
