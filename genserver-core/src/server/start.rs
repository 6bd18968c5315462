//! [`Start`]: the builder `T::start(..)` returns, and the acknowledged start.

use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;
use tracing::Instrument;

use crate::exit_reason::ExitReason;
use crate::naming::{self, Name, Taken};
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::call_graph::Current;
use crate::server::error::StartError;
use crate::server::gen_server::GenServer;
use crate::server::handle::{CURRENT_SERVER, Handle, Shared};
use crate::server::links;
use crate::server::live;
use crate::server::mailbox::Mailbox;
use crate::server::runtime::Life;

/// Starts a server: returned by the generated `T::start(..)`; `.await` it.
///
/// ```
/// # use genserver_core::prelude::*;
/// # use genserver_core::whereis;
/// # use std::time::Duration;
/// # pub struct Counter { value: i64 }
/// # #[gen_server]
/// # impl Counter {
/// #     fn init(start: i64) -> Result<Self, String> { Ok(Counter { value: start }) }
/// #     #[call] pub fn value(&self) -> i64 { self.value }
/// #     fn handle_info(&mut self, _msg: Info<()>) {}
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let counter = Counter::start(7)
///     .name("start-doc-counter")
///     .init_timeout(Duration::from_secs(1))
///     .await?;
/// assert_eq!(counter.value().await?, 7);
/// assert_eq!(whereis::<Counter>("start-doc-counter"), Some(counter));
/// # Ok(())
/// # }
/// ```
///
/// `start` resolves once `init` has returned (OTP's acknowledged start):
/// with the handle, or with the reason the server did not start. Dropping
/// the start before it resolves (a `select!`, a `timeout`) kills the new
/// server and frees its name. A server without `init` cannot fail to start
/// once its name is taken: its start resolves at once, before its task
/// first runs, and a call to it is answered as soon as the task runs.
#[must_use = "a server starts only when its `Start` is awaited"]
pub struct Start<T: GenServer> {
    args: T::Args,
    name: Option<Name>,
    init_timeout: Option<Duration>,
    links: Vec<AnyServer>,
    mailbox: Mailbox,
}

impl<T: GenServer> std::fmt::Debug for Start<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Start")
            .field("server", &T::NAME)
            .field("name", &self.name)
            .field("init_timeout", &self.init_timeout)
            .field("mailbox", &self.mailbox)
            .finish_non_exhaustive()
    }
}

impl<T: GenServer> Start<T> {
    #[doc(hidden)]
    pub fn __new(args: T::Args) -> Self {
        Start {
            args,
            name: None,
            init_timeout: None,
            links: Vec::new(),
            mailbox: T::__default_mailbox(),
        }
    }

    /// The server's mailbox: unbounded (the default, as in OTP) or bounded,
    /// with an overflow policy for fire-and-forget casts. See [`Mailbox`].
    pub fn mailbox(mut self, mailbox: Mailbox) -> Self {
        self.mailbox = mailbox;
        self
    }

    /// Links the new server to `to` before `init` runs (OTP's
    /// `start_link`): when either exits abnormally or shuts down, the other
    /// exits too, unless it traps exits. A failed `init` does not take the
    /// linked server down: `start` returns the error instead.
    pub fn link(mut self, to: impl Into<AnyServer>) -> Self {
        self.links.push(to.into());
        self
    }

    /// Registers the server under a local name, found again with
    /// [`whereis`](crate::whereis), or under a [`Registry`](crate::Registry)
    /// key with `registry.via(key)`. A taken name fails the start with
    /// [`StartError::AlreadyStarted`] before `init` runs; the name is free
    /// again once the server has exited.
    pub fn name(mut self, name: impl Into<Name>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Kills the server and fails the start with [`StartError::Timeout`] if
    /// `init` takes longer than `limit` (default: no limit, as in OTP).
    ///
    /// The limit is kept where the starter waits, so it holds even when
    /// `init` blocks its thread on a multi-threaded runtime; the name is
    /// free at once. A blocked `init` cannot be interrupted, though: the
    /// server's task ends when `init` gives its thread back. On a
    /// current-thread runtime, an `init` that blocks the one thread blocks
    /// the starter too; keep `init` from blocking.
    pub fn init_timeout(mut self, limit: Duration) -> Self {
        self.init_timeout = Some(limit);
        self
    }

    /// The start up to the spawn of the server's task, done at the first
    /// poll: a server without `init` is done then; one with an `init` is
    /// left to wait for its answer.
    fn launch(self) -> Launch<T> {
        let shared: Arc<Shared<T>> = Handle::new_shared(self.mailbox);
        let server = Server::from_handle(Handle::new(shared.clone()));
        if let Some(name) = &self.name
            && let Err(taken) = naming::register(name, &server)
        {
            return Launch::Done(Err(match taken {
                Taken::SameType(holder) => StartError::AlreadyStarted(holder),
                Taken::OtherType { name, holder } => StartError::NameTaken { name, holder },
                Taken::Invalid { name, reason } => StartError::InvalidName { name, reason },
            }));
        }
        let me = AnyServer::from(&server);
        // OTP's parent: whom `start_link` linked first (a supervisor).
        if let Some(parent) = self.links.first() {
            shared.counters.set_parent(parent.id());
        }
        for other in &self.links {
            links::link(&me, other);
        }
        // Listed until it has exited (`ExitGuard::finish` removes it).
        shared.counters.set_slot(live::enter(&me));
        // The server's span has no parent: it outlives whatever started it.
        let span = tracing::info_span!(
            parent: None,
            "gen_server",
            server = T::NAME,
            id = %shared.process.id()
        );
        span.follows_from(tracing::Span::current());
        let life = Life::new(server.clone(), shared.clone());
        let current = Current {
            id: shared.process.id(),
            me: me.clone(),
        };
        let args = match T::__state_without_init(self.args) {
            // No `init`: nothing to wait for. The server is handed back
            // now; a call queues behind nothing and is answered once its
            // task first runs.
            Ok(state) => {
                spawn(&shared, current, span, life.run(state));
                return Launch::Done(Ok(server));
            }
            Err(args) => args,
        };
        let (ack_tx, ack_rx) = oneshot::channel();
        spawn(&shared, current, span, life.run_init(args, ack_tx));
        // From here, dropping the start kills the server and frees its
        // name, even before the wait below is first polled.
        let mut cancel = Cancel {
            server: Some(me),
            name: self.name,
        };
        let init_timeout = self.init_timeout;
        Launch::Wait(Box::pin(async move {
            let ack = match init_timeout {
                None => ack_rx.await,
                Some(limit) => match tokio::time::timeout(limit, ack_rx).await {
                    Ok(ack) => ack,
                    // `cancel` kills the server and frees its name as it drops.
                    Err(_) => return Err(StartError::Timeout),
                },
            };
            cancel.disarm();
            match ack {
                Ok(Ok(())) => Ok(server),
                Ok(Err(err)) => {
                    server.exited().await;
                    Err(err)
                }
                Err(_) => {
                    // The task ended before `init` answered: it was killed.
                    server.exited().await;
                    let reason = shared.process.reason().unwrap_or(ExitReason::Killed);
                    Err(StartError::Exited(reason))
                }
            }
        }))
    }
}

/// Spawns the server's task: its future boxed once here, so that the large
/// future is not copied again by each layer of the spawn, and its size
/// published for the process list.
fn spawn<T: GenServer>(
    shared: &Shared<T>,
    current: Current,
    span: tracing::Span,
    life: impl Future<Output = ()> + Send + 'static,
) {
    // The span and the task-local go inside the box too: tokio's task cell
    // is 128-byte aligned, and around a bare pointer it fits in 128 bytes
    // where around those layers it took 256.
    let life = Box::pin(CURRENT_SERVER.scope(current, life).instrument(span));
    shared
        .counters
        .set_task_bytes(std::mem::size_of_val(&*life));
    let task = tokio::spawn(life);
    shared.process.set_abort(task.abort_handle());
}

/// A started server's wait for the answer of its `init`.
type Waiting<T> = Pin<Box<dyn Future<Output = Result<Server<T>, StartError<T>>> + Send>>;

/// What a start's first poll leaves.
enum Launch<T: GenServer> {
    Done(Result<Server<T>, StartError<T>>),
    Wait(Waiting<T>),
}

/// The future of a [`Start`] (what `.await` on it runs). A server without
/// `init` is started in its first poll, without an allocation of its own;
/// one with an `init` then waits for its answer.
#[must_use = "a server starts only when its `Start` is awaited"]
pub struct StartFuture<T: GenServer> {
    state: StartState<T>,
}

enum StartState<T: GenServer> {
    Begin(Option<Start<T>>),
    Wait(Waiting<T>),
}

impl<T: GenServer> std::fmt::Debug for StartFuture<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StartFuture")
            .field("server", &T::NAME)
            .finish_non_exhaustive()
    }
}

// Nothing in it is pinned: the `Start` is moved out at the first poll, and
// the wait is boxed.
impl<T: GenServer> Unpin for StartFuture<T> {}

impl<T: GenServer> Future for StartFuture<T> {
    type Output = Result<Server<T>, StartError<T>>;

    fn poll(
        self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Self::Output> {
        let this = self.get_mut();
        if let StartState::Begin(start) = &mut this.state {
            let start = start
                .take()
                .expect("a StartFuture polled after it completed");
            match start.launch() {
                Launch::Done(result) => return std::task::Poll::Ready(result),
                Launch::Wait(wait) => this.state = StartState::Wait(wait),
            }
        }
        match &mut this.state {
            StartState::Wait(wait) => wait.as_mut().poll(cx),
            StartState::Begin(_) => unreachable!("launched above"),
        }
    }
}

impl<T: GenServer> IntoFuture for Start<T> {
    type Output = Result<Server<T>, StartError<T>>;
    type IntoFuture = StartFuture<T>;

    fn into_future(self) -> Self::IntoFuture {
        StartFuture {
            state: StartState::Begin(Some(self)),
        }
    }
}

/// Kills a server whose start was given up, and frees its name at once
/// (its task may take a moment to end, or longer if `init` blocks).
struct Cancel {
    server: Option<AnyServer>,
    name: Option<Name>,
}

impl Cancel {
    /// The start was answered: nothing to undo.
    fn disarm(&mut self) {
        self.server = None;
    }
}

impl Drop for Cancel {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.process().kill(ExitReason::Killed);
            if let Some(name) = &self.name {
                naming::unregister(name, &server);
            }
        }
    }
}
