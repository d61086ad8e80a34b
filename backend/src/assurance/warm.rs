//! Keeps the values derived from the whole inventory (the Overview's inputs and the
//! coverage's, `store::derived`) computed ahead of the requests that read them, so
//! that the first request after a sync does not pay for them: on a million recovery
//! points the first call took 144-364 ms (Overview) and 220-253 ms (coverage), the
//! calls answered from them 0.5-9 ms (docs/benchmarks.md, session 21).
//!
//! A pass computes them when the inventory's version (or the UTC day) moved since the
//! last computation, once the version has held still for a pass: a sync moves it with
//! every chunk it writes, and computing after each would spend the sync's CPU on
//! values the next chunk makes old. While the version keeps moving they are computed
//! at most once a minute. Every replica warms its own cache; the version lives in
//! the database, so a sync by another replica is seen too.

use std::time::{Duration, Instant};

use crate::app::{AppError, Console};
use crate::time::DAY_MS;

/// How often the values are computed while the inventory keeps changing.
const WHILE_CHANGING: Duration = Duration::from_secs(60);

/// What the passes have seen: the inventory's version at the last pass, and the
/// version and day the values were last computed at.
#[derive(Default)]
pub struct Warmer {
    seen: Option<i64>,
    warmed: Option<(i64, i64)>,
    warmed_at: Option<Instant>,
}

impl Warmer {
    /// One pass: computes the derived values when they are due (see the module's
    /// text); says whether it did.
    pub async fn pass(&mut self, c: &Console) -> Result<bool, AppError> {
        let version = c.store.inventory_version().await?;
        let now = c.now();
        let key = (version, now.div_euclid(DAY_MS));
        let settled = self.seen == Some(version);
        self.seen = Some(version);
        let overdue = self.warmed_at.is_none_or(|at| at.elapsed() >= WHILE_CHANGING);
        if self.warmed == Some(key) || !(settled || overdue) {
            return Ok(false);
        }
        // The stale-after days only shape the answer, not the inputs computed here.
        c.store.overview(now, 30).await?;
        super::coverage_inputs(c, now).await?;
        (self.warmed, self.warmed_at) = (Some(key), Some(Instant::now()));
        Ok(true)
    }
}

/// Runs a [`Warmer`] pass every `every`.
pub fn run(c: Console, every: Duration) {
    tokio::spawn(async move {
        let mut warmer = Warmer::default();
        loop {
            if let Err(e) = warmer.pass(&c).await {
                tracing::error!(error = %e, "computing the Overview's and the coverage's inputs failed");
            }
            tokio::time::sleep(every).await;
        }
    });
}
