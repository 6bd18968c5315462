//! docs/behaviour.md, "Exit reasons": links by reason class, trapping exits.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Init, Log, Probe};
use genserver_core::AnyServer;
use genserver_core::prelude::*;
use std::time::Duration;

/// A server that links, traps exits on request and logs what it sees.
pub struct Node {
    log: Log,
}

#[gen_server]
impl Node {
    #[call]
    fn link_to(&mut self, other: AnyServer, ctx: &mut Context<Self>) {
        ctx.link(other);
    }

    #[call]
    fn unlink_from(&mut self, other: AnyServer, ctx: &mut Context<Self>) {
        ctx.unlink(other);
    }

    #[call]
    fn trap(&mut self, on: bool, ctx: &mut Context<Self>) {
        ctx.trap_exit(on);
    }

    #[call]
    fn seen(&self) -> Vec<String> {
        self.log.entries()
    }

    #[cast]
    fn crash(&mut self) {
        panic!("node crashed")
    }

    fn handle_info(&mut self, msg: Info<()>) {
        match msg {
            Info::Exit { reason, .. } => self.log.push(format!("exit:{reason}")),
            other => self.log.push(format!("other:{other:?}")),
        }
    }

    fn terminate(&mut self, reason: &ExitReason) {
        self.log.push(format!("terminate:{reason}"));
    }
}

async fn node() -> (Server<Node>, Log) {
    let log = Log::default();
    (Node::start(Node { log: log.clone() }).await.unwrap(), log)
}

async fn probe() -> (Server<Probe>, Log) {
    common::probe().await
}

/// The exit reason `target` ends with, seen by a monitor.
async fn exit_reason_of(target: AnyServer, cause: impl std::future::Future<Output = ()>) -> String {
    let log = Log::default();
    let spy = Spy::start(Spy { log: log.clone() }).await.unwrap();
    spy.watch(target.clone()).await.unwrap();
    cause.await;
    crate::common::gone(&target).await;
    loop {
        if let Some(entry) = log.entries().first() {
            return entry.clone();
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::test]
async fn normal_exit_leaves_links_unaffected() {
    let (a, _) = node().await;
    let (b, _) = probe().await;
    a.link_to(AnyServer::from(&b)).await.unwrap();
    b.stop(ExitReason::Normal).await.unwrap();
    tokio::task::yield_now().await;
    assert!(a.is_alive());
    assert_eq!(a.seen().await.unwrap(), Vec::<String>::new());
}

#[tokio::test]
async fn shutdown_exit_takes_links_down_without_terminate() {
    let (a, log) = node().await;
    let (b, _) = probe().await;
    a.link_to(AnyServer::from(&b)).await.unwrap();
    let reason = exit_reason_of(AnyServer::from(&a), async {
        b.stop(ExitReason::Shutdown).await.unwrap();
    })
    .await;
    assert_eq!(reason, "down:shutdown");
    // Killed by the exit signal: OTP runs no terminate for it.
    assert!(log.entries().is_empty(), "{:?}", log.entries());
}

#[tokio::test]
async fn abnormal_exit_takes_links_down_with_the_same_reason() {
    let (watcher, _) = node().await;
    let (a, _) = node().await;
    let (b, _) = probe().await;
    a.link_to(AnyServer::from(&b)).await.unwrap();
    let reason = exit_reason_of(AnyServer::from(&a), async {
        let _ = b.explode().await;
    })
    .await;
    assert_eq!(reason, "down:panicked: boom");
    assert!(watcher.is_alive());
}

#[tokio::test]
async fn links_are_two_way() {
    let (a, _) = node().await;
    let (b, b_log) = probe().await;
    a.link_to(AnyServer::from(&b)).await.unwrap();
    a.crash();
    crate::common::gone(&b).await;
    assert!(!b.is_alive());
    assert_eq!(b_log.entries(), ["init"], "no terminate on an exit signal");
}

#[tokio::test]
async fn trap_exit_turns_a_linked_exit_into_info_exit() {
    let (a, log) = node().await;
    let (b, _) = probe().await;
    let (c, _) = probe().await;
    a.trap(true).await.unwrap();
    a.link_to(AnyServer::from(&b)).await.unwrap();
    a.link_to(AnyServer::from(&c)).await.unwrap();
    let _ = b.explode().await;
    c.stop(ExitReason::Normal).await.unwrap();
    // Trapping servers hear of normal exits too.
    let seen = loop {
        let seen = a.seen().await.unwrap();
        if seen.len() == 2 {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    assert_eq!(seen, ["exit:panicked: boom", "exit:normal"]);
    assert!(a.is_alive());
    assert!(log.entries().iter().all(|e| !e.starts_with("terminate")));
}

#[tokio::test]
async fn unlink_stops_the_propagation() {
    let (a, _) = node().await;
    let (b, _) = probe().await;
    a.link_to(AnyServer::from(&b)).await.unwrap();
    a.unlink_from(AnyServer::from(&b)).await.unwrap();
    let _ = b.explode().await;
    crate::common::gone(&b).await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(a.is_alive());
}

#[tokio::test]
async fn linking_to_a_dead_server_is_an_exit_with_noproc() {
    let (a, log) = node().await;
    let (b, _) = probe().await;
    b.stop(ExitReason::Normal).await.unwrap();
    a.trap(true).await.unwrap();
    a.link_to(AnyServer::from(&b)).await.unwrap();
    assert_eq!(a.seen().await.unwrap(), ["exit:no such server"]);
    assert_eq!(log.entries().len(), 1);
}

#[tokio::test]
async fn start_link_links_before_init_and_a_crash_reaches_the_parent() {
    let (parent, log) = node().await;
    parent.trap(true).await.unwrap();
    let child = Probe::start(Init::Ok(Log::default()))
        .link(&parent)
        .await
        .unwrap();
    let _ = child.explode().await;
    let seen = loop {
        let seen = parent.seen().await.unwrap();
        if !seen.is_empty() {
            break seen;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    };
    assert_eq!(seen, ["exit:panicked: boom"]);
    assert_eq!(log.entries().len(), 1);
}

#[tokio::test]
async fn a_failed_init_does_not_take_the_linked_starter_down() {
    let (parent, _) = node().await;
    let err = Probe::start(Init::Fail(Log::default())).link(&parent).await;
    assert!(matches!(err, Err(StartError::Init(_))));
    tokio::time::sleep(Duration::from_millis(10)).await;
    assert!(parent.is_alive());
}

#[tokio::test]
async fn kill_ends_a_server_without_terminate() {
    let (server, log) = probe().await;
    let any = AnyServer::from(&server);
    any.kill();
    crate::common::gone(&any).await;
    assert_eq!(log.entries(), ["init"]);
    assert_eq!(server.get().await, Err(CallError::NoProc));
}

#[tokio::test]
async fn any_server_downcasts_to_its_own_type_only() {
    let (server, _) = probe().await;
    let any = AnyServer::from(&server);
    assert_eq!(any.downcast::<Probe>(), Some(server.clone()));
    assert!(any.downcast::<Node>().is_none());
    assert_eq!(any.type_name(), "Probe");
}

/// Reports the exit reasons of the servers it monitors.
pub struct Spy {
    log: Log,
}

#[gen_server]
impl Spy {
    #[call]
    fn watch(&mut self, target: AnyServer, ctx: &mut Context<Self>) {
        ctx.monitor(&target);
    }

    fn handle_info(&mut self, msg: Info<()>) {
        if let Info::Down { reason, .. } = msg {
            self.log.push(format!("down:{reason}"));
        }
    }
}

#[tokio::test]
async fn a_link_exit_during_init_fails_the_start_with_that_reason() {
    let (parent, _) = node().await;
    let doomed = AnyServer::from(&parent);
    let start = Probe::start(Init::Slow(Log::default(), Duration::from_secs(30))).link(&parent);
    let (started, ()) = tokio::join!(start, async {
        tokio::time::sleep(Duration::from_millis(20)).await;
        parent.crash();
        crate::common::gone(&doomed).await;
    });
    match started {
        Err(StartError::Exited(reason)) => {
            assert_eq!(reason, ExitReason::Panic("node crashed".into()))
        }
        other => panic!("expected the parent's exit reason, got {other:?}"),
    }
}

/// A server whose `terminate` panics.
pub struct Fragile;

#[gen_server]
impl Fragile {
    fn handle_info(&mut self, _msg: Info<()>) {}

    fn terminate(&mut self, _reason: &ExitReason) {
        panic!("terminate broke")
    }
}

/// OTP: a crash inside `terminate` replaces the exit reason, for monitors,
/// links and supervisors alike.
#[tokio::test]
async fn a_panic_in_terminate_replaces_the_exit_reason() {
    let fragile = Fragile::start(Fragile).await.unwrap();
    let (watcher, log) = node().await;
    watcher.trap(true).await.unwrap();
    watcher.link_to(AnyServer::from(&fragile)).await.unwrap();
    let target = AnyServer::from(&fragile);
    let seen = common::within(
        Duration::from_secs(5),
        "the monitor's Down",
        exit_reason_of(target, async {
            let _ = fragile.stop(ExitReason::Normal).await;
        }),
    )
    .await;
    assert_eq!(seen, "down:panicked: terminate broke");
    common::eventually(Duration::from_secs(5), "the link's exit", || {
        log.contains("exit:panicked: terminate broke")
    })
    .await;
}
