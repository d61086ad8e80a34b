//! Configuration: defaults, then the TOML file, then `RC_` environment variables
//! (`__` nests: `RC_DATABASE__URL`, `RC_SYNC__CONCURRENCY`). Unknown keys are
//! rejected, errors name the key, and secrets never appear in logs or errors.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::domain::{AccountId, Region, RoleArn, VaultArn};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

/// A value that must not be printed: its `Debug` and `Display` are redacted.
#[derive(Clone, Default, Serialize, Deserialize, PartialEq, Eq, Hash)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Folder for the embedded database and other local state.
    pub data_dir: PathBuf,
    /// Address the HTTP server listens on.
    pub listen: SocketAddr,
    /// Folder of the built web UI; default: `frontend/dist`, else `ui/` beside the binary.
    pub ui_dir: Option<PathBuf>,
    /// The bearer token Prometheus sends to scrape `/metrics` (at least 16 characters);
    /// without one `/metrics` is off (404): it lists every account id.
    pub metrics_token: Option<Secret>,
    pub database: DatabaseConfig,
    pub aws: AwsConfig,
    pub sync: SyncConfig,
    pub discovery: DiscoveryConfig,
    pub accounts: Vec<AccountConfig>,
    pub auth: AuthConfig,
    pub requests: RequestsConfig,
    pub assurance: AssuranceConfig,
    pub notifications: NotificationsConfig,
    pub validation: ValidationConfig,
    pub audit: AuditConfig,
}

/// Signed digests of the audit log's head, written outside the database (docs/audit.md).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// The Ed25519 private key that signs the digests, PKCS#8 PEM (`recovery-console audit
    /// keygen` or `openssl genpkey -algorithm ed25519` makes one); unset: no digests.
    pub digest_key_file: Option<PathBuf>,
    /// The public key auditors verify with (PEM), for a machine without the private key;
    /// default: the private key's.
    pub digest_public_key_file: Option<PathBuf>,
    /// Seconds between digests; 0: only on demand.
    pub digest_interval_secs: u64,
    /// The folder digests are written to; default: `audit-digests` in `data_dir`.
    pub digest_dir: Option<PathBuf>,
    /// An S3 bucket with Object Lock that holds a copy of every digest, locked in
    /// COMPLIANCE mode (written with the console's own credentials).
    pub digest_s3_bucket: Option<String>,
    /// The key prefix of the digests in the bucket.
    pub digest_s3_prefix: String,
    /// The bucket's region; default: `aws.region`.
    pub digest_s3_region: Option<String>,
    /// Days each digest object stays locked in the bucket.
    pub digest_retention_days: i64,
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            digest_key_file: None,
            digest_public_key_file: None,
            digest_interval_secs: 3600,
            digest_dir: None,
            digest_s3_bucket: None,
            digest_s3_prefix: "audit-digests/".into(),
            digest_s3_region: None,
            digest_retention_days: 400,
        }
    }
}

/// The console as the restore-test validator: which tests it checks, and how often
/// it looks for completed ones.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationConfig {
    /// Checks per restore testing plan or selection; admins add more in the console,
    /// and theirs win for the same plan and selection.
    #[serde(default)]
    pub checks: Vec<shared::RestoreTestChecks>,
    /// Seconds between the validator's passes over completed restore tests.
    pub poll_secs: u64,
    /// Restore tests validated at once.
    pub concurrency: usize,
}

impl Default for ValidationConfig {
    fn default() -> Self {
        Self { checks: Vec::new(), poll_secs: 60, concurrency: 4 }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsConfig {
    pub webhooks: Vec<WebhookConfig>,
    /// Failures younger than this are news when the console first sees them; older
    /// ones are history (so a first start does not replay months of failures).
    pub recent_days: i64,
}

impl Default for NotificationsConfig {
    fn default() -> Self {
        Self { webhooks: Vec::new(), recent_days: 7 }
    }
}

/// A receiver of notifications: Slack-compatible JSON, signed with the secret.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    pub url: Secret,
    /// HMAC-SHA256 key of the `X-Recovery-Console-Signature` header.
    pub secret: Secret,
    /// Which events: `restore_test_failed`, `job_failed`, `request_pending` (default: all).
    #[serde(default)]
    pub events: Vec<String>,
}

pub const EVENTS: [&str; 4] = ["restore_test_failed", "job_failed", "request_pending", "drill_outside_target"];

/// Targets the console measures against (metrics, alerts).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssuranceConfig {
    /// A resource without a restore test in this many days counts as untested.
    pub untested_days: i64,
    /// RPO target: the newest backup of a resource must be younger than this.
    pub rpo_hours: i64,
    /// RTO target: a restore of a resource must take at most this long.
    pub rto_minutes: i64,
    /// Targets per resource type (`DynamoDB`, `RDS`, ...) that replace the two above;
    /// admins can set more, per type or per resource, in the console.
    #[serde(default)]
    pub targets: Vec<TypeTarget>,
    /// The vaults whose copies count as "in a central vault" for the copy RPO
    /// (vault ARNs); empty: any vault in another account than the resource's.
    #[serde(default)]
    pub central_vault_arns: Vec<String>,
    /// How long a drill keeps the restored resource before cleaning it up (minutes).
    #[serde(default = "default_drill_retention")]
    pub drill_retention_minutes: i64,
    /// A drill schedule runs only while its creator was seen with the operator role
    /// (signed in, or made a schedule) within this many days.
    #[serde(default = "default_schedule_owner_days")]
    pub schedule_owner_days: i64,
}

fn default_drill_retention() -> i64 {
    60
}

fn default_schedule_owner_days() -> i64 {
    30
}

/// The RPO and RTO targets of one resource type.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeTarget {
    pub resource_type: String,
    pub rpo_hours: i64,
    pub rto_minutes: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthConfig {
    /// Open the read API and pages to anonymous read-only use (no action is ever anonymous).
    pub anonymous_viewer: bool,
    /// How long a sign-in lasts, in hours.
    pub session_hours: i64,
    /// Mark the session cookie `Secure` (HTTPS only); turn off only for plain-HTTP tests.
    pub cookie_secure: bool,
    /// The console's public base URL (`https://console.example.com`): the OIDC redirect
    /// URI is this plus `/auth/callback`.
    pub public_url: Option<String>,
    /// SSO through an OpenID Connect provider (authorization code with PKCE).
    pub oidc: Option<OidcConfig>,
    /// Behind an AWS Application Load Balancer that authenticates (`x-amzn-oidc-data`).
    pub alb: Option<AlbConfig>,
    /// IdP group -> console roles (`viewer`, `operator`, `approver`, `auditor`, `admin`).
    pub group_roles: std::collections::BTreeMap<String, Vec<String>>,
    /// Roles of every signed-in person, whatever their groups.
    pub default_roles: Vec<String>,
    /// Sign-ins (`GET /auth/login`) one client address may start per minute; more
    /// are refused with 429 and Retry-After.
    #[serde(default = "default_login_per_minute")]
    pub login_per_minute: u32,
    /// The header whose last entry is the client's address when a proxy that appends
    /// it stands in front (`x-forwarded-for` behind an ALB); unset: the connection's peer.
    #[serde(default)]
    pub client_ip_header: Option<String>,
    /// Demo mode only (set by `recovery-console demo`, never by configuration):
    /// local users without SSO.
    #[serde(skip)]
    pub demo_users: bool,
}

fn default_login_per_minute() -> u32 {
    20
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// The issuer URL; its `/.well-known/openid-configuration` is read at start.
    pub issuer: String,
    pub client_id: String,
    /// For confidential clients (sent as `client_secret_post`); PKCE is used either way.
    pub client_secret: Option<Secret>,
    pub scopes: Vec<String>,
    /// The audience of bearer tokens for automation; default: `client_id`.
    pub api_audience: Option<String>,
    /// Signing algorithms accepted (asymmetric only).
    pub algorithms: Vec<String>,
    /// The claim holding the person's groups.
    pub groups_claim: String,
    /// Minutes a sign-in through the provider holds its roles (at most
    /// `auth.session_hours`): then the next sign-in goes through the provider again,
    /// silently while its own session lives, and takes the groups it gives then.
    pub session_minutes: i64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlbConfig {
    /// The load balancer's ARN: tokens signed by any other are refused.
    pub signer_arn: String,
    /// Where the ALB's public keys are (`{key_url}/{kid}`); default for the ARN's region:
    /// `https://public-keys.auth.elb.REGION.amazonaws.com`.
    pub key_url: Option<String>,
    /// Keys the CSRF tokens of people behind the ALB; replicas behind one ALB share it.
    /// Without it each process draws one at start.
    pub csrf_secret: Option<Secret>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestsConfig {
    /// Approvals a request needs before it runs (each by a different approver, none the requester).
    pub approvals_needed: i64,
    /// Hours after which an undecided request expires.
    pub expiry_hours: i64,
    /// Per account id, the only subjects who may approve its requests (default: any approver).
    pub account_approvers: std::collections::BTreeMap<String, Vec<String>>,
    /// Seconds between the executor's passes over approved and running requests.
    pub poll_secs: u64,
    /// IAM roles a request may name as `iam_role_arn` besides the backup role of the
    /// account its job runs in (`accounts[].backup_role_arn`, else AWS Backup's default
    /// service role); a role must still be in that account.
    #[serde(default)]
    pub allowed_role_arns: Vec<String>,
    /// An approval lapses when no job has started this many hours after it: the
    /// executor then fails the request, to be filed and approved again.
    #[serde(default = "default_approval_valid_hours")]
    pub approval_valid_hours: i64,
}

fn default_approval_valid_hours() -> i64 {
    24
}

pub const ROLES: [&str; 5] = ["viewer", "operator", "approver", "auditor", "admin"];

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://USER:PASSWORD@HOST/DB`; default: a SQLite file in `data_dir`.
    pub url: Option<Secret>,
    /// A file holding the URL (for secrets mounted as files); wins over `url`.
    pub url_file: Option<PathBuf>,
    pub max_connections: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsConfig {
    /// Feeds the SDK's endpoint setting (as `AWS_ENDPOINT_URL` would); unset for real AWS.
    pub endpoint_url: Option<String>,
    /// The hub's region, for STS and Organizations calls.
    pub region: String,
    /// Regions of accounts that list none of their own.
    pub default_regions: Vec<String>,
    /// The `RoleSessionName` of every assumed role (shows in CloudTrail).
    pub session_name: String,
    /// Limit on one AWS call including its retries, in seconds.
    pub call_timeout_secs: u64,
    /// Limit on one attempt of an AWS call, in seconds.
    pub attempt_timeout_secs: u64,
    /// Attempts per call, retries of throttling and 5xx with backoff included.
    pub max_attempts: u32,
    /// `adaptive` (the SDK slows each (account, region) down after throttling and speeds
    /// up again) or `standard` (backoff per call only).
    pub retry_mode: RetryMode,
}

/// How the console retries AWS calls (the SDK's retry modes).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RetryMode {
    Adaptive,
    Standard,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// Seconds between scheduled syncs; 0 turns the schedule off.
    pub interval_secs: u64,
    /// (account, region) pairs read at once, and AWS calls in flight in all (syncs and polls).
    pub concurrency: usize,
    /// `MaxResults` of every list call; unset lets AWS choose.
    pub page_size: Option<i32>,
    /// How far back the first sync reads jobs.
    pub job_lookback_days: i64,
    /// Later syncs re-read jobs created or completed since the last success minus this
    /// (and recovery points created since then).
    pub job_overlap_minutes: i64,
    /// Hours between full reconciliations of an (account, region): every recovery point
    /// and vault policy read again, deletions marked. 0: every sync is full.
    pub full_every_hours: i64,
    /// Minutes between reads of an (account, region)'s restore testing plans by an
    /// incremental sync. They are read sooner when a restore job of the sync's window
    /// came from a plan (it ran), when the console changed one, and on every full read.
    /// 0: every sync.
    pub plans_every_minutes: i64,
    /// Seconds between light polls of jobs and unsettled restore tests; 0 turns it off.
    pub poll_secs: u64,
    /// How long a replica holds an (account, region) it syncs without renewing its lease
    /// (it renews every third of this); another replica takes the target after that.
    pub lease_secs: u64,
    /// The poll lists the jobs of the organization's accounts from the management
    /// account, a few calls per Region (`ByAccountId` `*`), instead of a few per
    /// (account, region). Needs the console's own credentials in the management account
    /// with AWS Backup's cross-account monitoring on; accounts outside the organization,
    /// and every account when the listing fails, are polled one by one.
    #[serde(default)]
    pub organization_jobs: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiscoveryConfig {
    /// List the organization's accounts (Organizations `ListAccounts` from the hub).
    pub enabled: bool,
    /// Role assumed in each discovered account: `{account_id}` is replaced.
    pub role_arn_pattern: String,
    pub external_id: Option<Secret>,
    /// Regions of discovered accounts; default: `aws.default_regions`.
    pub regions: Vec<String>,
    /// Account ids left out (for example the hub itself).
    pub exclude: Vec<String>,
    /// The operator role of discovered accounts (`{account_id}` is replaced); none: they only sync.
    pub operator_role_arn_pattern: Option<String>,
    /// The validator role of discovered accounts (`{account_id}` is replaced); none: their restore tests are not validated.
    #[serde(default)]
    pub validator_role_arn_pattern: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    pub id: String,
    pub name: String,
    pub role_arn: String,
    /// The role the console assumes to start approved restores and copies.
    pub operator_role_arn: Option<String>,
    /// The role the console assumes to validate restore tests: it reads the restored
    /// resources and reports PutRestoreValidationResult (README: the validator's role).
    #[serde(default)]
    pub validator_role_arn: Option<String>,
    /// The role AWS Backup uses for restores and copies in this account; default:
    /// `arn:aws:iam::ID:role/service-role/AWSBackupDefaultServiceRole`.
    pub backup_role_arn: Option<String>,
    pub external_id: Option<Secret>,
    #[serde(default)]
    pub regions: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            ui_dir: None,
            metrics_token: None,
            database: DatabaseConfig { url: None, url_file: None, max_connections: 8 },
            aws: AwsConfig {
                endpoint_url: None,
                region: "us-east-1".into(),
                default_regions: Vec::new(),
                session_name: "recovery-console".into(),
                call_timeout_secs: 60,
                attempt_timeout_secs: 20,
                max_attempts: 6,
                retry_mode: RetryMode::Adaptive,
            },
            sync: SyncConfig {
                interval_secs: 900,
                concurrency: 16,
                page_size: None,
                job_lookback_days: 90,
                job_overlap_minutes: 60,
                full_every_hours: 24,
                plans_every_minutes: 60,
                poll_secs: 60,
                lease_secs: 60,
                organization_jobs: false,
            },
            discovery: DiscoveryConfig {
                enabled: false,
                role_arn_pattern: "arn:aws:iam::{account_id}:role/RecoveryConsoleRead".into(),
                external_id: None,
                regions: Vec::new(),
                exclude: Vec::new(),
                operator_role_arn_pattern: None,
                validator_role_arn_pattern: None,
            },
            accounts: Vec::new(),
            auth: AuthConfig {
                anonymous_viewer: false,
                session_hours: 12,
                cookie_secure: true,
                public_url: None,
                oidc: None,
                alb: None,
                group_roles: Default::default(),
                default_roles: vec!["viewer".into()],
                login_per_minute: default_login_per_minute(),
                client_ip_header: None,
                demo_users: false,
            },
            assurance: AssuranceConfig {
                untested_days: 30,
                rpo_hours: 26,
                rto_minutes: 60,
                targets: Vec::new(),
                central_vault_arns: Vec::new(),
                drill_retention_minutes: default_drill_retention(),
                schedule_owner_days: default_schedule_owner_days(),
            },
            notifications: NotificationsConfig::default(),
            validation: ValidationConfig::default(),
            audit: AuditConfig::default(),
            requests: RequestsConfig {
                approvals_needed: 1,
                expiry_hours: 24,
                account_approvers: Default::default(),
                allowed_role_arns: Vec::new(),
                approval_valid_hours: default_approval_valid_hours(),
                poll_secs: 5,
            },
        }
    }
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            client_id: String::new(),
            client_secret: None,
            scopes: vec!["openid".into(), "profile".into(), "email".into()],
            api_audience: None,
            algorithms: vec!["RS256".into(), "ES256".into()],
            groups_claim: "groups".into(),
            session_minutes: 60,
        }
    }
}

/// A configuration problem, naming the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(String);

fn invalid(key: impl fmt::Display, why: impl fmt::Display) -> ConfigError {
    ConfigError(format!("{key}: {why}"))
}

impl Config {
    /// The role AWS Backup uses in an account: configured, else the default service role,
    /// in the partition of the account's read role (`aws`, `aws-us-gov`, `aws-cn`).
    pub fn backup_role(&self, account: &str) -> String {
        let configured = self.accounts.iter().find(|a| a.id == account);
        if let Some(arn) = configured.and_then(|a| a.backup_role_arn.clone()) {
            return arn;
        }
        let partition = configured.and_then(|a| a.role_arn.split(':').nth(1)).unwrap_or("aws");
        format!("arn:{partition}:iam::{account}:role/service-role/AWSBackupDefaultServiceRole")
    }

    /// Loads defaults, then `path` (if any), then `RC_` variables, and checks the result.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = path {
            if !path.exists() {
                return Err(ConfigError(format!("--config: {} does not exist", path.display())));
            }
            figment = figment.merge(Toml::file(path));
        }
        Self::from_figment(figment.merge(Env::prefixed("RC_").split("__")))
    }

    /// Parses a TOML text over the defaults, without the environment (for tests and tools).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::from_figment(Figment::from(Serialized::defaults(Config::default())).merge(Toml::string(text)))
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        let mut config: Config = figment.extract().map_err(|e| {
            // figment names the key (and where it came from) in its message; only
            // the first error is shown, as values (possibly secret) are not echoed.
            let key = e.path.join(".");
            let kind = e.kind.to_string();
            ConfigError(if key.is_empty() { kind } else { format!("{key}: {kind}") })
        })?;
        if let Some(file) = &config.database.url_file {
            let url = std::fs::read_to_string(file)
                .map_err(|e| invalid("database.url_file", format!("cannot read {}: {e}", file.display())))?;
            config.database.url = Some(Secret::new(url.trim()));
        }
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if let Some(url) = &self.database.url {
            let u = url.expose();
            if !(u.starts_with("sqlite:") || u.starts_with("postgres://") || u.starts_with("postgresql://")) {
                return Err(invalid("database.url", "must start with sqlite: or postgres://"));
            }
        }
        if self.database.max_connections == 0 {
            return Err(invalid("database.max_connections", "must be at least 1"));
        }
        if self.metrics_token.as_ref().is_some_and(|t| t.expose().trim().len() < 16) {
            return Err(invalid("metrics_token", "must be at least 16 characters (a random secret)"));
        }
        if let Some(endpoint) = &self.aws.endpoint_url {
            if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                return Err(invalid("aws.endpoint_url", format!("{endpoint:?} is not an http(s) URL")));
            }
        }
        // STS's RoleSessionName: 2 to 64 characters of [\w+=,.@-] (AssumeRole API reference).
        let name = &self.aws.session_name;
        let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
        if !(2..=64).contains(&name.len()) || !name.chars().all(allowed) {
            return Err(invalid(
                "aws.session_name",
                format!("{name:?} must be 2 to 64 letters, digits or _+=,.@- (STS refuses any other)"),
            ));
        }
        if !Region::is(&self.aws.region) {
            return Err(invalid("aws.region", format!("{:?} is not an AWS region", self.aws.region)));
        }
        for (i, r) in self.aws.default_regions.iter().enumerate() {
            if !Region::is(r) {
                return Err(invalid(format!("aws.default_regions[{i}]"), format!("{r:?} is not an AWS region")));
            }
        }
        if self.aws.max_attempts == 0 || self.aws.call_timeout_secs == 0 || self.aws.attempt_timeout_secs == 0 {
            return Err(invalid("aws", "max_attempts, call_timeout_secs and attempt_timeout_secs must be at least 1"));
        }
        if self.sync.concurrency == 0 {
            return Err(invalid("sync.concurrency", "must be at least 1"));
        }
        if self.sync.lease_secs < 3 {
            return Err(invalid("sync.lease_secs", "must be at least 3"));
        }
        if let Some(size) = self.sync.page_size {
            if !(1..=1000).contains(&size) {
                return Err(invalid("sync.page_size", "must be from 1 to 1000"));
            }
        }
        if self.sync.job_lookback_days < 1 || self.sync.job_overlap_minutes < 0 {
            return Err(invalid("sync", "job_lookback_days must be at least 1 and job_overlap_minutes not negative"));
        }
        if self.sync.full_every_hours < 0 {
            return Err(invalid("sync.full_every_hours", "must not be negative (0: every sync is full)"));
        }
        if self.sync.plans_every_minutes < 0 {
            return Err(invalid("sync.plans_every_minutes", "must not be negative (0: every sync reads the plans)"));
        }
        if self.sync.poll_secs != 0 && !(30..=300).contains(&self.sync.poll_secs) {
            return Err(invalid("sync.poll_secs", "must be 0 (off) or from 30 to 300"));
        }
        if self.discovery.enabled && !self.discovery.role_arn_pattern.contains("{account_id}") {
            return Err(invalid("discovery.role_arn_pattern", "must contain {account_id}"));
        }
        for (i, r) in self.discovery.regions.iter().enumerate() {
            if !Region::is(r) {
                return Err(invalid(format!("discovery.regions[{i}]"), format!("{r:?} is not an AWS region")));
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (i, a) in self.accounts.iter().enumerate() {
            let key = |field: &str| format!("accounts[{i}].{field}");
            if !AccountId::is(&a.id) {
                return Err(invalid(key("id"), format!("{:?} is not a 12-digit AWS account id", a.id)));
            }
            if !seen.insert(a.id.as_str()) {
                return Err(invalid(key("id"), format!("account {} is listed twice", a.id)));
            }
            if a.name.trim().is_empty() {
                return Err(invalid(key("name"), "must not be empty"));
            }
            if !RoleArn::is(&a.role_arn) {
                return Err(invalid(key("role_arn"), format!("{:?} is not an IAM role ARN", a.role_arn)));
            }
            let roles = [
                ("operator_role_arn", &a.operator_role_arn),
                ("backup_role_arn", &a.backup_role_arn),
                ("validator_role_arn", &a.validator_role_arn),
            ];
            for (field, role) in roles {
                if let Some(r) = role.as_ref().filter(|r| !RoleArn::is(r)) {
                    return Err(invalid(key(field), format!("{r:?} is not an IAM role ARN")));
                }
            }
            for (j, r) in a.regions.iter().enumerate() {
                if !Region::is(r) {
                    return Err(invalid(format!("accounts[{i}].regions[{j}]"), format!("{r:?} is not an AWS region")));
                }
            }
            if a.regions.is_empty() && self.aws.default_regions.is_empty() {
                return Err(invalid(key("regions"), "no regions: list some here or in aws.default_regions"));
            }
        }
        self.validate_auth()
    }

    fn validate_auth(&self) -> Result<(), ConfigError> {
        let auth = &self.auth;
        if auth.session_hours < 1 {
            return Err(invalid("auth.session_hours", "must be at least 1"));
        }
        let check_roles = |key: String, roles: &[String]| match roles.iter().find(|r| !ROLES.contains(&r.as_str())) {
            Some(r) => Err(invalid(key, format!("unknown role {r:?}; one of {}", ROLES.join(", ")))),
            None => Ok(()),
        };
        check_roles("auth.default_roles".into(), &auth.default_roles)?;
        for (group, roles) in &auth.group_roles {
            check_roles(format!("auth.group_roles.{group}"), roles)?;
        }
        if let Some(url) = &auth.public_url {
            if !(url.starts_with("https://") || url.starts_with("http://")) || url.ends_with('/') {
                return Err(invalid("auth.public_url", format!("{url:?} must be an http(s) URL without a trailing /")));
            }
        }
        if let Some(oidc) = &auth.oidc {
            if !(oidc.issuer.starts_with("https://") || oidc.issuer.starts_with("http://")) {
                return Err(invalid("auth.oidc.issuer", format!("{:?} is not an http(s) URL", oidc.issuer)));
            }
            if oidc.client_id.is_empty() {
                return Err(invalid("auth.oidc.client_id", "must be set"));
            }
            if auth.public_url.is_none() {
                return Err(invalid(
                    "auth.public_url",
                    "must be set with auth.oidc (the redirect URI is built from it)",
                ));
            }
            const ASYMMETRIC: [&str; 8] = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384"];
            if oidc.session_minutes < 5 {
                return Err(invalid("auth.oidc.session_minutes", "must be at least 5"));
            }
            if oidc.algorithms.is_empty() {
                return Err(invalid("auth.oidc.algorithms", "must list at least one algorithm"));
            }
            if let Some(a) = oidc.algorithms.iter().find(|a| !ASYMMETRIC.contains(&a.as_str())) {
                return Err(invalid(
                    "auth.oidc.algorithms",
                    format!("{a:?} is not allowed; asymmetric algorithms only: {}", ASYMMETRIC.join(", ")),
                ));
            }
        }
        if let Some(alb) = &auth.alb {
            if !alb.signer_arn.starts_with("arn:aws") || !alb.signer_arn.contains(":loadbalancer/") {
                return Err(invalid("auth.alb.signer_arn", format!("{:?} is not a load balancer ARN", alb.signer_arn)));
            }
        }
        let a = &self.assurance;
        if a.untested_days < 1 || a.rpo_hours < 1 || a.rto_minutes < 1 {
            return Err(invalid("assurance", "untested_days, rpo_hours and rto_minutes must be at least 1"));
        }
        for (i, t) in self.assurance.targets.iter().enumerate() {
            if t.rpo_hours < 1 || t.rto_minutes < 1 || t.resource_type.trim().is_empty() {
                return Err(invalid(
                    format!("assurance.targets[{i}]"),
                    "needs a resource_type, and rpo_hours and rto_minutes of at least 1",
                ));
            }
        }
        if let Some(v) = self.assurance.central_vault_arns.iter().find(|v| VaultArn::parse(v).is_err()) {
            return Err(invalid("assurance.central_vault_arns", format!("{v:?} is not a backup vault ARN")));
        }
        if !(1..=10_080).contains(&self.assurance.drill_retention_minutes) {
            return Err(invalid("assurance.drill_retention_minutes", "from 1 to 10080 (a week)"));
        }
        if !(1..=366).contains(&self.assurance.schedule_owner_days) {
            return Err(invalid("assurance.schedule_owner_days", "from 1 to 366 (a year)"));
        }
        if self.notifications.recent_days < 1 {
            return Err(invalid("notifications.recent_days", "must be at least 1"));
        }
        for (i, w) in self.notifications.webhooks.iter().enumerate() {
            let key = |f: &str| format!("notifications.webhooks[{i}].{f}");
            let url = w.url.expose();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(invalid(key("url"), "must be an http(s) URL"));
            }
            if w.secret.expose().len() < 16 {
                return Err(invalid(key("secret"), "must be at least 16 characters"));
            }
            if let Some(e) = w.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
                return Err(invalid(key("events"), format!("unknown event {e:?}; one of {}", EVENTS.join(", "))));
            }
        }
        self.validate_checks()?;
        self.validate_audit()?;
        let r = &self.requests;
        if r.approvals_needed < 1 || r.expiry_hours < 1 || r.poll_secs < 1 {
            return Err(invalid("requests", "approvals_needed, expiry_hours and poll_secs must be at least 1"));
        }
        if !(1..=8_760).contains(&r.approval_valid_hours) {
            return Err(invalid("requests.approval_valid_hours", "from 1 to 8760 (a year)"));
        }
        if let Some((i, role)) = r.allowed_role_arns.iter().enumerate().find(|(_, a)| !RoleArn::is(a)) {
            return Err(invalid(
                format!("requests.allowed_role_arns[{i}]"),
                format!("{role:?} is not an IAM role ARN"),
            ));
        }
        for account in r.account_approvers.keys() {
            if !AccountId::is(account) {
                return Err(invalid(
                    format!("requests.account_approvers.{account}"),
                    "is not a 12-digit AWS account id",
                ));
            }
        }
        Ok(())
    }

    fn validate_checks(&self) -> Result<(), ConfigError> {
        let v = &self.validation;
        if v.poll_secs < 1 || v.concurrency < 1 {
            return Err(invalid("validation", "poll_secs and concurrency must be at least 1"));
        }
        if let Some(p) = self.discovery.validator_role_arn_pattern.as_ref().filter(|p| !p.contains("{account_id}")) {
            return Err(invalid("discovery.validator_role_arn_pattern", format!("{p:?} must contain {{account_id}}")));
        }
        let mut scopes = std::collections::HashSet::new();
        for (i, c) in v.checks.iter().enumerate() {
            crate::domain::checks::check(c).map_err(|why| invalid(format!("validation.checks[{i}]"), why))?;
            if !scopes.insert((c.plan_arn.as_str(), c.selection_name.as_deref())) {
                return Err(invalid(
                    format!("validation.checks[{i}]"),
                    "a second set of checks for the same plan and selection",
                ));
            }
        }
        Ok(())
    }

    fn validate_audit(&self) -> Result<(), ConfigError> {
        let a = &self.audit;
        for (key, file) in
            [("audit.digest_key_file", &a.digest_key_file), ("audit.digest_public_key_file", &a.digest_public_key_file)]
        {
            if let Some(file) = file {
                std::fs::metadata(file).map_err(|e| invalid(key, format!("cannot read {}: {e}", file.display())))?;
            }
        }
        if let Some(bucket) = &a.digest_s3_bucket {
            // S3 bucket naming rules (S3 User Guide, "General purpose bucket naming rules").
            let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.';
            if !(3..=63).contains(&bucket.len()) || !bucket.chars().all(allowed) {
                return Err(invalid("audit.digest_s3_bucket", format!("{bucket:?} is not an S3 bucket name")));
            }
            if a.digest_key_file.is_none() {
                return Err(invalid(
                    "audit.digest_s3_bucket",
                    "needs audit.digest_key_file (the key that signs the digests)",
                ));
            }
        }
        if let Some(r) = a.digest_s3_region.as_ref().filter(|r| !Region::is(r)) {
            return Err(invalid("audit.digest_s3_region", format!("{r:?} is not an AWS region")));
        }
        if !(1..=36_500).contains(&a.digest_retention_days) {
            return Err(invalid("audit.digest_retention_days", "from 1 to 36500"));
        }
        Ok(())
    }

    /// The folder audit digests are written to.
    pub fn digest_dir(&self) -> PathBuf {
        self.audit.digest_dir.clone().unwrap_or_else(|| self.data_dir.join("audit-digests"))
    }

    /// The database URL: the configured one, or a SQLite file in the data folder.
    pub fn database_url(&self) -> Secret {
        self.database.url.clone().unwrap_or_else(|| {
            Secret::new(format!("sqlite://{}?mode=rwc", self.data_dir.join("recovery-console.db").display()))
        })
    }

    /// The regions of an account: its own, or the defaults.
    pub fn regions_of<'a>(&'a self, account: &'a AccountConfig) -> &'a [String] {
        if account.regions.is_empty() {
            &self.aws.default_regions
        } else {
            &account.regions
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        Config::from_toml(text).err().map(|e| e.to_string()).unwrap_or_default()
    }

    #[test]
    fn the_sandbox_config_loads() {
        let c = Config::from_toml(
            r#"
            [aws]
            endpoint_url = "http://127.0.0.1:4566"
            region = "ap-southeast-2"
            [[accounts]]
            id = "111111111111"
            name = "workload_a"
            role_arn = "arn:aws:iam::111111111111:role/RecoveryConsoleRead"
            external_id = "s3cret"
            regions = ["ap-southeast-2"]
            "#,
        );
        let c = c.ok();
        assert_eq!(c.as_ref().map(|c| c.accounts.len()), Some(1));
        let printed = format!("{c:?}");
        assert!(!printed.contains("s3cret"), "secrets are redacted: {printed}");
    }

    #[test]
    fn errors_name_the_key() {
        assert!(err("listen = \"nowhere\"").contains("listen"));
        assert!(err("[sync]\nconcurrency = 0").contains("sync.concurrency"));
        assert!(err("[sync]\nconcurency = 3").contains("concurency"));
        assert!(err("[sync]\npoll_secs = 10").contains("sync.poll_secs"));
        assert!(err("[sync]\nfull_every_hours = -1").contains("sync.full_every_hours"));
        assert!(err("[sync]\nplans_every_minutes = -1").contains("sync.plans_every_minutes"));
        assert!(err("[aws]\nregion = \"mars\"").contains("aws.region"));
        let bad_role =
            "[aws]\ndefault_regions=[\"us-east-1\"]\n[[accounts]]\nid=\"111111111111\"\nname=\"a\"\nrole_arn=\"role\"";
        assert!(err(bad_role).contains("accounts[0].role_arn"), "{}", err(bad_role));
        let bad_id = "[[accounts]]\nid=\"1\"\nname=\"a\"\nrole_arn=\"arn:aws:iam::111111111111:role/r\"\nregions=[\"us-east-1\"]";
        assert!(err(bad_id).contains("accounts[0].id"));
        let no_regions = "[[accounts]]\nid=\"111111111111\"\nname=\"a\"\nrole_arn=\"arn:aws:iam::111111111111:role/r\"";
        assert!(err(no_regions).contains("accounts[0].regions"));
        let secret_url = "[database]\nurl = \"mysql://user:hunter2@db\"";
        assert!(err(secret_url).contains("database.url") && !err(secret_url).contains("hunter2"));
    }

    #[test]
    fn regions_and_arns_are_checked() {
        assert!(
            Region::is("ap-southeast-2")
                && Region::is("us-gov-west-1")
                && !Region::is("us-east")
                && !Region::is("EU-1-2")
        );
        assert!(RoleArn::is("arn:aws:iam::111111111111:role/path/Name") && !RoleArn::is("arn:aws:iam::1:role/x"));
    }

    #[test]
    fn audit_digest_settings_are_checked() {
        let key = std::env::temp_dir().join(format!("rc-config-key-{}.pem", std::process::id()));
        std::fs::write(&key, "not read here").unwrap_or_default();
        let with = |extra: &str| err(&format!("[audit]\ndigest_key_file = {key:?}\n{extra}"));
        assert_eq!(with(""), "");
        assert!(with("digest_s3_bucket = \"Not_A_Bucket\"").contains("audit.digest_s3_bucket"));
        assert!(with("digest_s3_region = \"moon-1\"").contains("audit.digest_s3_region"));
        assert!(with("digest_retention_days = 0").contains("audit.digest_retention_days"));
        assert!(err("[audit]\ndigest_s3_bucket = \"rc-digests\"").contains("needs audit.digest_key_file"));
        assert!(
            err("[audit]\ndigest_key_file = \"/nonexistent/key.pem\"").contains("audit.digest_key_file: cannot read")
        );
        let _ = std::fs::remove_file(&key);
    }

    /// Fidelity review item 14: STS refuses a RoleSessionName outside 2-64 characters of
    /// [\w+=,.@-] (AssumeRole API reference), which would break every AssumeRole; and the
    /// default backup role follows the account's partition (GovCloud, China).
    #[test]
    fn session_names_and_partitions_follow_aws() {
        let with = |name: &str| Config::from_toml(&format!("[aws]\nsession_name = {name:?}"));
        assert!(with("recovery-console@ops.example.com").is_ok());
        for bad in ["recovery console", "x", &"a".repeat(65), "rc/1"] {
            let e = with(bad).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(e.contains("aws.session_name: "), "{bad:?}: {e}");
        }
        let gov = Config::from_toml(
            "[[accounts]]\nid = \"111111111111\"\nname = \"a\"\nregions = [\"us-gov-west-1\"]\n\
             role_arn = \"arn:aws-us-gov:iam::111111111111:role/RecoveryConsoleRead\"",
        );
        let gov = gov.map_err(|e| e.to_string());
        assert_eq!(
            gov.map(|c| c.backup_role("111111111111")),
            Ok("arn:aws-us-gov:iam::111111111111:role/service-role/AWSBackupDefaultServiceRole".to_string())
        );
    }
}
