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
//! `with_timeout` says otherwise); a cast is a publish. Every message a
//! node sends leaves through one queue, and a served name's requests are
//! queued at its server in the order they arrived: messages from one node
//! to one server arrive in the order they were sent.
//!
//! # Errors
//!
//! The same [`CallError`](genserver_core::CallError)s as a local call:
//!
//! | what happened | the caller gets |
//! |---|---|
//! | nobody serves the name | `NoProc`, at once (NATS' no-responders) |
//! | no reply within the timeout (a slow server, a node gone) | `Timeout` |
//! | the server exited during the call | `Exited(reason)` |
//! | this node's connection closed during the call | `Exited(NoConnection)` |
//! | another server type, or another version of its handlers | `Wire(WrongServer / SchemaMismatch)` |
//! | a request or reply that does not decode, or is too large | `Wire(Malformed / TooLarge)` |
//!
//! A request that is refused on the serving node is logged there; the node
//! never panics on what arrives.
//!
//! # Beyond one name on one node
//!
//! | OTP | here |
//! |---|---|
//! | `{name, node}` | [`Node::remote_on`] |
//! | `:global.register_name`, `whereis_name`, `{:global, name}` | [`Node::register_global`], [`Node::global_holder`] / [`Node::whereis_global`], [`Node::global`] (JetStream KV, leases: see [`GlobalName`]) |
//! | `:pg.join`, `leave`, `get_members`, a send to each member | [`Node::join`], [`Membership::leave`], [`Node::members`], [`Node::broadcast`] |
//! | `GenServer.multi_call`, `abcast` | [`Node::multi_call`], [`Node::abcast`] (over [`Node::nodes_serving`]) |
//! | a pool of workers | [`Node::serve_pool`]: any member, through a NATS queue group |
//!
//! # Wire format
//!
//! postcard (see [`Postcard`]): compact and fast, with a stable format. A
//! request carries the server's type name and its schema fingerprint
//! (`RemoteServer::SCHEMA`, a hash of its handlers' names and types), and
//! is refused before its body is read when either differs.

#![warn(missing_docs, missing_debug_implementations)]

mod codec;
mod error;
mod frame;
mod gather;
mod global;
mod groups;
mod inbox;
mod multi;
mod node;
mod outbox;
mod pool;
mod serve;
mod target;

pub use codec::Postcard;
pub use error::{ConnectError, InvalidName, ServeError};
pub use gather::GatherError;
pub use global::{DEFAULT_LEASE, GlobalError, GlobalHolder, GlobalName, GlobalOptions, NameLost};
pub use groups::{Member, Membership};
pub use node::{Node, NodeOptions};
