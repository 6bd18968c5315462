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
//! counted ([`Node::dropped_casts`]).
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
//!
//! A request that is refused on the serving node is logged there; the node
//! never panics on what arrives.
//!
//! # Liveness and monitors
//!
//! Every node publishes a heartbeat every `heartbeat_interval` (1 s) with
//! the names it serves, and holds the nodes it hears from
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
//! | `GenServer.multi_call`, `abcast` | [`Node::multi_call`], [`Node::abcast`] (over [`Node::nodes_serving`]) |
//! | a pool of workers | [`Node::serve_pool`]: any member, through a NATS queue group |
//! | `PartitionSupervisor` across machines | [`Node::serve_partition`], [`Node::partitioned`] → [`RemotePartitions::get`]`(&key)` |
//!
//! # Wire format
//!
//! postcard (see [`Postcard`]): compact and fast, with a stable format. A
//! request carries the server's type name and its schema fingerprint
//! (`RemoteServer::SCHEMA`, a hash of its handlers' names and types), and
//! is refused before its body is read when either differs.

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
mod node;
mod outbox;
mod permissions;
mod pool;
mod refusals;
mod role;
mod serve;
mod target;
mod template;
mod watch;

pub use codec::Postcard;
pub use confirm::Unconfirmed;
pub use error::{ConnectError, InvalidName, ServeError};
pub use gather::GatherError;
pub use global::{
    DEFAULT_LEASE, GlobalError, GlobalHolder, GlobalName, GlobalOptions, NameLost, UnsafeReplicas,
};
pub use groups::{Member, Membership};
pub use node::{Node, NodeOptions};
pub use pool::{PartitionKey, PoolError, RemotePartitions};
pub use refusals::Refusals;
pub use role::Servable;
pub use watch::RemoteLink;
