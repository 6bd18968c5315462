//! The runtime's side of a client handle: sending calls, casts and info
//! messages to one server.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::id::ServerId;
use crate::server::error::{CallError, MailboxFull};
use crate::server::gen_server::GenServer;
use crate::server::mailbox::{Envelope, Lane, Mailbox, Queue, SendError};
use crate::server::process::Process;
use crate::server::reply::{self, CastToken, ReplyTo};

/// The default timeout of a call, as in OTP: 5 seconds.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

tokio::task_local! {
    /// The server whose task is running, for `CallError::CallingSelf`.
    pub(crate) static CURRENT_SERVER: ServerId;
}

/// What every handle of one server shares: its mailbox and its life.
pub(crate) struct Shared<T: GenServer> {
    pub(crate) process: Process,
    pub(crate) mailbox: Queue<Envelope<T>>,
}

/// The runtime's side of a client handle. Generated client types wrap one.
#[doc(hidden)]
pub struct Handle<T: GenServer> {
    pub(crate) shared: Arc<Shared<T>>,
    pub(crate) timeout: Duration,
}

impl<T: GenServer> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("server", &T::NAME)
            .field("id", &self.id())
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl<T: GenServer> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            shared: self.shared.clone(),
            timeout: self.timeout,
        }
    }
}

impl<T: GenServer> Handle<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>) -> Self {
        Handle {
            shared,
            timeout: DEFAULT_CALL_TIMEOUT,
        }
    }

    /// A new server's shared part: a fresh identity and an empty mailbox.
    pub(crate) fn new_shared(mailbox: Mailbox) -> Arc<Shared<T>> {
        let id = ServerId::next();
        Arc::new(Shared {
            process: Process::new(id),
            mailbox: Queue::new(mailbox, T::NAME, id),
        })
    }

    pub(crate) fn id(&self) -> ServerId {
        self.shared.process.id()
    }

    pub(crate) fn process(&self) -> &Process {
        &self.shared.process
    }

    pub(crate) fn calling_self(&self) -> bool {
        CURRENT_SERVER
            .try_with(|current| *current == self.id())
            .unwrap_or(false)
    }

    /// Sends a call built by `build` around a fresh reply slot and waits for
    /// the reply, the server's exit, or the timeout. A full mailbox makes
    /// the call wait for room, within the same timeout.
    pub async fn call<R>(
        &self,
        build: impl FnOnce(ReplyTo<R>) -> T::Message,
    ) -> Result<R, CallError> {
        if self.calling_self() {
            return Err(CallError::CallingSelf);
        }
        let (tx, rx) = oneshot::channel();
        let message = Envelope::Call(build(ReplyTo::new(tx)));
        let timeout = match self.shared.mailbox.try_send(message, Lane::User) {
            Ok(()) => self.timeout,
            Err(SendError::Closed(_)) => return Err(CallError::NoProc),
            // Boxed: the rare wait does not make every call's future larger.
            Err(SendError::Full(message)) => Box::pin(self.wait_for_room(message)).await?,
        };
        // `Err` inside: the task answering it failed (`tasks.rs`).
        reply::wait(rx, &self.shared.process, timeout)
            .await?
            .map_err(CallError::TaskFailed)
    }

    /// Back-pressure: waits for room for a call; the time left for the reply.
    #[cold]
    async fn wait_for_room(&self, message: Envelope<T>) -> Result<Duration, CallError> {
        let started = Instant::now();
        let deadline = started.checked_add(self.timeout);
        match self.shared.mailbox.send_wait(message, deadline).await {
            Ok(()) => Ok(self.timeout.saturating_sub(started.elapsed())),
            Err(SendError::Full(_)) => Err(CallError::Timeout),
            Err(SendError::Closed(_)) => Err(self
                .shared
                .process
                .reason()
                .map_or(CallError::NoProc, CallError::Exited)),
        }
    }

    /// Queues a cast; never fails, never blocks. On a full mailbox, the
    /// server's overflow policy drops a message.
    #[inline]
    pub fn cast(&self, build: impl FnOnce(CastToken) -> T::Message) {
        let message = Envelope::Message(build(CastToken::new()));
        // A send to a dead server hands the message back: drop it there.
        if let Err(undelivered) = self.shared.mailbox.send(message, Lane::User) {
            drop(undelivered);
        }
    }

    /// Queues a cast if there is room; fails fast on a full mailbox. A cast
    /// to a server that is gone is dropped, as every cast is.
    pub fn try_cast(&self, build: impl FnOnce(CastToken) -> T::Message) -> Result<(), MailboxFull> {
        let message = Envelope::Message(build(CastToken::new()));
        match self.shared.mailbox.try_send(message, Lane::User) {
            Ok(()) | Err(SendError::Closed(_)) => Ok(()),
            Err(SendError::Full(_)) => Err(MailboxFull),
        }
    }

    /// Queues a cast, waiting for room on a full mailbox for at most this
    /// handle's timeout.
    pub async fn cast_wait(
        &self,
        build: impl FnOnce(CastToken) -> T::Message,
    ) -> Result<(), MailboxFull> {
        let message = Envelope::Message(build(CastToken::new()));
        let deadline = Instant::now().checked_add(self.timeout);
        match self.shared.mailbox.send_wait(message, deadline).await {
            Ok(()) | Err(SendError::Closed(_)) => Ok(()),
            Err(SendError::Full(_)) => Err(MailboxFull),
        }
    }

    /// Queues `envelope` on `lane`; `false` if the server is gone.
    pub(crate) fn send(&self, envelope: Envelope<T>, lane: Lane) -> bool {
        self.shared.mailbox.send(envelope, lane).is_ok()
    }

    /// Sends a request answered through `rx`, and waits for the answer as
    /// a call does.
    pub(crate) async fn request<R>(
        &self,
        envelope: Envelope<T>,
        rx: oneshot::Receiver<R>,
    ) -> Result<R, CallError> {
        if self.calling_self() {
            return Err(CallError::CallingSelf);
        }
        if !self.send(envelope, Lane::Priority) {
            return Err(CallError::NoProc);
        }
        reply::wait(rx, &self.shared.process, self.timeout).await
    }
}
