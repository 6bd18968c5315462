//! Injected faults: a server's next message crashes it, waits, or is lost
//! (a call that times out); a child's next start fails.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::exit_reason::ExitReason;
use crate::server::any::AnyServer;
use crate::server::intercept::Verdict;
use crate::supervision::child_spec::{ChildSpec, Overrides};
use crate::supervision::supervisor_spec::SupervisorSpec;
use crate::supervision::{AnyInitError, ChildStartError};
use crate::testing::hook::{Aim, TestHook, injected_crash};

/// Faults waiting for a running server's next messages: each fires once,
/// on the first message it is aimed at, in the order they were injected.
///
/// The server's loop checks for them before it hands a message to a
/// callback, so they work on real servers and on mocks alike, whoever
/// sends the message. A stop request is never caught, so a test can stop
/// what it broke.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::testing::{Faults, injected_crash};
/// use std::time::Duration;
///
/// pub struct Counter(u64);
///
/// #[gen_server]
/// impl Counter {
///     #[call]
///     pub fn bump(&mut self) -> u64 {
///         self.0 += 1;
///         self.0
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let counter = Counter::start(Counter(0)).await?;
/// let faults = Faults::of(&counter);
///
/// // Waits a second (of the paused clock) before it is handled.
/// faults.delay_next(Duration::from_secs(1));
/// let quick = counter.with_timeout(Duration::from_millis(100));
/// assert_eq!(quick.bump().await, Err(CallError::Timeout));
///
/// // Never answered: the caller waits its timeout.
/// faults.time_out_next_call();
/// assert_eq!(quick.bump().await, Err(CallError::Timeout));
///
/// // The next message crashes the server, as a panic in its handler would.
/// faults.crash_next();
/// assert_eq!(counter.bump().await, Err(CallError::Exited(injected_crash())));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Faults {
    server: AnyServer,
    hook: Arc<TestHook>,
    aim: Aim,
}

impl Faults {
    /// The faults of `server` (a `Server<T>`, a mock's server or an
    /// [`AnyServer`], such as a supervisor's child from `which_children`).
    pub fn of(server: impl Into<AnyServer>) -> Self {
        let server = server.into();
        let hook = TestHook::on(&server);
        Faults {
            server,
            hook,
            aim: Aim::Any,
        }
    }

    /// The same server's faults, aimed only at calls and casts for the
    /// handler `name` (the `#[call]` or `#[cast]` method's name): other
    /// messages pass them by.
    pub fn on(&self, handler: &str) -> Self {
        Faults {
            aim: Aim::Handler(handler.to_string()),
            ..self.clone()
        }
    }

    /// The next message crashes the server instead of being handled, with
    /// [`injected_crash()`](super::injected_crash) as its reason: `terminate`
    /// runs, a crash report is logged, a waiting caller gets
    /// [`CallError::Exited`](crate::CallError::Exited), links and monitors
    /// are told, its supervisor restarts it.
    pub fn crash_next(&self) -> &Self {
        self.exit_next(injected_crash())
    }

    /// Like [`crash_next`](Self::crash_next), with `reason`.
    pub fn exit_next(&self, reason: ExitReason) -> &Self {
        self.hook.push(self.aim.clone(), Verdict::Crash(reason));
        self
    }

    /// The next message waits `delay` before it is handled; the server
    /// handles nothing meanwhile, as if its previous handler were slow.
    pub fn delay_next(&self, delay: Duration) -> &Self {
        self.hook.push(self.aim.clone(), Verdict::Delay(delay));
        self
    }

    /// The next call is lost: it is never answered, so its caller gets
    /// [`CallError::Timeout`](crate::CallError::Timeout) once its timeout
    /// has passed (at once under a paused clock).
    pub fn time_out_next_call(&self) -> &Self {
        let aim = match &self.aim {
            Aim::Any => Aim::Call,
            aim => aim.clone(),
        };
        self.hook.push(aim, Verdict::Drop);
        self
    }

    /// The next message is lost: dropped unhandled.
    pub fn drop_next(&self) -> &Self {
        self.hook.push(self.aim.clone(), Verdict::Drop);
        self
    }

    /// How many injected faults have not fired yet.
    pub fn pending(&self) -> usize {
        self.hook.pending()
    }

    /// Removes the faults that have not fired.
    pub fn clear(&self) {
        self.hook.clear();
    }
}

impl fmt::Debug for Faults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Faults")
            .field("server", &self.server)
            .field("pending", &self.pending())
            .finish()
    }
}

/// Why a start failed under [`StartFaults`]: the error its `init` seems
/// to return (`ChildStartError::Init`, whose `inspect` gives it back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StartFault;

impl fmt::Display for StartFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("injected start failure")
    }
}

impl std::error::Error for StartFault {}

/// Makes a child's next starts fail: wrap its [`ChildSpec`], then
/// [`fail_next`](Self::fail_next) before the start or restart that should
/// fail. It counts the starts it saw, failed or not.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{Strategy, Supervisor, SupervisorSpec};
/// use genserver_core::testing::{Faults, StartFaults};
///
/// #[derive(Clone)]
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let starts = StartFaults::new();
/// let tree = SupervisorSpec::new(Strategy::OneForOne).child(starts.wrap(Worker::child_spec(Worker)));
/// let sup = Supervisor::start(tree).await?;
///
/// // The worker crashes; its restart fails once, then is retried.
/// starts.fail_next();
/// let worker = sup.which_children().await?[0].server.clone().unwrap();
/// worker.kill();
/// # let _ = sup.which_children().await?;
/// # tokio::time::sleep(std::time::Duration::from_secs(1)).await;
/// assert_eq!((starts.starts(), starts.failed()), (3, 1));
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct StartFaults {
    state: Arc<StartState>,
}

#[derive(Default)]
struct StartState {
    pending: AtomicUsize,
    starts: AtomicUsize,
    failed: AtomicUsize,
}

impl StartFaults {
    /// No failure pending.
    pub fn new() -> Self {
        Self::default()
    }

    /// `spec`, whose every start first asks these faults: a pending
    /// failure fails it with [`StartFault`] (as a failed `init`), before
    /// anything is started.
    pub fn wrap(&self, mut spec: ChildSpec) -> ChildSpec {
        let inner = spec.start.clone();
        let state = self.state.clone();
        spec.start = Arc::new(move |parent: AnyServer, overrides: &Overrides| {
            state.starts.fetch_add(1, Ordering::AcqRel);
            let fail = state
                .pending
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                state.failed.fetch_add(1, Ordering::AcqRel);
                let error = ChildStartError::Init(AnyInitError::new(StartFault));
                return Box::pin(std::future::ready(Err(error)));
            }
            inner(parent, overrides)
        });
        spec
    }

    /// `tree` with its child `id` wrapped (see [`wrap`](Self::wrap)): for a
    /// tree built by the code under test.
    ///
    /// # Panics
    ///
    /// If `tree` has no child `id`; the message lists the ids it has.
    #[track_caller]
    pub fn wrap_child(&self, mut tree: SupervisorSpec, id: &str) -> SupervisorSpec {
        let Some(at) = tree.children.iter().position(|c| c.id == id) else {
            let ids: Vec<&str> = tree.children.iter().map(|c| c.id.as_str()).collect();
            panic!(
                "StartFaults::wrap_child: no child {id:?} in the tree; its children are {ids:?}"
            );
        };
        let spec = tree.children.remove(at);
        tree.children.insert(at, self.wrap(spec));
        tree
    }

    /// The next start fails.
    pub fn fail_next(&self) -> &Self {
        self.fail_next_n(1)
    }

    /// The next `n` starts fail.
    pub fn fail_next_n(&self, n: usize) -> &Self {
        self.state.pending.fetch_add(n, Ordering::AcqRel);
        self
    }

    /// How many starts were tried, failed or not.
    pub fn starts(&self) -> usize {
        self.state.starts.load(Ordering::Acquire)
    }

    /// How many starts failed by these faults.
    pub fn failed(&self) -> usize {
        self.state.failed.load(Ordering::Acquire)
    }
}

impl fmt::Debug for StartFaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StartFaults")
            .field("pending", &self.state.pending.load(Ordering::Acquire))
            .field("starts", &self.starts())
            .field("failed", &self.failed())
            .finish()
    }
}
