//! The server loop and the start builder.

use std::future::{Future, IntoFuture};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::Instrument;

use crate::context::Context;
use crate::error::StartError;
use crate::exit::{ExitReason, panic_message};
use crate::info::Info;
use crate::names::{self, Name, Taken};
use crate::server::{
    self, AnyServer, CURRENT_SERVER, Envelope, GenServer, Handle, Server, Shared, System,
};

/// Starts a server: returned by the generated `T::start(..)`; `.await` it.
///
/// ```ignore
/// let counter = Counter::start(0)
///     .name("counter")
///     .init_timeout(Duration::from_secs(1))
///     .await?;
/// ```
///
/// `start` resolves once `init` has returned (OTP's acknowledged start):
/// with the handle, or with the reason the server did not start.
#[must_use = "a server starts only when its `Start` is awaited"]
pub struct Start<T: GenServer> {
    args: T::Args,
    name: Option<Name>,
    init_timeout: Option<Duration>,
    links: Vec<AnyServer>,
}

impl<T: GenServer> std::fmt::Debug for Start<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Start")
            .field("server", &T::NAME)
            .field("name", &self.name)
            .field("init_timeout", &self.init_timeout)
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
        }
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
    /// [`whereis`](crate::whereis). A taken name fails the start with
    /// [`StartError::AlreadyStarted`] before `init` runs; the name is free
    /// again once the server has exited.
    pub fn name(mut self, name: impl Into<Name>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Kills the server and fails the start with [`StartError::Timeout`] if
    /// `init` takes longer than `limit` (default: no limit, as in OTP).
    pub fn init_timeout(mut self, limit: Duration) -> Self {
        self.init_timeout = Some(limit);
        self
    }

    async fn run(self) -> Result<Server<T>, StartError<T>> {
        let (tx, rx) = mpsc::unbounded_channel();
        let shared = Handle::new_shared(tx);
        let server = Server::from_handle(Handle::new(shared.clone()));
        if let Some(name) = &self.name
            && let Err(taken) = names::register(name, &server)
        {
            return Err(match taken {
                Taken::SameType(holder) => StartError::AlreadyStarted(holder),
                Taken::OtherType { name, holder } => StartError::NameTaken { name, holder },
            });
        }
        let me = AnyServer::from(&server);
        for other in &self.links {
            server::link(&me, other);
        }
        let (ack_tx, ack_rx) = oneshot::channel();
        let span = tracing::info_span!("gen_server", server = T::NAME, id = %shared.id);
        let guard = ExitGuard {
            shared: shared.clone(),
            name: self.name,
            done: false,
        };
        let life = Life {
            ctx: Context::new(server.clone()),
            rx,
            guard,
        };
        let task = tokio::spawn(
            CURRENT_SERVER
                .scope(shared.id, life.run(self.args, ack_tx))
                .instrument(span),
        );
        shared.process.set_abort(task.abort_handle());
        let ack = match self.init_timeout {
            None => ack_rx.await,
            Some(limit) => match tokio::time::timeout(limit, ack_rx).await {
                Ok(ack) => ack,
                Err(_) => {
                    task.abort();
                    // The guard frees the name as the task is dropped.
                    server.exited().await;
                    return Err(StartError::Timeout);
                }
            },
        };
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
    }
}

impl<T: GenServer> IntoFuture for Start<T> {
    type Output = Result<Server<T>, StartError<T>>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

/// Marks the server exited however its task ends, even when it is aborted
/// or its runtime shuts down: frees the name, fires monitors.
struct ExitGuard<T: GenServer> {
    shared: std::sync::Arc<Shared<T>>,
    name: Option<Name>,
    done: bool,
}

impl<T: GenServer> ExitGuard<T> {
    fn finish(&mut self, reason: &ExitReason) {
        if self.done {
            return;
        }
        self.done = true;
        self.shared.process.begin_exit(reason);
        if let Some(name) = &self.name {
            names::unregister(name, self.shared.id);
        }
        self.shared.process.finish_exit(self.shared.id, reason);
    }
}

impl<T: GenServer> Drop for ExitGuard<T> {
    /// The task ended without the exit sequence: it was killed (by a link,
    /// a brutal kill, an init timeout) or its runtime shut down.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let reason = self.shared.process.kill_reason();
        if let Some(reason) = reason.as_ref().filter(|r| r.is_abnormal()) {
            tracing::error!(server = T::NAME, id = %self.shared.id, %reason, "server killed");
        }
        self.finish(&reason.unwrap_or(ExitReason::Killed));
    }
}

/// Everything the server task owns besides the state.
struct Life<T: GenServer> {
    ctx: Context<T>,
    rx: mpsc::UnboundedReceiver<Envelope<T>>,
    guard: ExitGuard<T>,
}

/// What the loop waited for.
enum Next<T: GenServer> {
    Envelope(Envelope<T>),
    Idle,
    Closed,
}

/// What ended the loop.
struct Exit {
    reason: ExitReason,
    stopper: Option<oneshot::Sender<()>>,
}

impl<T: GenServer> Life<T> {
    async fn run(mut self, args: T::Args, ack: oneshot::Sender<Result<(), StartError<T>>>) {
        let init = CatchUnwind(AssertUnwindSafe(T::__init(args, &mut self.ctx)))
            .instrument(tracing::debug_span!("init"))
            .await;
        let mut state = match init {
            Ok(Ok(Some(state))) => state,
            Ok(Ok(None)) => {
                // OTP's `:ignore`: a normal exit, no `terminate`.
                self.drop_links();
                self.rx.close();
                self.guard.finish(&ExitReason::Normal);
                let _ = ack.send(Err(StartError::Ignored));
                return;
            }
            Ok(Err(err)) => {
                // OTP: a failed init exits without `terminate`. The error goes
                // back to `start`, not to the links.
                self.drop_links();
                self.rx.close();
                self.guard.finish(&ExitReason::Normal);
                let _ = ack.send(Err(StartError::Init(err)));
                return;
            }
            Err(message) => {
                let reason = ExitReason::Panic(message);
                self.drop_links();
                self.rx.close();
                self.guard.finish(&reason);
                let _ = ack.send(Err(StartError::Exited(reason)));
                return;
            }
        };
        let _ = ack.send(Ok(()));
        // One catch around the whole loop rather than one per message: a
        // panic ends the server anyway, and once the loop has unwound the
        // state and the context are free again for `terminate`.
        let exit = match CatchUnwind(AssertUnwindSafe(self.serve(&mut state))).await {
            Ok(exit) => exit,
            Err(message) => Exit {
                reason: ExitReason::Panic(message),
                stopper: None,
            },
        };
        self.exit(&mut state, exit).await;
    }

    fn drop_links(&self) {
        let me = AnyServer::from(self.ctx.server());
        for other in self.guard.shared.process.take_links() {
            server::unlink(&me, &other);
        }
    }

    /// Handles messages until a callback stops the server (a panic unwinds
    /// out of it, to `run`).
    async fn serve(&mut self, state: &mut T) -> Exit {
        loop {
            if let Some(reason) = self.ctx.stop.take() {
                return Exit {
                    reason,
                    stopper: None,
                };
            }
            if let Some(arg) = self.ctx.next.take() {
                state
                    .__handle_continue(arg, &mut self.ctx)
                    .instrument(tracing::debug_span!("handle_continue"))
                    .await;
                continue;
            }
            let next = match self.ctx.idle.take() {
                None => self.rx.recv().await.map_or(Next::Closed, Next::Envelope),
                Some(after) => {
                    tokio::select! {
                        biased;
                        envelope = self.rx.recv() => envelope.map_or(Next::Closed, Next::Envelope),
                        () = tokio::time::sleep(after) => Next::Idle,
                    }
                }
            };
            let info = match next {
                Next::Envelope(Envelope::Message(message)) => {
                    state.__dispatch(message, &mut self.ctx).await;
                    continue;
                }
                Next::Envelope(Envelope::Info(message)) => Info::Message(message),
                Next::Envelope(Envelope::System(system)) => match *system {
                    System::Down {
                        monitor,
                        server,
                        reason,
                    } => Info::Down {
                        monitor,
                        server,
                        reason,
                    },
                    System::Exit { from, reason } => Info::Exit { from, reason },
                    System::Stop { reason, done } => {
                        return Exit {
                            reason,
                            stopper: Some(done),
                        };
                    }
                },
                Next::Idle => Info::Timeout,
                // Unreachable while the context holds a sender; a normal end.
                Next::Closed => {
                    return Exit {
                        reason: ExitReason::Normal,
                        stopper: None,
                    };
                }
            };
            state
                .__handle_info(info, &mut self.ctx)
                .instrument(tracing::debug_span!("handle_info"))
                .await;
        }
    }

    /// OTP's exit sequence: callers learn the reason, queued callers are
    /// answered at once, `terminate` runs, then the name is freed and
    /// monitors fire.
    async fn exit(mut self, state: &mut T, exit: Exit) {
        let Exit { reason, stopper } = exit;
        let process = &self.guard.shared.process;
        process.begin_exit(&reason);
        self.rx.close();
        let mut stoppers: Vec<_> = stopper.into_iter().collect();
        while let Ok(envelope) = self.rx.try_recv() {
            // Dropping a queued call drops its reply slot: its caller gets
            // `Exited(reason)` now. A queued stop waits for the end with the rest.
            if let Envelope::System(system) = envelope
                && let System::Stop { done, .. } = *system
            {
                stoppers.push(done);
            }
        }
        let run = state
            .__terminate(&reason, &mut self.ctx)
            .instrument(tracing::debug_span!("terminate"));
        if let Err(message) = CatchUnwind(AssertUnwindSafe(run)).await {
            tracing::error!(panic = %message, "terminate panicked");
        }
        self.ctx.cancel_timers();
        if reason.is_abnormal() {
            tracing::error!(%reason, "server terminated abnormally");
        } else {
            tracing::debug!(%reason, "server terminated");
        }
        self.guard.finish(&reason);
        for done in stoppers {
            let _ = done.send(());
        }
    }
}

/// Polls a future inside `catch_unwind`, turning a panic into its message.
struct CatchUnwind<F>(AssertUnwindSafe<F>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, std::sync::Arc<str>>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        // SAFETY: structural pinning of the only field; it is never moved.
        let inner = unsafe { self.map_unchecked_mut(|this| &mut (this.0).0) };
        match std::panic::catch_unwind(AssertUnwindSafe(|| inner.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Err(payload) => Poll::Ready(Err(panic_message(&*payload))),
        }
    }
}
