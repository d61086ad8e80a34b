//! STS, Organizations and request authentication in the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::*;

#[tokio::test]
async fn hub_keys_act_as_the_management_account_and_roles_act_in_theirs() {
    let sb = spawn(0, 0.0).await;
    let sts = aws_sdk_sts::Client::new(&sb.hub().await);
    let me = sts.get_caller_identity().send().await.unwrap();
    assert_eq!(me.account(), Some("999999999999"));

    let assumed = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{WORKLOAD_A}:role/RecoveryConsoleRead"))
        .role_session_name("t1")
        .duration_seconds(900)
        .send()
        .await
        .unwrap();
    let creds = assumed.credentials().unwrap();
    assert!(creds.access_key_id().starts_with("ASIA"));
    assert_eq!(
        assumed.assumed_role_user().unwrap().arn(),
        format!("arn:aws:sts::{WORKLOAD_A}:assumed-role/RecoveryConsoleRead/t1")
    );

    // The credentials the provider obtains act in the role's account.
    let in_a = aws_sdk_sts::Client::new(&sb.role(WORKLOAD_A, "RecoveryConsoleRead", None).await);
    let who = in_a.get_caller_identity().send().await.unwrap();
    assert_eq!(who.account(), Some(WORKLOAD_A));
    assert_eq!(who.arn(), Some("arn:aws:sts::111111111111:assumed-role/RecoveryConsoleRead/integration-test"));
}

#[tokio::test]
async fn assume_role_is_denied_unless_the_role_exists_and_trusts_the_caller() {
    // Account 4 of 4 generated accounts has no console roles; account 4's
    // predecessor (index 3) requires an ExternalId.
    let sb = spawn(5, 0.0).await;
    let sts = aws_sdk_sts::Client::new(&sb.hub().await);
    let assume = |arn: String, ext: Option<&'static str>| {
        let sts = sts.clone();
        async move {
            sts.assume_role().role_arn(arn).role_session_name("t1").set_external_id(ext.map(String::from)).send().await
        }
    };
    let err = assume(format!("arn:aws:iam::{WORKLOAD_A}:role/NoSuchRole"), None).await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");
    assert!(message(&err).contains("sts:AssumeRole"), "{}", message(&err));

    // Role missing in the last generated account.
    let err = assume("arn:aws:iam::400000000005:role/RecoveryConsoleRead".into(), None).await.unwrap_err();
    assert_eq!(code(&err), "AccessDenied");

    // ExternalId required by the fourth generated account.
    let ext_role = "arn:aws:iam::400000000004:role/RecoveryConsoleRead".to_string();
    assert_eq!(code(&assume(ext_role.clone(), None).await.unwrap_err()), "AccessDenied");
    assert_eq!(code(&assume(ext_role.clone(), Some("wrong")).await.unwrap_err()), "AccessDenied");
    assume(ext_role, Some("rc-400000000004")).await.unwrap();

    // A role trusts the hub, not another member: chaining from workload_a into backup fails.
    let from_a = aws_sdk_sts::Client::new(&sb.role(WORKLOAD_A, "RecoveryConsoleRead", None).await);
    let err = from_a
        .assume_role()
        .role_arn(format!("arn:aws:iam::{BACKUP}:role/RecoveryConsoleRead"))
        .role_session_name("chain")
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "AccessDenied");

    let err = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{WORKLOAD_A}:role/RecoveryConsoleRead"))
        .role_session_name("t1")
        .duration_seconds(60)
        .send()
        .await
        .unwrap_err();
    assert_eq!(code(&err), "ValidationError");
}

#[tokio::test]
async fn requests_need_a_well_formed_signature_and_a_matching_session_token() {
    let sb = spawn(0, 0.0).await;
    let url = format!("{}/backup-vaults/", sb.url);
    let resp = sb.http.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["x-amzn-errortype"], "MissingAuthenticationTokenException");

    let resp = sb.http.get(&url).header("authorization", "AWS4-HMAC-SHA256 Credential=AKID/bad").send().await.unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(resp.headers()["x-amzn-errortype"], "IncompleteSignatureException");

    // An issued key with a token that is not its own is refused.
    let sts = aws_sdk_sts::Client::new(&sb.hub().await);
    let out = sts
        .assume_role()
        .role_arn(format!("arn:aws:iam::{WORKLOAD_A}:role/RecoveryConsoleRead"))
        .role_session_name("t1")
        .send()
        .await
        .unwrap();
    let key = out.credentials().unwrap().access_key_id().to_string();
    let auth = format!(
        "AWS4-HMAC-SHA256 Credential={key}/20261127/{REGION}/backup/aws4_request, SignedHeaders=host;x-amz-date, Signature={}",
        "a".repeat(64)
    );
    let resp =
        sb.http.get(&url).header("authorization", &auth).header("x-amz-security-token", "forged").send().await.unwrap();
    assert_eq!(resp.status(), 403);
    assert_eq!(resp.headers()["x-amzn-errortype"], "UnrecognizedClientException");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["__type"], "UnrecognizedClientException");
    assert!(body["message"].as_str().unwrap().contains("security token"));
}

#[tokio::test]
async fn organizations_lists_every_member_account_in_pages() {
    let sb = spawn(7, 0.0).await;
    let orgs = aws_sdk_organizations::Client::new(&sb.hub().await);
    let org = orgs.describe_organization().send().await.unwrap();
    let org = org.organization().unwrap();
    assert_eq!(org.master_account_id(), Some("999999999999"));
    assert_eq!(org.feature_set().map(|f| f.as_str()), Some("ALL"));

    let mut ids = Vec::new();
    let mut pages = 0;
    let mut token = None;
    loop {
        let page = orgs.list_accounts().max_results(3).set_next_token(token).send().await.unwrap();
        pages += 1;
        ids.extend(page.accounts().iter().map(|a| a.id().unwrap().to_string()));
        token = page.next_token().map(String::from);
        if token.is_none() {
            break;
        }
    }
    // Hub, workload_a, backup and 7 generated accounts; the outsider is not a member.
    assert_eq!(ids.len(), 10, "{ids:?}");
    assert!(pages >= 4);
    assert!(ids.contains(&WORKLOAD_A.to_string()) && !ids.contains(&OUTSIDER.to_string()));
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len());

    let err = orgs.list_accounts().next_token("forged").send().await.unwrap_err();
    assert_eq!(code(&err), "InvalidInputException");

    let member = aws_sdk_organizations::Client::new(&sb.role(WORKLOAD_A, "RecoveryConsoleRead", None).await);
    assert_eq!(code(&member.list_accounts().send().await.unwrap_err()), "AccessDeniedException");
    let outsider = aws_sdk_organizations::Client::new(&sb.role(OUTSIDER, "RecoveryConsoleRead", None).await);
    assert_eq!(code(&outsider.describe_organization().send().await.unwrap_err()), "AWSOrganizationsNotInUseException");
}
