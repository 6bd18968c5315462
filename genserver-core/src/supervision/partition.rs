//! [`PartitionSupervisor`]: Elixir's `PartitionSupervisor`. The
//! explanation a user needs is on the type, where rustdoc shows it.
//!
//! ```text
//!  PartitionSupervisor<T> (a cheap handle, made before the start)
//!    ├─ Supervisor (one_for_one): children "partition-0" .. "partition-n-1"
//!    ├─ Registry<usize>: partition index → its running server
//!    └─ one cached Resolver per index: get(&key) takes no lock
//! ```

use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arc_swap::ArcSwap;

use crate::chain::Chain;
use crate::lock::lock;
use crate::naming::named::{Lookup, Named, Resolver};
use crate::naming::registry::{Keys, Registry};
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::error::{CallError, StartError};
use crate::server::gen_server::GenServer;
use crate::server::handle::Handle;
use crate::server::start::Start;
use crate::supervision::child_spec::ChildSpec;
use crate::supervision::supervisor::{Supervisor, SupervisorError};
use crate::supervision::supervisor_spec::{Strategy, SupervisorSpec};
use crate::supervision::{ChildCount, ChildInfo, ChildStartError, IntensityLimit};

type StartPartition<T> = dyn Fn(usize) -> Start<T> + Send + Sync;

/// What every clone of a `PartitionSupervisor` shares.
struct Partitions<T: GenServer> {
    start: Arc<StartPartition<T>>,
    /// How many partitions route keys now.
    count: AtomicUsize,
    /// Partition index → its running server.
    registry: Registry<usize>,
    /// One cached lookup per partition index, for `get`.
    resolvers: ArcSwap<Vec<Arc<Resolver<T>>>>,
    intensity: Mutex<IntensityLimit>,
    /// The supervisor of the partitions, once started.
    supervisor: Mutex<Option<Server<Supervisor>>>,
    /// One start or resize at a time.
    control: tokio::sync::Mutex<()>,
}

/// `n` copies of one server, each supervised, and a key → copy routing
/// (Elixir's `PartitionSupervisor`): the answer to a singleton server that
/// every request goes through.
///
/// A key goes to partition `hash(key) % n`, so the same key always reaches
/// the same copy (while `n` stays the same): per-key state lives in one
/// place, and `n` copies serve `n` keys at once.
///
/// - [`get(&key)`](Self::get) gives the partition's running
///   [`Server<T>`], so the whole generated client works; it takes no lock.
/// - [`named(&key)`](Self::named) gives a [`Named<T>`] that reaches the
///   partition's server at each call, across restarts (Elixir's
///   `{:via, PartitionSupervisor, {name, key}}`).
/// - The start function gets the partition's index
///   (`:with_arguments`): `|index| Stats::start(Stats::new(index))`.
/// - The partitions run under a one-for-one [`Supervisor`]:
///   [`start`](Self::start) runs it on its own, or
///   [`child_spec`](Self::child_spec) nests it in a supervision tree. The
///   handle is made first and stays valid across restarts of that
///   supervisor.
/// - [`resize`](Self::resize) grows or shrinks the number of partitions;
///   keys may route to another partition afterwards.
///
/// The default number of partitions is the machine's available
/// parallelism ([`std::thread::available_parallelism`]).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::PartitionSupervisor;
/// use std::collections::HashMap;
///
/// pub struct Stats {
///     partition: usize,
///     hits: HashMap<String, u64>,
/// }
///
/// #[gen_server]
/// impl Stats {
///     #[call]
///     pub fn hit(&mut self, key: String) -> (usize, u64) {
///         let hits = self.hits.entry(key).or_default();
///         *hits += 1;
///         (self.partition, *hits)
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let stats = PartitionSupervisor::new(|partition| {
///     Stats::start(Stats { partition, hits: HashMap::new() })
/// })
/// .with_partitions(4);
/// let supervisor = stats.start().await?;
///
/// // One key, one partition: its counts live in one place.
/// let (partition, _) = stats.get("alice").unwrap().hit("alice".into()).await?;
/// let (again, hits) = stats.named("alice").hit("alice".into()).await?;
/// assert_eq!((again, hits), (partition, 2));
/// assert_eq!(partition, stats.partition_of("alice"));
/// assert_eq!(stats.count_children().await?.workers, 4);
/// # supervisor.stop(ExitReason::Shutdown).await?;
/// # Ok(())
/// # }
/// ```
pub struct PartitionSupervisor<T: GenServer> {
    inner: Arc<Partitions<T>>,
}

impl<T: GenServer> PartitionSupervisor<T> {
    /// Partitions started by `start(index)`, as many as the machine's
    /// available parallelism, not running yet.
    pub fn new<F>(start: F) -> Self
    where
        F: Fn(usize) -> Start<T> + Send + Sync + 'static,
    {
        let count = std::thread::available_parallelism().map_or(1, |n| n.get());
        let registry = Registry::new(Keys::Unique);
        let inner = Partitions {
            start: Arc::new(start),
            count: AtomicUsize::new(0),
            resolvers: ArcSwap::from_pointee(Vec::new()),
            registry,
            intensity: Mutex::new(IntensityLimit::default()),
            supervisor: Mutex::new(None),
            control: tokio::sync::Mutex::new(()),
        };
        inner.set_count(count);
        PartitionSupervisor {
            inner: Arc::new(inner),
        }
    }

    /// The same handle with `count` partitions (at least 1), before the
    /// start; after it, use [`resize`](Self::resize).
    pub fn with_partitions(self, count: usize) -> Self {
        self.inner.set_count(count.max(1));
        self
    }

    /// The same handle, whose partitions' supervisor restarts at most
    /// `max_restarts` times in `period` (3 in 5 s by default), as
    /// [`SupervisorSpec::intensity`].
    pub fn with_intensity(self, max_restarts: usize, period: Duration) -> Self {
        *lock(&self.inner.intensity) = IntensityLimit {
            max_restarts,
            period,
        };
        self
    }

    /// How many partitions route keys now.
    pub fn partitions(&self) -> usize {
        self.inner.count.load(Ordering::Acquire)
    }

    #[doc(hidden)]
    #[deprecated(since = "0.1.0", note = "renamed to `partitions`")]
    pub fn partition_count(&self) -> usize {
        self.partitions()
    }

    /// The partition `key` routes to: `hash(key) % partitions`. The hash
    /// is fixed (not seeded per process), so a key maps to the same index
    /// in every run of the same build.
    pub fn partition_of<K: Hash + ?Sized>(&self, key: &K) -> usize {
        index(hash(key), self.partitions())
    }

    /// The running server of `key`'s partition; `None` while it restarts
    /// or before the start. Takes no lock.
    pub fn get<K: Hash + ?Sized>(&self, key: &K) -> Option<Server<T>> {
        self.get_partition(self.partition_of(key))
    }

    /// The running server of partition `index`.
    pub fn get_partition(&self, index: usize) -> Option<Server<T>> {
        let resolvers = self.inner.resolvers.load();
        let shared = resolvers.get(index)?.resolve()?;
        Some(Server::from_handle(Handle::new(shared)))
    }

    /// A handle that reaches `key`'s partition at each call or cast,
    /// whichever server runs it then (Elixir's
    /// `{:via, PartitionSupervisor, {name, key}}`). A call while the
    /// partition restarts returns [`CallError::NoProc`].
    pub fn named<K: Hash + ?Sized>(&self, key: &K) -> Named<T> {
        Named::from_lookup(PartitionKey {
            partitions: self.inner.clone(),
            hash: hash(key),
        })
    }

    /// Starts the partitions' supervisor on its own, each partition
    /// acknowledged in order; the handle routes to them once this returns.
    /// One set of partitions runs per handle: while it runs, another start
    /// returns [`StartError::AlreadyStarted`] with its supervisor.
    ///
    /// # Errors
    ///
    /// [`StartError::AlreadyStarted`] with the running supervisor when the
    /// partitions run already; [`StartError::Init`] with the supervisor's
    /// error (the partition that did not start, and why) otherwise.
    pub async fn start(&self) -> Result<Server<Supervisor>, StartError<Supervisor>> {
        let _one_at_a_time = self.inner.control.lock().await;
        if let Some(running) = self.inner.running() {
            return Err(StartError::AlreadyStarted(running));
        }
        let supervisor = Supervisor::start(self.inner.supervisor_spec()).await?;
        *lock(&self.inner.supervisor) = Some(supervisor.clone());
        Ok(supervisor)
    }

    /// The partitions as a child of another supervisor, with id
    /// `"PartitionSupervisor"`; rename it with [`ChildSpec::with_id`]. When that
    /// supervisor restarts it, this handle routes to the new partitions.
    /// One set of partitions runs per handle: a start while another runs
    /// fails with [`ChildStartError::AlreadyStarted`](crate::ChildStartError::AlreadyStarted).
    pub fn child_spec(&self) -> ChildSpec {
        let partitions = self.inner.clone();
        let started = self.inner.clone();
        let check = self.inner.clone();
        ChildSpec::new_guarded(
            "PartitionSupervisor",
            move || match check.running() {
                Some(running) => Err(ChildStartError::AlreadyStarted(AnyServer::from(running))),
                None => Ok(()),
            },
            move || Supervisor::start(partitions.supervisor_spec()),
            move |supervisor: &Server<Supervisor>| {
                *lock(&started.supervisor) = Some(supervisor.clone());
            },
        )
    }

    /// The supervisor of the partitions, once started.
    pub fn supervisor(&self) -> Option<Server<Supervisor>> {
        lock(&self.inner.supervisor).clone()
    }

    /// The partitions, in index order ([`SupervisorClient::which_children`](crate::SupervisorClient::which_children)).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the partitions are not running; otherwise
    /// as [`SupervisorClient::which_children`](crate::SupervisorClient::which_children).
    pub async fn which_children(&self) -> Result<Vec<ChildInfo>, CallError> {
        self.supervisor()
            .ok_or(CallError::NoProc)?
            .which_children()
            .await
    }

    /// How many partitions, how many running ([`SupervisorClient::count_children`](crate::SupervisorClient::count_children)).
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the partitions are not running; otherwise
    /// as [`SupervisorClient::count_children`](crate::SupervisorClient::count_children).
    pub async fn count_children(&self) -> Result<ChildCount, CallError> {
        self.supervisor()
            .ok_or(CallError::NoProc)?
            .count_children()
            .await
    }

    /// Grows or shrinks to `count` partitions (at least 1; Elixir's
    /// `resize!`). New partitions are started before keys route to them;
    /// keys stop routing to removed partitions before those are stopped.
    /// Keys may route to another partition afterwards, so state kept per
    /// key moves only if the partitions hand it over.
    ///
    /// # Errors
    ///
    /// [`ResizeError::NotStarted`] before the partitions run;
    /// [`ResizeError::Supervisor`] when a new partition did not start (the
    /// partitions are as they were) or an old one could not be removed;
    /// [`ResizeError::Call`] when the partitions' supervisor did not
    /// answer.
    pub async fn resize(&self, count: usize) -> Result<(), ResizeError> {
        let _one_at_a_time = self.inner.control.lock().await;
        let supervisor = self.inner.running().ok_or(ResizeError::NotStarted)?;
        let count = count.max(1);
        let old = self.partitions();
        for index in old..count {
            if let Err(error) = supervisor
                .start_child(self.inner.partition_spec(index))
                .await
            {
                // Leave the routing as it was: drop what this resize started.
                self.remove(&supervisor, old..index).await?;
                return Err(error.into());
            }
        }
        self.inner.set_count(count);
        let removed = self.remove(&supervisor, count..old).await;
        if removed.is_err() {
            // Route to the partitions as they were: some may be gone, and
            // `get` finds none for those until they are started again.
            self.inner.set_count(old);
        }
        removed
    }

    async fn remove(
        &self,
        supervisor: &Server<Supervisor>,
        indexes: std::ops::Range<usize>,
    ) -> Result<(), ResizeError> {
        for index in indexes.rev() {
            supervisor.terminate_child(partition_id(index)).await?;
            supervisor.delete_child(partition_id(index)).await?;
        }
        Ok(())
    }
}

impl<T: GenServer> Partitions<T> {
    /// The partitions' supervisor, if it runs.
    fn running(&self) -> Option<Server<Supervisor>> {
        lock(&self.supervisor)
            .clone()
            .filter(|supervisor| supervisor.is_alive())
    }

    fn set_count(&self, count: usize) {
        let resolvers: Vec<_> = (0..count)
            .map(|index| {
                Arc::new(Resolver::new(PartitionIndex {
                    registry: self.registry.clone(),
                    index,
                }))
            })
            .collect();
        self.resolvers.store(Arc::new(resolvers));
        self.count.store(count, Ordering::Release);
        // Keys may route elsewhere now: named handles look again.
        self.registry.note_change();
    }

    fn supervisor_spec(&self) -> SupervisorSpec {
        let limit = *lock(&self.intensity);
        SupervisorSpec::new(Strategy::OneForOne)
            .intensity(limit.max_restarts, limit.period)
            .children((0..self.count.load(Ordering::Acquire)).map(|i| self.partition_spec(i)))
    }

    /// Partition `index`: started by the user's function, then entered in
    /// the routing registry.
    fn partition_spec(&self, index: usize) -> ChildSpec {
        let start = self.start.clone();
        let registry = self.registry.clone();
        ChildSpec::new_then(
            partition_id(index),
            move || start(index),
            move |server: &Server<T>| {
                // One set of partitions runs per handle, and an exited
                // partition leaves the registry before its supervisor
                // restarts it: this fails only if the new server has
                // already exited, an exit its supervisor handles.
                if let Err(error) = registry.register(index, server, ()) {
                    tracing::debug!(partition = index, error = %Chain(&error), "partition not routed");
                }
            },
        )
    }
}

fn partition_id(index: usize) -> String {
    format!("partition-{index}")
}

fn hash<K: Hash + ?Sized>(key: &K) -> u64 {
    let mut hasher = DefaultHasher::new();
    key.hash(&mut hasher);
    hasher.finish()
}

fn index(hash: u64, count: usize) -> usize {
    (hash % count.max(1) as u64) as usize
}

/// Partition `index`'s entry in the routing registry.
struct PartitionIndex {
    registry: Registry<usize>,
    index: usize,
}

impl Lookup for PartitionIndex {
    fn find(&self) -> Option<AnyServer> {
        self.registry.find(&self.index)
    }

    fn removals(&self) -> u64 {
        self.registry.removals()
    }

    fn describe(&self) -> String {
        partition_id(self.index)
    }
}

/// A key's partition, whichever it is after resizes.
struct PartitionKey<T: GenServer> {
    partitions: Arc<Partitions<T>>,
    hash: u64,
}

impl<T: GenServer> Lookup for PartitionKey<T> {
    fn find(&self) -> Option<AnyServer> {
        let index = index(self.hash, self.partitions.count.load(Ordering::Acquire));
        self.partitions.registry.find(&index)
    }

    fn removals(&self) -> u64 {
        // Resizes count as removals too: they move keys.
        self.partitions.registry.removals()
    }

    fn describe(&self) -> String {
        format!("partition of hash {:#x}", self.hash)
    }
}

impl<T: GenServer> Clone for PartitionSupervisor<T> {
    fn clone(&self) -> Self {
        PartitionSupervisor {
            inner: self.inner.clone(),
        }
    }
}

impl<T: GenServer> fmt::Debug for PartitionSupervisor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PartitionSupervisor")
            .field("server", &T::NAME)
            .field("partitions", &self.partitions())
            .field("supervisor", &self.supervisor())
            .finish()
    }
}

/// Why a [`resize`](PartitionSupervisor::resize) failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResizeError {
    /// The partitions have not been started.
    NotStarted,
    /// The partitions' supervisor did not answer.
    Call(CallError),
    /// The supervisor refused: a new partition failed to start (the
    /// partitions are as they were), or an old one could not be removed.
    Supervisor(SupervisorError),
}

impl From<CallError> for ResizeError {
    fn from(error: CallError) -> Self {
        ResizeError::Call(error)
    }
}

impl From<SupervisorError> for ResizeError {
    fn from(error: SupervisorError) -> Self {
        match error {
            SupervisorError::Call(error) => ResizeError::Call(error),
            refused => ResizeError::Supervisor(refused),
        }
    }
}

impl fmt::Display for ResizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ResizeError::NotStarted => f.write_str("the partitions have not been started"),
            ResizeError::Call(_) => f.write_str("the partitions' supervisor did not answer"),
            ResizeError::Supervisor(_) => {
                f.write_str("the partitions' supervisor refused the resize")
            }
        }
    }
}

impl std::error::Error for ResizeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ResizeError::NotStarted => None,
            ResizeError::Call(error) => Some(error),
            ResizeError::Supervisor(error) => Some(error),
        }
    }
}
