//! The mailbox: bounded capacity and back-pressure, overflow policies, the
//! priority lane, and its visibility (`mailbox_len`, `dropped`, `Debug`,
//! watermark events). Every wait is bounded.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, within};
use genserver_core::prelude::*;
use genserver_core::{DynamicSupervisor, DynamicSupervisorSpec};
use genserver_core::{Mailbox, Overflow};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Records the casts it handles; can be held busy.
#[derive(Clone)]
pub struct Sink {
    seen: Vec<u64>,
}

#[gen_server(info = u64)]
impl Sink {
    /// Holds the server for `d`, so messages queue behind it.
    #[cast]
    pub async fn hold(&mut self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    #[cast]
    pub fn record(&mut self, n: u64) {
        self.seen.push(n);
    }

    #[call]
    pub fn seen(&self) -> Vec<u64> {
        self.seen.clone()
    }

    fn handle_info(&mut self, msg: Info<u64>) {
        if let Info::Message(n) = msg {
            self.seen.push(n);
        }
    }
}

async fn sink(mailbox: Mailbox) -> Server<Sink> {
    Sink::start(Sink { seen: Vec::new() })
        .mailbox(mailbox)
        .await
        .unwrap()
}

/// Holds `server` and waits until the hold is being handled.
async fn hold(server: &Server<Sink>, d: Duration) {
    server.hold(d);
    eventually(LIMIT, "the hold is being handled", || {
        server.mailbox_len() == 0
    })
    .await;
}

#[tokio::test]
async fn a_call_to_a_full_mailbox_waits_for_room_within_its_timeout() {
    let server = sink(Mailbox::bounded(2)).await;
    hold(&server, Duration::from_millis(300)).await;
    server.record(1);
    server.record(2);
    assert_eq!(server.mailbox_len(), 2);
    // No room within 50 ms: the call times out without being queued.
    let impatient = server.with_timeout(Duration::from_millis(50));
    let result = within(LIMIT, "the impatient call", impatient.seen()).await;
    assert_eq!(result, Err(CallError::Timeout));
    assert_eq!(server.mailbox_len(), 2);
    // A patient call gets in once the hold ends, and is answered in order.
    let seen = within(LIMIT, "the patient call", server.seen()).await;
    assert_eq!(seen, Ok(vec![1, 2]));
}

#[tokio::test]
async fn a_full_mailbox_drops_the_newest_casts_by_default_and_counts_them() {
    let server = sink(Mailbox::bounded(3)).await;
    hold(&server, Duration::from_millis(100)).await;
    for n in 1..=10 {
        server.record(n);
    }
    assert_eq!(server.dropped(), 7);
    assert_eq!(
        within(LIMIT, "seen", server.seen()).await,
        Ok(vec![1, 2, 3])
    );
}

#[tokio::test]
async fn drop_oldest_keeps_the_latest_casts() {
    let server = sink(Mailbox::bounded(3).with_overflow(Overflow::DropOldest)).await;
    hold(&server, Duration::from_millis(100)).await;
    for n in 1..=10 {
        server.record(n);
    }
    assert_eq!(server.dropped(), 7);
    assert_eq!(
        within(LIMIT, "seen", server.seen()).await,
        Ok(vec![8, 9, 10])
    );
}

#[tokio::test]
async fn drop_oldest_never_drops_a_waiting_call() {
    let server = sink(Mailbox::bounded(2).with_overflow(Overflow::DropOldest)).await;
    hold(&server, Duration::from_millis(100)).await;
    let call = tokio::spawn({
        let server = server.clone();
        async move { server.seen().await }
    });
    eventually(LIMIT, "the call is queued", || server.mailbox_len() == 1).await;
    for n in 1..=5 {
        server.record(n);
    }
    // The call stays; the casts behind it make room for each other.
    let seen = within(LIMIT, "the queued call", call).await.unwrap();
    assert_eq!(seen, Ok(vec![]));
    assert_eq!(within(LIMIT, "seen", server.seen()).await, Ok(vec![5]));
}

#[tokio::test]
async fn priority_messages_overtake_queued_casts_and_are_never_dropped() {
    let server = sink(Mailbox::bounded(2)).await;
    hold(&server, Duration::from_millis(100)).await;
    server.record(1);
    server.record(2);
    server.record(3); // dropped: the user lane is full
    server.send_priority(100);
    server.send_priority(101);
    assert_eq!(
        within(LIMIT, "seen", server.seen()).await,
        Ok(vec![100, 101, 1, 2])
    );
}

#[tokio::test]
async fn a_stop_reaches_a_server_behind_a_million_queued_casts() {
    let server = sink(Mailbox::unbounded()).await;
    hold(&server, Duration::from_millis(50)).await;
    for n in 0..1_000_000 {
        server.record(n);
    }
    assert_eq!(server.mailbox_len(), 1_000_000);
    within(LIMIT, "the stop", server.stop(ExitReason::Shutdown))
        .await
        .unwrap();
    assert!(!server.is_alive());
}

#[tokio::test]
async fn debug_shows_a_bounded_mailbox_and_its_policy() {
    let bounded = sink(Mailbox::bounded(8).with_overflow(Overflow::DropOldest)).await;
    let text = format!("{bounded:?}");
    assert!(
        text.starts_with("Server<Sink>(<0.")
            && text.ends_with(", Mailbox(bounded 8, drop oldest))"),
        "{text}"
    );
    let unbounded = sink(Mailbox::unbounded()).await;
    assert!(!format!("{unbounded:?}").contains("Mailbox"));
    assert_eq!(bounded.mailbox().capacity(), Some(8));
}

#[tokio::test]
async fn a_child_spec_sets_the_mailbox_of_every_start() {
    let spec = Sink::child_spec(Sink { seen: Vec::new() }).with_mailbox(Mailbox::bounded(4));
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    let child = sup.start_child(spec).await.unwrap().unwrap();
    let child: Server<Sink> = child.downcast().unwrap();
    assert_eq!(child.mailbox(), Mailbox::bounded(4));
}

#[tokio::test]
async fn try_cast_fails_fast_on_a_full_mailbox_and_wait_cast_waits_for_room() {
    let server = sink(Mailbox::bounded(2)).await;
    hold(&server, Duration::from_millis(100)).await;
    assert_eq!(server.try_record(1), Ok(()));
    assert_eq!(server.try_record(2), Ok(()));
    assert_eq!(server.try_record(3), Err(genserver_core::MailboxFull));
    // A waiting cast gets in once the hold ends and a slot frees.
    within(LIMIT, "the waiting cast", server.record_wait(4))
        .await
        .unwrap();
    // Impatient: the handle's timeout bounds the wait.
    hold(&server, Duration::from_millis(300)).await;
    server.record(5);
    server.record(6);
    let impatient = server.with_timeout(Duration::from_millis(20));
    assert_eq!(
        within(LIMIT, "the impatient cast", impatient.record_wait(7)).await,
        Err(genserver_core::MailboxFull)
    );
    assert_eq!(server.dropped(), 0, "neither mode drops anything");
    assert_eq!(
        within(LIMIT, "seen", server.seen()).await,
        Ok(vec![1, 2, 4, 5, 6])
    );
}

/// A server whose mailbox is bounded unless its start says otherwise.
pub struct Buffered;

#[gen_server(mailbox = Mailbox::bounded(16).with_overflow(Overflow::DropOldest))]
impl Buffered {
    #[cast]
    pub fn noop(&self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn gen_server_sets_a_default_mailbox_that_a_start_can_override() {
    let by_default = Buffered::start(Buffered).await.unwrap();
    assert_eq!(
        by_default.mailbox(),
        Mailbox::bounded(16).with_overflow(Overflow::DropOldest)
    );
    let overridden = Buffered::start(Buffered)
        .mailbox(Mailbox::unbounded())
        .await
        .unwrap();
    assert_eq!(overridden.mailbox(), Mailbox::unbounded());
}

/// A cast argument whose drop waits until its gate opens (at most 10 s):
/// a backlog that takes a long time to free.
pub struct Heavy(Arc<AtomicBool>);

impl Drop for Heavy {
    fn drop(&mut self) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !self.0.load(Ordering::Acquire) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

/// Opens the gate when the test ends, passed or failed.
struct Open(Arc<AtomicBool>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Release);
    }
}

/// Holds casts it is sent; the backlog is what matters.
pub struct Hoarder;

#[gen_server]
impl Hoarder {
    #[cast]
    pub async fn hold(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    #[cast]
    pub fn keep(&self, heavy: Heavy) {
        std::mem::forget(heavy);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// A stop is answered once the server has exited, before its backlog is
/// freed: freeing millions of queued casts takes time nobody waits for. A
/// small backlog is freed on the server's thread once the stopper has run;
/// a large one on tokio's blocking pool.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stop_is_answered_before_the_backlog_is_freed() {
    for backlog in [3, 5_000] {
        let gate = Arc::new(AtomicBool::new(false));
        let _open = Open(gate.clone());
        let server = Hoarder::start(Hoarder).await.unwrap();
        server.hold(Duration::from_millis(100));
        eventually(LIMIT, "the hold is being handled", || {
            server.mailbox_len() == 0
        })
        .await;
        for _ in 0..backlog {
            server.keep(Heavy(gate.clone()));
        }
        // Waited on a thread of its own: the thread freeing the backlog is
        // blocked, and with it, maybe, the runtime's timers.
        let (answered, answer) = std::sync::mpsc::channel();
        tokio::spawn({
            let server = server.clone();
            async move {
                let _ = answered.send(server.stop(ExitReason::Shutdown).await);
            }
        });
        let stopped =
            tokio::task::spawn_blocking(move || answer.recv_timeout(Duration::from_secs(5)))
                .await
                .unwrap();
        assert_eq!(
            stopped,
            Ok(Ok(())),
            "a backlog of {backlog}: the stop was not answered while it could not be freed"
        );
        assert!(!server.is_alive());
    }
}
