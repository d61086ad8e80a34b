//! The database: sqlx over SQLite (embedded default) or PostgreSQL (teams), chosen
//! by the URL. Both engines run the same portable SQL through sqlx's `Any` driver;
//! each has its own migrations folder. Timestamps are UTC epoch milliseconds.

mod inventory;
mod jobs;
mod sql;
mod sync_status;

pub use inventory::{PlanRow, ProtectedResourceRow, RecoveryPointRow, VaultRow};
pub use jobs::{BackupJobRow, CopyJobRow, RestoreJobRow};
pub use sql::{Cursor, ListQuery};
pub use sync_status::{AccountRecord, SyncOutcome, TargetSnapshot};

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor};

use crate::config::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Invalid(String),
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    engine: Engine,
}

impl Store {
    /// Connects to the database the URL names (creating a SQLite file and its folder if needed).
    pub async fn connect(url: &Secret, max_connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let url = url.expose();
        let engine = if url.starts_with("sqlite:") { Engine::Sqlite } else { Engine::Postgres };
        if engine == Engine::Sqlite {
            let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
            let path = path.split('?').next().unwrap_or_default();
            if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StoreError::Invalid(format!("cannot create {}: {e}", parent.display())))?;
            }
        }
        let pool = AnyPoolOptions::new()
            .max_connections(if engine == Engine::Sqlite { max_connections.min(4) } else { max_connections })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect(url)
            .await?;
        Ok(Self { pool, engine })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Applies the migrations of this engine that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.engine {
            Engine::Sqlite => sqlx::migrate!("../migrations/sqlite").run(&self.pool).await?,
            Engine::Postgres => sqlx::migrate!("../migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }
}

/// Reads a column, naming it in the error.
pub(crate) fn col<'r, T>(row: &'r AnyRow, name: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get(name).map_err(StoreError::from)
}

/// A JSON array column as strings.
pub(crate) fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}
