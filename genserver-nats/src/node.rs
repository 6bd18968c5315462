//! [`Node`]: this program's place in a cluster, over one NATS connection.

use std::fmt;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use async_nats::{Subject, ToServerAddrs};
use genserver_core::transport;
use genserver_core::{Remote, RemoteServer};

use crate::closing::Closing;
use crate::error::{CloseError, ConnectError, InvalidName, ServeError, check_name};
use crate::global::replicas;
use crate::inbox::Inbox;
use crate::liveness::{self, Liveness};
use crate::outbox::Outbox;
use crate::permissions::Permissions;
use crate::refusals::{Refusals, Refuser};
use crate::role::Servable;
use crate::serve;
use crate::services::{self, Services};
use crate::target::NatsTarget;
use crate::watch::{self, Watches};

pub use crate::options::NodeOptions;

/// The largest payload when the NATS server does not say (its default).
const DEFAULT_MAX_PAYLOAD: usize = 1024 * 1024;

/// This program as a node of a cluster: it serves local servers under
/// names, and gives [`Remote`] handles to servers that other nodes serve.
///
/// Subjects: a server named `counter` in the cluster `app` is served on
/// `app.srv.counter`; each node's replies come to its own inbox.
/// Cheap to clone.
#[derive(Clone)]
pub struct Node {
    pub(crate) inner: Arc<Inner>,
}

/// What every clone of a node shares.
pub(crate) struct Inner {
    pub(crate) name: String,
    pub(crate) prefix: String,
    pub(crate) client: async_nats::Client,
    pub(crate) outbox: Outbox,
    pub(crate) inbox: Arc<Inbox>,
    pub(crate) max_payload: usize,
    pub(crate) liveness: Liveness,
    pub(crate) watches: Watches,
    /// What this node refused from the network.
    pub(crate) refusals: Arc<Refuser>,
    /// What the nats-server refused this node's user.
    pub(crate) permissions: Arc<Permissions>,
    /// What a closing node waits for.
    pub(crate) closing: Closing,
    /// The replicas asked for the global names' stream, if any.
    pub(crate) replicas: Option<usize>,
    /// The runtime the node was connected on: `try_x`'s answers are read
    /// there.
    pub(crate) runtime: tokio::runtime::Handle,
    /// The cluster's global names, opened on first use.
    pub(crate) global: tokio::sync::OnceCell<Arc<crate::global::Registry>>,
    /// What the NATS services API (`$SRV`) reports of this node.
    pub(crate) services: Services,
}

impl Node {
    /// Connects to the NATS server(s) at `addrs` as the node `options`
    /// names, and returns once the nats-server has confirmed the node's
    /// subscriptions (its inbox, the heartbeats, its monitor messages) by
    /// a round trip through its inbox.
    ///
    /// `addrs` is anything async-nats takes as server addresses (a URL,
    /// a list of them): [`ToServerAddrs`] of the re-exported
    /// [`async_nats`](crate#the-nats-client).
    ///
    /// # Errors
    ///
    /// - [`ConnectError::InvalidName`]: a name or prefix that cannot be a
    ///   subject token, before connecting.
    /// - [`ConnectError::Nats`]: the connection failed; its
    ///   [`kind`](crate::NatsError::kind) is
    ///   [`Denied`](crate::NatsErrorKind::Denied) for refused credentials,
    ///   [`Unreachable`](crate::NatsErrorKind::Unreachable) or
    ///   [`Timeout`](crate::NatsErrorKind::Timeout) for a nats-server out
    ///   of reach.
    /// - [`ConnectError::Subscribe`]: the connection closed while the node
    ///   subscribed.
    /// - [`ConnectError::Confirm`]`(`[`Unconfirmed::Denied`](crate::Unconfirmed::Denied)`)`:
    ///   a subscription the node needs refused by its user's permissions,
    ///   at once.
    /// - [`ConnectError::UnsafeReplicas`]: replicas asked for where they
    ///   are unsafe.
    pub async fn connect(
        addrs: impl ToServerAddrs,
        options: NodeOptions,
    ) -> Result<Node, ConnectError> {
        check_name(&options.name).map_err(ConnectError::InvalidName)?;
        check_name(&options.prefix).map_err(ConnectError::InvalidName)?;
        // Unique per connection, even for two nodes of the same name.
        let nonce = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let instance = format!("{:x}{:x}", std::process::id(), nonce);
        let refusals = Arc::new(Refuser::new());
        let (inbox, orphans) = Inbox::new(
            format!("_GS_INBOX.{}.{}.{instance}", options.prefix, options.name),
            refusals.clone(),
        );
        let permissions = Arc::new(Permissions::new(inbox.clone(), refusals.clone()));
        let events = permissions.clone();
        let client = options
            .connect
            .name(&options.name)
            .ping_interval(options.timing.interval)
            .custom_inbox_prefix(format!("_INBOX.{}.{}", options.prefix, options.name))
            .event_callback(move |event| {
                events.event(event);
                std::future::ready(())
            })
            .connect(addrs)
            .await
            .map_err(crate::error::connecting)?;
        if let Some(replicas) = options.replicas {
            let version = client.server_info().version;
            replicas::decide(Some(replicas), &version, 1).map_err(ConnectError::UnsafeReplicas)?;
        }
        let subscriber = client
            .subscribe(inbox.wildcard())
            .await
            .map_err(crate::error::subscribing)?;
        tokio::spawn(inbox.clone().run(subscriber, orphans));
        let max_payload = match client.server_info().max_payload {
            0 => DEFAULT_MAX_PAYLOAD,
            max => max,
        };
        let liveness = Liveness::new(&options.prefix, &options.name, &instance, options.timing);
        let services = Services::new(&options.prefix, &options.name, &instance);
        // Not confirmed: a user without the `$SRV` permissions (an older
        // template) still connects, and its nats-server's refusal is
        // reported as any other (`Permissions`).
        let mut questions = Vec::new();
        for subject in services.subjects() {
            questions.push(
                client
                    .subscribe(subject)
                    .await
                    .map_err(crate::error::subscribing)?,
            );
        }
        // Not confirmed either, for the same reason (`sys/`).
        let sys_questions = client
            .subscribe(crate::sys::sys_subject(&options.prefix, &options.name))
            .await
            .map_err(crate::error::subscribing)?;
        let heard = liveness::heartbeats_wildcard(&options.prefix);
        let heartbeats = client
            .subscribe(heard.clone())
            .await
            .map_err(crate::error::subscribing)?;
        let told = watch::control_wildcard(&options.prefix, &liveness.me);
        let control = client
            .subscribe(told.clone())
            .await
            .map_err(crate::error::subscribing)?;
        let inner = Arc::new(Inner {
            name: options.name,
            prefix: options.prefix,
            outbox: Outbox::start(client.clone(), options.max_queued_bytes),
            client,
            inbox,
            max_payload,
            liveness,
            watches: Watches::default(),
            refusals,
            permissions,
            closing: Closing::new(options.close_timeout),
            replicas: options.replicas,
            runtime: tokio::runtime::Handle::current(),
            global: tokio::sync::OnceCell::new(),
            services,
        });
        // Once the nats-server has the subscriptions, no heartbeat, reply
        // or control message sent after `connect` returns is missed; a
        // subscription it refused is an error now, not silence later.
        inner
            .confirm_subscriptions(&[&heard, &told])
            .await
            .map_err(ConnectError::Confirm)?;
        tokio::spawn(liveness::run(Arc::downgrade(&inner), heartbeats));
        tokio::spawn(watch::run_control(Arc::downgrade(&inner), control));
        for subscriber in questions {
            tokio::spawn(services::run(Arc::downgrade(&inner), subscriber));
        }
        tokio::spawn(crate::sys::run(Arc::downgrade(&inner), sys_questions));
        Ok(Node { inner })
    }

    /// The node's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The NATS client underneath, for what this crate does not do: a
    /// client of the async-nats this crate re-exports
    /// ([`async_nats`](crate#the-nats-client)). Closing it (`drain`) takes
    /// the node off NATS without a graceful [`close`](Self::close).
    pub fn client(&self) -> &async_nats::Client {
        &self.inner.client
    }

    /// The payload bytes this node has queued and not yet handed to the
    /// NATS client (`mailbox_len` for the way out).
    pub fn queued_bytes(&self) -> usize {
        self.inner.outbox.queued_bytes()
    }

    /// What this node refused from the network since it started, by kind:
    /// junk, messages of another version, and messages that spoke for
    /// another node than their subject's. Each kind is also logged, at
    /// most once a second with the count since the last line, so a flood
    /// of junk cannot flood the log.
    pub fn refusals(&self) -> Refusals {
        self.inner.refusals.counts()
    }

    /// The messages this node dropped since it started, all of them casts
    /// (a call fails with an error instead): its connection was lost, its
    /// outgoing queue was full ([`NodeOptions::max_queued_bytes`]), or the
    /// cast was larger than the nats-server takes. Named as
    /// [`Server::dropped`](genserver_core::Server::dropped), which counts
    /// what a server's mailbox dropped.
    pub fn dropped(&self) -> u64 {
        self.inner.outbox.dropped_casts()
    }

    #[doc(hidden)]
    #[deprecated(since = "0.1.0", note = "renamed to `dropped`")]
    pub fn dropped_casts(&self) -> u64 {
        self.dropped()
    }

    /// Serves `server` under `name` to every node of the cluster: one
    /// [`Server<T>`](genserver_core::Server) until it exits, or a role, [`Named<T>`](genserver_core::Named): whichever
    /// server holds a local name or registry key at each request, across
    /// its restarts, until the node closes (see [`Servable`]). Returns once
    /// the NATS server has the subscriptions, so a call from another node
    /// right after reaches it.
    ///
    /// Only servers that opted in with `#[gen_server(remote)]` can be
    /// served. Two servers under one name (on this node or two) share its
    /// requests, each request going to one of them (a pool: see
    /// [`serve_pool`](Self::serve_pool)). The name is also reachable on
    /// this node alone ([`remote_on`](Self::remote_on)) and by
    /// [`multi_call`](Self::multi_call) and [`abcast`](Self::abcast).
    ///
    /// While nobody holds a served role's name (its server crashed and its
    /// supervisor has not restarted it yet), a call to it gets `NoProc` at
    /// once and a cast is dropped (counted, [`Refusals::casts_dropped`]); a
    /// call queued at a server that crashes gets `Exited(reason)`, as a
    /// local one does.
    ///
    /// # Errors
    ///
    /// - [`ServeError::InvalidName`]: the name cannot be a subject token.
    /// - [`ServeError::Subscribe`]: the connection closed meanwhile.
    /// - [`ServeError::Confirm`]`(`[`Unconfirmed::Denied`](crate::Unconfirmed::Denied)`)`:
    ///   the nats-server refused this node's user the name's subjects;
    ///   `Confirm(Timeout)` or `Confirm(Closed)` when it did not answer.
    pub async fn serve<S: Servable>(&self, name: &str, server: &S) -> Result<(), ServeError> {
        check_name(name).map_err(ServeError::InvalidName)?;
        let served = server.served();
        let inner = &self.inner;
        let subject = inner.subject(name);
        let subscriber = inner
            .client
            .queue_subscribe(subject.clone(), "genserver".to_owned())
            .await
            .map_err(crate::error::serving)?;
        let watched = format!("{}.mon.{name}", inner.prefix);
        let monitors = inner
            .client
            .queue_subscribe(watched.clone(), "genserver".to_owned())
            .await
            .map_err(crate::error::serving)?;
        let own = crate::multi::subscribe(inner, name).await?;
        // Before the confirmation: the others hear of the name at once.
        inner.liveness.serving(name);
        inner.liveness.beat(&inner.client).await;
        let subscribed: Vec<&str> = [subject.as_str(), watched.as_str()]
            .into_iter()
            .chain(own.subjects.iter().map(String::as_str))
            .collect();
        if let Err(error) = inner.confirm_subscriptions(&subscribed).await {
            // The subscriptions are dropped, so unsubscribed.
            inner.liveness.not_serving(name);
            return Err(ServeError::Confirm(error));
        }
        own.spawn(inner, &served);
        tokio::spawn(serve::run(
            inner.clone(),
            served.clone(),
            subscriber,
            Some(name.to_owned()),
        ));
        tokio::spawn(watch::serve(
            inner.clone(),
            name.to_owned(),
            served,
            monitors,
        ));
        Ok(())
    }

    /// A handle to the `T` that some node serves under `name`. It
    /// dereferences to `T`'s generated client; nothing is sent until a call.
    pub fn remote<T: RemoteServer>(&self, name: &str) -> Result<Remote<T>, InvalidName> {
        check_name(name)?;
        let target = NatsTarget::<T>::new(self.inner.subject(name), &self.inner);
        Ok(transport::remote(Arc::new(target)))
    }

    /// Leaves the cluster gracefully, as an OTP node stops: it stops
    /// taking requests, answers those it has taken, then leaves.
    ///
    /// 1. Every served name, global name, group membership and monitor
    ///    subscription is unsubscribed (global names are released), and a
    ///    round trip to the nats-server confirms it: from then on no request
    ///    is routed here. A name that other nodes serve too (a pool) is
    ///    served by them alone.
    /// 2. The requests already routed here reach their servers, and their
    ///    replies are published. This waits at most
    ///    [`close_timeout`](NodeOptions::close_timeout) (5 s by default)
    ///    from the start of the close, and for no call longer than its
    ///    caller's timeout, after which the caller no longer waits: a
    ///    server stuck in a call does not hang `close`. The call it gave up
    ///    on ends with `Exited(NoConnection)` when this node leaves, or
    ///    with `Timeout` when other nodes still serve its name.
    /// 3. Every reply is flushed to the nats-server, then the other nodes
    ///    hear that this one is down (after its last replies: they win),
    ///    and the connection is drained. Calls this node is still waiting
    ///    on get `Exited(NoConnection)`, as do calls made through it
    ///    afterwards.
    ///
    /// So `close` returns within `close_timeout` plus a few round trips to
    /// the nats-server (and the release of global names, each bounded by
    /// its lease). The servers themselves keep running (stop them after),
    /// but their links to servers on other nodes end with `NoConnection`,
    /// as OTP's links do when a node goes away: a served server linked from
    /// another node that does not trap exits stops with it. A second
    /// `close` returns at once.
    ///
    /// One window is left, in async-nats 0.50: a subscription being
    /// drained is dropped by the client one turn of its connection task
    /// after the UNSUB is written, not once the nats-server has answered;
    /// a request already on the wire to this node in that instant (well
    /// under a millisecond on loopback) is lost, and its caller times out.
    ///
    /// # Errors
    ///
    /// [`CloseError::Nats`] when the NATS client refuses the drain: its
    /// connection was closed already (through [`client`](Self::client), or
    /// the client gave up reconnecting). Steps 1 to 3 have run all the
    /// same: the node has left.
    pub async fn close(&self) -> Result<(), CloseError> {
        let inner = &self.inner;
        let started = tokio::time::Instant::now();
        let deadline = started + inner.closing.timeout;
        // 1. No new request: every serving task unsubscribes, handing on
        // what was already routed here; the global names are released.
        if !inner.closing.stop() {
            // Closed or closing already: nothing more to do.
            return Ok(());
        }
        crate::global::release_all(inner).await;
        if !inner.closing.not_serving(deadline).await {
            tracing::warn!(node = %inner.name, "closing: not every subscription was let go in time");
        }
        match tokio::time::timeout_at(deadline, inner.confirm()).await {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                tracing::warn!(node = %inner.name, %error, "closing: the unsubscriptions were not confirmed")
            }
            Err(_) => {
                tracing::warn!(node = %inner.name, "closing: the unsubscriptions were not confirmed in time")
            }
        }
        // 2. The calls already taken are answered, within the bound.
        if !inner.closing.answered(deadline).await {
            tracing::warn!(
                node = %inner.name,
                calls = inner.closing.calls_in_flight(),
                timeout = ?inner.closing.timeout,
                "closing: calls in flight were not answered within the close timeout"
            );
        }
        // 3. Every reply published, then the others hear this node leave.
        if !inner.outbox.flush(inner.liveness.timing.interval).await {
            tracing::warn!(node = %inner.name, "closing: the outbox was not flushed");
        }
        tracing::debug!(node = %inner.name, took = ?started.elapsed(), "closing: drained");
        // The last heartbeat, written before the drain: the others hear
        // this node leave at once, never only once it is silent.
        inner.liveness.leave(&inner.client).await;
        inner.client.drain().await.map_err(crate::error::draining)
    }
}

impl Inner {
    /// The node's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The cluster's subject prefix.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The NATS client.
    pub(crate) fn client(&self) -> &async_nats::Client {
        &self.client
    }

    /// `<prefix>.srv.<name>`.
    pub(crate) fn subject(&self, name: &str) -> Subject {
        Subject::from(format!("{}.srv.{name}", self.prefix))
    }

    /// Whether a reply may go to `reply`: not inside the cluster's own
    /// subjects, where a request naming a heartbeat or control subject as
    /// its reply subject would make this node publish there.
    pub(crate) fn may_reply_to(&self, reply: &str) -> bool {
        !(reply.starts_with(self.prefix.as_str())
            && reply.as_bytes().get(self.prefix.len()) == Some(&b'.'))
    }
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("name", &self.inner.name)
            .field("prefix", &self.inner.prefix)
            .finish_non_exhaustive()
    }
}
