//! Amazon S3 over restXml, path-style (`/{bucket}/{key}?...`): the two calls that empty
//! a bucket before it can be deleted, ListObjectVersions and DeleteObjects, over the
//! contents of the buckets AWS Backup restores; and PutObject (with Object Lock),
//! GetObject, DeleteObject and ListObjectsV2, over the buckets the console writes its
//! audit digests to. Sources: the Amazon S3 API Reference (ListObjectVersions,
//! DeleteObjects, DeleteObject, DeleteBucket, PutObject, GetObject, ListObjectsV2) and
//! the S3 User Guide ("Deleting object versions from a versioning-enabled bucket",
//! "Locking objects with Object Lock").

use std::collections::BTreeMap;

use axum::http::{HeaderMap, Method, StatusCode};
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::engine::DAY;
use super::protocol::{iso8601, xml_escape, AwsError, Millis};
use super::world::{ResourceInfo, World};
use super::Caller;

/// The most keys one ListObjectVersions page or one DeleteObjects request holds.
const MAX_KEYS: usize = 1000;
const XMLNS: &str = "http://s3.amazonaws.com/doc/2006-03-01/";

/// The contents of a bucket: every key's versions, newest first (objects and delete markers).
#[derive(Debug, Default, Clone)]
pub struct Bucket {
    pub keys: BTreeMap<String, Vec<Version>>,
    /// Versions and delete markers made here, for fresh version ids.
    made: u64,
    /// Versioning enabled: a PutObject adds a version instead of replacing the object.
    pub versioned: bool,
    /// Object Lock enabled (which needs versioning): versions may carry a retention.
    pub object_lock: bool,
}

#[derive(Debug, Clone)]
pub struct Version {
    pub id: String,
    pub delete_marker: bool,
    pub size: u64,
    pub modified: Millis,
    /// The bytes PutObject stored (restored objects model their size only).
    pub body: Option<Vec<u8>>,
    /// The Object Lock retention of this version: mode and retain-until date.
    pub retention: Option<(String, Millis)>,
}

impl Bucket {
    /// Whether DeleteBucket would refuse it: "All objects (including all object
    /// versions and delete markers) in the bucket must be deleted before the bucket
    /// itself can be deleted" (S3 API Reference, DeleteBucket).
    pub fn is_empty(&self) -> bool {
        self.keys.values().all(Vec::is_empty)
    }

    /// An empty bucket with versioning and Object Lock enabled ("Object Lock works only
    /// in buckets that have S3 Versioning enabled", S3 User Guide).
    pub fn with_object_lock() -> Self {
        Self { versioned: true, object_lock: true, ..Self::default() }
    }

    /// An empty bucket with versioning enabled.
    pub fn versioned() -> Self {
        Self { versioned: true, ..Self::default() }
    }

    pub fn versions(&self) -> usize {
        self.keys.values().map(Vec::len).sum()
    }

    fn version_id(&mut self, name: &str) -> String {
        self.made += 1;
        let digest = Sha256::digest(format!("{name}/{}", self.made));
        URL_SAFE_NO_PAD.encode(digest)[..32].to_string()
    }

    /// What a restore into a new bucket leaves there. AWS Backup restores the latest
    /// version of each object as of the backup (re:Post knowledge center,
    /// "backup-restore-s3-object"), into a bucket with versioning on (S3 backups require
    /// versioning on the source bucket, and the restore role's managed policy
    /// `AWSBackupServiceRolePolicyForS3Restore` carries `s3:PutBucketVersioning`): one
    /// version per object, each with a version id. The count follows the recovery point.
    pub fn restored(name: &str, info: &ResourceInfo, recovery_point_created: Millis, at: Millis) -> Self {
        let objects = restored_objects(info, recovery_point_created);
        let mut bucket = Bucket::versioned();
        for i in 0..objects {
            let id = bucket.version_id(name);
            let size = 4096 + (i % 61) * 1024;
            let version = Version { id, delete_marker: false, size, modified: at, body: None, retention: None };
            bucket.keys.insert(format!("data/{:02}/object-{i:06}.parquet", i % 17), vec![version]);
        }
        bucket
    }
}

/// How many objects a restore of `info`'s recovery point writes: more than one
/// ListObjectVersions page, so that emptying a restored bucket takes several.
pub fn restored_objects(info: &ResourceInfo, recovery_point_created: Millis) -> u64 {
    1_000 + (info.size >> 30) % 1_000 + (recovery_point_created.div_euclid(DAY) % 97) as u64
}

/// A parsed S3 request.
pub struct Request {
    pub op: &'static str,
    bucket: String,
    /// The object key of an object operation (percent-decoded).
    key: String,
    query: BTreeMap<String, String>,
    body: Vec<u8>,
    headers: HeaderMap,
}

fn invalid_argument(message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

/// Names the operation of a path-style request: `GET /{bucket}?versions` is
/// ListObjectVersions, `GET /{bucket}?list-type=2` ListObjectsV2, `POST /{bucket}?delete`
/// DeleteObjects; `PUT`, `GET` and `DELETE /{bucket}/{key}` are PutObject, GetObject and
/// DeleteObject (the SDK adds `x-id`; `versionId` names a version).
pub fn identify(
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Vec<u8>,
) -> Result<Request, AwsError> {
    let query: BTreeMap<String, String> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|e| invalid_argument(format!("the query string could not be read: {e}")))?;
    let path = path.trim_start_matches('/');
    let (bucket, key) = path.split_once('/').unwrap_or((path, ""));
    let key = percent_encoding::percent_decode_str(key)
        .decode_utf8()
        .map_err(|_| invalid_argument("the object key is not UTF-8"))?
        .to_string();
    let has = |name: &str| query.contains_key(name);
    let object_query = query.keys().all(|k| k == "x-id" || k == "versionId");
    let op = match (method, key.is_empty()) {
        (&Method::GET, true) if has("versions") => "ListObjectVersions",
        (&Method::GET, true) if query.get("list-type").is_some_and(|v| v == "2") => "ListObjectsV2",
        (&Method::POST, true) if has("delete") => "DeleteObjects",
        (&Method::PUT, false) if object_query && !has("versionId") => "PutObject",
        (&Method::GET, false) if object_query => "GetObject",
        (&Method::DELETE, false) if object_query => "DeleteObject",
        _ => {
            return Err(AwsError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                format!(
                    "{method} /{path}: the sandbox's S3 answers ListObjectVersions, ListObjectsV2, DeleteObjects, \
                     PutObject, GetObject and DeleteObject only"
                ),
            ))
        }
    };
    if bucket.is_empty() {
        return Err(invalid_argument("the request names no bucket (the sandbox's S3 is path-style: /{bucket})"));
    }
    Ok(Request { op, bucket: bucket.to_string(), key, query, body, headers: headers.clone() })
}

pub fn is_mutation(op: &str) -> bool {
    matches!(op, "DeleteObjects" | "PutObject" | "DeleteObject")
}

/// An S3 answer: status, headers and body (GetObject's is the object's bytes).
pub struct Answer {
    pub status: StatusCode,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Answer {
    fn xml(xml: String) -> Self {
        Self { status: StatusCode::OK, content_type: "application/xml", headers: Vec::new(), body: xml.into_bytes() }
    }
}

/// The read operations.
pub fn call(world: &World, caller: &Caller, req: &Request) -> Result<Answer, AwsError> {
    match req.op {
        "ListObjectVersions" => list_object_versions(world, caller, req).map(Answer::xml),
        "ListObjectsV2" => list_objects_v2(world, caller, req).map(Answer::xml),
        _ => get_object(world, caller, req),
    }
}

/// The write operations.
pub fn call_mut(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Answer, AwsError> {
    match req.op {
        "DeleteObjects" => delete_objects(world, now, caller, req).map(Answer::xml),
        "PutObject" => put_object(world, now, caller, req),
        _ => delete_object(world, now, caller, req),
    }
}

/// The bucket a request names, in the caller's account and region. Only buckets a
/// restore made and the world's own (the audit digests') have modelled contents; the
/// source buckets the world protects do not.
fn bucket<'w>(world: &'w World, caller: &Caller, name: &str) -> Result<&'w Bucket, AwsError> {
    let region = world.region(caller.account, &caller.region);
    match region.and_then(|r| r.buckets.get(name)) {
        Some(b) => Ok(b),
        None if region.is_some_and(|r| r.names.contains_key(&(super::world::ResourceType::S3, name.to_string()))) => {
            Err(AwsError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                format!("the sandbox models the contents of restored buckets only, not of {name}"),
            ))
        }
        None => Err(no_such_bucket()),
    }
}

fn bucket_mut<'w>(world: &'w mut World, caller: &Caller, name: &str) -> Result<&'w mut Bucket, AwsError> {
    bucket(world, caller, name)?;
    world.region_mut(caller.account, &caller.region).buckets.get_mut(name).ok_or_else(no_such_bucket)
}

fn no_such_bucket() -> AwsError {
    AwsError::new(StatusCode::NOT_FOUND, "NoSuchBucket", "The specified bucket does not exist")
}

/// ListObjectVersions: keys in UTF-8 binary order, each key's versions newest first,
/// objects and delete markers in one sequence; `key-marker` alone starts after that
/// key, with `version-id-marker` after that version of it; `max-keys` above 1,000 is
/// 1,000. A truncated page names its last entry in NextKeyMarker/NextVersionIdMarker.
pub fn list_object_versions(world: &World, caller: &Caller, req: &Request) -> Result<String, AwsError> {
    let b = bucket(world, caller, &req.bucket)?;
    let q = |name: &str| req.query.get(name).map(String::as_str);
    let max_keys = max_keys(req)?;
    let prefix = q("prefix").unwrap_or_default();
    let key_marker = q("key-marker").unwrap_or_default();
    let version_marker = q("version-id-marker").filter(|v| !v.is_empty());
    if version_marker.is_some() && key_marker.is_empty() {
        return Err(invalid_argument("A version-id marker cannot be specified without a key marker."));
    }
    let mut entries = Vec::new();
    let mut truncated = false;
    'keys: for (key, versions) in
        b.keys.range::<str, _>((std::ops::Bound::Included(key_marker), std::ops::Bound::Unbounded))
    {
        if !key.starts_with(prefix) {
            continue;
        }
        let skip = match (key.as_str() == key_marker, version_marker) {
            (false, _) => 0,
            (true, None) => continue,
            (true, Some(v)) => match versions.iter().position(|x| x.id == v) {
                Some(i) => i + 1,
                None => return Err(invalid_argument(format!("Invalid version id specified: {v}"))),
            },
        };
        for (i, v) in versions.iter().enumerate().skip(skip) {
            if entries.len() == max_keys {
                truncated = true;
                break 'keys;
            }
            entries.push((key, i == 0, v));
        }
    }
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListVersionsResult xmlns=\"{XMLNS}\"><Name>{}</Name><Prefix>{}</Prefix>\
         <KeyMarker>{}</KeyMarker><VersionIdMarker>{}</VersionIdMarker><MaxKeys>{max_keys}</MaxKeys><IsTruncated>{truncated}</IsTruncated>",
        xml_escape(&req.bucket),
        xml_escape(prefix),
        xml_escape(key_marker),
        xml_escape(version_marker.unwrap_or_default()),
    );
    if let (true, Some((key, _, v))) = (truncated, entries.last()) {
        xml.push_str(&format!(
            "<NextKeyMarker>{}</NextKeyMarker><NextVersionIdMarker>{}</NextVersionIdMarker>",
            xml_escape(key),
            v.id
        ));
    }
    let owner = format!("<Owner><ID>{}</ID></Owner>", hex_id(&caller.account_id));
    for (key, latest, v) in entries {
        let common = format!(
            "<Key>{}</Key><VersionId>{}</VersionId><IsLatest>{latest}</IsLatest><LastModified>{}</LastModified>",
            xml_escape(key),
            v.id,
            iso8601(v.modified)
        );
        if v.delete_marker {
            xml.push_str(&format!("<DeleteMarker>{common}{owner}</DeleteMarker>"));
        } else {
            let etag = hex_id(&v.id)[..32].to_string();
            xml.push_str(&format!(
                "<Version>{common}<ETag>&quot;{etag}&quot;</ETag><Size>{}</Size><StorageClass>STANDARD</StorageClass>{owner}</Version>",
                v.size
            ));
        }
    }
    xml.push_str("</ListVersionsResult>");
    Ok(xml)
}

/// `max-keys`: at most 1,000 (a larger value is 1,000), 1,000 when absent.
fn max_keys(req: &Request) -> Result<usize, AwsError> {
    match req.query.get("max-keys") {
        None => Ok(MAX_KEYS),
        Some(v) => Ok(v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| invalid_argument(format!("Provided max-keys not an integer or within integer range: {v}")))?
            .min(MAX_KEYS as i64) as usize),
    }
}

/// ListObjectsV2: the keys whose current version is an object (not a delete marker), in
/// UTF-8 binary order, after `start-after` or the `continuation-token` of the page
/// before; a truncated page has a `NextContinuationToken` (opaque to the caller; here
/// the last key in URL-safe base64). `delimiter` (CommonPrefixes) is not modelled.
pub fn list_objects_v2(world: &World, caller: &Caller, req: &Request) -> Result<String, AwsError> {
    let b = bucket(world, caller, &req.bucket)?;
    let q = |name: &str| req.query.get(name).map(String::as_str);
    if q("delimiter").is_some_and(|d| !d.is_empty()) {
        return Err(AwsError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            "the sandbox's ListObjectsV2 does not model delimiter (CommonPrefixes)",
        ));
    }
    let max_keys = max_keys(req)?;
    let prefix = q("prefix").unwrap_or_default();
    let token = q("continuation-token").filter(|t| !t.is_empty());
    let after_token = match token {
        Some(t) => Some(
            URL_SAFE_NO_PAD
                .decode(t)
                .ok()
                .and_then(|k| String::from_utf8(k).ok())
                .ok_or_else(|| invalid_argument("The continuation token provided is incorrect"))?,
        ),
        None => None,
    };
    let start_after = q("start-after").unwrap_or_default();
    let start = after_token.as_deref().unwrap_or(start_after).max(start_after).to_string();
    let mut current = b
        .keys
        .range::<str, _>((std::ops::Bound::Excluded(start.as_str()), std::ops::Bound::Unbounded))
        .filter(|(key, _)| key.starts_with(prefix))
        .filter_map(|(key, versions)| versions.first().filter(|v| !v.delete_marker).map(|v| (key, v)));
    let page: Vec<_> = current.by_ref().take(max_keys).collect();
    let truncated = max_keys > 0 && current.next().is_some();
    let mut xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"{XMLNS}\"><Name>{}</Name><Prefix>{}</Prefix>\
         <KeyCount>{}</KeyCount><MaxKeys>{max_keys}</MaxKeys><IsTruncated>{truncated}</IsTruncated>",
        xml_escape(&req.bucket),
        xml_escape(prefix),
        page.len(),
    );
    if let Some(t) = token {
        xml.push_str(&format!("<ContinuationToken>{}</ContinuationToken>", xml_escape(t)));
    }
    if let (true, Some((key, _))) = (truncated, page.last()) {
        xml.push_str(&format!("<NextContinuationToken>{}</NextContinuationToken>", URL_SAFE_NO_PAD.encode(key)));
    }
    if !start_after.is_empty() {
        xml.push_str(&format!("<StartAfter>{}</StartAfter>", xml_escape(start_after)));
    }
    for (key, v) in page {
        xml.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>&quot;{}&quot;</ETag><Size>{}</Size>\
             <StorageClass>STANDARD</StorageClass></Contents>",
            xml_escape(key),
            iso8601(v.modified),
            etag(v),
            v.size
        ));
    }
    xml.push_str("</ListBucketResult>");
    Ok(xml)
}

/// An object version's ETag: the MD5 of its bytes, as S3's is for a single-part upload.
fn etag(v: &Version) -> String {
    match &v.body {
        Some(body) => md5::Md5::digest(body).iter().map(|b| format!("{b:02x}")).collect(),
        None => hex_id(&v.id)[..32].to_string(),
    }
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether Object Lock keeps `v` from being deleted at `now`: a COMPLIANCE retention
/// until its date, a GOVERNANCE one unless the request bypasses it
/// (`x-amz-bypass-governance-retention: true`) (S3 User Guide, "Retention modes").
fn locked(v: &Version, now: Millis, headers: &HeaderMap) -> bool {
    match &v.retention {
        Some((mode, until)) if *until > now => {
            mode == "COMPLIANCE" || header(headers, "x-amz-bypass-governance-retention") != Some("true")
        }
        _ => false,
    }
}

fn protected_by_object_lock() -> AwsError {
    AwsError::new(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied because object protected by object lock.")
}

/// PutObject. In a versioned bucket a put adds a version and the versions before stay as
/// they were (so a locked version is never overwritten); otherwise it replaces the
/// object. Object Lock headers (`x-amz-object-lock-mode` with
/// `x-amz-object-lock-retain-until-date`) need a bucket with Object Lock
/// (`InvalidRequest`, "Bucket is missing Object Lock Configuration"), both headers, a
/// future date, and an integrity header (Content-MD5 or an `x-amz-checksum-*` one,
/// possibly as an aws-chunked trailer) (PutObject API reference).
fn put_object(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Answer, AwsError> {
    let (body, headers) = payload(&req.headers, &req.body)?;
    let integrity = verify_checksums(&headers, &body)?;
    let mode = header(&headers, "x-amz-object-lock-mode");
    let until = header(&headers, "x-amz-object-lock-retain-until-date");
    let hold = header(&headers, "x-amz-object-lock-legal-hold");
    let b = bucket_mut(world, caller, &req.bucket)?;
    if !caller.can_act {
        return Err(AwsError::new(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"));
    }
    let mut retention = None;
    if mode.is_some() || until.is_some() || hold.is_some() {
        if !b.object_lock {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "Bucket is missing Object Lock Configuration",
            ));
        }
        if hold.is_some() {
            return Err(AwsError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                "the sandbox does not model legal holds",
            ));
        }
        let (Some(mode), Some(until)) = (mode, until) else {
            return Err(invalid_argument(
                "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied",
            ));
        };
        if mode != "COMPLIANCE" && mode != "GOVERNANCE" {
            return Err(invalid_argument("Unknown wormMode directive."));
        }
        let until = chrono::DateTime::parse_from_rfc3339(until)
            .map_err(|_| invalid_argument("The retain until date must be provided in ISO 8601 format"))?
            .timestamp_millis();
        if until <= now {
            return Err(invalid_argument("The retain until date must be in the future!"));
        }
        if !integrity {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "InvalidRequest",
                "Content-MD5 OR x-amz-checksum- HTTP header is required for Put Object requests with Object Lock parameters",
            ));
        }
        retention = Some((mode.to_string(), until));
    }
    let id = if b.versioned { b.version_id(&req.bucket) } else { "null".to_string() };
    let version = Version {
        id: id.clone(),
        delete_marker: false,
        size: body.len() as u64,
        modified: now,
        body: Some(body),
        retention,
    };
    let mut headers = vec![("etag", format!("\"{}\"", etag(&version)))];
    if b.versioned {
        headers.push(("x-amz-version-id", id));
        b.keys.entry(req.key.clone()).or_default().insert(0, version);
    } else {
        b.keys.insert(req.key.clone(), vec![version]);
    }
    Ok(Answer { status: StatusCode::OK, content_type: "application/xml", headers, body: Vec::new() })
}

/// GetObject: the current version, or the one `versionId` names; a key whose current
/// version is a delete marker is `NoSuchKey` (with `x-amz-delete-marker: true`).
fn get_object(world: &World, caller: &Caller, req: &Request) -> Result<Answer, AwsError> {
    let b = bucket(world, caller, &req.bucket)?;
    let no_such_key = || AwsError::new(StatusCode::NOT_FOUND, "NoSuchKey", "The specified key does not exist.");
    let versions = b.keys.get(&req.key).ok_or_else(no_such_key)?;
    let v = match req.query.get("versionId") {
        Some(id) => versions.iter().find(|v| &v.id == id).ok_or_else(|| {
            AwsError::new(StatusCode::NOT_FOUND, "NoSuchVersion", "The specified version does not exist.")
        })?,
        None => versions.first().filter(|v| !v.delete_marker).ok_or_else(no_such_key)?,
    };
    if v.delete_marker {
        return Err(AwsError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ));
    }
    let mut headers = vec![("etag", format!("\"{}\"", etag(v))), ("last-modified", http_date(v.modified))];
    if b.versioned {
        headers.push(("x-amz-version-id", v.id.clone()));
    }
    if let Some((mode, until)) = &v.retention {
        headers.push(("x-amz-object-lock-mode", mode.clone()));
        headers.push(("x-amz-object-lock-retain-until-date", iso8601(*until)));
    }
    let body = v.body.clone().unwrap_or_else(|| vec![0; v.size as usize]);
    Ok(Answer { status: StatusCode::OK, content_type: "binary/octet-stream", headers, body })
}

/// DeleteObject: with `versionId`, that version goes for good unless Object Lock keeps
/// it (403 `AccessDenied`); without, a versioned bucket gets a delete marker (which a
/// lock does not prevent) and an unversioned one loses the object. 204 either way.
fn delete_object(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<Answer, AwsError> {
    let b = bucket_mut(world, caller, &req.bucket)?;
    if !caller.can_act {
        return Err(AwsError::new(StatusCode::FORBIDDEN, "AccessDenied", "Access Denied"));
    }
    let mut headers = Vec::new();
    match req.query.get("versionId") {
        Some(id) => {
            let versions = b.keys.entry(req.key.clone()).or_default();
            if let Some(i) = versions.iter().position(|v| &v.id == id) {
                if locked(&versions[i], now, &req.headers) {
                    return Err(protected_by_object_lock());
                }
                if versions.remove(i).delete_marker {
                    headers.push(("x-amz-delete-marker", "true".to_string()));
                }
            }
            if versions.is_empty() {
                b.keys.remove(&req.key);
            }
            headers.push(("x-amz-version-id", id.clone()));
        }
        None if b.versioned => {
            let id = b.version_id(&req.bucket);
            let marker =
                Version { id: id.clone(), delete_marker: true, size: 0, modified: now, body: None, retention: None };
            b.keys.entry(req.key.clone()).or_default().insert(0, marker);
            headers.push(("x-amz-delete-marker", "true".to_string()));
            headers.push(("x-amz-version-id", id));
        }
        None => {
            b.keys.remove(&req.key);
        }
    }
    Ok(Answer { status: StatusCode::NO_CONTENT, content_type: "application/xml", headers, body: Vec::new() })
}

/// `Last-Modified` as HTTP writes dates (RFC 9110, IMF-fixdate).
fn http_date(ms: Millis) -> String {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_default()
}

/// The bytes of a request body and its headers with any trailers: an `aws-chunked`
/// body (`Content-Encoding: aws-chunked`, or a `STREAMING-*` `x-amz-content-sha256`,
/// as the SDKs send a checksum as a trailer) is decoded: `hex-size[;ext]\r\n`, the
/// bytes, `\r\n`, up to a chunk of size 0, then `name:value` trailer lines (S3 API
/// Reference, "Signature Calculations for the Authorization Header: Transferring
/// Payload in Multiple Chunks").
fn payload(headers: &HeaderMap, body: &[u8]) -> Result<(Vec<u8>, HeaderMap), AwsError> {
    let chunked = header(headers, "content-encoding").is_some_and(|v| v.contains("aws-chunked"))
        || header(headers, "x-amz-content-sha256").is_some_and(|v| v.starts_with("STREAMING-"));
    if !chunked {
        return Ok((body.to_vec(), headers.clone()));
    }
    let incomplete = || {
        AwsError::new(StatusCode::BAD_REQUEST, "IncompleteBody", "The request body is not valid aws-chunked encoding")
    };
    let mut rest = body;
    let mut out = Vec::new();
    loop {
        let end = rest.windows(2).position(|w| w == b"\r\n").ok_or_else(incomplete)?;
        let line = std::str::from_utf8(&rest[..end]).map_err(|_| incomplete())?;
        let size =
            usize::from_str_radix(line.split(';').next().unwrap_or_default().trim(), 16).map_err(|_| incomplete())?;
        rest = &rest[end + 2..];
        if size == 0 {
            break;
        }
        if rest.len() < size + 2 {
            return Err(incomplete());
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
    let mut all = headers.clone();
    for line in String::from_utf8_lossy(rest).split("\r\n") {
        if let Some((name, value)) = line.split_once(':') {
            if let (Ok(n), Ok(v)) =
                (axum::http::HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()), value.trim().parse())
            {
                all.insert(n, v);
            }
        }
    }
    Ok((out, all))
}

/// The canonical user id S3 shows for an account (64 hex characters).
fn hex_id(seed: &str) -> String {
    Sha256::digest(seed.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// One `<Object>` of a DeleteObjects body.
struct ObjectId {
    key: String,
    version: Option<String>,
}

/// DeleteObjects: up to 1,000 keys in a `<Delete>` body, which must come with an
/// integrity header (`Content-MD5` or an `x-amz-checksum-*` header: "The Content-MD5 or
/// x-amz-sdk-checksum-algorithm header is required for all Multi-Object Delete requests").
/// A key with a version id deletes that version for good; a key without one, in a
/// versioned bucket, adds a delete marker (S3 User Guide). Each key is checked against
/// the caller's permissions on its own and fails alone (`AccessDenied`); `Quiet` answers
/// only the failures.
pub fn delete_objects(world: &mut World, now: Millis, caller: &Caller, req: &Request) -> Result<String, AwsError> {
    check_integrity(&req.headers, &req.body)?;
    let body = std::str::from_utf8(&req.body).map_err(|_| malformed_xml())?;
    let delete = element(body, "Delete").ok_or_else(malformed_xml)?;
    let quiet = element(delete, "Quiet").is_some_and(|q| q.trim() == "true");
    let objects = elements(delete, "Object")
        .into_iter()
        .map(|o| {
            let key = element(o, "Key").map(xml_unescape).ok_or_else(malformed_xml)?;
            Ok(ObjectId { key, version: element(o, "VersionId").map(xml_unescape) })
        })
        .collect::<Result<Vec<_>, AwsError>>()?;
    if objects.is_empty() || objects.len() > MAX_KEYS {
        return Err(malformed_xml());
    }
    let name = req.bucket.clone();
    let b = bucket_mut(world, caller, &name)?;
    let mut xml = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"{XMLNS}\">");
    for o in objects {
        let key = xml_escape(&o.key);
        if !caller.can_act {
            let version = o.version.as_deref().map(|v| format!("<VersionId>{}</VersionId>", xml_escape(v)));
            xml.push_str(&format!(
                "<Error><Key>{key}</Key>{}<Code>AccessDenied</Code><Message>Access Denied</Message></Error>",
                version.unwrap_or_default()
            ));
            continue;
        }
        let deleted = match &o.version {
            Some(v) => {
                let versions = b.keys.entry(o.key.clone()).or_default();
                if versions.iter().any(|x| &x.id == v && locked(x, now, &req.headers)) {
                    let e = protected_by_object_lock();
                    xml.push_str(&format!(
                        "<Error><Key>{key}</Key><VersionId>{}</VersionId><Code>{}</Code><Message>{}</Message></Error>",
                        xml_escape(v),
                        e.code,
                        xml_escape(&e.message)
                    ));
                    continue;
                }
                let marker = versions.iter().position(|x| &x.id == v).map(|i| versions.remove(i).delete_marker);
                if versions.is_empty() {
                    b.keys.remove(&o.key);
                }
                // Deleting a version that is not there succeeds (S3 deletes are idempotent).
                match marker {
                    Some(true) => format!("<VersionId>{v}</VersionId><DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>{v}</DeleteMarkerVersionId>"),
                    _ => format!("<VersionId>{}</VersionId>", xml_escape(v)),
                }
            }
            None => {
                let id = b.version_id(&name);
                let marker = Version {
                    id: id.clone(),
                    delete_marker: true,
                    size: 0,
                    modified: now,
                    body: None,
                    retention: None,
                };
                b.keys.entry(o.key.clone()).or_default().insert(0, marker);
                format!("<DeleteMarker>true</DeleteMarker><DeleteMarkerVersionId>{id}</DeleteMarkerVersionId>")
            }
        };
        if !quiet {
            xml.push_str(&format!("<Deleted><Key>{key}</Key>{deleted}</Deleted>"));
        }
    }
    xml.push_str("</DeleteResult>");
    Ok(xml)
}

fn malformed_xml() -> AwsError {
    AwsError::new(
        StatusCode::BAD_REQUEST,
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
    )
}

/// The integrity header DeleteObjects requires; a CRC32, SHA-256 or MD5 checksum is verified.
fn check_integrity(headers: &HeaderMap, body: &[u8]) -> Result<(), AwsError> {
    if verify_checksums(headers, body)? {
        return Ok(());
    }
    Err(AwsError::new(
        StatusCode::BAD_REQUEST,
        "InvalidRequest",
        "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
    ))
}

/// Whether the request carries an integrity header (`Content-MD5` or `x-amz-checksum-*`);
/// `BadDigest` when a CRC32, SHA-256 or MD5 one does not match the body.
fn verify_checksums(headers: &HeaderMap, body: &[u8]) -> Result<bool, AwsError> {
    let bad_digest = || {
        AwsError::new(
            StatusCode::BAD_REQUEST,
            "BadDigest",
            "The checksum you specified did not match what we received.",
        )
    };
    type Sum = fn(&[u8]) -> String;
    let checks: [(&str, Sum); 3] = [
        ("x-amz-checksum-crc32", |b| STANDARD.encode(crc32fast::hash(b).to_be_bytes())),
        ("x-amz-checksum-sha256", |b| STANDARD.encode(Sha256::digest(b))),
        ("content-md5", |b| STANDARD.encode(md5::Md5::digest(b))),
    ];
    let mut present = false;
    for (name, sum) in checks {
        if let Some(sent) = header(headers, name) {
            if sum(body) != sent {
                return Err(bad_digest());
            }
            present = true;
        }
    }
    let other = ["x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1"];
    Ok(present || other.iter().any(|h| header(headers, h).is_some()))
}

/// The text inside the first `<name>...</name>` of `xml` (no attributes inside the tag but the namespace).
fn element<'x>(xml: &'x str, name: &str) -> Option<&'x str> {
    let open = xml.find(&format!("<{name}")).filter(|&i| xml[i + name.len() + 1..].starts_with(['>', ' ']))?;
    let start = open + xml[open..].find('>')? + 1;
    let end = start + xml[start..].find(&format!("</{name}>"))?;
    Some(&xml[start..end])
}

/// The contents of every `<name>...</name>` directly in `xml`, in order.
fn elements<'x>(mut xml: &'x str, name: &str) -> Vec<&'x str> {
    let mut out = Vec::new();
    let close = format!("</{name}>");
    while let Some(inner) = element(xml, name) {
        out.push(inner);
        let Some(end) = xml.find(&close) else { break };
        xml = &xml[end + close.len()..];
    }
    out
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn delete_objects_needs_an_integrity_header_and_checks_crc32_and_sha256() {
        let body = b"<Delete><Object><Key>a</Key></Object></Delete>";
        let with = |name: &'static str, value: &str| {
            let mut h = HeaderMap::new();
            h.insert(name, value.parse().unwrap());
            h
        };
        assert_eq!(check_integrity(&HeaderMap::new(), body).unwrap_err().code, "InvalidRequest");
        assert_eq!(check_integrity(&with("content-md5", "anything"), body).unwrap_err().code, "BadDigest");
        assert!(check_integrity(&with("content-md5", &STANDARD.encode(md5::Md5::digest(body))), body).is_ok());
        let crc = STANDARD.encode(crc32fast::hash(body).to_be_bytes());
        assert!(check_integrity(&with("x-amz-checksum-crc32", &crc), body).is_ok());
        assert_eq!(check_integrity(&with("x-amz-checksum-crc32", "AAAAAA=="), body).unwrap_err().code, "BadDigest");
        let sha = STANDARD.encode(Sha256::digest(body));
        assert!(check_integrity(&with("x-amz-checksum-sha256", &sha), body).is_ok());
    }

    #[test]
    fn delete_bodies_are_read_with_their_escapes() {
        let body = "<?xml version=\"1.0\"?><Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
            <Object><Key>a&amp;b</Key><VersionId>v1</VersionId></Object><Object><Key>c</Key></Object>\
            <Quiet>true</Quiet></Delete>";
        let delete = element(body, "Delete").unwrap();
        let objects = elements(delete, "Object");
        assert_eq!(objects.len(), 2);
        assert_eq!(element(objects[0], "Key").map(xml_unescape).as_deref(), Some("a&b"));
        assert_eq!(element(objects[0], "VersionId"), Some("v1"));
        assert_eq!(element(objects[1], "VersionId"), None);
        assert_eq!(element(delete, "Quiet"), Some("true"));
    }
}
