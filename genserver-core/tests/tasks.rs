//! docs/behaviour.md, "Tasks": a server's tasks (`ctx.spawn`, a reply from
//! a task) and the `TaskSupervisor` (Elixir's `Task.Supervisor`).
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Log, eventually, gone, within};
use genserver_core::prelude::*;
use genserver_core::{
    AnyServer, ChildSpec, Shutdown, Strategy, Supervisor, SupervisorSpec, whereis,
};
use genserver_core::{ChildKind, TaskError, TaskId, TaskRef, TaskSupervisor, TaskSupervisorSpec};
use std::future::pending;
use std::time::Duration;
use tokio::sync::oneshot;

const LIMIT: Duration = Duration::from_secs(10);

/// Pushes `entry` to the log when dropped: shows that a pending task was
/// aborted (its future dropped), not left running.
struct OnDrop(Log, &'static str);

impl Drop for OnDrop {
    fn drop(&mut self) {
        self.0.push(self.1);
    }
}

/// A future that never finishes, and logs "task dropped" once aborted.
async fn forever(log: Log) -> Event {
    let _guard = OnDrop(log, "task dropped");
    pending().await
}

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Done(u64),
    Ping,
}

pub struct Boss {
    log: Log,
}

#[gen_server(info = Event)]
impl Boss {
    /// A task answering `Done(n)` after `delay`.
    #[call]
    fn work(&mut self, n: u64, delay: Duration, ctx: &mut Context<Self>) -> TaskRef {
        ctx.spawn(async move {
            tokio::time::sleep(delay).await;
            Event::Done(n)
        })
    }

    /// A task panicking after `delay`.
    #[call]
    fn work_then_panic(&mut self, delay: Duration, ctx: &mut Context<Self>) -> TaskId {
        ctx.spawn(async move {
            tokio::time::sleep(delay).await;
            panic!("task boom")
        })
        .id()
    }

    /// A task that never finishes, and logs its abort.
    #[call]
    fn linger(&mut self, ctx: &mut Context<Self>) -> TaskRef {
        ctx.spawn(forever(self.log.clone()))
    }

    /// A detached task that finishes when `go` fires, and logs it.
    #[call]
    fn detached(&mut self, go: oneshot::Receiver<()>, ctx: &mut Context<Self>) -> TaskRef {
        let log = self.log.clone();
        ctx.spawn_detached(async move {
            let _ = go.await;
            log.push("detached finished");
            Event::Done(7)
        })
    }

    /// Holds the server for `d` (an `async` handler holds it while it awaits).
    #[cast]
    async fn hold(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    #[call]
    fn double_later(
        &mut self,
        reply: ReplyTo<u64>,
        n: u64,
        delay: Duration,
        ctx: &mut Context<Self>,
    ) {
        ctx.reply_from_task(reply, async move {
            tokio::time::sleep(delay).await;
            n * 2
        });
    }

    #[call]
    fn answer_with_panic(&mut self, reply: ReplyTo<u64>, ctx: &mut Context<Self>) {
        ctx.reply_from_task(reply, async { panic!("answer boom") });
    }

    #[call]
    fn answer_never(&mut self, reply: ReplyTo<u64>, ctx: &mut Context<Self>) {
        self.log.push("answering");
        let log = self.log.clone();
        ctx.reply_from_task(reply, async move {
            let _guard = OnDrop(log, "answer dropped");
            pending::<u64>().await
        });
    }

    #[call]
    fn answer_then_abort(&mut self, reply: ReplyTo<u64>, ctx: &mut Context<Self>) {
        let task = ctx.reply_from_task(reply, pending());
        task.abort();
    }

    #[call]
    fn ping(&self) -> &'static str {
        "pong"
    }

    #[cast]
    fn crash(&self) {
        panic!("boss broke")
    }

    #[call]
    fn seen(&self) -> Vec<String> {
        self.log.entries()
    }

    fn handle_info(&mut self, msg: Info<Event>) {
        match msg {
            Info::Message(Event::Done(n)) => self.log.push(format!("done:{n}")),
            Info::Message(Event::Ping) => self.log.push("ping"),
            Info::TaskFailed { task, reason } => self.log.push(format!("failed:{task}:{reason}")),
            other => self.log.push(format!("other:{other:?}")),
        }
    }
}

async fn boss() -> (Server<Boss>, Log) {
    let log = Log::default();
    (Boss::start(Boss { log: log.clone() }).await.unwrap(), log)
}

// ---- ctx.spawn ---------------------------------------------------------

/// `Task.Supervisor.async_nolink` from a GenServer: the result arrives as
/// a message in `handle_info`.
#[tokio::test]
async fn task_result_arrives_in_handle_info() {
    let (server, log) = boss().await;
    let task = server.work(3, Duration::from_millis(5)).await.unwrap();
    eventually(LIMIT, "the task's result in handle_info", || {
        log.contains("done:3")
    })
    .await;
    assert!(task.is_finished());
    assert!(!task.abort(), "a finished task is not running");
}

/// A task's result is a normal message: it queues behind the messages
/// already waiting (unlike a timer's, which takes the priority lane).
#[tokio::test(start_paused = true)]
async fn task_result_queues_behind_messages_already_waiting() {
    let (server, log) = boss().await;
    server.work(1, Duration::from_millis(10)).await.unwrap();
    server.hold(Duration::from_millis(50)); // busy until t = 50
    tokio::time::sleep(Duration::from_millis(1)).await;
    server.send(Event::Ping); // queued at t = 1, the result at t = 10
    within(LIMIT, "both handled", async {
        while log.entries().len() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!(log.entries(), ["ping", "done:1"]);
}

/// In a full bounded mailbox, a task's result waits for room; the
/// overflow policy does not drop it.
#[tokio::test(start_paused = true)]
async fn task_result_waits_for_room_in_a_full_bounded_mailbox() {
    let log = Log::default();
    let server = Boss::start(Boss { log: log.clone() })
        .mailbox(Mailbox::bounded(1).with_overflow(Overflow::DropNewest))
        .await
        .unwrap();
    server.work(4, Duration::from_millis(10)).await.unwrap();
    server.hold(Duration::from_millis(50)); // busy until t = 50
    tokio::time::sleep(Duration::from_millis(1)).await;
    server.send(Event::Ping); // fills the mailbox before the result comes
    eventually(LIMIT, "the result, after the ping", || {
        log.contains("done:4")
    })
    .await;
    assert_eq!(log.entries(), ["ping", "done:4"]);
    assert_eq!(server.dropped(), 0);
}

/// `{:DOWN, ref, :process, pid, reason}` of an `async_nolink` task: the
/// panic reaches `handle_info` with the task's id, and the server runs on.
#[tokio::test]
async fn task_panic_arrives_as_task_failed_in_handle_info() {
    let (server, log) = boss().await;
    let task = server.work_then_panic(Duration::ZERO).await.unwrap();
    let expected = format!("failed:{task}:panicked: task boom");
    eventually(LIMIT, "Info::TaskFailed in handle_info", || {
        log.contains(&expected)
    })
    .await;
    assert!(server.is_alive());
    assert_eq!(server.ping().await, Ok("pong"));
}

/// A task's failure is a notice from the runtime, like a monitor's `Down`:
/// it takes the priority lane, ahead of queued messages.
#[tokio::test(start_paused = true)]
async fn task_failure_overtakes_queued_messages() {
    let (server, log) = boss().await;
    let task = server
        .work_then_panic(Duration::from_millis(10))
        .await
        .unwrap();
    server.hold(Duration::from_millis(50)); // busy until t = 50
    tokio::time::sleep(Duration::from_millis(1)).await;
    server.send(Event::Ping); // queued at t = 1, the failure at t = 10
    within(LIMIT, "both handled", async {
        while log.entries().len() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!(
        log.entries(),
        [format!("failed:{task}:panicked: task boom"), "ping".into()]
    );
}

/// A linked `Task` dies with its caller: a crashed server's tasks are
/// aborted (today a plain `tokio::spawn` would outlive it).
#[tokio::test]
async fn task_spawned_by_a_server_is_aborted_when_the_server_crashes() {
    let (server, log) = boss().await;
    let task = server.linger().await.unwrap();
    server.crash();
    gone(&server).await;
    eventually(LIMIT, "the task aborted", || log.contains("task dropped")).await;
    assert!(task.is_finished());
}

/// Whatever the exit reason: a normal stop aborts the tasks too.
#[tokio::test]
async fn task_spawned_by_a_server_is_aborted_when_the_server_stops_normally() {
    let (server, log) = boss().await;
    server.linger().await.unwrap();
    within(LIMIT, "stop", server.stop(ExitReason::Normal))
        .await
        .unwrap();
    eventually(LIMIT, "the task aborted", || log.contains("task dropped")).await;
}

/// A server killed without `terminate` (`:kill`) loses its tasks too.
#[tokio::test]
async fn task_spawned_by_a_server_is_aborted_when_the_server_is_killed() {
    let (server, log) = boss().await;
    server.linger().await.unwrap();
    AnyServer::from(&server).kill();
    gone(&server).await;
    eventually(LIMIT, "the task aborted", || log.contains("task dropped")).await;
}

/// The server's own abort stops the task and delivers nothing
/// (`Task.shutdown/2`).
#[tokio::test]
async fn aborting_a_task_stops_it_and_delivers_nothing() {
    let (server, log) = boss().await;
    let task = server.linger().await.unwrap();
    assert!(task.abort(), "it was running");
    eventually(LIMIT, "the task aborted", || log.contains("task dropped")).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(server.seen().await.unwrap(), ["task dropped"]);
}

/// A detached task is not tied to the server: it runs to its end after
/// the server has exited.
#[tokio::test]
async fn detached_task_outlives_its_server() {
    let (server, log) = boss().await;
    let (go, wait) = oneshot::channel();
    let task = server.detached(wait).await.unwrap();
    server.crash();
    gone(&server).await;
    assert!(!task.is_finished(), "still running after the server's exit");
    go.send(()).unwrap();
    eventually(LIMIT, "the detached task finished", || {
        log.contains("detached finished")
    })
    .await;
}

/// A detached task still delivers its result while the server runs.
#[tokio::test]
async fn detached_task_result_arrives_in_handle_info() {
    let (server, log) = boss().await;
    let (go, wait) = oneshot::channel();
    server.detached(wait).await.unwrap();
    go.send(()).unwrap();
    eventually(LIMIT, "the result in handle_info", || {
        log.contains("done:7")
    })
    .await;
}

// ---- reply from a task -------------------------------------------------

/// `GenServer.reply/2` from a task: the caller gets the task's output,
/// and the server answers other calls meanwhile.
#[tokio::test]
async fn reply_from_task_answers_the_caller() {
    let (server, _log) = boss().await;
    let (doubled, pong) = within(LIMIT, "both calls", async {
        tokio::join!(
            server.double_later(21, Duration::from_millis(50)),
            server.ping()
        )
    })
    .await;
    assert_eq!((doubled, pong), (Ok(42), Ok("pong")));
}

/// A panic in the task answering a call is the caller's error at once,
/// not a hang until its timeout; the server runs on.
#[tokio::test]
async fn panicking_reply_task_gives_the_caller_an_error_not_a_hang() {
    let (server, _log) = boss().await;
    let result = within(
        Duration::from_secs(2),
        "the error, well before the 60 s timeout",
        server
            .with_timeout(Duration::from_secs(60))
            .answer_with_panic(),
    )
    .await;
    assert_eq!(
        result,
        Err(CallError::TaskFailed(ExitReason::Panic(
            "answer boom".into()
        )))
    );
    assert_eq!(server.ping().await, Ok("pong"));
}

/// An aborted reply task fails the call at once, with `Killed`.
#[tokio::test]
async fn aborted_reply_task_gives_the_caller_an_error_not_a_hang() {
    let (server, _log) = boss().await;
    let result = within(
        Duration::from_secs(2),
        "the error, well before the 60 s timeout",
        server
            .with_timeout(Duration::from_secs(60))
            .answer_then_abort(),
    )
    .await;
    assert_eq!(result, Err(CallError::TaskFailed(ExitReason::Killed)));
}

/// The reply task dies with its server, and the caller learns the
/// server's exit reason, as for any call the server had not answered.
#[tokio::test]
async fn reply_task_dies_with_its_server_and_the_caller_gets_the_exit_reason() {
    let (server, log) = boss().await;
    let slow = server.with_timeout(Duration::from_secs(60));
    let call = tokio::spawn(async move { slow.answer_never().await });
    eventually(LIMIT, "the call handled", || log.contains("answering")).await;
    server.crash();
    let result = within(Duration::from_secs(2), "the caller's error", call)
        .await
        .unwrap();
    assert_eq!(
        result,
        Err(CallError::Exited(ExitReason::Panic("boss broke".into())))
    );
    eventually(LIMIT, "the task aborted", || log.contains("answer dropped")).await;
}

// ---- TaskSupervisor ----------------------------------------------------

async fn task_supervisor(spec: TaskSupervisorSpec) -> Server<TaskSupervisor> {
    TaskSupervisor::start(spec).await.unwrap()
}

/// `Task.Supervisor.async_nolink` + `Task.await`: the task's output.
#[tokio::test]
async fn task_supervisor_async_nolink_returns_the_result() {
    let sup = task_supervisor(TaskSupervisorSpec::new()).await;
    let task = sup.async_nolink(async { 6 * 7 }).await.unwrap();
    assert_eq!(within(LIMIT, "the result", task).await, Ok(42));
}

/// Not linked: a panic is the awaiting caller's error, not its panic, and
/// the supervisor runs on.
#[tokio::test]
async fn task_supervisor_async_nolink_returns_panic_as_error() {
    let sup = task_supervisor(TaskSupervisorSpec::new()).await;
    let task = sup
        .async_nolink(async { panic!("nolink boom") })
        .await
        .unwrap();
    let result: Result<(), TaskError> = within(LIMIT, "the error", task).await;
    assert_eq!(result, Err(TaskError::Panic("nolink boom".into())));
    assert_eq!(
        result.unwrap_err().reason(),
        ExitReason::Panic("nolink boom".into())
    );
    assert!(sup.is_alive());
    assert_eq!(sup.count().await, Ok(0));
}

/// `Task.shutdown(task, :brutal_kill)`: an aborted task's handle gives
/// `Aborted`.
#[tokio::test]
async fn task_supervisor_aborted_task_gives_aborted() {
    let sup = task_supervisor(TaskSupervisorSpec::new()).await;
    let task = sup.async_nolink(pending::<u32>()).await.unwrap();
    assert!(task.abort());
    assert_eq!(
        within(LIMIT, "the error", task).await,
        Err(TaskError::Aborted)
    );
}

/// The caller is not linked: a task whose handle is dropped runs on.
#[tokio::test]
async fn task_supervisor_async_nolink_task_outlives_its_dropped_handle() {
    let sup = task_supervisor(TaskSupervisorSpec::new()).await;
    let log = Log::default();
    let (go, wait) = oneshot::channel::<()>();
    let seen = log.clone();
    let task = sup
        .async_nolink(async move {
            let _ = wait.await;
            seen.push("finished");
        })
        .await
        .unwrap();
    drop(task);
    go.send(()).unwrap();
    eventually(LIMIT, "the task finished", || log.contains("finished")).await;
}

/// `Task.Supervisor.start_child`: fire and forget; a panic ends that task
/// only.
#[tokio::test]
async fn task_supervisor_start_child_runs_the_task_and_survives_its_panic() {
    let sup = task_supervisor(TaskSupervisorSpec::new()).await;
    let log = Log::default();
    let seen = log.clone();
    sup.start_child(async { panic!("child boom") })
        .await
        .unwrap();
    sup.start_child(async move { seen.push("ran") })
        .await
        .unwrap();
    eventually(LIMIT, "the task ran", || log.contains("ran")).await;
    assert!(sup.is_alive());
    within(LIMIT, "no task left", async {
        while sup.count().await.unwrap() != 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// `Task.Supervisor.children/1`: the running tasks, and only those.
#[tokio::test]
async fn task_supervisor_lists_and_counts_running_tasks() {
    let sup = task_supervisor(TaskSupervisorSpec::new()).await;
    let a = sup.start_child(pending()).await.unwrap();
    let (go, wait) = oneshot::channel::<()>();
    let b = sup
        .start_child(async move {
            let _ = wait.await;
        })
        .await
        .unwrap();
    let mut children = sup.children().await.unwrap();
    children.sort();
    assert_eq!(children, [a.id(), b.id()]);
    assert_eq!(sup.count().await, Ok(2));
    go.send(()).unwrap();
    within(LIMIT, "the finished task gone from the list", async {
        while sup.children().await.unwrap() != [a.id()] {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    a.abort();
    within(LIMIT, "the aborted task gone from the list", async {
        while sup.count().await.unwrap() != 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
}

/// Tasks do not trap exits: the supervisor's shutdown aborts them, and
/// they have ended when its `stop` returns.
#[tokio::test]
async fn task_supervisor_shutdown_aborts_running_tasks() {
    let sup = task_supervisor(TaskSupervisorSpec::new()).await;
    let log = Log::default();
    let handle = sup.async_nolink(forever(log.clone())).await.unwrap();
    within(LIMIT, "stop", sup.stop(ExitReason::Shutdown))
        .await
        .unwrap();
    assert_eq!(log.entries(), ["task dropped"]);
    assert_eq!(
        within(LIMIT, "the error", handle).await,
        Err(TaskError::Aborted)
    );
}

/// With a shutdown timeout, tasks get that long to finish, then the rest
/// are aborted (OTP's `shutdown: ms`).
#[tokio::test(start_paused = true)]
async fn task_supervisor_shutdown_timeout_lets_tasks_finish_then_aborts_the_rest() {
    let spec = TaskSupervisorSpec::new().shutdown(Shutdown::Timeout(Duration::from_millis(100)));
    let sup = task_supervisor(spec).await;
    let log = Log::default();
    let quick = sup
        .async_nolink(async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            "quick"
        })
        .await
        .unwrap();
    let slow = sup.async_nolink(forever(log.clone())).await.unwrap();
    let started = tokio::time::Instant::now();
    within(LIMIT, "stop", sup.stop(ExitReason::Shutdown))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(quick.await, Ok("quick"));
    assert_eq!(slow.await, Err(TaskError::Aborted));
    assert_eq!(log.entries(), ["task dropped"]);
}

/// `Shutdown::Infinity`: the supervisor's shutdown waits for every task.
#[tokio::test(start_paused = true)]
async fn task_supervisor_shutdown_infinity_waits_for_every_task() {
    let sup = task_supervisor(TaskSupervisorSpec::new().shutdown(Shutdown::Infinity)).await;
    let slow = sup
        .async_nolink(async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            "slow"
        })
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    within(LIMIT, "stop", sup.stop(ExitReason::Shutdown))
        .await
        .unwrap();
    assert!(started.elapsed() >= Duration::from_secs(1));
    assert_eq!(slow.await, Ok("slow"));
}

/// `Task.Supervisor` in a supervision tree: a child of kind supervisor,
/// stopped with the tree, its tasks with it.
#[tokio::test]
async fn task_supervisor_nests_in_a_supervision_tree() {
    let spec = TaskSupervisor::child_spec(TaskSupervisorSpec::new());
    let text = format!("{spec:?}");
    assert!(
        text.contains(&format!("{:?}", ChildKind::Supervisor)) && text.contains("Infinity"),
        "{text}"
    );
    let tree = Supervisor::start(
        SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::new("tasks", || {
            TaskSupervisor::start(TaskSupervisorSpec::new()).name("nested-tasks")
        })),
    )
    .await
    .unwrap();
    let sup = whereis::<TaskSupervisor>("nested-tasks").unwrap();
    let first = Log::default();
    let seen = first.clone();
    sup.start_child(async move {
        forever(seen).await;
    })
    .await
    .unwrap();
    // A task supervisor killed under the tree loses its tasks, and is
    // restarted, empty.
    AnyServer::from(&sup).kill();
    gone(&sup).await;
    eventually(LIMIT, "the killed supervisor's task aborted", || {
        first.contains("task dropped")
    })
    .await;
    let restarted = within(LIMIT, "the restart", async {
        loop {
            match whereis::<TaskSupervisor>("nested-tasks") {
                Some(s) if s != sup => break s,
                _ => tokio::time::sleep(Duration::from_millis(1)).await,
            }
        }
    })
    .await;
    assert_eq!(restarted.count().await, Ok(0));
    let log = Log::default();
    let handle = restarted.async_nolink(forever(log.clone())).await.unwrap();
    within(LIMIT, "the tree stops", tree.stop(ExitReason::Shutdown))
        .await
        .unwrap();
    assert!(!restarted.is_alive());
    assert_eq!(log.entries(), ["task dropped"]);
    assert_eq!(handle.await, Err(TaskError::Aborted));
}

/// A task offered to a supervisor that is gone does not run.
#[tokio::test]
async fn task_supervisor_not_running_refuses_tasks() {
    let sup = task_supervisor(TaskSupervisorSpec::new()).await;
    sup.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(
        sup.async_nolink(async { 1 }).await.unwrap_err(),
        CallError::NoProc
    );
    assert_eq!(
        sup.start_child(async {}).await.unwrap_err(),
        CallError::NoProc
    );
}

#[test]
fn task_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TaskError>();
    send_sync::<genserver_core::TaskHandle<u64>>();
    send_sync::<Server<TaskSupervisor>>();
    send_sync::<TaskRef>();
    send_sync::<TaskId>();
    send_sync::<Info<u64>>();
}
