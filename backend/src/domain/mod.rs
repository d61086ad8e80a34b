//! The console's vocabulary, checked once where it comes in (configuration, API
//! parameters, request bodies): account ids, regions, role and vault ARNs, the
//! hash of a request's parameters, and the RPO/RTO targets of a resource.
//! Nothing here does I/O.

pub mod checks;
mod targets;

/// How the subjects of people signed in behind the ALB begin: the ALB's identity
/// provider is another namespace than the configured OIDC issuer's, so its `sub`
/// never acts as an OIDC person of the same `sub` (security review, finding 11).
pub const ALB_SUBJECT_PREFIX: &str = "alb:";

/// The person behind a subject, however they signed in. Four-eyes compares people
/// by it: the same `sub` signed in through the ALB and through OIDC never approves
/// their own request, nor approves it twice. Ownership (cancelling) compares subjects.
pub fn person(subject: &str) -> &str {
    subject.strip_prefix(ALB_SUBJECT_PREFIX).unwrap_or(subject)
}

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use targets::{Target, Targets, MAX_RESOURCE_TARGETS};

/// A value that is not what its field needs; the message names the field's kind and the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not {what}")]
pub struct Invalid {
    pub what: &'static str,
    pub value: String,
}

fn invalid(what: &'static str, value: &str) -> Invalid {
    Invalid { what, value: value.to_string() }
}

/// Defines a checked string newtype: `parse`, `as_str`, `Display`, `FromStr`, and
/// serde through `String`, so a configuration file with a bad value is refused by name.
macro_rules! checked_string {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Whether `text` is valid, without keeping it.
            pub fn is(text: &str) -> bool {
                let check: fn(&str) -> bool = $check;
                check(text)
            }

            pub fn parse(text: &str) -> Result<Self, Invalid> {
                if Self::is(text) {
                    Ok(Self(text.to_string()))
                } else {
                    Err(invalid($what, text))
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl FromStr for $name {
            type Err = Invalid;
            fn from_str(text: &str) -> Result<Self, Invalid> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = Invalid;
            fn try_from(text: String) -> Result<Self, Invalid> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

checked_string!(
    /// A 12-digit AWS account id.
    AccountId,
    "an AWS account id (12 digits)",
    |id| id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
);

checked_string!(
    /// An AWS region name such as `ap-southeast-2` or `us-gov-west-1`.
    Region,
    "an AWS region (such as ap-southeast-2)",
    |region| {
        let parts: Vec<&str> = region.split('-').collect();
        parts.len() >= 3
            && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()))
            && parts.last().is_some_and(|p| p.bytes().all(|b| b.is_ascii_digit()))
    }
);

checked_string!(
    /// An IAM role ARN (`arn:<partition>:iam::<account>:role/<path/name>`).
    RoleArn,
    "an IAM role ARN",
    |arn| Arn::parse(arn).is_some_and(|a| {
        a.service == "iam"
            && a.region.is_empty()
            && AccountId::parse(a.account).is_ok()
            && a.resource.starts_with("role/")
            && a.resource.len() > 5
    })
);

/// The parts of any ARN: `arn:partition:service:region:account:resource`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arn<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> Arn<'a> {
    /// The parts of `text`, when it has all six and the partition, service and resource are not empty.
    pub fn parse(text: &'a str) -> Option<Self> {
        let mut parts = text.splitn(6, ':');
        let (Some("arn"), Some(partition), Some(service), Some(region), Some(account), Some(resource)) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let known_partition = matches!(partition, "aws" | "aws-cn" | "aws-us-gov" | "aws-iso" | "aws-iso-b")
            || partition.starts_with("aws-");
        (known_partition && !service.is_empty() && !resource.is_empty()).then_some(Arn {
            partition,
            service,
            region,
            account,
            resource,
        })
    }
}

/// Whether `text` is an ARN at all (the API's filters take any resource ARN).
pub fn is_arn(text: &str) -> bool {
    Arn::parse(text).is_some()
}

/// A backup vault ARN, by its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VaultArn {
    pub region: Region,
    pub account: AccountId,
    pub name: String,
}

impl VaultArn {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let bad = || invalid("a backup vault ARN", text);
        let arn = Arn::parse(text).filter(|a| a.service == "backup").ok_or_else(bad)?;
        let name = arn.resource.strip_prefix("backup-vault:").filter(|n| !n.is_empty()).ok_or_else(bad)?;
        Ok(VaultArn {
            region: Region::parse(arn.region).map_err(|_| bad())?,
            account: AccountId::parse(arn.account).map_err(|_| bad())?,
            name: name.to_string(),
        })
    }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters
/// (how restore testing plans name vaults: `arn:aws:backup:*:*:backup-vault:prod-*`).
pub fn wildcard(pattern: &str, text: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == text,
        Some((head, rest)) => {
            let Some(tail) = text.strip_prefix(head) else { return false };
            (0..=tail.len()).filter(|i| tail.is_char_boundary(*i)).any(|i| wildcard(rest, &tail[i..]))
        }
    }
}

/// SHA-256 of the canonical JSON of a request's parameters (sorted keys, no
/// whitespace), hex: what approvers approve and the executor checks again.
pub fn params_hash(params: &serde_json::Value) -> String {
    crate::digest::sha256_hex(params.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_alb_and_oidc_subjects_of_one_sub_are_one_person() {
        assert_eq!(person("alb:x-123"), person("x-123"));
        assert_eq!(person("alice"), "alice");
        assert_ne!(person("alb:x-123"), person("alb:x-124"));
    }

    #[test]
    fn wildcards_match_runs_of_characters() {
        let vault = "arn:aws:backup:ap-southeast-2:111111111111:backup-vault:workload-a-vault";
        assert!(wildcard("*", vault));
        assert!(wildcard(vault, vault));
        assert!(wildcard("arn:aws:backup:*:111111111111:backup-vault:workload-a-*", vault));
        assert!(wildcard("*:backup-vault:*-vault", vault));
        assert!(!wildcard("arn:aws:backup:*:222222222222:backup-vault:*", vault));
        assert!(!wildcard("arn:aws:backup:*:*:backup-vault:central-*", vault));
        assert!(!wildcard("", vault));
    }

    #[test]
    fn ids_are_checked() {
        assert!(AccountId::parse("111111111111").is_ok());
        assert_eq!(
            AccountId::parse("11111111111").unwrap_err().to_string(),
            "\"11111111111\" is not an AWS account id (12 digits)"
        );
        for ok in ["ap-southeast-2", "us-gov-west-1"] {
            assert!(Region::parse(ok).is_ok(), "{ok}");
        }
        for bad in ["us-east", "EU-1-2", "eu--1", ""] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
        assert!(RoleArn::parse("arn:aws:iam::111111111111:role/path/Name").is_ok());
        assert!(RoleArn::parse("arn:aws-us-gov:iam::111111111111:role/Name").is_ok());
        assert!(RoleArn::parse("arn:aws:iam::1:role/x").is_err());
        assert!(RoleArn::parse("arn:aws:iam::111111111111:user/x").is_err());
        assert!(is_arn("arn:aws:dynamodb:ap-southeast-2:111111111111:table/orders"));
        assert!(!is_arn("arn:aws:dynamodb"));
    }

    #[test]
    fn vault_arns_have_named_parts() {
        let v = VaultArn::parse("arn:aws:backup:ap-southeast-2:222222222222:backup-vault:central-vault").unwrap();
        assert_eq!(
            (v.region.as_str(), v.account.as_str(), v.name.as_str()),
            ("ap-southeast-2", "222222222222", "central-vault")
        );
        assert!(VaultArn::parse("arn:aws:backup:ap-southeast-2:2:backup-vault:x").is_err());
        assert!(VaultArn::parse("arn:aws:backup:ap-southeast-2:222222222222:backup-vault:").is_err());
        assert!(VaultArn::parse("arn:aws:backup:ap-southeast-2:222222222222:backup-plan:x").is_err());
    }

    #[test]
    fn ids_deserialize_through_their_check() {
        let id: AccountId = serde_json::from_str("\"111111111111\"").unwrap();
        assert_eq!(id, "111111111111");
        assert!(serde_json::from_str::<AccountId>("\"12\"").is_err());
    }

    #[test]
    fn the_hash_is_of_sorted_keys() {
        let a = params_hash(&serde_json::json!({"b": 1, "a": {"y": 2, "x": 1}}));
        let b = params_hash(&serde_json::from_str(r#"{"a": {"x": 1, "y": 2}, "b": 1}"#).unwrap());
        assert_eq!(a, b);
        assert_ne!(a, params_hash(&serde_json::json!({"b": 2, "a": {"y": 2, "x": 1}})));
    }
}
