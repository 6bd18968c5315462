//! [`TaskSupervisor`]: Elixir's `Task.Supervisor`, for tasks that belong
//! to no server. The explanation a user needs is on the type, where
//! rustdoc shows it.
//!
//! ```text
//!  caller ── start_child(fut) ──▶ TaskSupervisor ── spawns ──▶ task (a panic is logged)
//!  caller ── async_nolink(fut) ─▶ TaskSupervisor ── spawns ──▶ task ── Result<R, TaskError> ──▶ TaskHandle<R>
//! ```
//!
//! The supervisor is a server holding its running tasks in a `JoinSet`;
//! finished ones are reaped as new ones start and before it lists them.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};

use tokio::sync::oneshot;
use tokio::task::JoinSet;

use crate::exit_reason::ExitReason;
use crate::id::TaskId;
use crate::server::error::CallError;
use crate::server::panics::{CatchUnwind, InTask, Panic};
use crate::server::tasks::TaskRef;
use crate::supervision::child_spec::Shutdown;
use crate::{Info, call, gen_server};

/// How a task supervisor is set up.
#[derive(Clone, Copy, Debug)]
pub struct TaskSupervisorSpec {
    shutdown: Shutdown,
}

impl Default for TaskSupervisorSpec {
    fn default() -> Self {
        TaskSupervisorSpec {
            shutdown: Shutdown::BrutalKill,
        }
    }
}

impl TaskSupervisorSpec {
    /// Running tasks are aborted at once when the supervisor stops.
    pub fn new() -> Self {
        Self::default()
    }

    /// What the supervisor's shutdown does to tasks still running:
    /// [`Shutdown::BrutalKill`] (the default) aborts them at once, as an
    /// OTP task that does not trap exits dies of its supervisor's shutdown
    /// signal; [`Shutdown::Timeout`] lets them run that long, then aborts
    /// the rest; [`Shutdown::Infinity`] waits for all of them.
    pub fn shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }
}

/// Why a task of [`TaskSupervisor::async_nolink`](TaskSupervisorClient::async_nolink)
/// gave no result.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TaskError {
    /// The task panicked; the panic message.
    Panic(Arc<str>),
    /// The task was aborted before it finished: by
    /// [`TaskHandle::abort`], or by its supervisor's shutdown.
    Aborted,
}

impl TaskError {
    /// The exit reason OTP would give the task's process:
    /// [`ExitReason::Panic`] or [`ExitReason::Killed`].
    pub fn reason(&self) -> ExitReason {
        match self {
            TaskError::Panic(message) => ExitReason::Panic(message.clone()),
            TaskError::Aborted => ExitReason::Killed,
        }
    }
}

impl fmt::Display for TaskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskError::Panic(message) => write!(f, "task panicked: {message}"),
            TaskError::Aborted => f.write_str("task was aborted"),
        }
    }
}

impl std::error::Error for TaskError {}

/// A running task of [`TaskSupervisorClient::async_nolink`]: await it for
/// the task's output (`Task.await/2`, without the link: a panic is a
/// [`TaskError`], not the caller's panic).
///
/// Dropping the handle does not stop the task; its output is then
/// dropped. The handle carries no timeout: wrap the await in
/// `tokio::time::timeout` for one (`Task.yield/2`).
pub struct TaskHandle<R> {
    task: TaskRef,
    output: oneshot::Receiver<Result<R, TaskError>>,
}

impl<R> TaskHandle<R> {
    /// The task's identity, as [`TaskSupervisorClient::children`] lists it.
    pub fn id(&self) -> TaskId {
        self.task.id()
    }

    /// Stops the task (`Task.shutdown(task, :brutal_kill)`); awaiting the
    /// handle then gives [`TaskError::Aborted`], unless it had already
    /// finished. Returns `false` if it had.
    pub fn abort(&self) -> bool {
        self.task.abort()
    }

    /// `true` once the task has finished, panicked or been aborted.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }

    /// The task, without its output: to abort it later from elsewhere.
    pub fn task(&self) -> &TaskRef {
        &self.task
    }
}

impl<R> Future for TaskHandle<R> {
    type Output = Result<R, TaskError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.output)
            .poll(cx)
            .map(|output| output.unwrap_or(Err(TaskError::Aborted)))
    }
}

impl<R> fmt::Debug for TaskHandle<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskHandle")
            .field("task", &self.task.id())
            .field("finished", &self.task.is_finished())
            .finish()
    }
}

/// A task as it crosses into the supervisor.
type BoxTask = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A task supervisor (Elixir's `Task.Supervisor`): runs tasks that belong
/// to no server, under supervision.
///
/// - [`start_child`](TaskSupervisorClient::start_child) runs a task for
///   its effect (fire and forget); a panic is logged, at error level, and
///   ends that task only.
/// - [`async_nolink`](TaskSupervisorClient::async_nolink) runs a task and
///   gives a [`TaskHandle`] whose `.await` is its output, or a
///   [`TaskError`] if it panicked or was aborted: the caller is not linked,
///   a panic never reaches it.
/// - [`children`](TaskSupervisorClient::children) and
///   [`count`](TaskSupervisorClient::count) list the running tasks.
///
/// When the supervisor stops, its running tasks are aborted (or given
/// time first, see [`TaskSupervisorSpec::shutdown`]); they have ended
/// when its `stop` returns. It nests in a supervision tree like any
/// server: `TaskSupervisor::child_spec(spec)` is a child of kind
/// [`ChildKind::Supervisor`](crate::ChildKind::Supervisor). Tasks are not
/// restarted.
///
/// For a task tied to one server, whose result that server handles, use
/// [`Context::spawn`](crate::Context::spawn) instead.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{ChildSpec, Strategy, Supervisor, SupervisorSpec, whereis};
/// use genserver_core::{TaskError, TaskSupervisor, TaskSupervisorSpec};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // In a supervision tree, found by name as Elixir's `MyApp.TaskSupervisor`.
/// let tree = Supervisor::start(SupervisorSpec::new(Strategy::OneForOne).child(
///     ChildSpec::new("tasks", || {
///         TaskSupervisor::start(TaskSupervisorSpec::new()).name("tasks")
///     }),
/// ))
/// .await?;
/// let tasks = whereis::<TaskSupervisor>("tasks").expect("started by the tree");
///
/// let sum = tasks.async_nolink(async { (1..=10).sum::<u32>() }).await?;
/// assert_eq!(sum.await, Ok(55));
///
/// // A panic is the awaiting caller's error, not its panic.
/// let broken = tasks.async_nolink(async { panic!("no luck") }).await?;
/// assert_eq!(broken.await, Err::<(), _>(TaskError::Panic("no luck".into())));
///
/// // Fire and forget, still supervised: stopped with the tree.
/// tasks.start_child(std::future::pending()).await?;
/// assert_eq!(tasks.count().await?, 1);
/// tree.stop(ExitReason::Shutdown).await?;
/// assert!(!tasks.is_alive());
/// # Ok(())
/// # }
/// ```
#[derive(Debug)]
pub struct TaskSupervisor {
    shutdown: Shutdown,
    tasks: JoinSet<()>,
    /// Our id of each running task, by tokio's.
    ids: HashMap<tokio::task::Id, TaskId>,
}

#[gen_server(crate = crate)]
impl TaskSupervisor {
    fn init(spec: TaskSupervisorSpec) -> Result<Self, String> {
        Ok(TaskSupervisor {
            shutdown: spec.shutdown,
            tasks: JoinSet::new(),
            ids: HashMap::new(),
        })
    }

    /// Runs `task` as `id` (the client methods wrap it first).
    #[call]
    fn add_task(&mut self, id: TaskId, task: BoxTask) -> TaskRef {
        self.reap();
        let abort = self.tasks.spawn(task);
        self.ids.insert(abort.id(), id);
        TaskRef::new(id, abort)
    }

    /// The running tasks, in no particular order (`Task.Supervisor.children/1`).
    ///
    /// # Errors
    ///
    /// A [`CallError`](crate::CallError) when the supervisor did not answer
    /// (it is not running, or the call timed out).
    #[call(pub)]
    fn children(&mut self) -> Vec<TaskId> {
        self.reap();
        self.ids.values().copied().collect()
    }

    /// How many tasks are running.
    ///
    /// # Errors
    ///
    /// A [`CallError`](crate::CallError) when the supervisor did not answer
    /// (it is not running, or the call timed out).
    #[call(pub)]
    fn count(&mut self) -> usize {
        self.reap();
        self.ids.len()
    }

    fn handle_info(&mut self, msg: Info<()>) {
        tracing::debug!(?msg, "task supervisor ignored a message");
    }

    /// Stops the running tasks as the spec says; they have ended when
    /// this returns.
    async fn terminate(&mut self, _reason: &ExitReason) {
        let tasks = &mut self.tasks;
        match self.shutdown {
            Shutdown::BrutalKill => {}
            Shutdown::Timeout(limit) => {
                let all = async { while tasks.join_next().await.is_some() {} };
                let _ = tokio::time::timeout(limit, all).await;
            }
            Shutdown::Infinity => while tasks.join_next().await.is_some() {},
        }
        self.tasks.shutdown().await;
        self.ids.clear();
    }
}

impl TaskSupervisor {
    /// Forgets the tasks that have ended.
    fn reap(&mut self) {
        while let Some(ended) = self.tasks.try_join_next_with_id() {
            let id = match ended {
                Ok((id, ())) => id,
                Err(error) => error.id(),
            };
            self.ids.remove(&id);
        }
    }
}

impl TaskSupervisorClient {
    /// Runs `task` under the supervisor, for its effect
    /// (`Task.Supervisor.start_child/2`). A panic ends that task only and
    /// is logged at error level.
    ///
    ///
    /// # Errors
    ///
    /// [`CallError::NoProc`] when the supervisor is not running, or another
    /// [`CallError`] when it exits first; the task then does not run.
    pub async fn start_child<F>(&self, task: F) -> Result<TaskRef, CallError>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let id = TaskId::next();
        let run = async move {
            if let Err(panic) = CatchUnwind(AssertUnwindSafe(InTask(task))).await {
                report(id, panic);
            }
        };
        self.add_task(id, Box::pin(run)).await
    }

    /// Runs `task` under the supervisor and hands back a [`TaskHandle`]
    /// to await its output (`Task.Supervisor.async_nolink/2`): the caller
    /// is not linked to the task, so a panic is
    /// [`TaskError::Panic`] (and logged), and the task outlives a caller
    /// that goes away. The output waits in the handle until it is awaited.
    ///
    ///
    /// # Errors
    ///
    /// As [`start_child`](Self::start_child).
    pub async fn async_nolink<F, R>(&self, task: F) -> Result<TaskHandle<R>, CallError>
    where
        F: Future<Output = R> + Send + 'static,
        R: Send + 'static,
    {
        let id = TaskId::next();
        let (tx, output) = oneshot::channel();
        let run = async move {
            let result = CatchUnwind(AssertUnwindSafe(InTask(task)))
                .await
                .map_err(|panic| {
                    let message = panic.message.clone();
                    report(id, panic);
                    TaskError::Panic(message)
                });
            let _ = tx.send(result);
        };
        let task = self.add_task(id, Box::pin(run)).await?;
        Ok(TaskHandle { task, output })
    }
}

/// One report per crashed task, as OTP logs a crashed task process.
fn report(task: TaskId, panic: Panic) {
    let reason = ExitReason::Panic(panic.message);
    tracing::error!(
        %task,
        %reason,
        location = panic.location.as_deref(),
        "supervised task crashed"
    );
}
