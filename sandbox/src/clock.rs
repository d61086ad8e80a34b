//! The sandbox's clock: real time, sped up by a scale factor, plus jumps made
//! through the admin API. Every job and schedule moves on this clock.

use std::sync::Mutex;
use std::time::Instant;

use super::protocol::Millis;

pub struct Clock {
    inner: Mutex<ClockState>,
}

struct ClockState {
    /// Sandbox time at `anchor`.
    base: Millis,
    anchor: Instant,
    scale: f64,
}

impl Clock {
    pub fn new(start: Millis, scale: f64) -> Self {
        Self { inner: Mutex::new(ClockState { base: start, anchor: Instant::now(), scale }) }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn now(&self) -> Millis {
        let s = self.state();
        s.base + (s.anchor.elapsed().as_millis() as f64 * s.scale) as Millis
    }

    pub fn scale(&self) -> f64 {
        self.state().scale
    }

    /// Moves the clock forward by `ms` at once.
    pub fn advance(&self, ms: Millis) {
        let mut s = self.state();
        let now = s.base + (s.anchor.elapsed().as_millis() as f64 * s.scale) as Millis;
        s.base = now + ms.max(0);
        s.anchor = Instant::now();
    }

    pub fn set_scale(&self, scale: f64) {
        let mut s = self.state();
        let now = s.base + (s.anchor.elapsed().as_millis() as f64 * s.scale) as Millis;
        s.base = now;
        s.anchor = Instant::now();
        s.scale = scale;
    }
}
