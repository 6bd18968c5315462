//! A pool across machines, over a real nats-server: several nodes serve
//! one name, NATS' queue group hands each request to one of them.

mod common;

use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, within};
use genserver_core::CallError;
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
    // `close` returns before the NATS server has dropped `a`'s
    // subscription: a request routed to `a` meanwhile is lost with its
    // reply (a `Timeout`). After that, every request goes to `b`.
    let pool = c
        .remote::<Counter>("pool")
        .expect("a valid name")
        .with_timeout(Duration::from_millis(300));
    let deadline = Instant::now() + LIMIT;
    let mut answered = 0;
    while answered < 20 {
        match within(LIMIT, pool.increment(1)).await {
            Ok(_) => answered += 1,
            Err(CallError::Timeout) => answered = 0,
            Err(other) => panic!("{other:?}"),
        }
        assert!(Instant::now() < deadline, "b did not take every request");
    }
    let on_b = within(LIMIT, on_b.value()).await.expect("answers");
    assert!(on_b >= 20, "{on_b}");
}
