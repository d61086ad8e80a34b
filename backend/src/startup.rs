//! The composition root: one `build` that the `serve` and `demo` commands and
//! every integration test use, so they run the same wiring.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use crate::app::Console;
use crate::auth::Auth;
use crate::config::Config;
use crate::routes::{AppState, Ui};
use crate::store::{Store, StoreError};
use crate::sync::Syncer;
use crate::time::Clock;

/// What a console takes from outside besides its configuration.
#[derive(Default)]
pub struct Deps {
    /// Replaces the SDK's default credential chain (the demo's and the tests' sandbox keys).
    pub credentials: Option<aws_credential_types::Credentials>,
    /// Replaces the system clock (the demo's and the tests' sandbox clock).
    pub clock: Option<Clock>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("database.url: could not open {url}: {source}")]
    Database { url: String, source: StoreError },
    #[error("could not apply the database migrations: {0}")]
    Migrate(StoreError),
    #[error("listen: could not bind {addr}: {source}")]
    Bind { addr: std::net::SocketAddr, source: std::io::Error },
}

/// A built console: its services and the HTTP state, ready to listen.
pub struct App {
    pub state: AppState,
    ui: Ui,
}

/// Opens the database, applies the migrations and wires the console's services.
pub async fn build(cfg: Config, deps: Deps) -> Result<App, StartupError> {
    let cfg = Arc::new(cfg);
    let store = open_store(&cfg).await?;
    let clock = deps.clock.unwrap_or_else(|| Arc::new(crate::time::now_ms));
    let syncer = Syncer::new(store.clone(), Arc::clone(&cfg), deps.credentials, Arc::clone(&clock)).await;
    let console = Console::new(store, Arc::clone(&cfg), syncer, Arc::clone(&clock));
    let (syncer, store) = (Arc::clone(&console.syncer), console.store.clone());
    console.executor.set_preflight(Arc::new(move |params, rp| {
        let (syncer, store) = (Arc::clone(&syncer), store.clone());
        Box::pin(async move { crate::actions::preflight(&syncer, &store, &params, &rp).await })
    }));
    let ui = Ui::from_config(cfg.ui_dir.as_deref());
    Ok(App { state: AppState::new(console, Auth::new(cfg.auth.clone(), clock)), ui })
}

/// The configured database, migrated.
pub async fn open_store(cfg: &Config) -> Result<Store, StartupError> {
    let url = cfg.database_url();
    let store = Store::connect(&url, cfg.database.max_connections)
        .await
        .map_err(|source| StartupError::Database { url: shown_url(url.expose()), source })?;
    store.migrate().await.map_err(StartupError::Migrate)?;
    Ok(store)
}

/// A database URL without its password.
fn shown_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => format!("{scheme}://{}:***@{host}", userinfo.split(':').next().unwrap_or_default()),
        None => url.to_string(),
    }
}

impl App {
    pub fn console(&self) -> &Console {
        &self.state.console
    }

    /// The API and the web UI.
    pub fn router(&self) -> Router {
        crate::routes::router(self.state.clone(), self.ui.clone())
    }

    /// Where the web UI comes from, in words (for the start-up line).
    pub fn describe_ui(&self) -> String {
        self.ui.describe()
    }

    /// Starts the loops of a running console: scheduled syncs, the executor, the
    /// notifier, the drills, the audit digests and the warming of the derived values.
    /// (The tests drive these by hand, one pass at a time.)
    pub fn start_background(&self) {
        let c = self.console();
        if c.config.sync.interval_secs > 0 {
            c.syncer.schedule(Duration::from_secs(c.config.sync.interval_secs));
        }
        let every = Duration::from_secs(c.config.requests.poll_secs);
        c.executor.start(every);
        c.notifier.start(Duration::from_secs(10));
        if c.config.sync.poll_secs > 0 {
            let notifier = Arc::clone(&c.notifier);
            c.syncer.schedule_poll(Duration::from_secs(c.config.sync.poll_secs), move || notifier.wake());
        }
        crate::assurance::drills::run(c.clone(), every);
        crate::assurance::validator::run(c.clone(), Duration::from_secs(c.config.validation.poll_secs));
        crate::assurance::digests::run(c.clone());
        crate::assurance::warm::run(c.clone(), Duration::from_secs(5));
    }

    /// Binds the configured `listen` address.
    pub async fn bind(&self) -> Result<tokio::net::TcpListener, StartupError> {
        let addr = self.console().config.listen;
        tokio::net::TcpListener::bind(addr).await.map_err(|source| StartupError::Bind { addr, source })
    }

    /// Serves HTTP on `listener` until `shutdown` completes.
    pub async fn serve(
        &self,
        listener: tokio::net::TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // The peer address feeds the sign-in rate limit (auth::limit).
        let app = self.router().into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, app).with_graceful_shutdown(shutdown).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_urls_are_shown_without_their_password() {
        assert_eq!(super::shown_url("postgres://rc:secret@db:5432/rc"), "postgres://rc:***@db:5432/rc");
        assert_eq!(super::shown_url("sqlite://data/rc.db"), "sqlite://data/rc.db");
    }
}
