//! Hostile peers: plain NATS clients, on a nats-server started by each
//! test on 127.0.0.1, that publish junk, forged heartbeats and forged
//! control messages to a node's subjects. Nothing they send can crash a
//! node, block it, or flood its log: each refusal is counted
//! (`Node::refusals`), and logged at most once a second per kind.

mod common;

use std::time::{Duration, Instant};

use common::lines::Lines;
use common::servers::Counter;
use common::{NatsServer, node, served_counter_and_plain_client, within};
use futures_util::StreamExt;
use genserver_core::Remote;
use tracing_subscriber::layer::SubscriberExt;

const LIMIT: Duration = Duration::from_secs(20);
const JUNK: u64 = 100_000;

/// Waits until `done` holds, within [`LIMIT`].
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + LIMIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `a`'s heartbeat: its instance (the third field, after the version
/// and the node's name, each a postcard string: a length and bytes).
async fn instance_of(hostile: &async_nats::Client, node: &str) -> String {
    let mut heartbeats = hostile
        .subscribe(format!("t.node.{node}.hb"))
        .await
        .expect("subscribes");
    let heartbeat = within(LIMIT, heartbeats.next()).await.expect("a heartbeat");
    let bytes = &heartbeat.payload[1..];
    let skip = 1 + usize::from(bytes[0]);
    let len = usize::from(bytes[skip]);
    String::from_utf8(bytes[skip + 1..skip + 1 + len].to_vec()).expect("an instance")
}

#[tokio::test]
async fn a_flood_of_junk_writes_at_most_a_line_a_second_per_kind_and_counts_it() {
    let lines = Lines::default();
    let _log = tracing::subscriber::set_default(tracing_subscriber::registry().with(lines.clone()));
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, _counter, hostile) = served_counter_and_plain_client(&nats).await;
    let instance = instance_of(&hostile, "a").await;
    let before = lines.count();
    let started = Instant::now();
    // A request, a heartbeat, a control message, a monitor request and a
    // reply for each kind of subject a node listens on.
    let subjects = [
        "t.srv.counter".to_owned(),
        "t.node.a.hb".to_owned(),
        format!("t.node.x.ctl.a.{instance}"),
        "t.mon.counter".to_owned(),
        format!("_GS_INBOX.t.a.{instance}.7"),
    ];
    for i in 0..JUNK {
        let junk = bytes::Bytes::from(vec![0xff_u8; 1 + (i % 40) as usize]);
        hostile
            .publish_with_reply(subjects[0].clone(), "_INBOX.junk", junk)
            .await
            .expect("publishes");
    }
    for subject in &subjects[1..] {
        for i in 0..1_000_u64 {
            let junk = bytes::Bytes::from(vec![0xfe_u8; 1 + (i % 40) as usize]);
            hostile
                .publish_with_reply(subject.clone(), "_INBOX.junk", junk)
                .await
                .expect("publishes");
        }
    }
    within(LIMIT, hostile.flush()).await.expect("flushes");
    until("every junk message counted", || {
        let refused = a.refusals();
        refused.requests >= JUNK
            && refused.heartbeats >= 1_000
            && refused.control >= 1_000
            && refused.watches >= 1_000
            && refused.replies >= 1_000
    })
    .await;
    let took = started.elapsed();
    let written = lines.count() - before;
    let refused = a.refusals();
    eprintln!(
        "{JUNK} junk requests and 4 x 1000 other junk messages in {took:?}: {written} log lines at WARN or above; {refused:?}"
    );
    assert_eq!(refused.requests, JUNK, "every junk request is counted once");
    // At most one line a second for each of the four WARN kinds (replies
    // are logged at debug): the first at once, then one a second.
    let seconds = took.as_secs() as usize + 1;
    assert!(written <= 4 * (seconds + 1), "{written} lines in {took:?}");
    // The node still serves.
    let b = node(&nats, "b").await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
}

#[tokio::test]
async fn a_heartbeat_that_speaks_for_another_node_is_refused() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    until("b hears a", || b.nodes().contains(&"a".to_owned())).await;
    let hostile = within(LIMIT, async_nats::connect(nats.url()))
        .await
        .expect("connects");
    let mut heartbeats = hostile.subscribe("t.node.a.hb").await.expect("subscribes");
    let heartbeat = within(LIMIT, heartbeats.next()).await.expect("a heartbeat");
    // a's own heartbeat, saying it leaves, on another node's subject.
    let mut forged = heartbeat.payload.to_vec();
    *forged.last_mut().expect("not empty") = 1;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    let slow = tokio::spawn(async move { remote.slow(500).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    hostile
        .publish("t.node.mallory.hb", forged.into())
        .await
        .expect("sent");
    until("the forgery refused", || b.refusals().heartbeats > 0).await;
    assert_eq!(within(LIMIT, slow).await.expect("joins"), Ok(500));
    assert!(b.nodes().contains(&"a".to_owned()), "{:?}", b.nodes());
}

#[tokio::test]
async fn a_request_whose_reply_subject_is_inside_the_prefix_is_refused() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, _counter, hostile) = served_counter_and_plain_client(&nats).await;
    // A reply there would make `a` publish on another node's subject.
    let mut reflected = hostile
        .subscribe("t.node.b.ctl.>")
        .await
        .expect("subscribes");
    hostile.flush().await.expect("flushes");
    hostile
        .publish_with_reply(
            "t.srv.counter",
            "t.node.b.ctl.a.x",
            bytes::Bytes::from_static(b"junk"),
        )
        .await
        .expect("sent");
    until("the request refused", || a.refusals().requests == 1).await;
    // The same for "who serves it?", and for a monitor request.
    for subject in ["t.who.counter", "t.mon.counter"] {
        hostile
            .publish_with_reply(
                subject,
                "t.node.b.ctl.a.x",
                bytes::Bytes::from_static(b"junk"),
            )
            .await
            .expect("sent");
    }
    until("the questions refused", || {
        a.refusals().requests == 2 && a.refusals().watches == 1
    })
    .await;
    let nothing = tokio::time::timeout(Duration::from_millis(300), reflected.next()).await;
    assert!(nothing.is_err(), "a published its reply inside the prefix");
}

/// A graceful close is heard at once (it was once heard 2.1 s late: the
/// leaving heartbeat could still be in the NATS client's buffer when the
/// drain closed the connection, and the node was then heard only once
/// silent), and logged at INFO, not as a lost node.
#[tokio::test]
async fn a_graceful_close_is_heard_at_once_every_time() {
    let lines = Lines::default();
    let _log = tracing::subscriber::set_default(tracing_subscriber::registry().with(lines.clone()));
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let b = node(&nats, "b").await;
    let before = lines.count();
    let mut slowest = Duration::ZERO;
    for round in 0..12 {
        let a = node(&nats, "a").await;
        until("b hears a", || b.nodes().contains(&"a".to_owned())).await;
        // At varied points of a's heartbeat interval.
        tokio::time::sleep(Duration::from_millis(round * 90)).await;
        let closing = Instant::now();
        within(LIMIT, a.close()).await.expect("closes");
        until("b hears a leave", || !b.nodes().contains(&"a".to_owned())).await;
        slowest = slowest.max(closing.elapsed());
    }
    eprintln!("12 closes, the slowest heard after {slowest:?}");
    // Silence would take `down_after` (3 s).
    assert!(slowest < Duration::from_millis(1_000), "{slowest:?}");
    assert_eq!(lines.count(), before, "a graceful close logged a warning");
}
