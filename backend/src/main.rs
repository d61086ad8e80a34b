//! `recovery-console`: the Recovery Console server and its tools.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use recovery_console::sandbox::{self, Faults, Sandbox, WorldOptions};

#[derive(Parser)]
#[command(
    name = "recovery-console",
    version,
    about = "Recovery Console: provably recoverable AWS backups across an AWS Organization"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the AWS sandbox alone: an emulator of STS, Organizations and AWS Backup serving the demo world.
    Sandbox(SandboxArgs),
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
    /// Write a console configuration file pointing at this sandbox.
    #[arg(long, value_name = "PATH")]
    write_config: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match Cli::parse().command {
        Command::Sandbox(args) => run_sandbox(args).await,
    }
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
    let started = Instant::now();
    let options =
        WorldOptions { seed: args.seed, accounts: args.accounts, start: chrono::Utc::now().timestamp_millis() };
    let sandbox = Sandbox::new(&options, args.time_scale, faults);
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

fn print_banner(
    endpoint: &str,
    accounts: &[sandbox::AccountSummary],
    recovery_points: usize,
    built: std::time::Duration,
) {
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
