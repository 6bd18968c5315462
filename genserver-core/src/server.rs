//! The `GenServer` trait and the `Server<T>` handle: calls, casts, stop.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use tokio::sync::{Notify, mpsc, oneshot};
use tokio::task::AbortHandle;

use crate::context::Context;
use crate::deadline::{Groups, Membership};
use crate::error::CallError;
use crate::exit::ExitReason;
use crate::info::{Info, MonitorRef};

/// The default timeout of a call, as in OTP: 5 seconds.
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// A server's behaviour, implemented by `#[gen_server]`.
///
/// You do not implement this trait by hand: put `#[gen_server]` on the impl
/// block of your state struct and the macro writes it, together with the
/// message type, the dispatch and the client API. Its associated types say
/// what the server takes:
///
/// - [`Args`](Self::Args): what `T::start(..)` passes to `init` (the state
///   itself when there is no `init`);
/// - [`Info`](Self::Info): the server's own out-of-band message type (`info = M`);
/// - [`Continue`](Self::Continue): the argument of `handle_continue`.
pub trait GenServer: Sized + Send + 'static {
    /// What `init` receives: the arguments of `T::start(..)`.
    type Args: Send + 'static;
    /// The error `init` may return; handed back as [`StartError::Init`](crate::StartError::Init).
    type InitError: fmt::Debug + Send + 'static;
    /// The server's own info message type, delivered as [`Info::Message`].
    type Info: Send + 'static;
    /// The argument of `handle_continue` (`Infallible` when there is none).
    type Continue: Send + 'static;
    /// The client API: `Server<Self>` dereferences to it.
    type Client: ClientHandle<Self>;
    #[doc(hidden)]
    type Message: Send + 'static;

    /// The server's name in logs and traces (the state type's name).
    const NAME: &'static str;

    /// Runs the user's `init`.
    #[doc(hidden)]
    fn __init(
        args: Self::Args,
        ctx: &mut Context<Self>,
    ) -> impl Future<Output = Result<Option<Self>, Self::InitError>> + Send;

    #[doc(hidden)]
    fn __dispatch<'a>(
        &'a mut self,
        message: Self::Message,
        ctx: &'a mut Context<Self>,
    ) -> impl Future<Output = ()> + Send + 'a;

    /// Runs the user's `handle_info`.
    #[doc(hidden)]
    fn __handle_info<'a>(
        &'a mut self,
        info: Info<Self::Info>,
        ctx: &'a mut Context<Self>,
    ) -> impl Future<Output = ()> + Send + 'a;

    /// Runs the user's `handle_continue`. The default is for a server
    /// without one, whose `Continue` type has no values: never called.
    #[doc(hidden)]
    fn __handle_continue<'a>(
        &'a mut self,
        arg: Self::Continue,
        ctx: &'a mut Context<Self>,
    ) -> impl Future<Output = ()> + Send + 'a {
        let _ = (arg, ctx);
        std::future::ready(())
    }

    /// Runs the user's `terminate`. The default does nothing.
    #[doc(hidden)]
    fn __terminate<'a>(
        &'a mut self,
        reason: &'a ExitReason,
        ctx: &'a mut Context<Self>,
    ) -> impl Future<Output = ()> + Send + 'a {
        let _ = (reason, ctx);
        std::future::ready(())
    }
}

/// Connects a generated client type to its server. Implemented by `#[gen_server]`.
#[doc(hidden)]
pub trait ClientHandle<T: GenServer>: Clone + Send + Sync + 'static {
    fn __from_handle(handle: Handle<T>) -> Self;
    fn __handle(&self) -> &Handle<T>;
}

/// A server's identity, unique for the life of the program (OTP's pid).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(u64);

impl ServerId {
    fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        ServerId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number inside, for logs and metrics.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<0.{}.0>", self.0)
    }
}

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

tokio::task_local! {
    /// The server whose task is running, for `CallError::CallingSelf`.
    pub(crate) static CURRENT_SERVER: ServerId;
}

/// What travels through a server's mailbox. Calls and casts stay inline;
/// the rare system messages are boxed so they do not make every slot larger.
pub(crate) enum Envelope<T: GenServer> {
    Message(T::Message),
    Info(T::Info),
    System(Box<System>),
}

/// Messages from the runtime itself.
pub(crate) enum System {
    Down {
        monitor: MonitorRef,
        server: ServerId,
        reason: ExitReason,
    },
    Exit {
        from: ServerId,
        reason: ExitReason,
    },
    Stop {
        reason: ExitReason,
        done: oneshot::Sender<()>,
    },
}

const ALIVE: u8 = 0;
/// Deciding to exit: the reason is known, `terminate` may be running.
const EXITING: u8 = 1;
/// Gone: `is_alive()` is false; monitors and links are being signalled.
const EXITED: u8 = 2;
/// Monitors and links signalled: `exited()` returns.
const DONE: u8 = 3;

type DownHook = Box<dyn FnOnce(ExitReason) + Send>;

/// The part of a server every handle shares: its mailbox and its exit state.
pub(crate) struct Shared<T: GenServer> {
    pub(crate) id: ServerId,
    pub(crate) tx: mpsc::UnboundedSender<Envelope<T>>,
    pub(crate) process: Arc<Process>,
    /// Where waiting calls share their timeout timers.
    deadlines: Groups,
}

/// A server's life, apart from its message type: what monitors and
/// waiting callers look at.
pub(crate) struct Process {
    status: AtomicU8,
    exit: Mutex<ExitState>,
    changed: Notify,
    trap_exit: AtomicBool,
}

#[derive(Default)]
struct ExitState {
    reason: Option<ExitReason>,
    monitors: Vec<(MonitorRef, DownHook)>,
    links: Vec<AnyServer>,
    /// Run as the server exits, before it counts as gone (registry entries).
    cleanups: Vec<Box<dyn FnOnce() + Send>>,
    /// The server's task, to kill it.
    abort: Option<AbortHandle>,
    /// Why it was killed, for the exit that follows the abort.
    killed: Option<ExitReason>,
}

impl Process {
    pub(crate) fn new() -> Self {
        Process {
            status: AtomicU8::new(ALIVE),
            exit: Mutex::new(ExitState::default()),
            changed: Notify::new(),
            trap_exit: AtomicBool::new(false),
        }
    }

    pub(crate) fn set_trap_exit(&self, trap: bool) {
        self.trap_exit.store(trap, Ordering::Release);
    }

    pub(crate) fn traps_exits(&self) -> bool {
        self.trap_exit.load(Ordering::Acquire)
    }

    /// Records the server's task; kills it at once if a kill came first.
    pub(crate) fn set_abort(&self, abort: AbortHandle) {
        let mut state = self.state();
        if state.killed.is_some() {
            abort.abort();
        }
        state.abort = Some(abort);
    }

    /// Ends the server without `terminate` (OTP's exit signal to a process
    /// that does not trap exits, or `:kill`): it exits with `reason`.
    pub(crate) fn kill(&self, reason: ExitReason) {
        let mut state = self.state();
        if self.has_exited() || state.killed.is_some() {
            return;
        }
        state.killed = Some(reason);
        if let Some(abort) = &state.abort {
            abort.abort();
        }
    }

    /// The reason the server exits or exited with, once it is known.
    pub(crate) fn reason(&self) -> Option<ExitReason> {
        self.state().reason.clone()
    }

    /// The reason given to [`kill`](Self::kill), if the server was killed.
    pub(crate) fn kill_reason(&self) -> Option<ExitReason> {
        self.state().killed.clone()
    }

    /// Adds a link; `false` if the server has already exited.
    fn add_link(&self, other: AnyServer) -> bool {
        let mut state = self.state();
        if self.has_exited() {
            return false;
        }
        if !state.links.iter().any(|l| l.id() == other.id()) {
            state.links.push(other);
        }
        true
    }

    pub(crate) fn take_links(&self) -> Vec<AnyServer> {
        std::mem::take(&mut self.state().links)
    }

    fn remove_link(&self, id: ServerId) {
        self.state().links.retain(|l| l.id() != id);
    }

    /// Runs `cleanup` as the server exits, or at once if it has.
    pub(crate) fn on_exit(&self, cleanup: Box<dyn FnOnce() + Send>) {
        let mut state = self.state();
        if self.has_exited() {
            drop(state);
            cleanup();
        } else {
            state.cleanups.push(cleanup);
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, ExitState> {
        // A poisoned lock only means a monitor hook panicked; the state is intact.
        self.exit.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn is_alive(&self) -> bool {
        self.status.load(Ordering::Acquire) < EXITED
    }

    fn has_exited(&self) -> bool {
        self.status.load(Ordering::Acquire) >= EXITED
    }

    /// The server has decided to exit: callers waiting on it learn the reason now.
    pub(crate) fn begin_exit(&self, reason: &ExitReason) {
        let mut state = self.state();
        if state.reason.is_none() {
            state.reason = Some(reason.clone());
        }
        self.status.fetch_max(EXITING, Ordering::AcqRel);
        drop(state);
        self.changed.notify_waiters();
    }

    /// The server is gone: clean up its registrations, wake whoever waits
    /// for the end, fire the monitors and signal the links.
    pub(crate) fn finish_exit(&self, me: ServerId, reason: &ExitReason) {
        let cleanups = std::mem::take(&mut self.state().cleanups);
        for cleanup in cleanups {
            cleanup();
        }
        let (monitors, links) = {
            let mut state = self.state();
            if state.reason.is_none() {
                state.reason = Some(reason.clone());
            }
            self.status.store(EXITED, Ordering::Release);
            (
                std::mem::take(&mut state.monitors),
                std::mem::take(&mut state.links),
            )
        };
        for (_, hook) in monitors {
            hook(reason.clone());
        }
        for link in links {
            link.process().remove_link(me);
            link.exit_signal(me, reason.clone());
        }
        // Whoever awaits `exited()` now finds every monitor and link told.
        self.status.store(DONE, Ordering::Release);
        self.changed.notify_waiters();
    }

    /// Runs `hook` with the exit reason when the server exits, or at once
    /// with [`ExitReason::NoProc`] when it already has.
    pub(crate) fn add_monitor(&self, monitor: MonitorRef, hook: DownHook) {
        let mut state = self.state();
        if self.has_exited() {
            drop(state);
            hook(ExitReason::NoProc);
        } else {
            state.monitors.push((monitor, hook));
        }
    }

    pub(crate) fn remove_monitor(&self, monitor: MonitorRef) -> bool {
        let mut state = self.state();
        let before = state.monitors.len();
        state.monitors.retain(|(m, _)| *m != monitor);
        state.monitors.len() != before
    }

    /// The reason the server exits with, waiting up to `limit` for it to
    /// decide: a reply channel can close a moment before the reason is set
    /// (a panic drops the handler's reply first).
    async fn exit_reason(&self, limit: Duration) -> Option<ExitReason> {
        let reason = self.wait_until(|process| process.state().reason.clone());
        tokio::time::timeout(limit, reason).await.ok()
    }

    /// Waits until the server has completely exited.
    pub(crate) async fn exited(&self) {
        self.wait_until(|process| (process.status.load(Ordering::Acquire) == DONE).then_some(()))
            .await
    }

    /// Waits until `check` answers, looking again at every change of state.
    async fn wait_until<R>(&self, check: impl Fn(&Self) -> Option<R>) -> R {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            // Registered before looking, so no change slips between the two.
            notified.as_mut().enable();
            if let Some(answer) = check(self) {
                return answer;
            }
            notified.await;
        }
    }
}

/// The runtime's side of a client handle. Generated client types wrap one.
#[doc(hidden)]
pub struct Handle<T: GenServer> {
    pub(crate) shared: Arc<Shared<T>>,
    timeout: Duration,
}

impl<T: GenServer> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("server", &T::NAME)
            .field("id", &self.shared.id)
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

    pub(crate) fn new_shared(tx: mpsc::UnboundedSender<Envelope<T>>) -> Arc<Shared<T>> {
        Arc::new(Shared {
            id: ServerId::next(),
            tx,
            process: Arc::new(Process::new()),
            deadlines: Groups::new(),
        })
    }

    pub(crate) fn id(&self) -> ServerId {
        self.shared.id
    }

    fn calling_self(&self) -> bool {
        CURRENT_SERVER
            .try_with(|current| *current == self.shared.id)
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
        let message = build(ReplyTo { tx });
        if self.shared.tx.send(Envelope::Message(message)).is_err() {
            return Err(CallError::NoProc);
        }
        self.await_reply(rx).await
    }

    async fn await_reply<R>(&self, rx: oneshot::Receiver<R>) -> Result<R, CallError> {
        let mut reply = Reply {
            rx,
            shared: &self.shared,
            timeout: self.timeout,
            deadline: None,
            membership: None,
        };
        match (&mut reply).await {
            Ok(value) => Ok(value),
            Err(ReplyError::Timeout) => Err(CallError::Timeout),
            Err(ReplyError::Closed) => {
                // The reply slot was dropped: the server is exiting (or
                // dropped a deferred `ReplyTo`). Report why, within the
                // time the call has left.
                let deadline = reply.deadline();
                let left = deadline.map_or(Duration::MAX, |d| {
                    d.saturating_duration_since(tokio::time::Instant::now())
                });
                match self.shared.process.exit_reason(left).await {
                    Some(reason) => Err(CallError::Exited(reason)),
                    None => Err(CallError::Timeout),
                }
            }
        }
    }

    /// Queues a cast; never fails, never blocks.
    #[inline]
    pub fn cast(&self, build: impl FnOnce(CastToken) -> T::Message) {
        // A send to a dead server hands the message back: drop it there,
        // so the common path carries no drop glue.
        if let Err(undelivered) = self.shared.tx.send(Envelope::Message(build(CastToken(())))) {
            drop(undelivered);
        }
    }

    pub(crate) fn send_envelope(&self, envelope: Envelope<T>) -> bool {
        self.shared.tx.send(envelope).is_ok()
    }
}

enum ReplyError {
    Timeout,
    Closed,
}

/// Waits for a reply. Polling the reply channel first, it joins a timeout
/// group only if the reply is not there yet (see `deadline.rs`).
struct Reply<'a, T: GenServer, R> {
    rx: oneshot::Receiver<R>,
    shared: &'a Shared<T>,
    timeout: Duration,
    /// `None` until the first poll that found no reply; `Some(None)` when
    /// the timeout is too large to have a deadline.
    deadline: Option<Option<tokio::time::Instant>>,
    membership: Option<Membership>,
}

impl<T: GenServer, R> Reply<'_, T, R> {
    fn deadline(&mut self) -> Option<tokio::time::Instant> {
        let timeout = self.timeout;
        *self
            .deadline
            .get_or_insert_with(|| tokio::time::Instant::now().checked_add(timeout))
    }
}

impl<T: GenServer, R> Future for &mut Reply<'_, T, R> {
    type Output = Result<R, ReplyError>;

    fn poll(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        let this = &mut **self.get_mut();
        match Pin::new(&mut this.rx).poll(cx) {
            Poll::Ready(Ok(value)) => return Poll::Ready(Ok(value)),
            Poll::Ready(Err(_)) => return Poll::Ready(Err(ReplyError::Closed)),
            Poll::Pending => {}
        }
        match &this.membership {
            Some(membership) if membership.expired() => Poll::Ready(Err(ReplyError::Timeout)),
            Some(membership) => {
                membership.update(cx.waker());
                Poll::Pending
            }
            None => {
                if let Some(deadline) = this.deadline() {
                    let membership = this
                        .shared
                        .deadlines
                        .join(deadline, this.timeout, cx.waker());
                    if membership.expired() {
                        return Poll::Ready(Err(ReplyError::Timeout));
                    }
                    this.membership = Some(membership);
                }
                Poll::Pending
            }
        }
    }
}

/// What any server offers, whatever its type: the supervisor's and the
/// registry's view of a child.
trait Control: Send + Sync + 'static {
    fn process(&self) -> &Process;
    fn name(&self) -> &'static str;
    fn request_stop(&self, reason: ExitReason, done: oneshot::Sender<()>) -> bool;
    fn deliver_exit(&self, from: ServerId, reason: ExitReason) -> bool;
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl<T: GenServer> Control for Shared<T> {
    fn process(&self) -> &Process {
        &self.process
    }

    fn name(&self) -> &'static str {
        T::NAME
    }

    fn request_stop(&self, reason: ExitReason, done: oneshot::Sender<()>) -> bool {
        self.tx
            .send(Envelope::System(Box::new(System::Stop { reason, done })))
            .is_ok()
    }

    fn deliver_exit(&self, from: ServerId, reason: ExitReason) -> bool {
        self.tx
            .send(Envelope::System(Box::new(System::Exit { from, reason })))
            .is_ok()
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// A handle to a server of any type (a pid without its message types):
/// what supervisors, links and registries hold. Get one with
/// `AnyServer::from(&server)`; get the typed handle back with
/// [`downcast`](Self::downcast).
#[derive(Clone)]
pub struct AnyServer {
    id: ServerId,
    control: Arc<dyn Control>,
}

impl AnyServer {
    /// The server's identity.
    pub fn id(&self) -> ServerId {
        self.id
    }

    /// The server type's name.
    pub fn type_name(&self) -> &'static str {
        self.control.name()
    }

    /// `false` once the server has exited.
    pub fn is_alive(&self) -> bool {
        self.process().is_alive()
    }

    pub(crate) fn process(&self) -> &Process {
        self.control.process()
    }

    /// The typed handle, if the server is a `T`.
    pub fn downcast<T: GenServer>(&self) -> Option<Server<T>> {
        let shared = self.control.clone().as_any().downcast::<Shared<T>>().ok()?;
        Some(Server::from_handle(Handle::new(shared)))
    }

    /// Waits until the server has exited.
    pub async fn exited(&self) {
        self.process().exited().await
    }

    /// Kills the server at once, without `terminate` (OTP's
    /// `Process.exit(pid, :kill)` and a supervisor's `:brutal_kill`).
    pub fn kill(&self) {
        self.process().kill(ExitReason::Killed);
    }

    /// OTP's shutdown: asks the server to stop with `reason` (queued behind
    /// its messages; `terminate` runs), waits up to `timeout` (`None`: no
    /// limit), then kills it. Returns once the server has exited.
    pub async fn shutdown(&self, reason: ExitReason, timeout: Option<Duration>) {
        let (done, _rx) = oneshot::channel();
        if self.control.request_stop(reason, done) {
            match timeout {
                None => self.exited().await,
                Some(limit) => {
                    if tokio::time::timeout(limit, self.exited()).await.is_err() {
                        self.kill();
                    }
                }
            }
        }
        self.exited().await;
    }

    /// An exit signal from `from`: a message for a server that traps exits;
    /// otherwise ignored when normal, and fatal when not.
    pub(crate) fn exit_signal(&self, from: ServerId, reason: ExitReason) {
        if self.process().traps_exits() {
            // A closed mailbox means the server is already exiting.
            let _ = self.control.deliver_exit(from, reason);
        } else if !reason.is_normal() {
            self.process().kill(reason);
        }
    }
}

/// Links `a` and `b` both ways (OTP's `link/1`). A link to a server that
/// has already exited is an exit signal with [`ExitReason::NoProc`].
pub(crate) fn link(a: &AnyServer, b: &AnyServer) {
    if a.id == b.id {
        return;
    }
    let a_alive = a.process().add_link(b.clone());
    let b_alive = b.process().add_link(a.clone());
    match (a_alive, b_alive) {
        (true, false) => {
            a.process().remove_link(b.id);
            a.exit_signal(b.id, ExitReason::NoProc);
        }
        (false, true) => {
            b.process().remove_link(a.id);
            b.exit_signal(a.id, ExitReason::NoProc);
        }
        _ => {}
    }
}

/// Removes the link between `a` and `b`, if any.
pub(crate) fn unlink(a: &AnyServer, b: &AnyServer) {
    a.process().remove_link(b.id);
    b.process().remove_link(a.id);
}

impl fmt::Debug for AnyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Server<{}>({})", self.type_name(), self.id)
    }
}

impl PartialEq for AnyServer {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for AnyServer {}

impl Hash for AnyServer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}

impl<T: GenServer> From<&Server<T>> for AnyServer {
    fn from(server: &Server<T>) -> Self {
        let shared = server.handle().shared.clone();
        AnyServer {
            id: shared.id,
            control: shared,
        }
    }
}

impl<T: GenServer> From<Server<T>> for AnyServer {
    fn from(server: Server<T>) -> Self {
        AnyServer::from(&server)
    }
}

impl From<&AnyServer> for AnyServer {
    fn from(server: &AnyServer) -> Self {
        server.clone()
    }
}

/// A running server's handle (OTP's pid): cheap to clone, `Send + Sync`.
///
/// It dereferences to the client API that `#[gen_server]` generates, so the
/// handlers marked `#[call]` and `#[cast]` are methods on it:
///
/// ```ignore
/// let n: i64 = counter.increment(2).await?;   // #[call]
/// counter.reset();                            // #[cast]
/// ```
///
/// # Timeouts
///
/// A call waits 5 s ([`DEFAULT_CALL_TIMEOUT`]) for its reply, then returns
/// [`CallError::Timeout`]. [`with_timeout`](Self::with_timeout) gives a
/// handle with another timeout; `counter.with_timeout(d).value().await`
/// sets it for one call. A reply that arrives after its call timed out is
/// dropped; it never answers a later call.
///
/// # Runtime
///
/// Servers run on tokio and their calls use tokio's timers: the runtime
/// needs them enabled (`#[tokio::main]` and `#[tokio::test]` do; a
/// `Builder` needs `enable_time()` or `enable_all()`). Under
/// `tokio::time::pause()`, call timeouts, timers and idle timeouts follow
/// the paused clock.
///
/// # Lifetime
///
/// A server lives until it stops: dropping every handle does not stop it,
/// as in OTP. Stop it with [`stop`](Self::stop), from inside with
/// `ctx.stop(reason)`, or let its supervisor do it.
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
        self.handle().shared.process.is_alive()
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

    /// Sends `message` to the server's `handle_info` as [`Info::Message`]
    /// (Elixir's `send/2`). Never fails: a message to a dead server is dropped.
    pub fn send(&self, message: T::Info) {
        self.handle().send_envelope(Envelope::Info(message));
    }

    /// Stops the server with `reason` and waits until it has exited
    /// (`GenServer.stop/3`). The request is queued behind the messages
    /// already sent, then `terminate` runs. Waits at most this handle's
    /// timeout.
    ///
    /// Errors: [`CallError::NoProc`] if the server was not running,
    /// [`CallError::Exited`] if it exited for another reason first,
    /// [`CallError::CallingSelf`] from the server's own handlers (use
    /// `ctx.stop(reason)` there), [`CallError::Timeout`].
    pub async fn stop(&self, reason: ExitReason) -> Result<(), CallError> {
        let handle = self.handle();
        if handle.calling_self() {
            return Err(CallError::CallingSelf);
        }
        let (done, rx) = oneshot::channel();
        if !handle.send_envelope(Envelope::System(Box::new(System::Stop { reason, done }))) {
            return Err(CallError::NoProc);
        }
        handle.await_reply(rx).await
    }

    /// Waits until the server has exited, for any reason, and its monitors
    /// and links have been told.
    pub async fn exited(&self) {
        self.handle().shared.process.exited().await
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
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Server<{}>({})", T::NAME, self.id())
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

/// Where a call's reply goes (OTP's `from`).
///
/// A `#[call]` handler that takes a `ReplyTo<R>` and returns `()` replies
/// later: keep it in the state or hand it to a spawned task, and call
/// [`reply`](Self::reply) when the answer is ready (`GenServer.reply/2`).
/// The caller just awaits an `R`. Only the runtime creates one.
///
/// If it is dropped without a reply, the caller gets
/// [`CallError::Timeout`] when its timeout runs out, as in OTP.
pub struct ReplyTo<R> {
    tx: oneshot::Sender<R>,
}

impl<R> ReplyTo<R> {
    /// Sends the reply. A caller that has timed out or gone away is ignored.
    pub fn reply(self, value: R) {
        let _ = self.tx.send(value);
    }

    /// `true` if the caller no longer waits (it timed out or was dropped).
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

impl<R> fmt::Debug for ReplyTo<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplyTo")
            .field("closed", &self.tx.is_closed())
            .finish()
    }
}

/// Proof that a cast was sent through the client API. Only the runtime
/// creates one, so no message can be built by hand.
#[doc(hidden)]
pub struct CastToken(());

impl fmt::Debug for CastToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CastToken")
    }
}
