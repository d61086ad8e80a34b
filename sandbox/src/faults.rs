//! Faults on demand: latency, throttling, server errors, lost responses and
//! denied AssumeRole, set by flags at start and changed at run time through
//! `PUT /_sandbox/faults`.

use rand::Rng;
use serde::{Deserialize, Serialize};

/// The fault settings. Rates are probabilities from 0 to 1 per request.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every matching request, in milliseconds.
    pub latency_ms: u64,
    /// Share of matching requests answered with a throttling error.
    pub throttle_rate: f64,
    /// Share of matching requests answered with a 5xx error.
    pub error_rate: f64,
    /// Share of matching requests that take effect but whose answer is lost.
    pub lost_response_rate: f64,
    /// Share of matching requests answered `ResourceNotFoundException`, as AWS answers a
    /// describe of an item that vanished after the list named it (a protected resource
    /// whose last recovery point expired, a plan or vault deleted in between; the Backup
    /// model lists ResourceNotFoundException among the errors of each describe and get).
    pub not_found_rate: f64,
    /// The next N matching requests take effect and lose their answer.
    pub lose_next: u32,
    /// Accounts into which AssumeRole is denied.
    pub deny_accounts: Vec<String>,
    /// Operations the faults above apply to (all when empty), e.g. "StartRestoreJob".
    pub operations: Vec<String>,
    /// Calling accounts the faults above apply to (all when empty).
    pub accounts: Vec<String>,
}

/// What happens to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    Throttle,
    ServerError,
    LoseResponse,
    NotFound,
}

impl Faults {
    pub fn validate(&self) -> Result<(), String> {
        for (name, rate) in [
            ("throttle_rate", self.throttle_rate),
            ("error_rate", self.error_rate),
            ("lost_response_rate", self.lost_response_rate),
            ("not_found_rate", self.not_found_rate),
        ] {
            if !(0.0..=1.0).contains(&rate) {
                return Err(format!("{name} must be between 0 and 1, got {rate}"));
            }
        }
        for account in self.deny_accounts.iter().chain(&self.accounts) {
            if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{account:?} is not a 12-digit AWS account id"));
            }
        }
        Ok(())
    }

    fn applies(&self, op: &str, account: &str) -> bool {
        (self.operations.is_empty() || self.operations.iter().any(|o| o == op))
            && (self.accounts.is_empty() || self.accounts.iter().any(|a| a == account))
    }

    /// Decides the latency and fault of one request; consumes `lose_next`.
    pub fn decide(&mut self, op: &str, account: &str, rng: &mut impl Rng) -> (u64, Option<Fault>) {
        if !self.applies(op, account) {
            return (0, None);
        }
        let fault = if self.lose_next > 0 {
            self.lose_next -= 1;
            Some(Fault::LoseResponse)
        } else if rng.gen::<f64>() < self.throttle_rate {
            Some(Fault::Throttle)
        } else if rng.gen::<f64>() < self.error_rate {
            Some(Fault::ServerError)
        } else if rng.gen::<f64>() < self.lost_response_rate {
            Some(Fault::LoseResponse)
        } else if rng.gen::<f64>() < self.not_found_rate {
            Some(Fault::NotFound)
        } else {
            None
        };
        (self.latency_ms, fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn filters_and_counts_apply() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        let mut f = Faults { lose_next: 1, operations: vec!["StartRestoreJob".into()], ..Faults::default() };
        assert_eq!(f.decide("ListBackupJobs", "111111111111", &mut rng), (0, None));
        assert_eq!(f.decide("StartRestoreJob", "111111111111", &mut rng), (0, Some(Fault::LoseResponse)));
        assert_eq!(f.decide("StartRestoreJob", "111111111111", &mut rng), (0, None));
        let mut always = Faults { throttle_rate: 1.0, latency_ms: 5, ..Faults::default() };
        assert_eq!(always.decide("X", "1", &mut rng), (5, Some(Fault::Throttle)));
        assert!(Faults { error_rate: 1.5, ..Faults::default() }.validate().is_err());
        assert!(Faults { deny_accounts: vec!["12".into()], ..Faults::default() }.validate().is_err());
    }
}
