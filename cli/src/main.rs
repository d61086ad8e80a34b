//! `recovery-console`: the Recovery Console server and its tools.

mod audit;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sandbox::{self as sandbox, Faults, Sandbox, WorldOptions};
use clap::{Args, Parser, Subcommand, ValueEnum};
use recovery_console::config::Config;
use recovery_console::startup::{self, App, Deps};
use recovery_console::store::Store;
use recovery_console::sync::{Syncer, TargetReport};

/// jemalloc instead of glibc's allocator. A sync allocates and frees a few strings
/// per field of every recovery point and job it reads; glibc's allocator was about a
/// quarter of the console's CPU in a PostgreSQL sync, and with jemalloc the sync used
/// a fifth less CPU at about the same peak memory (mimalloc: a sixth less, but two
/// thirds more memory). Measured in docs/benchmarks.md, session 12.
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// The version and the commit it was built from (build.rs).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("RECOVERY_CONSOLE_COMMIT"), ")");

#[derive(Parser)]
#[command(
    name = "recovery-console",
    version = VERSION,
    about = "Recovery Console: provably recoverable AWS backups across an AWS Organization"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the console: the API, syncing every account on a schedule.
    Serve {
        #[command(flatten)]
        config: ConfigArg,
        /// Address to listen on (overrides `listen` in the config).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Sync every account and region once and print what happened.
    Sync {
        #[command(flatten)]
        config: ConfigArg,
        /// `table` for people, `json` for scripts.
        #[arg(long, value_enum, default_value_t = Output::Table)]
        output: Output,
    },
    /// The audit log: verify its hash chain (and its signed digests), export it, sign its head.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Apply the database migrations and exit.
    Migrate {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// The whole console on the built-in AWS sandbox: no AWS account, no network.
    Demo {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Generated accounts to add to the demo world.
        #[arg(long, default_value_t = 0)]
        accounts: usize,
        /// Folder for the demo database (recreated at each start).
        #[arg(long, default_value = "data")]
        data_dir: PathBuf,
        /// Seconds between syncs after the first (0: no scheduled sync; Sync now still works).
        #[arg(long, default_value_t = 20)]
        sync_interval: u64,
        /// An empty database to use instead of DATA_DIR/demo.db, e.g. a PostgreSQL one
        /// (postgres://user@host/db); the demo fills it.
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
        /// Listen on an address other machines reach. The demo signs anyone in as any
        /// of its users, admin included, without a password: refused without this.
        #[arg(long)]
        allow_remote: bool,
    },
    /// Run the AWS sandbox alone: an emulator of STS, Organizations and AWS Backup serving the demo world.
    Sandbox(SandboxArgs),
}

#[derive(Subcommand)]
enum AuditAction {
    /// Recompute the chain from the first record; exit 1 and name the first bad record if it breaks.
    /// With --digests, also prove from the signed digests that no record was changed,
    /// removed from the end or rewritten up to the last digest.
    Verify {
        #[command(flatten)]
        config: ConfigArg,
        /// The digests: a folder, or s3://BUCKET/PREFIX (read with the configured AWS access).
        #[arg(long, value_name = "PATH|s3://BUCKET/PREFIX")]
        digests: Option<String>,
        /// The public key that signed them (a PEM file, or its base64); default: the configured key's.
        #[arg(long, value_name = "PEM")]
        public_key: Option<String>,
        /// Check this NDJSON export (from `audit export` or an evidence pack) instead of
        /// the database: no database needed.
        #[arg(long, value_name = "FILE", requires = "digests")]
        export: Option<PathBuf>,
    },
    /// Make a new Ed25519 key for the digests (PKCS#8 PEM) and print its public key.
    Keygen {
        /// Where to write the private key (never replaced).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Print the public key of audit.digest_key_file, for auditors.
    PublicKey {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Sign the head of the log now and write the digest to the digest folder and bucket.
    Digest {
        #[command(flatten)]
        config: ConfigArg,
    },
    /// Write the whole log to standard output, oldest first (verify it offline with
    /// scripts/verify-audit-export.py).
    Export {
        #[command(flatten)]
        config: ConfigArg,
        #[arg(long, value_enum, default_value_t = ExportFormat::Ndjson)]
        format: ExportFormat,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ExportFormat {
    Ndjson,
    Csv,
}

#[derive(Args)]
struct ConfigArg {
    /// The configuration file (TOML); `RC_` environment variables override its keys.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum Output {
    Table,
    Json,
}

#[derive(Args)]
struct SandboxArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4566")]
    listen: SocketAddr,
    /// Generated accounts to add to the demo world (more regions and resource types).
    #[arg(long, default_value_t = 0)]
    accounts: usize,
    /// Seed of everything random in the world: ids, outcomes, sizes.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// How much faster than real time the sandbox clock runs (60 = one minute per second).
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Milliseconds of latency added to every AWS call.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Share (0-1) of AWS calls answered with a throttling error.
    #[arg(long, default_value_t = 0.0)]
    throttle_rate: f64,
    /// Share (0-1) of AWS calls answered with a 5xx error.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Share (0-1) of AWS calls that take effect but whose response is lost.
    #[arg(long, default_value_t = 0.0)]
    lost_response_rate: f64,
    /// Deny AssumeRole into this account (repeatable).
    #[arg(long = "deny-account", value_name = "ACCOUNT_ID")]
    deny_accounts: Vec<String>,
    /// AWS's request rates: `aws` throttles each AWS Backup operation per (account,
    /// Region) as AWS does; `off` leaves only Organizations' rate (README: Throttling).
    #[arg(long, value_enum, default_value_t = ThrottleMode::Off)]
    throttle: ThrottleMode,
    /// A request rate per second, with an optional burst: `OPERATION=RATE[/BURST]` for one
    /// Backup operation, `backup=...` for every other one, `organizations=...` (repeatable).
    #[arg(long = "api-rate", value_name = "OPERATION=RATE[/BURST]")]
    api_rates: Vec<String>,
    /// Write a console configuration file pointing at this sandbox.
    #[arg(long, value_name = "PATH")]
    write_config: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    use std::io::IsTerminal;
    // Colour only for a person at a terminal, and never with NO_COLOR (no-color.org).
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,sqlx=warn".into()),
        )
        .with_ansi(colour)
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            // One line for a person; the whole chain, with each cause's details, at debug level.
            tracing::debug!(error = ?e, "failed");
            eprintln!("error: {}", one_line(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// An error and its causes on one line ("what failed: why: why"), each cause once.
fn one_line(e: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { config, listen } => {
            let mut cfg = Config::load(config.config.as_deref())?;
            if let Some(listen) = listen {
                cfg.listen = listen;
            }
            serve(startup::build(cfg, Deps::default()).await?).await
        }
        Command::Sync { config, output } => sync_once(Config::load(config.config.as_deref())?, output).await,
        Command::Migrate { config } => {
            let cfg = Config::load(config.config.as_deref())?;
            open_store(&cfg).await?;
            println!("migrations applied");
            Ok(())
        }
        Command::Demo { listen, accounts, data_dir, sync_interval, database_url, allow_remote } => {
            if !listen.ip().is_loopback() {
                if !allow_remote {
                    anyhow::bail!(
                        "the demo signs anyone in as admin without a password, and {listen} is reachable from \
                         other machines: listen on 127.0.0.1, or add --allow-remote if that is what you want"
                    );
                }
                eprintln!("WARNING: demo on {listen}: anyone who reaches it can sign in as admin without a password");
            }
            demo(listen, accounts, data_dir, sync_interval, database_url).await
        }
        Command::Sandbox(args) => run_sandbox(args).await,
        Command::Audit { action: AuditAction::Verify { config, digests: Some(from), public_key, export } } => {
            let cfg = Config::load(config.config.as_deref())?;
            let report = audit::verify(&cfg, &from, public_key.as_deref(), export.as_ref()).await?;
            println!("{}", serde_json::to_string_pretty(&report)?);
            if !report.valid {
                anyhow::bail!(
                    "the audit log does not match its digests{}: {}",
                    report.first_bad_seq.map(|s| format!(" from record {s}")).unwrap_or_default(),
                    report.problem.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Audit { action: AuditAction::Keygen { out } } => audit::keygen(&out),
        Command::Audit { action: AuditAction::PublicKey { config } } => {
            audit::public_key(&Config::load(config.config.as_deref())?)
        }
        Command::Audit { action: AuditAction::Digest { config } } => {
            audit::digest(Config::load(config.config.as_deref())?).await
        }
        Command::Audit { action: AuditAction::Verify { config, .. } } => {
            let store = open_store(&Config::load(config.config.as_deref())?).await?;
            let v = store.verify_audit().await?;
            println!("{}", serde_json::to_string_pretty(&v)?);
            if !v.valid {
                anyhow::bail!(
                    "the audit log is broken at record {}: {}",
                    v.first_bad_seq.unwrap_or_default(),
                    v.problem.unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Audit { action: AuditAction::Export { config, format } } => {
            use std::io::Write;
            let store = open_store(&Config::load(config.config.as_deref())?).await?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if matches!(format, ExportFormat::Csv) {
                out.write_all(&recovery_console::csv_export::audit_csv(&[], true)?)?;
            }
            let mut after = 0;
            loop {
                let records = store.audit_after(after, 1000).await?;
                let Some(last) = records.last() else { break };
                after = last.seq;
                match format {
                    ExportFormat::Ndjson => {
                        for r in &records {
                            out.write_all(recovery_console::store::ndjson_line(r).as_bytes())?;
                        }
                    }
                    ExportFormat::Csv => out.write_all(&recovery_console::csv_export::audit_csv(&records, false)?)?,
                }
            }
            out.flush()?;
            Ok(())
        }
    }
}

async fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    Ok(startup::open_store(cfg).await?)
}

/// Runs a built console until Ctrl-C.
async fn serve(app: App) -> anyhow::Result<()> {
    let listener = app.bind().await?;
    println!("Recovery Console at http://{}/ ({}; API under /api/v1/)", listener.local_addr()?, app.describe_ui());
    app.start_background();
    app.serve(listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

async fn sync_once(cfg: Config, output: Output) -> anyhow::Result<()> {
    let cfg = Arc::new(cfg);
    let store = open_store(&cfg).await?;
    let syncer = Syncer::new(store, cfg, None, Arc::new(recovery_console::time::now_ms)).await;
    let reports = syncer.run().await?;
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&reports)?),
        Output::Table => print_table(&reports),
    }
    if !reports.is_empty() && reports.iter().all(|r| r.status != "ok") {
        anyhow::bail!("every account failed to sync");
    }
    Ok(())
}

fn print_table(reports: &[TargetReport]) {
    println!(
        "{:<14} {:<20} {:<16} {:<6} {:>7} {:>9} {:>9} {:>8} {:>8} {:>9} {:>6} {:>8}  error",
        "account",
        "name",
        "region",
        "status",
        "vaults",
        "points",
        "resources",
        "backups",
        "copies",
        "restores",
        "plans",
        "ms"
    );
    for r in reports {
        let c = r.counts.clone().unwrap_or_default();
        let error = match (&r.error_code, &r.error_message) {
            (Some(code), Some(message)) => format!("{code}: {message}"),
            _ => String::new(),
        };
        println!(
            "{:<14} {:<20} {:<16} {:<6} {:>7} {:>9} {:>9} {:>8} {:>8} {:>9} {:>6} {:>8}  {error}",
            r.account_id,
            r.account_name.chars().take(20).collect::<String>(),
            r.region,
            r.status,
            c.vaults,
            c.recovery_points,
            c.protected_resources,
            c.backup_jobs,
            c.copy_jobs,
            c.restore_jobs,
            c.restore_testing_plans,
            r.duration_ms
        );
    }
}

/// The demo's sandbox clock: two minutes per second, so restores and copies finish within a minute.
const DEMO_TIME_SCALE: f64 = 120.0;

/// Days the demo lives through with its console before it opens: AWS validates no
/// restore test by itself, so the history's validated tests are the ones the console's
/// own validator checked during this week.
const WARM_UP_DAYS: i64 = 7;
const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

async fn demo(
    listen: SocketAddr,
    accounts: usize,
    data_dir: PathBuf,
    sync_interval: u64,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let now = chrono::Utc::now().timestamp_millis();
    let options = WorldOptions { seed: 42, accounts, start: now - WARM_UP_DAYS * DAY_MS };
    let sandbox = Sandbox::new(&options, DEMO_TIME_SCALE, Faults::default());
    let sandbox_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let endpoint = format!("http://{}", sandbox_listener.local_addr()?);
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(sandbox_listener, router).await });

    let db = data_dir.join("demo.db");
    for stale in [db.clone(), data_dir.join("demo.db-wal"), data_dir.join("demo.db-shm")] {
        if stale.exists() {
            std::fs::remove_file(&stale).with_context(|| format!("could not remove the old {}", stale.display()))?;
        }
    }
    let url = database_url.unwrap_or_else(|| format!("sqlite://{}?mode=rwc", db.display()));
    let toml = format!(
        "data_dir = {:?}\nlisten = \"{listen}\"\n[database]\nurl = {url:?}\n[sync]\ninterval_secs = {sync_interval}\n{}",
        data_dir.display(),
        sandbox::console_config(&endpoint, &sandbox.accounts())
    );
    let mut cfg = Config::from_toml(&toml)?;
    // Demo mode: browse without signing in, act as a local user (no SSO).
    cfg.auth.demo_users = true;
    cfg.auth.anonymous_viewer = true;
    // The demo serves plain HTTP on loopback; a Secure cookie would not come back.
    cfg.auth.cookie_secure = false;
    // Requests and drills move every second: two minutes of the sandbox's clock.
    cfg.requests.poll_secs = 1;
    let key_id = audit::demo_digests(&mut cfg, &data_dir)?;
    println!("DEMO MODE: the AWS sandbox at {endpoint} stands in for AWS (clock {DEMO_TIME_SCALE}x); no AWS account is used.");
    let credentials = aws_credential_types::Credentials::new("AKIADEMOCONSOLE00001", "demo", None, None, "demo");
    let clock = Arc::clone(&sandbox);
    let app = startup::build(cfg, Deps { credentials: Some(credentials), clock: Some(Arc::new(move || clock.now())) })
        .await?;
    let started = Instant::now();
    let reports = app.console().syncer.run().await?;
    println!("first sync: {} account-regions in {:.1?}", reports.len(), started.elapsed());
    println!(
        "audit digests (key {key_id}; `recovery-console audit keygen` makes yours): {} and s3://{}/audit-digests/",
        data_dir.join("audit-digests").display(),
        sandbox::generate::AUDIT_DIGEST_BUCKET
    );
    let started = Instant::now();
    let validated = warm_up(&app, &sandbox, now).await?;
    println!(
        "the last {WARM_UP_DAYS} days lived through with the console: {validated} restore tests validated or skipped in {:.1?}",
        started.elapsed()
    );
    serve(app).await
}

/// When the warm-up syncs and validates: every day an hour after the demo's test of
/// `tracking` starts (it has completed, in 10 to 40 minutes, and its 4-hour
/// validation window is open), and at the end.
fn warm_up_stops(from: i64, until: i64) -> Vec<i64> {
    let first_day = from - from.rem_euclid(DAY_MS);
    let daily = (0..=WARM_UP_DAYS)
        .map(|d| first_day + d * DAY_MS + (sandbox::generate::TRACKING_TEST_HOUR + 1) * HOUR_MS)
        .filter(|t| *t > from && *t < until);
    daily.chain([until]).collect()
}

/// Moves the sandbox clock to `until`, syncing and validating at each of
/// [`warm_up_stops`], as a console running all along would have for the demo's tests.
async fn warm_up(app: &App, sandbox: &Sandbox, until: i64) -> anyhow::Result<usize> {
    let console = app.console();
    let mut validated = recovery_console::assurance::validator::pass(console).await?;
    for stop in warm_up_stops(sandbox.now(), until) {
        let now = sandbox.now();
        if stop > now {
            sandbox.advance(stop - now);
        }
        console.syncer.run().await?;
        validated += recovery_console::assurance::validator::pass(console).await?;
    }
    Ok(validated)
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ThrottleMode {
    Aws,
    Off,
}

/// The sandbox's request rates from `--throttle` and `--api-rate`.
fn throttle_settings(mode: ThrottleMode, rates: &[String]) -> anyhow::Result<sandbox::Throttle> {
    let mut settings = sandbox::Throttle { backup: mode == ThrottleMode::Aws, ..sandbox::Throttle::default() };
    for entry in rates {
        let (op, rate) = entry
            .split_once('=')
            .ok_or_else(|| anyhow::anyhow!("--api-rate {entry:?}: expected OPERATION=RATE[/BURST]"))?;
        let rate = sandbox::Rate::parse(rate).map_err(|e| anyhow::anyhow!("--api-rate {entry:?}: {e}"))?;
        match op {
            "backup" => settings.backup_rate = rate,
            "organizations" => settings.organizations = rate,
            op => {
                settings.operations.insert(op.to_string(), rate);
            }
        }
    }
    settings.validate().map_err(|e| anyhow::anyhow!("--api-rate: {e}"))?;
    Ok(settings)
}

async fn run_sandbox(args: SandboxArgs) -> anyhow::Result<()> {
    if args.time_scale.is_nan() || args.time_scale <= 0.0 {
        anyhow::bail!("--time-scale must be above 0, got {}", args.time_scale);
    }
    let faults = Faults {
        latency_ms: args.latency_ms,
        throttle_rate: args.throttle_rate,
        error_rate: args.error_rate,
        lost_response_rate: args.lost_response_rate,
        deny_accounts: args.deny_accounts,
        ..Faults::default()
    };
    faults.validate().map_err(|e| anyhow::anyhow!("invalid fault flag: {e}"))?;
    let throttle = throttle_settings(args.throttle, &args.api_rates)?;
    let started = Instant::now();
    let options =
        WorldOptions { seed: args.seed, accounts: args.accounts, start: chrono::Utc::now().timestamp_millis() };
    let sandbox = Sandbox::new(&options, args.time_scale, faults);
    sandbox.set_throttle(throttle);
    let built = started.elapsed();
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("could not listen on {}", args.listen))?;
    let endpoint = format!("http://{}", listener.local_addr()?);
    let accounts = sandbox.accounts();
    print_banner(&endpoint, &accounts, sandbox.recovery_point_count(), built);
    if let Some(path) = &args.write_config {
        std::fs::write(path, sandbox::console_config(&endpoint, &accounts))
            .with_context(|| format!("could not write {}", path.display()))?;
        println!("Console configuration written to {}", path.display());
    }
    println!("Ready.");
    axum::serve(listener, sandbox.router())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

fn print_banner(endpoint: &str, accounts: &[sandbox::AccountSummary], recovery_points: usize, built: Duration) {
    println!("AWS sandbox at {endpoint}");
    println!("  world built in {:.2?}: {} accounts, {recovery_points} recovery points", built, accounts.len());
    println!("  any access key acts as the hub account 999999999999 (the organization's management account)");
    let shown = if accounts.len() > 24 { 12 } else { accounts.len() };
    for a in &accounts[..shown] {
        let membership = if a.in_organization { "" } else { " (outside the organization)" };
        println!("  {} {}{} regions: {}", a.id, a.name, membership, a.regions.join(", "));
        if a.roles.is_empty() && a.id != "999999999999" {
            println!("      no console roles (AssumeRole is denied)");
        }
        for r in &a.roles {
            match &r.external_id {
                Some(ext) => println!("      {} (ExternalId {ext})", r.arn),
                None => println!("      {}", r.arn),
            }
        }
    }
    if shown < accounts.len() {
        println!("  ... and {} more accounts (GET {endpoint}/_sandbox/world lists them all)", accounts.len() - shown);
    }
    println!("Try: AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test aws --endpoint-url {endpoint} --region ap-southeast-2 sts get-caller-identity");
}
