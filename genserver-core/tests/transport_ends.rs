//! The transport seam (`genserver_core::transport`, feature `remote`): a
//! transport delivers a signal only through the end of a monitor or link
//! the core handed out, once, to the server it was opened for, from an
//! identity of the other node that no local server has.

mod common;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{gone, within};
use genserver_core::AnyServer;
use genserver_core::prelude::*;
use genserver_core::transport::{LinkEnd, MonitorEnd, RemoteNode};

const LIMIT: Duration = Duration::from_secs(5);

/// What a recorder's `handle_info` saw: each `Down` and `Exit`.
#[derive(Clone, Debug, PartialEq)]
pub enum Seen {
    Down(MonitorRef, ServerId, ExitReason),
    Exit(ServerId, ExitReason),
}

#[derive(Clone, Default)]
pub struct Record(Arc<Mutex<Vec<Seen>>>);

impl Record {
    fn seen(&self) -> Vec<Seen> {
        self.0.lock().unwrap().clone()
    }
}

pub struct Recorder {
    record: Record,
}

#[gen_server]
impl Recorder {
    fn init(
        (record, trap): (Record, bool),
        ctx: &mut Context<Self>,
    ) -> Result<Self, std::convert::Infallible> {
        ctx.trap_exit(trap);
        Ok(Recorder { record })
    }

    /// A round trip: everything sent to the recorder before it is handled.
    #[call]
    pub fn sync(&self) {}

    /// Monitors `other` as any local server does.
    #[call]
    pub fn monitor(&mut self, other: AnyServer, ctx: &mut Context<Self>) -> MonitorRef {
        ctx.monitor(other)
    }

    fn handle_info(&mut self, msg: Info<()>) {
        let seen = match msg {
            Info::Down {
                monitor,
                server,
                reason,
            } => Seen::Down(monitor, server, reason),
            Info::Exit { from, reason } => Seen::Exit(from, reason),
            _ => return,
        };
        self.record.0.lock().unwrap().push(seen);
    }
}

async fn recorder(trap: bool) -> (Server<Recorder>, Record) {
    let record = Record::default();
    let server = Recorder::start((record.clone(), trap)).await.unwrap();
    (server, record)
}

#[tokio::test]
async fn a_monitor_end_delivers_one_down_to_its_watcher_from_the_other_node() {
    let (watcher, record) = recorder(false).await;
    let node = RemoteNode::named("node-of-a-monitor-end");
    let mut end = MonitorEnd::open(&watcher);
    let monitor = end.monitor();
    end.locate(&node);
    let server = end.server();
    assert!(end.down(ExitReason::error("crashed there")));
    within(LIMIT, "the watcher handles the Down", watcher.sync())
        .await
        .unwrap();
    assert_eq!(
        record.seen(),
        [Seen::Down(
            monitor,
            server,
            ExitReason::error("crashed there")
        )]
    );
    // From the other node, never a server of this program.
    assert_eq!(server.node().as_deref(), Some("node-of-a-monitor-end"));
    assert!(!server.is_local());
    watcher.stop(ExitReason::Normal).await.unwrap();
}

#[tokio::test]
async fn a_monitor_ends_reference_is_none_of_the_watchers_own_monitors() {
    let (watcher, record) = recorder(false).await;
    let (other, _) = recorder(false).await;
    let local = within(LIMIT, "a local monitor", watcher.monitor((&other).into()))
        .await
        .unwrap();
    let end = MonitorEnd::open(&watcher);
    assert_ne!(end.monitor(), local);
    assert_ne!(end.server(), other.id());
    let (monitor, server) = (end.monitor(), end.server());
    assert!(end.down(ExitReason::NoConnection));
    // The local monitor still holds: `other`'s exit is its own `Down`.
    other.stop(ExitReason::Normal).await.unwrap();
    common::eventually(LIMIT, "both Downs arrive", || record.seen().len() == 2).await;
    assert_eq!(
        record.seen(),
        [
            Seen::Down(monitor, server, ExitReason::NoConnection),
            Seen::Down(local, other.id(), ExitReason::Normal),
        ]
    );
    watcher.stop(ExitReason::Normal).await.unwrap();
}

#[tokio::test]
async fn a_monitor_end_of_an_exited_watcher_tells_nobody() {
    let (watcher, _) = recorder(false).await;
    let end = MonitorEnd::open(&watcher);
    watcher.stop(ExitReason::Normal).await.unwrap();
    gone(&watcher).await;
    assert!(!end.down(ExitReason::NoConnection));
}

#[tokio::test]
async fn a_link_end_is_an_exit_signal_from_the_other_node_for_a_trapping_server() {
    let (server, record) = recorder(true).await;
    let mut end = LinkEnd::open(&server);
    end.locate(&RemoteNode::named("node-of-a-link-end"));
    let from = end.remote();
    end.exit(ExitReason::Shutdown);
    within(LIMIT, "the server handles the exit", server.sync())
        .await
        .unwrap();
    assert_eq!(record.seen(), [Seen::Exit(from, ExitReason::Shutdown)]);
    assert_eq!(from.node().as_deref(), Some("node-of-a-link-end"));
    server.stop(ExitReason::Normal).await.unwrap();
}

#[tokio::test]
async fn a_link_end_takes_a_non_trapping_server_down_and_a_normal_exit_does_not() {
    let (server, record) = recorder(false).await;
    LinkEnd::open(&server).exit(ExitReason::Normal);
    within(LIMIT, "the server is still there", server.sync())
        .await
        .unwrap();
    assert!(server.is_alive());
    LinkEnd::open(&server).exit(ExitReason::error("gone there"));
    gone(&server).await;
    assert_eq!(
        AnyServer::from(&server).exit_reason(),
        Some(ExitReason::error("gone there"))
    );
    assert_eq!(record.seen(), []);
}

#[tokio::test]
async fn link_ends_are_numbered_apart_from_monitor_references() {
    let (server, _) = recorder(false).await;
    let link = LinkEnd::open(&server);
    let monitor = MonitorEnd::open(&server);
    let next_link = LinkEnd::open(&server);
    let numbers = [link.id(), monitor.monitor().as_u64(), next_link.id()];
    assert!(numbers[0] != numbers[1] && numbers[1] != numbers[2] && numbers[0] != numbers[2]);
    link.unlink();
    next_link.unlink();
    server.stop(ExitReason::Normal).await.unwrap();
}
