//! The Nodes view (the `nats` feature): the dashboard given a
//! genserver-nats node lists the cluster's nodes, and shows what runs on
//! each, read over NATS from that node's `sys` subject. The JSON
//! endpoints are read through the router; the page is read in headless
//! Chromium, with the second node in another OS process.
//!
//! `cargo test -p genserver-dashboard --features nats --test nodes`

mod common;

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use common::chromium::Chromium;
use common::nats::{ChildNode, NatsServer};
use common::*;
use genserver_core::prelude::*;
use genserver_core::{Strategy, Supervisor, SupervisorSpec};
use genserver_dashboard::{DashboardOptions, router};
use genserver_nats::{Node, NodeOptions};
use serde_json::Value;

/// The variable that makes this test binary a child node.
const CHILD: &str = "GENSERVER_DASHBOARD_CHILD_NODE";

/// How much of the page's time Chromium lets pass before it prints.
const BUDGET: Duration = Duration::from_millis(3000);

/// A server that only the child node runs.
#[derive(Clone, Debug)]
pub struct ChildWorker {
    pub seen: u64,
}

#[gen_server]
impl ChildWorker {
    #[call]
    pub fn ping(&mut self) -> u64 {
        self.seen += 1;
        self.seen
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

async fn connect(url: &str, name: &str) -> Node {
    within(
        "the node connects",
        Node::connect(url, NodeOptions::new(name).prefix("dash")),
    )
    .await
    .expect("connects")
}

/// Waits until `node` hears of `other`.
async fn hears(node: &Node, other: &str) {
    eventually("the nodes hear each other", || {
        node.nodes().iter().any(|n| n == other)
    })
    .await;
}

/// The router with the node `a`, mounted at `/genserver`.
fn mounted(node: &Node) -> Router {
    Router::new().nest(
        "/genserver",
        router(DashboardOptions::new().node(node.clone())),
    )
}

/// The keys of a JSON object.
fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<String> = value
        .as_object()
        .unwrap_or_else(|| panic!("an object: {value}"))
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

/// The second node, in its own process: `b`, with a supervised
/// `ChildWorker` named after its process id and a `Holder` whose state
/// holds markup. Not a test of its own: it returns at once in a normal
/// run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn child_node_entry() {
    let Some(url) = common::nats::child_url(CHILD) else {
        return;
    };
    let node = connect(&url, "b").await;
    let tree = SupervisorSpec::new(Strategy::OneForOne)
        .child(
            ChildWorker::child_spec(ChildWorker { seen: 0 })
                .with_name(format!("in-child-{}", std::process::id()))
                .with_id("worker"),
        )
        .child(
            Holder::child_spec(Holder {
                text: MARKUP.to_string(),
            })
            .with_name("child-holder")
            .with_id("holder"),
        );
    let root = within(
        "the tree starts",
        Supervisor::start(tree).name("child-root").into_future(),
    )
    .await
    .expect("the tree starts");
    common::nats::ready();
    common::nats::linger().await;
    drop(root);
    let _ = node.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nodes_endpoints_relay_each_nodes_sys_answer() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = connect(nats.url(), "a").await;
    let b = connect(nats.url(), "b").await;
    hears(&a, "b").await;
    let app = mounted(&a);
    let _worker = within(
        "start",
        Worker::start(Worker { seen: 0 })
            .name("nodes-json")
            .into_future(),
    )
    .await
    .unwrap();

    let overview = get(&app, "/genserver/api/overview").await.json();
    assert_eq!(overview["sections"]["nodes"], true);
    let list = get(&app, "/genserver/api/nodes").await.json();
    assert_eq!(list["this"], "a");
    assert_eq!(
        list["nodes"],
        serde_json::json!([{"name": "a", "this": true}, {"name": "b", "this": false}])
    );

    // Node b's table (this process's servers: both nodes run here), as
    // the local table is shaped, rates aside.
    let remote = get(
        &app,
        "/genserver/api/nodes/b/processes?sort=id&filter=nodes-json",
    )
    .await;
    assert_eq!(remote.status, 200, "{}", remote.body);
    assert!(
        remote
            .header("content-security-policy")
            .contains("default-src 'none'")
    );
    let remote = remote.json();
    assert_eq!(remote["node"], "b");
    assert_eq!(remote["matched"], 1, "{remote}");
    let local = get(&app, "/genserver/api/processes?sort=id&filter=nodes-json")
        .await
        .json();
    let mut page_keys = keys(&local);
    page_keys.push("node".into());
    page_keys.sort();
    assert_eq!(keys(&remote), page_keys, "the page's fields, and the node");
    assert_eq!(
        keys(&remote["rows"][0]),
        keys(&local["rows"][0]),
        "a row's fields"
    );
    assert_eq!(remote["rows"][0]["names"][0], "nodes-json");
    assert_eq!(remote["rows"][0]["messages_per_sec"], Value::Null);

    let trees = get(&app, "/genserver/api/nodes/a/trees").await.json();
    assert_eq!(trees["node"], "a");
    assert!(
        trees["trees"].is_array() && trees["total"].is_u64(),
        "{trees}"
    );

    let id = _worker.id().to_string();
    let server = get(
        &app,
        &format!("/genserver/api/nodes/b/servers/{}", id_in_url(_worker.id())),
    )
    .await;
    assert_eq!(server.status, 200, "{}", server.body);
    let server = server.json();
    assert_eq!(server["status"]["id"], id);
    assert_eq!(server["status"]["state"], "Worker { seen: 0 }");

    // What cannot be asked, or is not there, says so.
    for (uri, status, words) in [
        (
            "/genserver/api/nodes/b/processes?sort=rate",
            400,
            "keeps no rates",
        ),
        ("/genserver/api/nodes/b/processes?limit=0", 400, "1 to 1000"),
        (
            "/genserver/api/nodes/nobody/trees",
            404,
            "no node \\\"nobody\\\"",
        ),
        (
            "/genserver/api/nodes/a*/trees",
            400,
            "cannot be a subject token",
        ),
        (
            "/genserver/api/nodes/b/servers/%3C0.999999999.0%3E",
            502,
            "no live server",
        ),
    ] {
        let answer = get(&app, uri).await;
        assert_eq!(answer.status, status, "{uri}: {}", answer.body);
        assert!(answer.body.contains(words), "{uri}: {}", answer.body);
        assert!(answer.json()["error"].is_string());
    }
    let long = format!("/genserver/api/nodes/{}/trees", "n".repeat(300));
    assert_eq!(get(&app, &long).await.status, 400);
    drop(b);
}

#[tokio::test]
async fn without_a_node_the_nodes_endpoints_say_what_is_missing() {
    let app = Router::new().nest("/genserver", router(DashboardOptions::new()));
    let overview = get(&app, "/genserver/api/overview").await.json();
    assert_eq!(overview["sections"]["nodes"], false);
    for uri in [
        "/genserver/api/nodes",
        "/genserver/api/nodes/b/processes",
        "/genserver/api/nodes/b/trees",
    ] {
        let answer = get(&app, uri).await;
        assert_eq!(answer.status, 404, "{uri}");
        assert!(
            answer.body.contains("given no NATS node"),
            "{uri}: {}",
            answer.body
        );
    }
}

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn cells(dump: &str, table_id: &str) -> Vec<Vec<String>> {
    let table = dom::inside(dump, "table", &format!(r#"id="{table_id}""#))
        .unwrap_or_else(|| panic!("no table {table_id}:\n{dump}"));
    let body = dom::inside(table, "tbody", "").expect("its body");
    dom::all(body, "tr")
        .into_iter()
        .map(|row| dom::all(row, "td").into_iter().map(dom::text).collect())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nodes_view_lists_two_nodes_started_as_two_processes() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = connect(nats.url(), "a").await;
    let child = ChildNode::start(&nats, "child_node_entry", CHILD);
    assert_ne!(child.pid, std::process::id());
    hears(&a, "b").await;
    let addr = serve(mounted(&a)).await;
    let page = format!("http://{addr}/genserver");

    // The list: both nodes, this one said to be the dashboard's.
    let dump = chromium.dump_dom(&format!("{page}#/nodes"), BUDGET).await;
    assert!(dump.contains(r#"data-drawn="nodes""#), "not drawn:\n{dump}");
    let list = dom::inside(&dump, "ul", r#"id="node-list""#).expect("the node list");
    let nodes: Vec<String> = dom::all(list, "li").into_iter().map(dom::text).collect();
    assert_eq!(nodes, ["a (this dashboard's node)", "b"], "{list}");

    // Node b: the servers of the other process, and its tree.
    let url = format!("{page}#/nodes/b?sort=id");
    let dump = chromium.dump_dom(&url, BUDGET).await;
    assert!(dump.contains(r#"data-drawn="node""#), "not drawn:\n{dump}");
    let rows = cells(&dump, "node-processes");
    let worker = format!("in-child-{}", child.pid);
    let row = rows
        .iter()
        .find(|cells| cells[2] == worker)
        .unwrap_or_else(|| panic!("{worker} is not listed: {rows:?}"));
    assert_eq!(row[1], "ChildWorker");
    assert_eq!(row[4], "0", "its mailbox");
    // Nothing of this process is there: it is another program's table.
    assert!(
        !rows.iter().any(|cells| cells[1] == "Worker"),
        "this process's servers in b's table: {rows:?}"
    );
    let tree = dom::text(dom::inside(&dump, "div", r#"id="node-trees""#).expect("the trees"));
    assert!(tree.contains("Supervisor"), "{tree}");
    assert!(
        tree.contains("worker : ChildWorker") && tree.contains("permanent · running · 0 restarts"),
        "{tree}"
    );
    assert!(tree.contains("holder : Holder"), "{tree}");
    let matched = dom::text(dom::inside(&dump, "p", r#"id="node-matched""#).unwrap());
    assert!(matched.contains("servers of node b"), "{matched}");
    let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-nodes.png");
    chromium.screenshot(&url, BUDGET, &shot).await;
    println!("screenshot of the Nodes view: {}", shot.display());

    // One of b's servers: its state, holding markup, shown as text.
    let holder = rows
        .iter()
        .find(|cells| cells[2] == "child-holder")
        .unwrap_or_else(|| panic!("the holder is not listed: {rows:?}"));
    let id = holder[0].replace('<', "%3C").replace('>', "%3E");
    let dump = chromium
        .dump_dom(&format!("{page}#/nodes/b/server/{id}"), BUDGET)
        .await;
    assert!(
        dump.contains(r#"data-drawn="node-server""#),
        "not drawn:\n{dump}"
    );
    let state = dom::inside(&dump, "pre", r#"id="node-server-state""#).expect("the state");
    assert!(!state.contains('<'), "the state became markup: {state}");
    assert!(dom::text(state).contains(MARKUP), "{state}");
    assert!(!dump.contains("<script>alert(1)"), "markup in the DOM");
    let title = dom::text(dom::inside(&dump, "h3", r#"id="node-server-title""#).unwrap());
    assert_eq!(title, format!("Holder {} on b (child-holder)", holder[0]));

    // A node that went away: the list no longer has it once a stops
    // hearing it, and its view says why it cannot be read.
    drop(child);
    eventually("b is down", || !a.nodes().iter().any(|n| n == "b")).await;
    let dump = chromium.dump_dom(&format!("{page}#/nodes/b"), BUDGET).await;
    let problem = dom::text(dom::inside(&dump, "p", r#"id="node-problem""#).unwrap());
    assert!(problem.starts_with("Could not read node b"), "{problem}");
}

/// The Nodes view's table of a node running 1 000 servers: the top 100 by
/// mailbox through the router, read over NATS. Prints its size and time;
/// asserts a bound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nodes_table_of_a_thousand_servers_is_bounded() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = connect(nats.url(), "a").await;
    let _b = connect(nats.url(), "b").await;
    let app = mounted(&a);
    let mut workers = Vec::with_capacity(1000);
    for _ in 0..1000 {
        workers.push(
            within("start", Worker::start(Worker { seen: 0 }).into_future())
                .await
                .unwrap(),
        );
    }
    let uri = "/genserver/api/nodes/b/processes?sort=mailbox&limit=100";
    assert_eq!(get(&app, uri).await.status, 200);
    let mut took = Vec::new();
    let mut size = 0;
    for _ in 0..20 {
        let started = std::time::Instant::now();
        let answer = get(&app, uri).await;
        took.push(started.elapsed());
        assert_eq!(answer.status, 200);
        size = answer.body.len();
        let page = answer.json();
        assert_eq!(page["rows"].as_array().unwrap().len(), 100);
        assert!(page["total"].as_u64().unwrap() >= 1000);
    }
    took.sort();
    let median = took[took.len() / 2];
    println!(
        "the Nodes view's table, 1 000 servers, top 100 through the router over NATS: {size} bytes of JSON, median {median:?}, max {:?}",
        took[took.len() - 1]
    );
    assert!(size < 64 * 1024, "{size} bytes");
    assert!(median < Duration::from_secs(1), "{median:?}");
}
