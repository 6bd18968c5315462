//! [`Remote`]: a handle to a server on another node.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use crate::remote::target::RemoteTarget;
use crate::server::error::CallError;
use crate::server::gen_server::{ClientHandle, GenServer};
use crate::server::handle::{Handle, Target};

/// A handle to a server on another node: it dereferences to the same
/// generated client as [`Server<T>`](crate::Server), so a remote server is
/// called exactly as a local one.
///
/// A transport makes one (`genserver_nats::Node::remote`, through
/// `genserver_core::transport::remote`). Calls wait 5 s
/// ([`DEFAULT_CALL_TIMEOUT`](crate::DEFAULT_CALL_TIMEOUT)) unless
/// [`with_timeout`](Self::with_timeout) says otherwise; a cast is
/// fire-and-forget. Messages sent through one handle (and its clones)
/// arrive in the order they were sent.
///
/// Errors, as [`CallError`](crate::CallError): nobody serves the name →
/// `NoProc`, at once; no reply in time → `Timeout`; the server exits
/// during the call → `Exited(reason)`; the message cannot cross (another
/// server type or version, malformed, too large, refused by the
/// transport's permissions) → [`Wire`](crate::CallError::Wire).
///
/// Casts over the wire are at most once, as local ones: `x(..)` is
/// fire-and-forget, and a cast the serving node cannot queue (a full
/// mailbox, nobody holding the name) is dropped and counted there.
/// `try_x(..)` and `x_wait(..)` are acknowledged by the serving node once
/// the cast is queued, so they report `MailboxFull` when the remote
/// mailbox refused it, never `Ok` for a dropped cast (the transport
/// documents the details: `genserver_nats`' "Casts" section).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::Remote;
///
/// pub struct Counter {
///     value: i64,
/// }
///
/// #[gen_server]
/// impl Counter {
///     #[call]
///     pub fn increment(&mut self, by: i64) -> i64 {
///         self.value += by;
///         self.value
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// /// The same generated client, whether the counter is here or there.
/// async fn bump_here(counter: &Server<Counter>) -> Result<i64, CallError> {
///     counter.increment(1).await
/// }
///
/// async fn bump_there(counter: &Remote<Counter>) -> Result<i64, CallError> {
///     counter.increment(1).await
/// }
/// ```
pub struct Remote<T: GenServer> {
    client: T::Client,
}

impl<T: GenServer> Remote<T> {
    /// A handle whose messages go through `target`: a transport's, made
    /// public by [`transport::remote`](crate::transport::remote).
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn from_target(target: Arc<dyn RemoteTarget<T>>) -> Self {
        Remote {
            client: T::Client::__from_handle(Handle::remote(target)),
        }
    }

    fn handle(&self) -> &Handle<T> {
        self.client.__handle()
    }

    /// A handle to the same server whose calls time out after `timeout`.
    pub fn with_timeout(&self, timeout: Duration) -> Remote<T> {
        let mut handle = self.handle().clone();
        handle.timeout = timeout;
        Remote {
            client: T::Client::__from_handle(handle),
        }
    }

    /// The timeout this handle's calls use.
    pub fn timeout(&self) -> Duration {
        self.handle().timeout
    }

    /// How many messages wait in the remote server's mailbox, as its
    /// serving node answers (a round trip, within this handle's timeout):
    /// the backlog that `try_x` and `x_wait` meet there. A server of this
    /// program (a global name this node holds) answers without the
    /// network.
    ///
    /// # Errors
    ///
    /// As a call's: nobody serves the name → [`CallError::NoProc`]; no
    /// answer in time → [`CallError::Timeout`]; the node cannot be reached
    /// → [`CallError::Exited`] with [`ExitReason::NoConnection`](crate::ExitReason::NoConnection).
    pub async fn mailbox_len(&self) -> Result<usize, CallError> {
        match &self.handle().target {
            Target::Remote(remote) => match remote.local() {
                Some(server) => Ok(server.mailbox_len()),
                None => remote.mailbox_len(self.timeout()).await,
            },
            Target::Named(_) | Target::Server(_) => self
                .handle()
                .resolve()
                .map(|shared| shared.mailbox.len())
                .ok_or(CallError::NoProc),
        }
    }
}

impl<T: GenServer> Deref for Remote<T> {
    type Target = T::Client;

    fn deref(&self) -> &T::Client {
        &self.client
    }
}

impl<T: GenServer> Clone for Remote<T> {
    fn clone(&self) -> Self {
        Remote {
            client: self.client.clone(),
        }
    }
}

impl<T: GenServer> fmt::Debug for Remote<T> {
    /// `Remote<Counter>(app.srv.counter)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let place = match &self.handle().target {
            Target::Remote(remote) => remote.describe(),
            Target::Named(resolver) => resolver.describe(),
            Target::Server(shared) => shared.process.id().to_string(),
        };
        write!(f, "Remote<{}>({place})", T::NAME)
    }
}
