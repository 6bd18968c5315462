//! docs/behaviour.md, "Supervisor", the DynamicSupervisor row.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::Log;
use genserver_core::DynamicSupervisorError;
use genserver_core::prelude::*;
use genserver_core::{ChildSpec, DynamicSupervisor, DynamicSupervisorSpec, Restart};
use std::time::Duration;

pub struct Session {
    name: String,
    log: Log,
    stop_takes: Duration,
}

#[gen_server]
impl Session {
    fn init(name: String, log: Log, stop_takes: Duration) -> Result<Self, String> {
        log.push(format!("start:{name}"));
        Ok(Session {
            name,
            log,
            stop_takes,
        })
    }

    #[cast]
    pub fn crash(&self) {
        panic!("session {} crashed", self.name)
    }

    #[call]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}

    async fn terminate(&mut self, _reason: &ExitReason) {
        tokio::time::sleep(self.stop_takes).await;
        self.log.push(format!("stop:{}", self.name));
    }
}

fn session(name: &str, log: &Log) -> ChildSpec {
    Session::child_spec(name.to_string(), log.clone(), Duration::ZERO)
}

#[tokio::test]
async fn start_child_at_runtime_and_restart_one_for_one() {
    let log = Log::default();
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    let a: Server<Session> = sup
        .start_child(session("a", &log))
        .await
        .unwrap()
        .unwrap()
        .downcast()
        .unwrap();
    let b: Server<Session> = sup
        .start_child(session("b", &log))
        .await
        .unwrap()
        .unwrap()
        .downcast()
        .unwrap();
    assert_eq!(sup.count_children().await.unwrap().active, 2);
    a.crash();
    crate::common::gone(&a).await;
    // The replacement runs; the sibling was not touched.
    let children = sup.which_children().await.unwrap();
    assert_eq!(children.len(), 2);
    assert!(
        children
            .iter()
            .all(|c| c.server.as_ref().unwrap().is_alive())
    );
    assert!(b.is_alive());
    assert_eq!(log.entries(), ["start:a", "start:b", "stop:a", "start:a"]);
}

#[tokio::test]
async fn max_children_caps_running_children() {
    let log = Log::default();
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new().max_children(2))
        .await
        .unwrap();
    sup.start_child(session("a", &log)).await.unwrap();
    let b = sup.start_child(session("b", &log)).await.unwrap().unwrap();
    assert_eq!(
        sup.start_child(session("c", &log)).await.unwrap_err(),
        DynamicSupervisorError::MaxChildren
    );
    sup.terminate_child(b.id()).await.unwrap();
    assert!(!b.is_alive());
    sup.start_child(session("c", &log)).await.unwrap();
    assert_eq!(
        sup.terminate_child(b.id()).await.unwrap_err(),
        DynamicSupervisorError::NotFound(b.id())
    );
}

#[tokio::test]
async fn temporary_children_are_not_restarted() {
    let log = Log::default();
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    let a = sup
        .start_child(session("a", &log).with_restart(Restart::Temporary))
        .await
        .unwrap()
        .unwrap();
    a.downcast::<Session>().unwrap().crash();
    crate::common::gone(&a).await;
    assert_eq!(sup.count_children().await.unwrap().active, 0);
}

#[tokio::test(start_paused = true)]
async fn children_are_stopped_concurrently_on_shutdown() {
    let log = Log::default();
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    for name in ["a", "b", "c", "d"] {
        let spec = Session::child_spec(name.to_string(), log.clone(), Duration::from_millis(500));
        sup.start_child(spec).await.unwrap();
    }
    let started = tokio::time::Instant::now();
    sup.with_timeout(Duration::from_secs(30))
        .stop(ExitReason::Shutdown)
        .await
        .unwrap();
    // One after another would take 2 s; together, one terminate's time.
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(1000),
        "{took:?}"
    );
    assert_eq!(
        log.entries()
            .iter()
            .filter(|e| e.starts_with("stop:"))
            .count(),
        4
    );
}

#[tokio::test]
async fn restart_intensity_exceeded_shuts_the_dynamic_supervisor_down() {
    let log = Log::default();
    let sup =
        DynamicSupervisor::start(DynamicSupervisorSpec::new().intensity(1, Duration::from_secs(5)))
            .await
            .unwrap();
    sup.start_child(session("a", &log)).await.unwrap();
    for _ in 0..2 {
        let child = sup.which_children().await.unwrap()[0]
            .server
            .clone()
            .unwrap();
        child.downcast::<Session>().unwrap().crash();
        crate::common::gone(&child).await;
    }
    crate::common::gone(&sup).await;
    assert!(!sup.is_alive());
}

pub struct Shy;

#[gen_server]
impl Shy {
    fn init() -> Result<Option<Self>, String> {
        Ok(None)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn an_ignored_child_is_not_kept() {
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    let started = sup.start_child(ChildSpec::new("shy", Shy::start)).await;
    assert_eq!(started, Ok(None));
    assert_eq!(sup.count_children().await.unwrap().specs, 0);
}
