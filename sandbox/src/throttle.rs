//! Request rates as AWS enforces them: token buckets over wall-clock time (AWS's
//! rates are per real second, whatever the sandbox clock does).
//!
//! - AWS Backup: one bucket per (account, Region, operation). The AWS General Reference
//!   page "AWS Backup endpoints and quotas" (docs.aws.amazon.com/general/latest/gr/bk.html)
//!   lists a default number of calls per second for each API name ("If you regularly
//!   receive throttling exceptions, you should use a quota limiter"). ASSUMPTION: the
//!   figures of that table could not be read from the stored copies available while this
//!   was written, so every operation defaults to [`BACKUP_DEFAULT`] (10 per second, a
//!   burst of 10) and each can be set on its own (`--api-rate OP=RATE[/BURST]`).
//!   Backup's model declares no throttling error; AWS's common errors answer
//!   `ThrottlingException` with HTTP 400, which the SDKs classify as throttling.
//! - Organizations: one bucket for the whole organization ("AWS Organizations limits
//!   apply at the organization level", Organizations User Guide, "Quotas and service
//!   limits"), answered with the model's `TooManyRequestsException` (HTTP 400).
//!   Organizations documents no rate for ListAccounts or DescribeOrganization.
//!   ASSUMPTION: a burst of 20 refilled at 2 per second ([`ORGANIZATIONS_DEFAULT`]). This
//!   bucket applies whether or not the Backup rates are on, as it always has.

use std::collections::{BTreeMap, HashMap};
use std::time::Instant;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};

use super::protocol::AwsError;

/// A sustained rate and the burst a full bucket allows.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Rate {
    pub per_second: f64,
    pub burst: f64,
}

/// ASSUMPTION (module comment): AWS Backup's calls per second for every operation.
pub const BACKUP_DEFAULT: Rate = Rate { per_second: 10.0, burst: 10.0 };
/// ASSUMPTION (module comment): Organizations' rate for the whole organization.
pub const ORGANIZATIONS_DEFAULT: Rate = Rate { per_second: 2.0, burst: 20.0 };

impl Rate {
    fn validate(&self, name: &str) -> Result<(), String> {
        let ok = |v: f64| v.is_finite() && v > 0.0 && v <= 1_000_000.0;
        if !ok(self.per_second) || !ok(self.burst) || self.burst < 1.0 {
            return Err(format!(
                "{name}: per_second must be above 0 and burst at least 1 (at most 1000000 each), got {}/{}",
                self.per_second, self.burst
            ));
        }
        Ok(())
    }

    /// Parses `RATE` or `RATE/BURST` (the burst defaults to the rate, at least 1).
    pub fn parse(text: &str) -> Result<Self, String> {
        let number = |s: &str| s.trim().parse::<f64>().map_err(|_| format!("{s:?} is not a number"));
        let rate = match text.split_once('/') {
            Some((rate, burst)) => Rate { per_second: number(rate)?, burst: number(burst)? },
            None => {
                let per_second = number(text)?;
                Rate { per_second, burst: per_second.max(1.0) }
            }
        };
        rate.validate(text)?;
        Ok(rate)
    }
}

/// The rate settings, set by flags at start and through `PUT /_sandbox/throttle`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Throttle {
    /// Whether AWS Backup's per-(account, Region, operation) rates apply. Off unless asked
    /// for (`--throttle aws`), so tests and demos that do not ask see no throttling.
    pub backup: bool,
    /// The rate of every Backup operation without its own entry in `operations`.
    pub backup_rate: Rate,
    /// Per-operation Backup rates, e.g. `ListRecoveryPointsByBackupVault`.
    pub operations: BTreeMap<String, Rate>,
    /// Organizations' rate for the whole organization (always applied).
    pub organizations: Rate,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            backup: false,
            backup_rate: BACKUP_DEFAULT,
            operations: BTreeMap::new(),
            organizations: ORGANIZATIONS_DEFAULT,
        }
    }
}

impl Throttle {
    pub fn validate(&self) -> Result<(), String> {
        self.backup_rate.validate("backup_rate")?;
        self.organizations.validate("organizations")?;
        for (op, rate) in &self.operations {
            if op.is_empty() || !op.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(format!("{op:?} is not an operation name"));
            }
            rate.validate(op)?;
        }
        Ok(())
    }

    fn backup_rate_of(&self, op: &str) -> Rate {
        self.operations.get(op).copied().unwrap_or(self.backup_rate)
    }
}

#[derive(Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: Rate, now: Instant) -> Self {
        Self { tokens: rate.burst, at: now }
    }

    /// Spends one request if the bucket holds a token.
    fn take(&mut self, rate: Rate, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * rate.per_second;
        self.tokens = (self.tokens + refill).min(rate.burst);
        self.at = now;
        if self.tokens < 1.0 {
            return false;
        }
        self.tokens -= 1.0;
        true
    }
}

/// The buckets and the settings they follow.
#[derive(Debug)]
pub struct Buckets {
    settings: Throttle,
    organizations: Bucket,
    backup: HashMap<(String, String, &'static str), Bucket>,
    /// Requests refused since start, for the control API.
    refused: u64,
}

impl Buckets {
    pub fn new(settings: Throttle) -> Self {
        let now = Instant::now();
        Self { organizations: Bucket::new(settings.organizations, now), settings, backup: HashMap::new(), refused: 0 }
    }

    pub fn settings(&self) -> &Throttle {
        &self.settings
    }

    pub fn refused(&self) -> u64 {
        self.refused
    }

    /// New settings; the buckets start full again.
    pub fn set(&mut self, settings: Throttle) {
        *self = Self { refused: self.refused, ..Self::new(settings) };
    }

    /// Spends one Organizations request, or refuses it as Organizations does.
    pub fn organizations(&mut self, now: Instant) -> Result<(), AwsError> {
        if self.organizations.take(self.settings.organizations, now) {
            return Ok(());
        }
        self.refused += 1;
        Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "TooManyRequestsException",
            "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.",
        ))
    }

    /// Spends one request of a Backup operation in (account, Region), or refuses it as
    /// AWS does (common errors: ThrottlingException, HTTP 400).
    pub fn backup(&mut self, account: &str, region: &str, op: &'static str, now: Instant) -> Result<(), AwsError> {
        if !self.settings.backup {
            return Ok(());
        }
        let rate = self.settings.backup_rate_of(op);
        let bucket =
            self.backup.entry((account.to_string(), region.to_string(), op)).or_insert_with(|| Bucket::new(rate, now));
        if bucket.take(rate, now) {
            return Ok(());
        }
        self.refused += 1;
        Err(AwsError::new(StatusCode::BAD_REQUEST, "ThrottlingException", "Rate exceeded"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_organizations_rate_allows_a_burst_then_refills() {
        let start = Instant::now();
        let mut b = Buckets::new(Throttle::default());
        for _ in 0..20 {
            assert!(b.organizations(start).is_ok());
        }
        let refused = b.organizations(start).err().map(|e| e.code);
        assert_eq!(refused, Some("TooManyRequestsException"));
        assert!(b.organizations(start + Duration::from_millis(500)).is_ok(), "one more after half a second");
        assert!(b.organizations(start + Duration::from_millis(500)).is_err());
    }

    #[test]
    fn backup_rates_apply_per_account_region_and_operation_only_when_on() {
        let start = Instant::now();
        let mut off = Buckets::new(Throttle::default());
        assert!((0..1000).all(|_| off.backup("111111111111", "us-east-1", "ListBackupJobs", start).is_ok()));

        let mut operations = BTreeMap::new();
        operations.insert("ListBackupJobs".to_string(), Rate { per_second: 1.0, burst: 2.0 });
        let mut b = Buckets::new(Throttle { backup: true, operations, ..Throttle::default() });
        let call = |b: &mut Buckets, account: &str, region: &str, op: &'static str, at: Instant| {
            b.backup(account, region, op, at).err().map(|e| (e.status, e.code))
        };
        assert_eq!(call(&mut b, "111111111111", "us-east-1", "ListBackupJobs", start), None);
        assert_eq!(call(&mut b, "111111111111", "us-east-1", "ListBackupJobs", start), None);
        assert_eq!(
            call(&mut b, "111111111111", "us-east-1", "ListBackupJobs", start),
            Some((StatusCode::BAD_REQUEST, "ThrottlingException"))
        );
        // Another Region, account or operation has its own bucket.
        assert_eq!(call(&mut b, "111111111111", "us-west-2", "ListBackupJobs", start), None);
        assert_eq!(call(&mut b, "222222222222", "us-east-1", "ListBackupJobs", start), None);
        for _ in 0..10 {
            assert_eq!(call(&mut b, "111111111111", "us-east-1", "ListBackupVaults", start), None);
        }
        assert!(call(&mut b, "111111111111", "us-east-1", "ListBackupVaults", start).is_some(), "default burst 10");
        // The bucket refills at its rate.
        assert_eq!(call(&mut b, "111111111111", "us-east-1", "ListBackupJobs", start + Duration::from_secs(1)), None);
        assert_eq!(b.refused(), 2);
    }

    #[test]
    fn rates_parse_and_bad_ones_are_named() {
        assert_eq!(Rate::parse("5"), Ok(Rate { per_second: 5.0, burst: 5.0 }));
        assert_eq!(Rate::parse("0.5"), Ok(Rate { per_second: 0.5, burst: 1.0 }));
        assert_eq!(Rate::parse("2/8"), Ok(Rate { per_second: 2.0, burst: 8.0 }));
        assert!(Rate::parse("x").err().is_some_and(|e| e.contains("not a number")));
        assert!(Rate::parse("0").is_err());
        let mut operations = BTreeMap::new();
        operations.insert("List Jobs".to_string(), BACKUP_DEFAULT);
        assert!(Throttle { operations, ..Throttle::default() }.validate().is_err());
    }
}
