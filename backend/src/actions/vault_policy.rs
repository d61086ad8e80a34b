//! Whether a backup vault's access policy lets another account copy in
//! (`backup:CopyIntoBackupVault`), read the way IAM evaluates it: an explicit
//! Deny wins over any Allow, and a statement applies only when its conditions
//! hold. The console knows three condition keys of the copying account: its
//! organization (`aws:PrincipalOrgID`), its id (`aws:PrincipalAccount`,
//! `aws:SourceAccount`). A condition on any other key cannot be evaluated here,
//! so the verdict is "cannot tell", naming it.
//!
//! Sources: IAM User Guide, "IAM JSON policy elements: Condition operators"
//! (a negated operator such as `StringNotEquals` matches when the key is absent
//! from the request; `...IfExists` matches an absent key) and "Policy evaluation
//! logic" (an explicit deny overrides any allow).

use serde_json::Value;

/// What the console knows of the copying account.
#[derive(Debug, Clone, Copy)]
pub struct CopyingAccount<'a> {
    pub account_id: &'a str,
    /// Whether the account is an active member of the organization (`None`: unknown).
    pub in_organization: Option<bool>,
    /// The organization's id (`o-...`), when read.
    pub organization_id: Option<&'a str>,
}

/// The verdict on a vault access policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyVerdict {
    Allows,
    Refuses(String),
    CannotTell(String),
}

impl PolicyVerdict {
    pub fn ok(&self) -> Option<bool> {
        match self {
            Self::Allows => Some(true),
            Self::Refuses(_) => Some(false),
            Self::CannotTell(_) => None,
        }
    }
}

/// Whether a statement's part (or the whole Condition block) holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Holds {
    Yes,
    No,
    Unknown(String),
}

fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// IAM's `*` and `?` wildcards (StringLike).
fn like(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    go(&pattern.chars().collect::<Vec<_>>(), &text.chars().collect::<Vec<_>>())
}

/// The request's value of a condition key: `Ok(None)` when the key is absent,
/// `Err` when the console cannot know it.
fn key_value(key: &str, who: &CopyingAccount) -> Result<Option<String>, ()> {
    match key.to_ascii_lowercase().as_str() {
        "aws:principalaccount" | "aws:sourceaccount" => Ok(Some(who.account_id.to_string())),
        "aws:principalorgid" => match (who.in_organization, who.organization_id) {
            (Some(false), _) => Ok(None),
            (Some(true), Some(org)) => Ok(Some(org.to_string())),
            _ => Err(()),
        },
        _ => Err(()),
    }
}

/// One operator over one key, e.g. `StringNotEquals` `aws:PrincipalOrgID` `["o-1"]`.
fn condition_holds(operator: &str, key: &str, values: &[String], who: &CopyingAccount) -> Holds {
    let unknown = || Holds::Unknown(format!("{operator} {key}"));
    let (base, if_exists) = match operator.strip_suffix("IfExists") {
        Some(b) => (b, true),
        None => (operator, false),
    };
    let Ok(actual) = key_value(key, who) else { return unknown() };
    let (negated, matches): (bool, fn(&str, &str) -> bool) = match base {
        "StringEquals" => (false, |v, a| v == a),
        "StringNotEquals" => (true, |v, a| v == a),
        "StringEqualsIgnoreCase" => (false, |v, a| v.eq_ignore_ascii_case(a)),
        "StringNotEqualsIgnoreCase" => (true, |v, a| v.eq_ignore_ascii_case(a)),
        "StringLike" => (false, like),
        "StringNotLike" => (true, like),
        _ => return unknown(),
    };
    let Some(actual) = actual else {
        return if negated || if_exists { Holds::Yes } else { Holds::No };
    };
    let any = values.iter().any(|v| matches(v, &actual));
    if any != negated {
        Holds::Yes
    } else {
        Holds::No
    }
}

/// The Condition block: every operator and key must hold.
fn conditions_hold(block: &Value, who: &CopyingAccount) -> Holds {
    let Value::Object(operators) = block else { return Holds::Yes };
    let mut result = Holds::Yes;
    for (operator, keys) in operators {
        let Value::Object(keys) = keys else { return Holds::Unknown(operator.clone()) };
        for (key, values) in keys {
            match condition_holds(operator, key, &strings(values), who) {
                Holds::No => return Holds::No,
                Holds::Unknown(c) => result = Holds::Unknown(c),
                Holds::Yes => {}
            }
        }
    }
    result
}

fn statement_applies(s: &Value, who: &CopyingAccount) -> Holds {
    let action = strings(&s["Action"]).iter().any(|a| a == "backup:CopyIntoBackupVault" || a == "backup:*" || a == "*");
    let principals: Vec<String> = match &s["Principal"] {
        Value::String(p) => vec![p.clone()],
        p => strings(&p["AWS"]),
    };
    let account = who.account_id;
    let principal = principals.iter().any(|p| p == "*" || p == account || p.contains(&format!(":{account}:")));
    if !(action && principal) {
        return Holds::No;
    }
    conditions_hold(&s["Condition"], who)
}

fn label(s: &Value) -> String {
    s["Sid"].as_str().map(|sid| format!("statement {sid}")).unwrap_or_else(|| "a statement".into())
}

/// The verdict of a vault access policy on a copy from `who`.
pub fn copy_verdict(policy: &str, who: &CopyingAccount) -> PolicyVerdict {
    let Ok(doc) = serde_json::from_str::<Value>(policy) else {
        return PolicyVerdict::Refuses("the access policy is not JSON".into());
    };
    let statements = match &doc["Statement"] {
        Value::Array(s) => s.clone(),
        s @ Value::Object(_) => vec![s.clone()],
        _ => return PolicyVerdict::Refuses("the access policy has no statements".into()),
    };
    let of = |effect: &'static str| statements.iter().filter(move |s| s["Effect"] == effect);
    let mut unsure = None;
    for s in of("Deny") {
        match statement_applies(s, who) {
            Holds::Yes => return PolicyVerdict::Refuses(format!("{} denies it", label(s))),
            Holds::Unknown(c) => {
                unsure = Some(format!("{} denies it under a condition the console cannot evaluate ({c})", label(s)))
            }
            Holds::No => {}
        }
    }
    let mut allowed = None;
    for s in of("Allow") {
        match statement_applies(s, who) {
            Holds::Yes => allowed = Some(label(s)),
            Holds::Unknown(c) if unsure.is_none() && allowed.is_none() => {
                unsure = Some(format!("{} allows it under a condition the console cannot evaluate ({c})", label(s)))
            }
            _ => {}
        }
    }
    match (unsure, allowed) {
        (Some(why), _) => PolicyVerdict::CannotTell(why),
        (None, Some(_)) => PolicyVerdict::Allows,
        (None, None) => PolicyVerdict::Refuses("no statement allows it".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MEMBER: CopyingAccount =
        CopyingAccount { account_id: "111111111111", in_organization: Some(true), organization_id: Some("o-1") };
    const OUTSIDER: CopyingAccount =
        CopyingAccount { account_id: "999999999999", in_organization: Some(false), organization_id: Some("o-1") };

    #[test]
    fn allow_statements() {
        let org = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:CopyIntoBackupVault","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#;
        assert_eq!(copy_verdict(org, &MEMBER), PolicyVerdict::Allows);
        assert!(matches!(copy_verdict(org, &OUTSIDER), PolicyVerdict::Refuses(_)));
        let other_org = CopyingAccount { organization_id: Some("o-2"), ..MEMBER };
        assert!(matches!(copy_verdict(org, &other_org), PolicyVerdict::Refuses(_)));
        let unknown_org = CopyingAccount { organization_id: None, ..MEMBER };
        assert!(matches!(copy_verdict(org, &unknown_org), PolicyVerdict::CannotTell(_)));
        let account = r#"{"Statement":{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111111111111:root"]},"Action":["backup:CopyIntoBackupVault"]}}"#;
        assert_eq!(copy_verdict(account, &MEMBER), PolicyVerdict::Allows);
        assert!(matches!(copy_verdict(account, &OUTSIDER), PolicyVerdict::Refuses(_)));
        assert!(matches!(copy_verdict("not json", &MEMBER), PolicyVerdict::Refuses(_)));
    }

    #[test]
    fn deny_statements_apply_only_when_their_conditions_hold() {
        let deny_all = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:*"},{"Effect":"Deny","Principal":"*","Action":"backup:CopyIntoBackupVault"}]}"#;
        assert!(matches!(copy_verdict(deny_all, &MEMBER), PolicyVerdict::Refuses(_)));
        // The landing-zone pattern: deny outside the organization, allow inside.
        let outside_org = r#"{"Statement":[
            {"Sid":"DenyOutsideOrg","Effect":"Deny","Principal":"*","Action":"backup:CopyIntoBackupVault","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalOrgID":"o-1"}}},
            {"Effect":"Allow","Principal":"*","Action":"backup:CopyIntoBackupVault","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}}]}"#;
        assert_eq!(copy_verdict(outside_org, &MEMBER), PolicyVerdict::Allows);
        assert_eq!(
            copy_verdict(outside_org, &OUTSIDER),
            PolicyVerdict::Refuses("statement DenyOutsideOrg denies it".into()),
            "an absent aws:PrincipalOrgID makes StringNotEquals hold"
        );
        let by_account = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:*"},
            {"Effect":"Deny","Principal":"*","Action":"backup:CopyIntoBackupVault","Condition":{"StringNotLike":{"aws:SourceAccount":["1111*"]}}}]}"#;
        assert_eq!(copy_verdict(by_account, &MEMBER), PolicyVerdict::Allows);
        assert!(matches!(copy_verdict(by_account, &OUTSIDER), PolicyVerdict::Refuses(_)));
        let paths = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:*"},
            {"Effect":"Deny","Principal":"*","Action":"backup:CopyIntoBackupVault","Condition":{"ForAnyValue:StringNotLike":{"aws:PrincipalOrgPaths":["o-1/r-1/ou-1/*"]}}}]}"#;
        let verdict = copy_verdict(paths, &MEMBER);
        assert!(
            matches!(&verdict, PolicyVerdict::CannotTell(why) if why.contains("aws:PrincipalOrgPaths")),
            "{verdict:?}"
        );
        let other_account = r#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"backup:*"},
            {"Effect":"Deny","Principal":{"AWS":"222222222222"},"Action":"backup:CopyIntoBackupVault"}]}"#;
        assert_eq!(copy_verdict(other_account, &MEMBER), PolicyVerdict::Allows);
    }
}
