//! A key-value store of servers, partitioned for concurrent use (Elixir's
//! `Registry`).
//!
//! # Keys
//!
//! A [`Keys::Unique`] registry holds at most one server per key: a second
//! registration fails with [`RegisterError::AlreadyRegistered`], carrying
//! the holder. A [`Keys::Duplicate`] registry holds any number, which makes
//! it a pub/sub topic table: [`dispatch`](Registry::dispatch) reaches every
//! server under a key.
//!
//! # Names
//!
//! [`via`](Registry::via) turns a key of a unique registry into a server
//! name: `Session::start(id).name(sessions.via(id))`.
//!
//! # Lifetime of entries
//!
//! An entry goes away when its server exits: once `is_alive()` is false or
//! `exited()` has returned, no lookup returns it.
//!
//! # Partitions
//!
//! Keys are spread over partitions, each behind its own lock, so servers
//! registering and looking up different keys rarely meet. The default is
//! one partition per core.

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hash};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use crate::names::{Name, Via};
use crate::server::{AnyServer, GenServer, Server, ServerId};

/// Whether a registry holds one server per key or many.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keys {
    /// At most one server per key; usable as a name with [`Registry::via`].
    Unique,
    /// Any number of servers per key, each with its own value.
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

struct Entry<V> {
    server: AnyServer,
    value: V,
}

type Partition<K, V> = Mutex<HashMap<K, Vec<Entry<V>>>>;

struct Inner<K, V> {
    keys: Keys,
    hasher: RandomState,
    partitions: Box<[Partition<K, V>]>,
}

impl<K: Hash + Eq, V> Inner<K, V> {
    fn partition(&self, key: &K) -> MutexGuard<'_, HashMap<K, Vec<Entry<V>>>> {
        let index = (self.hasher.hash_one(key) as usize) % self.partitions.len();
        self.partitions[index]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Removes every entry of `id` under `key`.
    fn remove(&self, key: &K, id: ServerId) -> bool {
        let mut partition = self.partition(key);
        let Some(entries) = partition.get_mut(key) else {
            return false;
        };
        let before = entries.len();
        entries.retain(|e| e.server.id() != id);
        let removed = entries.len() != before;
        if entries.is_empty() {
            partition.remove(key);
        }
        removed
    }
}

/// A registry of servers by key (Elixir's `Registry`). Cheap to clone:
/// clones share the same table.
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
            .field("partitions", &self.inner.partitions.len())
            .finish_non_exhaustive()
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
        Registry {
            inner: Arc::new(Inner {
                keys,
                hasher: RandomState::new(),
                partitions: (0..partitions.max(1))
                    .map(|_| Mutex::new(HashMap::new()))
                    .collect(),
            }),
        }
    }

    /// Whether keys are unique or duplicate.
    pub fn keys_kind(&self) -> Keys {
        self.inner.keys
    }

    /// Registers `server` under `key` with `value` (`Registry.register/3`,
    /// for any server rather than only the caller). The entry goes away
    /// when the server exits.
    pub fn register(
        &self,
        key: K,
        server: impl Into<AnyServer>,
        value: V,
    ) -> Result<(), RegisterError> {
        let server = server.into();
        {
            let mut partition = self.inner.partition(&key);
            let entries = partition.entry(key.clone()).or_default();
            entries.retain(|e| e.server.is_alive());
            if self.inner.keys == Keys::Unique
                && let Some(holder) = entries.first()
            {
                return Err(RegisterError::AlreadyRegistered(holder.server.clone()));
            }
            if !server.is_alive() {
                if entries.is_empty() {
                    partition.remove(&key);
                }
                return Err(RegisterError::NoProc);
            }
            entries.push(Entry {
                server: server.clone(),
                value,
            });
        }
        let registry: Weak<Inner<K, V>> = Arc::downgrade(&self.inner);
        let id = server.id();
        server.process().on_exit(Box::new(move || {
            if let Some(registry) = registry.upgrade() {
                registry.remove(&key, id);
            }
        }));
        Ok(())
    }

    /// Removes `server`'s entries under `key`; `false` if it had none.
    pub fn unregister(&self, key: &K, server: impl Into<AnyServer>) -> bool {
        self.inner.remove(key, server.into().id())
    }

    /// The running servers under `key`, with their values.
    pub fn lookup(&self, key: &K) -> Vec<(AnyServer, V)> {
        self.inner
            .partition(key)
            .get(key)
            .map(|entries| {
                entries
                    .iter()
                    .filter(|e| e.server.is_alive())
                    .map(|e| (e.server.clone(), e.value.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The typed handle of the first running server under `key`, if it is a `T`.
    pub fn whereis<T: GenServer>(&self, key: &K) -> Option<Server<T>> {
        self.lookup(key)
            .into_iter()
            .find_map(|(server, _)| server.downcast::<T>())
    }

    /// How many entries the registry holds, over all keys.
    pub fn count(&self) -> usize {
        self.inner
            .partitions
            .iter()
            .map(|p| {
                p.lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .values()
                    .flatten()
                    .filter(|e| e.server.is_alive())
                    .count()
            })
            .sum()
    }

    /// The keys `server` is registered under (`Registry.keys/2`).
    pub fn keys(&self, server: impl Into<AnyServer>) -> Vec<K> {
        let id = server.into().id();
        let mut keys = Vec::new();
        for partition in self.inner.partitions.iter() {
            let partition = partition.lock().unwrap_or_else(|e| e.into_inner());
            for (key, entries) in partition.iter() {
                if entries
                    .iter()
                    .any(|e| e.server.id() == id && e.server.is_alive())
                {
                    keys.push(key.clone());
                }
            }
        }
        keys
    }

    /// Calls `f` with the running servers under `key` and their values
    /// (`Registry.dispatch/3`), outside the registry's lock, so `f` may
    /// use the registry. Returns how many entries `f` was given.
    pub fn dispatch(&self, key: &K, f: impl FnOnce(&[(AnyServer, V)])) -> usize {
        let entries = self.lookup(key);
        if !entries.is_empty() {
            f(&entries);
        }
        entries.len()
    }
}

impl<K, V> Registry<K, V>
where
    K: Hash + Eq + Clone + fmt::Debug + Send + Sync + 'static,
    V: Clone + Default + Send + Sync + 'static,
{
    /// `key` as a server name (`{:via, Registry, {registry, key}}`), with the
    /// default value. Only a unique registry names servers: with a duplicate
    /// one, the start fails as if the name were taken.
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
    fn register(&self, server: &AnyServer) -> Result<(), AnyServer> {
        if self.registry.inner.keys == Keys::Duplicate {
            return Err(server.clone());
        }
        match self
            .registry
            .register(self.key.clone(), server, V::default())
        {
            Ok(()) => Ok(()),
            Err(RegisterError::AlreadyRegistered(holder)) => Err(holder),
            Err(RegisterError::NoProc) => Err(server.clone()),
        }
    }

    fn unregister(&self, id: ServerId) {
        self.registry.inner.remove(&self.key, id);
    }

    fn describe(&self) -> String {
        format!("{:?}", self.key)
    }
}
