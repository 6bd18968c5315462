//! Process groups across nodes, over a real nats-server: OTP's `:pg`
//! (`join`, `leave`, `get_members`, a send to every member).

mod common;

use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, node, within};
use genserver_core::prelude::*;
use genserver_nats::Node;

const LIMIT: Duration = Duration::from_secs(10);

async fn counter(value: i64) -> Server<Counter> {
    Counter::start(Counter { value }).await.expect("starts")
}

/// The members' nodes and values, sorted.
async fn members(on: &Node, group: &str) -> Vec<(String, i64)> {
    let members = within(LIMIT, on.members::<Counter>(group))
        .await
        .expect("asks");
    let mut seen = Vec::new();
    for member in members {
        // A member is `Clone` whatever its server is: kept and handed on.
        let kept = member.clone();
        let value = within(LIMIT, kept.remote.value()).await.expect("answers");
        seen.push((member.node, value));
    }
    seen.sort();
    seen
}

#[tokio::test]
async fn members_of_a_group_on_two_nodes_are_seen_from_a_third() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b, c) = (
        node(&nats, "a").await,
        node(&nats, "b").await,
        node(&nats, "c").await,
    );
    assert!(
        within(LIMIT, c.members::<Counter>("workers"))
            .await
            .expect("asks")
            .is_empty()
    );
    let (one, two, three) = (counter(1).await, counter(2).await, counter(3).await);
    let _m1 = within(LIMIT, a.join("workers", &one)).await.expect("joins");
    let _m2 = within(LIMIT, a.join("workers", &two)).await.expect("joins");
    let m3 = within(LIMIT, b.join("workers", &three))
        .await
        .expect("joins");
    assert_eq!(
        members(&c, "workers").await,
        [
            ("a".to_owned(), 1),
            ("a".to_owned(), 2),
            ("b".to_owned(), 3)
        ]
    );
    // Leave: gone once `leave` returns.
    within(LIMIT, m3.leave()).await;
    assert_eq!(
        members(&c, "workers").await,
        [("a".to_owned(), 1), ("a".to_owned(), 2)]
    );
    // A member whose server exits leaves.
    within(LIMIT, two.stop(ExitReason::Normal))
        .await
        .expect("stops");
    let deadline = Instant::now() + LIMIT;
    while members(&c, "workers").await != [("a".to_owned(), 1)] {
        assert!(
            Instant::now() < deadline,
            "the exited member is still listed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_broadcast_cast_reaches_every_member_once() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b, c) = (
        node(&nats, "a").await,
        node(&nats, "b").await,
        node(&nats, "c").await,
    );
    let (one, two) = (counter(0).await, counter(0).await);
    let _m1 = within(LIMIT, a.join("room", &one)).await.expect("joins");
    let _m2 = within(LIMIT, b.join("room", &two)).await.expect("joins");
    let room = c.broadcast::<Counter>("room").expect("a valid group");
    for _ in 0..10 {
        room.add(1);
    }
    // Calls cannot be broadcast: refused, never run on every member.
    assert!(matches!(
        within(LIMIT, room.increment(100)).await,
        Err(CallError::Wire(_))
    ));
    let deadline = Instant::now() + LIMIT;
    while (
        within(LIMIT, one.value()).await,
        within(LIMIT, two.value()).await,
    ) != (Ok(10), Ok(10))
    {
        assert!(Instant::now() < deadline, "not every member got every cast");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(within(LIMIT, one.value()).await, Ok(10), "delivered once");
}

#[tokio::test]
async fn bad_group_names_are_refused() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    let server = counter(0).await;
    for bad in ["", "a b", "a*", "a>"] {
        assert!(
            within(LIMIT, a.join(bad, &server)).await.is_err(),
            "{bad:?}"
        );
        assert!(
            within(LIMIT, a.members::<Counter>(bad)).await.is_err(),
            "{bad:?}"
        );
        assert!(a.broadcast::<Counter>(bad).is_err(), "{bad:?}");
    }
}
