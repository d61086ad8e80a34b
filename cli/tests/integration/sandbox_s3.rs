//! S3 in the sandbox as the console's audit digests use it: PutObject with Object Lock,
//! GetObject and ListObjectsV2, through the real `aws-sdk-s3` client. Sources: the
//! Amazon S3 API Reference (PutObject, GetObject, DeleteObject, DeleteObjects,
//! ListObjectsV2) and the S3 User Guide ("Locking objects with Object Lock").
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use aws_sandbox::generate::AUDIT_DIGEST_BUCKET;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::{ByteStream, DateTime};
use aws_sdk_s3::types::{ChecksumAlgorithm, Delete, ObjectIdentifier, ObjectLockMode};

use crate::common::*;

/// The hub's S3 client, path-style against the sandbox.
async fn hub_s3(sb: &TestSandbox) -> aws_sdk_s3::Client {
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&sb.hub().await).force_path_style(true).build())
}

async fn body(s3: &aws_sdk_s3::Client, key: &str, version: Option<&str>) -> String {
    let out = s3.get_object().bucket(AUDIT_DIGEST_BUCKET).key(key).set_version_id(version.map(str::to_string));
    let out = out.send().await.unwrap();
    String::from_utf8(out.body.collect().await.unwrap().to_vec()).unwrap()
}

#[tokio::test]
async fn object_lock_keeps_a_version_until_its_date_and_needs_a_lock_bucket() {
    let sb = spawn(0, 1.0).await;
    let s3 = hub_s3(&sb).await;
    let until = DateTime::from_millis(START + 3_600_000);
    let put = |key: &str, text: &str| {
        s3.put_object()
            .bucket(AUDIT_DIGEST_BUCKET)
            .key(key)
            .body(ByteStream::from(text.as_bytes().to_vec()))
            .checksum_algorithm(ChecksumAlgorithm::Sha256)
            .object_lock_mode(ObjectLockMode::Compliance)
            .object_lock_retain_until_date(until)
    };
    let first = put("digests/00000001.json", "first").send().await.unwrap();
    let first_version = first.version_id().unwrap().to_string();
    assert_eq!(first.e_tag(), Some("\"8b04d5e3775d298e78455efc5ca404d5\""), "the MD5 of the bytes");
    let got = s3.get_object().bucket(AUDIT_DIGEST_BUCKET).key("digests/00000001.json").send().await.unwrap();
    assert_eq!(got.object_lock_mode(), Some(&aws_sdk_s3::types::ObjectLockMode::Compliance));
    assert_eq!(got.object_lock_retain_until_date(), Some(&until));
    assert_eq!(String::from_utf8(got.body.collect().await.unwrap().to_vec()).unwrap(), "first");

    // A second put of the key is a new version; the locked one stays as it was.
    let second = put("digests/00000001.json", "forged").send().await.unwrap();
    assert_ne!(second.version_id().unwrap(), first_version);
    assert_eq!(body(&s3, "digests/00000001.json", Some(&first_version)).await, "first");
    assert_eq!(body(&s3, "digests/00000001.json", None).await, "forged");

    // Deleting the locked version is refused, alone or in a batch, until its date.
    let delete = || s3.delete_object().bucket(AUDIT_DIGEST_BUCKET).key("digests/00000001.json");
    let e = delete().version_id(&first_version).send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("AccessDenied"), "{e:?}");
    let batch = Delete::builder()
        .objects(ObjectIdentifier::builder().key("digests/00000001.json").version_id(&first_version).build().unwrap())
        .build()
        .unwrap();
    let out = s3.delete_objects().bucket(AUDIT_DIGEST_BUCKET).delete(batch.clone()).send().await.unwrap();
    assert_eq!(out.errors().len(), 1);
    assert_eq!(out.errors()[0].code(), Some("AccessDenied"));
    // A delete without a version id adds a delete marker; the version stays.
    let marker = delete().send().await.unwrap();
    assert_eq!(marker.delete_marker(), Some(true));
    let e = s3.get_object().bucket(AUDIT_DIGEST_BUCKET).key("digests/00000001.json").send().await.unwrap_err();
    assert_eq!(e.into_service_error().code(), Some("NoSuchKey"));
    assert_eq!(body(&s3, "digests/00000001.json", Some(&first_version)).await, "first");
    // After the retain-until date the version can go.
    sb.advance(3_601.0).await;
    let out = s3.delete_objects().bucket(AUDIT_DIGEST_BUCKET).delete(batch).send().await.unwrap();
    assert!(out.errors().is_empty(), "{:?}", out.errors());
    assert_eq!(out.deleted().len(), 1);

    // Lock headers: a bucket without Object Lock refuses them, and a past date is refused.
    let e = s3
        .put_object()
        .bucket("rc-demo-backup-reports")
        .key("x")
        .body(ByteStream::from_static(b"x"))
        .checksum_algorithm(ChecksumAlgorithm::Sha256)
        .object_lock_mode(ObjectLockMode::Compliance)
        .object_lock_retain_until_date(DateTime::from_millis(START + 86_400_000))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!((e.code(), e.message()), (Some("InvalidRequest"), Some("Bucket is missing Object Lock Configuration")));
    let e = put("digests/past.json", "x")
        .object_lock_retain_until_date(DateTime::from_millis(START))
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(e.code(), Some("InvalidArgument"), "{e:?}");
    // Without lock headers the other bucket takes the object.
    s3.put_object().bucket("rc-demo-backup-reports").key("x").body(ByteStream::from_static(b"x")).send().await.unwrap();
}

#[tokio::test]
async fn list_objects_v2_pages_with_a_prefix_and_continuation_tokens() {
    let sb = spawn(0, 1.0).await;
    let s3 = hub_s3(&sb).await;
    for i in 0..7 {
        let key = format!("digests/{i:08}.json");
        s3.put_object()
            .bucket(AUDIT_DIGEST_BUCKET)
            .key(&key)
            .body(ByteStream::from(key.clone().into_bytes()))
            .send()
            .await
            .unwrap();
    }
    s3.put_object()
        .bucket(AUDIT_DIGEST_BUCKET)
        .key("other/a")
        .body(ByteStream::from_static(b"a"))
        .send()
        .await
        .unwrap();
    // A key whose current version is a delete marker is not listed.
    s3.delete_object().bucket(AUDIT_DIGEST_BUCKET).key("digests/00000003.json").send().await.unwrap();

    let (mut keys, mut pages, mut token) = (Vec::new(), 0, None::<String>);
    loop {
        let out = s3
            .list_objects_v2()
            .bucket(AUDIT_DIGEST_BUCKET)
            .prefix("digests/")
            .max_keys(4)
            .set_continuation_token(token.clone())
            .send()
            .await
            .unwrap();
        pages += 1;
        assert_eq!(out.key_count(), Some(out.contents().len() as i32));
        assert!(out.contents().iter().all(|o| o.size() == Some(21) && o.e_tag().is_some()));
        keys.extend(out.contents().iter().map(|o| o.key().unwrap().to_string()));
        match out.next_continuation_token() {
            Some(t) => {
                assert_eq!(out.is_truncated(), Some(true));
                token = Some(t.to_string());
            }
            None => break,
        }
    }
    assert_eq!(pages, 2);
    let expected: Vec<String> = [0, 1, 2, 4, 5, 6].iter().map(|i| format!("digests/{i:08}.json")).collect();
    assert_eq!(keys, expected);
    let e = s3
        .list_objects_v2()
        .bucket(AUDIT_DIGEST_BUCKET)
        .continuation_token("not a token")
        .send()
        .await
        .unwrap_err()
        .into_service_error();
    assert_eq!(e.code(), Some("InvalidArgument"));
    let after = s3.list_objects_v2().bucket(AUDIT_DIGEST_BUCKET).start_after("digests/00000005.json").send().await;
    let after: Vec<_> = after.unwrap().contents().iter().map(|o| o.key().unwrap().to_string()).collect();
    assert_eq!(after, ["digests/00000006.json", "other/a"]);
    let e = s3.get_object().bucket("no-such-bucket").key("k").send().await.unwrap_err().into_service_error();
    assert_eq!(e.code(), Some("NoSuchBucket"));
}
