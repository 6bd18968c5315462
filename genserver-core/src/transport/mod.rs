//! The seam a transport plugs into (feature `remote`): what a crate such
//! as `genserver-nats` needs to reach servers on other nodes, and nothing
//! an ordinary program calls.
//!
//! **Stability**: this module is for transport crates such as
//! `genserver-nats`; it may change in minor releases. A program that only
//! uses a transport never names it.
//!
//! ```text
//!  calls and casts   Remote<T> ◀── remote(Arc<dyn RemoteTarget<T>>)
//!                                  the transport implements RemoteTarget
//!  other nodes       RemoteNode::named("b") ── mints the ids of b's servers
//!  monitors          MonitorEnd::open(watcher) ──▶ down(reason): one Down, once
//!  links             LinkEnd::open(server)     ──▶ exit(reason): one exit
//!                                                   signal, once; unlink(): none
//! ```
//!
//! # No signal is forged
//!
//! A transport tells a local server that a server on another node exited
//! only through the end of a monitor or a link that the core handed out,
//! [`MonitorEnd`] or [`LinkEnd`]; `AnyServer` has no method that delivers
//! an exit signal or a `Down`. An end:
//!
//! - is bound, when it is opened, to one local server and to one stand-in
//!   for the server on the other side: an identity the core minted, that
//!   no local server has, naming the other node once it is
//!   [`locate`](MonitorEnd::locate)d ([`ServerId::node`]). A signal
//!   through it never claims to come from a server of this program, so it
//!   cannot pose as a local link's exit or a local monitor's `Down`;
//! - for a monitor, carries a [`MonitorRef`] minted with it, equal to no
//!   reference that [`Context::monitor`](crate::Context::monitor) returned:
//!   its `Down` cannot end a local monitor;
//! - is consumed by its signal, so a monitor has one `Down` and a link one
//!   exit signal, and by [`LinkEnd::unlink`] (or by being dropped), after
//!   which nothing is left to deliver it. It cannot be cloned, and its
//!   fields are private: only `open` makes one.
//!
//! [`ServerId::node`]: crate::ServerId::node
//! [`MonitorRef`]: crate::MonitorRef
//!
//! # Example
//!
//! A transport's monitor of a server on node `b`, which that node says
//! has crashed: the watcher gets one `Down`, from a server of node `b`.
//!
//! ```
//! use genserver_core::prelude::*;
//! use genserver_core::transport::{MonitorEnd, RemoteNode};
//!
//! pub struct Watcher {
//!     downs: Vec<(MonitorRef, Option<String>, ExitReason)>,
//! }
//!
//! #[gen_server]
//! impl Watcher {
//!     #[call]
//!     pub fn downs(&self) -> Vec<(MonitorRef, Option<String>, ExitReason)> {
//!         self.downs.clone()
//!     }
//!
//!     fn handle_info(&mut self, msg: Info<()>) {
//!         if let Info::Down { monitor, server, reason } = msg {
//!             let node = server.node().map(|node| node.to_string());
//!             self.downs.push((monitor, node, reason));
//!         }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let watcher = Watcher::start(Watcher { downs: Vec::new() }).await?;
//! // The transport asks the other node to watch its server...
//! let mut end = MonitorEnd::open(&watcher);
//! let monitor = end.monitor();
//! // ...which answers from node `b`...
//! end.locate(&RemoteNode::named("b"));
//! // ...and later says the server crashed.
//! assert!(end.down(ExitReason::error("disk full")));
//! // `end` is gone: a second `Down` does not compile.
//! let downs = watcher.downs().await?;
//! assert_eq!(
//!     downs,
//!     [(monitor, Some("b".to_owned()), ExitReason::error("disk full"))]
//! );
//! # Ok(())
//! # }
//! ```

mod link;
mod monitor;
mod node;

pub use crate::remote::{RemoteAsk, RemoteCall, RemoteCast, RemoteTarget};
pub use link::LinkEnd;
pub use monitor::MonitorEnd;
pub use node::RemoteNode;

use std::sync::Arc;

use crate::remote::Remote;
use crate::server::gen_server::GenServer;

/// A [`Remote<T>`] handle whose calls and casts go through `target`, the
/// transport's way to the server.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// use genserver_core::prelude::*;
/// use genserver_core::transport::{self, RemoteCall, RemoteTarget};
///
/// pub struct Counter;
///
/// #[gen_server]
/// impl Counter {
///     #[call]
///     pub fn get(&self) -> u64 {
///         0
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// /// A transport that cannot reach anyone.
/// struct Unreachable;
///
/// impl RemoteTarget<Counter> for Unreachable {
///     fn call(&self, _message: <Counter as GenServer>::Message, _timeout: Duration) -> RemoteCall<'_> {
///         Box::pin(async { Err(CallError::NoProc) })
///     }
///     fn cast(&self, _message: <Counter as GenServer>::Message) {}
///     fn describe(&self) -> String {
///         "nowhere".to_owned()
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let counter = transport::remote::<Counter>(Arc::new(Unreachable));
/// assert_eq!(counter.get().await, Err(CallError::NoProc));
/// assert_eq!(format!("{counter:?}"), "Remote<Counter>(nowhere)");
/// # }
/// ```
pub fn remote<T: GenServer>(target: Arc<dyn RemoteTarget<T>>) -> Remote<T> {
    Remote::from_target(target)
}
