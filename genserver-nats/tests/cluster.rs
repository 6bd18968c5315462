//! Global names on a three-server NATS cluster with JetStream, on
//! 127.0.0.1, started by each test: the names' stream is replicated, so
//! losing the server that leads it loses no name.

mod common;

use std::time::{Duration, Instant};

use common::cluster::Cluster;
use common::servers::Counter;
use common::tools::{self, Tool};
use common::within;
use genserver_nats::{GlobalOptions, Node, NodeOptions};

const LIMIT: Duration = Duration::from_secs(30);
const STREAM: &str = "KV_gs_global_t";

async fn cluster_node(cluster: &Cluster, name: &str) -> Node {
    let options = NodeOptions::new(name).prefix("t");
    within(LIMIT, Node::connect(cluster.urls(), options))
        .await
        .expect("connects")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_names_keep_resolving_when_the_stream_leader_is_killed() {
    let Some(program) = tools::need(Tool::RecentNatsServer) else {
        return;
    };
    let mut cluster = Cluster::start(&program, 3);
    let watcher = within(LIMIT, async_nats::connect(cluster.urls()))
        .await
        .expect("connects");
    let started = Instant::now();
    cluster.jetstream_ready(&watcher).await;
    eprintln!(
        "JetStream answered {:?} after the servers listened",
        started.elapsed()
    );
    let a = cluster_node(&cluster, "a").await;
    let b = cluster_node(&cluster, "b").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    let _held = within(
        LIMIT,
        a.register_global_with("leader", &counter, GlobalOptions::new()),
    )
    .await
    .expect("registers");
    let remote = b.global::<Counter>("leader").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
    let leader = cluster.stream_leader(&watcher, STREAM).await;
    eprintln!("killing {leader}, the leader of {STREAM}");
    cluster.kill(&leader);
    let killed = Instant::now();
    // Ten calls over 18 s.
    let mut succeeded = 0;
    let mut outcomes = Vec::new();
    for i in 1..=10 {
        tokio::time::sleep_until((killed + Duration::from_millis(1_800 * i)).into()).await;
        let outcome = within(
            LIMIT,
            remote.with_timeout(Duration::from_secs(1)).increment(1),
        )
        .await;
        if outcome.is_ok() {
            succeeded += 1;
        }
        outcomes.push(format!("{:?}: {:?}", killed.elapsed(), outcome));
    }
    eprintln!(
        "after killing the stream leader: {succeeded} of 10 calls succeeded\n{}",
        outcomes.join("\n")
    );
    assert_eq!(succeeded, 10);
}
