//! Links across nodes, over a real nats-server (started by each test on
//! 127.0.0.1): OTP's `Process.link/1` to a process on another node, its
//! exit signals both ways, and `:noconnection` when a node goes away.

mod common;

use std::time::{Duration, Instant};

use common::linker::{self, Linker};
use common::servers::Counter;
use common::{NatsServer, node, within};
use genserver_core::AnyServer;
use genserver_core::ServerId;
use genserver_core::prelude::*;
use genserver_nats::{Node, RemoteLink};
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(10);

/// Why a server exited, once it has.
fn exit_reason<T: GenServer>(server: &Server<T>) -> Option<ExitReason> {
    AnyServer::from(server).exit_reason()
}

/// Waits until the link is in place on the serving node, so that an exit
/// after it carries its real reason rather than `NoProc`.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(500)).await;
}

/// Links `linker` to `name`, and waits until the link is in place.
async fn link(linker: &Server<Linker>, name: &str) -> RemoteLink {
    let link = within(LIMIT, linker.link(name.into()))
        .await
        .expect("the linker answers")
        .expect("a valid name");
    settle().await;
    link
}

/// A served server that traps exits and reports them.
pub struct Trapper {
    exits: mpsc::UnboundedSender<(ServerId, ExitReason)>,
}

#[gen_server(remote)]
impl Trapper {
    fn init(
        exits: mpsc::UnboundedSender<(ServerId, ExitReason)>,
        ctx: &mut Context<Self>,
    ) -> Result<Self, String> {
        ctx.trap_exit(true);
        Ok(Trapper { exits })
    }

    #[call]
    pub fn ping(&self) -> u8 {
        1
    }

    fn handle_info(&mut self, msg: Info<()>) {
        if let Info::Exit { from, reason } = msg {
            let _ = self.exits.send((from, reason));
        }
    }
}

/// Node `a` serves a `Counter` as "counter"; node `b` has a linker.
async fn counter_and_linker(
    nats: &NatsServer,
    trap: bool,
) -> (
    Node,
    Node,
    Server<Counter>,
    Server<Linker>,
    mpsc::UnboundedReceiver<linker::Exit>,
) {
    let a = node(nats, "a").await;
    let b = node(nats, "b").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    let (linker, exits) = linker::start(&b, trap).await;
    (a, b, counter, linker, exits)
}

/// Node `a` serves a `Trapper` as "trapper"; node `b` has a linker.
async fn trapper_and_linker(
    nats: &NatsServer,
) -> (
    Node,
    Node,
    Server<Trapper>,
    mpsc::UnboundedReceiver<(ServerId, ExitReason)>,
    Server<Linker>,
) {
    let a = node(nats, "a").await;
    let b = node(nats, "b").await;
    let (tx, exits) = mpsc::unbounded_channel();
    let trapper = Trapper::start(tx).await.expect("starts");
    within(LIMIT, a.serve("trapper", &trapper))
        .await
        .expect("serves");
    let (linker, _) = linker::start(&b, false).await;
    (a, b, trapper, exits, linker)
}

#[tokio::test]
async fn a_remote_crash_takes_the_linked_server_down_with_its_reason() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, counter, linker, _exits) = counter_and_linker(&nats, false).await;
    link(&linker, "counter").await;
    assert!(within(LIMIT, counter.crash()).await.is_err());
    within(LIMIT, linker.exited()).await;
    match exit_reason(&linker) {
        Some(ExitReason::Panic(message)) => assert!(message.contains("boom"), "{message}"),
        other => panic!("expected the remote panic, got {other:?}"),
    }
}

#[tokio::test]
async fn a_trapping_server_gets_the_remote_exit_as_info_exit_from_the_other_node() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, counter, linker, mut exits) = counter_and_linker(&nats, true).await;
    link(&linker, "counter").await;
    within(LIMIT, counter.stop(ExitReason::shutdown_with("done")))
        .await
        .expect("stops");
    let exit = within(LIMIT, exits.recv()).await.expect("an exit");
    assert_eq!(exit.reason, ExitReason::shutdown_with("done"));
    assert_eq!(exit.from.node().as_deref(), Some("a"));
    assert!(!exit.from.is_local());
    assert!(linker.is_alive(), "a trapped exit is only a message");
}

#[tokio::test]
async fn a_normal_remote_exit_leaves_a_linked_server_alone() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, counter, linker, _exits) = counter_and_linker(&nats, false).await;
    link(&linker, "counter").await;
    within(LIMIT, counter.stop(ExitReason::Normal))
        .await
        .expect("stops");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(linker.is_alive());
}

#[tokio::test]
async fn the_linked_servers_crash_reaches_the_served_server() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, trapper, mut exits, linker) = trapper_and_linker(&nats).await;
    link(&linker, "trapper").await;
    assert!(within(LIMIT, linker.crash()).await.is_err());
    let (from, reason) = within(LIMIT, exits.recv()).await.expect("an exit");
    match reason {
        ExitReason::Panic(message) => assert!(message.contains("linker boom"), "{message}"),
        other => panic!("expected the linker's panic, got {other:?}"),
    }
    assert_eq!(from.node().as_deref(), Some("b"));
    assert!(trapper.is_alive());
}

#[tokio::test]
async fn the_linked_servers_crash_takes_a_non_trapping_served_server_down() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, counter, linker, _exits) = counter_and_linker(&nats, false).await;
    link(&linker, "counter").await;
    assert!(within(LIMIT, linker.crash()).await.is_err());
    within(LIMIT, counter.exited()).await;
    match exit_reason(&counter) {
        Some(ExitReason::Panic(message)) => assert!(message.contains("linker boom"), "{message}"),
        other => panic!("expected the linker's panic, got {other:?}"),
    }
}

#[tokio::test]
async fn unlink_removes_the_link_on_both_sides() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, trapper, mut exits, linker) = trapper_and_linker(&nats).await;
    let link = link(&linker, "trapper").await;
    assert_eq!(within(LIMIT, linker.unlink(link)).await, Ok(true));
    assert_eq!(within(LIMIT, linker.unlink(link)).await, Ok(false));
    settle().await;
    assert!(within(LIMIT, linker.crash()).await.is_err());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(exits.try_recv().is_err(), "no exit signal after unlink");
    assert!(trapper.is_alive());
}

#[tokio::test]
async fn linking_to_a_name_nobody_serves_is_an_exit_noproc_at_once() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, _counter, linker, mut exits) = counter_and_linker(&nats, true).await;
    let started = Instant::now();
    within(LIMIT, linker.link("nobody".into()))
        .await
        .expect("the linker answers")
        .expect("a valid name");
    let exit = within(LIMIT, exits.recv()).await.expect("an exit");
    assert_eq!(exit.reason, ExitReason::NoProc);
    assert!(
        exit.at.duration_since(started) < Duration::from_secs(1),
        "{:?}",
        exit.at.duration_since(started)
    );
}

#[tokio::test]
async fn a_closed_node_is_an_exit_noconnection_on_both_sides() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, _b, counter, linker, mut exits) = counter_and_linker(&nats, true).await;
    link(&linker, "counter").await;
    let started = Instant::now();
    within(LIMIT, a.close()).await.expect("drains");
    let exit = within(LIMIT, exits.recv()).await.expect("an exit");
    assert_eq!(exit.reason, ExitReason::NoConnection);
    assert!(
        exit.at.duration_since(started) < Duration::from_secs(1),
        "a closing node says so: {:?}",
        exit.at.duration_since(started)
    );
    // The served side lost its link too: its (non-trapping) counter was
    // told `NoConnection`, as OTP's link to a node that went away is.
    within(LIMIT, counter.exited()).await;
    assert_eq!(exit_reason(&counter), Some(ExitReason::NoConnection));
}

#[tokio::test]
async fn a_closed_linking_node_is_an_exit_noconnection_for_the_served_server() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, _trapper, mut exits, linker) = trapper_and_linker(&nats).await;
    link(&linker, "trapper").await;
    let started = Instant::now();
    within(LIMIT, b.close()).await.expect("drains");
    let (from, reason) = within(LIMIT, exits.recv()).await.expect("an exit");
    assert_eq!(reason, ExitReason::NoConnection);
    assert_eq!(from.node().as_deref(), Some("b"));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn unlink_before_the_serving_node_answered_removes_the_link_there_too() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, counter, linker, _exits) = counter_and_linker(&nats, false).await;
    // Unlinked at once, while the link request is still on its way.
    let link = within(LIMIT, linker.link("counter".into()))
        .await
        .expect("the linker answers")
        .expect("a valid name");
    assert_eq!(within(LIMIT, linker.unlink(link)).await, Ok(true));
    settle().await;
    // The unlinked node leaves: the served counter hears nothing of it.
    within(LIMIT, b.close()).await.expect("drains");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(counter.is_alive(), "{:?}", exit_reason(&counter));
}
