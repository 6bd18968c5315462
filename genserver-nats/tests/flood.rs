//! A flood of casts towards a connection that cannot keep up, over a real
//! nats-server (started by each test on 127.0.0.1): the node's outgoing
//! queue stays within its bound and the casts beyond it are dropped and
//! counted, never held without limit; calls work again afterwards.

mod common;

use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, within};
use genserver_core::Remote;
use genserver_nats::{Node, NodeOptions};

const LIMIT: Duration = Duration::from_secs(10);
const BOUND: usize = 256 * 1024;
const CAST: usize = 1024;

/// Node `a` serves a `Counter` as "counter"; node `b`, whose outgoing
/// queue is bounded to [`BOUND`], has a handle to it that has answered.
async fn counter_on_a_handle_on_b(nats: &NatsServer) -> (Node, Node, Remote<Counter>) {
    let options = |name: &str| NodeOptions::new(name).prefix("fl").max_queued_bytes(BOUND);
    let a = within(LIMIT, Node::connect(nats.url(), options("a")))
        .await
        .expect("connects");
    let b = within(LIMIT, Node::connect(nats.url(), options("b")))
        .await
        .expect("connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    let remote = b.remote::<Counter>("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(0)).await, Ok(0));
    (a, b, remote)
}

#[tokio::test]
async fn a_flood_of_casts_to_a_stalled_connection_stays_within_the_bound() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, remote) = counter_on_a_handle_on_b(&nats).await;

    // The nats-server stops reading: the socket's buffers fill, then the
    // client's queue, then the node's.
    nats.pause(true);
    let sent = 40_000;
    let mut highest = 0;
    for _ in 0..sent {
        remote.add_len(vec![1; CAST]);
        highest = highest.max(b.queued_bytes());
    }
    // Let the outbox task push what it can.
    tokio::time::sleep(Duration::from_millis(200)).await;
    highest = highest.max(b.queued_bytes());
    let dropped = b.dropped();
    eprintln!(
        "{sent} casts of {CAST} B into a stalled connection: at most {highest} B queued (bound {BOUND} B), {dropped} dropped"
    );
    assert!(
        highest <= BOUND + CAST + 64,
        "queued {highest} B, bound {BOUND} B"
    );
    assert!(dropped > 0, "40 MB cannot all fit: some casts are dropped");
    assert!(dropped < sent, "the casts before the bound are queued");

    nats.pause(false);
    // Calls work again; the queue drains.
    let started = Instant::now();
    let value = loop {
        if let Ok(value) = within(LIMIT, remote.value()).await {
            break value;
        }
        assert!(
            started.elapsed() < LIMIT,
            "no call succeeded after the stall"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let delivered = (sent - dropped) as i64 * CAST as i64;
    assert!(
        value <= delivered,
        "no more arrived than was queued: {value} > {delivered}"
    );
    let started = Instant::now();
    while b.queued_bytes() > 0 {
        assert!(
            started.elapsed() < LIMIT,
            "{} B still queued",
            b.queued_bytes()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn casts_through_a_node_without_a_connection_are_dropped_at_once() {
    let Some(mut nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, remote) = counter_on_a_handle_on_b(&nats).await;
    nats.kill();
    // Once the node knows (within its 100 ms check), nothing is queued.
    let started = Instant::now();
    while remote.value().await.is_ok() {
        assert!(
            started.elapsed() < LIMIT,
            "the lost connection went unnoticed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = b.queued_bytes();
    for _ in 0..10_000 {
        remote.add_len(vec![1; CAST]);
    }
    assert_eq!(
        b.queued_bytes(),
        before,
        "nothing queued without a connection"
    );
    assert_eq!(b.dropped(), 10_000);
}

#[tokio::test]
async fn large_casts_count_what_the_nats_client_holds_too() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, remote) = counter_on_a_handle_on_b(&nats).await;

    nats.pause(true);
    // 300 MB of 100 KB casts: the NATS client alone would take 2 048 of
    // them (200 MB) before making anyone wait.
    const LARGE: usize = 100 * 1024;
    let sent = 3_000_u64;
    for _ in 0..sent {
        remote.add_len(vec![1; LARGE]);
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let accepted = sent - b.dropped();
    let held = accepted as usize * LARGE;
    eprintln!(
        "{sent} casts of {LARGE} B into a stalled connection: {accepted} accepted ({held} B)"
    );
    // The bound, and what the kernel's socket buffers take before the
    // stall shows: about 3 MB here (the stopped receiver's buffer does not
    // grow). Without counting what the client holds, 20 MB and more were
    // accepted.
    let allowance = 12 * 1024 * 1024;
    assert!(
        held <= BOUND + allowance,
        "{held} B accepted, bound {BOUND} B + {allowance} B of socket buffers"
    );
    nats.pause(false);
    let started = Instant::now();
    while within(LIMIT, remote.value()).await.is_err() {
        assert!(
            started.elapsed() < LIMIT,
            "no call succeeded after the stall"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
