//! The runtime's side of a client handle: sending calls, casts and info
//! messages to one server.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::id::ServerId;
use crate::server::error::CallError;
use crate::server::gen_server::GenServer;
use crate::server::mailbox::{Envelope, Lane, Mailbox};
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
    pub(crate) mailbox: Mailbox<Envelope<T>>,
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
    pub(crate) fn new_shared() -> Arc<Shared<T>> {
        Arc::new(Shared {
            process: Process::new(ServerId::next()),
            mailbox: Mailbox::new(),
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
    /// the reply, the server's exit, or the timeout.
    pub async fn call<R>(
        &self,
        build: impl FnOnce(ReplyTo<R>) -> T::Message,
    ) -> Result<R, CallError> {
        if self.calling_self() {
            return Err(CallError::CallingSelf);
        }
        let (tx, rx) = oneshot::channel();
        let message = build(ReplyTo::new(tx));
        if let Err(refused) = self
            .shared
            .mailbox
            .send(Envelope::Message(message), Lane::User)
        {
            drop(refused);
            return Err(CallError::NoProc);
        }
        reply::wait(rx, &self.shared.process, self.timeout).await
    }

    /// Queues a cast; never fails, never blocks.
    #[inline]
    pub fn cast(&self, build: impl FnOnce(CastToken) -> T::Message) {
        let message = Envelope::Message(build(CastToken::new()));
        // A send to a dead server hands the message back: drop it there.
        if let Err(undelivered) = self.shared.mailbox.send(message, Lane::User) {
            drop(undelivered);
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
