//! [`Named`]: a handle that reaches whoever holds a name, looked up on
//! each call and cast, as Elixir calls a server by its name.
//!
//! ```text
//!  Named<T> ──▶ TClient ──▶ Handle<T> (Target::Named)
//!                               └─ Resolver<T>: the holder found last,
//!                                  and the removal count it was found at
//! ```
//!
//! The lookup is cached: a call reads the name table's removal counter
//! (one atomic load) and the holder found last (an `ArcSwap` load). Only
//! after a name of the same table was freed does it look the name up
//! again, under the table's read lock.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwapOption;

use crate::exit_reason::ExitReason;
use crate::naming::Name;
use crate::naming::keyed::Starter;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::error::CallError;
use crate::server::gen_server::{ClientHandle, GenServer};
use crate::server::handle::{Handle, Shared};
use crate::server::mailbox::{Envelope, Lane};

/// Where a name is looked up: the local names, a registry, a partition
/// supervisor.
pub(crate) trait Lookup: Send + Sync + 'static {
    /// The server holding the name now.
    fn find(&self) -> Option<AnyServer>;
    /// Changes whenever a holder may have lost the name; while it stays
    /// the same, the holder found last still holds it.
    fn removals(&self) -> u64;
    /// The name, for `Debug`.
    fn describe(&self) -> String;
}

impl Lookup for Name {
    fn find(&self) -> Option<AnyServer> {
        Name::find(self)
    }

    fn removals(&self) -> u64 {
        Name::removals(self)
    }

    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// The holder found last, and the removal count it was found at.
struct Found<T: GenServer> {
    removals: u64,
    shared: Arc<Shared<T>>,
}

/// Resolves a name to a `T` server, caching the answer until a name of
/// the same table is freed.
pub(crate) struct Resolver<T: GenServer> {
    lookup: Box<dyn Lookup>,
    found: ArcSwapOption<Found<T>>,
    /// Starts a server when nobody holds the name (`keyed.rs`).
    pub(crate) starter: Option<Starter<T>>,
}

impl<T: GenServer> Resolver<T> {
    pub(crate) fn new(lookup: impl Lookup) -> Self {
        Resolver {
            lookup: Box::new(lookup),
            found: ArcSwapOption::empty(),
            starter: None,
        }
    }

    /// The server holding the name now, if it is a `T`.
    pub(crate) fn resolve(&self) -> Option<Arc<Shared<T>>> {
        self.with(Arc::clone)
    }

    /// Runs `f` on the server holding the name now, if it is a `T`; on the
    /// cached path without touching its reference count.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&Arc<Shared<T>>) -> R) -> Option<R> {
        // Read before the lookup: a removal after this read changes it,
        // so a holder found after a removal is looked up again next time.
        let removals = self.lookup.removals();
        {
            let found = self.found.load();
            if let Some(found) = &*found
                && found.removals == removals
                && found.shared.process.is_alive()
            {
                return Some(f(&found.shared));
            }
        }
        let shared = self.lookup.find()?.downcast_shared::<T>()?;
        let result = f(&shared);
        self.found.store(Some(Arc::new(Found { removals, shared })));
        Some(result)
    }

    pub(crate) fn describe(&self) -> String {
        self.lookup.describe()
    }
}

/// A handle to whichever server holds a name at the time of each call or
/// cast (Elixir's `GenServer.call(name, ..)`), so it survives restarts.
///
/// A [`Server<T>`] names one server, like a pid: once its supervisor
/// restarts it, a kept `Server<T>` is stale. A `Named<T>` keeps working:
/// each message goes to the name's holder at the time. It dereferences to
/// the same generated client as `Server<T>`.
///
/// - A call when nobody holds the name returns [`CallError::NoProc`]; a
///   cast is dropped, as a cast to a dead server is.
/// - A name held by a server of another type counts as not held.
/// - The lookup is cached: while no name of the same table (the local
///   names, or one [`Registry`](crate::Registry)) is freed, a call or a
///   cast takes no lock and costs about 100 instructions more than through
///   a `Server<T>` (`benchmarks/peers`, column `genserver-named`).
///
/// Make one from a local name (`Named::new("stats")`), a registry key
/// (`Named::new(registry.via(key))`), or a partition
/// ([`PartitionSupervisor::named`](crate::PartitionSupervisor::named)).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::Named;
///
/// #[derive(Default)]
/// pub struct Stats {
///     hits: u64,
/// }
///
/// #[gen_server]
/// impl Stats {
///     #[cast]
///     pub fn hit(&mut self) {
///         self.hits += 1;
///     }
///     #[call]
///     pub fn hits(&self) -> u64 {
///         self.hits
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let stats: Named<Stats> = Named::new("stats");
/// assert_eq!(stats.hits().await, Err(CallError::NoProc)); // nobody yet
///
/// let first = Stats::start(Stats::default()).name("stats").await?;
/// stats.hit();
/// assert_eq!(stats.hits().await?, 1);
///
/// // A restart: another server takes the name; the same handle reaches it.
/// first.stop(ExitReason::Normal).await?;
/// let _second = Stats::start(Stats::default()).name("stats").await?;
/// assert_eq!(stats.hits().await?, 0);
/// # Ok(())
/// # }
/// ```
pub struct Named<T: GenServer> {
    client: T::Client,
}

impl<T: GenServer> Named<T> {
    /// A handle to whoever holds `name`: a local name (`"stats"`) or a
    /// registry key (`registry.via(key)`).
    pub fn new(name: impl Into<Name>) -> Self {
        Self::from_lookup(name.into())
    }

    pub(crate) fn from_lookup(lookup: impl Lookup) -> Self {
        Self::from_resolver(Resolver::new(lookup))
    }

    pub(crate) fn from_resolver(resolver: Resolver<T>) -> Self {
        let handle = Handle::named(Arc::new(resolver));
        Named {
            client: T::Client::__from_handle(handle),
        }
    }

    pub(crate) fn handle(&self) -> &Handle<T> {
        self.client.__handle()
    }

    /// The server holding the name now, if any (`GenServer.whereis/1`).
    pub fn whereis(&self) -> Option<Server<T>> {
        self.handle()
            .resolve()
            .map(|shared| Server::from_handle(Handle::new(shared)))
    }

    /// How many messages wait in the mailbox of the name's holder now;
    /// `None` when nobody holds the name.
    pub fn mailbox_len(&self) -> Option<usize> {
        self.handle().resolve().map(|shared| shared.mailbox.len())
    }

    /// A handle to the same name whose calls time out after `timeout`.
    pub fn with_timeout(&self, timeout: Duration) -> Named<T> {
        let mut handle = self.handle().clone();
        handle.timeout = timeout;
        Named {
            client: T::Client::__from_handle(handle),
        }
    }

    /// The timeout this handle's calls use.
    pub fn timeout(&self) -> Duration {
        self.handle().timeout
    }

    /// Sends `message` to the holder's `handle_info`, as
    /// [`Server::send`]; dropped when nobody holds the name.
    pub fn send(&self, message: T::Info) {
        self.handle().send(Envelope::Info(message), Lane::User);
    }

    /// Stops the holder, as [`Server::stop`]; [`CallError::NoProc`] when
    /// nobody holds the name.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when nobody holds the name; otherwise as
    /// [`Server::stop`].
    pub async fn stop(&self, reason: ExitReason) -> Result<(), CallError> {
        match self.whereis() {
            Some(server) => server.with_timeout(self.timeout()).stop(reason).await,
            None => Err(CallError::NoProc),
        }
    }
}

impl<T: GenServer> Deref for Named<T> {
    type Target = T::Client;

    fn deref(&self) -> &T::Client {
        &self.client
    }
}

impl<T: GenServer> Clone for Named<T> {
    fn clone(&self) -> Self {
        Named {
            client: self.client.clone(),
        }
    }
}

impl<T: GenServer> fmt::Debug for Named<T> {
    /// `Named<Stats>("stats")`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match &self.handle().target {
            crate::server::handle::Target::Named(resolver) => resolver.describe(),
            crate::server::handle::Target::Server(shared) => shared.process.id().to_string(),
            crate::server::handle::Target::Remote(remote) => remote.describe(),
        };
        write!(f, "Named<{}>({name})", T::NAME)
    }
}
