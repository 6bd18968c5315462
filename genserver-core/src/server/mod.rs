//! One server: its handle, its mailbox, its loop.
//!
//! A handle is layered; each layer has one job:
//!
//! ```text
//!  Server<T>                 what users hold: id, stop, monitors; derefs to
//!    └─ TClient              the generated client: one method per handler
//!         └─ Handle<T>       call / cast / send, with this handle's timeout
//!              └─ Shared<T>  one per server: the mailbox and the process
//!                   └─ Process   the life: status, exit reason, exit hooks
//! ```
//!
//! [`AnyServer`] is the same without the message types: `Arc<dyn Control>`
//! over the same `Shared<T>`.
//!
//! A server's life, as every handle sees it (see `process.rs`):
//!
//! ```text
//!  Alive ──▶ Exiting ──▶ Exited ──▶ Done
//! ```

pub(crate) mod any;
pub(crate) mod backlog;
pub(crate) mod call_graph;
pub(crate) mod context;
pub(crate) mod counters;
pub(crate) mod crashes;
pub(crate) mod dead_letters;
pub(crate) mod deadline;
pub(crate) mod envelope;
pub(crate) mod error;
pub(crate) mod exit_guard;
pub(crate) mod format_status;
pub(crate) mod gen_server;
pub(crate) mod handle;
#[cfg(feature = "testing")]
pub(crate) mod intercept;
pub(crate) mod lazy_box;
pub(crate) mod links;
pub(crate) mod live;
pub(crate) mod mailbox;
pub(crate) mod mailbox_config;
#[cfg(feature = "metrics")]
pub(crate) mod metrics;
pub(crate) mod observer;
pub(crate) mod panics;
pub(crate) mod process;
pub(crate) mod reply;
pub(crate) mod runtime;
#[cfg(feature = "testing")]
pub(crate) mod stand_in;
pub(crate) mod start;
pub(crate) mod sys_request;
pub(crate) mod tasks;
pub(crate) mod timers;

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::exit_reason::ExitReason;
use crate::id::ServerId;
use error::CallError;
use gen_server::{ClientHandle, GenServer};
use handle::Handle;
use mailbox::{Envelope, Lane, Mailbox, System};

/// A running server's handle (OTP's pid): cheap to clone, `Send + Sync`.
///
/// It dereferences to the client API that `#[gen_server]` generates, so the
/// handlers marked `#[call]` and `#[cast]` are methods on it:
///
/// ```
/// # use genserver_core::prelude::*;
/// # pub struct Counter { value: i64 }
/// # #[gen_server]
/// # impl Counter {
/// #     #[call] pub fn increment(&mut self, by: i64) -> i64 { self.value += by; self.value }
/// #     #[cast] pub fn reset(&mut self) { self.value = 0 }
/// #     fn handle_info(&mut self, _msg: Info<()>) {}
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let counter: Server<Counter> = Counter::start(Counter { value: 0 }).await?;
/// let n: i64 = counter.increment(2).await?; // #[call]
/// counter.reset();                           // #[cast]
/// # assert_eq!(n, 2);
/// # Ok(())
/// # }
/// ```
///
/// # Timeouts
///
/// A call waits 5 s ([`DEFAULT_CALL_TIMEOUT`](crate::DEFAULT_CALL_TIMEOUT))
/// for its reply, then returns [`CallError::Timeout`].
/// [`with_timeout`](Self::with_timeout) gives a handle with another
/// timeout; `counter.with_timeout(d).value().await` sets it for one call. A
/// reply that arrives after its call timed out is dropped; it never answers
/// a later call. The timeout is kept where the caller waits: it fires even
/// when the server's runtime is busy or blocked.
///
/// # Runtime
///
/// Servers run on tokio and their calls use tokio's timers: the runtime
/// needs them enabled (`#[tokio::main]` and `#[tokio::test]` do; a
/// `Builder` needs `enable_time()` or `enable_all()`). Under
/// `tokio::time::pause()`, call timeouts, timers and idle timeouts follow
/// the paused clock.
///
/// # Handlers hold the server
///
/// A server handles one message at a time, as in OTP: an `async` handler
/// holds the server while it awaits, and calls queue behind it. Hand slow
/// work to a task and answer through a [`ReplyTo`](crate::ReplyTo).
///
/// # Lifetime
///
/// A server lives until it stops: dropping every handle does not stop it,
/// as in OTP. Stop it with [`stop`](Self::stop), from inside with
/// `ctx.stop(reason)`, or let its supervisor do it. A handle names one
/// server, not a role: once a supervisor restarts a child, a `Server<T>`
/// kept from before is stale (calls return [`CallError::NoProc`]); look the
/// child up again by name or in a [`Registry`](crate::Registry).
pub struct Server<T: GenServer> {
    client: T::Client,
}

impl<T: GenServer> Server<T> {
    pub(crate) fn from_handle(handle: Handle<T>) -> Self {
        Server {
            client: T::Client::__from_handle(handle),
        }
    }

    pub(crate) fn handle(&self) -> &Handle<T> {
        self.client.__handle()
    }

    /// The server's identity.
    pub fn id(&self) -> ServerId {
        self.handle().id()
    }

    /// `false` once the server has exited (after its `terminate` ran).
    pub fn is_alive(&self) -> bool {
        self.handle().process().is_alive()
    }

    /// A handle to the same server whose calls time out after `timeout`.
    pub fn with_timeout(&self, timeout: Duration) -> Server<T> {
        let mut handle = self.handle().clone();
        handle.timeout = timeout;
        Server::from_handle(handle)
    }

    /// The timeout this handle's calls use.
    pub fn timeout(&self) -> Duration {
        self.handle().timeout
    }

    /// How many messages wait in the server's mailbox.
    pub fn mailbox_len(&self) -> usize {
        self.handle().shared().mailbox.len()
    }

    /// The server's mailbox settings: capacity and overflow policy.
    pub fn mailbox(&self) -> Mailbox {
        self.handle().shared().mailbox.config()
    }

    /// How many messages its overflow policy has dropped so far.
    pub fn dropped(&self) -> u64 {
        self.handle().shared().mailbox.dropped()
    }

    /// Like [`send`](Self::send), on the priority lane: the message
    /// overtakes queued calls and casts, and is never dropped by a full
    /// mailbox (OTP 28's priority messages). For a server's urgent own
    /// messages; in order among themselves.
    pub fn send_priority(&self, message: T::Info) {
        self.handle().send(Envelope::Info(message), Lane::Priority);
    }

    /// Sends `message` to the server's `handle_info` as
    /// [`Info::Message`](crate::Info::Message) (Elixir's `send/2`), behind
    /// the messages already queued. Never fails: a message to a dead server
    /// is dropped.
    pub fn send(&self, message: T::Info) {
        self.handle().send(Envelope::Info(message), Lane::User);
    }

    /// Stops the server with `reason` and waits until it has exited
    /// (`GenServer.stop/3`). The request overtakes queued messages (the
    /// queued calls get [`CallError::Exited`]); `terminate` runs. Waits at
    /// most this handle's timeout.
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] if the server was not running,
    /// [`CallError::Exited`] if it exited for another reason first (a
    /// crash, another stop), [`CallError::CallingSelf`] from the server's
    /// own handlers (use `ctx.stop(reason)` there), [`CallError::Timeout`].
    pub async fn stop(&self, reason: ExitReason) -> Result<(), CallError> {
        let (done, rx) = oneshot::channel();
        let stop = System::Stop {
            reason: reason.clone(),
            done,
        };
        let exited = self
            .handle()
            .request(Envelope::System(Box::new(stop)), Lane::Priority, rx)
            .await?;
        if exited == reason {
            Ok(())
        } else {
            Err(CallError::Exited(exited))
        }
    }

    /// Waits until the server has exited, for any reason, and its monitors
    /// and links have been told.
    pub async fn exited(&self) {
        self.handle().process().exited().await
    }
}

impl<T: GenServer> Deref for Server<T> {
    type Target = T::Client;

    fn deref(&self) -> &T::Client {
        &self.client
    }
}

impl<T: GenServer> Clone for Server<T> {
    fn clone(&self) -> Self {
        Server {
            client: self.client.clone(),
        }
    }
}

impl<T: GenServer> fmt::Debug for Server<T> {
    /// `Server<Counter>(<0.5.0>)`, with the mailbox when it is bounded:
    /// `Server<Counter>(<0.5.0>, Mailbox(bounded 1024, drop newest))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mailbox = self.mailbox();
        match mailbox.capacity() {
            None => write!(f, "Server<{}>({})", T::NAME, self.id()),
            Some(_) => write!(f, "Server<{}>({}, {mailbox:?})", T::NAME, self.id()),
        }
    }
}

impl<T: GenServer> PartialEq for Server<T> {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl<T: GenServer> Eq for Server<T> {}

impl<T: GenServer> Hash for Server<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state)
    }
}
