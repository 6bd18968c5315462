//! A pool across machines, over a real nats-server: several nodes serve
//! one name, NATS' queue group hands each request to one of them.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, within};
use genserver_nats::{Node, NodeOptions};

const LIMIT: Duration = Duration::from_secs(10);

async fn node(nats: &NatsServer, name: &str) -> Node {
    within(
        LIMIT,
        Node::connect(nats.url(), NodeOptions::new(name).prefix("t")),
    )
    .await
    .expect("connects")
}

#[tokio::test]
async fn an_any_member_pool_answers_each_call_once_from_one_of_its_nodes() {
    let nats = NatsServer::start();
    let (a, b, c) = (
        node(&nats, "a").await,
        node(&nats, "b").await,
        node(&nats, "c").await,
    );
    let on_a = Counter::start(Counter { value: 0 }).await.expect("starts");
    let on_b = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve_pool("pool", &on_a))
        .await
        .expect("serves");
    within(LIMIT, b.serve_pool("pool", &on_b))
        .await
        .expect("serves");
    let pool = c.remote::<Counter>("pool").expect("a valid name");
    for _ in 0..200 {
        within(LIMIT, pool.increment(1)).await.expect("answered");
    }
    let (on_a, on_b) = (
        within(LIMIT, on_a.value()).await.expect("answers"),
        within(LIMIT, on_b.value()).await.expect("answers"),
    );
    assert_eq!(on_a + on_b, 200, "each call answered by exactly one member");
    assert!(on_a > 0 && on_b > 0, "both members served: {on_a} + {on_b}");
}

#[tokio::test]
async fn the_pool_serves_on_when_a_member_leaves() {
    let nats = NatsServer::start();
    let (a, b, c) = (
        node(&nats, "a").await,
        node(&nats, "b").await,
        node(&nats, "c").await,
    );
    let on_a = Counter::start(Counter { value: 0 }).await.expect("starts");
    let on_b = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve_pool("pool", &on_a))
        .await
        .expect("serves");
    within(LIMIT, b.serve_pool("pool", &on_b))
        .await
        .expect("serves");
    within(LIMIT, a.close()).await.expect("drains");
    // Once `close` returns, the NATS server routes every request to `b`.
    let pool = c
        .remote::<Counter>("pool")
        .expect("a valid name")
        .with_timeout(Duration::from_secs(2));
    for _ in 0..20 {
        within(LIMIT, pool.increment(1)).await.expect("answered");
    }
    let on_b = within(LIMIT, on_b.value()).await.expect("answers");
    assert_eq!(on_b, 20);
}

#[tokio::test]
async fn a_pool_member_that_closes_mid_stream_loses_no_call() {
    let nats = NatsServer::start();
    let (a, b, c) = (
        node(&nats, "a").await,
        node(&nats, "b").await,
        node(&nats, "c").await,
    );
    let on_a = Counter::start(Counter { value: 0 }).await.expect("starts");
    let on_b = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve_pool("pool", &on_a))
        .await
        .expect("serves");
    within(LIMIT, b.serve_pool("pool", &on_b))
        .await
        .expect("serves");
    let pool = c
        .remote::<Counter>("pool")
        .expect("a valid name")
        .with_timeout(Duration::from_secs(3));
    // Eight callers, each a steady stream of calls: every third one slow
    // (its server sleeps 50 ms in the handler), every third one answered
    // 100 ms later from a task: some are queued at `a`'s server, in its
    // handler or waiting for their reply when `a` closes.
    let stop = Arc::new(AtomicBool::new(false));
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let (pool, stop) = (pool.clone(), stop.clone());
            tokio::spawn(async move {
                let mut outcomes = Vec::new();
                for i in 0..2_000_u32 {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let outcome = match i % 3 {
                        0 => pool.slow(50).await.map(|_| ()),
                        1 => pool.later(100).await.map(|_| ()),
                        _ => pool.increment(1).await.map(|_| ()),
                    };
                    outcomes.push(outcome);
                }
                outcomes
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    within(LIMIT, a.close()).await.expect("drains");
    let took = started.elapsed();
    let served_by_a = within(LIMIT, on_a.value()).await.expect("answers");
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut calls = 0;
    for caller in callers {
        for outcome in within(LIMIT, caller).await.expect("the caller ends") {
            assert_eq!(outcome, Ok(()), "call {calls}");
            calls += 1;
        }
    }
    eprintln!("{calls} calls, none lost; close took {took:?}");
    let served_by_b = within(LIMIT, on_b.value()).await.expect("answers");
    assert!(served_by_a > 0, "a served before it closed");
    assert!(served_by_b > 0, "b served");
    // Nothing reached `a` after its close returned.
    assert_eq!(within(LIMIT, on_a.value()).await, Ok(served_by_a));
}
