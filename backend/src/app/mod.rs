//! The application core that every way in shares (the HTTP API, the background
//! loops, the CLI): the services of one console and its error type. No HTTP here.

mod error;

use std::sync::Arc;

pub use error::AppError;

use crate::config::Config;
use crate::executor::Executor;
use crate::notify::Notifier;
use crate::store::Store;
use crate::sync::Syncer;
use crate::time::Clock;

/// One console: its database, AWS sync, configuration, clock, notifications and executor.
#[derive(Clone)]
pub struct Console {
    pub store: Store,
    pub syncer: Arc<Syncer>,
    pub config: Arc<Config>,
    /// The time "the last 30 days" count back from and requests expire by: the
    /// system clock, or in the demo and the tests the sandbox's clock.
    pub clock: Clock,
    pub notifier: Arc<Notifier>,
    pub executor: Arc<Executor>,
}

impl Console {
    pub fn new(store: Store, config: Arc<Config>, syncer: Arc<Syncer>, clock: Clock) -> Self {
        let executor = Executor::new(store.clone(), Arc::clone(&syncer), Arc::clone(&clock));
        let notifier = Notifier::new(store.clone(), config.notifications.clone(), Arc::clone(&clock));
        Console { store, syncer, config, clock, notifier, executor }
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }
}
