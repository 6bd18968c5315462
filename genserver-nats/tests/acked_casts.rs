//! Casts through a remote handle, over a nats-server started by each test
//! on 127.0.0.1: `try_x` and `x_wait` are acknowledged by the serving
//! node once queued, so neither reports `Ok` for a cast the remote mailbox
//! dropped; `x()` stays fire-and-forget; `mailbox_len` is answered there.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::servers::Sink;
use common::{NatsServer, node, within};
use genserver_core::Remote;
use genserver_core::prelude::*;
use genserver_nats::Node;

const LIMIT: Duration = Duration::from_secs(20);
const CAPACITY: usize = 5;

/// A `Sink` on `a` behind a bounded mailbox, served as "sink", and `b`'s
/// handle to it.
async fn sink(nats: &NatsServer, millis: u64) -> (Node, Node, Server<Sink>, Remote<Sink>) {
    let a = node(nats, "a").await;
    let b = node(nats, "b").await;
    let sink = Sink::start(Sink {
        millis,
        taken: Vec::new(),
    })
    .mailbox(Mailbox::bounded(CAPACITY))
    .await
    .expect("starts");
    within(LIMIT, a.serve("sink", &sink)).await.expect("serves");
    let remote: Remote<Sink> = b.remote("sink").expect("a valid name");
    (a, b, sink, remote)
}

/// Waits until the sink took everything queued, and returns what it took.
async fn drained(sink: &Server<Sink>) -> Vec<u64> {
    let deadline = Instant::now() + LIMIT;
    while sink.mailbox_len() > 0 {
        assert!(Instant::now() < deadline, "the sink does not drain");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    within(LIMIT, sink.taken()).await.expect("answers")
}

#[tokio::test]
async fn x_wait_returns_ok_only_once_the_cast_is_queued_there() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, sink, remote) = sink(&nats, 50).await;
    // Twenty at once, with a timeout shorter than the time the sink needs
    // to make room for all of them.
    let remote = remote.with_timeout(Duration::from_millis(120));
    let started = Instant::now();
    let outcomes = within(
        LIMIT,
        futures_util::future::join_all((0..20_u64).map(|item| {
            let remote = remote.clone();
            async move { (item, remote.push_wait(item).await) }
        })),
    )
    .await;
    let took = started.elapsed();
    assert!(took < Duration::from_secs(2), "x_wait waited {took:?}");
    let ok: BTreeSet<u64> = outcomes
        .iter()
        .filter(|(_, outcome)| outcome.is_ok())
        .map(|(item, _)| *item)
        .collect();
    let full = outcomes.len() - ok.len();
    let taken: BTreeSet<u64> = drained(&sink).await.into_iter().collect();
    eprintln!(
        "20 x_wait: {} Ok, {full} MailboxFull; the sink took {}",
        ok.len(),
        taken.len()
    );
    assert_eq!(taken, ok, "every Ok was queued, and nothing else was");
    assert!(
        full > 0,
        "a slow sink behind 5 slots cannot take 20 in time"
    );
    assert!(!ok.is_empty());
}

#[tokio::test]
async fn try_x_never_reports_ok_for_a_dropped_cast() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, sink, remote) = sink(&nats, 20).await;
    let mut ok = BTreeSet::new();
    let mut full = 0;
    for item in 0..100_u64 {
        match remote.try_push(item) {
            Ok(()) => {
                ok.insert(item);
            }
            Err(MailboxFull) => full += 1,
        }
        if item % 10 == 9 {
            // Let acknowledgements come back now and then.
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
    }
    let taken: BTreeSet<u64> = drained(&sink).await.into_iter().collect();
    eprintln!(
        "100 try_x: {} Ok, {full} MailboxFull; the sink took {}",
        ok.len(),
        taken.len()
    );
    assert_eq!(taken, ok, "every Ok was queued, and nothing else was");
    assert!(full > 0, "a slow sink behind 5 slots refuses some");
    // Once it drained, the window opens again.
    let deadline = Instant::now() + LIMIT;
    while remote.try_push(1_000).is_err() {
        assert!(Instant::now() < deadline, "the window stays shut");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_plain_cast_stays_fire_and_forget_and_its_drops_are_counted_there() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, sink, remote) = sink(&nats, 20).await;
    for item in 0..50_u64 {
        remote.push(item);
    }
    // Received, then dropped by the full mailbox's policy.
    let deadline = Instant::now() + LIMIT;
    loop {
        let taken = within(LIMIT, sink.taken()).await.expect("answers").len() as u64;
        if taken + sink.dropped() == 50 && sink.mailbox_len() == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{taken} taken, {} dropped",
            sink.dropped()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(sink.dropped() > 0, "5 slots cannot hold 50 casts");
}

#[tokio::test]
async fn mailbox_len_is_answered_by_the_serving_node() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, sink, remote) = sink(&nats, 200).await;
    assert_eq!(within(LIMIT, remote.mailbox_len()).await, Ok(0));
    for item in 0..4_u64 {
        within(LIMIT, remote.push_wait(item))
            .await
            .expect("room for 4");
    }
    let there = within(LIMIT, remote.mailbox_len()).await.expect("answers");
    let here = sink.mailbox_len();
    eprintln!("remote mailbox_len {there}, local {here}");
    assert!(
        (2..=4).contains(&there) && here <= there,
        "{there} / {here}"
    );
    let nobody: Remote<Sink> = b.remote("nobody").expect("a valid name");
    assert_eq!(
        within(LIMIT, nobody.mailbox_len()).await,
        Err(CallError::NoProc)
    );
    // `x_wait` to a name nobody serves is dropped, as a cast to a dead
    // server: `Ok`, as locally.
    assert_eq!(within(LIMIT, nobody.push_wait(1)).await, Ok(()));
}
