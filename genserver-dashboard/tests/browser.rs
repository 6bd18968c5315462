//! The dashboard in a real browser: a small supervised program serves the
//! router on 127.0.0.1, headless Chromium opens the page, and the test
//! reads what Chromium rendered (its DOM after the page's script ran),
//! not the page's source.
//!
//! Set `GENSERVER_DASHBOARD_SCREENSHOT=path.png` to keep a screenshot
//! there too (how `docs/dashboard.png` is made).

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use axum::Router;
use common::chromium::Chromium;
use common::dom;
use common::*;
use genserver_core::prelude::*;
use genserver_core::{Strategy, Supervisor, SupervisorSpec, whereis};
use genserver_dashboard::{DashboardOptions, router};

/// How much of the page's time Chromium lets pass before it prints or
/// shoots: the first draw, and a few refreshes.
const BUDGET: Duration = Duration::from_millis(3000);

/// The messages waiting in the backlogged server.
const BACKLOG: usize = 40;

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// One rendered row of the process table: its cells' text.
fn rows(dump: &str) -> Vec<Vec<String>> {
    let table = dom::inside(dump, "table", r#"id="processes""#).expect("the table");
    let body = dom::inside(table, "tbody", "").expect("its body");
    dom::all(body, "tr")
        .into_iter()
        .map(|row| dom::all(row, "td").into_iter().map(dom::text).collect())
        .collect()
}

fn screenshot_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("dashboard-{name}.png"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_shows_the_servers_their_backlog_and_state_as_text() {
    let Some(chromium) = Chromium::find() else {
        return;
    };
    // The program: a supervisor of three children.
    let tree = SupervisorSpec::new(Strategy::OneForOne)
        .child(
            Worker::child_spec(Worker { seen: 0 })
                .with_name("browser-worker")
                .with_id("worker"),
        )
        .child(
            Worker::child_spec(Worker { seen: 0 })
                .with_name("browser-backlog")
                .with_id("backlog"),
        )
        .child(
            Holder::child_spec(Holder {
                text: MARKUP.to_string(),
            })
            .with_name("browser-holder")
            .with_id("holder"),
        );
    let root = within(
        "the tree starts",
        Supervisor::start(tree).name("browser-root"),
    )
    .await
    .expect("the tree starts");
    let worker = whereis::<Worker>("browser-worker").expect("the worker");
    let backlog = whereis::<Worker>("browser-backlog").expect("the backlog");
    let holder = whereis::<Holder>("browser-holder").expect("the holder");
    worker.sys().trace(10).expect("traced");
    for _ in 0..3 {
        within("ping", worker.ping()).await.unwrap();
    }
    within("suspend", backlog.sys().suspend()).await.unwrap();
    for _ in 0..BACKLOG {
        backlog.poke();
    }
    eventually("the backlog queues", || backlog.mailbox_len() == BACKLOG).await;

    let app = Router::new().nest("/genserver", router(DashboardOptions::new()));
    let addr = serve(app).await;
    let page = format!("http://{addr}/genserver");

    // The process table, by mailbox.
    let url = format!("{page}#/processes?sort=mailbox&filter=browser-");
    let dump = chromium.dump_dom(&url, BUDGET).await;
    assert!(
        dump.contains(r#"data-drawn="processes""#),
        "not drawn:\n{dump}"
    );
    let table = rows(&dump);
    let find = |name: &str| {
        table
            .iter()
            .find(|cells| cells[2] == name)
            .unwrap_or_else(|| panic!("{name} is not listed: {table:?}"))
            .clone()
    };
    // The backlog sorts first, with its mailbox length.
    assert_eq!(table[0][2], "browser-backlog", "{table:?}");
    assert_eq!(table[0][0], backlog.id().to_string());
    assert_eq!(table[0][4], BACKLOG.to_string());
    assert_eq!(table[0][3], "Suspended");
    // Every server of the program is listed, each with its mailbox.
    let supervisor = find("browser-root");
    assert_eq!(supervisor[1], "Supervisor");
    assert_eq!(supervisor[0], root.id().to_string());
    let worker_row = find("browser-worker");
    assert_eq!(worker_row[4], "0");
    assert_eq!(worker_row[6], "3", "three calls handled");
    assert_eq!(find("browser-holder")[1], "Holder");
    assert_eq!(table.len(), 4, "{table:?}");
    let shot = screenshot_path("processes");
    chromium.screenshot(&url, BUDGET, &shot).await;
    println!("screenshot of the process table: {}", shot.display());
    if let Some(keep) = std::env::var_os("GENSERVER_DASHBOARD_SCREENSHOT") {
        std::fs::copy(&shot, &keep).expect("the screenshot is kept");
        println!("and kept at {}", PathBuf::from(keep).display());
    }

    // One server: its state, holding markup, is shown as text.
    let url = format!("{page}#/server/{}", id_in_url(holder.id()));
    let dump = chromium.dump_dom(&url, BUDGET).await;
    assert!(
        dump.contains(r#"data-drawn="server""#),
        "not drawn:\n{dump}"
    );
    let state = dom::inside(&dump, "pre", r#"id="server-state""#).expect("the state");
    assert!(
        !state.contains('<'),
        "the state became markup in the page: {state}"
    );
    assert!(
        dom::text(state).contains(MARKUP),
        "the state does not show as text: {state}"
    );
    assert!(!dump.contains("<script>alert(1)"), "markup in the DOM");
    let title = dom::inside(&dump, "h2", r#"id="server-title""#).unwrap();
    assert_eq!(
        dom::text(title),
        format!("Holder {} (browser-holder)", holder.id())
    );
    let shot = screenshot_path("server");
    chromium.screenshot(&url, BUDGET, &shot).await;
    println!("screenshot of one server: {}", shot.display());

    // The supervisor: its parent link on a child, its links to them.
    let url = format!("{page}#/server/{}", id_in_url(worker.id()));
    let dump = chromium.dump_dom(&url, BUDGET).await;
    let status = dom::text(dom::inside(&dump, "dl", r#"id="server-status""#).unwrap());
    assert!(
        status.contains(&format!("Parent {}", root.id())),
        "{status}"
    );
    // Its statistics: the three calls, and timing not yet turned on.
    let statistics = dom::text(dom::inside(&dump, "div", r#"id="server-statistics""#).unwrap());
    assert!(
        statistics.contains("Messages in 3 calls, 0 casts, 0 infos"),
        "{statistics}"
    );
    assert!(
        statistics.contains("Time in handlers not collected"),
        "{statistics}"
    );
    // Its trace: the three calls, each reply as text.
    let trace = dom::inside(&dump, "table", r#"id="server-trace-table""#).expect("a trace");
    let events: Vec<Vec<String>> = dom::all(dom::inside(trace, "tbody", "").unwrap(), "tr")
        .into_iter()
        .map(|row| dom::all(row, "td").into_iter().map(dom::text).collect())
        .collect();
    assert_eq!(events.len(), 3, "{events:?}");
    for (event, reply) in events.iter().zip(["1", "2", "3"]) {
        assert_eq!(
            (&*event[1], &*event[2], &*event[4], &*event[6]),
            ("call", "ping", reply, "returned"),
            "{events:?}"
        );
    }
    let url = format!("{page}#/server/{}", id_in_url(root.id()));
    let dump = chromium.dump_dom(&url, BUDGET).await;
    let relations = dom::text(dom::inside(&dump, "dl", r#"id="server-relations""#).unwrap());
    for child in [worker.id(), backlog.id(), holder.id()] {
        assert!(relations.contains(&child.to_string()), "{relations}");
    }

    // A crash the test causes: the supervisor restarts the worker, and
    // the table lists its successor.
    worker.crash();
    let restarted = within("the restart", async {
        loop {
            match whereis::<Worker>("browser-worker") {
                Some(next) if next.id() != worker.id() => break next,
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    })
    .await;
    let url = format!("{page}#/processes?sort=id&filter=browser-worker");
    let table = rows(&chromium.dump_dom(&url, BUDGET).await);
    assert_eq!(table.len(), 1, "{table:?}");
    assert_eq!(table[0][0], restarted.id().to_string());
    // The crash is in the crash list: server, type, handler, reason, and
    // its state then.
    let dump = chromium.dump_dom(&format!("{page}#/crashes"), BUDGET).await;
    assert!(
        dump.contains(r#"data-drawn="crashes""#),
        "not drawn:\n{dump}"
    );
    let crashes = dom::inside(&dump, "table", r#"id="crash-table""#).expect("a crash table");
    let crash = dom::all(dom::inside(crashes, "tbody", "").unwrap(), "tr")
        .into_iter()
        .map(|row| {
            dom::all(row, "td")
                .into_iter()
                .map(dom::text)
                .collect::<Vec<_>>()
        })
        .find(|cells| cells[1] == worker.id().to_string())
        .unwrap_or_else(|| panic!("the crash of {} is not listed:\n{crashes}", worker.id()));
    assert_eq!(crash[2], "Worker");
    assert_eq!(crash[3], "crash");
    assert!(crash[4].contains("asked to crash"), "{crash:?}");
    assert_eq!(crash[6], "Worker { seen: 3 }");
    let letters = dom::text(dom::inside(&dump, "div", r#"id="dead-letters""#).unwrap());
    assert!(letters.contains("noproc"), "{letters}");
    let shot = screenshot_path("crashes");
    chromium
        .screenshot(&format!("{page}#/crashes"), BUDGET, &shot)
        .await;
    println!("screenshot of the crashes: {}", shot.display());
    // The tree: the supervisor and its children, each with its restart
    // type, status and restarts; the crashed worker restarted once.
    let dump = chromium.dump_dom(&format!("{page}#/tree"), BUDGET).await;
    assert!(dump.contains(r#"data-drawn="tree""#), "not drawn:\n{dump}");
    let tree = dom::text(dom::inside(&dump, "div", r#"id="tree""#).expect("the tree"));
    for line in [
        format!("Supervisor {} · 3 children", root.id()),
        format!(
            "worker : Worker {} · worker · permanent · running · 1 restart",
            restarted.id()
        ),
        format!(
            "backlog : Worker {} · worker · permanent · running · 0 restarts",
            backlog.id()
        ),
        format!(
            "holder : Holder {} · worker · permanent · running · 0 restarts",
            holder.id()
        ),
    ] {
        assert!(tree.contains(&line), "{line:?} is not shown in:\n{tree}");
    }
    let shot = screenshot_path("tree");
    chromium
        .screenshot(&format!("{page}#/tree"), BUDGET, &shot)
        .await;
    println!("screenshot of the tree: {}", shot.display());
    // Without a NATS node the Nodes view says what is missing, and shows
    // nothing made up (with one: tests/nodes.rs).
    let dump = chromium.dump_dom(&format!("{page}#/nodes"), BUDGET).await;
    let shown = dom::text(dom::inside(&dump, "div", r#"id="nodes""#).unwrap());
    assert!(
        shown.starts_with("Not available: this dashboard was given no NATS node"),
        "{shown}"
    );
    within("the tree stops", root.stop(ExitReason::Shutdown))
        .await
        .unwrap();
}
