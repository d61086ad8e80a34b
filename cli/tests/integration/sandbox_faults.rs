//! Faults on demand: throttling, server errors, latency, denied accounts, lost responses.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use aws_sandbox::Faults;
use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn throttling_and_server_errors_reach_the_sdk_and_its_retries() {
    let sb = spawn(0, 0.0).await;
    let hub = aws_sdk_backup::Client::new(&sb.hub().await);
    sb.set_faults(json!({ "throttle_rate": 1.0, "operations": ["ListBackupJobs"] })).await;
    let err = hub.list_backup_jobs().send().await.unwrap_err();
    assert_eq!(code(&err), "ThrottlingException");
    hub.list_backup_vaults().send().await.unwrap();

    sb.set_faults(json!({ "error_rate": 1.0 })).await;
    let err = hub.list_backup_vaults().send().await.unwrap_err();
    assert_eq!(code(&err), "ServiceUnavailableException");
    assert_eq!(err.raw_response().unwrap().status().as_u16(), 503);
    let sts = aws_sdk_sts::Client::new(&sb.hub().await);
    let err = sts.get_caller_identity().send().await.unwrap_err();
    assert_eq!(code(&err), "InternalFailure");

    // Half the calls throttled: the SDK's standard retries get through.
    sb.set_faults(json!({ "throttle_rate": 0.5 })).await;
    let retrying = aws_sdk_backup::Client::new(
        &sb.config_with_retries(
            RetryConfig::standard().with_max_attempts(10).with_initial_backoff(Duration::from_millis(1)),
        )
        .await,
    );
    for _ in 0..10 {
        retrying.list_backup_vaults().send().await.unwrap();
    }

    sb.set_faults(json!({})).await;
    hub.list_backup_vaults().send().await.unwrap();

    // Bad fault settings are refused and change nothing.
    let (status, body) = sb.admin(reqwest::Method::PUT, "/_sandbox/faults", Some(json!({ "throttle_rate": 2 }))).await;
    assert_eq!(status, 400);
    assert!(body["error"]["message"].as_str().unwrap().contains("throttle_rate"));
    let (status, _) = sb.admin(reqwest::Method::PUT, "/_sandbox/faults", Some(json!({ "throttle": 1 }))).await;
    assert_eq!(status, 400);
    let (_, current) = sb.admin(reqwest::Method::GET, "/_sandbox/faults", None).await;
    assert_eq!(current["throttle_rate"], 0.0);
}

#[tokio::test]
async fn latency_applies_to_the_chosen_accounts() {
    let sb = spawn(0, 0.0).await;
    let a = sb.reader(WORKLOAD_A).await;
    let hub = aws_sdk_backup::Client::new(&sb.hub().await);
    sb.set_faults(json!({ "latency_ms": 400, "accounts": [WORKLOAD_A] })).await;
    let t = Instant::now();
    a.list_backup_vaults().send().await.unwrap();
    let elapsed_a = t.elapsed();
    let t = Instant::now();
    hub.list_backup_vaults().send().await.unwrap();
    let elapsed_hub = t.elapsed();
    // Relative, so a loaded runner that slows both calls does not fail it.
    assert!(
        elapsed_a >= Duration::from_millis(400) && elapsed_a > elapsed_hub + Duration::from_millis(300),
        "{elapsed_a:?} for workload_a, {elapsed_hub:?} for the hub"
    );
}

#[tokio::test]
async fn denied_accounts_cannot_be_assumed_into() {
    let sb = spawn_with(0, 0.0, Faults { deny_accounts: vec![BACKUP.into()], ..Faults::default() }).await;
    let sts = aws_sdk_sts::Client::new(&sb.hub().await);
    let assume = |account: &str| {
        sts.assume_role()
            .role_arn(format!("arn:aws:iam::{account}:role/RecoveryConsoleRead"))
            .role_session_name("t1")
            .send()
    };
    assert_eq!(code(&assume(BACKUP).await.unwrap_err()), "AccessDenied");
    assume(WORKLOAD_A).await.unwrap();
    // Changed at run time.
    sb.set_faults(json!({ "deny_accounts": [WORKLOAD_A] })).await;
    assert_eq!(code(&assume(WORKLOAD_A).await.unwrap_err()), "AccessDenied");
    assume(BACKUP).await.unwrap();
}

#[tokio::test]
async fn a_lost_response_still_takes_effect_and_only_a_kept_token_prevents_a_second_restore() {
    let sb = spawn(0, 0.0).await;
    let config = sb.role(WORKLOAD_A, "RecoveryConsoleOperator", None).await;
    let op = aws_sdk_backup::Client::new(&config);
    let rp = op
        .list_recovery_points_by_backup_vault()
        .backup_vault_name("workload-a-vault")
        .by_resource_type("DynamoDB")
        .max_results(1)
        .send()
        .await
        .unwrap()
        .recovery_points()[0]
        .recovery_point_arn()
        .unwrap()
        .to_string();
    let retrying = aws_sdk_backup::Client::new(
        &config
            .into_builder()
            .retry_config(RetryConfig::standard().with_max_attempts(3).with_initial_backoff(Duration::from_millis(1)))
            .build(),
    );
    let restores = |c: aws_sdk_backup::Client| async move {
        all_items!(c.list_restore_jobs())
            .into_iter()
            .filter(|j| j.created_by().and_then(|c| c.restore_testing_plan_arn()).is_none())
            .count()
    };
    let meta = |name: &str| Some([("targetTableName".to_string(), name.to_string())].into());

    // This SDK fills in an idempotency token per send() when none is given, so its
    // own retry after a lost response returns the job the lost call started.
    sb.set_faults(json!({ "lose_next": 1, "operations": ["StartRestoreJob"] })).await;
    retrying.start_restore_job().recovery_point_arn(&rp).set_metadata(meta("sdk-token")).send().await.unwrap();
    assert_eq!(restores(op.clone()).await, 1);

    // A caller that tries again with a new send() and no token of its own starts a
    // second restore: the lost call had taken effect.
    let no_retry = aws_sdk_backup::Client::new(
        &sb.role(WORKLOAD_A, "RecoveryConsoleOperator", None)
            .await
            .into_builder()
            .retry_config(RetryConfig::disabled())
            .build(),
    );
    sb.set_faults(json!({ "lose_next": 1, "operations": ["StartRestoreJob"] })).await;
    let err =
        no_retry.start_restore_job().recovery_point_arn(&rp).set_metadata(meta("no-token")).send().await.unwrap_err();
    assert!(
        matches!(
            err,
            aws_sdk_backup::error::SdkError::ResponseError(_) | aws_sdk_backup::error::SdkError::DispatchFailure(_)
        ),
        "{err:?}"
    );
    no_retry.start_restore_job().recovery_point_arn(&rp).set_metadata(meta("no-token")).send().await.unwrap();
    assert_eq!(restores(op.clone()).await, 3);

    // With a token kept by the caller, trying again returns the job the lost call started.
    sb.set_faults(json!({ "lose_next": 1, "operations": ["StartRestoreJob"] })).await;
    let send = || {
        no_retry
            .start_restore_job()
            .recovery_point_arn(&rp)
            .set_metadata(meta("with-token"))
            .idempotency_token("request-7")
            .send()
    };
    send().await.unwrap_err();
    let id = send().await.unwrap().restore_job_id().unwrap().to_string();
    assert_eq!(restores(op.clone()).await, 4);
    op.describe_restore_job().restore_job_id(id).send().await.unwrap();

    // With every answer lost, the caller only sees an error, yet the job exists.
    sb.set_faults(json!({ "lost_response_rate": 1.0, "operations": ["StartRestoreJob"] })).await;
    let err = retrying.start_restore_job().recovery_point_arn(&rp).set_metadata(meta("lost")).send().await.unwrap_err();
    assert!(
        matches!(
            err,
            aws_sdk_backup::error::SdkError::ResponseError(_) | aws_sdk_backup::error::SdkError::DispatchFailure(_)
        ),
        "{err:?}"
    );
    assert_eq!(restores(op).await, 5);
}
