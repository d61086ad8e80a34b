//! Assurance (issue 6): targets, measured RPO with its gaps, the coverage
//! trend, runbooks generated from the live state, timed drills and the
//! auditor's evidence pack.

pub mod digests;
pub mod drills;
pub mod evidence;
pub mod runbooks;
pub mod validator;
pub mod warm;

use std::collections::HashMap;
use std::sync::Arc;

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

/// What the coverage answers read from the inventory, gathered once per inventory
/// version ([`crate::store::Store::derived`]): what changes with the clock (which tests
/// are recent) is decided per answer, so an answer equals one computed from scratch.
pub struct CoverageInputs {
    /// The protected resources (not gone) in the order their list gives them, each
    /// with whether a restore testing selection names it, and whether one may by tags.
    resources: Vec<(shared::ProtectedResource, bool, bool)>,
    /// Restore tests that restored one of those resources, by its ARN.
    tests: HashMap<String, TestTimes>,
    /// How many distinct ARNs the resources have.
    arns: i64,
    /// Tests created before this were not read.
    tests_from: i64,
}

/// When a resource's restore tests restored it, and when a validator also passed one; oldest first.
#[derive(Default)]
struct TestTimes {
    restored: Vec<i64>,
    validated: Vec<i64>,
}

/// The coverage inputs able to answer for tests created since `tests_from`.
pub async fn coverage_inputs(
    s: &crate::app::Console,
    tests_from: i64,
) -> Result<Arc<CoverageInputs>, crate::app::AppError> {
    // Read tests two years back at least, so that the answers of the next days reuse them.
    let read_from = tests_from.min(s.now() - 2 * 365 * DAY_MS);
    let store = &s.store;
    store
        .derived(
            "coverage",
            |c: &CoverageInputs| c.tests_from <= tests_from,
            || async move {
                let plans = crate::store::all_pages(|q| async move { store.list_plans(&q).await }).await?;
                let listed = store.all_protected_resources().await?;
                let tested = store.tested_resources(read_from).await?;
                let (tests, arns) = tests_by_resource(listed.iter().map(|r| r.resource_arn.as_str()), tested);
                let resources = listed
                    .into_iter()
                    .map(|r| {
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
                        (r, named, by_tags)
                    })
                    .collect();
                Ok(CoverageInputs { resources, tests, arns, tests_from: read_from })
            },
        )
        .await
}

/// The tests of each of `resources` (ARNs, repeats allowed), and how many distinct ARNs these are.
fn tests_by_resource<'a>(
    resources: impl Iterator<Item = &'a str>,
    tested: Vec<Tested>,
) -> (HashMap<String, TestTimes>, i64) {
    let mut tests: HashMap<String, TestTimes> = resources.map(|arn| (arn.to_string(), TestTimes::default())).collect();
    let arns = tests.len() as i64;
    for t in tested {
        if let Some(times) = tests.get_mut(&t.resource_arn) {
            times.restored.push(t.created_at);
            if t.validated() {
                times.validated.push(t.created_at);
            }
        }
    }
    tests.retain(|_, t| !t.restored.is_empty());
    for t in tests.values_mut() {
        t.restored.sort_unstable();
        t.validated.sort_unstable();
    }
    (tests, arns)
}

/// Per day of the last `days` days (ending today), how many of the resources had a
/// restore test that restored them (and how many one that a validator passed) in the
/// `window_days` days up to the end of that day.
pub fn coverage_trend(inputs: &CoverageInputs, now: i64, days: i64, window_days: i64) -> Vec<CoverageTrendPoint> {
    let today = now.div_euclid(DAY_MS);
    let day_of = |i: usize| today - days + 1 + i as i64;
    // The end of each day's window (today's: now), rising; a test at `t` is in the
    // windows whose end lies in (t, t + window].
    let ends: Vec<i64> = (0..days.max(0) as usize).map(|i| ((day_of(i) + 1) * DAY_MS).min(now + 1)).collect();
    let window = window_days * DAY_MS;
    let count = |times: fn(&TestTimes) -> &[i64]| {
        let mut delta = vec![0i64; ends.len() + 1];
        for t in inputs.tests.values() {
            // The days of one resource's tests, as runs of days, each counted once.
            let mut run: Option<(usize, usize)> = None;
            for &time in times(t) {
                let (from, to) = (ends.partition_point(|&e| e <= time), ends.partition_point(|&e| e <= time + window));
                if from >= to {
                    continue;
                }
                run = match run {
                    Some((a, b)) if from <= b => Some((a, b.max(to))),
                    Some((a, b)) => {
                        delta[a] += 1;
                        delta[b] -= 1;
                        Some((from, to))
                    }
                    None => Some((from, to)),
                };
            }
            if let Some((a, b)) = run {
                delta[a] += 1;
                delta[b] -= 1;
            }
        }
        delta
            .iter()
            .scan(0, |sum, d| {
                *sum += d;
                Some(*sum)
            })
            .collect::<Vec<_>>()
    };
    let (tested, validated) = (count(|t| &t.restored), count(|t| &t.validated));
    (0..ends.len())
        .map(|i| CoverageTrendPoint {
            date: crate::time::date(day_of(i) * DAY_MS),
            resources: inputs.arns,
            tested: tested[i],
            validated: validated[i],
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
    let since = s.now() - days * DAY_MS;
    let inputs = coverage_inputs(s, since).await?;
    let mut rows: std::collections::BTreeMap<(&str, &str), shared::CoverageRow> = Default::default();
    let mut gaps = Vec::new();
    for (r, named, by_tags) in &inputs.resources {
        if !within(&r.account_id, &r.resource_type) {
            continue;
        }
        let recent = |times: &[i64]| times.last().is_some_and(|&t| t >= since);
        let times = inputs.tests.get(&r.resource_arn);
        let is_tested = times.is_some_and(|t| recent(&t.restored));
        let row = rows.entry((&r.account_id, &r.resource_type)).or_insert_with(|| shared::CoverageRow {
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
        row.covered += i64::from(*named);
        row.covered_by_tags += i64::from(!named && *by_tags);
        row.tested_recently += i64::from(is_tested);
        row.validated_recently += i64::from(times.is_some_and(|t| recent(&t.validated)));
        row.never_tested += i64::from(r.last_test_at.is_none());
        if !named && !is_tested && gaps.len() < 200 {
            gaps.push(r.clone());
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

    fn inputs(arns: &[&str], tests: Vec<Tested>) -> CoverageInputs {
        let (tests, arns) = tests_by_resource(arns.iter().copied(), tests);
        CoverageInputs { resources: Vec::new(), tests, arns, tests_from: i64::MIN }
    }

    #[test]
    fn trend_counts_resources_tested_in_the_window() {
        let now = 10 * DAY_MS + 5 * H;
        let test = |arn: &str, created_at, passed| Tested { resource_arn: arn.into(), created_at, passed };
        let tests = vec![test("a", 2 * DAY_MS, 1), test("b", 9 * DAY_MS, 0), test("x", 9 * DAY_MS, 1)];
        let trend = coverage_trend(&inputs(&["a", "b", "a"], tests), now, 3, 8);
        // Days 8, 9, 10: a window of 8 days up to the end of each (today: up to now).
        assert_eq!(trend.iter().map(|p| p.tested).collect::<Vec<_>>(), vec![1, 2, 1]);
        // Only a's test was validated, and it leaves the window on day 10.
        assert_eq!(trend.iter().map(|p| p.validated).collect::<Vec<_>>(), vec![1, 1, 0]);
        assert!(trend.iter().all(|p| p.resources == 2));
    }

    /// The trend as it was computed before its inputs were prepared once per
    /// inventory version: every test against every day's window.
    fn trend_test_by_test(
        tests: &[Tested],
        resources: &[&str],
        now: i64,
        days: i64,
        window_days: i64,
    ) -> Vec<(i64, i64)> {
        let today = now.div_euclid(DAY_MS);
        (0..days)
            .rev()
            .map(|back| {
                let end = ((today - back + 1) * DAY_MS).min(now + 1);
                let start = end - window_days * DAY_MS;
                let seen = |validated: bool| {
                    let arns: std::collections::HashSet<&str> = tests
                        .iter()
                        .filter(|t| resources.contains(&t.resource_arn.as_str()))
                        .filter(|t| t.created_at >= start && t.created_at < end && (!validated || t.validated()))
                        .map(|t| t.resource_arn.as_str())
                        .collect();
                    arns.len() as i64
                };
                (seen(false), seen(true))
            })
            .collect()
    }

    #[test]
    fn the_prepared_trend_equals_the_trend_test_by_test() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(16);
        let arns = ["a", "b", "c", "d", "e", "f"];
        for _ in 0..300 {
            let now = 40 * DAY_MS + rng.gen_range(0..DAY_MS);
            let tests: Vec<Tested> = (0..rng.gen_range(0..25))
                .map(|_| Tested {
                    resource_arn: ["a", "b", "c", "zz"][rng.gen_range(0..4)].into(),
                    // Some on a day's edge, some after now.
                    created_at: if rng.gen_bool(0.3) {
                        rng.gen_range(20..42) * DAY_MS - rng.gen_range(0..2)
                    } else {
                        rng.gen_range(15 * DAY_MS..42 * DAY_MS)
                    },
                    passed: rng.gen_range(0..2),
                })
                .collect();
            let resources = &arns[..rng.gen_range(0..arns.len())];
            let (days, window) = (rng.gen_range(1..20), rng.gen_range(1..10));
            let prepared = coverage_trend(&inputs(resources, tests.clone()), now, days, window);
            let expected = trend_test_by_test(&tests, resources, now, days, window);
            assert_eq!(prepared.iter().map(|p| (p.tested, p.validated)).collect::<Vec<_>>(), expected);
            assert!(prepared.iter().all(|p| p.resources == resources.len() as i64));
            let first = now.div_euclid(DAY_MS) - days + 1;
            assert_eq!(prepared[0].date, crate::time::date(first * DAY_MS));
        }
    }
}
