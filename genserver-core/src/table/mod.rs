//! Tables: ETS brought to tokio. A [`Table<K, V>`](Table) is a concurrent
//! map owned by a server and read from any task without a message.
//!
//! ```text
//!  owner's init ──create(ctx)──▶ Table ──clone──▶ any task: get / select / ...
//!        │                         │               (no message, no lock)
//!   exit hook                    Core (core.rs): access, owner, map
//!   (HookKey::Table)               │
//!        ▼                         ▼
//!   heir alive?  yes ─▶ heir owns it, Info::TableTransfer   (heir.rs)
//!                no  ─▶ deleted: map dropped, TableError::Deleted
//! ```
//!
//! One file per concept: the handle and its operations here, the shared
//! core and deletion in `core.rs`, access rules in `access.rs`, the heir
//! and the transfer message in `heir.rs`, options in `builder.rs`, errors
//! in `error.rs`, counter types in `counter.rs`.
//!
//! The map is `papaya`'s lock-free hash map, chosen by `benches/table.rs`
//! over `scc` and `dashmap` (see "Why papaya" on [`Table`]).

pub(crate) mod access;
pub(crate) mod builder;
pub(crate) mod core;
pub(crate) mod counter;
pub(crate) mod error;
pub(crate) mod heir;
pub(crate) mod id;
pub(crate) mod named;

use std::borrow::Borrow;
use std::fmt;
use std::hash::Hash;
use std::sync::Arc;

use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::server::context::Context;
use crate::server::gen_server::GenServer;
use access::{Access, Operation};
use builder::TableBuilder;
use counter::TableCounter;
use error::TableError;
use id::TableId;

/// A concurrent table owned by a server (Erlang's ETS): any task reads it
/// directly, without a message to the owner; it dies with its owner unless
/// an heir takes it over.
///
/// Create it in the owner, usually in `init`, with [`Table::new`] or
/// [`Table::builder`]; hand clones to whoever reads it. A handle is an
/// `Arc`: cheap to clone, `Send + Sync`.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{Table, TableError};
///
/// pub struct Prices {
///     table: Table<String, u64>,
/// }
///
/// #[gen_server]
/// impl Prices {
///     fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, String> {
///         // Protected (the default): this server writes, every task reads.
///         Ok(Prices { table: Table::new(ctx) })
///     }
///
///     /// The table itself: readers then skip this server altogether.
///     #[call]
///     pub fn table(&self) -> Table<String, u64> {
///         self.table.clone()
///     }
///
///     #[call]
///     pub fn set(&mut self, item: String, price: u64) -> Result<(), TableError> {
///         self.table.insert(item, price)
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let prices = Prices::start(()).await?;
/// prices.set("tea".into(), 3).await??;
/// let table = prices.table().await?;
///
/// // Another task reads without a message, by `&str` for a `String` key.
/// let reader = table.clone();
/// let tea = tokio::spawn(async move { reader.get("tea") }).await??;
/// assert_eq!(tea, Some(3));
///
/// // Only the owner writes a protected table.
/// assert!(matches!(table.insert("coffee".into(), 4), Err(TableError::Access { .. })));
///
/// // The table dies with its owner (no heir was named).
/// prices.stop(ExitReason::Normal).await?;
/// assert_eq!(table.get("tea"), Err(TableError::Deleted));
/// # Ok(())
/// # }
/// ```
///
/// # Access
///
/// [`Access::Private`]: only the owner reads and writes.
/// [`Access::Protected`] (default): the owner writes, every task reads.
/// [`Access::Public`]: every task reads and writes. "The owner" is code
/// running in the owning server's task (its `init`, handlers and
/// `terminate`), not a task it spawns. A refused operation returns
/// [`TableError::Access`]; only the owner may [`delete`](Self::delete) a
/// table or [`set_heir`](Self::set_heir), whatever its access.
///
/// # Owner, heir, deletion
///
/// The table lives until its owner exits, whether or not handles remain.
/// Then, if an heir was named ([`TableBuilder::heir`], [`set_heir`](Self::set_heir))
/// and is alive, the heir becomes the owner and its `handle_info` receives
/// [`Info::TableTransfer`](crate::Info::TableTransfer) (ETS's
/// `{:'ETS-TRANSFER', tab, from, data}`); otherwise the table is deleted.
/// Both happen before the owner counts as exited.
///
/// A deleted table drops its entries; every operation through any handle
/// then returns [`TableError::Deleted`], never a panic. A handle keeps only
/// a small shell.
///
/// # Concurrency
///
/// Reads go straight to a lock-free hash map
/// ([`papaya`](https://docs.rs/papaya)) from any task: no message, no lock,
/// neither per table nor global, so readers never wait for each other or
/// for writers. Writes are lock-free too, except while the map grows: then
/// a writer may wait briefly for the larger table to be allocated. A
/// single-key write ([`insert`](Self::insert),
/// [`insert_new`](Self::insert_new), [`remove`](Self::remove),
/// [`update`](Self::update), [`update_counter`](Self::update_counter)) is
/// atomic. Iteration ([`for_each`](Self::for_each),
/// [`select`](Self::select), [`to_vec`](Self::to_vec)) is weakly consistent,
/// as ETS's is without `safe_fixtable`: it sees each entry present for its
/// whole run, and may or may not see concurrent changes. Closures given to
/// [`update`](Self::update) may run more than once under contention; only
/// the last run's result is stored. Closures given to
/// [`get_with`](Self::get_with), [`for_each`](Self::for_each) and
/// [`select`](Self::select) run under no lock, so they may use the table.
///
/// # Why papaya
///
/// `benches/table.rs` (32 tasks on 2 workers, 1 024 keys) measured
/// `papaya` reads 2–3× faster than `scc` and `dashmap`, whose reads take a
/// bucket or shard lock; a `Table` read (papaya plus the access check and
/// the deleted-table switch) is 10–30× the throughput of the same reads as
/// calls to a server holding a `HashMap`. The price is writes: contended
/// inserts run several times slower than on `scc` or `dashmap`, as papaya
/// allocates an entry per insert; tables are for read-mostly data, as ETS
/// with `read_concurrency` is. papaya supports Rust 1.72 (this crate: 1.88),
/// and its unsafe code stays inside the map and its memory reclamation
/// (`seize`), both run under Miri in their own CI.
pub struct Table<K, V> {
    pub(crate) core: Arc<core::Core<K, V>>,
}

impl<K, V> Table<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Send + Sync + 'static,
{
    /// A [`Access::Protected`] table without an heir, owned by the server
    /// whose `ctx` this is (ETS's `new/2` with default options).
    pub fn new<T: GenServer>(ctx: &Context<T>) -> Self {
        TableBuilder::new().create(ctx)
    }

    /// A table with options: `Table::builder().access(Access::Public).heir(h).create(ctx)`.
    pub fn builder() -> TableBuilder<K, V> {
        TableBuilder::new()
    }

    /// Inserts or replaces the value under `key` (ETS's `insert/2`).
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not write it (a
    /// protected or private table, outside its owner).
    pub fn insert(&self, key: K, value: V) -> Result<(), TableError> {
        self.core.with_map(Operation::Write, |map| {
            map.pin().insert(key, value);
        })
    }

    /// Inserts only if `key` is absent; `true` if it inserted
    /// (ETS's `insert_new/2`). Atomic: of two racing calls, one wins.
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not write it (a
    /// protected or private table, outside its owner).
    pub fn insert_new(&self, key: K, value: V) -> Result<bool, TableError> {
        self.core.with_map(Operation::Write, |map| {
            map.pin().try_insert(key, value).is_ok()
        })
    }

    /// A clone of the value under `key` (ETS's `lookup/2`). Looks up by any
    /// borrowed form of the key, as `HashMap::get` does.
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn get<Q>(&self, key: &Q) -> Result<Option<V>, TableError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.get_with(key, V::clone)
    }

    /// Runs `f` on the value under `key`, without cloning it.
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn get_with<Q, R>(&self, key: &Q, f: impl FnOnce(&V) -> R) -> Result<Option<R>, TableError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.core
            .with_map(Operation::Read, |map| map.pin().get(key).map(f))
    }

    /// Whether `key` has a value (ETS's `member/2`).
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn contains_key<Q>(&self, key: &Q) -> Result<bool, TableError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.core
            .with_map(Operation::Read, |map| map.pin().contains_key(key))
    }

    /// Removes the entry under `key`; `true` if there was one (ETS's
    /// `delete/2`).
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not write it (a
    /// protected or private table, outside its owner).
    pub fn remove<Q>(&self, key: &Q) -> Result<bool, TableError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.core
            .with_map(Operation::Write, |map| map.pin().remove(key).is_some())
    }

    /// Removes the entry under `key` and returns its value (ETS's `take/2`).
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not write it (a
    /// protected or private table, outside its owner).
    pub fn take<Q>(&self, key: &Q) -> Result<Option<V>, TableError>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        self.core
            .with_map(Operation::Write, |map| map.pin().remove(key).cloned())
    }

    /// Replaces the value under `key` with `f(value)`, atomically; the new
    /// value, or `None` if `key` had none. Under contention `f` may run
    /// more than once: keep it free of side effects.
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not write it (a
    /// protected or private table, outside its owner).
    pub fn update(&self, key: K, f: impl Fn(&V) -> V) -> Result<Option<V>, TableError>
    where
        V: Clone,
    {
        self.core
            .with_map(Operation::Write, |map| map.pin().update(key, f).cloned())
    }

    /// Adds `delta` to the counter under `key`, starting from `default` if
    /// there is none, atomically: concurrent updates all count (ETS's
    /// `update_counter/4`). Returns the new value; a result past the type's
    /// bounds leaves the counter unchanged and returns
    /// [`TableError::Overflow`].
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not write it (a
    /// protected or private table, outside its owner).
    /// [`TableError::Overflow`] when the result would pass the type's
    /// bounds (the counter is unchanged).
    pub fn update_counter(&self, key: K, delta: V, default: V) -> Result<V, TableError>
    where
        V: TableCounter,
    {
        self.core.with_map(Operation::Write, |map| {
            let mut last = None;
            map.pin().compute(key, |entry| {
                let current = entry.map_or(default, |(_, value)| *value);
                last = current.checked_add(delta);
                match last {
                    Some(value) => papaya::Operation::Insert(value),
                    None => papaya::Operation::Abort(()),
                }
            });
            last.ok_or(TableError::Overflow)
        })?
    }

    /// Calls `f` on every entry (ETS's `foldl/3`); weakly consistent.
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn for_each(&self, mut f: impl FnMut(&K, &V)) -> Result<(), TableError> {
        self.core.with_map(Operation::Read, |map| {
            for (key, value) in map.pin().iter() {
                f(key, value);
            }
        })
    }

    /// What `f` keeps of each entry (ETS's `select/2` with the match spec
    /// written as a closure); weakly consistent.
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn select<R>(&self, mut f: impl FnMut(&K, &V) -> Option<R>) -> Result<Vec<R>, TableError> {
        self.core.with_map(Operation::Read, |map| {
            map.pin().iter().filter_map(|(k, v)| f(k, v)).collect()
        })
    }

    /// Clones of every key.
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn keys(&self) -> Result<Vec<K>, TableError>
    where
        K: Clone,
    {
        self.select(|key, _| Some(key.clone()))
    }

    /// Clones of every entry (ETS's `tab2list/1`).
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn to_vec(&self) -> Result<Vec<(K, V)>, TableError>
    where
        K: Clone,
        V: Clone,
    {
        self.select(|key, value| Some((key.clone(), value.clone())))
    }

    /// How many entries the table holds (ETS's `info(tab, :size)`).
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn len(&self) -> Result<usize, TableError> {
        self.core.with_map(Operation::Read, |map| map.len())
    }

    /// Whether the table holds no entry.
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not read it (a
    /// private table, outside its owner).
    pub fn is_empty(&self) -> Result<bool, TableError> {
        self.core.with_map(Operation::Read, |map| map.is_empty())
    }

    /// Removes every entry; the table stays (ETS's `delete_all_objects/1`).
    ///
    /// # Errors
    ///
    /// [`TableError::Deleted`] once the table is deleted;
    /// [`TableError::Access`] when the running task may not write it (a
    /// protected or private table, outside its owner).
    pub fn clear(&self) -> Result<(), TableError> {
        self.core
            .with_map(Operation::Write, |map| map.pin().clear())
    }

    /// Names the server that inherits the table when its owner exits, or
    /// none (ETS's `setopts(tab, {:heir, ..})`). Only the owner may.
    ///
    /// # Errors
    ///
    /// [`TableError::NotOwner`] outside the owner; [`TableError::Deleted`]
    /// once the table is deleted.
    pub fn set_heir(&self, heir: Option<AnyServer>) -> Result<(), TableError> {
        self.core.check_owner()?;
        self.core.life().heir = heir;
        Ok(())
    }

    /// Makes `to` the owner (ETS's `give_away/3`): its `handle_info`
    /// receives [`Info::TableTransfer`](crate::Info::TableTransfer), and
    /// the table now lives as long as `to` does. The heir stays as it was.
    /// Only the owner may; giving it to itself or to a server that has
    /// exited is refused with [`TableError::BadReceiver`].
    ///
    /// The usual use: an heir keeps a table while its owner restarts, and
    /// gives it back to the new owner.
    ///
    /// # Errors
    ///
    /// [`TableError::NotOwner`] outside the owner; [`TableError::Deleted`]
    /// once the table is deleted; [`TableError::BadReceiver`] for the owner
    /// itself or a server that has exited.
    pub fn give_away(&self, to: impl Into<AnyServer>) -> Result<(), TableError> {
        self.core.check_owner()?;
        let Some(owner) = self.core.life().owner.clone() else {
            return Err(TableError::Deleted);
        };
        self.core
            .give_away(&owner, to.into())
            .map_err(|_| TableError::BadReceiver)
    }

    /// Deletes the table now (ETS's `delete/1`); its heir, if any, gets
    /// nothing. Only the owner may.
    ///
    /// # Errors
    ///
    /// [`TableError::NotOwner`] outside the owner; [`TableError::Deleted`]
    /// once the table is deleted.
    pub fn delete(&self) -> Result<(), TableError> {
        self.core.check_owner()?;
        self.core.delete();
        Ok(())
    }
}

impl<K, V> Table<K, V> {
    /// The table's identity.
    pub fn id(&self) -> TableId {
        self.core.id
    }

    /// Who may use the table besides its owner.
    pub fn access(&self) -> Access {
        self.core.access
    }

    /// The owning server; `None` once the table is deleted.
    pub fn owner(&self) -> Option<ServerId> {
        self.core.owner()
    }

    /// Whether the table has been deleted.
    pub fn is_deleted(&self) -> bool {
        self.core.is_deleted()
    }
}

impl<K, V> Clone for Table<K, V> {
    fn clone(&self) -> Self {
        Table {
            core: self.core.clone(),
        }
    }
}

impl<K, V> PartialEq for Table<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<K, V> Eq for Table<K, V> {}

impl<K, V> fmt::Debug for Table<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Table")
            .field("id", &self.id())
            .field("access", &self.access())
            .field("owner", &self.owner())
            .field("deleted", &self.is_deleted())
            .finish()
    }
}
