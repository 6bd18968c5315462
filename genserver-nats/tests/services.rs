//! The NATS services API (`$SRV.PING`, `INFO`, `STATS`), asked as the
//! standard tools ask it: by a plain NATS client that knows nothing of
//! genserver, over a real nats-server on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, node, served_counter_and_plain_client, within};
use futures_util::StreamExt;
use genserver_core::prelude::*;
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(10);

/// Asks `subject` and gathers every answer for `wait` (the services API
/// is a scatter-gather: every instance answers).
async fn ask_all(client: &async_nats::Client, subject: &str, wait: Duration) -> Vec<Value> {
    let inbox = client.new_inbox();
    let mut answers = within(LIMIT, client.subscribe(inbox.clone()))
        .await
        .expect("subscribes");
    within(
        LIMIT,
        client.publish_with_reply(subject.to_owned(), inbox, "".into()),
    )
    .await
    .expect("asks");
    let mut all = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while let Ok(Some(message)) = tokio::time::timeout_at(deadline, answers.next()).await {
        if message.status.is_some() {
            // The nats-server's "no responders": nobody answers.
            continue;
        }
        all.push(serde_json::from_slice(&message.payload).expect("a JSON answer"));
    }
    all
}

/// The node named `name` among `answers`.
fn of<'a>(answers: &'a [Value], name: &str) -> &'a Value {
    answers
        .iter()
        .find(|a| a["metadata"]["node"] == name)
        .unwrap_or_else(|| panic!("no answer from {name}: {answers:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_answers_ping_and_info_lists_what_it_serves() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, counter, client) = served_counter_and_plain_client(&nats).await;
    let _b = node(&nats, "b").await;

    let pings = ask_all(&client, "$SRV.PING", Duration::from_millis(500)).await;
    assert_eq!(pings.len(), 2, "{pings:?}");
    for name in ["a", "b"] {
        let ping = of(&pings, name);
        assert_eq!(ping["type"], "io.nats.micro.v1.ping_response");
        assert_eq!(ping["name"], "t", "the cluster prefix names the service");
        assert_eq!(ping["version"], env!("CARGO_PKG_VERSION"));
    }
    assert_ne!(of(&pings, "a")["id"], of(&pings, "b")["id"]);
    // By service name, and by name and id.
    let named = ask_all(&client, "$SRV.PING.t", Duration::from_millis(500)).await;
    assert_eq!(named.len(), 2);
    let id = of(&pings, "a")["id"].as_str().unwrap().to_owned();
    let one = ask_all(
        &client,
        &format!("$SRV.PING.t.{id}"),
        Duration::from_millis(500),
    )
    .await;
    assert_eq!(one.len(), 1);
    assert_eq!(one[0]["metadata"]["node"], "a");
    let other = ask_all(&client, "$SRV.PING.other", Duration::from_millis(300)).await;
    assert!(other.is_empty(), "{other:?}");

    let infos = ask_all(&client, "$SRV.INFO", Duration::from_millis(500)).await;
    let info = of(&infos, "a");
    assert_eq!(info["type"], "io.nats.micro.v1.info_response");
    assert_eq!(
        info["endpoints"],
        serde_json::json!([{"name": "counter", "subject": "t.srv.counter",
            "queue_group": "genserver", "metadata": {"served_name": "counter"}}])
    );
    assert_eq!(of(&infos, "b")["endpoints"], serde_json::json!([]));

    // Once its server exits, the name is no longer listed.
    counter.stop(ExitReason::Normal).await.unwrap();
    let deadline = Instant::now() + LIMIT;
    loop {
        let infos = ask_all(&client, "$SRV.INFO.t", Duration::from_millis(300)).await;
        if of(&infos, "a")["endpoints"] == serde_json::json!([]) {
            break;
        }
        assert!(Instant::now() < deadline, "still listed: {infos:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_count_the_requests_errors_and_time_of_each_served_name() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _counter, client) = served_counter_and_plain_client(&nats).await;
    let b = node(&nats, "b").await;

    // Three calls and a cast from another node.
    let remote = b.remote::<Counter>("counter").unwrap();
    for by in 1..=3 {
        within(LIMIT, remote.increment(by)).await.unwrap();
    }
    remote.add(10);
    assert_eq!(within(LIMIT, remote.value()).await, Ok(16));
    // A request that does not decode: an error, answered as one.
    let refused = within(
        LIMIT,
        client.request("t.srv.counter", "not a genserver request".into()),
    )
    .await
    .expect("answered");
    assert!(!refused.payload.is_empty());

    let stats = ask_all(&client, "$SRV.STATS.t", Duration::from_millis(500)).await;
    let stats = of(&stats, "a");
    assert_eq!(stats["type"], "io.nats.micro.v1.stats_response");
    let started = stats["started"].as_str().unwrap();
    assert!(
        started.ends_with('Z') && started.len() == "2026-12-07T05:43:59.123Z".len(),
        "{started}"
    );
    let endpoint = &stats["endpoints"][0];
    assert_eq!(endpoint["name"], "counter");
    assert_eq!(endpoint["num_requests"], 6, "4 calls, 1 cast, 1 refused");
    assert_eq!(endpoint["num_errors"], 1);
    assert!(
        !endpoint["last_error"].as_str().unwrap().is_empty(),
        "{endpoint}"
    );
    let total = endpoint["processing_time"].as_u64().unwrap();
    let average = endpoint["average_processing_time"].as_u64().unwrap();
    assert!(total > 0 && average == total / 6, "{endpoint}");
    assert!(
        total < LIMIT.as_nanos() as u64,
        "the time of 6 requests: {total} ns"
    );
}
