//! A name on every node, over a real nats-server: OTP's `{name, node}`,
//! `GenServer.multi_call/4` and `GenServer.abcast/3`.

mod common;

use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, node, within};
use genserver_core::prelude::*;
use genserver_nats::Node;

const LIMIT: Duration = Duration::from_secs(10);

async fn serve(on: &Node, value: i64) -> Server<Counter> {
    let server = Counter::start(Counter { value }).await.expect("starts");
    within(LIMIT, on.serve("counter", &server))
        .await
        .expect("serves");
    server
}

#[tokio::test]
async fn multi_call_collects_one_reply_per_node_and_each_nodes_error() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b, c) = (
        node(&nats, "a").await,
        node(&nats, "b").await,
        node(&nats, "c").await,
    );
    let (_on_a, _on_b) = (serve(&a, 10).await, serve(&b, 20).await);
    assert_eq!(
        within(LIMIT, c.nodes_serving("counter"))
            .await
            .expect("asks"),
        ["a", "b"]
    );
    let replies = within(
        LIMIT,
        c.multi_call::<Counter, _, _, _>("counter", Duration::from_secs(2), |counter| async move {
            counter.increment(1).await
        }),
    )
    .await
    .expect("asks");
    assert_eq!(
        replies,
        [("a".to_owned(), Ok(11)), ("b".to_owned(), Ok(21))]
    );

    // A node too slow to answer is its own error, bounded by the timeout.
    let started = Instant::now();
    let replies = within(
        LIMIT,
        c.multi_call::<Counter, _, _, _>(
            "counter",
            Duration::from_millis(300),
            |counter| async move {
                counter
                    .slow(if counter_is_b(&counter) { 1_000 } else { 0 })
                    .await
            },
        ),
    )
    .await
    .expect("asks");
    assert_eq!(
        replies,
        [
            ("a".to_owned(), Ok(0)),
            ("b".to_owned(), Err(CallError::Timeout))
        ]
    );
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );

    // `{name, node}` reaches that node's server only.
    let on_b = c.remote_on::<Counter>("b", "counter").expect("valid names");
    assert_eq!(within(LIMIT, on_b.increment(0)).await, Ok(21));
    let nowhere = c.remote_on::<Counter>("z", "counter").expect("valid names");
    assert_eq!(within(LIMIT, nowhere.value()).await, Err(CallError::NoProc));
}

/// Whether the handle goes to node `b`'s server (its subject says).
fn counter_is_b(counter: &genserver_core::Remote<Counter>) -> bool {
    format!("{counter:?}").contains(".node.b.")
}

#[tokio::test]
async fn abcast_reaches_the_name_on_every_node_and_nobody_is_empty() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b, c) = (
        node(&nats, "a").await,
        node(&nats, "b").await,
        node(&nats, "c").await,
    );
    let none = within(
        LIMIT,
        c.abcast::<Counter, _>("counter", |counter| counter.add(1)),
    )
    .await
    .expect("asks");
    assert!(none.is_empty());
    let (on_a, on_b) = (serve(&a, 0).await, serve(&b, 0).await);
    let sent = within(
        LIMIT,
        c.abcast::<Counter, _>("counter", |counter| counter.add(5)),
    )
    .await
    .expect("asks");
    assert_eq!(sent, ["a", "b"]);
    let deadline = Instant::now() + LIMIT;
    while (
        within(LIMIT, on_a.value()).await,
        within(LIMIT, on_b.value()).await,
    ) != (Ok(5), Ok(5))
    {
        assert!(Instant::now() < deadline, "a node missed the cast");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
