//! Global names, OTP's `{:global, name}`: one server per name across the
//! cluster, whichever node it runs on.
//!
//! ```text
//!  node a: register_global("leader", &s) ──create(rev 0)──▶ JetStream KV
//!          holds it: serves <prefix>.global.leader,          leader → {a, T, lease}
//!          refreshes every lease/3 (update at its revision)
//!  node b: register_global("leader", &s') ─▶ AlreadyRegistered { node: "a" }
//!          global::<T>("leader")  ─ each call ─▶ whoever serves the subject now
//! ```
//!
//! # Uniqueness
//!
//! The table is a JetStream key-value bucket (see [`Node::register_global`]
//! for its layout). A name is won by a revision-checked create: of two
//! nodes racing for it, exactly one write lands; the other gets
//! [`GlobalError::AlreadyRegistered`].
//!
//! # Leases and takeover
//!
//! nats-server 2.9 ignores per-key TTL, so a holder keeps its name alive by
//! itself: every `lease / 3` it rewrites the name at the revision it last
//! wrote, and again within 250 ms of a refresh that failed (default lease:
//! [`DEFAULT_LEASE`], 5 s, or [`DEFAULT_REPLICATED_LEASE`], 15 s, on a
//! replicated table, to outlast a JetStream leader election). A name whose last write is
//! older than its lease belongs to a node that died (or was cut off): the
//! next [`register_global`](Node::register_global) takes it over with a
//! write at the revision it read, which again only one contender wins.
//! Ages are measured on the NATS server's clock alone (the time stamp of
//! the last write against that of a write made just before looking), so
//! the nodes' clocks need not agree.
//!
//! A holder that cannot refresh for a whole lease stops serving the name by
//! itself ([`NameLost::LeaseExpired`]), so by the time another node may
//! take it over, the old one has let go.
//!
//! # Conflicts
//!
//! OTP's `:global` calls a resolve function when two nodes hold one name
//! after a partition heals; `random_notify_name` keeps one holder and
//! unregisters and notifies the other. Here the table decides, not chance:
//! the holder whose write the table has keeps the name; the other finds its
//! next refresh refused, stops serving the name and hears
//! [`NameLost::Conflict`] through [`GlobalName::lost`]. Its server keeps
//! running (OTP's default `random_exit_name` would kill it).
//!
//! # Ends
//!
//! A name is released when its server exits, on
//! [`GlobalName::unregister`], and on [`Node::close`]. A node that dies
//! without releasing leaves the name to expire with its lease; calls to it
//! meanwhile get `NoProc` at once, since nobody serves its subject.

mod error;
mod lease;
mod registry;
pub(crate) mod replicas;
mod table;
mod target;

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::Subject;
use genserver_core::transport;
use genserver_core::{AnyServer, Remote, RemoteServer, WireError};
use tokio::sync::{Notify, watch};

use error::store;
pub use error::{GlobalError, NameLost};
pub use replicas::UnsafeReplicas;
pub(crate) use table::bucket_name;
use table::{Holder, Lookup, Table};

use crate::error::{InvalidName, ServeError, check_name};
use crate::node::{Inner, Node};
use crate::role::{Servable, Served};
use crate::target::NatsTarget;
use target::GlobalTarget;

pub(crate) use registry::Registry;
pub(crate) use registry::release_all;
use registry::{Held, registry};

/// A global name's lease unless [`GlobalOptions::lease`] says otherwise,
/// on a table of one replica.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(5);

/// A global name's lease unless [`GlobalOptions::lease`] says otherwise,
/// on a replicated table (a NATS cluster): longer than a JetStream leader
/// election (3–6 s measured after the stream's leader was killed), during
/// which no refresh lands, so that a holder keeps its name through one.
pub const DEFAULT_REPLICATED_LEASE: Duration = Duration::from_secs(15);

/// How many times a registration re-reads a name that changed under it.
const ATTEMPTS: usize = 3;

/// How a global name is held.
#[derive(Clone, Debug)]
pub struct GlobalOptions {
    lease: Option<Duration>,
}

impl GlobalOptions {
    /// The default: a [`DEFAULT_LEASE`] lease (5 s), or
    /// [`DEFAULT_REPLICATED_LEASE`] (15 s) when the names' table is
    /// replicated ([`NodeOptions::replicas`](crate::NodeOptions::replicas)).
    pub fn new() -> Self {
        GlobalOptions { lease: None }
    }

    /// How long the name outlives this node's last refresh (at least
    /// 30 ms): another node may take it over that long after this one
    /// died. Refreshes go every third of it, and again within 250 ms of
    /// one that failed. On a NATS cluster, keep it longer than a JetStream
    /// leader election (no refresh lands during one), or the holder lets
    /// its name go ([`NameLost::LeaseExpired`]) when a server dies.
    pub fn lease(mut self, lease: Duration) -> Self {
        self.lease = Some(lease.max(Duration::from_millis(30)));
        self
    }
}

impl Default for GlobalOptions {
    fn default() -> Self {
        GlobalOptions::new()
    }
}

/// Who holds a global name; see [`Node::global_holder`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GlobalHolder {
    /// The holder's node.
    pub node: String,
    /// The server type serving it (`GenServer::NAME`).
    pub server: String,
    /// Its lease.
    pub lease: Duration,
}

/// A global name this node holds. Dropping it keeps the name, which lives
/// as long as its server (OTP's names are not tied to whoever registered
/// them).
pub struct GlobalName {
    name: String,
    node: String,
    stop: Arc<Notify>,
    end: watch::Receiver<Option<NameLost>>,
}

impl GlobalName {
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether this node still holds it.
    pub fn is_held(&self) -> bool {
        self.end.borrow().is_none()
    }

    /// Waits until this node no longer holds the name, and says why.
    pub async fn lost(&self) -> NameLost {
        let mut end = self.end.clone();
        match end.wait_for(Option::is_some).await {
            Ok(why) => why.clone().unwrap_or(NameLost::NodeStopped),
            Err(_) => NameLost::NodeStopped,
        }
    }

    /// Stops serving the name and releases it (OTP's `unregister_name`);
    /// returns once it is released, or why it had already been lost.
    pub async fn unregister(self) -> NameLost {
        self.stop.notify_one();
        self.lost().await
    }
}

impl fmt::Debug for GlobalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GlobalName")
            .field("name", &self.name)
            .field("node", &self.node)
            .field("held", &self.is_held())
            .finish()
    }
}

/// A global name's key and subject token: both checked, and not one of
/// the table's own keys (`_gs.…`).
fn check_global(name: &str) -> Result<(), InvalidName> {
    check_name(name)?;
    if table::valid_key(name) && !name.starts_with(table::RESERVED) {
        Ok(())
    } else {
        Err(InvalidName(name.to_owned()))
    }
}

impl Node {
    /// Registers `server` under the global `name` with the default lease
    /// ([`DEFAULT_LEASE`]); see [`register_global_with`](Self::register_global_with).
    ///
    /// # Errors
    ///
    /// As [`register_global_with`](Self::register_global_with).
    pub async fn register_global<S: Servable>(
        &self,
        name: &str,
        server: &S,
    ) -> Result<GlobalName, GlobalError> {
        self.register_global_with(name, server, GlobalOptions::new())
            .await
    }

    /// Registers `server` under the global `name`, OTP's
    /// `:global.register_name/2`: unique across every node with this
    /// node's cluster prefix. Returns once the name is won and served, so
    /// a call through [`global`](Self::global) from any node right after
    /// reaches `server`.
    ///
    /// Fails with [`GlobalError::AlreadyRegistered`] when a live holder has
    /// the name (this node included). A holder whose lease ran out (its
    /// node died) is taken over. The name is held until the server exits,
    /// [`GlobalName::unregister`], or [`Node::close`].
    ///
    /// A role ([`Named<T>`](genserver_core::Named), see [`Servable`])
    /// holds the global name across its server's restarts: while nobody
    /// holds the local name, calls get `NoProc` at once, and the global
    /// name stays this node's.
    ///
    /// The table is a JetStream key-value bucket, `gs_global_<prefix>`,
    /// created on first use. The NATS server needs JetStream (`-js`):
    /// without, this is [`GlobalError::NoJetStream`], at once.
    ///
    /// # Errors
    ///
    /// - [`GlobalError::InvalidName`]: the name cannot be a subject token
    ///   and a key-value key.
    /// - [`GlobalError::AlreadyRegistered`]: a live holder has the name.
    /// - [`GlobalError::NoJetStream`]: the nats-server or this user's
    ///   account has no JetStream, at once.
    /// - [`GlobalError::UnsafeReplicas`]: the names' stream is replicated
    ///   on a nats-server where that is unsafe.
    /// - [`GlobalError::Store`]: JetStream failed or did not answer; its
    ///   [`kind`](crate::NatsError::kind) says how
    ///   ([`Timeout`](crate::NatsErrorKind::Timeout) during a JetStream
    ///   leader election, say).
    /// - [`GlobalError::Serve`]: the name was won but could not be served
    ///   (its source, a [`ServeError`], says why); it is released again.
    /// - [`GlobalError::Closed`]: the node is closing.
    pub async fn register_global_with<S: Servable>(
        &self,
        name: &str,
        server: &S,
        options: GlobalOptions,
    ) -> Result<GlobalName, GlobalError> {
        check_global(name).map_err(GlobalError::InvalidName)?;
        let served = server.served();
        self.hold_global(name, served, options).await
    }

    async fn hold_global<T: RemoteServer>(
        &self,
        name: &str,
        served: Served<T>,
        options: GlobalOptions,
    ) -> Result<GlobalName, GlobalError> {
        let registry = registry(&self.inner).await?;
        if registry.closing.load(Ordering::Acquire) {
            return Err(GlobalError::Closed);
        }
        let id = registry.next.fetch_add(1, Ordering::Relaxed);
        let lease = options.lease.unwrap_or_else(|| registry.default_lease());
        let holder = Holder {
            node: self.inner.name.clone(),
            server: T::NAME.to_owned(),
            schema: T::SCHEMA,
            lease_ms: u64::try_from(lease.as_millis()).unwrap_or(u64::MAX),
            owner: format!("{}.{id}", self.inner.liveness.me.instance),
        };
        let revision = claim(&registry.table, name, &holder).await?;
        let subscriber = match self.serve_global(name).await {
            Ok(subscriber) => subscriber,
            Err(error) => {
                if let Err(error) = registry.table.release(name, revision).await {
                    tracing::warn!(name, %error, "a global name that could not be served was not released");
                }
                return Err(GlobalError::Serve(error));
            }
        };
        let stop = Arc::new(Notify::new());
        let (end_tx, end) = watch::channel(None);
        registry.lock().insert(
            name.to_owned(),
            Held {
                id,
                holder: {
                    let served = served.clone();
                    Arc::new(move || served.holder().map(AnyServer::from))
                },
                stop: stop.clone(),
                end: end.clone(),
            },
        );
        let lease = lease::Lease {
            name: name.to_owned(),
            id,
            value: holder.encode(),
            revision,
            lease,
            stop: stop.clone(),
            end: end_tx,
        };
        tokio::spawn(lease::hold(
            self.inner.clone(),
            registry.clone(),
            lease,
            served,
            subscriber,
        ));
        Ok(GlobalName {
            name: name.to_owned(),
            node: holder.node,
            stop,
            end,
        })
    }

    /// A handle to the `T` registered under the global `name`, on whichever
    /// node holds it at each call (OTP's `{:global, name}` as a server
    /// name). Nothing is looked up until a call: while nobody holds the
    /// name, calls get `NoProc` at once. On the node that holds it, calls
    /// and casts go straight to its server, without the network, as a
    /// global name resolving to a local pid does.
    pub fn global<T: RemoteServer>(&self, name: &str) -> Result<Remote<T>, InvalidName> {
        check_global(name)?;
        let target = GlobalTarget::<T> {
            name: name.to_owned(),
            remote: NatsTarget::<T>::new(global_subject(&self.inner, name), &self.inner),
        };
        Ok(transport::remote(Arc::new(target)))
    }

    /// Who holds the global `name` now, OTP's `:global.whereis_name/1`:
    /// `None` when nobody does, or its holder's lease ran out.
    ///
    /// # Errors
    ///
    /// - [`GlobalError::InvalidName`]: the name cannot be a subject token
    ///   and a key-value key.
    /// - [`GlobalError::NoJetStream`]: the nats-server or this user's
    ///   account has no JetStream, at once.
    /// - [`GlobalError::UnsafeReplicas`]: the names' stream is replicated
    ///   on a nats-server where that is unsafe.
    /// - [`GlobalError::Store`]: JetStream failed or did not answer; its
    ///   [`kind`](crate::NatsError::kind) says how
    ///   ([`Timeout`](crate::NatsErrorKind::Timeout) during a JetStream
    ///   leader election, say).
    pub async fn global_holder(&self, name: &str) -> Result<Option<GlobalHolder>, GlobalError> {
        check_global(name).map_err(GlobalError::InvalidName)?;
        let registry = registry(&self.inner).await?;
        let lookup = registry.table.lookup(name).await.map_err(store)?;
        Ok(lookup.live().map(|holder| GlobalHolder {
            lease: holder.lease(),
            node: holder.node,
            server: holder.server,
        }))
    }

    /// A handle to the `T` holding the global `name` now, or `None` when
    /// nobody does: [`global_holder`](Self::global_holder) and
    /// [`global`](Self::global) together. A holder of another type is
    /// [`GlobalError::Wire`].
    ///
    /// # Errors
    ///
    /// As [`global_holder`](Self::global_holder), and
    /// [`GlobalError::Wire`]`(`[`WrongServer`](genserver_core::WireError::WrongServer)`)`
    /// when the holder is of another type than `T`.
    pub async fn whereis_global<T: RemoteServer>(
        &self,
        name: &str,
    ) -> Result<Option<Remote<T>>, GlobalError> {
        let Some(holder) = self.global_holder(name).await? else {
            return Ok(None);
        };
        if holder.server != T::NAME {
            return Err(GlobalError::Wire(WireError::WrongServer {
                expected: Arc::from(T::NAME),
                found: Arc::from(holder.server),
            }));
        }
        self.global(name)
            .map(Some)
            .map_err(GlobalError::InvalidName)
    }

    /// Subscribes to the global name's subject and waits until the NATS
    /// server has the subscription.
    async fn serve_global(&self, name: &str) -> Result<async_nats::Subscriber, ServeError> {
        let subscriber = self
            .inner
            .client
            .queue_subscribe(global_subject(&self.inner, name), "genserver".to_owned())
            .await
            .map_err(crate::error::serving)?;
        self.inner.confirm().await.map_err(ServeError::Confirm)?;
        Ok(subscriber)
    }
}

/// `<prefix>.global.<name>`.
fn global_subject(node: &Inner, name: &str) -> Subject {
    Subject::from(format!("{}.global.{name}", node.prefix))
}

/// Wins `name` for `holder`: a create, or a takeover of an expired holder.
/// Its revision, or who holds it.
async fn claim(table: &Table, name: &str, holder: &Holder) -> Result<u64, GlobalError> {
    let mut last = None;
    for _ in 0..ATTEMPTS {
        if let Ok(revision) = table.create(name, holder).await.map_err(store)? {
            return Ok(revision);
        }
        match table.lookup(name).await.map_err(store)? {
            // Released since: create again.
            Lookup::Free => {}
            Lookup::Held {
                holder: current,
                age,
                ..
            } if age <= current.lease() => {
                return Err(GlobalError::AlreadyRegistered { node: current.node });
            }
            Lookup::Held {
                holder: expired,
                revision,
                age,
            } => {
                let taken = table
                    .update(name, holder.encode(), revision)
                    .await
                    .map_err(store)?;
                if let Ok(revision) = taken {
                    tracing::info!(name, from = %expired.node, ?age, "took over a global name whose lease ran out");
                    return Ok(revision);
                }
                last = Some(expired.node);
            }
        }
    }
    Err(GlobalError::AlreadyRegistered {
        node: last.unwrap_or_else(|| "?".to_owned()),
    })
}
