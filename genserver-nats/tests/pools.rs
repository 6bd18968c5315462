//! A pool across machines, over a real nats-server: several nodes serve
//! one name, NATS' queue group hands each request to one of them.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, node, within};
use genserver_core::prelude::*;
use genserver_nats::PoolError;

const LIMIT: Duration = Duration::from_secs(10);

#[tokio::test]
async fn an_any_member_pool_answers_each_call_once_from_one_of_its_nodes() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
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
    let Some(nats) = NatsServer::start() else {
        return;
    };
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
    let Some(nats) = NatsServer::start() else {
        return;
    };
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

#[tokio::test]
async fn a_partitioned_pool_sends_each_key_to_one_server_from_every_node() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b, c, d) = (
        node(&nats, "a").await,
        node(&nats, "b").await,
        node(&nats, "c").await,
        node(&nats, "d").await,
    );
    // Partitions 0 and 1 on `a`, 2 and 3 on `b`.
    let mut servers = Vec::new();
    for index in 0..4 {
        let server = Counter::start(Counter { value: 0 }).await.expect("starts");
        let on = if index < 2 { &a } else { &b };
        within(LIMIT, on.serve_partition("jobs", index, &server))
            .await
            .expect("serves");
        servers.push(server);
    }
    let from_c = c.partitioned::<Counter>("jobs", 4).expect("a valid pool");
    let from_d = d.partitioned::<Counter>("jobs", 4).expect("a valid pool");
    assert_eq!(from_c.partitions(), 4);
    // Key k adds k + 1 to its partition, half of them from each node.
    let mut expected = [0_i64; 4];
    for key in 0..100_u32 {
        let index = from_c.partition_of(&key);
        assert_eq!(index, from_d.partition_of(&key), "every node routes alike");
        expected[index] += i64::from(key) + 1;
        let via = if key % 2 == 0 { &from_c } else { &from_d };
        within(LIMIT, via.get(&key).increment(i64::from(key) + 1))
            .await
            .expect("answered");
    }
    assert!(
        expected.iter().all(|sum| *sum > 0),
        "100 keys reach all 4 partitions: {expected:?}"
    );
    for (index, server) in servers.iter().enumerate() {
        let value = within(LIMIT, server.value()).await.expect("answers");
        assert_eq!(value, expected[index], "partition {index}");
    }
    // A partition nobody serves: its keys get NoProc at once.
    within(LIMIT, servers[3].stop(ExitReason::Normal))
        .await
        .expect("stops");
    let orphan = (0..100_u32)
        .find(|key| from_c.partition_of(key) == 3)
        .expect("a key of partition 3");
    let started = Instant::now();
    let mut outcome = within(LIMIT, from_c.get(&orphan).value()).await;
    while outcome != Err(CallError::NoProc) && started.elapsed() < Duration::from_secs(2) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        outcome = within(LIMIT, from_c.get(&orphan).value()).await;
    }
    assert_eq!(outcome, Err(CallError::NoProc));
}

#[tokio::test]
async fn a_pool_of_no_partitions_or_a_bad_name_is_refused() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    assert_eq!(
        a.partitioned::<Counter>("jobs", 0).map(|_| ()),
        Err(PoolError::NoPartitions)
    );
    assert!(matches!(
        a.partitioned::<Counter>("a b", 2).map(|_| ()),
        Err(PoolError::InvalidName(e)) if e.name() == "a b"
    ));
}
