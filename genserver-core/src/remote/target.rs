//! [`RemoteTarget`]: what a transport implements so a [`Handle`] reaches a
//! server on another node.
//!
//! [`Handle`]: crate::__private::Handle
//!
//! Public as `genserver_core::transport`'s, with the feature `remote`;
//! without it, only the core's own handles name them.
#![cfg_attr(not(feature = "remote"), allow(unreachable_pub))]

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use crate::server::Server;
use crate::server::error::{CallError, MailboxFull};
use crate::server::gen_server::GenServer;

/// A remote call in flight; see [`RemoteTarget::call`].
pub type RemoteCall<'a> = Pin<Box<dyn Future<Output = Result<(), CallError>> + Send + 'a>>;

/// A remote cast waiting to be queued; see [`RemoteTarget::cast_wait`].
pub type RemoteCast<'a> = Pin<Box<dyn Future<Output = Result<(), MailboxFull>> + Send + 'a>>;

/// A question to the serving node about its server; see
/// [`RemoteTarget::mailbox_len`].
pub type RemoteAsk<'a, R> = Pin<Box<dyn Future<Output = Result<R, CallError>> + Send + 'a>>;

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

    /// `try_x` through a remote handle: sends a cast that the serving node
    /// acknowledges once it is queued there, without waiting. Returns
    /// `Err(MailboxFull)` at once when the transport knows the remote
    /// mailbox cannot take it now; `Ok(())` only for a cast the serving
    /// node is bound to queue (within `timeout`, the handle's). The
    /// transport documents how it knows.
    ///
    /// The default, for a transport without acknowledgements, cannot
    /// know: it refuses every cast rather than report `Ok` for one it may
    /// drop.
    ///
    /// # Errors
    ///
    /// [`MailboxFull`] when the cast is not bound to be queued.
    fn try_cast(&self, message: T::Message, timeout: Duration) -> Result<(), MailboxFull> {
        let _ = timeout;
        drop(message);
        Err(MailboxFull)
    }

    /// `x_wait` through a remote handle: sends a cast and waits, at most
    /// `timeout`, until the serving node says it is queued (`Ok`), or that
    /// the remote mailbox stayed full (`Err(MailboxFull)`).
    ///
    /// The default, for a transport without acknowledgements, refuses
    /// every cast, as [`try_cast`](Self::try_cast)'s does.
    fn cast_wait(&self, message: T::Message, timeout: Duration) -> RemoteCast<'_> {
        let refused = self.try_cast(message, timeout);
        Box::pin(std::future::ready(refused))
    }

    /// How many messages wait in the remote server's mailbox, as its
    /// serving node answers within `timeout`.
    ///
    /// The default, for a transport that cannot ask, is a
    /// [`WireError::Malformed`](crate::WireError::Malformed) saying so.
    fn mailbox_len(&self, timeout: Duration) -> RemoteAsk<'_, usize> {
        let _ = timeout;
        Box::pin(std::future::ready(Err(CallError::Wire(
            crate::remote::error::WireError::malformed(
                "this transport cannot ask for a remote mailbox's length",
            ),
        ))))
    }

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
