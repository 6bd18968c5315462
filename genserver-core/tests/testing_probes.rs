//! docs/behaviour.md, "Testing (ExUnit)": probes (ExUnit's test process as
//! a mailbox): a server that records every message it receives, with
//! `assert_receive!` and `assert_no_receive!`.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use genserver_core::prelude::*;
use genserver_core::testing::{Probe, ProbeServer, TestKit};
use genserver_core::{assert_no_receive, assert_receive};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Joined(String),
    Left(String),
}

/// Code under test: tells a subscriber who joins and leaves.
pub struct Room {
    subscriber: Server<ProbeServer<Event>>,
}

#[gen_server]
impl Room {
    #[cast]
    pub fn join(&mut self, who: String) {
        self.subscriber.send(Event::Joined(who));
    }

    #[cast]
    pub fn leave(&mut self, who: String) {
        self.subscriber.send(Event::Left(who));
    }

    #[cast]
    pub fn crash(&self) {
        panic!("the room fell")
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test(start_paused = true)]
async fn a_probe_receives_what_the_code_under_test_sends_in_order() {
    let kit = TestKit::new();
    let probe: Probe<Event> = kit.probe().await;
    let room = kit
        .start(Room::start(Room {
            subscriber: probe.server().clone(),
        }))
        .await;
    room.join("ann".into());
    room.join("bob".into());
    room.leave("ann".into());
    // The first match is taken; the others stay, in order.
    assert_receive!(probe, Info::Message(Event::Left(who)));
    assert_eq!(who, "ann");
    assert_receive!(probe, item @ Info::Message(Event::Joined(_)));
    assert_eq!(item, Info::Message(Event::Joined("ann".into())));
    assert_receive!(probe, Info::Message(Event::Joined(who)) if who == "bob");
    assert_no_receive!(probe);
    kit.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_probe_as_monitor_and_link_receives_down_and_exit_and_survives() {
    let kit = TestKit::new();
    let probe: Probe = kit.probe().await;
    let watched = Room::start(Room {
        subscriber: Probe::<Event>::start().await.server().clone(),
    })
    .await
    .unwrap();
    let linked = Room::start(Room {
        subscriber: Probe::<Event>::start().await.server().clone(),
    })
    .link(&probe)
    .await
    .unwrap();
    let monitor = probe.monitor(&watched).await;
    watched.crash();
    assert_receive!(
        probe,
        Info::Down {
            monitor: m,
            server,
            reason
        }
    );
    assert_eq!((m, server), (monitor, watched.id()));
    assert_eq!(reason, ExitReason::Panic("the room fell".into()));
    linked.crash();
    assert_receive!(probe, Info::Exit { from, reason });
    assert_eq!(
        (from, reason),
        (linked.id(), ExitReason::Panic("the room fell".into()))
    );
    // It traps exits: the linked crash did not take it down.
    assert!(probe.is_alive());
    kit.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_probe_records_its_tasks_results_and_failures() {
    let probe: Probe<u64> = Probe::start().await;
    probe.spawn(async { 6 * 7 }).await;
    assert_receive!(probe, Info::Message(42));
    let failed = probe.spawn(async { panic!("the task fell") }).await;
    assert_receive!(probe, Info::TaskFailed { task, reason });
    assert_eq!(
        (task, reason),
        (failed.id(), ExitReason::Panic("the task fell".into()))
    );
}

#[tokio::test(start_paused = true)]
async fn assert_receive_waits_up_to_its_timeout_on_the_paused_clock() {
    let probe: Probe<u32> = Probe::start().await;
    let sender = probe.server().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(30)).await;
        sender.send(1);
    });
    let started = Instant::now();
    assert_receive!(probe, Info::Message(1), Duration::from_secs(60));
    assert_eq!(started.elapsed(), Duration::from_secs(30));
}

#[tokio::test(start_paused = true)]
#[should_panic(
    expected = "assert_receive!: nothing matching `Info::Down { .. }` arrived within 5s; the inbox holds:\n  Message(1)\n  Message(2)\n  (1 taken before by earlier assertions)"
)]
async fn a_failed_assert_receive_shows_what_did_arrive() {
    let probe: Probe<u32> = Probe::start().await;
    for n in 0..3 {
        probe.send(n);
    }
    assert_receive!(probe, Info::Message(0));
    assert_receive!(probe, Info::Down { .. }, Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
#[should_panic(
    expected = "assert_no_receive!: `Message(\"late\")` arrived within 100ms, matching `_`; the inbox also holds:\n  (nothing)"
)]
async fn a_failed_assert_no_receive_shows_what_arrived() {
    let probe: Probe<&'static str> = Probe::start().await;
    let sender = probe.server().clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        sender.send("late");
    });
    assert_no_receive!(probe);
}

#[tokio::test(start_paused = true)]
async fn assert_no_receive_with_a_pattern_lets_other_messages_be() {
    let probe: Probe<u32> = Probe::start().await;
    probe.send(1);
    assert_no_receive!(probe, Info::Message(2), Duration::from_secs(1));
    assert_receive!(probe, Info::Message(1));
    assert_eq!(probe.take_all(), []);
}
