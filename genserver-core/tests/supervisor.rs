//! docs/behaviour.md, "Supervisor": one test per row.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::Log;
use genserver_core::prelude::*;
use genserver_core::{
    AnyServer, ChildSpec, Keys, Named, Registry, Restart, Shutdown, Strategy, Supervisor,
    SupervisorSpec,
};
use genserver_core::{ChildKind, ChildStartError, SupervisorError};
use std::time::Duration;

/// A child that logs its life: `start:<id>` in init, `stop:<id>` in terminate.
pub struct Worker {
    id: &'static str,
    log: Log,
    slow_stop: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mode {
    Ok,
    FailInit,
    Ignore,
    SlowStop(Duration),
}

#[gen_server]
impl Worker {
    async fn init(id: &'static str, log: Log, mode: Mode) -> Result<Option<Self>, String> {
        if mode == Mode::FailInit {
            log.push(format!("fail:{id}"));
            return Err(format!("{id} refuses"));
        }
        if mode == Mode::Ignore {
            log.push(format!("ignore:{id}"));
            return Ok(None);
        }
        log.push(format!("start:{id}"));
        let slow_stop = match mode {
            Mode::SlowStop(d) => d,
            _ => Duration::ZERO,
        };
        Ok(Some(Worker { id, log, slow_stop }))
    }

    #[cast]
    pub fn crash(&mut self) {
        panic!("{} crashed", self.id)
    }

    #[call]
    pub fn finish(&mut self, reason: ExitReason, ctx: &mut Context<Self>) {
        ctx.stop(reason);
    }

    #[call]
    pub fn ping(&self) -> &'static str {
        self.id
    }

    fn handle_info(&mut self, _msg: Info<()>) {}

    async fn terminate(&mut self, _reason: &ExitReason) {
        tokio::time::sleep(self.slow_stop).await;
        self.log.push(format!("stop:{}", self.id));
    }
}

fn worker(id: &'static str, log: &Log) -> ChildSpec {
    Worker::child_spec(id, log.clone(), Mode::Ok).with_id(id)
}

async fn supervise(strategy: Strategy, children: Vec<ChildSpec>) -> Server<Supervisor> {
    Supervisor::start(SupervisorSpec::new(strategy).children(children))
        .await
        .unwrap()
}

/// The running child `id`, waiting for a restart to complete.
async fn child(sup: &Server<Supervisor>, id: &str) -> Server<Worker> {
    for _ in 0..500 {
        let children = sup.which_children().await.unwrap();
        if let Some(server) = children
            .iter()
            .find(|c| c.id == id)
            .and_then(|c| c.server.clone())
            && server.is_alive()
        {
            return server.downcast().unwrap();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("child {id} is not running")
}

/// Crashes `id` and waits until the supervisor has a new one running.
async fn crash_and_wait(sup: &Server<Supervisor>, id: &str) -> Server<Worker> {
    let old = child(sup, id).await;
    old.crash();
    crate::common::gone(&old).await;
    for _ in 0..500 {
        let new = child(sup, id).await;
        if new.id() != old.id() {
            return new;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("child {id} was not restarted")
}

async fn wait_for(log: &Log, entry: &str) {
    for _ in 0..500 {
        if log.contains(entry) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("never saw {entry}: {:?}", log.entries())
}

#[tokio::test]
async fn child_spec_defaults_permanent_worker_5000_ms_and_supervisor_infinity() {
    let log = Log::default();
    let spec = worker("a", &log);
    assert_eq!(spec.id(), "a");
    let text = format!("{spec:?}");
    assert!(
        text.contains("Permanent") && text.contains("Timeout(5s)") && text.contains("Worker"),
        "{text}"
    );
    let nested = Supervisor::child_spec(SupervisorSpec::new(Strategy::OneForOne));
    let text = format!("{nested:?}");
    assert!(
        nested.id() == "Supervisor" && text.contains("Infinity") && text.contains("Supervisor"),
        "{text}"
    );
}

#[tokio::test]
async fn children_start_in_order_each_init_acknowledged_before_the_next() {
    let log = Log::default();
    let sup = supervise(
        Strategy::OneForOne,
        vec![worker("a", &log), worker("b", &log), worker("c", &log)],
    )
    .await;
    assert_eq!(log.entries(), ["start:a", "start:b", "start:c"]);
    let ids: Vec<String> = sup
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[tokio::test]
async fn a_child_failing_to_start_stops_those_started_and_fails_the_supervisor() {
    let log = Log::default();
    let failing = Worker::child_spec("b", log.clone(), Mode::FailInit).with_id("b");
    let err = Supervisor::start(SupervisorSpec::new(Strategy::OneForOne).children([
        worker("a", &log),
        failing,
        worker("c", &log),
    ]))
    .await
    .unwrap_err();
    match err {
        StartError::Init(SupervisorError::StartChild { id, error }) => {
            assert_eq!(id, "b");
            // The child's own init error, typed.
            let ChildStartError::Init(init) = &error else {
                panic!("expected an init error, got {error:?}");
            };
            assert_eq!(init.downcast::<String>().unwrap(), "b refuses");
        }
        other => panic!("expected StartChild, got {other:?}"),
    }
    assert_eq!(log.entries(), ["start:a", "fail:b", "stop:a"]);
}

#[tokio::test]
async fn one_for_one_restarts_only_the_failed_child() {
    let log = Log::default();
    let sup = supervise(
        Strategy::OneForOne,
        vec![worker("a", &log), worker("b", &log), worker("c", &log)],
    )
    .await;
    let a = child(&sup, "a").await;
    let c = child(&sup, "c").await;
    crash_and_wait(&sup, "b").await;
    assert_eq!(
        log.entries(),
        ["start:a", "start:b", "start:c", "stop:b", "start:b"]
    );
    assert!(a.is_alive() && c.is_alive());
}

#[tokio::test]
async fn one_for_all_stops_the_others_in_reverse_order_and_restarts_all_in_order() {
    let log = Log::default();
    let sup = supervise(
        Strategy::OneForAll,
        vec![worker("a", &log), worker("b", &log), worker("c", &log)],
    )
    .await;
    crash_and_wait(&sup, "b").await;
    wait_for(&log, "start:c").await;
    let after: Vec<String> = log.entries().into_iter().skip(3).collect();
    assert_eq!(
        after,
        [
            "stop:b", "stop:c", "stop:a", "start:a", "start:b", "start:c"
        ]
    );
}

#[tokio::test]
async fn rest_for_one_restarts_the_failed_child_and_those_after_it() {
    let log = Log::default();
    let sup = supervise(
        Strategy::RestForOne,
        vec![worker("a", &log), worker("b", &log), worker("c", &log)],
    )
    .await;
    let a = child(&sup, "a").await;
    crash_and_wait(&sup, "b").await;
    wait_for(&log, "start:c").await;
    let after: Vec<String> = log.entries().into_iter().skip(3).collect();
    assert_eq!(after, ["stop:b", "stop:c", "start:b", "start:c"]);
    assert!(a.is_alive());
}

#[tokio::test]
async fn transient_child_is_restarted_after_a_crash_not_after_normal_or_shutdown() {
    let log = Log::default();
    let spec = worker("t", &log).with_restart(Restart::Transient);
    let sup = supervise(Strategy::OneForOne, vec![spec]).await;
    crash_and_wait(&sup, "t").await;
    let t = child(&sup, "t").await;
    t.finish(ExitReason::Normal).await.unwrap();
    crate::common::gone(&t).await;
    let info = sup.which_children().await.unwrap();
    assert_eq!(info.len(), 1);
    assert!(
        info[0].server.is_none(),
        "a transient child ending normally stays down"
    );
    assert_eq!(sup.count_children().await.unwrap().active, 0);
}

#[tokio::test]
async fn temporary_child_is_never_restarted_and_its_spec_is_dropped() {
    let log = Log::default();
    let spec = worker("tmp", &log).with_restart(Restart::Temporary);
    let sup = supervise(Strategy::OneForOne, vec![spec, worker("p", &log)]).await;
    let tmp = child(&sup, "tmp").await;
    tmp.crash();
    crate::common::gone(&tmp).await;
    let ids: Vec<String> = sup
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["p"]);
    assert_eq!(
        log.entries().iter().filter(|e| *e == "start:tmp").count(),
        1
    );
}

#[tokio::test]
async fn restart_intensity_exceeded_stops_all_children_and_exits_with_shutdown() {
    let log = Log::default();
    let sup = supervise(
        Strategy::OneForOne,
        vec![worker("a", &log), worker("b", &log)],
    )
    .await;
    let b = child(&sup, "b").await;
    let watcher = Watcher::start(Watcher {
        log: Log::default(),
    })
    .await
    .unwrap();
    watcher.watch(AnyServer::from(&sup)).await.unwrap();
    // Three restarts are allowed within 5 s; the fourth crash is one too many.
    for _ in 0..3 {
        crash_and_wait(&sup, "a").await;
    }
    let _ = b;
    child(&sup, "a").await.crash();
    crate::common::gone(&sup).await;
    assert_eq!(watcher.reasons().await.unwrap(), ["shutdown"]);
    // Every child was stopped, in reverse order, before the supervisor exited.
    let entries = log.entries();
    assert_eq!(entries.last().map(String::as_str), Some("stop:b"));
}

#[tokio::test(start_paused = true)]
async fn restart_intensity_is_a_sliding_window() {
    let log = Log::default();
    let sup = supervise(Strategy::OneForOne, vec![worker("a", &log)]).await;
    for _ in 0..3 {
        crash_and_wait(&sup, "a").await;
    }
    // After the window has passed, three more restarts are fine.
    tokio::time::sleep(Duration::from_secs(6)).await;
    for _ in 0..3 {
        crash_and_wait(&sup, "a").await;
    }
    assert!(sup.is_alive());
}

#[tokio::test]
async fn shutdown_stops_children_in_reverse_order_running_terminate() {
    let log = Log::default();
    let sup = supervise(
        Strategy::OneForOne,
        vec![worker("a", &log), worker("b", &log), worker("c", &log)],
    )
    .await;
    sup.stop(ExitReason::Shutdown).await.unwrap();
    let after: Vec<String> = log.entries().into_iter().skip(3).collect();
    assert_eq!(after, ["stop:c", "stop:b", "stop:a"]);
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_the_childs_timeout_then_kills_it() {
    let log = Log::default();
    let slow = Worker::child_spec("slow", log.clone(), Mode::SlowStop(Duration::from_secs(60)))
        .with_id("slow")
        .with_shutdown(Shutdown::Timeout(Duration::from_millis(100)));
    let sup = supervise(Strategy::OneForOne, vec![slow]).await;
    let started = tokio::time::Instant::now();
    sup.with_timeout(Duration::from_secs(10))
        .stop(ExitReason::Shutdown)
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_secs(1),
        "{waited:?}"
    );
    assert!(
        !log.contains("stop:slow"),
        "killed before its terminate finished"
    );
}

#[tokio::test]
async fn brutal_kill_stops_a_child_without_terminate() {
    let log = Log::default();
    let spec = worker("k", &log).with_shutdown(Shutdown::BrutalKill);
    let sup = supervise(Strategy::OneForOne, vec![spec]).await;
    let k = child(&sup, "k").await;
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert!(!k.is_alive());
    assert_eq!(log.entries(), ["start:k"]);
}

#[tokio::test]
async fn which_count_start_terminate_restart_delete_child() {
    let log = Log::default();
    let sup = supervise(Strategy::OneForOne, vec![worker("a", &log)]).await;
    let nested = Supervisor::child_spec(SupervisorSpec::new(Strategy::OneForOne)).with_id("sub");
    sup.start_child(nested).await.unwrap();
    let b = sup.start_child(worker("b", &log)).await.unwrap().unwrap();
    assert_eq!(
        sup.start_child(worker("b", &log)).await.unwrap_err(),
        SupervisorError::AlreadyPresent("b".into())
    );
    let count = sup.count_children().await.unwrap();
    assert_eq!(
        (count.specs, count.active, count.supervisors, count.workers),
        (3, 3, 1, 2)
    );
    let kinds: Vec<ChildKind> = sup
        .which_children()
        .await
        .unwrap()
        .iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        kinds,
        [ChildKind::Worker, ChildKind::Supervisor, ChildKind::Worker]
    );

    sup.terminate_child("b").await.unwrap();
    assert!(!b.is_alive());
    assert!(log.contains("stop:b"));
    assert_eq!(sup.count_children().await.unwrap().active, 2);
    assert_eq!(
        sup.delete_child("a").await.unwrap_err(),
        SupervisorError::Running("a".into())
    );
    let b2 = sup.restart_child("b").await.unwrap().unwrap();
    assert!(b2.is_alive() && b2 != b);
    sup.terminate_child("b").await.unwrap();
    sup.delete_child("b").await.unwrap();
    assert_eq!(
        sup.restart_child("b").await.unwrap_err(),
        SupervisorError::NotFound("b".into())
    );
    assert_eq!(sup.count_children().await.unwrap().specs, 2);
}

#[tokio::test]
async fn supervisors_nest_and_an_inner_one_past_its_intensity_is_restarted_by_the_outer() {
    let log = Log::default();
    let inner = Supervisor::child_spec(
        SupervisorSpec::new(Strategy::OneForOne)
            .child(worker("leaf", &log))
            .intensity(0, Duration::from_secs(5)),
    )
    .with_id("inner");
    let outer = supervise(Strategy::OneForOne, vec![inner]).await;
    let first_inner: Server<Supervisor> = outer.which_children().await.unwrap()[0]
        .server
        .clone()
        .unwrap()
        .downcast()
        .unwrap();
    // The inner supervisor allows no restart: the leaf's crash takes it
    // down with `shutdown`, and the outer one starts it again.
    child(&first_inner, "leaf").await.crash();
    crate::common::gone(&first_inner).await;
    wait_for(&log, "start:leaf").await;
    for _ in 0..500 {
        let children = outer.which_children().await.unwrap();
        if let Some(server) = &children[0].server
            && server.id() != first_inner.id()
        {
            let second: Server<Supervisor> = server.downcast().unwrap();
            assert!(child(&second, "leaf").await.is_alive());
            assert_eq!(
                log.entries().iter().filter(|e| *e == "start:leaf").count(),
                2
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    panic!("the inner supervisor was not restarted");
}

#[tokio::test]
async fn a_supervisor_crash_takes_its_children_down() {
    let log = Log::default();
    let sup = supervise(Strategy::OneForOne, vec![worker("a", &log)]).await;
    let a = child(&sup, "a").await;
    AnyServer::from(&sup).kill();
    crate::common::gone(&a).await;
    assert!(!a.is_alive());
}

/// Reports the exit reasons of what it monitors.
pub struct Watcher {
    log: Log,
}

#[gen_server]
impl Watcher {
    #[call]
    fn watch(&mut self, target: AnyServer, ctx: &mut Context<Self>) {
        ctx.monitor(target);
    }

    #[call]
    async fn reasons(&self) -> Vec<String> {
        self.log.entries()
    }

    fn handle_info(&mut self, msg: Info<()>) {
        if let Info::Down { reason, .. } = msg {
            self.log.push(reason.to_string());
        }
    }
}

#[tokio::test]
async fn init_ignore_keeps_the_spec_without_a_running_child() {
    let log = Log::default();
    let ignored = Worker::child_spec("i", log.clone(), Mode::Ignore).with_id("i");
    let sup = supervise(
        Strategy::OneForOne,
        vec![worker("a", &log), ignored, worker("b", &log)],
    )
    .await;
    assert_eq!(log.entries(), ["start:a", "ignore:i", "start:b"]);
    let children = sup.which_children().await.unwrap();
    assert_eq!(children.len(), 3);
    assert!(children[1].server.is_none());
    let count = sup.count_children().await.unwrap();
    assert_eq!(
        (count.specs, count.active, count.supervisors, count.workers),
        (3, 2, 0, 3)
    );
    assert_eq!(sup.restart_child("i").await, Ok(None));
}

/// `ChildSpec::with_name`: every start and restart of the child takes the name,
/// with no start closure of the user's own.
#[tokio::test]
async fn a_child_spec_name_names_every_start_of_the_child() {
    let log = Log::default();
    let names: Registry<&'static str> = Registry::new(Keys::Unique);
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(
            Worker::child_spec("local", log.clone(), Mode::Ok)
                .with_name("child-spec-name-local")
                .with_id("local"),
        )
        .child(
            Worker::child_spec("via", log.clone(), Mode::Ok)
                .with_name(names.via("via"))
                .with_id("via"),
        );
    let sup = Supervisor::start(spec).await.unwrap();
    let local: Named<Worker> = Named::new("child-spec-name-local");
    let via: Named<Worker> = Named::new(names.via("via"));
    assert_eq!(local.ping().await, Ok("local"));
    assert_eq!(via.ping().await, Ok("via"));
    let first = local.whereis().unwrap();
    first.crash();
    first.exited().await;
    // The restart takes the name again.
    let restarted = common::within(Duration::from_secs(10), "the restart", async {
        loop {
            match local.whereis() {
                Some(server) if server != first => return server,
                _ => tokio::task::yield_now().await,
            }
        }
    })
    .await;
    assert_eq!(restarted.ping().await, Ok("local"));
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert!(local.whereis().is_none() && via.whereis().is_none());
}
