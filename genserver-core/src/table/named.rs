//! Named tables (ETS's `named_table`): a table created under a name, and
//! [`NamedTable`], a handle that finds whichever table holds the name, so
//! that readers survive the restart of the table's owner.
//!
//! ```text
//!  owner's init ── create_named("keys", ctx) ──▶ names: "keys" ─▶ Core   (one live table a name)
//!  owner exits ──▶ table deleted ──▶ name freed
//!  restarted owner ── create_named("keys", ctx) ──▶ names: "keys" ─▶ new Core
//!
//!  NamedTable("keys") ──▶ the Core found last, while it is not deleted;
//!                         else looks the name up again
//! ```
//!
//! The table still belongs to its owner, as in ETS: it is deleted with it
//! (or handed to its heir, with its name). Only the name outlives it.

use std::any::Any;
use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, OnceLock, RwLock};

use arc_swap::ArcSwapOption;

use crate::table::Table;
use crate::table::core::Core;
use crate::table::counter::TableCounter;
use crate::table::error::TableError;
use crate::table::id::TableId;

/// A live named table: its id, and its core without its types.
struct Entry {
    id: TableId,
    core: Arc<dyn Any + Send + Sync>,
}

fn names() -> &'static RwLock<HashMap<Arc<str>, Entry>> {
    static NAMES: OnceLock<RwLock<HashMap<Arc<str>, Entry>>> = OnceLock::new();
    NAMES.get_or_init(Default::default)
}

/// Takes `name` for the table `core`; `false` if a live table holds it.
pub(crate) fn register<K, V>(name: &Arc<str>, core: &Arc<Core<K, V>>) -> bool
where
    K: Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    // No user code runs under this lock.
    let mut names = names().write().unwrap_or_else(|e| e.into_inner());
    if names.contains_key(name) {
        return false;
    }
    let entry = Entry {
        id: core.id,
        core: core.clone(),
    };
    names.insert(name.clone(), entry);
    true
}

/// Frees `name` if the table `id` holds it: the table was deleted.
pub(crate) fn unregister(name: &str, id: TableId) {
    let mut names = names().write().unwrap_or_else(|e| e.into_inner());
    if names.get(name).is_some_and(|entry| entry.id == id) {
        names.remove(name);
    }
}

/// The table holding `name` now, if its keys and values are `K` and `V`.
fn find<K, V>(name: &str) -> Option<Arc<Core<K, V>>>
where
    K: Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    let names = names().read().unwrap_or_else(|e| e.into_inner());
    let core = names.get(name)?.core.clone();
    core.downcast::<Core<K, V>>().ok()
}

/// A handle to whichever table holds a name (ETS's `named_table`, read by
/// name): it survives the restart of the table's owner, which creates a new
/// table under the same name with
/// [`TableBuilder::create_named`](crate::TableBuilder::create_named).
///
/// A [`Table`] names one table, which dies with its owner: after a
/// restart, readers holding it get [`TableError::Deleted`]. A `NamedTable`
/// finds the new one. Each operation uses the table found last while it is
/// not deleted (one atomic load more than through a `Table`), and looks the
/// name up again once it is. While no live table holds the name (between
/// the owner's exit and its restart), operations return
/// [`TableError::NotFound`]. A table of other key and value types under the
/// name counts as none.
///
/// The table's [`Access`](crate::Access) applies as it does through a
/// `Table`: a protected table's owner writes, every task reads.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{Strategy, Supervisor, SupervisorSpec, Table};
/// use genserver_core::NamedTable;
///
/// pub struct Prices;
///
/// #[gen_server]
/// impl Prices {
///     fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, String> {
///         let table = Table::builder()
///             .create_named("named-table-doc-prices", ctx)
///             .map_err(|e| e.to_string())?;
///         table.insert("tea".to_string(), 3u64).map_err(|e| e.to_string())?;
///         Ok(Prices)
///     }
///
///     #[cast]
///     pub fn crash(&self) {
///         panic!("prices lost")
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let tree = Supervisor::start(
///     SupervisorSpec::new(Strategy::OneForOne).child(Prices::child_spec(())),
/// )
/// .await?;
/// let prices: NamedTable<String, u64> = NamedTable::new("named-table-doc-prices");
/// assert_eq!(prices.get("tea")?, Some(3));
///
/// // The owner crashes and its supervisor restarts it: a new table, under
/// // the same name. The same handle reads it.
/// let first = prices.current()?;
/// let children = tree.which_children().await?;
/// children[0].server.as_ref().and_then(|s| s.downcast::<Prices>()).unwrap().crash();
/// loop {
///     match prices.current() {
///         Ok(table) if table != first => break,
///         _ => tokio::task::yield_now().await,
///     }
/// }
/// assert_eq!(prices.get("tea")?, Some(3));
/// # Ok(())
/// # }
/// ```
pub struct NamedTable<K, V> {
    shared: Arc<Lookup<K, V>>,
}

struct Lookup<K, V> {
    name: Arc<str>,
    found: ArcSwapOption<Core<K, V>>,
}

impl<K, V> NamedTable<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// A handle to whichever table holds `name`.
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        NamedTable {
            shared: Arc::new(Lookup {
                name: name.into(),
                found: ArcSwapOption::empty(),
            }),
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// The table holding the name now: [`TableError::NotFound`] when none
    /// does.
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name (or one
    /// of other key and value types does).
    pub fn current(&self) -> Result<Table<K, V>, TableError> {
        if let Some(core) = &*self.shared.found.load()
            && !core.is_deleted()
        {
            return Ok(Table { core: core.clone() });
        }
        let core = find::<K, V>(&self.shared.name).ok_or(TableError::NotFound)?;
        self.shared.found.store(Some(core.clone()));
        Ok(Table { core })
    }

    /// Runs `op` on the table holding the name; once more on the table
    /// found next if the first was deleted meanwhile (its owner exited: the
    /// operation did nothing there).
    fn with<R>(&self, op: impl Fn(&Table<K, V>) -> Result<R, TableError>) -> Result<R, TableError> {
        match op(&self.current()?) {
            Err(TableError::Deleted) => op(&self.current()?),
            done => done,
        }
    }

    /// [`Table::get`] on the table holding the name.
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name;
    /// otherwise as [`Table`]'s.
    pub fn get<Q>(&self, key: &Q) -> Result<Option<V>, TableError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.with(|table| table.get(key))
    }

    /// [`Table::contains_key`] on the table holding the name.
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name;
    /// otherwise as [`Table`]'s.
    pub fn contains_key<Q>(&self, key: &Q) -> Result<bool, TableError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with(|table| table.contains_key(key))
    }

    /// [`Table::insert`] on the table holding the name. If that table is
    /// deleted under it, nothing is inserted: [`TableError::Deleted`].
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name;
    /// otherwise as [`Table`]'s.
    pub fn insert(&self, key: K, value: V) -> Result<(), TableError> {
        self.current()?.insert(key, value)
    }

    /// [`Table::remove`] on the table holding the name.
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name;
    /// otherwise as [`Table`]'s.
    pub fn remove<Q>(&self, key: &Q) -> Result<bool, TableError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.with(|table| table.remove(key))
    }

    /// [`Table::update_counter`] on the table holding the name. If that
    /// table is deleted under it, nothing is counted:
    /// [`TableError::Deleted`].
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name;
    /// otherwise as [`Table`]'s.
    pub fn update_counter(&self, key: K, delta: V, default: V) -> Result<V, TableError>
    where
        V: TableCounter,
    {
        self.current()?.update_counter(key, delta, default)
    }

    /// [`Table::select`] on the table holding the name.
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name;
    /// otherwise as [`Table`]'s.
    pub fn select<R>(&self, mut f: impl FnMut(&K, &V) -> Option<R>) -> Result<Vec<R>, TableError> {
        let table = self.current()?;
        match table.select(&mut f) {
            Err(TableError::Deleted) => self.current()?.select(f),
            done => done,
        }
    }

    /// [`Table::len`] of the table holding the name.
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name;
    /// otherwise as [`Table`]'s.
    pub fn len(&self) -> Result<usize, TableError> {
        self.with(Table::len)
    }

    /// [`Table::is_empty`] of the table holding the name.
    ///
    /// # Errors
    ///
    /// [`TableError::NotFound`] while no live table holds the name;
    /// otherwise as [`Table`]'s.
    pub fn is_empty(&self) -> Result<bool, TableError> {
        self.with(Table::is_empty)
    }
}

impl<K, V> Clone for NamedTable<K, V> {
    fn clone(&self) -> Self {
        NamedTable {
            shared: self.shared.clone(),
        }
    }
}

impl<K, V> fmt::Debug for NamedTable<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("NamedTable")
            .field(&self.shared.name)
            .finish()
    }
}
