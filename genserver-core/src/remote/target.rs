//! [`RemoteTarget`]: what a transport implements so a [`Handle`] reaches a
//! server on another node.
//!
//! [`Handle`]: crate::__private::Handle

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::server::Server;
use crate::server::error::CallError;
use crate::server::gen_server::GenServer;

/// A remote call in flight; see [`RemoteTarget::call`].
pub type RemoteCall<'a> = Pin<Box<dyn Future<Output = Result<(), CallError>> + Send + 'a>>;

/// A server on another node, as a transport reaches it. Implemented by a
/// transport (`genserver-nats`), used by the generated client through a
/// [`Remote`](crate::Remote) handle.
pub trait RemoteTarget<T: GenServer>: Send + Sync + 'static {
    /// Sends a call and waits at most `timeout` for its reply, which it
    /// delivers into the `ReplyTo` inside `message` before returning
    /// `Ok(())`. Messages sent by one target, calls and casts, arrive in
    /// the order they were sent.
    fn call(&self, message: T::Message, timeout: Duration) -> RemoteCall<'_>;

    /// Sends a cast; never fails, never blocks. A cast that cannot be sent
    /// is dropped (and logged), as a cast to a dead server is.
    fn cast(&self, message: T::Message);

    /// Where it goes, for `Debug`: the node's subject, say.
    fn describe(&self) -> String;

    /// The server of this program that the target reaches now, if any (a
    /// global name that this node holds): calls and casts then go to it
    /// directly, as through a [`Server<T>`], without the network. Asked on
    /// every call and cast; `None` by default.
    fn local(&self) -> Option<Server<T>> {
        None
    }
}
