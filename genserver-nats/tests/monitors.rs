//! Monitors across nodes, over a real nats-server (started by each test on
//! 127.0.0.1): OTP's `Process.monitor({name, node})` and its `:DOWN`
//! message, with the exit reason or `:noconnection`.

mod common;

use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, node, watcher, within};
use genserver_core::prelude::*;
use genserver_nats::Node;

const LIMIT: Duration = Duration::from_secs(10);

/// Node `a` serves a `Counter` as "counter"; node `b` has a watcher.
async fn setup(
    nats: &NatsServer,
) -> (
    Node,
    Node,
    Server<Counter>,
    Server<watcher::Watcher>,
    tokio::sync::mpsc::UnboundedReceiver<watcher::Down>,
) {
    let a = node(nats, "a").await;
    let b = node(nats, "b").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    let (watcher, downs) = watcher::start(&b).await;
    (a, b, counter, watcher, downs)
}

/// Waits until the monitor is in place on the serving node: a monitor
/// answered before the exit, so the exit's `Down` is the real reason.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}

#[tokio::test]
async fn down_carries_the_reason_of_a_normal_stop() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, counter, watcher, mut downs) = setup(&nats).await;
    let monitor = within(LIMIT, watcher.watch("counter".into()))
        .await
        .expect("the watcher answers")
        .expect("a valid name");
    settle().await;
    within(LIMIT, counter.stop(ExitReason::Normal))
        .await
        .expect("stops");
    let down = within(LIMIT, downs.recv()).await.expect("a Down");
    assert_eq!(down.monitor, monitor);
    assert_eq!(down.reason, ExitReason::Normal);
}

#[tokio::test]
async fn down_carries_the_reason_of_a_crash() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, counter, watcher, mut downs) = setup(&nats).await;
    let monitor = within(LIMIT, watcher.watch("counter".into()))
        .await
        .expect("the watcher answers")
        .expect("a valid name");
    settle().await;
    assert!(within(LIMIT, counter.crash()).await.is_err());
    let down = within(LIMIT, downs.recv()).await.expect("a Down");
    assert_eq!(down.monitor, monitor);
    match down.reason {
        ExitReason::Panic(message) => assert!(message.contains("boom"), "{message}"),
        other => panic!("expected Panic, got {other:?}"),
    }
}

#[tokio::test]
async fn monitoring_a_name_nobody_serves_is_down_noproc_at_once() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, _counter, watcher, mut downs) = setup(&nats).await;
    let started = Instant::now();
    let monitor = within(LIMIT, watcher.watch("nobody".into()))
        .await
        .expect("the watcher answers")
        .expect("a valid name");
    let down = within(LIMIT, downs.recv()).await.expect("a Down");
    assert_eq!(down.monitor, monitor);
    assert_eq!(down.reason, ExitReason::NoProc);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_closed_node_is_down_noconnection_at_once() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, _b, _counter, watcher, mut downs) = setup(&nats).await;
    let monitor = within(LIMIT, watcher.watch("counter".into()))
        .await
        .expect("the watcher answers")
        .expect("a valid name");
    settle().await;
    let started = Instant::now();
    within(LIMIT, a.close()).await.expect("drains");
    let down = within(LIMIT, downs.recv()).await.expect("a Down");
    assert_eq!(down.monitor, monitor);
    assert_eq!(down.reason, ExitReason::NoConnection);
    assert!(
        down.at.duration_since(started) < Duration::from_secs(1),
        "a closing node says so: {:?}",
        down.at.duration_since(started)
    );
}

#[tokio::test]
async fn demonitor_removes_the_monitor() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, counter, watcher, mut downs) = setup(&nats).await;
    let monitor = within(LIMIT, watcher.watch("counter".into()))
        .await
        .expect("the watcher answers")
        .expect("a valid name");
    settle().await;
    assert_eq!(within(LIMIT, watcher.unwatch(monitor)).await, Ok(true));
    assert_eq!(within(LIMIT, watcher.unwatch(monitor)).await, Ok(false));
    within(LIMIT, counter.stop(ExitReason::Normal))
        .await
        .expect("stops");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(downs.try_recv().is_err(), "no Down after demonitor");
}

#[tokio::test]
async fn nodes_lists_the_nodes_heard_from() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b, _counter, _watcher, _downs) = setup(&nats).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while b.nodes() != ["a"] || a.nodes() != ["b"] {
        assert!(
            Instant::now() < deadline,
            "a: {:?}, b: {:?}",
            a.nodes(),
            b.nodes()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    within(LIMIT, a.close()).await.expect("drains");
    let deadline = Instant::now() + Duration::from_secs(2);
    while !b.nodes().is_empty() {
        assert!(Instant::now() < deadline, "b: {:?}", b.nodes());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
