//! AWS Organizations over awsJson1_1: DescribeOrganization and ListAccounts.

use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Value};

use super::backup::{decode_position, encode_position, page};
use super::protocol::{epoch, json_input, json_operation, max_results, AwsError};
use super::world::{World, HUB_ACCOUNT, ORG_ID};
use super::Caller;

const TARGET_PREFIX: &str = "AWSOrganizationsV20161128.";

/// Organizations' request rate: a token bucket over wall-clock time (AWS's rates
/// are per real second, whatever the sandbox clock does), shared by the whole
/// organization ("AWS Organizations limits apply at the organization level",
/// Organizations User Guide, "Quotas and service limits"). AWS documents no rate
/// for ListAccounts or DescribeOrganization; the model's TooManyRequestsException
/// says only "too many requests in too short a period of time". ASSUMPTION: a burst
/// of 20 requests, refilled at 2 per second.
#[derive(Debug)]
pub struct RequestRate {
    tokens: f64,
    at: std::time::Instant,
}

impl RequestRate {
    pub const BURST: f64 = 20.0;
    pub const PER_SECOND: f64 = 2.0;

    pub fn new() -> Self {
        Self { tokens: Self::BURST, at: std::time::Instant::now() }
    }

    /// Spends one request, or refuses it with TooManyRequestsException (HTTP 400,
    /// as Organizations' awsJson1_1 errors are).
    pub fn take(&mut self, now: std::time::Instant) -> Result<(), AwsError> {
        let refill = now.saturating_duration_since(self.at).as_secs_f64() * Self::PER_SECOND;
        self.tokens = (self.tokens + refill).min(Self::BURST);
        self.at = now;
        if self.tokens < 1.0 {
            return Err(AwsError::new(
                StatusCode::BAD_REQUEST,
                "TooManyRequestsException",
                "You have sent too many requests in too short a period of time. The quota helps protect against denial-of-service attacks. Try again later.",
            ));
        }
        self.tokens -= 1.0;
        Ok(())
    }
}

impl Default for RequestRate {
    fn default() -> Self {
        Self::new()
    }
}

pub fn identify(headers: &HeaderMap) -> Result<&'static str, AwsError> {
    json_operation(headers, TARGET_PREFIX, &["DescribeOrganization", "ListAccounts"])
}

fn account_arn(id: &str) -> String {
    format!("arn:aws:organizations::{HUB_ACCOUNT}:account/{ORG_ID}/{id}")
}

pub fn call(world: &World, caller: &Caller, op: &str, body: &[u8]) -> Result<Value, AwsError> {
    if !world.accounts[caller.account].in_organization {
        return Err(AwsError::new(
            StatusCode::BAD_REQUEST,
            "AWSOrganizationsNotInUseException",
            "Your account is not a member of an organization.",
        ));
    }
    let input: Value = json_input(body)?;
    match op {
        "DescribeOrganization" => Ok(json!({
            "Organization": {
                "Id": ORG_ID,
                "Arn": format!("arn:aws:organizations::{HUB_ACCOUNT}:organization/{ORG_ID}"),
                "FeatureSet": "ALL",
                "MasterAccountArn": account_arn(HUB_ACCOUNT),
                "MasterAccountId": HUB_ACCOUNT,
                "MasterAccountEmail": "aws+management@example.com",
                "AvailablePolicyTypes": [{ "Type": "SERVICE_CONTROL_POLICY", "Status": "ENABLED" }],
            }
        })),
        "ListAccounts" => {
            if !caller.is_hub {
                return Err(AwsError::access_denied(
                    "AccessDeniedException",
                    "You don't have permissions to access this resource: ListAccounts needs the management account or a delegated administrator.",
                ));
            }
            let invalid = |m: String| AwsError::new(StatusCode::BAD_REQUEST, "InvalidInputException", m);
            let max = match &input["MaxResults"] {
                Value::Null => 20,
                v => max_results(Some(&v.to_string()), 20, 20).map_err(|e| invalid(e.message))?,
            };
            let scope = format!("ListAccounts:{}", caller.account_id);
            let position =
                decode_position(world, &scope, input["NextToken"].as_str()).map_err(|e| invalid(e.message))?;
            let members: Vec<_> = world.accounts.iter().filter(|a| a.in_organization).collect();
            // Oldest first, as Organizations lists them: walk the reversed list newest first.
            let reversed: Vec<_> = members.into_iter().rev().collect();
            let (items, next) = page(&[(0, reversed.as_slice())], position, max, |_, _, a| {
                Some(json!({
                    "Id": a.id,
                    "Arn": account_arn(&a.id),
                    "Email": a.email,
                    "Name": a.name,
                    "Status": "ACTIVE",
                    "State": "ACTIVE",
                    "JoinedMethod": if a.id == HUB_ACCOUNT { "CREATED" } else { "INVITED" },
                    "JoinedTimestamp": epoch(a.joined),
                }))
            });
            Ok(json!({ "Accounts": items, "NextToken": encode_position(world, &scope, next) }))
        }
        other => Err(AwsError::invalid_request(format!("unknown operation {other}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::RequestRate;
    use std::time::{Duration, Instant};

    #[test]
    fn the_request_rate_allows_a_burst_then_refills() {
        let start = Instant::now();
        let mut rate = RequestRate { tokens: RequestRate::BURST, at: start };
        for _ in 0..20 {
            assert!(rate.take(start).is_ok());
        }
        let refused = rate.take(start).err().map(|e| e.code);
        assert_eq!(refused, Some("TooManyRequestsException"));
        assert!(rate.take(start + Duration::from_millis(500)).is_ok(), "one more after half a second");
        assert!(rate.take(start + Duration::from_millis(500)).is_err());
    }
}
