//! [`Registry`]: Elixir's `Registry`. The explanation a user needs is on
//! the type, where rustdoc shows it.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::id::ServerId;
use crate::lock::lock;
use crate::naming::{Name, Refusal, Via};
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::gen_server::GenServer;
use crate::server::process::{ExitHook, HookKey, Release};

/// Whether a registry holds one server per key or many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Keys {
    /// At most one server per key; usable as a name with [`Registry::via`].
    Unique,
    /// Any number of servers per key, each with its own value; a server
    /// may register the same key more than once.
    Duplicate,
}

/// Why a registration failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RegisterError {
    /// The key of a unique registry is held by this (running) server.
    AlreadyRegistered(AnyServer),
    /// The server to register has already exited.
    NoProc,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterError::AlreadyRegistered(holder) => {
                write!(f, "the key is already registered to {}", holder.id())
            }
            RegisterError::NoProc => f.write_str("the server is not running"),
        }
    }
}

impl std::error::Error for RegisterError {}

/// The entries of one server under one key: one value per registration.
struct Held<V> {
    server: AnyServer,
    values: Vec<V>,
}

/// Key → the servers under it.
type KeyPartition<K, V> = Mutex<HashMap<K, HashMap<ServerId, Held<V>>>>;
/// Server → its keys, each with how many times it is registered under it.
type ServerPartition<K> = Mutex<HashMap<ServerId, HashMap<K, usize>>>;

struct Inner<K, V> {
    /// Names this registry's exit hooks on its servers.
    number: u64,
    keys: Keys,
    hasher: RandomState,
    by_key: Box<[KeyPartition<K, V>]>,
    by_server: Box<[ServerPartition<K>]>,
    entries: AtomicUsize,
    /// Counts removals, so a [`Named`](crate::Named) handle knows when the
    /// holder it found may have changed.
    removals: AtomicU64,
}

impl<K: Hash + Eq + Clone + Send + 'static, V: Send + 'static> Inner<K, V> {
    fn key_partition<Q: Hash + ?Sized>(
        &self,
        key: &Q,
    ) -> MutexGuard<'_, HashMap<K, HashMap<ServerId, Held<V>>>> {
        let index = (self.hasher.hash_one(key) as usize) % self.by_key.len();
        lock(&self.by_key[index])
    }

    fn server_partition(
        &self,
        id: ServerId,
    ) -> MutexGuard<'_, HashMap<ServerId, HashMap<K, usize>>> {
        lock(&self.by_server[(id.as_u64() as usize) % self.by_server.len()])
    }

    /// Removes every entry of `id` under `key`; how many there were.
    fn remove_entries<Q>(&self, key: &Q, id: ServerId) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut partition = self.key_partition(key);
        let Some(servers) = partition.get_mut(key) else {
            return 0;
        };
        let removed = servers.remove(&id).map_or(0, |held| held.values.len());
        if servers.is_empty() {
            partition.remove(key);
        }
        if removed > 0 {
            self.entries.fetch_sub(removed, Ordering::Relaxed);
            self.removals.fetch_add(1, Ordering::Release);
        }
        removed
    }

    /// The keys the server `id` is registered under, once each.
    fn keys_of(&self, id: ServerId) -> Vec<K>
    where
        K: Clone,
    {
        self.server_partition(id)
            .get(&id)
            .map(|keys| keys.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The exit hook: removes every entry of a server that exited.
    fn release(&self, id: ServerId) {
        let keys = self.server_partition(id).remove(&id);
        for key in keys.into_iter().flat_map(HashMap::into_keys) {
            self.remove_entries(&key, id);
        }
    }
}

/// A registry of servers by key (Elixir's `Registry`). Cheap to clone:
/// clones share the same table.
///
/// # Keys
///
/// A [`Keys::Unique`] registry holds at most one server per key: a second
/// registration fails with [`RegisterError::AlreadyRegistered`], carrying
/// the holder. A [`Keys::Duplicate`] registry holds any number, which makes
/// it a pub/sub topic table: [`dispatch`](Registry::dispatch) reaches every
/// server under a key.
///
/// # Names
///
/// [`via`](Registry::via) turns a key of a unique registry into a server
/// name: `Session::start(id).name(sessions.via(id))`.
///
/// # Lifetime of entries
///
/// An entry goes away when its server exits: once `is_alive()` is false or
/// `exited()` has returned, no lookup returns it.
///
/// # Partitions and cost
///
/// Keys are spread over partitions, each behind its own lock, so servers
/// registering and looking up different keys rarely meet. The default is
/// one partition per core. Registering, unregistering and looking up cost
/// O(1) whatever the number of entries under a key; [`Registry::keys`]
/// costs O(keys of that server), not O(table).
///
/// # Example
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{Keys, Registry};
///
/// pub struct Room;
///
/// #[gen_server]
/// impl Room {
///     #[call]
///     pub fn topic(&self) -> &'static str {
///         "rust"
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rooms: Registry<String> = Registry::new(Keys::Unique);
/// let room = Room::start(Room).name(rooms.via("lobby".to_string())).await?;
/// // Lookups take a borrowed key.
/// assert_eq!(rooms.whereis::<Room>("lobby"), Some(room.clone()));
/// assert_eq!(rooms.keys(&room), ["lobby".to_string()]);
/// room.stop(ExitReason::Normal).await?;
/// assert!(rooms.lookup("lobby").is_empty()); // gone with its server
/// # Ok(())
/// # }
/// ```
pub struct Registry<K, V = ()> {
    inner: Arc<Inner<K, V>>,
}

impl<K, V> Clone for Registry<K, V> {
    fn clone(&self) -> Self {
        Registry {
            inner: self.inner.clone(),
        }
    }
}

impl<K, V> fmt::Debug for Registry<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registry")
            .field("keys", &self.inner.keys)
            .field("partitions", &self.inner.by_key.len())
            .field("entries", &self.inner.entries.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

/// A server's entries in one registry, removed when it exits.
struct Entries<K, V> {
    registry: Weak<Inner<K, V>>,
    id: ServerId,
    /// How its keys read, when they can be read (`via` names').
    describe: Option<fn(&K) -> String>,
}

impl<K, V> Release for Entries<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    fn release(self: Box<Self>) {
        if let Some(registry) = self.registry.upgrade() {
            registry.release(self.id);
        }
    }

    fn names(&self) -> Vec<String> {
        let (Some(describe), Some(registry)) = (self.describe, self.registry.upgrade()) else {
            return Vec::new();
        };
        registry.keys_of(self.id).iter().map(describe).collect()
    }
}

impl<K, V> Registry<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A registry with one partition per core.
    pub fn new(keys: Keys) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_partitions(keys, cores)
    }

    /// A registry with `partitions` partitions (at least one).
    pub fn with_partitions(keys: Keys, partitions: usize) -> Self {
        static NUMBER: AtomicU64 = AtomicU64::new(1);
        let partitions = partitions.max(1);
        Registry {
            inner: Arc::new(Inner {
                number: NUMBER.fetch_add(1, Ordering::Relaxed),
                removals: AtomicU64::new(0),
                keys,
                hasher: RandomState::new(),
                by_key: (0..partitions).map(|_| Mutex::default()).collect(),
                by_server: (0..partitions).map(|_| Mutex::default()).collect(),
                entries: AtomicUsize::new(0),
            }),
        }
    }

    /// Whether keys are unique or duplicate: the [`Keys`] it was made with.
    /// (Not `keys()`: [`keys(server)`](Self::keys) is Elixir's
    /// `Registry.keys/2`.)
    pub fn kind(&self) -> Keys {
        self.inner.keys
    }

    #[doc(hidden)]
    #[deprecated(since = "0.1.0", note = "renamed to `kind`")]
    pub fn keys_kind(&self) -> Keys {
        self.kind()
    }

    /// Registers `server` under `key` with `value` (`Registry.register/3`,
    /// for any server rather than only the caller). The entry goes away
    /// when the server exits.
    ///
    /// # Errors
    ///
    /// [`RegisterError::AlreadyRegistered`] with the holder when a unique
    /// key is taken; [`RegisterError::NoProc`] when the server has exited.
    pub fn register(
        &self,
        key: K,
        server: impl Into<AnyServer>,
        value: V,
    ) -> Result<(), RegisterError> {
        self.register_described(key, server.into(), value, None)
    }

    /// [`register`](Self::register), the server's keys shown to
    /// inspection by `describe` (a `via` name's, whose keys are `Debug`).
    pub(crate) fn register_described(
        &self,
        key: K,
        server: AnyServer,
        value: V,
        describe: Option<fn(&K) -> String>,
    ) -> Result<(), RegisterError> {
        let id = server.id();
        {
            let mut partition = self.inner.key_partition(&key);
            let servers = partition.entry(key.clone()).or_default();
            if self.inner.keys == Keys::Unique
                && let Some(holder) = servers.values().next()
            {
                return Err(RegisterError::AlreadyRegistered(holder.server.clone()));
            }
            if !server.is_alive() {
                if servers.is_empty() {
                    partition.remove(&key);
                }
                return Err(RegisterError::NoProc);
            }
            servers
                .entry(id)
                .or_insert_with(|| Held {
                    server: server.clone(),
                    values: Vec::new(),
                })
                .values
                .push(value);
            self.inner.entries.fetch_add(1, Ordering::Relaxed);
        }
        let mut by_server = self.inner.server_partition(id);
        let first = !by_server.contains_key(&id);
        *by_server
            .entry(id)
            .or_default()
            .entry(key.clone())
            .or_default() += 1;
        if first {
            // One exit hook per server and registry, added and removed
            // under the server's partition lock, so it matches the index.
            let release = ExitHook::Release(Box::new(Entries {
                registry: Arc::downgrade(&self.inner),
                id,
                describe,
            }));
            let hook = HookKey::Registry(self.inner.number);
            if server.process().add_hook(hook, release).is_err() {
                // It exited meanwhile: take the registration back.
                by_server.remove(&id);
                drop(by_server);
                self.inner.remove_entries(&key, id);
                return Err(RegisterError::NoProc);
            }
        }
        Ok(())
    }

    /// Removes `server`'s entries under `key`; `false` if it had none.
    pub fn unregister<Q>(&self, key: &Q, server: impl Into<AnyServer>) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let server = server.into();
        let id = server.id();
        let mut by_server = self.inner.server_partition(id);
        let Some(keys) = by_server.get_mut(&id) else {
            return false;
        };
        if keys.remove(key).is_none() {
            return false;
        }
        if keys.is_empty() {
            by_server.remove(&id);
            server
                .process()
                .remove_hook(HookKey::Registry(self.inner.number));
        }
        drop(by_server);
        self.inner.remove_entries(key, id) > 0
    }

    /// The running servers under `key`, with their values (one pair per
    /// registration).
    pub fn lookup<Q>(&self, key: &Q) -> Vec<(AnyServer, V)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.inner
            .key_partition(key)
            .get(key)
            .map(|servers| {
                servers
                    .values()
                    .filter(|held| held.server.is_alive())
                    .flat_map(|held| {
                        held.values
                            .iter()
                            .map(|value| (held.server.clone(), value.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The typed handle of the first running server under `key`, if it is
    /// a `T`. The key may be borrowed: `registry.whereis::<T>("id")` for
    /// `String` keys.
    pub fn whereis<T: GenServer>(&self, key: &(impl BorrowedKey<K> + ?Sized)) -> Option<Server<T>> {
        let partition = self.inner.key_partition(key);
        key.find(&partition)?
            .values()
            .filter(|held| held.server.is_alive())
            .find_map(|held| held.server.downcast::<T>())
    }

    /// The first running server under `key`, untyped.
    pub(crate) fn find<Q>(&self, key: &Q) -> Option<AnyServer>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let partition = self.inner.key_partition(key);
        partition
            .get(key)?
            .values()
            .find(|held| held.server.is_alive())
            .map(|held| held.server.clone())
    }

    /// Changes whenever an entry is removed (or [`note_change`](Self::note_change)
    /// is called): while it stays the same, a server found under a key
    /// still holds it.
    pub(crate) fn removals(&self) -> u64 {
        self.inner.removals.load(Ordering::Acquire)
    }

    /// Tells cached lookups to look again: what a key means has changed.
    pub(crate) fn note_change(&self) {
        self.inner.removals.fetch_add(1, Ordering::Release);
    }

    /// How many entries the registry holds, over all keys. O(1).
    pub fn count(&self) -> usize {
        self.inner.entries.load(Ordering::Relaxed)
    }

    /// The keys `server` is registered under, once per registration
    /// (`Registry.keys/2`). Costs O(its keys), not O(table).
    pub fn keys(&self, server: impl Into<AnyServer>) -> Vec<K> {
        let id = server.into().id();
        self.inner
            .server_partition(id)
            .get(&id)
            .map(|keys| {
                keys.iter()
                    .flat_map(|(key, times)| std::iter::repeat_n(key.clone(), *times))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Calls `f` with the running servers under `key` and their values
    /// (`Registry.dispatch/3`), outside the registry's lock, so `f` may
    /// use the registry. Returns how many entries `f` was given.
    pub fn dispatch<Q>(&self, key: &Q, f: impl FnOnce(&[(AnyServer, V)])) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let entries = self.lookup(key);
        if !entries.is_empty() {
            f(&entries);
        }
        entries.len()
    }
}

/// A registry key or a borrowed form of it (`&str` for `String` keys), as
/// `HashMap::get` takes: implemented for every `Q` that `K` borrows as.
pub trait BorrowedKey<K>: Hash + Eq {
    /// The value under this key in `map`.
    fn find<'a, T>(&self, map: &'a HashMap<K, T>) -> Option<&'a T>;
}

impl<K, Q> BorrowedKey<K> for Q
where
    K: Borrow<Q> + Hash + Eq,
    Q: Hash + Eq + ?Sized,
{
    fn find<'a, T>(&self, map: &'a HashMap<K, T>) -> Option<&'a T> {
        map.get(self)
    }
}

impl<K, V> Registry<K, V>
where
    K: Hash + Eq + Clone + fmt::Debug + Send + Sync + 'static,
    V: Clone + Default + Send + Sync + 'static,
{
    /// `key` as a server name (`{:via, Registry, {registry, key}}`), with the
    /// default value. Only a unique registry names servers: with a duplicate
    /// one, the start fails with [`StartError::InvalidName`](crate::StartError::InvalidName)
    /// before `init` runs.
    pub fn via(&self, key: K) -> Name {
        Name::via(Arc::new(ViaKey {
            registry: self.clone(),
            key,
        }))
    }
}

struct ViaKey<K, V> {
    registry: Registry<K, V>,
    key: K,
}

impl<K, V> Via for ViaKey<K, V>
where
    K: Hash + Eq + Clone + fmt::Debug + Send + Sync + 'static,
    V: Clone + Default + Send + Sync + 'static,
{
    fn register(&self, server: &AnyServer) -> Result<(), Refusal> {
        if self.registry.inner.keys == Keys::Duplicate {
            return Err(Refusal::Invalid(
                "a key of a duplicate registry names no single server",
            ));
        }
        let describe: fn(&K) -> String = |key| format!("{key:?}");
        match self.registry.register_described(
            self.key.clone(),
            server.clone(),
            V::default(),
            Some(describe),
        ) {
            Ok(()) => Ok(()),
            Err(RegisterError::AlreadyRegistered(holder)) => Err(Refusal::Held(holder)),
            // The server is new and not started yet: it cannot have exited.
            Err(RegisterError::NoProc) => Err(Refusal::Invalid("the server has exited")),
        }
    }

    fn unregister(&self, server: &AnyServer) {
        self.registry.unregister(&self.key, server);
    }

    fn describe(&self) -> String {
        format!("{:?}", self.key)
    }

    fn find(&self) -> Option<AnyServer> {
        self.registry.find(&self.key)
    }

    fn removals(&self) -> u64 {
        self.registry.removals()
    }
}
