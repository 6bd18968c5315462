//! What a callback can do besides changing the state.

use crate::id_map::IdMap;
use std::fmt;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::exit_reason::ExitReason;
use crate::id::{MonitorRef, ServerId};
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::counters::{Name, activity};
use crate::server::gen_server::GenServer;
use crate::server::links;
use crate::server::process::HookKey;

/// A server's view of itself, passed as the optional last argument
/// `ctx: &mut Context<Self>` of any callback.
///
/// # Stopping
///
/// [`stop`](Self::stop) ends the server after the current callback: a call
/// still gets its reply, then `terminate` runs.
///
/// # Deferred work
///
/// [`continue_with`](Self::continue_with) runs `handle_continue` after the
/// current callback and before any queued message; from `init`, after
/// `start` has returned (OTP's `{:continue, arg}`).
///
/// # Timers
///
/// [`send_after`](Self::send_after) and [`send_interval`](Self::send_interval)
/// deliver [`Info::Message`](crate::Info::Message) to `handle_info`, on the
/// priority lane (ahead of queued calls and casts); both return a
/// [`TimerRef`](crate::TimerRef) that cancels them. Timers die with the server.
/// [`idle_timeout`](Self::idle_timeout) delivers
/// [`Info::Timeout`](crate::Info::Timeout) when no message arrives in time.
///
/// # Tasks
///
/// [`spawn`](Self::spawn) runs a future beside the server, tied to its
/// life (a linked `Task`): its output arrives in `handle_info` as
/// [`Info::Message`](crate::Info::Message), behind the messages already
/// queued; a panic arrives as [`Info::TaskFailed`](crate::Info::TaskFailed)
/// on the priority lane, and the server runs on. Its tasks are aborted
/// when the server exits, for any reason;
/// [`spawn_detached`](Self::spawn_detached) starts one that outlives it.
/// [`reply_from_task`](Self::reply_from_task) answers a call from a task:
/// the server handles other messages meanwhile, and a panic in the task is
/// the caller's [`CallError::TaskFailed`](crate::CallError::TaskFailed),
/// never a hang. Both return a [`TaskRef`](crate::TaskRef) that aborts the task.
///
/// ```
/// use genserver_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Debug)]
/// pub enum Fetched {
///     Page(String),
/// }
///
/// pub struct Crawler {
///     pages: Vec<String>,
///     failures: usize,
/// }
///
/// async fn fetch(url: String) -> String {
///     tokio::time::sleep(Duration::from_millis(10)).await; // the slow part
///     assert!(!url.contains("broken"), "cannot fetch {url}");
///     format!("<html>{url}</html>")
/// }
///
/// #[gen_server(info = Fetched)]
/// impl Crawler {
///     /// Fetches in a task; the page arrives in `handle_info`.
///     #[cast]
///     pub fn crawl(&mut self, url: String, ctx: &mut Context<Self>) {
///         ctx.spawn(async move { Fetched::Page(fetch(url).await) });
///     }
///
///     /// Fetches in a task that answers the caller; the server is free meanwhile.
///     #[call]
///     pub fn fetch_now(&mut self, reply: ReplyTo<String>, url: String, ctx: &mut Context<Self>) {
///         ctx.reply_from_task(reply, fetch(url));
///     }
///
///     #[call]
///     pub fn report(&self) -> (usize, usize) {
///         (self.pages.len(), self.failures)
///     }
///
///     fn handle_info(&mut self, msg: Info<Fetched>) {
///         match msg {
///             Info::Message(Fetched::Page(page)) => self.pages.push(page),
///             Info::TaskFailed { reason, .. } => {
///                 tracing::warn!(%reason, "fetch failed");
///                 self.failures += 1;
///             }
///             other => tracing::debug!(?other, "ignored"),
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let crawler = Crawler::start(Crawler { pages: Vec::new(), failures: 0 }).await?;
/// crawler.crawl("a.example".into());
/// crawler.crawl("broken.example".into());
/// assert_eq!(crawler.fetch_now("b.example".into()).await?, "<html>b.example</html>");
/// assert!(matches!(
///     crawler.fetch_now("broken.example".into()).await,
///     Err(CallError::TaskFailed(ExitReason::Panic(_)))
/// ));
/// # tokio::time::sleep(Duration::from_millis(50)).await;
/// assert_eq!(crawler.report().await?, (1, 1));
/// # Ok(())
/// # }
/// ```
///
/// # Monitors and links
///
/// [`monitor`](Self::monitor) delivers [`Info::Down`](crate::Info::Down)
/// when another server exits, at once if it already has. A monitor is gone
/// once its `Down` is delivered. [`link`](Self::link) ties two servers'
/// lives together both ways; [`trap_exit`](Self::trap_exit) turns a linked
/// server's exit into [`Info::Exit`](crate::Info::Exit) instead.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::AnyServer;
/// use std::time::Duration;
///
/// #[derive(Debug, Clone)]
/// pub enum Tick {
///     Flush,
/// }
///
/// pub struct Watchdog {
///     seen: Vec<String>,
/// }
///
/// #[gen_server(info = Tick)]
/// impl Watchdog {
///     fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, String> {
///         ctx.send_interval(Tick::Flush, Duration::from_secs(1));
///         ctx.idle_timeout(Duration::from_millis(1_500));
///         Ok(Watchdog { seen: Vec::new() })
///     }
///
///     /// Watches `other`: its exit arrives as `Info::Down`.
///     #[call]
///     pub fn watch(&mut self, other: AnyServer, ctx: &mut Context<Self>) {
///         ctx.monitor(other);
///     }
///
///     #[call]
///     pub fn seen(&self) -> Vec<String> {
///         self.seen.clone()
///     }
///
///     fn handle_info(&mut self, msg: Info<Tick>, ctx: &mut Context<Self>) {
///         match msg {
///             Info::Message(Tick::Flush) => self.seen.push("flush".into()),
///             Info::Timeout => self.seen.push("idle".into()),
///             Info::Down { reason, .. } => self.seen.push(format!("down: {reason}")),
///             other => tracing::debug!(?other, "ignored"),
///         }
///         // The idle timeout applies once: set it again for the next message.
///         ctx.idle_timeout(Duration::from_millis(1_500));
///     }
/// }
///
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// // On paused time, timers fire as soon as everything else waits: a
/// // test of timer behaviour takes no real time.
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let dog = Watchdog::start(()).await?;
/// let worker = Worker::start(Worker).await?;
/// dog.watch(AnyServer::from(&worker)).await?;
/// worker.stop(ExitReason::Shutdown).await?;
/// tokio::time::sleep(Duration::from_millis(2_100)).await;
/// assert_eq!(dog.seen().await?, ["down: shutdown", "flush", "flush"]);
/// # Ok(())
/// # }
/// ```
///
/// A server that traps exits hears of a linked server's crash instead of
/// crashing with it (what supervisors do):
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::AnyServer;
///
/// pub struct Parent {
///     exits: Vec<String>,
/// }
///
/// #[gen_server]
/// impl Parent {
///     fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, String> {
///         ctx.trap_exit(true);
///         Ok(Parent { exits: Vec::new() })
///     }
///
///     #[call]
///     pub fn adopt(&mut self, child: AnyServer, ctx: &mut Context<Self>) {
///         ctx.link(child);
///     }
///
///     #[call]
///     pub fn exits(&self) -> Vec<String> {
///         self.exits.clone()
///     }
///
///     fn handle_info(&mut self, msg: Info<()>) {
///         if let Info::Exit { reason, .. } = msg {
///             self.exits.push(reason.to_string());
///         }
///     }
/// }
///
/// pub struct Child;
///
/// #[gen_server]
/// impl Child {
///     #[cast]
///     pub fn crash(&self) {
///         panic!("child broke")
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let parent = Parent::start(()).await?;
/// let child = Child::start(Child).await?;
/// parent.adopt(AnyServer::from(&child)).await?;
/// child.crash();
/// child.exited().await; // links are told before `exited` returns
/// assert_eq!(parent.exits().await?, ["panicked: child broke"]);
/// assert!(parent.is_alive());
/// # Ok(())
/// # }
/// ```
pub struct Context<T: GenServer> {
    me: Server<T>,
    pub(crate) stop: Option<ExitReason>,
    pub(crate) next: Option<T::Continue>,
    pub(crate) idle: Option<Duration>,
    /// The idle timeout re-armed after every callback.
    pub(crate) sticky_idle: Option<Duration>,
    /// The callback running now, named in crash reports.
    pub(crate) handler: Name,
    /// Timers and tasks, made at the first one: most servers never set one.
    pub(crate) timers: Option<JoinSet<()>>,
    /// Monitors not yet fired, and the servers they watch.
    monitors: IdMap<MonitorRef, AnyServer>,
    /// Whether the message being handled is traced (its reply is kept).
    pub(crate) tracing: bool,
}

impl<T: GenServer> Context<T> {
    pub(crate) fn new(me: Server<T>) -> Self {
        Context {
            me,
            stop: None,
            next: None,
            idle: None,
            sticky_idle: None,
            handler: &activity::INIT,
            timers: None,
            monitors: IdMap::default(),
            tracing: false,
        }
    }

    /// Whether the message being handled is traced: then the generated
    /// dispatch hands its reply's `Debug` to [`__trace_reply`](Self::__trace_reply).
    #[doc(hidden)]
    #[inline(always)]
    pub fn __tracing(&self) -> bool {
        self.tracing
    }

    /// The traced call's reply, as its `Debug` shows it.
    #[doc(hidden)]
    pub fn __trace_reply(&self, reply: Option<String>) {
        if let Some(observer) = self.me.handle().shared().counters.observer.get() {
            observer.reply(reply);
        }
    }

    /// This server's own handle (OTP's `self()`). Do not call it from its
    /// own handlers: that returns [`CallError::CallingSelf`](crate::CallError::CallingSelf).
    pub fn server(&self) -> &Server<T> {
        &self.me
    }

    /// This server's identity.
    pub fn id(&self) -> ServerId {
        self.me.id()
    }

    /// Stops the server once the current callback returns; `terminate`
    /// then runs with `reason`. A call being handled still gets its reply.
    pub fn stop(&mut self, reason: ExitReason) {
        self.stop = Some(reason);
    }

    /// Runs `handle_continue(arg)` right after the current callback, before
    /// any message already queued.
    pub fn continue_with(&mut self, arg: T::Continue) {
        self.next = Some(arg);
    }

    /// Delivers [`Info::Timeout`](crate::Info::Timeout) if no message arrives within `after` once
    /// the current callback returns. Any message cancels it; it is not
    /// delivered when a message is already waiting. Applies once: set it
    /// again from the callback that handles the next message.
    pub fn idle_timeout(&mut self, after: Duration) {
        self.idle = Some(after);
    }

    /// A sticky idle timeout: after every callback, [`Info::Timeout`](crate::Info::Timeout)
    /// is delivered if no message arrives within `after`, until it is
    /// cleared with `None`. Set it once (in `init`) for a server that should
    /// stop when unused, and stop in `handle_info` on `Info::Timeout`:
    /// no handler can forget to re-arm it. A one-off
    /// [`idle_timeout`](Self::idle_timeout) takes its place for one wait.
    pub fn set_idle_timeout(&mut self, after: Option<Duration>) {
        self.sticky_idle = after;
    }

    /// Watches `other`: when it exits, `handle_info` receives
    /// [`Info::Down`](crate::Info::Down) with its exit reason; if it has already exited, at once
    /// with [`ExitReason::NoProc`]. Monitors are one-way and may be stacked.
    pub fn monitor(&mut self, other: impl Into<AnyServer>) -> MonitorRef {
        let other = other.into();
        let monitor = MonitorRef::next();
        self.monitors.insert(monitor, other.clone());
        other
            .process()
            .add_monitor(monitor, AnyServer::from(&self.me));
        monitor
    }

    /// Links this server with `other`, both ways (OTP's `link/1`). When
    /// one exits with a shutdown or an abnormal reason, the other exits with
    /// the same reason, without `terminate`, unless it traps exits; a normal
    /// exit leaves the link partner alone. Linking to a server that has
    /// already exited is such an exit with [`ExitReason::NoProc`].
    pub fn link(&mut self, other: impl Into<AnyServer>) {
        links::link(&AnyServer::from(&self.me), &other.into());
    }

    /// Removes the link with `other`, if any.
    pub fn unlink(&mut self, other: impl Into<AnyServer>) {
        links::unlink(&AnyServer::from(&self.me), &other.into());
    }

    /// With `true`, exits of linked servers arrive in `handle_info` as
    /// [`Info::Exit`](crate::Info::Exit) instead of ending this server
    /// (OTP's `Process.flag(:trap_exit, true)`). Supervisors trap exits.
    pub fn trap_exit(&mut self, trap: bool) {
        self.me.handle().process().set_trap_exit(trap);
    }

    /// Removes a monitor. Returns `false` if it had already fired or was
    /// removed; a `Down` already queued is still delivered.
    pub fn demonitor(&mut self, monitor: MonitorRef) -> bool {
        match self.monitors.remove(&monitor) {
            Some(other) => other
                .process()
                .remove_hook(HookKey::Monitor(monitor))
                .is_some(),
            None => false,
        }
    }

    /// The servers this one monitors, for inspection.
    pub(crate) fn monitored(&self) -> Vec<ServerId> {
        self.monitors.values().map(AnyServer::id).collect()
    }

    /// A `Down` for `monitor` arrived: the watched server is no longer held.
    pub(crate) fn monitor_fired(&mut self, monitor: MonitorRef) {
        self.monitors.remove(&monitor);
    }

    /// The server is exiting: its timers and tasks stop and its monitors
    /// are removed.
    pub(crate) fn cancel_timers(&mut self) {
        if let Some(timers) = &mut self.timers {
            timers.abort_all();
        }
        for (monitor, other) in self.monitors.drain() {
            other.process().remove_hook(HookKey::Monitor(monitor));
        }
    }
}

impl<T: GenServer> fmt::Debug for Context<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("server", &self.me)
            .field("stop", &self.stop)
            .field("idle_timeout", &self.idle)
            .field("sticky_idle_timeout", &self.sticky_idle)
            .finish_non_exhaustive()
    }
}
