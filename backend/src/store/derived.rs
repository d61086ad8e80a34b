//! Values derived from the whole inventory (restore-test coverage), computed once per
//! change of the inventory instead of once per request. The writers of the inventory
//! move a counter in the database after each commit (`data_versions`), so every
//! replica sees the change; a value is kept with the version it was computed at.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use super::{col, Sql, Store, StoreError};

type Slot = Arc<tokio::sync::Mutex<Option<(i64, Arc<dyn Any + Send + Sync>)>>>;

/// The cached values of one database, by name.
#[derive(Default)]
pub(crate) struct Derived(Mutex<HashMap<&'static str, Slot>>);

impl Derived {
    fn slot(&self, name: &'static str) -> Slot {
        // A poisoned map only means a panic elsewhere while inserting: its content is still whole.
        let mut slots = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        Arc::clone(slots.entry(name).or_default())
    }
}

impl Store {
    /// The inventory version the cached value `name` was computed at, if one is cached.
    pub async fn derived_version(&self, name: &'static str) -> Option<i64> {
        self.derived.slot(name).lock().await.as_ref().map(|(version, _)| *version)
    }

    /// The inventory's version: moves after every committed change of what the
    /// derived values read (protected resources, restore jobs, plans).
    pub async fn inventory_version(&self) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT version FROM data_versions WHERE name = 'inventory'").fetch_one(self.pool()).await?;
        col(&row, "version")
    }

    /// Records that the inventory changed, after the change committed: a value derived
    /// before it is computed again. (Inside the writing transaction the counter's row
    /// would serialize every concurrent writer on PostgreSQL; after the commit, a
    /// reader that read the old version and then the new rows only computes once more.)
    pub(crate) async fn inventory_changed(&self) -> Result<(), StoreError> {
        let sql = Sql::new(self.engine(), "UPDATE data_versions SET version = version + 1 WHERE name = 'inventory'");
        sql.query().execute(self.writer()).await?;
        Ok(())
    }

    /// The value `name` as of the inventory's current version: the cached one when
    /// it was computed at this version (or a later one) and `usable` accepts it,
    /// else computed by `compute`. One computation at a time per name: callers that
    /// arrive meanwhile wait for it and share its result.
    pub async fn derived<T, E, F, Fut>(
        &self,
        name: &'static str,
        usable: impl Fn(&T) -> bool,
        compute: F,
    ) -> Result<Arc<T>, E>
    where
        T: Send + Sync + 'static,
        E: From<StoreError>,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let slot = self.derived.slot(name);
        // Read before the data: a change committed after this read moves the version
        // again, so a value computed from newer rows is at worst computed once more.
        let version = self.inventory_version().await?;
        let mut cached = slot.lock().await;
        if let Some((at, value)) = cached.as_ref() {
            if *at >= version {
                if let Ok(value) = Arc::clone(value).downcast::<T>() {
                    if usable(&value) {
                        return Ok(value);
                    }
                }
            }
        }
        let value = Arc::new(compute().await?);
        *cached = Some((version, Arc::clone(&value) as Arc<dyn Any + Send + Sync>));
        Ok(value)
    }
}
