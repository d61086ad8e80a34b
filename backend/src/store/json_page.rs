//! Pages the API serves as JSON the database's rows are written into directly, not
//! through typed rows and serde: the recovery point page, the API's busiest over a
//! million rows. SQLite renders each row itself; the console writes PostgreSQL's rows
//! from the driver's own row type. A test holds both equal to the typed rows' serde
//! (`the_database_renders_recovery_points_as_the_typed_rows_do`).

use std::io::Write;

use chrono::{Datelike, TimeZone, Timelike, Utc};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, Row, Type, ValueRef};

use super::sql::{Cursor, Sql};
use super::StoreError;

/// How a column becomes a JSON value in [`sqlite_json_object`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Json {
    /// Text or an integer, as it is (NULL is `null`).
    Plain,
    /// Epoch milliseconds as RFC 3339 to the second, as `crate::time::rfc3339` writes it.
    Time,
    /// An integer flag as `true` or `false`.
    Flag,
}

/// A SQLite expression that renders one row as a JSON object with these keys, in this
/// order (see [`sqlite_json_page_head`]).
pub fn sqlite_json_object(fields: &[(&str, &str, Json)]) -> String {
    let values = fields.iter().map(|(key, column, kind)| match kind {
        Json::Plain => format!("'{key}', {column}"),
        Json::Time => format!("'{key}', replace(datetime({column} / 1000, 'unixepoch'), ' ', 'T') || 'Z'"),
        Json::Flag => format!("'{key}', json(CASE WHEN {column} <> 0 THEN 'true' ELSE 'false' END)"),
    });
    format!("json_object({})", values.collect::<Vec<_>>().join(", "))
}

/// The head of a SQLite page query answered with one value: the page's rows (`time`,
/// `key`, and `item`: the row as [`sqlite_json_object`]), one line each,
/// `<time>,<length of key in bytes>,<key><item>`. The caller appends the row query,
/// its filters and [`ListQuery::page`], then `) page`; [`finish_json_page`] reads it.
/// A JSON object as SQLite writes it holds no raw newline (one in a string is written
/// `\n`), so each line ends at one.
///
/// Why: SQLite's driver hands each row from its own thread to the request's task,
/// waking it each time (50 futex calls per page of 100, strace), and under load the
/// pages queued on those hand-offs (docs/benchmarks.md, session 16). PostgreSQL's
/// driver has no such hand-off, and its server renders JSON slower than the console
/// (1.6 ms a page), so the console writes its rows ([`pg_json_page`]).
pub fn sqlite_json_page_head(time: &str, key: &str, item: &str) -> String {
    // Joined as SQLite's page query gives the rows; `finish_json_page` puts them in
    // page order, instead of an ORDER BY here copying each row into SQLite's sorter.
    format!(
        "SELECT group_concat(CAST({time} AS TEXT) || ',' || CAST(length(CAST({key} AS BLOB)) AS TEXT) || ',' \
         || {key} || item, char(10)) AS lines FROM (SELECT {time}, {key}, {item} AS item"
    )
}

/// The answer of a [`sqlite_json_page_head`] query as the items of a JSON array (the
/// objects joined by commas) and the cursor of the next page.
pub fn finish_json_page(lines: Option<String>, limit: i64) -> Result<(String, Option<String>), StoreError> {
    let lines = lines.unwrap_or_default();
    let mut rows = Vec::new();
    let mut rest = lines.as_str();
    while !rest.is_empty() {
        let row = page_line(rest).ok_or_else(|| {
            let what = format!("a page line is not <time>,<n>,<key><object>: {rest:.80}");
            StoreError::Database(sqlx::Error::Decode(what.into()))
        })?;
        rest = row.3;
        rows.push((row.0, row.1, row.2));
    }
    // A page's order, as `ListQuery::page` writes it: SQLite compares text as bytes.
    rows.sort_unstable_by(|a, b| (b.0, b.1).cmp(&(a.0, a.1)));
    let shown = &rows[..rows.len().min(limit.max(0) as usize)];
    let items = shown.iter().map(|(_, _, item)| *item).collect::<Vec<_>>().join(",");
    let next = match shown.last() {
        Some((time, key, _)) if rows.len() > shown.len() => Some(Cursor { time: *time, key: key.to_string() }.encode()),
        _ => None,
    };
    Ok((items, next))
}

/// One line of a [`sqlite_json_page_head`] answer: its time, key and object, and what follows.
fn page_line(text: &str) -> Option<(i64, &str, &str, &str)> {
    let (time, rest) = text.split_once(',')?;
    let (bytes, rest) = rest.split_once(',')?;
    let bytes: usize = bytes.parse().ok()?;
    let key = rest.get(..bytes)?;
    let (item, rest) = rest[bytes..].split_once('\n').unwrap_or((&rest[bytes..], ""));
    Some((time.parse().ok()?, key, item, rest))
}

/// The columns a page query selects for [`pg_json_page`]: the fields' own, in order.
pub fn pg_json_columns(fields: &[(&str, &str, Json)]) -> String {
    fields.iter().map(|(_, column, _)| *column).collect::<Vec<_>>().join(", ")
}

/// Runs a PostgreSQL page query that selects [`pg_json_columns`] (ordered and cut at
/// `limit + 1` by [`super::ListQuery::page`]) and writes its rows as JSON objects with the
/// fields' keys, joined by commas, with the cursor of the next page (`time` and `key`
/// name two of the fields' columns).
///
/// Why not typed rows: through sqlx's `Any` driver each value of each row is converted
/// and copied twice before serde writes it again; that conversion alone was 17 % of a
/// full page's CPU, and the rows, their copies and serde about a third
/// (docs/benchmarks.md, session 20). Here each value is read where the driver holds it.
/// PostgreSQL's server renders JSON (`row_to_json`) at three times the CPU of the
/// bare rows, more than the console saves, so the console writes it.
pub async fn pg_json_page(
    pool: &PgPool,
    sql: &Sql,
    fields: &[(&str, &str, Json)],
    (time, key): (&str, &str),
    limit: i64,
) -> Result<(String, Option<String>), StoreError> {
    let position = |column: &str| {
        fields
            .iter()
            .position(|(_, c, _)| *c == column)
            .ok_or_else(|| StoreError::Database(sqlx::Error::ColumnNotFound(format!("{column}, of the page's cursor"))))
    };
    let (time, key) = (position(time)?, position(key)?);
    let rows = sql.pg_query().fetch_all(pool).await?;
    let shown = rows.len().min(limit.max(0) as usize);
    let mut out = Vec::with_capacity(shown * 1024);
    for (i, row) in rows[..shown].iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_pg_object(&mut out, row, fields)?;
    }
    let next = match rows[..shown].last() {
        Some(last) if rows.len() > shown => {
            Some(Cursor { time: last.try_get(time)?, key: last.try_get(key)? }.encode())
        }
        _ => None,
    };
    let items = String::from_utf8(out).map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?;
    Ok((items, next))
}

/// One row as a JSON object: the fields' keys (identifiers: nothing to escape) and
/// values as `shared`'s serde writes them (text escaped by serde_json itself).
fn write_pg_object(out: &mut Vec<u8>, row: &PgRow, fields: &[(&str, &str, Json)]) -> Result<(), StoreError> {
    out.push(b'{');
    for (i, (name, _, kind)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'"');
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":");
        let value = row.try_get_raw(i)?;
        if value.is_null() {
            out.extend_from_slice(b"null");
            continue;
        }
        match kind {
            Json::Time => write_time(out, row.try_get(i)?),
            Json::Flag => out.extend_from_slice(if row.try_get::<i64, _>(i)? != 0 { b"true" } else { b"false" }),
            Json::Plain if <i64 as Type<Postgres>>::compatible(&value.type_info()) => {
                let _ = write!(out, "{}", row.try_get::<i64, _>(i)?);
            }
            Json::Plain => serde_json::to_writer(&mut *out, row.try_get::<&str, _>(i)?)
                .map_err(|e| StoreError::Database(sqlx::Error::Decode(e.into())))?,
        }
    }
    out.push(b'}');
    Ok(())
}

/// Epoch milliseconds as a JSON string, exactly as [`crate::time::rfc3339`] writes them
/// (to the second, `Z`), without its `String` for the years of four digits.
fn write_time(out: &mut Vec<u8>, ms: i64) {
    let time = Utc.timestamp_millis_opt(ms).single().filter(|t| (0..=9999).contains(&t.year()));
    let Some(t) = time else {
        let _ = serde_json::to_writer(out, &crate::time::rfc3339(ms));
        return;
    };
    out.push(b'"');
    push_digits(out, t.year() as u32, 4, b'-');
    push_digits(out, t.month(), 2, b'-');
    push_digits(out, t.day(), 2, b'T');
    push_digits(out, t.hour(), 2, b':');
    push_digits(out, t.minute(), 2, b':');
    push_digits(out, t.second(), 2, b'Z');
    out.push(b'"');
}

/// `value` in `width` decimal digits, zero-padded, then `after`.
fn push_digits(out: &mut Vec<u8>, value: u32, width: u32, after: u8) {
    for place in (0..width).rev() {
        out.push(b'0' + (value / 10u32.pow(place) % 10) as u8);
    }
    out.push(after);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_json_page_comes_in_page_order_cut_at_its_limit() {
        let lines = ["5,1,b{\"n\":1}", "7,1,a{\"n\":2}", "9,3,é\n{\"n\":3}", "5,1,c{\"n\":4}"].join("\n");
        let (items, next) = finish_json_page(Some(lines.clone()), 3).unwrap();
        assert_eq!(items, "{\"n\":3},{\"n\":2},{\"n\":4}");
        assert_eq!(next, Some(Cursor { time: 5, key: "c".into() }.encode()));
        assert_eq!(finish_json_page(Some(lines), 4).unwrap().1, None);
        assert_eq!(finish_json_page(None, 3).unwrap(), (String::new(), None));
        assert!(finish_json_page(Some("5,9,a{}".into()), 3).is_err());
        assert!(finish_json_page(Some("x,1,a{}".into()), 3).is_err());
    }

    #[test]
    fn times_are_written_as_the_typed_rows_write_them() {
        let times = [
            0,
            -1,
            999,
            1_795_780_800_000,
            1_795_780_859_999,
            -62_167_219_200_000, // 0000-01-01
            -62_167_219_200_001, // a year before 0
            253_402_300_799_999, // 9999-12-31T23:59:59.999
            253_402_300_800_000, // 10000
            i64::MAX,            // no such time: an empty string
            i64::MIN,
        ];
        for ms in times {
            let mut out = Vec::new();
            write_time(&mut out, ms);
            let expected = serde_json::to_string(&crate::time::rfc3339(ms)).unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{ms}");
        }
    }
}
