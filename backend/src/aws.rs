//! AWS access: base credentials from the SDK's default chain, one STS assume-role
//! provider per account, and one long-lived Backup client per (account, region),
//! so credentials are cached and refreshed rather than fetched per call. Retries
//! with backoff (throttling, 5xx, timeouts) and time limits on every call come
//! from the SDK's own configuration. Each (account, region) has its own retry
//! partition: in the SDK's adaptive mode its Backup calls share one client-side rate
//! limiter that slows down after throttling and speeds up again, and one account's
//! throttling never spends another's retry quota. Throttled calls are counted per
//! (account, region) ([`ThrottledCalls`]).

use std::collections::HashMap;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_sdk_backup::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use tokio::sync::Mutex;

use aws_sdk_backup::config::interceptors::AfterDeserializationInterceptorContextRef;
use aws_sdk_backup::config::retry::RetryPartition;
use aws_sdk_backup::config::{ConfigBag, Intercept, RuntimeComponents};

use crate::config::{AwsConfig, RetryMode, Secret};

/// Who to be in an account: the role and its external id.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleTarget {
    pub account_id: String,
    pub role_arn: String,
    pub external_id: Option<Secret>,
}

/// Accounts whose credentials stay cached at once (far above any organization's size).
const MAX_CACHED_ROLES: usize = 20_000;

/// One HTTPS client, so one pool of connections, for every AWS client of the console:
/// the SDK's default, built once. Left to the SDK, every client (a Backup and a tagging
/// client per account and Region, an STS client per role) builds its own, with its own
/// TLS configuration and connection pool, and every idle connection keeps its read
/// buffer: a 500-account sync held the buffers of 4,890 connections at its peak
/// (396 MB, measured with heaptrack).
fn shared_http_client() -> aws_sdk_backup::config::SharedHttpClient {
    use aws_smithy_http_client::{proxy::ProxyConfig, tls, Builder, ConnectorBuilder};
    let client = Builder::new().build_with_connector_fn(|settings, components| {
        let mut connector =
            ConnectorBuilder::default().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        // HTTPS_PROXY and NO_PROXY, as the SDK's default client reads them.
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    });
    aws_sdk_backup::config::SharedHttpClient::new(ConnectorsOnly(client))
}

/// An HTTP client that only hands out its connectors, without the check the SDK runs
/// whenever a client is built (`validate_base_client_config`). The SDK's default
/// client answers that check by building a whole connector, loading and parsing the
/// system's root certificates, and throwing it away: once for every Backup, tagging and
/// STS client the console builds, where the connectors it actually uses are built once
/// per timeout setting and cached (callgrind of a first sync of 29 targets: 82 clients,
/// so 82 connectors, 2.3 % of the console's instructions; docs/benchmarks.md, session
/// 25). The certificates are still loaded, with the first connector, on the first call.
#[derive(Debug)]
struct ConnectorsOnly<C>(C);

impl<C: aws_sdk_backup::config::HttpClient> aws_sdk_backup::config::HttpClient for ConnectorsOnly<C> {
    fn http_connector(
        &self,
        settings: &aws_smithy_runtime_api::client::http::HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> aws_smithy_runtime_api::client::http::SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn connector_metadata(&self) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

pub struct AwsAccess {
    base: SdkConfig,
    /// A custom endpoint (the sandbox) takes S3 buckets in the path, not the host name.
    path_style: bool,
    session_name: String,
    providers: Mutex<HashMap<RoleTarget, SharedCredentialsProvider>>,
    clients: Mutex<HashMap<(RoleTarget, String), aws_sdk_backup::Client>>,
    throttled: Arc<ThrottledCalls>,
}

impl AwsAccess {
    /// `credentials` replaces the default chain; only the demo (and tests) pass it.
    pub async fn new(cfg: &AwsConfig, credentials: Option<aws_credential_types::Credentials>) -> Self {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(cfg.region.clone()))
            // One cache partition per assumed role: the SDK's default of 64 would
            // evict credentials in a sync of hundreds of accounts and call
            // AssumeRole again for every other request.
            .identity_cache(
                aws_config::identity::IdentityCache::lazy()
                    .max_partitions(MAX_CACHED_ROLES)
                    .load_timeout(Duration::from_secs(cfg.call_timeout_secs))
                    .buffer_time(Duration::from_secs(300))
                    .build(),
            )
            .retry_config(
                match cfg.retry_mode {
                    RetryMode::Adaptive => RetryConfig::adaptive(),
                    RetryMode::Standard => RetryConfig::standard(),
                }
                .with_max_attempts(cfg.max_attempts)
                .with_initial_backoff(Duration::from_millis(200))
                .with_max_backoff(Duration::from_secs(20)),
            )
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(cfg.attempt_timeout_secs))
                    .operation_timeout(Duration::from_secs(cfg.call_timeout_secs))
                    .build(),
            );
        if let Some(endpoint) = &cfg.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        loader = loader.http_client(shared_http_client());
        if let Some(credentials) = credentials {
            loader = loader.credentials_provider(credentials);
        }
        Self {
            base: loader.load().await,
            path_style: cfg.endpoint_url.is_some(),
            session_name: cfg.session_name.clone(),
            providers: Mutex::new(HashMap::new()),
            clients: Mutex::new(HashMap::new()),
            throttled: Arc::new(ThrottledCalls::default()),
        }
    }

    /// Backup calls AWS throttled, per (account, region), since start.
    pub fn throttled(&self) -> &ThrottledCalls {
        &self.throttled
    }

    /// A Backup client of an (account, region) over `config`: in the (account, region)'s
    /// retry partition, counting its throttled calls.
    fn backup_client(&self, config: &SdkConfig, account_id: &str, region: &str) -> aws_sdk_backup::Client {
        let config = aws_sdk_backup::config::Builder::from(config)
            .retry_partition(RetryPartition::new(format!("backup-{account_id}-{region}")))
            .interceptor(CountThrottled {
                key: (account_id.to_string(), region.to_string()),
                counts: Arc::clone(&self.throttled),
            })
            .build();
        aws_sdk_backup::Client::from_conf(config)
    }

    /// The long-lived Backup client of an (account, region).
    pub async fn backup(&self, target: &RoleTarget, region: &str) -> aws_sdk_backup::Client {
        let key = (target.clone(), region.to_string());
        if let Some(client) = self.clients.lock().await.get(&key) {
            return client.clone();
        }
        let client = self.backup_client(&self.role_config(target, region).await, &target.account_id, region);
        self.clients.lock().await.entry(key).or_insert(client).clone()
    }

    async fn provider(&self, target: &RoleTarget) -> SharedCredentialsProvider {
        if let Some(p) = self.providers.lock().await.get(target) {
            return p.clone();
        }
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(target.role_arn.clone())
            .session_name(self.session_name.clone())
            .configure(&self.base);
        if let Some(id) = &target.external_id {
            builder = builder.external_id(id.expose());
        }
        let provider = SharedCredentialsProvider::new(builder.build().await);
        self.providers.lock().await.entry(target.clone()).or_insert(provider).clone()
    }

    /// A Backup client that acts for one request: its own assume-role provider whose
    /// `RoleSessionName` names the requester and the request (CloudTrail shows both).
    pub async fn acting(&self, target: &RoleTarget, region: &str, session_name: &str) -> aws_sdk_backup::Client {
        let mut builder = aws_config::sts::AssumeRoleProvider::builder(target.role_arn.clone())
            .session_name(session_name)
            .configure(&self.base);
        if let Some(id) = &target.external_id {
            builder = builder.external_id(id.expose());
        }
        let provider = SharedCredentialsProvider::new(builder.build().await);
        let config =
            self.base.to_builder().credentials_provider(provider).region(Region::new(region.to_string())).build();
        self.backup_client(&config, &target.account_id, region)
    }

    /// The SDK configuration of an (account, region) through `target`'s role, over its
    /// cached credentials.
    async fn role_config(&self, target: &RoleTarget, region: &str) -> SdkConfig {
        let provider = self.provider(target).await;
        self.base.to_builder().credentials_provider(provider).region(Region::new(region.to_string())).build()
    }

    /// A Cloud Control client in an (account, region), for reading and deleting the
    /// resources restores created (drills, the validator's RDS checks). Built per use.
    pub async fn cloudcontrol(&self, target: &RoleTarget, region: &str) -> aws_sdk_cloudcontrol::Client {
        aws_sdk_cloudcontrol::Client::new(&self.role_config(target, region).await)
    }

    /// A Resource Groups Tagging API client in an (account, region): the tags of protected
    /// resources (AWS Backup's `ListTags` reads only its own recovery points, plans and vaults).
    pub async fn tagging(&self, target: &RoleTarget, region: &str) -> aws_sdk_resourcegroupstagging::Client {
        aws_sdk_resourcegroupstagging::Client::new(&self.role_config(target, region).await)
    }

    /// A DynamoDB client in an (account, region), for reading tables restore tests
    /// restored (the validator).
    pub async fn dynamodb(&self, target: &RoleTarget, region: &str) -> aws_sdk_dynamodb::Client {
        aws_sdk_dynamodb::Client::new(&self.role_config(target, region).await)
    }

    /// An S3 client in an (account, region), for emptying the buckets drills restored
    /// (DeleteBucket, and so Cloud Control, refuses a bucket that holds objects).
    pub async fn s3(&self, target: &RoleTarget, region: &str) -> aws_sdk_s3::Client {
        let config = aws_sdk_s3::config::Builder::from(&self.role_config(target, region).await)
            .force_path_style(self.path_style)
            .build();
        aws_sdk_s3::Client::from_conf(config)
    }

    /// A KMS client in an (account, region): whether a recovery point's key is AWS
    /// managed, and whether the key policy lets this account use another's key.
    pub async fn kms(&self, target: &RoleTarget, region: &str) -> aws_sdk_kms::Client {
        aws_sdk_kms::Client::new(&self.role_config(target, region).await)
    }

    /// A Backup client with the hub's own credentials (organization-wide Audit
    /// Manager frameworks live in the management account).
    pub fn hub_backup(&self, region: &str) -> aws_sdk_backup::Client {
        let config = self.base.to_builder().region(Region::new(region.to_string())).build();
        aws_sdk_backup::Client::new(&config)
    }

    /// A Resource Groups Tagging client with the hub's own credentials (the shape an
    /// organization-wide job read shares with a target's read; it reads no tags).
    pub fn hub_tagging(&self, region: &str) -> aws_sdk_resourcegroupstagging::Client {
        let config = self.base.to_builder().region(Region::new(region.to_string())).build();
        aws_sdk_resourcegroupstagging::Client::new(&config)
    }

    /// An S3 client with the hub's own credentials (the bucket of the audit digests).
    pub fn hub_s3(&self, region: &str) -> aws_sdk_s3::Client {
        let config = self.base.to_builder().region(Region::new(region.to_string())).build();
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&config).force_path_style(self.path_style).build(),
        )
    }

    /// The hub's own account id (STS GetCallerIdentity).
    pub async fn hub_account(&self) -> Option<String> {
        let out = aws_sdk_sts::Client::new(&self.base).get_caller_identity().send().await.ok()?;
        out.account().map(str::to_string)
    }

    /// An Organizations client with the hub's own credentials.
    pub fn organizations(&self) -> aws_sdk_organizations::Client {
        aws_sdk_organizations::Client::new(&self.base)
    }
}

/// Backup calls AWS throttled, per (account, region): every attempt answered with a
/// throttling error counts, the ones the SDK then retried included.
#[derive(Debug, Default)]
pub struct ThrottledCalls(std::sync::Mutex<HashMap<(String, String), u64>>);

impl ThrottledCalls {
    /// Throttled calls of an (account, region) since start.
    pub fn of(&self, account_id: &str, region: &str) -> u64 {
        let counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        counts.get(&(account_id.to_string(), region.to_string())).copied().unwrap_or(0)
    }

    fn add(&self, key: &(String, String)) {
        let mut counts = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *counts.entry(key.clone()).or_insert(0) += 1;
    }
}

/// The error codes the SDK classifies as throttling (aws-runtime's `THROTTLING_ERRORS`).
const THROTTLING_CODES: [&str; 8] = [
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
];

/// Whether an HTTP answer is a throttling error: HTTP 429, or an error whose code (the
/// `x-amzn-ErrorType` header, else the body's `__type` or `code`, as restJson1 and
/// awsJson carry it) is one of [`THROTTLING_CODES`].
fn is_throttling(status: u16, error_type: Option<&str>, body: Option<&[u8]>) -> bool {
    if status == 429 {
        return true;
    }
    if status < 400 {
        return false;
    }
    let from_body = || {
        let value: serde_json::Value = serde_json::from_slice(body?).ok()?;
        ["__type", "code", "Code"].iter().find_map(|k| value.get(k)?.as_str().map(str::to_string))
    };
    let Some(code) = error_type.map(str::to_string).or_else(from_body) else { return false };
    // `aws.protocoltests#ThrottlingException:http://...` names the same code.
    let code = code.split(':').next().unwrap_or_default();
    let code = code.rsplit('#').next().unwrap_or_default();
    THROTTLING_CODES.contains(&code)
}

/// Counts an (account, region)'s throttled attempts (each attempt is deserialized once).
#[derive(Debug)]
struct CountThrottled {
    key: (String, String),
    counts: Arc<ThrottledCalls>,
}

impl Intercept for CountThrottled {
    fn name(&self) -> &'static str {
        "CountThrottled"
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), aws_sdk_backup::error::BoxError> {
        let response = context.response();
        let error_type = response.headers().get("x-amzn-errortype");
        if is_throttling(response.status().as_u16(), error_type, response.body().bytes()) {
            self.counts.add(&self.key);
        }
        Ok(())
    }
}

/// An AWS failure as the console reports it: the AWS error code and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AwsFailure {
    pub code: String,
    pub message: String,
}

impl std::fmt::Display for AwsFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// The answer of a Get call, `None` when AWS answers ResourceNotFoundException
/// (the thing does not exist), the failure otherwise.
pub fn found<T, E>(result: Result<T, SdkError<E>>) -> Result<Option<T>, AwsFailure>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(None),
        Err(e) => Err(failure(&e)),
    }
}

/// Names an SDK error by its AWS code, in a line a person can act on. A failure
/// to assume the role surfaces as a credentials error around the STS error, so the
/// cause chain is searched for it; the whole chain goes to the log at debug level.
pub fn failure<E>(err: &SdkError<E>) -> AwsFailure
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    if let Some(code) = err.code() {
        return AwsFailure { code: code.to_string(), message: one_line(err.message().unwrap_or_default()) };
    }
    tracing::debug!(error = %DisplayErrorContext(err), "AWS call failed");
    for e in causes(err) {
        if let Some(sts) =
            e.downcast_ref::<aws_sdk_sts::error::SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>>()
        {
            if let Some(code) = sts.code() {
                return AwsFailure { code: code.to_string(), message: one_line(sts.message().unwrap_or_default()) };
            }
        }
        if let Some(CredentialsError::CredentialsNotLoaded(_)) = e.downcast_ref::<CredentialsError>() {
            return AwsFailure { code: "NoCredentials".into(), message: NO_CREDENTIALS.into() };
        }
    }
    // A connection failure of the STS call inside the credentials provider reaches
    // here as a dispatch failure that is not itself I/O: its cause is.
    let unreachable = causes(err).any(|e| e.downcast_ref::<std::io::Error>().is_some());
    let (code, message) = match err {
        SdkError::TimeoutError(_) => ("Timeout", "AWS did not answer in time (aws.call_timeout_secs)".to_string()),
        SdkError::DispatchFailure(d) if d.is_timeout() => {
            ("Timeout", format!("AWS did not answer in time: {}", root_cause(err)))
        }
        SdkError::DispatchFailure(d) if d.is_io() || unreachable => {
            ("ConnectionError", format!("could not reach AWS: {}", root_cause(err)))
        }
        SdkError::DispatchFailure(_) => ("DispatchFailure", format!("the call could not be sent: {}", root_cause(err))),
        SdkError::ResponseError(_) => ("ResponseError", format!("AWS's answer could not be read: {}", root_cause(err))),
        SdkError::ConstructionFailure(_) => {
            ("CredentialsError", format!("the call could not be built: {}", root_cause(err)))
        }
        _ => ("Unknown", root_cause(err)),
    };
    AwsFailure { code: code.to_string(), message }
}

/// What STS answered when the role a call acts as could not be assumed (`AccessDenied`,
/// `ValidationError`, `RegionDisabledException`, ...): the call itself was then never
/// sent. `None` for every other failure, STS throttling included.
pub fn role_refused<E>(err: &SdkError<E>) -> Option<AwsFailure>
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    if err.code().is_some() {
        return None;
    }
    causes(err).find_map(|e| {
        let sts =
            e.downcast_ref::<aws_sdk_sts::error::SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>>()?;
        let code = sts.code()?;
        let throttled = ["Throttling", "ThrottlingException", "RequestLimitExceeded"].contains(&code);
        (matches!(sts, SdkError::ServiceError(_)) && !throttled)
            .then(|| AwsFailure { code: code.to_string(), message: one_line(sts.message().unwrap_or_default()) })
    })
}

/// What to tell a person whose console has no AWS credentials of its own.
const NO_CREDENTIALS: &str = "the console has no AWS credentials of its own to assume the account roles with: \
the SDK's default chain looked in the environment (AWS_ACCESS_KEY_ID), the shared config and credentials \
files (AWS_PROFILE), web identity (AWS_WEB_IDENTITY_TOKEN_FILE), the ECS container and the EC2 instance \
metadata; provide credentials in one of these (README: Configuration)";

/// An error and its causes, outermost first.
fn causes<'a>(err: &'a (dyn StdError + 'static)) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(Some(err), |&e| e.source())
}

/// The innermost cause of an error, on one line.
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    causes(err).last().map(|e| one_line(&e.to_string())).unwrap_or_default()
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What the console calls with its own (hub) credentials: AssumeRole into the member
/// roles, Organizations for discovery, and Backup's organization-wide settings and
/// frameworks ([`Aws::hub_backup`]). The template's `RecoveryConsoleHub` policy and the
/// README's hub policy grant these. The three job listings serve the poll's
/// organization-wide read (`sync.organization_jobs`).
pub const HUB_ACTIONS: [&str; 9] = [
    "sts:AssumeRole",
    "organizations:ListAccounts",
    "organizations:DescribeOrganization",
    "backup:DescribeGlobalSettings",
    "backup:ListFrameworks",
    "backup:ListReportPlans",
    "backup:ListBackupJobs",
    "backup:ListCopyJobs",
    "backup:ListRestoreJobs",
];

#[cfg(test)]
mod hub_policy_tests {
    use super::HUB_ACTIONS;

    /// The text of `file` (from the repository root) between `from` and the next `to`.
    fn section(file: &str, from: &str, to: &str) -> String {
        let text = std::fs::read_to_string(format!("{}/../{file}", env!("CARGO_MANIFEST_DIR"))).unwrap_or_default();
        let start = text.find(from).unwrap_or(text.len());
        let rest = &text[start..];
        rest[..rest[from.len()..].find(to).map_or(rest.len(), |i| i + from.len())].to_string()
    }

    #[test]
    fn the_template_and_the_readme_grant_what_the_hub_calls() {
        let template = section("deploy/recovery-console-roles.yaml", "  HubPolicy:", "\nOutputs:");
        let readme = section("README.md", "In the hub account, the console's own identity needs", "\n```\n");
        for action in HUB_ACTIONS {
            assert!(template.contains(action), "the template's RecoveryConsoleHub lacks {action}");
            assert!(readme.contains(&format!("\"{action}\"")), "the README's hub policy lacks {action}");
        }
    }
}

#[cfg(test)]
mod throttling_tests {
    use super::is_throttling;

    #[test]
    fn throttling_answers_are_told_from_other_errors() {
        let body = |code: &str| format!("{{\"__type\":\"{code}\",\"Message\":\"Rate exceeded\"}}").into_bytes();
        assert!(is_throttling(400, None, Some(&body("ThrottlingException"))));
        assert!(is_throttling(400, None, Some(&body("com.amazonaws.organizations#TooManyRequestsException"))));
        assert!(is_throttling(400, Some("ThrottlingException:http://internal.amazon.com/coral/"), None));
        assert!(is_throttling(429, None, None));
        assert!(!is_throttling(400, None, Some(&body("AccessDeniedException"))));
        assert!(!is_throttling(200, None, Some(&body("ThrottlingException"))));
        assert!(!is_throttling(503, None, Some(b"not json")));
    }
}

#[cfg(test)]
mod http_client_tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use aws_sdk_backup::config::{
        ConfigBag, HttpClient, RuntimeComponents, RuntimeComponentsBuilder, SharedHttpClient,
    };
    use aws_smithy_runtime_api::box_error::BoxError;
    use aws_smithy_runtime_api::client::http::{
        HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpConnector,
    };
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_runtime_api::client::result::ConnectorError;

    use super::ConnectorsOnly;

    /// An HTTP client that counts the SDK's checks of it (each one what the default
    /// client answers by building a connector).
    #[derive(Debug)]
    struct Checked(Arc<AtomicUsize>);

    #[derive(Debug)]
    struct Refuses;

    impl HttpConnector for Refuses {
        fn call(&self, _: HttpRequest) -> HttpConnectorFuture {
            HttpConnectorFuture::ready(Err(ConnectorError::other("no network in this test".into(), None)))
        }
    }

    impl HttpClient for Checked {
        fn http_connector(&self, _: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
            SharedHttpConnector::new(Refuses)
        }

        fn validate_base_client_config(&self, _: &RuntimeComponentsBuilder, _: &ConfigBag) -> Result<(), BoxError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    fn build_clients(http: SharedHttpClient, n: usize) {
        for _ in 0..n {
            let config = aws_sdk_backup::Config::builder()
                .behavior_version(aws_sdk_backup::config::BehaviorVersion::latest())
                .region(aws_sdk_backup::config::Region::new("eu-west-1"))
                .http_client(http.clone())
                .build();
            let _ = aws_sdk_backup::Client::from_conf(config);
        }
    }

    #[test]
    fn building_a_client_builds_no_connector() {
        // The SDK checks a client's HTTP client each time a client is built...
        let checks = Arc::new(AtomicUsize::new(0));
        build_clients(SharedHttpClient::new(Checked(checks.clone())), 3);
        assert_eq!(checks.load(Ordering::SeqCst), 3);
        // ...which the console's client does not pass on.
        let checks = Arc::new(AtomicUsize::new(0));
        build_clients(SharedHttpClient::new(ConnectorsOnly(Checked(checks.clone()))), 3);
        assert_eq!(checks.load(Ordering::SeqCst), 0);
    }
}
