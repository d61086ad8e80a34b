#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::sync::Arc;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_sandbox::{Faults, Sandbox, WorldOptions};
use serde_json::{json, Value};

pub const REGION: &str = "ap-southeast-2";
pub const WORKLOAD_A: &str = "111111111111";
pub const BACKUP: &str = "222222222222";
pub const OUTSIDER: &str = "333333333333";
/// 2026-11-27T12:00:00Z: tests start the sandbox clock here so the world is the same every run.
pub const START: i64 = 1_795_780_800_000;

pub struct TestSandbox {
    pub url: String,
    pub sandbox: Arc<Sandbox>,
    pub http: reqwest::Client,
}

pub async fn spawn(accounts: usize, time_scale: f64) -> TestSandbox {
    spawn_with(accounts, time_scale, Faults::default()).await
}

pub async fn spawn_with(accounts: usize, time_scale: f64, faults: Faults) -> TestSandbox {
    let options = WorldOptions { seed: 7, accounts, start: START };
    let sandbox = Sandbox::new(&options, time_scale, faults);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    TestSandbox { url, sandbox, http: reqwest::Client::new() }
}

impl TestSandbox {
    /// SDK configuration with static keys: the sandbox treats them as the hub account.
    pub async fn hub(&self) -> SdkConfig {
        self.config_with_retries(RetryConfig::disabled()).await
    }

    pub async fn config_with_retries(&self, retry: RetryConfig) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .endpoint_url(&self.url)
            .region(Region::new(REGION))
            .credentials_provider(Credentials::new("AKIAHUBTESTKEY000001", "hub-secret", None, None, "test"))
            .retry_config(retry)
            .load()
            .await
    }

    /// SDK configuration acting in `account` through the real STS assume-role provider.
    pub async fn role(&self, account: &str, role: &str, external_id: Option<&str>) -> SdkConfig {
        let hub = self.hub().await;
        let mut provider = aws_config::sts::AssumeRoleProvider::builder(format!("arn:aws:iam::{account}:role/{role}"))
            .session_name("integration-test")
            .configure(&hub);
        if let Some(id) = external_id {
            provider = provider.external_id(id);
        }
        let provider = provider.build().await;
        hub.into_builder()
            .credentials_provider(aws_credential_types::provider::SharedCredentialsProvider::new(provider))
            .build()
    }

    pub async fn reader(&self, account: &str) -> aws_sdk_backup::Client {
        aws_sdk_backup::Client::new(&self.role(account, "RecoveryConsoleRead", None).await)
    }

    /// A Backup client of `role` in `account` and `region`.
    pub async fn backup_in(&self, account: &str, role: &str, region: &str) -> aws_sdk_backup::Client {
        let config = self.role(account, role, None).await;
        aws_sdk_backup::Client::new(&config.into_builder().region(Region::new(region.to_string())).build())
    }

    /// How many `op` calls the sandbox answered since `before`, a snapshot of
    /// `sandbox.operations()`.
    pub fn calls_since(&self, before: &std::collections::BTreeMap<&'static str, u64>, op: &str) -> u64 {
        self.sandbox.operations().get(op).copied().unwrap_or(0) - before.get(op).copied().unwrap_or(0)
    }

    pub async fn operator(&self, account: &str) -> aws_sdk_backup::Client {
        aws_sdk_backup::Client::new(&self.role(account, "RecoveryConsoleOperator", None).await)
    }

    pub async fn admin(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut req = self.http.request(method, format!("{}{path}", self.url));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    pub async fn advance(&self, seconds: f64) {
        let (status, _) =
            self.admin(reqwest::Method::POST, "/_sandbox/clock/advance", Some(json!({ "seconds": seconds }))).await;
        assert_eq!(status, 200);
    }

    pub async fn set_faults(&self, faults: Value) {
        let (status, body) = self.admin(reqwest::Method::PUT, "/_sandbox/faults", Some(faults)).await;
        assert_eq!(status, 200, "{body}");
    }

    /// Runs a restore testing plan of `account` in the test region now; returns the restore job ids.
    pub async fn run_plan(&self, account: &str, plan: &str) -> Vec<String> {
        self.run_plan_in(account, REGION, plan).await
    }

    /// Runs a restore testing plan of `account` in `region` now; returns the restore job ids.
    pub async fn run_plan_in(&self, account: &str, region: &str, plan: &str) -> Vec<String> {
        let body = json!({ "account_id": account, "region": region, "plan_name": plan });
        let (status, run) = self.admin(reqwest::Method::POST, "/_sandbox/restore-testing-plans/run", Some(body)).await;
        assert_eq!(status, 200, "{run}");
        run["restore_job_ids"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect()
    }

    pub async fn now_ms(&self) -> i64 {
        self.admin(reqwest::Method::GET, "/_sandbox/clock", None).await.1["now_ms"].as_i64().unwrap()
    }
}

/// Runs the demo's restore testing plan of `tracking` now and lets the restore
/// complete; returns the restore job id and a Backup client of the validator role.
pub async fn completed_tracking_test(sb: &TestSandbox) -> (String, aws_sdk_backup::Client) {
    let id = sb.run_plan(WORKLOAD_A, "tracking_daily_restore_test").await.remove(0);
    let validator = aws_sdk_backup::Client::new(&sb.role(WORKLOAD_A, "RecoveryConsoleValidator", None).await);
    let job = validator.describe_restore_job().restore_job_id(&id).send().await.unwrap();
    sb.advance((job.expected_completion_time_minutes().unwrap() as f64 + 1.0) * 60.0).await;
    (id, validator)
}

/// A completed test of `tracking` that an outside validator reported `status` (with
/// `message`) on, through the validator role; returns the restore job id.
pub async fn validated_tracking_test(sb: &TestSandbox, status: &str, message: &str) -> String {
    let (id, validator) = completed_tracking_test(sb).await;
    validator
        .put_restore_validation_result()
        .restore_job_id(&id)
        .validation_status(status.into())
        .validation_status_message(message)
        .send()
        .await
        .unwrap();
    id
}

/// The newest usable (COMPLETED or AVAILABLE) recovery point of `resource` in `vault`:
/// while a backup job runs, its recovery point is listed first, CREATING.
pub async fn latest_rp(client: &aws_sdk_backup::Client, vault: &str, resource: &str) -> String {
    let out = client
        .list_recovery_points_by_backup_vault()
        .backup_vault_name(vault)
        .by_resource_arn(resource)
        .max_results(5)
        .send()
        .await
        .unwrap();
    let usable =
        out.recovery_points().iter().find(|p| p.status().is_some_and(|s| shared::recovery_point_usable(s.as_str())));
    usable.unwrap().recovery_point_arn().unwrap().to_string()
}

/// Restore metadata for a DynamoDB table named `table`, encrypted with a KMS key of the workload account.
pub fn dynamo_metadata(table: &str) -> std::collections::HashMap<String, String> {
    [
        ("targetTableName", table),
        ("encryptionType", "KMS"),
        ("kmsMasterKeyArn", "arn:aws:kms:ap-southeast-2:111111111111:key/11111111-2222-3333-4444-555555555555"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// A restore of the DynamoDB recovery point `rp` into a new table `table` (with
/// `dynamo_metadata`), for the caller to add to and send.
pub fn dynamo_restore(
    client: &aws_sdk_backup::Client,
    rp: impl Into<String>,
    table: &str,
) -> aws_sdk_backup::operation::start_restore_job::builders::StartRestoreJobFluentBuilder {
    client.start_restore_job().recovery_point_arn(rp).set_metadata(Some(dynamo_metadata(table)))
}

/// Starts a restore of `rp` into a new table `table`; returns the restore job's id.
pub async fn start_dynamo_restore(client: &aws_sdk_backup::Client, rp: impl Into<String>, table: &str) -> String {
    dynamo_restore(client, rp, table).send().await.unwrap().restore_job_id().unwrap().to_string()
}

/// Every item of a paged list request (an SDK fluent builder), through its paginator.
macro_rules! all_items {
    ($request:expr) => {
        $request.into_paginator().items().send().collect::<Result<Vec<_>, _>>().await.unwrap()
    };
}
pub(crate) use all_items;

/// The AWS error code of any SDK error.
pub fn code<E: aws_sdk_backup::error::ProvideErrorMetadata>(e: &E) -> String {
    e.code().unwrap_or("<none>").to_string()
}

pub fn message<E: aws_sdk_backup::error::ProvideErrorMetadata>(e: &E) -> String {
    e.message().unwrap_or("<none>").to_string()
}

/// The check named `name` in a list of pre-flight checks (Null when absent).
pub fn named_check(checks: &Value, name: &str) -> Value {
    checks.as_array().and_then(|a| a.iter().find(|c| c["check"] == name)).cloned().unwrap_or(Value::Null)
}

/// `value` as one query-string value: what would end or split it is escaped.
pub fn encode(value: &str) -> String {
    value.replace('%', "%25").replace(':', "%3A").replace('/', "%2F").replace('?', "%3F").replace('&', "%26")
}
