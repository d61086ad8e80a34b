//! Assurance (issue 6): targets, measured RPO with its gaps, the coverage
//! trend, runbooks generated from the live state, timed drills and the
//! auditor's evidence pack.

pub mod digests;
pub mod drills;
pub mod evidence;
pub mod runbooks;
pub mod validator;

use shared::{CoverageTrendPoint, RpoGap, RpoPoint};

use crate::store::Tested;
use crate::time::{rfc3339, DAY_MS};

/// Whether a vault counts as central: any, or one of `assurance.central_vault_arns` when set.
fn central_vault(cfg: &crate::config::AssuranceConfig, vault_arn: &str) -> bool {
    cfg.central_vault_arns.is_empty() || cfg.central_vault_arns.iter().any(|v| v == vault_arn)
}

/// Whether a recovery point in `account`'s vault `vault_arn` is a copy of a
/// resource of `resource_account` in a central vault (another account's).
pub fn is_central(
    cfg: &crate::config::AssuranceConfig,
    resource_account: &str,
    account: &str,
    vault_arn: &str,
) -> bool {
    account != resource_account && central_vault(cfg, vault_arn)
}

/// The resource's newest completed copy in a central vault created before
/// `before`: (created, vault ARN).
pub async fn newest_central_copy(
    store: &crate::store::Store,
    cfg: &crate::config::AssuranceConfig,
    resource_arn: &str,
    resource_account: &str,
    before: i64,
) -> Result<Option<crate::store::HistoryPoint>, crate::store::StoreError> {
    let copy = store.recovery_point_before(resource_arn, resource_account, false, before).await?;
    Ok(copy.filter(|c| central_vault(cfg, &c.vault_arn)))
}

/// Recovery points of one kind (oldest first) as RPO points, and the gaps longer
/// than `target_ms`: between two points, and from the last point until `now`
/// (an open gap). `before` is the newest point preceding the window, if any.
pub fn rpo_series(
    kind: &str,
    times: &[i64],
    before: Option<i64>,
    now: i64,
    target_ms: i64,
) -> (Vec<RpoPoint>, Vec<RpoGap>) {
    let mut points = Vec::with_capacity(times.len());
    let mut gaps = Vec::new();
    let mut previous = before;
    for &at in times {
        let since = previous.map(|p| at - p);
        if let (Some(p), Some(d)) = (previous, since) {
            if d > target_ms {
                gaps.push(RpoGap {
                    kind: kind.to_string(),
                    from: rfc3339(p + target_ms),
                    to: Some(rfc3339(at)),
                    minutes_between: d / 60_000,
                });
            }
        }
        points.push(RpoPoint { at: rfc3339(at), minutes_since_previous: since.map(|d| d / 60_000) });
        previous = Some(at);
    }
    if let Some(p) = previous {
        if now - p > target_ms {
            gaps.push(RpoGap {
                kind: kind.to_string(),
                from: rfc3339(p + target_ms),
                to: None,
                minutes_between: (now - p) / 60_000,
            });
        }
    }
    (points, gaps)
}

/// Per day of the last `days` days (ending today), how many of `resources` had a
/// restore test that restored them (and how many one that a validator passed) in the
/// `window_days` days up to the end of that day.
pub fn coverage_trend(
    tests: &[Tested],
    resources: &std::collections::HashSet<String>,
    now: i64,
    days: i64,
    window_days: i64,
) -> Vec<CoverageTrendPoint> {
    let today = now.div_euclid(DAY_MS);
    let mut by_resource: std::collections::HashMap<&str, Vec<&Tested>> = std::collections::HashMap::new();
    for t in tests.iter().filter(|t| resources.contains(&t.resource_arn)) {
        by_resource.entry(t.resource_arn.as_str()).or_default().push(t);
    }
    (0..days)
        .rev()
        .map(|back| {
            let day = today - back;
            let end = ((day + 1) * DAY_MS).min(now + 1);
            let start = end - window_days * DAY_MS;
            let in_window = |t: &&&Tested| t.created_at >= start && t.created_at < end;
            let tested = by_resource.values().filter(|ts| ts.iter().any(|t| in_window(&t))).count() as i64;
            let validated =
                by_resource.values().filter(|ts| ts.iter().filter(in_window).any(|t| t.validated())).count() as i64;
            CoverageTrendPoint {
                date: crate::time::date(day * DAY_MS),
                resources: resources.len() as i64,
                tested,
                validated,
            }
        })
        .collect()
}

/// Whether a selection names a resource: listed by ARN (or `*`) and meeting every tag
/// condition; `None` when that depends on tags the console could not read, or on a
/// condition AWS's documentation leaves open (see `shared::TagCondition::holds`).
fn names(sel: &shared::RestoreTestingSelection, r: &shared::ProtectedResource) -> Option<bool> {
    if !sel.resource_arns.iter().any(|a| a == "*" || *a == r.resource_arn) {
        return Some(false);
    }
    let Some(tags) = &r.tags else {
        return if sel.conditions.is_empty() { Some(true) } else { None };
    };
    let answers: Vec<Option<bool>> = sel.conditions.iter().map(|c| c.holds(tags)).collect();
    if answers.contains(&Some(false)) {
        Some(false)
    } else if answers.contains(&None) {
        None
    } else {
        Some(true)
    }
}

/// Restore-test coverage per account and resource type, and the gaps (see
/// `GET /api/v1/assurance/coverage`).
/// Tested recently means a restore test that restored the resource (outcome passed or
/// restored) within `days`; validated recently, one that a validator also passed.
/// `within` keeps the (account, resource type) pairs of a scope.
pub async fn coverage(
    s: &crate::app::Console,
    days: i64,
    within: &(dyn Fn(&str, &str) -> bool + Sync),
) -> Result<shared::Coverage, crate::app::AppError> {
    let since = s.now() - days * crate::time::DAY_MS;
    let tests = s.store.tested_resources(since).await?;
    let tested: std::collections::HashSet<&str> = tests.iter().map(|t| t.resource_arn.as_str()).collect();
    let validated: std::collections::HashSet<&str> =
        tests.iter().filter(|t| t.validated()).map(|t| t.resource_arn.as_str()).collect();
    let plans = crate::store::all_pages(|q| {
        let store = s.store.clone();
        async move { store.list_plans(&q).await }
    })
    .await?;
    let resources = crate::store::all_pages(|q| {
        let store = s.store.clone();
        async move { store.list_protected_resources(&q, 0).await }
    })
    .await?;
    let mut rows: std::collections::BTreeMap<(String, String), shared::CoverageRow> = Default::default();
    let mut gaps = Vec::new();
    for r in resources {
        let selections = plans
            .iter()
            .filter(|p| p.account_id == r.account_id && p.region == r.region)
            .flat_map(|p| p.selections.iter())
            .filter(|sel| sel.resource_type == r.resource_type);
        let (mut named, mut by_tags) = (false, false);
        for sel in selections {
            match names(sel, &r) {
                Some(true) => named = true,
                Some(false) => {}
                None => by_tags = true,
            }
        }
        if !within(&r.account_id, &r.resource_type) {
            continue;
        }
        let is_tested = tested.contains(r.resource_arn.as_str());
        let row = rows.entry((r.account_id.clone(), r.resource_type.clone())).or_insert_with(|| shared::CoverageRow {
            account_id: r.account_id.clone(),
            resource_type: r.resource_type.clone(),
            resources: 0,
            covered: 0,
            covered_by_tags: 0,
            tested_recently: 0,
            validated_recently: 0,
            never_tested: 0,
        });
        row.resources += 1;
        row.covered += i64::from(named);
        row.covered_by_tags += i64::from(!named && by_tags);
        row.tested_recently += i64::from(is_tested);
        row.validated_recently += i64::from(validated.contains(r.resource_arn.as_str()));
        row.never_tested += i64::from(r.last_test_at.is_none());
        if !named && !is_tested && gaps.len() < 200 {
            gaps.push(r);
        }
    }
    Ok(shared::Coverage { days, rows: rows.into_values().collect(), gaps })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;

    #[test]
    fn gaps_between_points_and_until_now() {
        // Daily backups, one missed day, then nothing for two days.
        let times = [0, 24 * H, 72 * H, 96 * H];
        let (points, gaps) = rpo_series("backup", &times, None, 150 * H, 26 * H);
        assert_eq!(points.len(), 4);
        assert_eq!(points[0].minutes_since_previous, None);
        assert_eq!(points[2].minutes_since_previous, Some(48 * 60));
        assert_eq!(gaps.len(), 2);
        assert_eq!(gaps[0].from, rfc3339(24 * H + 26 * H));
        assert_eq!(gaps[0].to, Some(rfc3339(72 * H)));
        assert_eq!(gaps[0].minutes_between, 48 * 60);
        assert_eq!(gaps[1].to, None);
        assert_eq!(gaps[1].minutes_between, 54 * 60);
    }

    #[test]
    fn the_point_before_the_window_counts() {
        let (points, gaps) = rpo_series("copy", &[30 * H], Some(0), 31 * H, 26 * H);
        assert_eq!(points[0].minutes_since_previous, Some(30 * 60));
        assert_eq!(gaps.len(), 1);
    }

    #[test]
    fn trend_counts_resources_tested_in_the_window() {
        let resources: std::collections::HashSet<String> = ["a", "b"].iter().map(|s| s.to_string()).collect();
        let now = 10 * DAY_MS + 5 * H;
        let test = |arn: &str, created_at, passed| Tested { resource_arn: arn.into(), created_at, passed };
        let tests = vec![test("a", 2 * DAY_MS, 1), test("b", 9 * DAY_MS, 0), test("x", 9 * DAY_MS, 1)];
        let trend = coverage_trend(&tests, &resources, now, 3, 8);
        // Days 8, 9, 10: a window of 8 days up to the end of each (today: up to now).
        assert_eq!(trend.iter().map(|p| p.tested).collect::<Vec<_>>(), vec![1, 2, 1]);
        // Only a's test was validated, and it leaves the window on day 10.
        assert_eq!(trend.iter().map(|p| p.validated).collect::<Vec<_>>(), vec![1, 1, 0]);
        assert!(trend.iter().all(|p| p.resources == 2));
    }
}
