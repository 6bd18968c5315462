//! Behaviours from OTP's own `supervisor_SUITE` and Elixir's
//! `Supervisor`/`DynamicSupervisor` tests: ignored temporary children,
//! group restarts that fail half-way, terminated children in a group, and
//! the *restarting* state of a child whose restart keeps failing.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Log, within};
use genserver_core::prelude::*;
use genserver_core::{
    AnyServer, ChildSpec, DynamicSupervisor, DynamicSupervisorSpec, Restart, Strategy, Supervisor,
    SupervisorSpec,
};
use genserver_core::{ChildStatus, DynamicSupervisorError, SupervisorError};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Makes a child's `init` refuse its next `n` starts.
#[derive(Clone, Default)]
pub struct Refusals(Arc<AtomicUsize>);

impl Refusals {
    fn set(&self, n: usize) {
        self.0.store(n, Ordering::SeqCst);
    }

    fn take_one(&self) -> bool {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// A child that logs `start:<id>`, `refused:<id>` and `stop:<id>`.
pub struct Gated {
    id: &'static str,
    log: Log,
}

#[gen_server]
impl Gated {
    fn init(id: &'static str, log: Log, refusals: Refusals) -> Result<Self, String> {
        if refusals.take_one() {
            log.push(format!("refused:{id}"));
            return Err(format!("{id} refused"));
        }
        log.push(format!("start:{id}"));
        Ok(Gated { id, log })
    }

    #[cast]
    pub fn crash(&self) {
        panic!("{} crashed", self.id)
    }

    #[call]
    pub fn ping(&self) -> &'static str {
        self.id
    }

    fn handle_info(&mut self, _msg: Info<()>) {}

    fn terminate(&mut self, _reason: &ExitReason) {
        self.log.push(format!("stop:{}", self.id));
    }
}

pub struct Ignorer;

#[gen_server]
impl Ignorer {
    fn init() -> Result<Option<Self>, String> {
        Ok(None)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn gated(id: &'static str, log: &Log, refusals: &Refusals) -> ChildSpec {
    Gated::child_spec(id, log.clone(), refusals.clone()).with_id(id)
}

async fn running(sup: &Server<Supervisor>, id: &str) -> Option<Server<Gated>> {
    sup.which_children()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .and_then(|c| c.server)
        .filter(AnyServer::is_alive)
        .and_then(|s| s.downcast())
}

async fn status(sup: &Server<Supervisor>, id: &str) -> Option<ChildStatus> {
    sup.which_children()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .map(|c| c.status)
}

/// Waits until every child in `ids` runs.
async fn all_running(sup: &Server<Supervisor>, ids: &[&str]) {
    within(LIMIT, "all children running", async {
        loop {
            let mut all = true;
            for id in ids {
                all &= running(sup, id).await.is_some();
            }
            if all {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

#[tokio::test]
async fn a_temporary_child_whose_start_is_ignored_is_not_kept() {
    let ignored = || ChildSpec::new("ignored", Ignorer::start).with_restart(Restart::Temporary);
    let kept = || ChildSpec::new("kept", Ignorer::start);
    // At supervisor start...
    let sup = Supervisor::start(
        SupervisorSpec::new(Strategy::OneForOne)
            .child(ignored())
            .child(kept()),
    )
    .await
    .unwrap();
    let ids: Vec<String> = sup
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(ids, ["kept"]);
    // ...and through start_child.
    let started = sup.start_child(ignored()).await;
    assert_eq!(started, Ok(None));
    assert_eq!(sup.count_children().await.unwrap().specs, 1);
    let kept_status = status(&sup, "kept").await;
    assert_eq!(kept_status, Some(ChildStatus::Stopped));
}

#[tokio::test]
async fn one_for_all_a_sibling_failing_to_restart_stops_the_restarted_ones_and_retries_the_group() {
    let log = Log::default();
    let (open, b_refusals) = (Refusals::default(), Refusals::default());
    let spec = SupervisorSpec::new(Strategy::OneForAll)
        .children([
            gated("a", &log, &open),
            gated("b", &log, &b_refusals),
            gated("c", &log, &open),
        ])
        .intensity(2, Duration::from_secs(60));
    let sup = Supervisor::start(spec).await.unwrap();
    b_refusals.set(1);
    running(&sup, "a").await.unwrap().crash();
    all_running(&sup, &["a", "b", "c"]).await;
    let after_crash: Vec<String> = log.entries().into_iter().skip(3).collect();
    assert_eq!(
        after_crash,
        [
            "stop:a", // the crash: `terminate` runs
            "stop:c",
            "stop:b", // the siblings stop, last started first
            "start:a",
            "refused:b", // the group restarts; b fails
            "stop:a",    // a, restarted in this round, stops again
            "start:a",
            "start:b",
            "start:c", // the retried group
        ]
    );
    assert!(sup.is_alive(), "two restarts within an intensity of two");
}

#[tokio::test]
async fn a_group_retry_counts_against_the_intensity() {
    let log = Log::default();
    let (open, b_refusals) = (Refusals::default(), Refusals::default());
    let spec = SupervisorSpec::new(Strategy::OneForAll)
        .children([gated("a", &log, &open), gated("b", &log, &b_refusals)])
        .intensity(1, Duration::from_secs(60));
    let sup = Supervisor::start(spec).await.unwrap();
    b_refusals.set(1);
    running(&sup, "a").await.unwrap().crash();
    within(LIMIT, "the supervisor gives up", sup.exited()).await;
    assert_eq!(log.entries().last().map(String::as_str), Some("stop:a"));
}

#[tokio::test]
async fn one_for_all_restarts_a_child_stopped_with_terminate_child() {
    let log = Log::default();
    let open = Refusals::default();
    let spec = SupervisorSpec::new(Strategy::OneForAll).children([
        gated("a", &log, &open),
        gated("b", &log, &open),
        gated("c", &log, &open),
    ]);
    let sup = Supervisor::start(spec).await.unwrap();
    sup.terminate_child("b").await.unwrap();
    assert_eq!(status(&sup, "b").await, Some(ChildStatus::Stopped));
    running(&sup, "a").await.unwrap().crash();
    all_running(&sup, &["a", "b", "c"]).await;
}

#[tokio::test]
async fn rest_for_one_restarts_a_later_child_stopped_with_terminate_child() {
    let log = Log::default();
    let open = Refusals::default();
    let spec = SupervisorSpec::new(Strategy::RestForOne).children([
        gated("a", &log, &open),
        gated("b", &log, &open),
        gated("c", &log, &open),
    ]);
    let sup = Supervisor::start(spec).await.unwrap();
    sup.terminate_child("c").await.unwrap();
    running(&sup, "b").await.unwrap().crash();
    all_running(&sup, &["a", "b", "c"]).await;
    // `a` came before the failed child: untouched.
    assert_eq!(log.entries().iter().filter(|e| *e == "start:a").count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_child_whose_restart_keeps_failing_is_restarting_until_terminated() {
    let log = Log::default();
    let (open, b_refusals) = (Refusals::default(), Refusals::default());
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .children([gated("a", &log, &open), gated("b", &log, &b_refusals)])
        .intensity(usize::MAX, Duration::from_secs(60));
    let sup = Supervisor::start(spec).await.unwrap();
    b_refusals.set(usize::MAX);
    running(&sup, "b").await.unwrap().crash();
    within(LIMIT, "b is restarting", async {
        while status(&sup, "b").await != Some(ChildStatus::Restarting) {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    // Listed, counted, and not deletable.
    let count = sup.count_children().await.unwrap();
    assert_eq!((count.specs, count.active, count.workers), (2, 1, 2));
    assert_eq!(
        sup.delete_child("b").await,
        Err(SupervisorError::Restarting("b".into()))
    );
    assert_eq!(
        sup.restart_child("b").await,
        Err(SupervisorError::Restarting("b".into()))
    );
    // terminate_child ends the retries.
    sup.terminate_child("b").await.unwrap();
    assert_eq!(status(&sup, "b").await, Some(ChildStatus::Stopped));
    let refused = log.entries().iter().filter(|e| *e == "refused:b").count();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let refused_later = log.entries().iter().filter(|e| *e == "refused:b").count();
    assert!(
        refused_later <= refused + 1,
        "{refused} then {refused_later}"
    );
    sup.delete_child("b").await.unwrap();
    assert_eq!(sup.count_children().await.unwrap().specs, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dynamic_child_whose_restart_keeps_failing_is_restarting_and_counts_against_max_children()
{
    let log = Log::default();
    let refusals = Refusals::default();
    let sup = DynamicSupervisor::start(
        DynamicSupervisorSpec::new()
            .max_children(1)
            .intensity(usize::MAX, Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let child = sup
        .start_child(gated("d", &log, &refusals))
        .await
        .unwrap()
        .unwrap();
    refusals.set(usize::MAX);
    child.downcast::<Gated>().unwrap().crash();
    within(LIMIT, "the child is restarting", async {
        loop {
            let children = sup.which_children().await.unwrap();
            if children.len() == 1 && children[0].status == ChildStatus::Restarting {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!(sup.count_children().await.unwrap().specs, 1);
    assert_eq!(
        sup.start_child(gated("e", &log, &Refusals::default()))
            .await,
        Err(DynamicSupervisorError::MaxChildren)
    );
    // Named by the server that exited, terminate_child ends its retries.
    sup.terminate_child(child.id()).await.unwrap();
    assert_eq!(sup.count_children().await.unwrap().specs, 0);
    assert!(
        sup.start_child(gated("e", &log, &Refusals::default()))
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn rest_for_one_a_later_sibling_failing_to_restart_is_retried_without_restarting_the_earlier_one()
 {
    let log = Log::default();
    let (open, c_refusals) = (Refusals::default(), Refusals::default());
    let spec = SupervisorSpec::new(Strategy::RestForOne)
        .children([
            gated("a", &log, &open),
            gated("b", &log, &open),
            gated("c", &log, &c_refusals),
        ])
        .intensity(2, Duration::from_secs(60));
    let sup = Supervisor::start(spec).await.unwrap();
    c_refusals.set(1);
    running(&sup, "b").await.unwrap().crash();
    all_running(&sup, &["a", "b", "c"]).await;
    let after_crash: Vec<String> = log.entries().into_iter().skip(3).collect();
    assert_eq!(
        after_crash,
        [
            "stop:b",
            "stop:c",
            "start:b",
            "refused:c", // b keeps running; c is retried alone
            "start:c"
        ]
    );
}

/// OTP's `supervisor_SUITE:rest_for_one_other_child_fails_restart`: child 1
/// dies, child 2's restart fails; child 2 is retried, and child 1 is not
/// restarted a second time.
#[tokio::test]
async fn rest_for_one_other_child_fails_restart() {
    let log = Log::default();
    let (open, refusals) = (Refusals::default(), Refusals::default());
    let spec = SupervisorSpec::new(Strategy::RestForOne)
        .children([gated("one", &log, &open), gated("two", &log, &refusals)])
        .intensity(3, Duration::from_secs(60));
    let sup = Supervisor::start(spec).await.unwrap();
    let first = running(&sup, "one").await.unwrap();
    refusals.set(1);
    first.crash();
    all_running(&sup, &["one", "two"]).await;
    let after_crash: Vec<String> = log.entries().into_iter().skip(2).collect();
    assert_eq!(
        after_crash,
        [
            "stop:one",
            "stop:two",
            "start:one",
            "refused:two",
            "start:two"
        ]
    );
    // The `one` that started after the crash is the one still running.
    let one = running(&sup, "one").await.unwrap();
    assert_ne!(one.id(), first.id());
    assert_eq!(
        log.entries().iter().filter(|e| *e == "start:one").count(),
        2
    );
}
