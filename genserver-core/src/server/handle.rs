//! The runtime's side of a client handle: sending calls, casts and info
//! messages to one server.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::id::ServerId;
use crate::naming::keyed::Starter;
use crate::naming::named::Resolver;
use crate::remote::error::WireError;
use crate::remote::target::RemoteTarget;
use crate::server::call_graph::{self, Current};
use crate::server::counters::Counters;
use crate::server::dead_letters::{self, Addressee, DeadLetterReason};
use crate::server::error::{CallError, MailboxFull};
use crate::server::gen_server::GenServer;
use crate::server::mailbox::{Envelope, Lane, Mailbox, Queue, SendError};
use crate::server::process::Process;
use crate::server::reply::{self, CastToken, ReplyTo};

/// The default timeout of a call, as in OTP: 5 seconds.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

tokio::task_local! {
    /// The server whose task is running: for `CallError::CallingSelf`,
    /// and the edges of the call graph (`call_graph.rs`).
    pub(crate) static CURRENT_SERVER: Current;
}

/// What every handle of one server shares: its mailbox and its life.
pub(crate) struct Shared<T: GenServer> {
    pub(crate) process: Process,
    pub(crate) mailbox: Queue<Envelope<T>>,
    /// What the server publishes about itself, for inspection.
    pub(crate) counters: Counters,
}

/// The runtime's side of a client handle. Generated client types wrap one.
///
/// It reaches one server ([`Server`](crate::Server)), whoever holds a
/// name at the time of each call ([`Named`](crate::Named)), or a server on
/// another node ([`Remote`](crate::Remote)).
#[doc(hidden)]
pub struct Handle<T: GenServer> {
    pub(crate) target: Target<T>,
    pub(crate) timeout: Duration,
}

/// Where a handle's messages go.
pub(crate) enum Target<T: GenServer> {
    /// One server.
    Server(Arc<Shared<T>>),
    /// The server holding a name, looked up on each call and cast.
    Named(Arc<Resolver<T>>),
    /// A server on another node, reached through a transport.
    Remote(Arc<dyn RemoteTarget<T>>),
}

impl<T: GenServer> Clone for Target<T> {
    fn clone(&self) -> Self {
        match self {
            Target::Server(shared) => Target::Server(shared.clone()),
            Target::Named(resolver) => Target::Named(resolver.clone()),
            Target::Remote(remote) => Target::Remote(remote.clone()),
        }
    }
}

impl<T: GenServer> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("Handle");
        debug.field("server", &T::NAME);
        match &self.target {
            Target::Server(shared) => debug.field("id", &shared.process.id()),
            Target::Named(resolver) => debug.field("name", &resolver.describe()),
            Target::Remote(remote) => debug.field("remote", &remote.describe()),
        };
        debug.field("timeout", &self.timeout).finish()
    }
}

impl<T: GenServer> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            target: self.target.clone(),
            timeout: self.timeout,
        }
    }
}

impl<T: GenServer> Handle<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>) -> Self {
        Handle {
            target: Target::Server(shared),
            timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    pub(crate) fn named(resolver: Arc<Resolver<T>>) -> Self {
        Handle {
            target: Target::Named(resolver),
            timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    pub(crate) fn remote(target: Arc<dyn RemoteTarget<T>>) -> Self {
        Handle {
            target: Target::Remote(target),
            timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// A new server's shared part: a fresh identity and an empty mailbox.
    pub(crate) fn new_shared(mailbox: Mailbox) -> Arc<Shared<T>> {
        let id = ServerId::next();
        Arc::new(Shared {
            process: Process::new(id),
            mailbox: Queue::new(mailbox, id),
            counters: Counters::new(),
        })
    }

    /// The server a `Server<T>` handle names. Every `Server<T>` is made
    /// from a server, never from a name or a remote target.
    pub(crate) fn shared(&self) -> &Arc<Shared<T>> {
        match &self.target {
            Target::Server(shared) => shared,
            Target::Named(_) | Target::Remote(_) => {
                unreachable!("a Server<T> is made from a server, not a name")
            }
        }
    }

    /// The local server this handle reaches now: `None` when nobody holds
    /// its name, and for a server on another node.
    pub(crate) fn resolve(&self) -> Option<Arc<Shared<T>>> {
        match &self.target {
            Target::Server(shared) => Some(shared.clone()),
            Target::Named(resolver) => resolver.resolve(),
            Target::Remote(remote) => remote.local().and_then(|s| s.handle().resolve()),
        }
    }

    pub(crate) fn id(&self) -> ServerId {
        self.shared().process.id()
    }

    pub(crate) fn process(&self) -> &Process {
        &self.shared().process
    }

    /// Sends a call built by `build` around a fresh reply slot and waits for
    /// the reply, the server's exit, or the timeout. A full mailbox makes
    /// the call wait for room, within the same timeout. Through a name
    /// nobody holds: [`CallError::NoProc`].
    ///
    /// # Errors
    ///
    /// The [`CallError`] of the call: `Timeout`, `NoProc`, `CallingSelf`,
    /// `Exited`, `TaskFailed`, `Wire` or `NotStarted`.
    pub async fn call<R>(
        &self,
        build: impl FnOnce(ReplyTo<R>) -> T::Message,
    ) -> Result<R, CallError> {
        // One async body for both targets: a nested future per call costs
        // more than the branch.
        let resolved;
        let shared: &Shared<T> = match &self.target {
            Target::Server(shared) => shared,
            Target::Named(resolver) => match resolver.resolve() {
                Some(found) => {
                    resolved = found;
                    &resolved
                }
                None => {
                    let Some(starter) = &resolver.starter else {
                        return Err(CallError::NoProc);
                    };
                    // A key's handle starts its server (`naming/keyed.rs`).
                    let (tx, rx) = oneshot::channel();
                    let message = Envelope::Call(build(ReplyTo::new(tx)));
                    let call = starter.call(resolver, message, rx, self.timeout, None);
                    return Box::pin(call).await;
                }
            },
            Target::Remote(remote) => match remote.local().and_then(|s| s.handle().resolve()) {
                // A name held in this program: a local call.
                Some(found) => {
                    resolved = found;
                    &resolved
                }
                None => {
                    let (tx, mut rx) = oneshot::channel();
                    remote.call(build(ReplyTo::new(tx)), self.timeout).await?;
                    // `Ok` from the target: the reply is in the slot.
                    return match rx.try_recv() {
                        Ok(reply) => reply.map_err(CallError::TaskFailed),
                        Err(_) => Err(CallError::Wire(WireError::malformed(
                            "the transport delivered no reply",
                        ))),
                    };
                }
            },
        };
        let _waiting = call_graph::enter(shared)?;
        // Timed only while metrics are on.
        #[cfg(feature = "metrics")]
        let sent = crate::server::metrics::enabled().then(Instant::now);
        let (tx, rx) = oneshot::channel();
        let message = Envelope::Call(build(ReplyTo::new(tx)));
        let timeout = match shared.mailbox.try_send(message, Lane::User) {
            Ok(()) => self.timeout,
            Err(SendError::Closed(message)) => {
                return match &self.target {
                    // A key's handle sends it again, to the key's next server.
                    Target::Named(resolver) if let Some(starter) = &resolver.starter => {
                        // The exiting holder, if it still holds the key.
                        let dead = resolver.resolve();
                        let call = starter.call(resolver, message, rx, self.timeout, dead);
                        Box::pin(call).await
                    }
                    _ => Err(CallError::NoProc),
                };
            }
            // Boxed: the rare wait does not make every call's future larger.
            Err(SendError::Full(message)) => {
                Box::pin(shared.wait_for_room(message, self.timeout)).await?
            }
        };
        // `Err` inside: the task answering it failed (`tasks.rs`).
        let reply = reply::wait(rx, &shared.process, timeout).await?;
        #[cfg(feature = "metrics")]
        if let (Some(sent), Some(metrics)) = (
            sent,
            shared.counters.observer.get().and_then(|o| o.metrics()),
        ) {
            metrics.answered(sent.elapsed());
        }
        reply.map_err(CallError::TaskFailed)
    }

    /// Queues a cast; never fails, never blocks. On a full mailbox, the
    /// server's overflow policy drops a message; through a name nobody
    /// holds, the cast is dropped.
    #[inline]
    pub fn cast(&self, build: impl FnOnce(CastToken) -> T::Message) {
        match &self.target {
            Target::Server(shared) => shared.cast(build),
            Target::Named(resolver) => match &resolver.starter {
                // Nobody holds the name: the cast is dropped.
                None => {
                    if resolver.with(|shared| shared.cast(build)).is_none() {
                        nobody_holds_the_name::<T>();
                    }
                }
                // A key's handle starts its server (`naming/keyed.rs`).
                Some(_) => {
                    Starter::cast(resolver, Envelope::Message(build(CastToken::new())));
                }
            },
            Target::Remote(remote) => match remote.local() {
                Some(server) => server.handle().cast(build),
                None => remote.cast(build(CastToken::new())),
            },
        }
    }

    /// Queues a cast if there is room; fails fast on a full mailbox. A cast
    /// to a server that is gone is dropped, as every cast is. Through a
    /// remote handle, the transport answers ([`RemoteTarget::try_cast`]).
    ///
    /// # Errors
    ///
    /// [`MailboxFull`] when the server's bounded mailbox has no room.
    pub fn try_cast(&self, build: impl FnOnce(CastToken) -> T::Message) -> Result<(), MailboxFull> {
        if let Target::Named(resolver) = &self.target
            && resolver.starter.is_some()
        {
            return Starter::try_cast(resolver, Envelope::Message(build(CastToken::new())));
        }
        match (self.resolve(), &self.target) {
            (Some(shared), _) => shared.try_cast(build),
            (None, Target::Remote(remote)) => {
                remote.try_cast(build(CastToken::new()), self.timeout)
            }
            (None, _) => Ok(()),
        }
    }

    /// Queues a cast, waiting for room on a full mailbox for at most this
    /// handle's timeout. Through a remote handle, waits until the serving
    /// node says it is queued ([`RemoteTarget::cast_wait`]).
    ///
    /// # Errors
    ///
    /// [`MailboxFull`] when the server's bounded mailbox had no room within
    /// the handle's timeout.
    pub async fn cast_wait(
        &self,
        build: impl FnOnce(CastToken) -> T::Message,
    ) -> Result<(), MailboxFull> {
        match (self.resolve(), &self.target) {
            (Some(shared), _) => shared.cast_wait(build, self.timeout).await,
            (None, Target::Remote(remote)) => {
                remote
                    .cast_wait(build(CastToken::new()), self.timeout)
                    .await
            }
            (None, Target::Named(resolver)) => match &resolver.starter {
                Some(starter) => {
                    let message = Envelope::Message(build(CastToken::new()));
                    Box::pin(starter.cast_wait(resolver, message, self.timeout)).await
                }
                None => Ok(()),
            },
            (None, Target::Server(_)) => Ok(()),
        }
    }

    /// Queues a call now and returns the wait for its reply, which owns
    /// what it needs: calls queued one after another keep their order even
    /// when their replies are awaited in separate tasks. For a transport
    /// delivering remote requests in the order they arrived.
    #[doc(hidden)]
    pub fn queue_call<R: Send + 'static>(
        &self,
        build: impl FnOnce(ReplyTo<R>) -> T::Message,
    ) -> impl Future<Output = Result<R, CallError>> + Send + 'static {
        let timeout = self.timeout;
        let queued = match self.resolve() {
            None => Err(CallError::NoProc),
            Some(shared) => {
                let (tx, rx) = oneshot::channel();
                let message = Envelope::Call(build(ReplyTo::new(tx)));
                match shared.mailbox.try_send(message, Lane::User) {
                    Ok(()) => Ok((shared, rx, None)),
                    Err(SendError::Closed(_)) => Err(CallError::NoProc),
                    Err(SendError::Full(message)) => Ok((shared, rx, Some(message))),
                }
            }
        };
        async move {
            let (shared, rx, full) = queued?;
            let timeout = match full {
                None => timeout,
                Some(message) => shared.wait_for_room(message, timeout).await?,
            };
            reply::wait(rx, &shared.process, timeout)
                .await?
                .map_err(CallError::TaskFailed)
        }
    }

    /// Queues `envelope` on `lane`; `false` if the server is gone.
    pub(crate) fn send(&self, envelope: Envelope<T>, lane: Lane) -> bool {
        match self.resolve() {
            Some(shared) => match shared.mailbox.send(envelope, lane) {
                Ok(()) => true,
                Err(undelivered) => {
                    shared.undelivered(&undelivered);
                    false
                }
            },
            None => {
                nobody_holds_the_name::<T>();
                false
            }
        }
    }

    /// Sends a request answered through `rx`, and waits for the answer as
    /// a call does.
    pub(crate) async fn request<R>(
        &self,
        envelope: Envelope<T>,
        lane: Lane,
        rx: oneshot::Receiver<R>,
    ) -> Result<R, CallError> {
        let Some(shared) = self.resolve() else {
            return Err(CallError::NoProc);
        };
        let _waiting = call_graph::enter(&shared)?;
        if shared.mailbox.send(envelope, lane).is_err() {
            return Err(CallError::NoProc);
        }
        reply::wait(rx, &shared.process, self.timeout).await
    }
}

/// A message through a name nobody holds: a dead letter.
#[cold]
fn nobody_holds_the_name<T: GenServer>() {
    dead_letters::record(
        DeadLetterReason::NoProc,
        Some(Addressee {
            type_name: T::NAME,
            id: None,
            counts: None,
        }),
        Some(&"a message through a name nobody holds"),
        1,
    );
}

impl<T: GenServer> Shared<T> {
    pub(crate) fn calling_self(&self) -> bool {
        CURRENT_SERVER
            .try_with(|current| current.id == self.process.id())
            .unwrap_or(false)
    }

    /// Back-pressure: waits for room for a call; the time left for the reply.
    #[cold]
    pub(crate) async fn wait_for_room(
        &self,
        message: Envelope<T>,
        timeout: Duration,
    ) -> Result<Duration, CallError> {
        let started = Instant::now();
        let deadline = started.checked_add(timeout);
        match self.mailbox.send_wait(message, deadline).await {
            Ok(()) => Ok(timeout.saturating_sub(started.elapsed())),
            Err(SendError::Full(_)) => Err(CallError::Timeout),
            Err(SendError::Closed(_)) => Err(self
                .process
                .reason()
                .map_or(CallError::NoProc, CallError::Exited)),
        }
    }

    #[inline]
    fn cast(&self, build: impl FnOnce(CastToken) -> T::Message) {
        let message = Envelope::Message(build(CastToken::new()));
        // A send to a dead server hands the message back: a dead letter.
        if let Err(undelivered) = self.mailbox.send(message, Lane::User) {
            self.undelivered(&undelivered);
        }
    }

    /// A message for this server that could not be queued: it has exited.
    #[cold]
    pub(crate) fn undelivered(&self, envelope: &Envelope<T>) {
        let what = match envelope {
            Envelope::Message(message) | Envelope::Call(message) => *T::__message_name(message),
            Envelope::Info(_) => "handle_info(Message)",
            Envelope::System(_) | Envelope::Sys(_) => "a system message",
        };
        dead_letters::record(
            DeadLetterReason::NoProc,
            Some(Addressee {
                type_name: T::NAME,
                id: Some(self.process.id()),
                counts: Some(&self.counters.dead_letters),
            }),
            Some(&what),
            1,
        );
    }

    fn try_cast(&self, build: impl FnOnce(CastToken) -> T::Message) -> Result<(), MailboxFull> {
        let message = Envelope::Message(build(CastToken::new()));
        match self.mailbox.try_send(message, Lane::User) {
            Ok(()) => Ok(()),
            Err(SendError::Closed(message)) => {
                self.undelivered(&message);
                Ok(())
            }
            Err(SendError::Full(_)) => Err(MailboxFull),
        }
    }

    async fn cast_wait(
        &self,
        build: impl FnOnce(CastToken) -> T::Message,
        timeout: Duration,
    ) -> Result<(), MailboxFull> {
        let message = Envelope::Message(build(CastToken::new()));
        let deadline = Instant::now().checked_add(timeout);
        match self.mailbox.send_wait(message, deadline).await {
            Ok(()) => Ok(()),
            Err(SendError::Closed(message)) => {
                self.undelivered(&message);
                Ok(())
            }
            Err(SendError::Full(_)) => Err(MailboxFull),
        }
    }
}
