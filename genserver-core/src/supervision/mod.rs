//! Supervision: what both kinds of supervisor share — restart intensity,
//! child info and counts, typed start errors, exit reports, stopping a
//! child. The supervisors themselves are in `supervisor.rs` and
//! `dynamic.rs`, the supervisor of plain tasks in `task_supervisor.rs`;
//! what a child is, in `child_spec.rs`.

pub(crate) mod application;
pub(crate) mod backoff;
pub(crate) mod child_spec;
pub(crate) mod children;
pub(crate) mod dynamic;
pub(crate) mod partition;
pub(crate) mod restart;
pub(crate) mod supervisor;
pub(crate) mod supervisor_spec;
pub(crate) mod task_supervisor;
pub(crate) mod tree;

use std::any::Any;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::exit_reason::ExitReason;
use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::server::error::StartError;
use crate::server::gen_server::GenServer;
use child_spec::{ChildKind, Restart, Shutdown};

/// At most `max_restarts` restarts within `period`: OTP's restart
/// intensity, shared by both kinds of supervisor.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IntensityLimit {
    pub(crate) max_restarts: usize,
    pub(crate) period: Duration,
}

impl Default for IntensityLimit {
    /// Elixir's default: 3 restarts in 5 s.
    fn default() -> Self {
        IntensityLimit {
            max_restarts: 3,
            period: Duration::from_secs(5),
        }
    }
}

/// Restart intensity: restarts within a sliding window.
#[derive(Debug)]
pub(crate) struct Intensity {
    limit: IntensityLimit,
    restarts: VecDeque<Instant>,
}

impl Intensity {
    pub(crate) fn new(limit: IntensityLimit) -> Self {
        Intensity {
            limit,
            restarts: VecDeque::new(),
        }
    }

    /// Records a restart of `child`; `false` (and a report) when it is one
    /// too many.
    pub(crate) fn allow(&mut self, child: &str) -> bool {
        let now = Instant::now();
        self.restarts.push_back(now);
        while self
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.limit.period)
        {
            self.restarts.pop_front();
        }
        let allowed = self.restarts.len() <= self.limit.max_restarts;
        if !allowed {
            tracing::error!(%child, "reached maximum restart intensity; shutting down");
        }
        allowed
    }
}

/// Where a child is in its life, as its supervisor sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum ChildStatus {
    /// Started and running.
    Running,
    /// Its restart failed and is being retried (OTP's `:restarting`).
    Restarting,
    /// Its restart waits out its [`Backoff`](crate::Backoff) (listed as
    /// `:restarting` in OTP, which has no backoff).
    BackingOff,
    /// Not running: stopped with `terminate_child`, or its `init` asked to
    /// be ignored. Only a [`Supervisor`](crate::Supervisor) keeps such children.
    Stopped,
}

/// One child, as `which_children` reports it.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ChildInfo {
    /// The child's id.
    pub id: String,
    /// The running server, if any.
    pub server: Option<AnyServer>,
    /// Running, restarting or stopped.
    pub status: ChildStatus,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart type.
    pub restart: Restart,
    /// How many times it was restarted (a new server started in its
    /// place).
    pub restarts: u32,
}

/// Counts of a supervisor's children (`count_children`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ChildCount {
    /// Child specs: running, restarting or stopped.
    pub specs: usize,
    /// Running children.
    pub active: usize,
    /// Specs of supervisors.
    pub supervisors: usize,
    /// Specs of workers.
    pub workers: usize,
}

impl ChildCount {
    pub(crate) fn add(&mut self, kind: ChildKind, running: bool) {
        self.specs += 1;
        self.active += usize::from(running);
        match kind {
            ChildKind::Worker => self.workers += 1,
            ChildKind::Supervisor => self.supervisors += 1,
        }
    }
}

/// The error an `init` returned, without its type (as [`AnyServer`] is a
/// server without its type): it prints as the error does (`Display`), is
/// a [`std::error::Error`], and gives the value back as its own type
/// through [`downcast`](Self::downcast) or [`inspect`](Self::inspect).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{ChildStartError, Strategy, Supervisor, SupervisorSpec};
/// use genserver_core::{AnyInitError, SupervisorError};
///
/// pub struct Db;
///
/// #[gen_server]
/// impl Db {
///     fn init(url: String) -> Result<Self, std::io::Error> {
///         Err(std::io::Error::other(format!("cannot reach {url}")))
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let spec = SupervisorSpec::new(Strategy::OneForOne).child(Db::child_spec("db:5432".into()));
/// let Err(StartError::Init(SupervisorError::StartChild { error, .. })) = Supervisor::start(spec).await
/// else {
///     panic!("the supervisor started")
/// };
/// let ChildStartError::Init(init) = error else { panic!("{error:?}") };
/// assert_eq!(init.to_string(), "cannot reach db:5432");
/// let kind = init.inspect(|e: &std::io::Error| e.kind());
/// assert_eq!(kind, Some(std::io::ErrorKind::Other));
/// # }
/// ```
#[derive(Clone)]
pub struct AnyInitError {
    text: Arc<str>,
    debug: Arc<str>,
    value: Arc<dyn Any + Send + Sync>,
}

impl AnyInitError {
    pub(crate) fn new<E: fmt::Display + fmt::Debug + Send + Sync + 'static>(error: E) -> Self {
        AnyInitError {
            text: Arc::from(error.to_string()),
            debug: Arc::from(format!("{error:?}")),
            value: Arc::new(error),
        }
    }

    /// Runs `f` on the error as its own type, if it is an `E`.
    pub fn inspect<E: 'static, R>(&self, f: impl FnOnce(&E) -> R) -> Option<R> {
        self.value.downcast_ref::<E>().map(f)
    }

    /// A clone of the error as its own type, if it is an `E`.
    pub fn downcast<E: Clone + 'static>(&self) -> Option<E> {
        self.inspect(E::clone)
    }
}

impl fmt::Display for AnyInitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for AnyInitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.debug)
    }
}

impl std::error::Error for AnyInitError {}

impl PartialEq for AnyInitError {
    fn eq(&self, other: &Self) -> bool {
        self.debug == other.debug
    }
}

impl Eq for AnyInitError {}

/// Why a child did not start: its [`StartError`] without the child's type,
/// so a caller can tell a taken name from a real failure.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChildStartError {
    /// `init` returned an error: its [`source`](std::error::Error::source).
    Init(AnyInitError),
    /// The child's name is held by a running server of its type: that one.
    AlreadyStarted(AnyServer),
    /// The child's name is held by a server of another type.
    NameTaken {
        /// The name asked for.
        name: String,
        /// The server holding it.
        holder: ServerId,
    },
    /// The child's name names no server (a key of a duplicate registry).
    InvalidName {
        /// The name asked for.
        name: String,
        /// Why it names no server.
        reason: &'static str,
    },
    /// `init` did not finish within the start's `init_timeout`.
    Timeout,
    /// `init` panicked or the child went away before it finished.
    Exited(ExitReason),
}

impl ChildStartError {
    /// The typed error of a start that did not succeed; `None` for
    /// [`StartError::Ignored`], which is not a failure.
    pub(crate) fn from_start<T: GenServer>(error: StartError<T>) -> Option<Self> {
        Some(match error {
            StartError::Init(e) => ChildStartError::Init(AnyInitError::new(e)),
            StartError::AlreadyStarted(s) => ChildStartError::AlreadyStarted(AnyServer::from(s)),
            StartError::NameTaken { name, holder } => ChildStartError::NameTaken { name, holder },
            StartError::InvalidName { name, reason } => {
                ChildStartError::InvalidName { name, reason }
            }
            StartError::Timeout => ChildStartError::Timeout,
            StartError::Ignored => return None,
            StartError::Exited(reason) => ChildStartError::Exited(reason),
        })
    }

    /// The server already holding the child's name, if that is why it did
    /// not start (a lost race for a registry key).
    pub fn already_started(&self) -> Option<&AnyServer> {
        match self {
            ChildStartError::AlreadyStarted(server) => Some(server),
            _ => None,
        }
    }
}

impl fmt::Display for ChildStartError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ChildStartError::Init(_) => f.write_str("init failed"),
            ChildStartError::AlreadyStarted(s) => write!(f, "already started as {}", s.id()),
            ChildStartError::NameTaken { name, holder } => {
                write!(f, "the name {name:?} is taken by {holder}")
            }
            ChildStartError::InvalidName { name, reason } => {
                write!(f, "the name {name:?} is not valid: {reason}")
            }
            ChildStartError::Timeout => f.write_str("init timed out"),
            ChildStartError::Exited(r) => write!(f, "exited during init ({r})"),
        }
    }
}

impl std::error::Error for ChildStartError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ChildStartError::Init(error) => Some(error),
            _ => None,
        }
    }
}

/// The supervisor's report of a child's exit. The crash itself is reported
/// once, by the server that crashed; this line says what the supervisor
/// makes of it.
pub(crate) fn report_exit(child: &str, server: ServerId, reason: &ExitReason) {
    if reason.is_abnormal() {
        tracing::info!(%child, %server, %reason, "child exited");
    } else {
        tracing::debug!(%child, %server, %reason, "child exited");
    }
}

/// Stops `child` the way its spec says.
pub(crate) async fn shut_down(child: &AnyServer, shutdown: Shutdown) {
    match shutdown {
        Shutdown::BrutalKill => {
            child.kill();
            child.exited().await;
        }
        Shutdown::Timeout(limit) => child.shutdown(ExitReason::Shutdown, Some(limit)).await,
        Shutdown::Infinity => child.shutdown(ExitReason::Shutdown, None).await,
    }
}
