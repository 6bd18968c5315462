//! A server's tasks (Elixir's `Task` started from a GenServer): what
//! [`Context::spawn`](crate::Context::spawn),
//! [`Context::spawn_detached`](crate::Context::spawn_detached) and
//! [`Context::reply_from_task`](crate::Context::reply_from_task) run.
//!
//! ```text
//!  handler ── ctx.spawn(fut) ──▶ task ── output ──▶ user lane ──▶ handle_info(Info::Message)
//!                                  └──── panic ───▶ priority lane ─▶ handle_info(Info::TaskFailed)
//!
//!  call handler ── ctx.reply_from_task(reply, fut) ──▶ task ── output ──▶ the caller's reply
//!                                                        └─── panic / abort ─▶ CallError::TaskFailed
//! ```
//!
//! A task's output is a message like any other (OTP's `{ref, result}`
//! from `async_nolink`): it queues behind what is already in the mailbox,
//! and waits for room in a bounded one rather than being dropped. A
//! panic is a notice from the runtime, like a monitor's `Down`, and takes
//! the priority lane. Tasks are kept in the context's set of timers and
//! tasks, reaped as new ones start, and aborted when the server exits.

use std::future::Future;
use std::panic::AssertUnwindSafe;

use tokio::task::{AbortHandle, JoinSet};

use crate::exit_reason::ExitReason;
use crate::id::TaskId;
use crate::server::context::Context;
use crate::server::gen_server::GenServer;
use crate::server::handle::Handle;
use crate::server::mailbox::{Envelope, Lane, System};
use crate::server::panics::{CatchUnwind, InTask, Panic};
use crate::server::reply::ReplyTo;

/// A running task of a server, from [`Context::spawn`](crate::Context::spawn),
/// [`Context::spawn_detached`](crate::Context::spawn_detached) or
/// [`Context::reply_from_task`](crate::Context::reply_from_task); or one of
/// a [`TaskSupervisor`](crate::TaskSupervisor)'s tasks.
///
/// Its [`id`](Self::id) names it in [`Info::TaskFailed`](crate::Info::TaskFailed).
/// Dropping a `TaskRef` does not stop the task.
#[derive(Debug, Clone)]
pub struct TaskRef {
    id: TaskId,
    task: AbortHandle,
}

/// Two `TaskRef`s are equal when they name the same task.
impl PartialEq for TaskRef {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for TaskRef {}

impl std::hash::Hash for TaskRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.id.hash(state)
    }
}

impl TaskRef {
    pub(crate) fn new(id: TaskId, task: AbortHandle) -> Self {
        TaskRef { id, task }
    }

    /// The task's identity.
    pub fn id(&self) -> TaskId {
        self.id
    }

    /// Stops the task (`Task.shutdown(task, :brutal_kill)`). Returns
    /// `false` if it had already finished: its message may then be waiting
    /// in the mailbox, as a timer's may after
    /// [`TimerRef::cancel`](crate::TimerRef::cancel).
    ///
    /// A task of [`Context::spawn`](crate::Context::spawn) that its server
    /// aborts delivers nothing; the caller of a
    /// [`Context::reply_from_task`](crate::Context::reply_from_task) gets
    /// [`CallError::TaskFailed`](crate::CallError::TaskFailed) with
    /// [`ExitReason::Killed`].
    pub fn abort(&self) -> bool {
        let running = !self.task.is_finished();
        self.task.abort();
        running
    }

    /// `true` once the task has finished, panicked or been aborted.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// Runs a server's task: its output goes to `handle_info` as
/// `Info::Message`, a panic as `Info::TaskFailed`.
pub(crate) async fn deliver<T: GenServer>(
    server: Handle<T>,
    task: TaskId,
    future: impl Future<Output = T::Info>,
) {
    match CatchUnwind(AssertUnwindSafe(InTask(future))).await {
        Ok(message) => {
            // A normal message: behind what is queued, and waiting for room
            // in a bounded mailbox rather than dropped. Gone with the server.
            let _ = server
                .shared()
                .mailbox
                .send_wait(Envelope::Info(message), None)
                .await;
        }
        Err(panic) => {
            let reason = report::<T>(&server, task, panic);
            let failed = System::TaskFailed { task, reason };
            server.send(Envelope::System(Box::new(failed)), Lane::Priority);
        }
    }
}

/// Runs a task that answers a call: its output is the reply; a panic or an
/// abort fails the call at once. The reply is guarded before the task
/// starts: one aborted before its first poll fails the call too.
pub(crate) fn answer<T: GenServer, R>(
    server: Handle<T>,
    task: TaskId,
    reply: ReplyTo<R>,
    future: impl Future<Output = R>,
) -> impl Future<Output = ()> {
    let mut pending = Pending {
        server,
        reply: Some(reply),
    };
    async move {
        let outcome = CatchUnwind(AssertUnwindSafe(InTask(future))).await;
        let reply = pending.reply.take().expect("answered once");
        match outcome {
            Ok(value) => reply.reply(value),
            Err(panic) => {
                let reason = report::<T>(&pending.server, task, panic);
                reply.fail(reason);
            }
        }
    }
}

/// A reply not yet sent; dropped unsent when the task is aborted.
struct Pending<T: GenServer, R> {
    server: Handle<T>,
    reply: Option<ReplyTo<R>>,
}

impl<T: GenServer, R> Drop for Pending<T, R> {
    fn drop(&mut self) {
        let Some(reply) = self.reply.take() else {
            return;
        };
        let process = self.server.process();
        // Aborted because the server exits: dropping the reply slot tells
        // the caller the server's exit reason (`CallError::Exited`).
        // Aborted by the server itself: the call fails now.
        if process.reason().is_none() && process.kill_reason().is_none() {
            reply.fail(ExitReason::Killed);
        }
    }
}

/// One crash report per failed task, at error level, as OTP logs a
/// crashed task process; the reason it failed with.
fn report<T: GenServer>(server: &Handle<T>, task: TaskId, panic: Panic) -> ExitReason {
    let reason = ExitReason::Panic(panic.message);
    tracing::error!(
        server = T::NAME,
        id = %server.id(),
        %task,
        %reason,
        location = panic.location.as_deref(),
        "task crashed"
    );
    reason
}

impl<T: GenServer> Context<T> {
    /// Runs `task` alongside the server, tied to its life (a linked
    /// `Task`, or `Task.Supervisor.async_nolink` from a GenServer): its
    /// output arrives in `handle_info` as
    /// [`Info::Message(output)`](crate::Info::Message), queued behind the
    /// messages already waiting (in a full bounded mailbox it waits for
    /// room; it is never dropped). If it panics, `handle_info` receives
    /// [`Info::TaskFailed`](crate::Info::TaskFailed) with the panic
    /// message, on the priority lane, and the server runs on.
    ///
    /// The task is aborted when the server exits, whatever the reason,
    /// after `terminate`; [`TaskRef::abort`] stops it sooner, with no
    /// message. Finished tasks are reaped as new ones start, so each costs
    /// O(1): a server may start millions over its life.
    pub fn spawn<F>(&mut self, task: F) -> TaskRef
    where
        F: Future<Output = T::Info> + Send + 'static,
    {
        let id = TaskId::next();
        let run = deliver(self.server().handle().clone(), id, task);
        TaskRef::new(id, self.track(run))
    }

    /// Like [`spawn`](Self::spawn), but the task outlives the server: it
    /// runs to its end whatever happens to the server, and its output (or
    /// [`Info::TaskFailed`](crate::Info::TaskFailed)) is delivered only if
    /// the server is still running. For work that must finish, such as a
    /// write the server started.
    pub fn spawn_detached<F>(&mut self, task: F) -> TaskRef
    where
        F: Future<Output = T::Info> + Send + 'static,
    {
        let id = TaskId::next();
        let run = deliver(self.server().handle().clone(), id, task);
        TaskRef::new(id, tokio::spawn(run).abort_handle())
    }

    /// Answers a call from a task (OTP's `GenServer.reply/2` from a
    /// `Task`): a `#[call]` handler that takes a [`ReplyTo<R>`] hands it
    /// here with the slow work, and returns at once; the server handles
    /// other messages meanwhile, and the task's output is the caller's
    /// reply.
    ///
    /// The task dies with the server, as with [`spawn`](Self::spawn);
    /// the caller then gets [`CallError::Exited`](crate::CallError::Exited)
    /// with the server's exit reason. If the task panics, or is aborted
    /// with [`TaskRef::abort`], the caller gets
    /// [`CallError::TaskFailed`](crate::CallError::TaskFailed) at once
    /// (with [`ExitReason::Panic`] or [`ExitReason::Killed`]), never only
    /// its timeout. Nothing reaches `handle_info`.
    pub fn reply_from_task<R, F>(&mut self, reply: ReplyTo<R>, task: F) -> TaskRef
    where
        R: Send + 'static,
        F: Future<Output = R> + Send + 'static,
    {
        let id = TaskId::next();
        let run = answer(self.server().handle().clone(), id, reply, task);
        TaskRef::new(id, self.track(run))
    }

    /// Runs a timer or a task that dies with the server; finished ones are
    /// reaped as new ones start, so each costs O(1).
    pub(crate) fn track(&mut self, task: impl Future<Output = ()> + Send + 'static) -> AbortHandle {
        let tasks = self.timers.get_or_insert_with(JoinSet::new);
        while tasks.try_join_next().is_some() {}
        tasks.spawn(task)
    }
}
