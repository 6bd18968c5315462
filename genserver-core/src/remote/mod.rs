//! Servers on other nodes: the seam a transport (`genserver-nats`) plugs
//! into. This crate knows no network; it only lets the same generated
//! client reach a server through a `RemoteTarget`
//! ([`transport`](crate::transport), feature `remote`).
//!
//! ```text
//!  Remote<T> ──▶ TClient ──▶ Handle<T> (Target::Remote)
//!                               └─ dyn RemoteTarget<T>: the transport, which
//!                                  turns T::Message into its wire form
//!                                  (RemoteServer, feature "remote") and
//!                                  delivers the reply into its ReplyTo
//! ```
//!
//! On the serving node the transport decodes a request and hands it to
//! the generated `RemoteServer::__serve`, which sends it through the
//! local server's handle as any client would.
//!
//! # Errors
//!
//! A call through a remote handle fails with the same [`CallError`]s as a
//! local one, plus [`CallError::Wire`] when the message could not cross:
//! a server of another type or another version of its handlers holds the
//! name, a payload was malformed or too large ([`WireError`]). A node
//! that cannot be reached is [`ExitReason::NoConnection`](crate::ExitReason::NoConnection).
//!
//! [`CallError`]: crate::CallError
//! [`CallError::Wire`]: crate::CallError::Wire

pub(crate) mod error;
pub(crate) mod handle;
pub(crate) mod target;
#[cfg(feature = "remote")]
pub(crate) mod wire;

pub use error::WireError;
pub use handle::Remote;
#[cfg(feature = "remote")]
pub use target::{RemoteAsk, RemoteCall, RemoteCast, RemoteTarget};
#[cfg(feature = "remote")]
pub use wire::{Codec, RemoteServer};
