//! The database: sqlx over SQLite (embedded default) or PostgreSQL (teams), chosen
//! by the URL. Both engines run the same portable SQL through sqlx's `Any` driver,
//! migrations included (one folder). Timestamps are UTC epoch milliseconds.

mod assurance;
mod audit;
mod choices;
mod derived;
mod digests;
mod evidence_packs;
mod inventory;
mod jobs;
mod json_page;
mod leases;
mod notifications;
mod posture;
mod requests;
mod sessions;
mod sql;
mod sync_status;
mod validation;

pub use assurance::{DrillRow, HistoryPoint, LastSeen, Tested, ACTIVE_DRILL, SCHEDULE_ROLE};
pub use audit::{audit_time, canonical, chain_hash, ndjson_line, AuditQuery, Verifier, GENESIS};
pub use choices::{AccountPaging, ChoiceList, ChoiceQuery, IdPage};
pub use digests::DigestRow;
pub use inventory::{PlanRow, ProtectedResourceRow, RecoveryPointRow, VaultRow};
pub use jobs::{BackupJobRow, CopyJobRow, RestoreJobRow};
pub use leases::Lease;
pub use notifications::{Failure, NotificationRow};
pub use posture::{percentile, AccountTargets, TestScope};
pub use requests::{Column, DecideOutcome, Record, RequestQuery, RequestRow};
pub use sessions::{token_hash, LoginRow, SessionRow};
pub use sql::{Cursor, ListQuery, CURSOR_PATTERN};
pub use sql::{Sql, Val};
pub use sync_status::{AccountRecord, KnownTarget, SyncOutcome, TargetSnapshot};
pub use validation::{validation_subject, Finish, CLAIM_LEASE_MS};

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

impl StoreError {
    /// Every connection (on SQLite: the one writer) stayed busy for the pool's whole wait.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Database(sqlx::Error::PoolTimedOut))
    }
}

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    /// Where every write goes. On SQLite one connection, so writers queue in the
    /// pool (FIFO, waiting) instead of meeting SQLite's lock (which can refuse a
    /// writer at once); on PostgreSQL the same pool as reads.
    writer: AnyPool,
    engine: Engine,
    /// PostgreSQL's own driver, for what the `Any` driver cannot do: the pages written
    /// as JSON from its rows ([`json_page::pg_json_page`]) and the sync's upserts with
    /// each column bound as an array ([`sql::ArrayUpsert`]). Its connections open when
    /// needed, at most half as many as the main pool's. `None` on SQLite.
    native: Option<sqlx::PgPool>,
    /// Values derived from the whole inventory, shared by every clone of this store.
    derived: std::sync::Arc<derived::Derived>,
}

/// SQLite readers map the file instead of copying each page they read from the
/// kernel into their own cache (a page of a million-row list touches hundreds).
const READER_PRAGMAS: &str = "PRAGMA mmap_size = 1073741824;";

/// The SQLite writer keeps 8 MiB of pages instead of 2: a sync inserts into a dozen
/// indexes of tables far larger than that, and every page it lacks is a read from the
/// kernel. (A first sync of 500 accounts took 161 MiB at 32 MiB of pages, 149 MiB at
/// 16 and 146 MiB at 8, using the same CPU within the runs' noise; with
/// `sync.organization_jobs`, 155 MiB at 16 and 144 MiB at 8.) It copies the
/// write-ahead log into the database every 100,000 pages (about 400 MB of log), not
/// SQLite's 1,000: a page that several commits write in between is copied (and
/// synced) once, and a sync's inserts land all over a dozen indexes, so most pages
/// are. A first sync of `--accounts 200` used 21.9-22.6 s of CPU against
/// 22.7-26.1 s at 10,000 pages (docs/benchmarks.md, session 12). The log file keeps
/// its largest size for reuse: cutting it back after each copy cost more than it saved.
const WRITER_PRAGMAS: &str = "PRAGMA cache_size = -8192; PRAGMA wal_autocheckpoint = 100000;";

/// How long a request waits for the SQLite writer before it is told the
/// database is busy (503): far longer than any one write transaction takes.
const WRITER_WAIT: std::time::Duration = std::time::Duration::from_secs(60);

impl Store {
    /// Connects to the database the URL names (creating a SQLite file and its folder if needed).
    pub async fn connect(url: &Secret, max_connections: u32) -> Result<Self, StoreError> {
        sqlx::any::install_default_drivers();
        let engine = if url.expose().starts_with("sqlite:") { Engine::Sqlite } else { Engine::Postgres };
        let url = match engine {
            Engine::Sqlite => sqlite_url(url.expose())?,
            Engine::Postgres => url.expose().to_string(),
        };
        let options = |max: u32, pragmas: &'static str| {
            AnyPoolOptions::new().max_connections(max).after_connect(move |conn, _| {
                Box::pin(async move {
                    if engine == Engine::Sqlite {
                        conn.execute("PRAGMA busy_timeout = 30000; PRAGMA synchronous = NORMAL;").await?;
                        conn.execute(pragmas).await?;
                    }
                    Ok(())
                })
            })
        };
        let max = if engine == Engine::Sqlite { max_connections.clamp(1, 4) } else { max_connections };
        let pool = options(max, READER_PRAGMAS).connect(&url).await?;
        let writer = match engine {
            Engine::Sqlite => {
                let writer = options(1, WRITER_PRAGMAS).acquire_timeout(WRITER_WAIT).connect(&url).await?;
                // Once, not on every new connection: switching the journal mode takes a
                // lock that SQLite does not wait for, so a connection opened while a
                // write runs would fail at once. WAL stays set in the file.
                writer.execute("PRAGMA journal_mode = WAL").await?;
                writer
            }
            Engine::Postgres => pool.clone(),
        };
        let native = match engine {
            Engine::Sqlite => None,
            Engine::Postgres => {
                Some(sqlx::postgres::PgPoolOptions::new().max_connections(max.div_ceil(2)).connect_lazy(&url)?)
            }
        };
        Ok(Self { pool, writer, engine, native, derived: Default::default() })
    }

    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Applies the migrations that have not run yet: the same portable SQL on both
    /// engines; then the planner's statistics, which an index a migration made lacks.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        sqlx::migrate!("../migrations").run(&self.pool).await?;
        self.refresh_statistics().await
    }

    /// Refreshes the query planner's statistics after a sync changed many rows.
    /// PostgreSQL's autovacuum does this by itself; SQLite needs to be asked, or it
    /// may walk a million rows in time order to find one account's page.
    pub async fn refresh_statistics(&self) -> Result<(), StoreError> {
        if self.engine == Engine::Sqlite {
            self.writer.execute("PRAGMA analysis_limit = 2000; ANALYZE;").await?;
        }
        Ok(())
    }

    /// Whether the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").fetch_one(&self.pool).await?;
        Ok(())
    }

    /// The pool for reads.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// PostgreSQL's own pool (see `native`); `None` on SQLite.
    pub(crate) fn native(&self) -> Option<&sqlx::PgPool> {
        self.native.as_ref()
    }

    /// The pool every write goes through (on SQLite its one writer connection).
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// A write transaction that holds the write lock from its start: on SQLite
    /// `BEGIN IMMEDIATE` on the writer connection, so it never has to upgrade a
    /// read snapshot (which SQLite refuses at once when another write committed
    /// meanwhile).
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.engine {
            Engine::Sqlite => self.writer.begin_with("BEGIN IMMEDIATE").await?,
            Engine::Postgres => self.writer.begin().await?,
        })
    }
}

/// A SQLite URL that creates its file when missing (`mode=rwc`) unless it names a
/// mode itself, after creating the file's folder.
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    let rest = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    if path.is_empty() || path == ":memory:" {
        return Ok(url.to_string());
    }
    if let Some(parent) = std::path::Path::new(path).parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| StoreError::Invalid(format!("cannot create the folder {}: {e}", parent.display())))?;
    }
    if query.split('&').any(|p| p.starts_with("mode=")) {
        return Ok(url.to_string());
    }
    let sep = if query.is_empty() { "?" } else { "&" };
    Ok(format!("{url}{sep}mode=rwc"))
}

/// The right to run the executor or the drills, held for a whole pass. On PostgreSQL
/// it is a session advisory lock, so that of several console replicas sharing the
/// database one runs them at a time; dropping it closes its connection, which
/// releases the lock even if the pass ended in a panic. SQLite serves one process.
/// (The sync shares its work through leases instead: store/leases.rs.)
pub struct SyncLock(Option<sqlx::pool::PoolConnection<sqlx::Any>>);

impl SyncLock {
    /// Releases the lock now, rather than when the server notices its connection
    /// closed, so that the next pass (here or in another replica) can take it at once.
    pub async fn release(mut self) {
        if let Some(mut conn) = self.0.take() {
            match sqlx::query("SELECT pg_advisory_unlock_all()").execute(&mut *conn).await {
                Ok(_) => drop(conn),
                Err(_) => drop(conn.detach()),
            }
        }
    }
}

impl Drop for SyncLock {
    fn drop(&mut self) {
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// The advisory lock key of the executor ("RCEXEC").
const EXECUTOR_LOCK_KEY: i64 = 0x5243_4558_4543;
/// The advisory lock that lets one replica at a time move drills on ("RCDRILL").
const DRILLS_LOCK_KEY: i64 = 0x52_4344_5249_4c4c;
/// "RCPOLL": one replica polls jobs at a time.
const POLL_LOCK_KEY: i64 = 0x5243_504f_4c4c;

impl Store {
    /// Takes the executor's lock if no other replica holds it (one replica moves
    /// approved requests at a time).
    pub async fn try_lock_executor(&self) -> Result<Option<SyncLock>, StoreError> {
        self.try_lock(EXECUTOR_LOCK_KEY).await
    }

    /// Takes the poll lock if no other replica holds it (one replica polls at a time).
    pub async fn try_lock_poll(&self) -> Result<Option<SyncLock>, StoreError> {
        self.try_lock(POLL_LOCK_KEY).await
    }

    /// One replica at a time moves drills on and starts scheduled ones.
    pub async fn try_lock_drills(&self) -> Result<Option<SyncLock>, StoreError> {
        self.try_lock(DRILLS_LOCK_KEY).await
    }

    async fn try_lock(&self, key: i64) -> Result<Option<SyncLock>, StoreError> {
        if self.engine == Engine::Sqlite {
            return Ok(Some(SyncLock(None)));
        }
        let mut conn = self.pool.acquire().await?;
        let row = sqlx::query(&format!("SELECT pg_try_advisory_lock({key}) AS locked")).fetch_one(&mut *conn).await?;
        let locked: bool = col(&row, "locked")?;
        Ok(locked.then_some(SyncLock(Some(conn))))
    }
}

/// Every item of a paged store list, a thousand at a time.
pub async fn all_pages<T, F, Fut>(page: F) -> Result<Vec<T>, StoreError>
where
    F: FnMut(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), StoreError>>,
{
    all_pages_of(page, ListQuery { limit: 1000, ..Default::default() }).await
}

/// Every item of a paged store list with the filters of `q`.
pub async fn all_pages_of<T, F, Fut>(mut page: F, mut q: ListQuery) -> Result<Vec<T>, StoreError>
where
    F: FnMut(ListQuery) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), StoreError>>,
{
    let mut items = Vec::new();
    loop {
        let (mut batch, next) = page(q.clone()).await?;
        items.append(&mut batch);
        match next {
            Some(c) => q.cursor = Some(Cursor::decode(&c)?),
            None => return Ok(items),
        }
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

/// A row as a type that derives `sqlx::FromRow` (its fields named as the columns).
pub(crate) fn row<T: for<'r> sqlx::FromRow<'r, AnyRow>>(r: &AnyRow) -> Result<T, StoreError> {
    Ok(T::from_row(r)?)
}

/// A text column as one of `shared`'s enums; a value it does not know is a decode error.
pub(crate) fn parsed<T>(column: &str, text: &str) -> Result<T, StoreError>
where
    T: std::str::FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse()
        .map_err(|e| StoreError::Database(sqlx::Error::ColumnDecode { index: column.to_string(), source: Box::new(e) }))
}

/// A JSON array column as strings.
pub(crate) fn json_list(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

/// A migrated SQLite database in a temporary file, removed with its log when dropped:
/// for unit tests that ask SQLite for its query plans.
#[cfg(test)]
pub(crate) struct TempSqlite {
    pub store: Store,
    path: std::path::PathBuf,
}

#[cfg(test)]
impl TempSqlite {
    #[allow(clippy::unwrap_used)]
    pub async fn new() -> Self {
        let path = std::env::temp_dir().join(format!("rc-test-{}.db", uuid::Uuid::new_v4().simple()));
        let url = crate::config::Secret::new(format!("sqlite://{}", path.display()));
        let store = Store::connect(&url, 1).await.unwrap();
        store.migrate().await.unwrap();
        Self { store, path }
    }

    /// The steps of SQLite's plan for `sql`.
    #[allow(clippy::unwrap_used)]
    pub async fn plan(&self, sql: &sql::Sql) -> Vec<String> {
        let rows = sql.prefixed("EXPLAIN QUERY PLAN ").query().fetch_all(self.store.pool()).await.unwrap();
        rows.iter().map(|r| col::<String>(r, "detail").unwrap()).collect()
    }
}

#[cfg(test)]
impl Drop for TempSqlite {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.path.display()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sqlite_url;

    #[test]
    fn sqlite_urls_create_their_file_unless_they_name_a_mode() {
        let dir = std::env::temp_dir().join(format!("rc-url-{}", uuid::Uuid::new_v4().simple()));
        let db = dir.join("sub").join("x.db");
        let url = format!("sqlite://{}", db.display());
        assert_eq!(sqlite_url(&url).ok(), Some(format!("{url}?mode=rwc")));
        assert!(dir.join("sub").is_dir(), "the folder is created");
        assert_eq!(sqlite_url(&format!("{url}?cache=shared")).ok(), Some(format!("{url}?cache=shared&mode=rwc")));
        assert_eq!(sqlite_url(&format!("{url}?mode=ro")).ok(), Some(format!("{url}?mode=ro")));
        assert_eq!(sqlite_url("sqlite::memory:").ok(), Some("sqlite::memory:".to_string()));
    }
}
