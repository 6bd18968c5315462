//! Each node's `sys` subject (`<prefix>.node.<node>.sys`): its process
//! table, trees and a server's status as JSON, asked by a plain NATS
//! client and by another node; hostile questions get an error answer and
//! the node keeps answering.

mod common;

use std::future::IntoFuture;
use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, node, served_counter_and_plain_client, within};
use genserver_core::prelude::*;
use genserver_core::{Strategy, Supervisor, SupervisorSpec};
use genserver_nats::sys::{MAX_REQUEST, MAX_ROWS};
use genserver_nats::{SysError, SysRequest, SysSort};
use serde_json::Value;

const LIMIT: Duration = Duration::from_secs(10);

/// A supervised server for the trees.
#[derive(Clone, Debug)]
pub struct Leaf {
    pub seen: u64,
}

#[gen_server]
impl Leaf {
    #[call]
    pub fn ping(&mut self) -> u64 {
        self.seen += 1;
        self.seen
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// One answer to `payload` on `subject`, from a client that knows nothing
/// of genserver: its JSON, and its `Nats-Service-Error` header if any.
async fn ask(
    client: &async_nats::Client,
    subject: &str,
    payload: Vec<u8>,
) -> (Value, Option<String>) {
    let answer = within(LIMIT, client.request(subject.to_owned(), payload.into()))
        .await
        .expect("an answer");
    let error = answer
        .headers
        .as_ref()
        .and_then(|h| h.get("Nats-Service-Error"))
        .map(|v| v.as_str().to_owned());
    let json = serde_json::from_slice(&answer.payload).expect("a JSON answer");
    (json, error)
}

/// `count` counters named `<prefix>-<i>`.
async fn counters(prefix: &str, count: usize) -> Vec<Server<Counter>> {
    let mut started = Vec::with_capacity(count);
    for i in 0..count {
        let counter = within(
            LIMIT,
            Counter::start(Counter { value: 0 })
                .name(format!("{prefix}-{i}"))
                .into_future(),
        )
        .await
        .expect("starts");
        started.push(counter);
    }
    started
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_client_reads_a_nodes_process_table_over_its_sys_subject() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let _a = node(&nats, "a").await;
    let _b = node(&nats, "b").await;
    let servers = counters("sys-table", 5).await;
    // A backlog of 7 casts on the third: it sorts first by mailbox.
    let busy = &servers[2];
    within(LIMIT, busy.sys().suspend()).await.expect("suspends");
    for _ in 0..7 {
        busy.add(1);
    }
    let client = within(LIMIT, async_nats::connect(nats.url()))
        .await
        .expect("a plain client connects");

    let question = br#"{"get":"processes","sort":"mailbox","filter":"sys-table","limit":3}"#;
    let (page, error) = ask(&client, "t.node.a.sys", question.to_vec()).await;
    assert_eq!(error, None, "{page}");
    assert_eq!(page["node"], "a");
    assert_eq!(page["matched"], 5, "{page}");
    assert!(page["total"].as_u64().unwrap() >= 5, "{page}");
    assert_eq!(
        (&page["sort"], &page["order"], &page["limit"]),
        (&"mailbox".into(), &"desc".into(), &3.into())
    );
    let rows = page["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 3, "the limit holds: {page}");
    // The dashboard's row: a ProcessInfo and its rate (none over NATS).
    assert_eq!(rows[0]["id"], busy.id().to_string());
    assert_eq!(rows[0]["names"][0], "sys-table-2");
    assert_eq!(rows[0]["mailbox"]["len"], 7);
    assert_eq!(rows[0]["run_state"], "Suspended");
    assert_eq!(rows[0]["type_name"], "Counter");
    assert_eq!(rows[0]["messages_per_sec"], Value::Null);
    assert!(
        page["types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "Counter")
    );
    // Ties by id, the oldest first.
    assert_eq!(rows[1]["id"], servers[0].id().to_string());
    assert_eq!(rows[2]["id"], servers[1].id().to_string());
    // Node b answers its own subject.
    let (page, _) = ask(
        &client,
        "t.node.b.sys",
        br#"{"get":"processes","sort":"id","limit":1}"#.to_vec(),
    )
    .await;
    assert_eq!(page["node"], "b");
    assert_eq!(page["order"], "asc");
    within(LIMIT, busy.sys().resume()).await.expect("resumes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_asks_another_for_its_trees_and_a_servers_status() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let tree = SupervisorSpec::new(Strategy::OneForOne)
        .child(Leaf::child_spec(Leaf { seen: 0 }).with_id("first"))
        .child(Leaf::child_spec(Leaf { seen: 0 }).with_id("second"));
    let root = within(
        LIMIT,
        Supervisor::start(tree).name("sys-tree-root").into_future(),
    )
    .await
    .expect("the tree starts");

    // Each node knows the other.
    let deadline = Instant::now() + LIMIT;
    while b.nodes() != ["a"] || a.nodes() != ["b"] {
        assert!(Instant::now() < deadline, "b knows {:?}", b.nodes());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let trees = within(LIMIT, b.sys("a", &SysRequest::Trees))
        .await
        .expect("trees");
    assert_eq!(trees["node"], "a");
    let ours = trees["trees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == root.id().to_string())
        .unwrap_or_else(|| panic!("the tree is not listed: {trees}"));
    assert_eq!(ours["type_name"], "Supervisor");
    assert_eq!(ours["children_total"], 2);
    let children: Vec<&str> = ours["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(children, ["first", "second"]);
    assert_eq!(ours["children"][0]["status"], "Running");
    assert_eq!(ours["children"][0]["restart"], "Permanent");

    let status = within(
        LIMIT,
        b.sys("a", &SysRequest::status(root.id().to_string())),
    )
    .await
    .expect("a status");
    assert_eq!(status["status"]["id"], root.id().to_string());
    assert_eq!(status["status"]["names"][0], "sys-tree-root");
    assert_eq!(
        status["status"]["links"].as_array().unwrap().len(),
        2,
        "{status}"
    );
    assert!(status["statistics"].is_object(), "{status}");

    // What is not there is an error answer, typed.
    let missing = within(LIMIT, b.sys("a", &SysRequest::status("<0.999999999.0>"))).await;
    match missing {
        Err(SysError::Refused(text)) => assert!(text.contains("no live server"), "{text}"),
        other => panic!("{other:?}"),
    }
    let nobody = within(LIMIT, b.sys("nobody", &SysRequest::Trees)).await;
    assert_eq!(nobody, Err(SysError::NoNode("nobody".into())));
    assert!(matches!(
        within(LIMIT, b.sys("a.*", &SysRequest::Trees)).await,
        Err(SysError::InvalidName(_))
    ));
    within(LIMIT, root.stop(ExitReason::Shutdown))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_questions_get_an_error_answer_and_the_node_keeps_answering() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let _a = node(&nats, "a").await;
    let client = within(LIMIT, async_nats::connect(nats.url()))
        .await
        .expect("a plain client connects");
    let mut huge = br#"{"get":"trees","pad":""#.to_vec();
    huge.extend(std::iter::repeat_n(b'x', MAX_REQUEST));
    huge.extend(br#""}"#);
    let too_many = format!(r#"{{"get":"processes","limit":{}}}"#, MAX_ROWS + 1);
    let deep = format!(r#"{{"get":{}{}}}"#, "[".repeat(1000), "]".repeat(1000));
    let questions: Vec<(Vec<u8>, &str)> = vec![
        (Vec::new(), "not a sys request"),
        (b"\xff\xfe\x00".to_vec(), "not a sys request"),
        (b"null".to_vec(), "not a sys request"),
        (br#"{"get":"everything"}"#.to_vec(), "not a sys request"),
        (
            br#"{"get":"processes","sort":"rate"}"#.to_vec(),
            "not a sys request",
        ),
        (
            br#"{"get":"processes","sort":"mailbox\r\nX-Evil: 1"}"#.to_vec(),
            "not a sys request",
        ),
        (
            br#"{"get":"status","id":{"nested":[1,2,3]}}"#.to_vec(),
            "not a sys request",
        ),
        (deep.into_bytes(), "not a sys request"),
        (too_many.into_bytes(), "limit 1001"),
        (huge, "at most 4096"),
    ];
    for (question, expected) in questions {
        let shown = String::from_utf8_lossy(&question)
            .chars()
            .take(60)
            .collect::<String>();
        let (answer, header) = ask(&client, "t.node.a.sys", question).await;
        let error = answer["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{shown}: {answer}"));
        assert!(error.contains(expected), "{shown}: {error}");
        let header = header.unwrap_or_else(|| panic!("{shown}: no error header"));
        assert!(
            !header.contains('\n') && !header.contains('\r'),
            "{header:?}"
        );
    }
    // A question naming a reply subject inside the cluster's own subjects
    // gets no answer there.
    let mut heartbeats = within(LIMIT, client.subscribe("t.node.x.hb"))
        .await
        .unwrap();
    within(
        LIMIT,
        client.publish_with_reply(
            "t.node.a.sys",
            "t.node.x.hb",
            br#"{"get":"trees"}"#.to_vec().into(),
        ),
    )
    .await
    .unwrap();
    // Still answering, one question after the other.
    let (page, error) = ask(&client, "t.node.a.sys", br#"{"get":"processes"}"#.to_vec()).await;
    assert_eq!(error, None, "{page}");
    assert_eq!(page["node"], "a");
    assert!(
        tokio::time::timeout(
            Duration::from_millis(200),
            futures_util::StreamExt::next(&mut heartbeats)
        )
        .await
        .is_err(),
        "the node answered into its cluster's subjects"
    );
}

/// The Nodes view's cost on a node of 1 000 servers: the top 100 by
/// mailbox, asked by another node. Prints the figures; asserts a bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_servers_answer_the_top_hundred_in_bounded_size_and_time() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let _a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let servers = counters("sys-scale", 1000).await;
    let request = SysRequest::processes(SysSort::Mailbox, 100).unwrap();
    // Once to warm up, then timed.
    within(LIMIT, b.sys("a", &request))
        .await
        .expect("an answer");
    let mut took = Vec::new();
    let mut size = 0;
    for _ in 0..20 {
        let started = Instant::now();
        let page = within(LIMIT, b.sys("a", &request))
            .await
            .expect("an answer");
        took.push(started.elapsed());
        size = serde_json::to_vec(&page).unwrap().len();
        assert_eq!(page["rows"].as_array().unwrap().len(), 100);
        assert!(page["total"].as_u64().unwrap() >= 1000);
    }
    took.sort();
    let median = took[took.len() / 2];
    println!(
        "sys processes over NATS, 1 000 servers, top 100: {size} bytes of JSON, median {median:?}, max {:?}",
        took[took.len() - 1]
    );
    assert!(size < 64 * 1024, "{size} bytes");
    assert!(median < Duration::from_secs(1), "{median:?}");
    drop(servers);
}

/// A flood of junk questions: each gets its error answer, none crashes or
/// blocks the node, and a good question after them is answered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_junk_questions_is_answered_and_the_node_keeps_serving() {
    const FLOOD: usize = 5_000;
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _counter, hostile) = served_counter_and_plain_client(&nats).await;
    let inbox = hostile.new_inbox();
    let mut answers = within(LIMIT, hostile.subscribe(format!("{inbox}.>")))
        .await
        .expect("subscribes");
    let started = Instant::now();
    for i in 0..FLOOD {
        let junk = bytes::Bytes::from(vec![b'{'; 1 + i % 40]);
        within(
            LIMIT,
            hostile.publish_with_reply("t.node.a.sys", format!("{inbox}.{i}"), junk),
        )
        .await
        .expect("publishes");
    }
    let mut errors = 0;
    while errors < FLOOD {
        let answer = within(LIMIT, futures_util::StreamExt::next(&mut answers))
            .await
            .expect("an answer");
        let json: Value = serde_json::from_slice(&answer.payload).expect("JSON");
        assert!(json["error"].is_string(), "{json}");
        errors += 1;
    }
    println!(
        "{FLOOD} junk sys questions answered with errors in {:?}",
        started.elapsed()
    );
    // Still answering, and still serving.
    let b = node(&nats, "b").await;
    let page = within(LIMIT, b.sys("a", &SysRequest::Trees))
        .await
        .expect("trees");
    assert_eq!(page["node"], "a");
    let remote: genserver_core::Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
}

/// The same at 1 000 000 servers (release, about 1.5 GB):
/// `cargo test --release -p genserver-nats --test sys a_million -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a million servers: run it alone, in release"]
async fn a_million_servers_answer_the_top_hundred_within_the_timeout() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let _a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let mut servers = Vec::with_capacity(1_000_000);
    for _ in 0..1_000_000 {
        servers.push(Leaf::start(Leaf { seen: 0 }).await.expect("starts"));
    }
    let request = SysRequest::processes(SysSort::Mailbox, 100).unwrap();
    let mut took = Vec::new();
    let mut size = 0;
    for _ in 0..5 {
        let started = Instant::now();
        let page = within(LIMIT, b.sys("a", &request))
            .await
            .expect("an answer");
        took.push(started.elapsed());
        size = serde_json::to_vec(&page).unwrap().len();
        assert_eq!(page["rows"].as_array().unwrap().len(), 100);
        assert!(page["total"].as_u64().unwrap() >= 1_000_000);
    }
    took.sort();
    println!(
        "sys processes over NATS, 1 000 000 servers, top 100: {size} bytes of JSON, median {:?}, max {:?}",
        took[2], took[4]
    );
    assert!(size < 64 * 1024, "{size} bytes");
    assert!(took[4] < genserver_nats::sys::SYS_TIMEOUT, "{took:?}");
}
