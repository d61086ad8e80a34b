//! Amazon S3 over restXml, path-style (`/{bucket}?...`): the two calls that empty a
//! bucket before it can be deleted, ListObjectVersions and DeleteObjects, over the
//! contents of the buckets AWS Backup restores. Sources: the Amazon S3 API Reference
//! (ListObjectVersions, DeleteObjects, DeleteBucket) and the S3 User Guide
//! ("Deleting object versions from a versioning-enabled bucket").

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
}

#[derive(Debug, Clone)]
pub struct Version {
    pub id: String,
    pub delete_marker: bool,
    pub size: u64,
    pub modified: Millis,
}

impl Bucket {
    /// Whether DeleteBucket would refuse it: "All objects (including all object
    /// versions and delete markers) in the bucket must be deleted before the bucket
    /// itself can be deleted" (S3 API Reference, DeleteBucket).
    pub fn is_empty(&self) -> bool {
        self.keys.values().all(Vec::is_empty)
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
        let mut bucket = Bucket::default();
        for i in 0..objects {
            let id = bucket.version_id(name);
            let version = Version { id, delete_marker: false, size: 4096 + (i % 61) * 1024, modified: at };
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
    query: BTreeMap<String, String>,
    body: Vec<u8>,
    headers: HeaderMap,
}

fn invalid_argument(message: impl Into<String>) -> AwsError {
    AwsError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
}

/// Names the operation of a path-style request: `GET /{bucket}?versions` is
/// ListObjectVersions, `POST /{bucket}?delete` is DeleteObjects.
pub fn identify(
    method: &Method,
    path: &str,
    query: Option<&str>,
    headers: &HeaderMap,
    body: Vec<u8>,
) -> Result<Request, AwsError> {
    let query: BTreeMap<String, String> = serde_urlencoded::from_str(query.unwrap_or_default())
        .map_err(|e| invalid_argument(format!("the query string could not be read: {e}")))?;
    // The SDK sends `/{bucket}/?versions` for a bucket operation.
    let bucket = path.trim_start_matches('/').trim_end_matches('/');
    let op = match (method, bucket.contains('/'), query.contains_key("versions"), query.contains_key("delete")) {
        (&Method::GET, false, true, _) => "ListObjectVersions",
        (&Method::POST, false, _, true) => "DeleteObjects",
        _ => {
            return Err(AwsError::new(
                StatusCode::NOT_IMPLEMENTED,
                "NotImplemented",
                format!("{method} {path}: the sandbox's S3 answers ListObjectVersions and DeleteObjects only"),
            ))
        }
    };
    if bucket.is_empty() {
        return Err(invalid_argument("the request names no bucket (the sandbox's S3 is path-style: /{bucket})"));
    }
    Ok(Request { op, bucket: bucket.to_string(), query, body, headers: headers.clone() })
}

pub fn is_mutation(op: &str) -> bool {
    op == "DeleteObjects"
}

/// The bucket a request names, in the caller's account and region. Only buckets a
/// restore made have modelled contents; the source buckets the world protects do not.
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
    let max_keys = match q("max-keys") {
        None => MAX_KEYS,
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| invalid_argument(format!("Provided max-keys not an integer or within integer range: {v}")))?
            .min(MAX_KEYS as i64) as usize,
    };
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
    bucket(world, caller, &req.bucket)?;
    let name = req.bucket.clone();
    let Some(b) = world.region_mut(caller.account, &caller.region).buckets.get_mut(&name) else {
        return Err(no_such_bucket());
    };
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
                let marker = Version { id: id.clone(), delete_marker: true, size: 0, modified: now };
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

/// The integrity header DeleteObjects requires; a CRC32 or SHA-256 checksum is verified.
fn check_integrity(headers: &HeaderMap, body: &[u8]) -> Result<(), AwsError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let bad_digest = || {
        AwsError::new(
            StatusCode::BAD_REQUEST,
            "BadDigest",
            "The checksum you specified did not match what we received.",
        )
    };
    if let Some(sum) = header("x-amz-checksum-crc32") {
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(body);
        return (STANDARD.encode(hasher.finalize().to_be_bytes()) == sum).then_some(()).ok_or_else(bad_digest);
    }
    if let Some(sum) = header("x-amz-checksum-sha256") {
        return (STANDARD.encode(Sha256::digest(body)) == sum).then_some(()).ok_or_else(bad_digest);
    }
    let other = ["content-md5", "x-amz-checksum-crc32c", "x-amz-checksum-crc64nvme", "x-amz-checksum-sha1"];
    if other.iter().any(|h| header(h).is_some()) {
        return Ok(());
    }
    Err(AwsError::new(
        StatusCode::BAD_REQUEST,
        "InvalidRequest",
        "Missing required header for this request: Content-MD5 OR x-amz-checksum-*",
    ))
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
        assert!(check_integrity(&with("content-md5", "anything"), body).is_ok());
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
