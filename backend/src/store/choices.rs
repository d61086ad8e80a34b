//! What the web console's typeahead fields offer (accounts, regions, vaults,
//! restore testing plans, protected resources), found by prefix through an index,
//! a page at a time; and pages of accounts by id, forwards and backwards.

use shared::Choice;

use super::sql::{finish_page, Sql};
use super::*;

/// A list the typeahead offers choices from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceList {
    /// Value: the account id; matched by the id's or the name's start.
    Accounts,
    /// Value: the region; matched by its start.
    Regions,
    /// Value: a vault name (the recovery-point filter takes names); matched by its start.
    Vaults,
    /// Value: a vault's ARN (where a copy goes); matched by the name's or the account id's start.
    VaultArns,
    /// Value: the plan's ARN; matched by the name's start or the ARN's.
    Plans,
    /// Value: the resource's ARN; matched by the name's start or the ARN's.
    Resources,
}

impl ChoiceList {
    pub const NAMES: [&'static str; 6] = ["accounts", "regions", "vaults", "vault_arns", "plans", "resources"];

    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "accounts" => Self::Accounts,
            "regions" => Self::Regions,
            "vaults" => Self::Vaults,
            "vault_arns" => Self::VaultArns,
            "plans" => Self::Plans,
            "resources" => Self::Resources,
            _ => return None,
        })
    }
}

/// A page of choices: those whose value comes after `after`, matching `prefix`.
#[derive(Debug, Clone, Default)]
pub struct ChoiceQuery {
    /// Matched case-insensitively (ASCII) against the start of the list's names.
    pub prefix: String,
    /// Only the choice with this value.
    pub value: Option<String>,
    /// Only this account's vaults, plans and resources.
    pub account_id: Option<String>,
    /// Only the vaults, plans and resources in this region.
    pub region: Option<String>,
    pub after: Option<String>,
    pub limit: i64,
}

/// Where a page of accounts (by id) starts: after `after`, or ends: before `before`.
#[derive(Debug, Clone, Default)]
pub struct AccountPaging {
    pub limit: i64,
    pub after: Option<String>,
    pub before: Option<String>,
    pub account_id: Option<String>,
}

/// A page of accounts (by id) with the cursors around it and the total.
pub struct IdPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
    pub prev: Option<String>,
    pub total: i64,
}

/// Past every character a name can hold: the upper end of a prefix's range, so
/// that the range reads an index in any collation (see [`prefix_match`]).
const LAST_CHAR: char = '\u{10FFFF}';

/// SQL: `expr` starts with `prefix`. The range (`>=`, `<`) lets an index on `expr`
/// answer; the `substr` comparison keeps the answer exact where a collation orders
/// punctuation loosely (PostgreSQL with a language locale).
fn prefix_match(sql: &mut Sql, expr: &str, prefix: &str) {
    sql.push(&format!("({expr} >= "))
        .arg(prefix)
        .push(&format!(" AND {expr} < "))
        .arg(format!("{prefix}{LAST_CHAR}"))
        .push(&format!(" AND substr({expr}, 1, {}) = ", prefix.chars().count()))
        .arg(prefix)
        .push(")");
}

impl Store {
    /// A page of the `list`'s choices matching `q`, ordered by value.
    pub async fn choices(
        &self,
        list: ChoiceList,
        q: &ChoiceQuery,
    ) -> Result<(Vec<Choice>, Option<String>), StoreError> {
        let prefix = q.prefix.to_ascii_lowercase();
        let (select, value, matched): (&str, &str, &[&str]) = match list {
            ChoiceList::Accounts => (
                "SELECT id AS value, name || ' (' || id || ')' AS label FROM accounts t WHERE 1 = 1",
                "id",
                &["id", "lower(name)"],
            ),
            ChoiceList::Regions => (
                "SELECT DISTINCT region AS value, region AS label FROM sync_status t WHERE 1 = 1",
                "region",
                &["region"],
            ),
            ChoiceList::Vaults => (
                "SELECT DISTINCT name AS value, name AS label FROM vaults t WHERE gone_at IS NULL",
                "name",
                &["lower(name)"],
            ),
            ChoiceList::VaultArns => (
                "SELECT arn AS value, name || ' (' || account_id || ', ' || region || ')' AS label
                 FROM vaults t WHERE gone_at IS NULL",
                "arn",
                &["lower(name)", "account_id"],
            ),
            ChoiceList::Plans => (
                "SELECT arn AS value, name || ' (' || account_id || ', ' || region || ')' AS label
                 FROM restore_testing_plans t WHERE gone_at IS NULL",
                "arn",
                &["lower(name)", "arn"],
            ),
            // One choice per ARN, though a central account that holds copies lists it too.
            ChoiceList::Resources => (
                "SELECT arn AS value, MIN(COALESCE(name, arn) || ' · ' || resource_type || ' · ' || account_id) AS label
                 FROM protected_resources t WHERE gone_at IS NULL",
                "arn",
                &["lower(name)", "arn"],
            ),
        };
        let mut sql = Sql::new(self.engine(), select);
        if let (Some(account), false) = (&q.account_id, list == ChoiceList::Regions) {
            let column = if list == ChoiceList::Accounts { "id" } else { "account_id" };
            sql.push(&format!(" AND {column} = ")).arg(account.clone());
        }
        if let (Some(region), false) = (&q.region, list == ChoiceList::Accounts) {
            sql.push(" AND region = ").arg(region.clone());
        }
        if !prefix.is_empty() {
            sql.push(" AND (");
            for (i, expr) in matched.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                // An ARN is matched as typed: ARNs are pasted, and its index is on the ARN.
                prefix_match(&mut sql, expr, if *expr == "arn" { &q.prefix } else { &prefix });
            }
            sql.push(")");
        }
        if let Some(exact) = &q.value {
            sql.push(&format!(" AND {value} = ")).arg(exact.clone());
        }
        if let Some(after) = &q.after {
            sql.push(&format!(" AND {value} > ")).arg(after.clone());
        }
        if list == ChoiceList::Resources {
            sql.push(" GROUP BY arn");
        }
        sql.push(&format!(" ORDER BY {value} LIMIT ")).arg(q.limit + 1);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let items = rows
            .iter()
            .map(|r| Ok(Choice { value: col(r, "value")?, label: col(r, "label")? }))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(finish_page(items, q.limit, |c| Cursor { time: 0, key: c.value.clone() }))
    }

    /// A page of accounts by id, after `p.after` or before `p.before`: `select` reads
    /// `accounts a` and ends in a WHERE clause; its rows are read by `read`. With the
    /// cursors around the page and the number of accounts (that `p.account_id` leaves).
    pub(super) async fn id_page<T>(
        &self,
        select: Sql,
        p: &AccountPaging,
        read: impl Fn(&AnyRow) -> Result<T, StoreError>,
        id_of: impl Fn(&T) -> String,
    ) -> Result<IdPage<T>, StoreError> {
        let mut sql = select;
        let mut count = Sql::new(self.engine(), "SELECT COUNT(*) AS n FROM accounts WHERE 1 = 1");
        if let Some(account) = &p.account_id {
            sql.push(" AND a.id = ").arg(account.clone());
            count.push(" AND id = ").arg(account.clone());
        }
        let backwards = p.before.is_some() && p.after.is_none();
        match (&p.after, &p.before) {
            (Some(after), _) => {
                sql.push(" AND a.id > ").arg(after.clone());
            }
            (None, Some(before)) => {
                sql.push(" AND a.id < ").arg(before.clone());
            }
            (None, None) => {}
        }
        sql.push(if backwards { " ORDER BY a.id DESC LIMIT " } else { " ORDER BY a.id LIMIT " }).arg(p.limit + 1);
        let rows = sql.query().fetch_all(self.pool()).await?;
        let mut items = rows.iter().map(&read).collect::<Result<Vec<_>, _>>()?;
        let more = items.len() as i64 > p.limit;
        items.truncate(p.limit as usize);
        if backwards {
            items.reverse();
        }
        let cursor = |item: Option<&T>| item.map(|i| Cursor { time: 0, key: id_of(i) }.encode());
        // Forwards, a page after a cursor has one before it; backwards, one before a cursor has one after it.
        let (next, prev) = if backwards {
            (cursor(items.last()), if more { cursor(items.first()) } else { None })
        } else {
            (
                if more { cursor(items.last()) } else { None },
                if p.after.is_some() { cursor(items.first()) } else { None },
            )
        };
        let total = col::<i64>(&count.query().fetch_one(self.pool()).await?, "n")?;
        Ok(IdPage { items, next, prev, total })
    }
}
