//! Global names on a three-server NATS cluster with JetStream, on
//! 127.0.0.1, started by each test (one at a time: three servers each are
//! enough for two cores): the names' stream is replicated where that is
//! safe (nats-server 2.9.21 or later, `Tool::RecentNatsServer`), so losing
//! the server that leads it loses no name; on an older server it is not.

mod common;

use std::time::{Duration, Instant};

use common::cluster::Cluster;
use common::servers::Counter;
use common::tools::{self, Tool};
use common::{NatsServer, within};
use genserver_core::Remote;
use genserver_nats::{ConnectError, GlobalError, GlobalOptions, Node, NodeOptions};

const LIMIT: Duration = Duration::from_secs(30);
const STREAM: &str = "KV_gs_global_t";

/// One cluster at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn cluster_node(urls: Vec<String>, name: &str) -> Node {
    let options = NodeOptions::new(name).prefix("t");
    within(LIMIT, Node::connect(urls, options))
        .await
        .expect("connects")
}

/// A cluster of `program`, JetStream answering, and a plain client.
async fn ready_cluster(program: &std::path::Path) -> (Cluster, async_nats::Client) {
    let cluster = Cluster::start(program, 3);
    let client = within(LIMIT, async_nats::connect(cluster.urls()))
        .await
        .expect("connects");
    let started = Instant::now();
    cluster.jetstream_ready(&client).await;
    eprintln!(
        "JetStream answered {:?} after the servers listened",
        started.elapsed()
    );
    (cluster, client)
}

async fn replicas_of(client: &async_nats::Client) -> usize {
    let jetstream = async_nats::jetstream::new(client.clone());
    let mut stream = within(LIMIT, jetstream.get_stream(STREAM))
        .await
        .expect("the names' stream exists");
    within(LIMIT, stream.info())
        .await
        .expect("its info")
        .config
        .num_replicas
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn global_names_keep_resolving_when_the_stream_leader_is_killed() {
    let Some(program) = tools::need(Tool::RecentNatsServer) else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let (mut cluster, watcher) = ready_cluster(&program).await;
    let a = cluster_node(cluster.urls(), "a").await;
    let b = cluster_node(cluster.urls(), "b").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    let held = within(
        LIMIT,
        a.register_global_with("leader", &counter, GlobalOptions::new()),
    )
    .await
    .expect("registers");
    assert_eq!(
        replicas_of(&watcher).await,
        3,
        "the default on 3 servers of 2.9.21+"
    );
    let remote = b.global::<Counter>("leader").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
    let leader = cluster.stream_leader(&watcher, STREAM).await;
    eprintln!("killing {leader}, the leader of {STREAM}");
    cluster.kill(&leader);
    let killed = Instant::now();
    // New registrations work again once JetStream has a new leader: tried
    // meanwhile, each try bounded by 2 s.
    let registering = {
        let b = b.clone();
        tokio::spawn(async move {
            let other = Counter::start(Counter { value: 100 })
                .await
                .expect("starts");
            loop {
                let attempt = tokio::time::timeout(
                    Duration::from_secs(2),
                    b.register_global("second", &other),
                );
                match attempt.await {
                    Ok(Ok(held)) => return (held, killed.elapsed()),
                    _ if killed.elapsed() < LIMIT => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                    other => panic!("no registration within {LIMIT:?}: {other:?}"),
                }
            }
        })
    };
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
        outcomes.push(format!("{:?}: {outcome:?}", killed.elapsed()));
    }
    eprintln!(
        "after killing the stream leader: {succeeded} of 10 calls succeeded\n{}",
        outcomes.join("\n")
    );
    assert_eq!(succeeded, 10, "{}", outcomes.join("\n"));
    let (registered, took) = within(LIMIT, registering).await.expect("joins");
    eprintln!("a new registration succeeded {took:?} after the kill");
    assert!(held.is_held() && registered.is_held());
    let second: Remote<Counter> = a.global("second").expect("a valid name");
    assert_eq!(within(LIMIT, second.value()).await, Ok(100));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_race_of_takeovers_during_a_leader_kill_never_gives_two_holders() {
    let Some(program) = tools::need(Tool::RecentNatsServer) else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let (mut cluster, watcher) = ready_cluster(&program).await;
    let urls = cluster.urls();
    // Four contenders, each on the servers in another order, and a
    // bystander that calls the name.
    let mut contenders = Vec::new();
    for i in 0..4 {
        let mut order = urls.clone();
        order.rotate_left(i % urls.len());
        contenders.push(cluster_node(order, &format!("c{i}")).await);
    }
    let bystander = cluster_node(urls.clone(), "bystander").await;
    // The table exists (3 replicas), with a holder that never refreshes:
    // a value no node wrote, held for the default lease (5 s).
    assert!(
        within(LIMIT, bystander.global_holder("contested"))
            .await
            .is_ok()
    );
    let jetstream = async_nats::jetstream::new(watcher.clone());
    let kv = within(LIMIT, jetstream.get_key_value("gs_global_t"))
        .await
        .expect("the bucket");
    within(LIMIT, kv.put("contested", "a dead holder".into()))
        .await
        .expect("written");
    tokio::time::sleep(genserver_nats::DEFAULT_LEASE + Duration::from_millis(500)).await;
    let leader = cluster.stream_leader(&watcher, STREAM).await;
    // They race for the expired name while its stream loses its leader.
    let races: Vec<_> = contenders
        .iter()
        .enumerate()
        .map(|(i, node)| {
            let node = node.clone();
            tokio::spawn(async move {
                let server = Counter::start(Counter { value: i as i64 })
                    .await
                    .expect("starts");
                let deadline = Instant::now() + LIMIT;
                loop {
                    let options = GlobalOptions::new().lease(Duration::from_secs(20));
                    match node
                        .register_global_with("contested", &server, options)
                        .await
                    {
                        Ok(held) => return Some((i, held, server)),
                        Err(GlobalError::AlreadyRegistered { .. }) => return None,
                        Err(_) if Instant::now() < deadline => {
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        Err(error) => panic!("c{i} gave up: {error}"),
                    }
                }
            })
        })
        .collect();
    cluster.kill(&leader);
    let mut winners = Vec::new();
    for race in races {
        if let Some(won) = within(LIMIT + LIMIT, race).await.expect("joins") {
            winners.push(won);
        }
    }
    let held: Vec<usize> = winners
        .iter()
        .filter(|(_, held, _)| held.is_held())
        .map(|(i, _, _)| *i)
        .collect();
    eprintln!(
        "killed {leader} during the race: winners {:?}, holding {held:?}",
        winners.iter().map(|(i, _, _)| *i).collect::<Vec<_>>()
    );
    assert_eq!(held.len(), 1, "exactly one holder, not {held:?}");
    let winner = held[0];
    // The table says so, and a call reaches that one.
    let holder = within(LIMIT, bystander.global_holder("contested"))
        .await
        .expect("looks up")
        .expect("held");
    assert_eq!(holder.node, format!("c{winner}"));
    let remote: Remote<Counter> = bystander.global("contested").expect("a valid name");
    assert_eq!(within(LIMIT, remote.value()).await, Ok(winner as i64));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_reconnects_through_a_url_it_learned_from_the_cluster() {
    let Some(program) = tools::need(Tool::RecentNatsServer) else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let mut cluster = Cluster::start(&program, 3);
    // `a` is given n1 alone; the others it learns from n1's INFO.
    let a = cluster_node(vec![cluster.url_of("n1")], "a").await;
    let b = cluster_node(vec![cluster.url_of("n2"), cluster.url_of("n3")], "b").await;
    let counter = Counter::start(Counter { value: 5 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    let deadline = Instant::now() + LIMIT;
    while within(LIMIT, remote.value()).await != Ok(5) {
        assert!(
            Instant::now() < deadline,
            "the name is not reached across the cluster"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        a.client().server_info().connect_urls.len() >= 2,
        "a learned the cluster's other servers"
    );
    cluster.kill("n1");
    let killed = Instant::now();
    while within(LIMIT, remote.value()).await != Ok(5) {
        assert!(
            Instant::now() < killed + LIMIT,
            "a did not reconnect through another server"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "a was reached again {:?} after n1 was killed",
        killed.elapsed()
    );
}

#[tokio::test]
async fn an_old_nats_server_is_refused_replicas_and_defaults_to_one() {
    let Some(old) = tools::need(Tool::OldNatsServer) else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let single = NatsServer::start_program(old.clone(), &[]);
    let asked = NodeOptions::new("a").prefix("t").replicas(3);
    match within(LIMIT, Node::connect(single.url(), asked)).await {
        Err(ConnectError::UnsafeReplicas(error)) => {
            let text = error.to_string();
            assert_eq!(error.replicas, 3);
            assert!(
                text.contains(&error.version) && text.contains("2.9.21"),
                "{text}"
            );
        }
        other => panic!("expected the refusal, got {:?}", other.map(|_| ())),
    }
    // A cluster of three such servers: one replica, by default.
    let (cluster, client) = ready_cluster(&old).await;
    let a = cluster_node(cluster.urls(), "a").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    let _held = within(LIMIT, a.register_global("leader", &counter))
        .await
        .expect("registers");
    assert_eq!(replicas_of(&client).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_server_s_replicated_stream_is_refused() {
    let Some(old) = tools::need(Tool::OldNatsServer) else {
        return;
    };
    let _serial = SERIAL.lock().await;
    let (cluster, client) = ready_cluster(&old).await;
    // Someone else made the names' stream with three replicas.
    let jetstream = async_nats::jetstream::new(client.clone());
    within(
        LIMIT,
        jetstream.create_stream(async_nats::jetstream::stream::Config {
            name: STREAM.to_owned(),
            subjects: vec!["$KV.gs_global_t.>".to_owned()],
            max_messages_per_subject: 1,
            allow_rollup: true,
            deny_delete: true,
            allow_direct: true,
            num_replicas: 3,
            ..Default::default()
        }),
    )
    .await
    .expect("created");
    let a = cluster_node(cluster.urls(), "a").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    match within(LIMIT, a.register_global("leader", &counter)).await {
        Err(GlobalError::UnsafeReplicas(error)) => assert_eq!(error.replicas, 3),
        other => panic!("expected the refusal, got {other:?}"),
    }
}
