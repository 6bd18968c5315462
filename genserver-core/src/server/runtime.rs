//! The server loop: `init`, then one message at a time, then the exit
//! sequence.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use tokio::sync::oneshot;
use tracing::Instrument;

use crate::exit_reason::ExitReason;
use crate::info::Info;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::backlog::free_large;
use crate::server::context::Context;
use crate::server::counters::activity;
use crate::server::crashes;
use crate::server::error::StartError;
pub(crate) use crate::server::exit_guard::ExitGuard;
use crate::server::format_status;
use crate::server::gen_server::GenServer;
use crate::server::handle::Shared;
#[cfg(feature = "testing")]
use crate::server::intercept::{self, Verdict};
use crate::server::links;
use crate::server::mailbox::{Envelope, System};
use crate::server::observer::Outcome;
use crate::server::panics::{CatchUnwind, Panic};
#[cfg(feature = "testing")]
use std::time::Duration;

mod rare;
mod step;

/// Everything the server task owns besides the state.
pub(crate) struct Life<T: GenServer> {
    ctx: Context<T>,
    shared: Arc<Shared<T>>,
    guard: ExitGuard<T>,
    /// A message a test's interceptor delays, and by how much: handled
    /// next, after the delay (`intercept.rs`).
    #[cfg(feature = "testing")]
    delayed: Option<(Next<T>, Duration)>,
}

/// The next message, or `Idle` when the idle timeout passes first. A
/// macro rather than an `async fn`, so it stays inline in the loop: a
/// nested future per message costs more than the branch.
macro_rules! next_message {
    ($ctx:expr, $mailbox:expr) => {{
        let mailbox = $mailbox;
        match $ctx.idle.take().or($ctx.sticky_idle) {
            // A `match`, not `map_or`: its default would be built and
            // dropped on every message.
            None => match mailbox.recv().await {
                Some(envelope) => Next::Envelope(envelope),
                None => Next::Closed,
            },
            Some(after) => {
                tokio::select! {
                    biased;
                    envelope = mailbox.recv() => match envelope {
                        Some(envelope) => Next::Envelope(envelope),
                        None => Next::Closed,
                    },
                    () = Box::pin(tokio::time::sleep(after)) => Next::Idle,
                }
            }
        }
    }};
}

/// What the loop waited for.
enum Next<T: GenServer> {
    Envelope(Envelope<T>),
    Idle,
    Closed,
}

/// A stop's reason and where to answer it.
type Stopped = (ExitReason, Option<oneshot::Sender<ExitReason>>);

/// What ended the loop.
struct Exit {
    reason: ExitReason,
    stopper: Option<oneshot::Sender<ExitReason>>,
    /// The panic that ended it, if one did.
    panic: Option<Panic>,
}

impl Exit {
    fn with(reason: ExitReason) -> Self {
        Exit::stopped((reason, None))
    }

    /// The end a stop (or a closed mailbox) asks for: no panic.
    fn stopped((reason, stopper): Stopped) -> Self {
        Exit {
            reason,
            stopper,
            panic: None,
        }
    }
}

impl<T: GenServer> Life<T> {
    pub(crate) fn new(me: Server<T>, shared: Arc<Shared<T>>) -> Self {
        Life {
            ctx: Context::new(me),
            guard: ExitGuard::new(shared.clone()),
            shared,
            #[cfg(feature = "testing")]
            delayed: None,
        }
    }

    /// A server with an `init`: runs it, answers the start (`ack`), then
    /// lives. Not an `async fn`: an `async fn` keeps each argument twice
    /// (its slot and the local it is moved to); this block keeps the
    /// context and the handles once, and borrows them.
    pub(crate) fn run_init(
        self,
        args: T::Args,
        ack: oneshot::Sender<Result<(), StartError<T>>>,
    ) -> impl Future<Output = ()> + Send {
        let mut life = self;
        async move {
            // Boxed, like the exit sequence: a one-off phase must not make
            // the future of every idle server as large as itself.
            let Some(mut state) = Box::pin(life.init(args, ack)).await else {
                return;
            };
            life.live(&mut state).await;
        }
    }

    /// A server without an `init`: its arguments are its state, and its
    /// start did not wait for this task. Held once, as in `run_init`.
    pub(crate) fn run(self, state: T) -> impl Future<Output = ()> + Send {
        let mut life = self;
        let mut state = state;
        async move { life.live(&mut state).await }
    }

    /// `init`, and the answer to the start: the state when the server runs
    /// on; `None` when it ended (an error, `:ignore`, a panic, or nobody
    /// waiting for the start any more).
    async fn init(
        &mut self,
        args: T::Args,
        ack: oneshot::Sender<Result<(), StartError<T>>>,
    ) -> Option<T> {
        self.ctx.handler = &activity::INIT;
        let init = CatchUnwind(AssertUnwindSafe(T::__init(args, &mut self.ctx)))
            .instrument(tracing::debug_span!("init"))
            .await;
        let (reason, failure) = match init {
            Ok(Ok(Some(state))) => match ack.send(Ok(())) {
                Ok(()) => return Some(state),
                // Nobody waits for the start any more (it timed out or was
                // dropped): the server was killed meanwhile.
                Err(_) => {
                    let reason = self.shared.process.kill_reason();
                    self.drop_links();
                    self.guard.finish(&reason.unwrap_or(ExitReason::Killed));
                    return None;
                }
            },
            // OTP's `:ignore`: a normal exit, no `terminate`.
            Ok(Ok(None)) => (ExitReason::Normal, StartError::Ignored),
            // A failed init exits without `terminate`; the error goes back
            // to `start`, not to the links.
            Ok(Err(err)) => (ExitReason::Normal, StartError::Init(err)),
            Err(panic) => {
                let reason = ExitReason::Panic(panic.message.clone());
                let id = self.shared.process.id();
                crashes::report::<T>(id, "init", &reason, panic.location, None, Vec::new());
                (reason.clone(), StartError::Exited(reason))
            }
        };
        self.drop_links();
        self.guard.finish(&reason);
        let _ = ack.send(Err(failure));
        None
    }

    /// The loop, then the exit sequence. Borrows the server's parts, so
    /// that its future holds them once, in the caller's.
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn would hold its arguments twice in every server's future"
    )]
    fn live<'a>(&'a mut self, state: &'a mut T) -> impl Future<Output = ()> + Send + 'a {
        // Not an `async fn`, for the reason `serve` gives.
        async move {
            #[cfg(feature = "metrics")]
            if crate::server::metrics::enabled() {
                self.shared
                    .counters
                    .observer
                    .get_or_make()
                    .record_metrics(T::NAME);
            }
            // One catch around the whole loop rather than one per message: a
            // panic ends the server anyway, and once the loop has unwound the
            // state and the context are free again for `terminate`.
            let exit = match CatchUnwind(AssertUnwindSafe(self.serve(state))).await {
                Ok(exit) => exit,
                Err(panic) => Exit {
                    reason: ExitReason::Panic(panic.message.clone()),
                    stopper: None,
                    panic: Some(panic),
                },
            };
            Box::pin(self.exit(state, exit)).await;
        }
    }

    fn drop_links(&self) {
        let me = AnyServer::from(self.ctx.server());
        for other in self.shared.process.take_links() {
            links::unlink(&me, &other);
        }
    }

    /// Handles messages until a callback stops the server (a panic unwinds
    /// out of it, to `run`).
    #[allow(
        clippy::manual_async_fn,
        reason = "an async fn would hold its arguments twice in every server's future"
    )]
    fn serve<'a>(&'a mut self, state: &'a mut T) -> impl Future<Output = Exit> + Send + 'a {
        // A plain `fn` returning an `async move` block: an `async fn`
        // keeps its arguments twice in its future (as arguments and as
        // locals), which every idle server pays for.
        async move {
            loop {
                if let Some(reason) = self.ctx.stop.take() {
                    return Exit::with(reason);
                }
                if let Some(arg) = self.ctx.next.take() {
                    self.ctx.handler = &activity::CONTINUE;
                    self.shared.counters.set_activity(&activity::CONTINUE);
                    state
                        .__handle_continue(arg, &mut self.ctx)
                        .instrument(tracing::debug_span!("handle_continue"))
                        .await;
                    continue;
                }
                #[cfg(not(feature = "testing"))]
                let next = next_message!(self.ctx, &self.shared.mailbox);
                #[cfg(feature = "testing")]
                let next = match self.delayed.is_some() {
                    false => {
                        let next = next_message!(self.ctx, &self.shared.mailbox);
                        // The one check on the hot path: a test's interceptor
                        // decides what becomes of the message (`intercept.rs`).
                        if self.shared.process.intercepts.armed()
                            && let Next::Envelope(envelope) = &next
                        {
                            match intercept::decide(&self.shared.process.intercepts, envelope) {
                                (Verdict::Handle, _) => {}
                                (Verdict::Drop, _) => continue,
                                (Verdict::Crash(reason), handler) => {
                                    self.ctx.handler = handler;
                                    return Exit::with(reason);
                                }
                                (Verdict::Delay(delay), _) => {
                                    self.delayed = Some((next, delay));
                                    continue;
                                }
                            }
                        }
                        next
                    }
                    // A delayed message was decided on already: it is not
                    // shown to the hook again (that would spend the next
                    // fault on it).
                    true => match Box::pin(self.delayed()).await {
                        Some(next) => next,
                        None => continue,
                    },
                };
                // Taken apart by a plain `fn`: only the handler's future
                // lives across this await (`step.rs`).
                if let Some(exit) = self.step(state, next).await {
                    return exit;
                }
            }
        }
    }

    /// The message a test's interceptor delayed, once its delay has
    /// passed: the server handles nothing meanwhile.
    #[cfg(feature = "testing")]
    #[cold]
    async fn delayed(&mut self) -> Option<Next<T>> {
        let (next, delay) = self.delayed.take()?;
        tokio::time::sleep(delay).await;
        Some(next)
    }

    /// A message from the runtime: the `Info` it is for `handle_info`, or
    /// the stop that ends the loop. Apart from the loop, which it would
    /// make larger for every message.
    #[cold]
    fn system(&mut self, system: System) -> Result<Info<T::Info>, Stopped> {
        Ok(match system {
            System::Down {
                monitor,
                server,
                reason,
            } => {
                // The monitor has fired: forget the watched server.
                self.ctx.monitor_fired(monitor);
                Info::Down {
                    monitor,
                    server,
                    reason,
                }
            }
            System::Exit { from, reason } => Info::Exit { from, reason },
            System::TableTransfer(transfer) => Info::TableTransfer(transfer),
            System::TaskFailed { task, reason } => Info::TaskFailed { task, reason },
            System::Stop { reason, done } => return Err((reason, Some(done))),
        })
    }

    /// OTP's exit sequence: the mailbox closes, `terminate` runs (a panic
    /// there replaces the reason), one crash report is logged, names are
    /// freed and monitors and links told, `stop` is answered; then what was
    /// left queued is dropped, and queued callers get `Exited(reason)`.
    /// The backlog is freed last: dropping millions of queued casts takes a
    /// while, and nobody waits for it.
    async fn exit(&mut self, state: &mut T, exit: Exit) {
        let Exit {
            mut reason,
            stopper,
            mut panic,
        } = exit;
        let process = &self.shared.process;
        let handler = self.ctx.handler;
        process.begin_exit(&reason);
        let drained = self.shared.mailbox.close();
        // The stop that ended the loop, and the stops queued behind it
        // (a `Vec` that allocates only if there are any).
        let mut queued_stoppers = Vec::new();
        for envelope in drained.priority {
            // A queued stop waits for the end with the rest.
            if let Envelope::System(system) = envelope
                && let System::Stop { done, .. } = *system
            {
                queued_stoppers.push(done);
            }
        }
        self.ctx.handler = &activity::TERMINATE;
        self.shared.counters.set_activity(&activity::TERMINATE);
        let run = state
            .__terminate(&reason, &mut self.ctx)
            .instrument(tracing::debug_span!("terminate"));
        let mut crashed_in = handler;
        if let Err(caught) = CatchUnwind(AssertUnwindSafe(run)).await {
            reason = ExitReason::Panic(caught.message.clone());
            crashed_in = &activity::TERMINATE;
            panic = Some(caught);
        }
        self.ctx.cancel_timers();
        // A traced message whose handler panicked ends the trace.
        if let (Some(observer), ExitReason::Panic(message)) =
            (self.shared.counters.observer.get(), &reason)
        {
            let after = observer
                .tracing_state()
                .then(|| format_status::shown(&*state, format_status::STATUS_LIMIT))
                .flatten();
            observer.end(Outcome::Panicked(message.to_string()), after);
        }
        if reason.is_abnormal() {
            let location = panic.and_then(|panic| panic.location);
            #[cfg(feature = "testing")]
            intercept::crashed(&process.intercepts, || intercept::CrashReport {
                server: T::NAME,
                id: process.id(),
                handler: crashed_in,
                reason: reason.clone(),
                location: location.clone(),
            });
            // OTP's crash report shows the state, through `format_status`.
            let state = format_status::shown(&*state, format_status::CRASH_REPORT_LIMIT);
            let trace = self
                .shared
                .counters
                .observer
                .get()
                .map(|observer| observer.events())
                .unwrap_or_default();
            crashes::report::<T>(process.id(), crashed_in, &reason, location, state, trace);
        } else {
            tracing::debug!(%reason, "server terminated");
        }
        self.guard.finish(&reason);
        for done in stopper.into_iter().chain(queued_stoppers) {
            let _ = done.send(reason.clone());
        }
        // Whoever was told of the exit runs first, even on this thread (a
        // task woken here would wait behind the drop); then dropping queued
        // calls drops their reply slots: their callers get `Exited(reason)`.
        if !drained.user.is_empty() {
            tokio::task::yield_now().await;
            free_large(drained.user, T::NAME, self.shared.process.id());
        }
    }
}

/// The name a crash report and inspection give to the `handle_info` call
/// for `info`.
fn info_handler<M>(info: &Info<M>) -> &'static &'static str {
    match info {
        Info::Message(_) => &"handle_info(Message)",
        Info::Timeout => &"handle_info(Timeout)",
        Info::Down { .. } => &"handle_info(Down)",
        Info::Exit { .. } => &"handle_info(Exit)",
        Info::TableTransfer(_) => &"handle_info(TableTransfer)",
        Info::TaskFailed { .. } => &"handle_info(TaskFailed)",
    }
}
