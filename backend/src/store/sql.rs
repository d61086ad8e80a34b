//! Building SQL that both engines run: placeholders, values, keyset cursors.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::database::HasStatementCache;
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::{Any, Database, Encode, Postgres, Type};

use super::{col, Engine, StoreError};

/// A bound value: the `Any` driver speaks integers and text (and NULL).
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Int(Option<i64>),
    Text(Option<String>),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(Some(v))
    }
}
impl From<Option<i64>> for Val {
    fn from(v: Option<i64>) -> Self {
        Val::Int(v)
    }
}
impl From<bool> for Val {
    fn from(v: bool) -> Self {
        Val::Int(Some(v as i64))
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(Some(v))
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(Some(v.to_string()))
    }
}
impl From<Option<String>> for Val {
    fn from(v: Option<String>) -> Self {
        Val::Text(v)
    }
}

/// SQL text with its arguments, numbered for the engine (`?` or `$n`).
pub struct Sql {
    pub text: String,
    args: Vec<Val>,
    engine: Engine,
    /// Prepared for one run and not kept: a statement whose text seldom repeats (a
    /// sync chunk's, whose text changes with its row count). The connections'
    /// statement caches would otherwise keep each one with its thousands of parameters
    /// (126 MB at the peak of a 200-account sync on PostgreSQL, measured with heaptrack).
    single_use: bool,
}

impl Sql {
    pub fn new(engine: Engine, text: &str) -> Self {
        Self { text: text.to_string(), args: Vec::new(), engine, single_use: false }
    }

    pub fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `value`.
    /// `values` as bound arguments separated by commas (an INSERT's values, an IN list).
    pub fn args(&mut self, values: impl IntoIterator<Item = Val>) -> &mut Self {
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.arg(v);
        }
        self
    }

    pub fn arg(&mut self, value: impl Into<Val>) -> &mut Self {
        self.args.push(value.into());
        match self.engine {
            Engine::Sqlite => self.text.push('?'),
            Engine::Postgres => {
                use std::fmt::Write;
                let _ = write!(self.text, "${}", self.args.len());
            }
        }
        self
    }

    /// The same statement under `prefix` (`EXPLAIN QUERY PLAN `), with its arguments.
    #[cfg(test)]
    pub fn prefixed(&self, prefix: &str) -> Sql {
        Sql {
            text: format!("{prefix}{}", self.text),
            args: self.args.clone(),
            engine: self.engine,
            single_use: self.single_use,
        }
    }

    /// Marks the statement as one not to keep prepared (see `single_use`).
    pub fn single_use(&mut self) -> &mut Self {
        self.single_use = true;
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        self.query_for()
    }

    /// The statement for PostgreSQL's own driver (see `super::json_page`).
    pub fn pg_query(&self) -> Query<'_, Postgres, PgArguments> {
        self.query_for()
    }

    fn query_for<'q, DB: Database + HasStatementCache>(&'q self) -> Query<'q, DB, <DB as Database>::Arguments<'q>>
    where
        Option<i64>: Encode<'q, DB> + Type<DB>,
        Option<&'q str>: Encode<'q, DB> + Type<DB>,
    {
        let mut q = sqlx::query::<DB>(&self.text).persistent(!self.single_use);
        for a in &self.args {
            q = match a {
                Val::Int(v) => q.bind(*v),
                Val::Text(v) => q.bind(v.as_deref()),
            };
        }
        q
    }
}

/// The rows of a full write chunk (the sync writes in chunks of this many): SQLite
/// keeps an upsert of this many rows prepared, and prepares others for their run.
pub const KEPT_ROWS: usize = 1000;

/// Bound arguments per statement: under both engines' limits (SQLite 32,766, PostgreSQL 65,535).
const MAX_ARGS: usize = 30_000;

/// Inserts rows, updating the non-key columns of rows that exist (and clearing
/// `gone_at` where the table has it), in statements that stay under both engines'
/// argument limits.
pub async fn upsert(
    tx: &mut sqlx::Transaction<'_, Any>,
    engine: Engine,
    table: &str,
    columns: &[&str],
    key: &[&str],
    rows: Vec<Vec<Val>>,
    clears_gone: bool,
) -> Result<(), StoreError> {
    for sql in upserts(engine, table, columns, key, rows, clears_gone) {
        sql.query().execute(&mut **tx).await?;
    }
    Ok(())
}

/// The statements of [`upsert`]: one per [`MAX_ARGS`] arguments.
pub fn upserts(
    engine: Engine,
    table: &str,
    columns: &[&str],
    key: &[&str],
    rows: Vec<Vec<Val>>,
    clears_gone: bool,
) -> Vec<Sql> {
    let conflict = on_conflict(columns, key, clears_gone);
    if engine == Engine::Postgres {
        return json_upserts(table, columns, &conflict, rows);
    }
    let per_statement = (MAX_ARGS / columns.len()).max(1);
    let insert = format!("INSERT INTO {table} ({}) VALUES ", columns.join(", "));
    let mut statements = Vec::new();
    let full = per_statement.min(KEPT_ROWS);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut sql = Sql::new(engine, &insert);
        let take: Vec<Vec<Val>> = rows.by_ref().take(per_statement).collect();
        if take.len() != full {
            // SQLite's one writer keeps the statements of a full chunk prepared:
            // preparing a thousand-row statement again costs more than the run (a fifth
            // more CPU per sync when every one was prepared again). One of any other
            // row count is prepared for its run, or the writer would keep one of each
            // count, two megabytes apiece (see `Sql::single_use`).
            sql.single_use();
        }
        for (i, row) in take.into_iter().enumerate() {
            sql.push(if i == 0 { "(" } else { ", (" });
            for (j, v) in row.into_iter().enumerate() {
                if j > 0 {
                    sql.push(", ");
                }
                sql.arg(v);
            }
            sql.push(")");
        }
        sql.push(&conflict);
        statements.push(sql);
    }
    statements
}

/// ` ON CONFLICT (key) DO UPDATE SET` every other column (and `gone_at = NULL`).
fn on_conflict(columns: &[&str], key: &[&str], clears_gone: bool) -> String {
    let updates: Vec<String> =
        columns.iter().filter(|c| !key.contains(c)).map(|c| format!("{c} = excluded.{c}")).collect();
    let mut conflict = format!(" ON CONFLICT ({}) DO UPDATE SET {}", key.join(", "), updates.join(", "));
    if clears_gone {
        conflict.push_str(", gone_at = NULL");
    }
    conflict
}

/// PostgreSQL's upserts: [`KEPT_ROWS`] rows a statement, passed as one JSON array of
/// objects that `json_populate_recordset` turns into rows of the table's own type.
/// The statement's text is the same for every chunk of a table, so each connection
/// prepares it once. Bound one value apiece, a thousand-row chunk was a statement of
/// 25,000 parameters that the server parsed and planned for each run and that the
/// console copied argument by argument (docs/benchmarks.md, session 12).
fn json_upserts(table: &str, columns: &[&str], conflict: &str, rows: Vec<Vec<Val>>) -> Vec<Sql> {
    let names = columns.join(", ");
    let head = format!("INSERT INTO {table} ({names}) SELECT {names} FROM json_populate_recordset(NULL::{table}, ");
    let tail = format!("::json){conflict}");
    let mut statements = Vec::new();
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let mut json = String::with_capacity(64 * 1024);
        json.push('[');
        for (i, row) in rows.by_ref().take(KEPT_ROWS).enumerate() {
            json.push_str(if i == 0 { "{" } else { ",{" });
            for (j, (column, value)) in columns.iter().zip(row).enumerate() {
                if j > 0 {
                    json.push(',');
                }
                json.push('"');
                json.push_str(column);
                json.push_str("\":");
                push_json(&mut json, value);
            }
            json.push('}');
        }
        json.push(']');
        let mut sql = Sql::new(Engine::Postgres, &head);
        sql.arg(json).push(&tail);
        statements.push(sql);
    }
    statements
}

/// PostgreSQL's upsert of a sync chunk: one statement that takes each column as an
/// array, `INSERT ... SELECT * FROM UNNEST($1::text[], $2::int8[], ...)`. The arrays
/// travel in PostgreSQL's binary form, so the server copies each value as it is,
/// where the JSON of [`upserts`] had it parse the text of every row and look up each
/// column of each row by name (a sixth of the server's CPU in a first sync, perf).
/// Its text depends on the table and columns only, so each connection prepares it once.
pub struct ArrayUpsert {
    text: String,
    columns: Vec<ArrayColumn>,
}

enum ArrayColumn {
    Int(Vec<Option<i64>>),
    Text(Vec<Option<String>>),
}

impl ArrayUpsert {
    /// The chunk's statement; a column's values are integers or text as its first
    /// row's are, and a row that mixes them is refused (the tables' rows come from
    /// typed structs, so that would be a bug in the caller).
    pub fn new(
        table: &str,
        columns: &[&str],
        key: &[&str],
        rows: Vec<Vec<Val>>,
        clears_gone: bool,
    ) -> Result<Self, StoreError> {
        let mut arrays: Vec<ArrayColumn> = match rows.first() {
            Some(first) => first
                .iter()
                .map(|v| match v {
                    Val::Int(_) => ArrayColumn::Int(Vec::with_capacity(rows.len())),
                    Val::Text(_) => ArrayColumn::Text(Vec::with_capacity(rows.len())),
                })
                .collect(),
            None => columns.iter().map(|_| ArrayColumn::Text(Vec::new())).collect(),
        };
        for row in rows {
            if row.len() != columns.len() {
                return Err(StoreError::Invalid(format!(
                    "a row for {table} has {} values for {} columns",
                    row.len(),
                    columns.len()
                )));
            }
            for ((array, value), column) in arrays.iter_mut().zip(row).zip(columns) {
                match (array, value) {
                    (ArrayColumn::Int(a), Val::Int(v)) => a.push(v),
                    (ArrayColumn::Text(a), Val::Text(v)) => a.push(v),
                    _ => return Err(StoreError::Invalid(format!("{table}.{column} mixes integers and text"))),
                }
            }
        }
        let arrays_sql: Vec<String> = arrays
            .iter()
            .enumerate()
            .map(|(i, a)| format!("${}::{}", i + 1, if matches!(a, ArrayColumn::Int(_)) { "int8[]" } else { "text[]" }))
            .collect();
        let text = format!(
            "INSERT INTO {table} ({}) SELECT * FROM UNNEST({}){}",
            columns.join(", "),
            arrays_sql.join(", "),
            on_conflict(columns, key, clears_gone)
        );
        Ok(Self { text, columns: arrays })
    }

    pub fn query(&self) -> Query<'_, Postgres, PgArguments> {
        let mut q = sqlx::query::<Postgres>(&self.text);
        for c in &self.columns {
            q = match c {
                ArrayColumn::Int(v) => q.bind(v.as_slice()),
                ArrayColumn::Text(v) => q.bind(v.as_slice()),
            };
        }
        q
    }
}

/// A value as JSON: a number, a string or `null`.
fn push_json(json: &mut String, value: Val) {
    use std::fmt::Write;
    match value {
        Val::Int(Some(n)) => {
            let _ = write!(json, "{n}");
        }
        Val::Text(Some(text)) => push_json_string(json, &text),
        Val::Int(None) | Val::Text(None) => json.push_str("null"),
    }
}

/// A string as JSON, escaped as RFC 8259 asks: quotes, backslashes and control characters.
fn push_json_string(json: &mut String, text: &str) {
    use std::fmt::Write;
    json.push('"');
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || c < ' ') {
        json.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or_default();
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            _ => {
                let _ = write!(json, "\\u{:04x}", u32::from(c));
            }
        }
        rest = &rest[at + c.len_utf8()..];
    }
    json.push_str(rest);
    json.push('"');
}

/// Where a page resumes: after the item with this sort time and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub time: i64,
    pub key: String,
}

/// The form of a cursor, for the OpenAPI document: `v1.<time>.<the key's bytes in hex>`.
pub const CURSOR_PATTERN: &str = "^v1\\.-?[0-9]{1,18}\\.([0-9a-f]{2}){1,2048}$";

impl Cursor {
    /// `v1.<time>.<key in hex>`: safe in a URL as it is, and a form the API's
    /// document can state exactly. Any position it names is one to list from: a
    /// made-up cursor lists from there, and shows nothing a reader could not list anyway.
    pub fn encode(&self) -> String {
        let hex: String = self.key.bytes().map(|b| format!("{b:02x}")).collect();
        format!("v1.{}.{hex}", self.time)
    }

    pub fn decode(text: &str) -> Result<Self, StoreError> {
        let invalid =
            || StoreError::Invalid(format!("cursor {text:?} is not one this API issues (v1.<time>.<key in hex>)"));
        let (time, hex) = text.strip_prefix("v1.").and_then(|rest| rest.split_once('.')).ok_or_else(invalid)?;
        let digits = time.strip_prefix('-').unwrap_or(time);
        if digits.is_empty() || digits.len() > 18 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid());
        }
        if hex.is_empty() || hex.len() % 2 != 0 || hex.len() > 4096 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid());
        }
        let bytes: Vec<u8> = (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16))
            .collect::<Result<_, _>>()
            .map_err(|_| invalid())?;
        // Issued keys are text; a made-up one is read as text too, without the NUL
        // that PostgreSQL's text cannot hold.
        let key = String::from_utf8_lossy(&bytes).replace('\0', "");
        Ok(Cursor { time: time.parse().map_err(|_| invalid())?, key })
    }
}

/// Filters shared by the lists; each list applies the ones its table has.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub limit: i64,
    pub cursor: Option<Cursor>,
    pub account_id: Option<String>,
    pub region: Option<String>,
    pub vault: Option<String>,
    pub resource_type: Option<String>,
    pub resource_arn: Option<String>,
    pub status: Option<String>,
    pub created_after: Option<i64>,
    pub created_before: Option<i64>,
    pub test: Option<bool>,
    pub validation_status: Option<String>,
    pub plan_arn: Option<String>,
    /// Backup and copy jobs: the children of this composite job.
    pub parent_job_id: Option<String>,
    /// Include rows a sync no longer found.
    pub include_gone: bool,
    /// Restore jobs: `passed` or `failed` (see [`TEST_PASSED`], [`TEST_FAILED`]).
    pub outcome: Option<String>,
    /// Protected resources without any restore test.
    pub never_tested: bool,
    /// Protected resources with no restore test in this many days (or none at all).
    pub not_tested_days: Option<i64>,
    /// Recovery points: only usable ones ([`RP_USABLE`]).
    pub usable: bool,
}

/// SQL: a backup or copy job (aliased `j`, in table `{table}`) that counts, in totals
/// and failure notifications alike: any job but a composite (parent) job whose children
/// the console holds. A parent's state only sums its children's up (AWS sets it PARTIAL
/// when some fail), so counting it too would count one failure twice, and a child names
/// the resource that failed, which is what an operator acts on. A parent whose children
/// were never listed still counts, so its failure is not lost.
pub fn counted_job(table: &str) -> String {
    format!(
        "(j.is_parent = 0 OR NOT EXISTS (SELECT 1 FROM {table} c \
          WHERE c.account_id = j.account_id AND c.parent_job_id = j.id))"
    )
}

/// SQL: [`counted_job`] of restore jobs (aliased `j`), as a literal for constant queries.
/// A composite restore (AWS restores a CloudFormation stack as a parent job whose
/// children restore the members) is not a restore of its own: its children carry the
/// resources, the minutes and the outcomes.
macro_rules! counted_restore {
    () => {
        "(j.is_parent = 0 OR NOT EXISTS (SELECT 1 FROM restore_jobs c \
          WHERE c.account_id = j.account_id AND c.parent_job_id = j.id))"
    };
}
pub(crate) use counted_restore;

/// SQL: [`counted_restore!`], for queries built at run time.
pub const COUNTED_RESTORE: &str = counted_restore!();

/// SQL: a recovery point that counts, in totals and as a restorable point of its
/// resource: any point but a composite (parent) one. A parent (a CloudFormation stack's)
/// only groups its members' points, which are what an operator restores; its resource
/// is the stack, which the console does not restore.
pub const COUNTED_POINT: &str = "is_parent = 0";

/// SQL: a recovery point a restore or copy can use (`shared::recovery_point_usable`).
pub const RP_USABLE: &str = "status IN ('COMPLETED', 'AVAILABLE')";

// The outcomes of a restore test (`shared::TestOutcome`), defined once here as SQL
// over a restore job aliased `j`; macros so that constant queries can splice them.

/// SQL: passed: the restore completed and its validation reported `SUCCESSFUL`.
macro_rules! test_passed {
    () => {
        "(j.status = 'COMPLETED' AND j.validation_status = 'SUCCESSFUL')"
    };
}
/// SQL: restored: completed, and no validation status or still `VALIDATING`.
macro_rules! test_restored {
    () => {
        "(j.status = 'COMPLETED' AND (j.validation_status IS NULL OR j.validation_status = 'VALIDATING'))"
    };
}
/// SQL: failed: the restore failed or was aborted, or its validation failed or timed out.
macro_rules! test_failed {
    () => {
        "(j.status IN ('FAILED', 'ABORTED') OR j.validation_status IN ('FAILED', 'TIMED_OUT'))"
    };
}
/// SQL: a validator judged the test (`SUCCESSFUL` or `FAILED`; `TIMED_OUT` means none did).
macro_rules! test_validated {
    () => {
        "(j.validation_status IN ('SUCCESSFUL', 'FAILED'))"
    };
}
pub(crate) use {test_failed, test_passed, test_restored};

/// SQL: why a failed restore job or test failed, naming the stage: `validation TIMED_OUT: ...`
/// or `restore ABORTED: ...` (the job's own message when AWS gave one).
pub const TEST_FAILURE_REASON: &str = "CASE WHEN j.validation_status IN ('FAILED', 'TIMED_OUT')
    THEN 'validation ' || j.validation_status || COALESCE(': ' || j.validation_message, '')
    ELSE 'restore ' || j.status || COALESCE(': ' || j.status_message, '') END";

/// SQL select list of restore tests' counts by outcome (the jobs are `j`), read by [`test_counts`].
pub const TEST_COUNTS: &str = concat!(
    "COUNT(CASE WHEN ",
    test_passed!(),
    " THEN 1 END) AS passed, COUNT(CASE WHEN ",
    test_restored!(),
    " THEN 1 END) AS restored, COUNT(CASE WHEN ",
    test_failed!(),
    " THEN 1 END) AS failed, COUNT(CASE WHEN j.status = 'COMPLETED' THEN 1 END) AS completed, COUNT(CASE WHEN ",
    test_validated!(),
    " THEN 1 END) AS validated"
);

/// Reads the columns of [`TEST_COUNTS`].
pub fn test_counts(row: &AnyRow) -> Result<shared::TestCounts, StoreError> {
    Ok(shared::TestCounts {
        passed: col(row, "passed")?,
        restored: col(row, "restored")?,
        failed: col(row, "failed")?,
        completed: col(row, "completed")?,
        validated: col(row, "validated")?,
    })
}

pub const TEST_PASSED: &str = test_passed!();
pub const TEST_RESTORED: &str = test_restored!();
pub const TEST_FAILED: &str = test_failed!();

impl ListQuery {
    /// Appends ` AND ...` conditions for the filters in `columns` (filter name -> column).
    pub fn apply(&self, sql: &mut Sql, columns: &[(&str, &str)]) {
        let column = |name: &str| columns.iter().find(|(n, _)| *n == name).map(|(_, c)| *c);
        let text_filters = [
            ("account_id", &self.account_id),
            ("region", &self.region),
            ("vault", &self.vault),
            ("resource_type", &self.resource_type),
            ("resource_arn", &self.resource_arn),
            ("status", &self.status),
            ("validation_status", &self.validation_status),
            ("plan_arn", &self.plan_arn),
            ("parent_job_id", &self.parent_job_id),
        ];
        for (name, value) in text_filters {
            // A vault is named by its ARN or by its name.
            let name = match value {
                Some(v) if name == "vault" && v.starts_with("arn:") => "vault_arn",
                _ => name,
            };
            if let (Some(c), Some(v)) = (column(name), value) {
                sql.push(&format!(" AND {c} = ")).arg(v.clone());
            }
        }
        if let (Some(c), Some(v)) = (column("test"), self.test) {
            sql.push(&format!(" AND {c} = ")).arg(v);
        }
        if let Some(c) = column("created_at") {
            if let Some(after) = self.created_after {
                sql.push(&format!(" AND {c} >= ")).arg(after);
            }
            if let Some(before) = self.created_before {
                sql.push(&format!(" AND {c} < ")).arg(before);
            }
        }
        if let Some(c) = column("gone_at") {
            if !self.include_gone {
                sql.push(&format!(" AND {c} IS NULL"));
            }
        }
    }

    /// Appends the keyset condition and order: newest first (when the list has a
    /// time), then by key, both descending.
    pub fn page(&self, sql: &mut Sql, time: Option<&str>, key: &str) {
        match (&self.cursor, time) {
            // One row-value comparison, which both engines read as a range of the
            // (time, key) index; the same condition spelled with OR led SQLite, with a
            // million rows' statistics, to a union of two index ranges and a sort.
            (Some(c), Some(time)) => {
                sql.push(&format!(" AND ({time}, {key}) < (")).arg(c.time).push(", ").arg(c.key.clone()).push(")");
            }
            (Some(c), None) => {
                sql.push(&format!(" AND {key} < ")).arg(c.key.clone());
            }
            (None, _) => {}
        }
        match time {
            Some(time) => sql.push(&format!(" ORDER BY {time} DESC, {key} DESC LIMIT ")),
            None => sql.push(&format!(" ORDER BY {key} DESC LIMIT ")),
        };
        sql.arg(self.limit + 1);
    }
}

/// Runs a page query and decodes its rows.
pub async fn fetch_page<T>(
    pool: &sqlx::AnyPool,
    sql: &Sql,
    limit: i64,
    read: impl Fn(&sqlx::any::AnyRow) -> Result<T, StoreError>,
    cursor_of: impl Fn(&T) -> Cursor,
) -> Result<(Vec<T>, Option<String>), StoreError> {
    let rows = sql.query().fetch_all(pool).await?;
    let items = rows.iter().map(read).collect::<Result<Vec<_>, _>>()?;
    Ok(finish_page(items, limit, cursor_of))
}

/// Cuts the extra row a page query fetched and makes the cursor of the next page.
pub fn finish_page<T>(mut items: Vec<T>, limit: i64, cursor_of: impl Fn(&T) -> Cursor) -> (Vec<T>, Option<String>) {
    if items.len() as i64 > limit {
        items.truncate(limit as usize);
        let next = items.last().map(|i| cursor_of(i).encode());
        (items, next)
    } else {
        (items, None)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn restore_jobs_count_as_backup_and_copy_jobs_do() {
        assert_eq!(COUNTED_RESTORE, counted_job("restore_jobs"));
    }

    #[test]
    fn usable_recovery_points_are_the_shared_statuses() {
        let listed = RP_USABLE.matches('\'').count() / 2;
        assert_eq!(listed, shared::USABLE_RECOVERY_POINT_STATUSES.len());
        for status in shared::USABLE_RECOVERY_POINT_STATUSES {
            assert!(RP_USABLE.contains(&format!("'{status}'")), "{status}");
        }
    }

    #[test]
    fn postgres_upserts_pass_each_chunk_as_json_that_reads_back_as_its_values() {
        let tricky = "quote \" backslash \\ newline \n tab \t bell \u{7} é ✓ 🦀";
        let rows: Vec<Vec<Val>> = (0..KEPT_ROWS as i64 + 1)
            .map(|n| {
                vec![Val::Text(Some(format!("{tricky} {n}"))), Val::Int(Some(n - 5)), Val::Int(None), Val::Text(None)]
            })
            .collect();
        let statements = upserts(Engine::Postgres, "t", &["a", "b", "c", "d"], &["a"], rows, false);
        assert_eq!(statements.len(), 2, "a thousand rows a statement");
        assert_eq!(statements[0].text, statements[1].text, "one text for every chunk, prepared once");
        let parsed = match statements[1].args.as_slice() {
            [Val::Text(Some(json))] => serde_json::from_str::<serde_json::Value>(json).ok(),
            _ => None,
        };
        let expected = serde_json::json!([{"a": format!("{tricky} 1000"), "b": 995, "c": null, "d": null}]);
        assert_eq!(parsed, Some(expected), "one argument: valid JSON of the rows");
    }

    #[test]
    fn postgres_sync_chunks_bind_each_column_as_an_array() {
        let rows = vec![
            vec![Val::Text(Some("a".into())), Val::Int(None), Val::Text(None)],
            vec![Val::Text(Some("b".into())), Val::Int(Some(7)), Val::Text(Some("x".into()))],
        ];
        let upsert = ArrayUpsert::new("t", &["a", "b", "c"], &["a"], rows, true).unwrap();
        assert_eq!(
            upsert.text,
            "INSERT INTO t (a, b, c) SELECT * FROM UNNEST($1::text[], $2::int8[], $3::text[]) \
             ON CONFLICT (a) DO UPDATE SET b = excluded.b, c = excluded.c, gone_at = NULL"
        );
        assert!(matches!(&upsert.columns[1], ArrayColumn::Int(v) if v == &[None, Some(7)]));
        let mixed = vec![vec![Val::Int(Some(1))], vec![Val::Text(Some("1".into()))]];
        let refused = ArrayUpsert::new("t", &["a"], &["a"], mixed, false).err().map(|e| e.to_string());
        assert_eq!(refused.as_deref(), Some("t.a mixes integers and text"));
        let short = ArrayUpsert::new("t", &["a", "b"], &["a"], vec![vec![Val::Int(Some(1))]], false);
        assert!(short.is_err(), "a row with a value missing");
    }

    #[test]
    fn cursors_round_trip_and_reject_forgeries() {
        let c = Cursor { time: 1_795_780_800_000, key: "arn:aws:backup:x|y".into() };
        assert_eq!(Cursor::decode(&c.encode()).ok(), Some(c.clone()));
        assert!(c.encode().bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.'), "URL-safe as it is");
        for forged in ["not-a-cursor", "v1.soon.78", "v2.1.78", "v1.1.7", "v1.1.", "v1.1.zz", "v1..78", "v1.1.é9"] {
            assert!(Cursor::decode(forged).is_err(), "{forged}");
        }
        // Any position in the documented form (CURSOR_PATTERN) is one to list from.
        for made_up in ["v1.0.00", "v1.-5.ff00fe", "v1.999999999999999999.41"] {
            assert!(Cursor::decode(made_up).is_ok_and(|c| !c.key.contains('\0')), "{made_up}");
        }
    }

    #[test]
    fn a_sync_chunk_of_the_widest_table_is_one_statement() {
        let widest = super::super::jobs::RESTORE_JOB_COLUMNS;
        let rows = vec![vec![Val::Int(Some(1)); widest.len()]; 1000];
        let statements = upserts(Engine::Sqlite, "restore_jobs", &widest, &["account_id", "id"], rows, false);
        assert_eq!(statements.len(), 1);
        assert_eq!(statements[0].args.len(), 1000 * widest.len());
        assert!(statements[0].args.len() <= 32_766, "SQLite's limit of bound arguments");
        let rows = vec![vec![Val::Int(Some(1)); widest.len()]; 1251];
        assert_eq!(upserts(Engine::Postgres, "restore_jobs", &widest, &["id"], rows, false).len(), 2);
    }

    #[test]
    fn placeholders_follow_the_engine() {
        let mut pg = Sql::new(Engine::Postgres, "SELECT 1 WHERE a = ");
        pg.arg(1).push(" AND b = ").arg("x");
        assert_eq!(pg.text, "SELECT 1 WHERE a = $1 AND b = $2");
        let mut lite = Sql::new(Engine::Sqlite, "SELECT 1 WHERE a = ");
        lite.arg(1);
        assert_eq!(lite.text, "SELECT 1 WHERE a = ?");
    }
}
