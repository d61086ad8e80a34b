//! Restore-test checks as admins and the config file give them: checked once,
//! with errors naming the field.

use shared::RestoreTestChecks;

/// Items a check may ask for at most (a Scan reads them all, 1 MB a page).
pub const MAX_MIN_ITEMS: i64 = 10_000_000;
/// Keys a check may read with GetItem.
pub const MAX_KEYS: usize = 20;

/// Whether `text` is a restore testing plan ARN
/// (`arn:aws:backup:REGION:ACCOUNT:restore-testing-plan:NAME`).
pub fn is_plan_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.splitn(7, ':').collect();
    matches!(parts.as_slice(),
        ["arn", partition, "backup", region, account, "restore-testing-plan", name]
            if partition.starts_with("aws") && super::Region::is(region) && super::AccountId::is(account) && !name.is_empty())
}

/// Checks a set of checks; the error names the field.
pub fn check(c: &RestoreTestChecks) -> Result<(), String> {
    if !is_plan_arn(&c.plan_arn) {
        return Err(format!("plan_arn: {:?} is not a restore testing plan ARN", c.plan_arn));
    }
    if let Some(name) = &c.selection_name {
        let ok = (1..=50).contains(&name.len()) && name.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_');
        if !ok {
            return Err(format!(
                "selection_name: {name:?} is not a restore testing selection name (1-50 letters, digits or _)"
            ));
        }
    }
    if let Some(n) = c.min_items.filter(|n| !(0..=MAX_MIN_ITEMS).contains(n)) {
        return Err(format!("min_items: from 0 to {MAX_MIN_ITEMS}, got {n}"));
    }
    if c.keys.len() > MAX_KEYS {
        return Err(format!("keys: at most {MAX_KEYS} keys, got {}", c.keys.len()));
    }
    for (i, key) in c.keys.iter().enumerate() {
        if key.is_empty() || key.len() > 2 || key.iter().any(|(name, value)| name.is_empty() || value.is_empty()) {
            return Err(format!(
                "keys[{i}]: a full primary key: one or two attribute names (partition and sort key), each with a non-empty string value"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checks(plan: &str) -> RestoreTestChecks {
        RestoreTestChecks {
            plan_arn: plan.into(),
            selection_name: None,
            min_items: Some(10),
            keys: vec![[("pk".to_string(), "a".to_string())].into()],
            rds_matches_source: true,
        }
    }

    #[test]
    fn errors_name_the_field() {
        let plan = "arn:aws:backup:ap-southeast-2:111111111111:restore-testing-plan:daily-1a2b";
        assert_eq!(check(&checks(plan)), Ok(()));
        assert!(check(&checks("arn:aws:backup:x")).err().unwrap_or_default().starts_with("plan_arn"));
        let mut c = checks(plan);
        c.min_items = Some(-1);
        assert!(check(&c).err().unwrap_or_default().starts_with("min_items"));
        c.min_items = None;
        c.keys = vec![Default::default()];
        assert!(check(&c).err().unwrap_or_default().starts_with("keys[0]"));
        c.keys.clear();
        c.selection_name = Some("has space".into());
        assert!(check(&c).err().unwrap_or_default().starts_with("selection_name"));
    }
}
