//! Servers on other machines, over NATS: the same generated client calls
//! a server on another node as it calls a local one.
//!
//! A server opts in with `#[gen_server(remote)]`, which derives a serde
//! wire form of its calls and casts (only those servers need serde). A
//! [`Node`] connects to a nats-server, [serves](Node::serve) local servers
//! under names, and hands out [`Remote<T>`](genserver_core::Remote)
//! handles to the servers other nodes serve.
//!
//! ```no_run
//! use genserver_core::prelude::*;
//! use genserver_nats::{Node, NodeOptions};
//!
//! pub struct Counter {
//!     value: i64,
//! }
//!
//! #[gen_server(remote)]
//! impl Counter {
//!     #[call]
//!     pub fn increment(&mut self, by: i64) -> i64 {
//!         self.value += by;
//!         self.value
//!     }
//!
//!     #[cast]
//!     pub fn reset(&mut self) {
//!         self.value = 0;
//!     }
//!
//!     fn handle_info(&mut self, _msg: Info<()>) {}
//! }
//!
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // On one machine:
//! let a = Node::connect("nats://127.0.0.1:4222", NodeOptions::new("a").prefix("app")).await?;
//! let counter = Counter::start(Counter { value: 0 }).await?;
//! a.serve("counter", &counter).await?;
//!
//! // On another:
//! let b = Node::connect("nats://127.0.0.1:4222", NodeOptions::new("b").prefix("app")).await?;
//! let remote = b.remote::<Counter>("counter")?;
//! assert_eq!(remote.increment(2).await?, 2); // the same client as a local server's
//! remote.reset();
//! # Ok(())
//! # }
//! ```
//!
//! # The NATS client
//!
//! The client is [async-nats](https://docs.rs/async-nats), re-exported
//! as `genserver_nats::async_nats`: its types are in this
//! crate's API only where a program hands the node a client's settings or
//! uses the client itself ([`NodeOptions::connect_options`] takes its
//! `ConnectOptions`, [`Node::connect`] its `ToServerAddrs`, [`Node::client`]
//! gives its `Client`). Name them through the re-export, so they are always
//! of the version this crate was built with:
//!
//! ```no_run
//! use genserver_nats::{Node, NodeOptions, async_nats};
//!
//! # async fn run() -> Result<(), genserver_nats::ConnectError> {
//! let options = NodeOptions::new("a")
//!     .connect_options(async_nats::ConnectOptions::with_user_and_password(
//!         "a".into(),
//!         "secret".into(),
//!     ));
//! let node = Node::connect("nats://127.0.0.1:4222", options).await?;
//! # Ok(())
//! # }
//! ```
//!
//! No error of this crate names an async-nats type: a failure of the
//! client is a [`NatsError`], whose [`kind`](NatsError::kind) (a
//! [`NatsErrorKind`]: denied, timeout, unreachable, disconnected) is for a
//! program to branch on, and whose [`source`](std::error::Error::source)
//! is the async-nats error, to log or downcast. Each error's `Display`
//! says only its own layer and `source()` carries the cause, so a
//! reporter (`anyhow`'s `{:#}`) prints the chain once:
//! `cannot connect to NATS: authorization violation: …` (async-nats' own
//! errors print their cause in `Display` too, so their last words may come
//! twice).
//!
//! # Calls, casts and order
//!
//! A call is a NATS request with the handle's timeout (5 s unless
//! `with_timeout` says otherwise); a cast is a publish. Every call and
//! cast a node sends leaves through one queue, and a served name's
//! requests are queued at its server in the order they arrived: messages
//! from one node to one server arrive in the order they were sent.
//!
//! A cast is dropped, as one to a dead server is, when this node has no
//! connection, or when its outgoing queue holds
//! [`max_queued_bytes`](NodeOptions::max_queued_bytes) (64 MiB): a flood
//! of casts towards a connection that cannot keep up is bounded, and
//! counted ([`Node::dropped`]).
//!
//! # Casts over the wire
//!
//! A cast is delivered at most once, as a local one: never twice, and
//! dropped (not queued for later) when it cannot be delivered. Beside a
//! local server's casts (the `Mailbox` docs of `genserver_core`):
//!
//! | sent through a `Remote<T>` | what happens |
//! |---|---|
//! | `x(..)` | fire-and-forget: published, never waits. Dropped, and counted on this node ([`Node::dropped`]), without a connection or with a full outgoing queue; dropped and counted on the serving node when its mailbox is full (the overflow policy, `Server::dropped`) or nobody holds a served role's name ([`Refusals::casts_dropped`]) |
//! | `x_wait(..).await` | the serving node answers once the cast is queued, waiting for room at most the handle's timeout: `Ok(())` only then; `Err(MailboxFull)` when the mailbox stayed full, no answer came within the timeout, or there is no connection. A name nobody serves: `Ok(())`, dropped as a cast to a dead server is |
//! | `try_x(..)` | never waits: `Err(MailboxFull)` at once when this handle already has as many acknowledged casts unanswered as the serving node last said its mailbox had room for (one, until it has said), or without a connection; else sent, and the serving node queues it, waiting for room at most the handle's timeout. So `Ok(())` is never said of a cast the remote mailbox refused at once; one that found it full for a whole timeout is dropped and counted there ([`Refusals::casts_dropped`]) |
//! | `remote.mailbox_len().await` | the serving node's answer: how many messages wait in the mailbox now |
//!
//! Through [`Node::broadcast`] no one mailbox answers: `try_x` and
//! `x_wait` are `Err(MailboxFull)`, never sent.
//!
//! # Serving a role
//!
//! [`Node::serve`], [`Node::serve_pool`], [`Node::serve_partition`],
//! [`Node::register_global`] and [`Node::join`] take a [`Servable`]: a
//! `Server<T>`, served until it exits, or a `Named<T>` (a local name or a
//! registry key), served across restarts: each request goes to whoever
//! holds the name at the time. A supervised child needs no code to be
//! served again after a restart; between a crash and the restart, a call
//! gets `NoProc` at once and a cast is dropped. A monitor or link through
//! a served role watches the server holding it when the request arrives.
//!
//! # Errors
//!
//! The same [`CallError`](genserver_core::CallError)s as a local call:
//!
//! | what happened | the caller gets |
//! |---|---|
//! | nobody serves the name | `NoProc`, at once (NATS' no-responders) |
//! | no reply within the timeout (a slow server) | `Timeout` |
//! | the server exited during the call | `Exited(reason)` |
//! | its node died or was cut off during the call | `Exited(NoConnection)`, within the liveness bound (below) unless the timeout is shorter |
//! | its node closed during the call | the reply: a closing node answers the calls it has taken (below); `Exited(NoConnection)` for one it gave up on after its `close_timeout` |
//! | this node's connection is lost or closed during the call, or is lost when it is made | `Exited(NoConnection)`, at once |
//! | another server type, or another version of its handlers | `Wire(WrongServer / SchemaMismatch)` |
//! | a request or reply that does not decode, or is too large | `Wire(Malformed / TooLarge)` |
//! | the nats-server refused this node's user the publish (NATS permissions) | `Wire(Denied(..))`, at once, naming the permission: `Permissions Violation for Publish to "app.srv.counter"` |
//!
//! A request that is refused on the serving node is counted there
//! ([`Node::refusals`]) and logged at most once a second per kind; the
//! node never panics on what arrives. A subscription the nats-server
//! refuses is an error of what made it: [`Node::connect`] confirms its
//! inbox and its other subscriptions with a round trip through the inbox
//! ([`ConnectError::Confirm`]`(`[`Unconfirmed::Denied`]`)`), and so do
//! [`Node::serve`] and [`Node::join`] ([`ServeError::Confirm`]).
//!
//! # Liveness and monitors
//!
//! Every node publishes a heartbeat every `heartbeat_interval` (1 s) with
//! the names it serves, on a subject of its own
//! (`<prefix>.node.<node>.hb`), and holds the nodes it hears from
//! ([`Node::nodes`]). A node silent for `down_after` (3 s) is down: the
//! calls in flight to names that only it served end with
//! `Exited(NoConnection)`, the monitors of its servers
//! ([`Node::monitor`]) deliver `Info::Down` with `NoConnection`, and the
//! links to them ([`Node::link`]) are exit signals with `NoConnection`,
//! both ways. **The
//! bound: `down_after` + 100 ms after the dead node's last heartbeat,
//! so at most 3.1 s after it died with the defaults**
//! ([`NodeOptions::heartbeat_interval`], [`NodeOptions::down_after`]). A
//! node that [closes](Node::close) says so, and is down at once.
//!
//! # Closing
//!
//! [`Node::close`] is a graceful stop, as an OTP node's: it stops taking
//! requests (every subscription is unsubscribed and the nats-server
//! confirms it, so a pool's requests go to the other members from then
//! on), answers the calls already routed to it, publishes their replies,
//! and only then tells the other nodes it is leaving and drains its
//! connection. Waiting for those calls is bounded by
//! [`NodeOptions::close_timeout`] (5 s) and by each caller's timeout.
//!
//! The NATS client's ping interval is the heartbeat interval, so this
//! node notices a silent connection after about three of them; once it is
//! not connected, every call in flight and every remote monitor ends
//! with `NoConnection` (within 100 ms), and calls fail at once until the
//! client has reconnected (async-nats reconnects on its own and
//! subscribes again to the served names and the inbox).
//!
//! When several nodes serve one name, a call in flight to it is failed
//! only once no live node serves it: it may be on a survivor, which then
//! answers or times out.
//!
//! # Beyond one name on one node
//!
//! | OTP | here |
//! |---|---|
//! | `{name, node}` | [`Node::remote_on`] |
//! | `Process.monitor` / `link` to a remote process | [`Node::monitor`] / [`Node::link`] (see [`ServerId::node`](genserver_core::ServerId::node)) |
//! | `:global.register_name`, `whereis_name`, `{:global, name}` | [`Node::register_global`], [`Node::global_holder`] / [`Node::whereis_global`], [`Node::global`] (JetStream KV, leases: see [`GlobalName`]) |
//! | `:pg.join`, `leave`, `get_members`, a send to each member | [`Node::join`], [`Membership::leave`], [`Node::members`], [`Node::broadcast`] |
//! | a registered name served under a supervisor, across restarts | [`Node::serve`] of a `Named<T>` ([`Servable`]) |
//! | `GenServer.multi_call`, `abcast` | [`Node::multi_call`], [`Node::abcast`] (over [`Node::nodes_serving`]) |
//! | a pool of workers | [`Node::serve_pool`]: any member, through a NATS queue group |
//! | `PartitionSupervisor` across machines | [`Node::serve_partition`], [`Node::partitioned`] → [`RemotePartitions::get`]`(&key)` |
//!
//! # Seen by standard NATS tools
//!
//! Every node answers the NATS services API as a NATS micro service does,
//! so `nats micro ls`, `nats micro info <prefix>` and
//! `nats micro stats <prefix>` list and inspect genserver nodes with
//! nothing extra:
//!
//! - `$SRV.PING`, `$SRV.INFO` and `$SRV.STATS`, also with the service's
//!   name (`$SRV.INFO.<prefix>`) and with its name and the node's instance
//!   id (`$SRV.STATS.<prefix>.<id>`). The service's name is the cluster
//!   prefix (any character other than `A-Z a-z 0-9 - _` as `_`), each node
//!   one instance of it, its node name in the answer's `metadata.node`.
//! - Its endpoints are the names it serves now (`<prefix>.srv.<name>`,
//!   queue group `genserver`). Each counts, since the node connected, the
//!   requests that arrived (calls and casts), its errors (requests
//!   refused, calls answered with an error, the last of them kept) and
//!   the time from a request's arrival to its reply (to its queueing, for
//!   a cast). A name served again counts on.
//!
//! [`NodeOptions::permission_template`] lets a node hear these questions;
//! who may ask them is the nats-server's choice: give the operators'
//! users `publish: "$SRV.>"`. Whoever may ask sees the names served and
//! their counts.
//!
//! # What runs on a node: its `sys` subject
//!
//! Each node also answers `<prefix>.node.<node>.sys` with JSON: its
//! process table (the top rows by a column), its supervision trees, and
//! one server's status, of the shapes genserver-dashboard's own endpoints
//! serve, for its Nodes view ([`Node::sys`]; the nodes are
//! [`Node::nodes`] and this one; the wire
//! form and its bounds are in the [`sys`] module). A status holds a
//! server's state, so whoever may publish there reads states: the
//! permission template lets the cluster's nodes ask each other, and each
//! node hear only its own.
//!
//! # Security
//!
//! The trust model: **a cluster prefix isolates names, not tenants.**
//! Every client that may publish and subscribe in a prefix is trusted to
//! serve names, answer calls, join groups, monitor and link servers, read
//! the requests sent to the names it serves, and hold global names. Keep
//! one tenant per trust domain, and give tenants apart NATS **accounts**:
//! an account is NATS' tenant boundary (subjects, JetStream and its
//! global names' table are per account), a prefix is not.
//!
//! Within a cluster, the NATS server's own permissions say which user may
//! do what, and the node relies on them, not on crypto of its own:
//!
//! - Each node speaks on subjects of its own: heartbeats on
//!   `<prefix>.node.<node>.hb`, monitor and link messages on
//!   `<prefix>.node.<node>.ctl.…`. A node refuses (and counts) a heartbeat
//!   that claims another node than its subject's, and a `Down` or an exit
//!   signal that does not come from the node the watch is about. So a user
//!   allowed to publish only its own node's subjects cannot speak for
//!   another node: the nats-server refuses the publish.
//! - [`NodeOptions::permission_template`] gives the permissions a node
//!   needs and nothing more, as a nats-server `permissions` block; give
//!   each node a user of its own with it. Replies are allowed by
//!   `allow_responses`, so a node cannot publish into another node's
//!   inbox unasked; its own inbox and the NATS client's are per node
//!   (`_GS_INBOX.<prefix>.<node>.…`, `_INBOX.<prefix>.<node>.…`).
//! - A request whose reply subject lies inside the prefix is refused: no
//!   one makes a node publish on another node's subjects through it.
//! - Anything refused is counted by kind ([`Node::refusals`]) and logged
//!   at most once a second per kind, with the count since: a flood of
//!   junk cannot flood the log (100 000 junk requests: one line).
//! - A permission the nats-server refuses is a typed error at once: a
//!   call's publish is `Wire(Denied)`, a refused inbox is a
//!   [`ConnectError`], a refused name a [`ServeError`].
//!
//! Two tenants on one nats-server, each in its own account, each node a
//! user with its template (`nats-server.conf`):
//!
//! ```text
//! accounts {
//!   SHOP: {
//!     jetstream: enabled
//!     users: [
//!       { user: web, password: "...", permissions: <NodeOptions::new("web").prefix("shop").permission_template()> }
//!       { user: stock, password: "...", permissions: <… "stock" …> }
//!     ]
//!   }
//!   BILLING: {
//!     jetstream: enabled
//!     users: [ { user: invoices, password: "...", permissions: <… "invoices", prefix "billing" …> } ]
//!   }
//! }
//! jetstream {}
//! ```
//!
//! `tests/permissions.rs` runs two nodes, each with its template, through
//! every feature (serving, calls, casts, monitors, links, global names,
//! groups, `multi_call`, close) with no permission refused, checks that
//! one cannot publish the other's heartbeat, and that two accounts under
//! one prefix see neither each other's names nor their global names.
//!
//! # Global names on a NATS cluster
//!
//! The names' table is a JetStream stream; with one replica, the server
//! that holds it takes every global name with it when it dies. On a
//! cluster of three servers or more of nats-server 2.9.21 or later, the
//! stream gets 3 replicas by default ([`NodeOptions::replicas`]): killing
//! the server that leads it, names keep resolving (10 calls of 10 over
//! the next 18 s, measured), and new registrations work once JetStream
//! has a new leader (6 s measured). Before 2.9.21 a replicated stream lets
//! two racing revision-checked updates both win (nats-server issue 4320),
//! and takeovers are such updates: there the stream keeps one replica,
//! and asking for more is [`ConnectError::UnsafeReplicas`]. A holder's
//! lease must outlast a JetStream leader election, during which no
//! refresh lands: on a replicated table the default lease is 15 s
//! ([`DEFAULT_REPLICATED_LEASE`]; with 5 s, a holder lost its name in one
//! run of three), so a dead node's name is taken over after 15 s there.
//!
//! # Wire format
//!
//! postcard (see [`Postcard`]): compact and fast, with a stable format. A
//! request carries the server's type name and its schema fingerprint
//! (`RemoteServer::SCHEMA`, a hash of its handlers' names and types), and
//! is refused before its body is read when either differs. The framing
//! (version 2) says what a request asks: a call or a cast, an
//! acknowledged cast, or the mailbox's length. Heartbeats and monitor
//! messages carry a version of 2 or more as their first byte, which a
//! reply (0 or 1) never has.

#![warn(missing_docs, missing_debug_implementations)]

mod acked;
mod closing;
mod codec;
mod confirm;
mod error;
mod frame;
mod gather;
mod global;
mod groups;
mod inbox;
mod liveness;
mod multi;
mod nats_error;
mod node;
mod options;
mod outbox;
mod permissions;
mod pool;
mod refusals;
mod role;
mod serve;
mod services;
pub mod sys;
mod target;
mod template;
mod watch;

/// The NATS client this crate is built on, so that a program names the
/// very version the node takes (`ConnectOptions`, `Client`): see "The
/// NATS client" above.
pub use async_nats;
pub use codec::Postcard;
pub use confirm::Unconfirmed;
pub use error::{CloseError, ConnectError, InvalidName, ServeError};
pub use gather::GatherError;
pub use global::{
    DEFAULT_LEASE, DEFAULT_REPLICATED_LEASE, GlobalError, GlobalHolder, GlobalName, GlobalOptions,
    NameLost, UnsafeReplicas,
};
pub use groups::{Member, Membership};
pub use nats_error::{NatsError, NatsErrorKind};
pub use node::{Node, NodeOptions};
pub use pool::{PartitionKey, PoolError, RemotePartitions};
pub use refusals::Refusals;
pub use role::Servable;
pub use sys::{SysError, SysRequest, SysSort};
pub use watch::RemoteLink;
