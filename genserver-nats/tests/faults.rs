//! Faults against a real nats-server (started by each test on 127.0.0.1),
//! with the serving node in another OS process: a node killed with
//! SIGKILL mid-call (OTP's `:noconnection`), a monitor and a link firing
//! on its death, and the nats-server killed and restarted mid-call.
//!
//! The other process is this test binary run again with
//! [`CHILD_URL`] set (`common::child`): it runs only
//! [`child_node_process`], which serves a `Counter` as "counter" and
//! prints `ready`. It exits when its stdin closes, so it never outlives
//! the test.

mod common;

use std::time::{Duration, Instant};

use common::child::{self, ChildNode};
use common::servers::Counter;
use common::{NatsServer, linker, watcher, within};
use genserver_core::Remote;
use genserver_core::prelude::*;
use genserver_nats::{Node, NodeOptions};

const LIMIT: Duration = Duration::from_secs(15);
/// The default detection bound (`down_after` 3 s + the 100 ms check), and
/// some room for a loaded machine.
const BOUND: Duration = Duration::from_millis(3_100 + 900);
const CHILD_URL: &str = "GENSERVER_NATS_FAULTS_CHILD_URL";
const PREFIX: &str = "f";

/// The node of the other process; does nothing in a normal test run.
#[tokio::test]
async fn child_node_process() {
    let Some(url) = child::url(CHILD_URL) else {
        return;
    };
    let node = Node::connect(url.as_str(), NodeOptions::new("child").prefix(PREFIX))
        .await
        .expect("the child node connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    node.serve("counter", &counter).await.expect("serves");
    child::ready();
    // Killed long before, by the test or by its stdin closing.
    child::linger().await;
}

/// The child node, serving "counter".
async fn start_child(nats: &NatsServer) -> ChildNode {
    ChildNode::start(nats, "child_node_process", CHILD_URL).await
}

async fn parent(nats: &NatsServer) -> Node {
    within(
        LIMIT,
        Node::connect(nats.url(), NodeOptions::new("parent").prefix(PREFIX)),
    )
    .await
    .expect("connects")
}

/// Waits until `node` has heard the child's heartbeat (so it knows what
/// the child serves).
async fn until_heard(node: &Node) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !node.nodes().iter().any(|name| name == "child") {
        assert!(Instant::now() < deadline, "no heartbeat from the child");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_node_killed_mid_call_fails_the_call_with_noconnection_within_the_bound() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let mut child = start_child(&nats).await;
    let node = parent(&nats).await;
    until_heard(&node).await;
    // A timeout far beyond the bound: the error is not the timeout's.
    let remote: Remote<Counter> = node
        .remote::<Counter>("counter")
        .expect("a valid name")
        .with_timeout(Duration::from_secs(60));
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
    let call = tokio::spawn(async move { remote.slow(30_000).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let killed = Instant::now();
    child.kill();
    let outcome = within(LIMIT, call).await.expect("the call returns");
    let took = killed.elapsed();
    eprintln!("a call in flight to a killed node failed after {took:?}");
    assert_eq!(outcome, Err(CallError::Exited(ExitReason::NoConnection)));
    assert!(took <= BOUND, "took {took:?}, bound {BOUND:?}");
    // Nobody serves the name any more: NoProc at once.
    let again = node.remote::<Counter>("counter").expect("a valid name");
    assert_eq!(within(LIMIT, again.value()).await, Err(CallError::NoProc));
}

#[tokio::test]
async fn a_monitor_fires_noconnection_when_its_node_is_killed() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let mut child = start_child(&nats).await;
    let node = parent(&nats).await;
    let (watcher, mut downs) = watcher::start(&node).await;
    let monitor = within(LIMIT, watcher.watch("counter".into()))
        .await
        .expect("the watcher answers")
        .expect("a valid name");
    // The monitor is in place once the child answered; then it is killed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(downs.try_recv().is_err(), "no Down before the kill");
    let killed = Instant::now();
    child.kill();
    let down = within(LIMIT, downs.recv()).await.expect("a Down");
    let took = down.at.duration_since(killed);
    eprintln!("a monitor of a killed node fired after {took:?}");
    assert_eq!(down.monitor, monitor);
    assert_eq!(down.reason, ExitReason::NoConnection);
    assert!(took <= BOUND, "took {took:?}, bound {BOUND:?}");
}

#[tokio::test]
async fn a_link_is_an_exit_noconnection_when_the_other_node_is_killed() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let mut child = start_child(&nats).await;
    let node = parent(&nats).await;
    let (linker, mut exits) = linker::start(&node, true).await;
    within(LIMIT, linker.link("counter".into()))
        .await
        .expect("the linker answers")
        .expect("a valid name");
    // The link is in place once the child answered; then it is killed.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(exits.try_recv().is_err(), "no exit before the kill");
    let killed = Instant::now();
    child.kill();
    let exit = within(LIMIT, exits.recv()).await.expect("an exit");
    let took = exit.at.duration_since(killed);
    eprintln!("a link to a killed node fired after {took:?}");
    assert_eq!(exit.reason, ExitReason::NoConnection);
    assert_eq!(exit.from.node().as_deref(), Some("child"));
    assert!(took <= BOUND, "took {took:?}, bound {BOUND:?}");
}

#[tokio::test]
async fn a_nats_server_restart_fails_calls_in_flight_and_calls_succeed_once_it_is_back() {
    let Some(mut nats) = NatsServer::start() else {
        return;
    };
    let _child = start_child(&nats).await;
    let node = parent(&nats).await;
    until_heard(&node).await;
    let remote: Remote<Counter> = node.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
    let (watcher, mut downs) = watcher::start(&node).await;
    let monitor = within(LIMIT, watcher.watch("counter".into()))
        .await
        .expect("the watcher answers")
        .expect("a valid name");
    tokio::time::sleep(Duration::from_millis(300)).await;

    let timeout = remote.timeout();
    let calls: Vec<_> = (0..4)
        .map(|_| {
            let remote = remote.clone();
            tokio::spawn(async move { remote.slow(2_000).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let killed = Instant::now();
    nats.kill();
    for call in calls {
        let outcome = within(LIMIT, call).await.expect("the call returns");
        assert_eq!(outcome, Err(CallError::Exited(ExitReason::NoConnection)));
    }
    let took = killed.elapsed();
    eprintln!("calls in flight failed {took:?} after the nats-server died");
    assert!(took < timeout, "within the calls' timeout: {took:?}");
    let down = within(LIMIT, downs.recv()).await.expect("a Down");
    assert_eq!(down.monitor, monitor);
    assert_eq!(down.reason, ExitReason::NoConnection);
    // While it is away, a call fails at once.
    let started = Instant::now();
    assert_eq!(
        within(LIMIT, remote.value()).await,
        Err(CallError::Exited(ExitReason::NoConnection))
    );
    assert!(started.elapsed() < Duration::from_secs(1));

    nats.restart();
    let back = Instant::now();
    // Both clients reconnect and resubscribe (the serving name, the
    // inbox): calls succeed again, the counter's state intact.
    let deadline = back + Duration::from_secs(12);
    let value = loop {
        match within(LIMIT, remote.value()).await {
            Ok(value) => break value,
            Err(error) => assert!(Instant::now() < deadline, "still {error:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    eprintln!("calls succeed again {:?} after the restart", back.elapsed());
    assert_eq!(value, 1);
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(2));
}

#[tokio::test]
async fn a_silent_split_is_noticed_and_fails_calls_in_flight_with_noconnection() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let _child = start_child(&nats).await;
    let node = parent(&nats).await;
    until_heard(&node).await;
    let remote: Remote<Counter> = node
        .remote::<Counter>("counter")
        .expect("a valid name")
        .with_timeout(Duration::from_secs(60));
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
    // The child's server stays busy with it after the split: 5 s.
    let call = {
        let remote = remote.clone();
        tokio::spawn(async move { remote.slow(5_000).await })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    // The connections stay open; nothing comes through them.
    nats.pause(true);
    let split = Instant::now();
    let outcome = within(LIMIT, call).await.expect("the call returns");
    let took = split.elapsed();
    eprintln!("a call in flight across a silent split failed after {took:?}");
    assert_eq!(outcome, Err(CallError::Exited(ExitReason::NoConnection)));
    // The child's silence (3.1 s) or this client's unanswered pings (about
    // three 1 s intervals), whichever comes first.
    assert!(took <= Duration::from_secs(5), "took {took:?}");
    nats.pause(false);
    let healed = Instant::now();
    let deadline = healed + Duration::from_secs(12);
    loop {
        match within(LIMIT, remote.value()).await {
            Ok(value) => {
                assert_eq!(value, 1);
                break;
            }
            Err(error) => assert!(Instant::now() < deadline, "still {error:?}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "calls succeed again {:?} after the split healed",
        healed.elapsed()
    );
}
