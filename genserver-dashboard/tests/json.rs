//! The JSON the page reads, as the page reads it: through the router,
//! mounted as a user mounts it. The servers of each test carry names of
//! their own, and each test filters on them (the process table is the
//! whole test binary's).

mod common;

use std::time::Duration;

use axum::Router;
use common::*;
use genserver_core::AnyServer;
use genserver_core::prelude::*;
use genserver_dashboard::{DashboardOptions, router};
use serde_json::Value;

fn mounted(options: DashboardOptions) -> Router {
    Router::new().nest("/genserver", router(options))
}

fn rows(page: &Value) -> &Vec<Value> {
    page["rows"].as_array().expect("rows")
}

fn ids(page: &Value) -> Vec<String> {
    rows(page)
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_processes_json_lists_each_server_with_its_mailbox_and_counts() {
    let app = mounted(DashboardOptions::new());
    let quiet = Worker::start(Worker { seen: 0 })
        .name("shape-quiet")
        .await
        .unwrap();
    let busy = Worker::start(Worker { seen: 0 })
        .name("shape-busy")
        .await
        .unwrap();
    for _ in 0..3 {
        within("ping", busy.ping()).await.unwrap();
    }
    let stuck = backlogged("shape-stuck", 5).await;

    let answer = get(&app, "/genserver/api/processes?filter=shape-").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert!(
        answer
            .header("content-type")
            .starts_with("application/json")
    );
    let page = answer.json();
    assert_eq!(page["matched"], 3);
    assert!(page["total"].as_u64().unwrap() >= 3);
    assert_eq!(page["sort"], "mailbox");
    assert_eq!(page["order"], "desc");
    assert_eq!(page["limit"], 100);
    assert!(page["took_ms"].as_f64().unwrap() >= 0.0);
    assert_eq!(
        page["rate_window_ms"],
        Value::Null,
        "no rate on a first look"
    );
    // By mailbox: the backlog first.
    let first = &rows(&page)[0];
    assert_eq!(first["id"], stuck.id().to_string());
    assert_eq!(first["type_name"], "Worker");
    assert_eq!(first["names"], serde_json::json!(["shape-stuck"]));
    assert_eq!(first["run_state"], "Suspended");
    assert_eq!(
        first["mailbox"],
        serde_json::json!({"len": 5, "capacity": null, "dropped": 0})
    );
    assert_eq!(first["messages_per_sec"], Value::Null);
    assert!(first["memory"].as_u64().unwrap() > 0);
    assert!(first["uptime"]["secs"].is_u64() && first["uptime"]["nanos"].is_u64());
    let busy_row = rows(&page)
        .iter()
        .find(|r| r["id"] == busy.id().to_string())
        .expect("busy is listed");
    assert_eq!(
        busy_row["handled"],
        serde_json::json!({"calls": 3, "casts": 0, "infos": 0})
    );
    assert_eq!(busy_row["current"], Value::Null, "waiting for a message");
    let types = page["types"].as_array().unwrap();
    assert!(
        types
            .iter()
            .any(|t| t["name"] == "Worker" && t["count"].as_u64().unwrap() >= 3)
    );
    drop((quiet, busy, stuck));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_column_sorts_both_ways_and_the_limit_keeps_the_top() {
    let app = mounted(DashboardOptions::new());
    let mut servers = Vec::new();
    for (i, backlog) in [2usize, 7, 0, 4].into_iter().enumerate() {
        servers.push(backlogged(&format!("sort-{i}"), backlog).await);
    }
    let id = |i: usize| servers[i].id().to_string();

    let page = get(&app, "/genserver/api/processes?filter=sort-&sort=mailbox")
        .await
        .json();
    assert_eq!(ids(&page), [id(1), id(3), id(0), id(2)]);
    let page = get(&app, "/genserver/api/processes?filter=sort-&order=asc")
        .await
        .json();
    assert_eq!(ids(&page), [id(2), id(0), id(3), id(1)]);
    let page = get(&app, "/genserver/api/processes?filter=sort-&limit=2")
        .await
        .json();
    assert_eq!(ids(&page), [id(1), id(3)]);
    assert_eq!(page["matched"], 4);
    // Ids: the oldest first.
    let page = get(&app, "/genserver/api/processes?filter=sort-&sort=id")
        .await
        .json();
    assert_eq!(ids(&page), [id(0), id(1), id(2), id(3)]);
    // Uptime: the oldest first, as biggest.
    let page = get(&app, "/genserver/api/processes?filter=sort-&sort=uptime")
        .await
        .json();
    assert_eq!(ids(&page), [id(0), id(1), id(2), id(3)]);
    // Memory counts the queued messages: the longest backlog holds most.
    let page = get(
        &app,
        "/genserver/api/processes?filter=sort-&sort=memory&limit=1",
    )
    .await
    .json();
    assert_eq!(ids(&page), [id(1)]);
    // Once resumed, the casts are handled: messages sort as the backlogs did.
    for server in &servers {
        within("resume", server.sys().resume()).await.unwrap();
    }
    eventually("the backlogs drain", || {
        servers.iter().all(|s| s.mailbox_len() == 0)
    })
    .await;
    let page = get(&app, "/genserver/api/processes?filter=sort-&sort=messages")
        .await
        .json();
    assert_eq!(ids(&page), [id(1), id(3), id(0), id(2)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rates_are_messages_handled_between_two_looks() {
    let app = mounted(DashboardOptions::new());
    let idle = Worker::start(Worker { seen: 0 })
        .name("rate-idle")
        .await
        .unwrap();
    let busy = Worker::start(Worker { seen: 0 })
        .name("rate-busy")
        .await
        .unwrap();
    let first = get(&app, "/genserver/api/processes?filter=rate-&sort=rate")
        .await
        .json();
    assert_eq!(first["rate_window_ms"], Value::Null);
    for _ in 0..50 {
        within("ping", busy.ping()).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let second = get(&app, "/genserver/api/processes?filter=rate-&sort=rate")
        .await
        .json();
    let window = second["rate_window_ms"].as_f64().expect("a window now");
    assert!(window >= 1000.0, "{window}");
    assert_eq!(ids(&second), [busy.id().to_string(), idle.id().to_string()]);
    let rate = rows(&second)[0]["messages_per_sec"].as_f64().unwrap();
    let expected = 50.0 / (window / 1000.0);
    assert!((rate - expected).abs() < 1e-6, "{rate} vs {expected}");
    assert_eq!(rows(&second)[1]["messages_per_sec"].as_f64(), Some(0.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_filter_matches_types_names_and_ids() {
    let app = mounted(DashboardOptions::new());
    let holder = Holder::start(Holder { text: "x".into() })
        .name("filter-Holder-Name")
        .await
        .unwrap();
    let worker = Worker::start(Worker { seen: 0 })
        .name("filter-worker")
        .await
        .unwrap();
    // A name, in any case.
    let page = get(&app, "/genserver/api/processes?filter=FILTER-holder")
        .await
        .json();
    assert_eq!(ids(&page), [holder.id().to_string()]);
    // An exact type, with a name filter.
    let page = get(&app, "/genserver/api/processes?filter=filter-&type=Worker")
        .await
        .json();
    assert_eq!(ids(&page), [worker.id().to_string()]);
    let page = get(&app, "/genserver/api/processes?type=Holde")
        .await
        .json();
    assert_eq!(page["matched"], 0, "a type is matched exactly");
    // An id, as shown, finds that server only.
    let uri = format!("/genserver/api/processes?filter={}", id_in_url(worker.id()));
    let page = get(&app, &uri).await.json();
    assert_eq!(ids(&page), [worker.id().to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_query_is_a_400_saying_what_is_allowed() {
    let app = mounted(DashboardOptions::new());
    for (query, says) in [
        ("sort=%3Cscript%3E", "one of mailbox, rate, memory, uptime"),
        ("limit=0", "from 1 to 1000"),
        ("limit=100000", "from 1 to 1000"),
        ("order=sideways", "asc or desc"),
    ] {
        let answer = get(&app, &format!("/genserver/api/processes?{query}")).await;
        assert_eq!(answer.status, 400, "{query}");
        let error = answer.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains(says), "{query}: {error}");
    }
    let long = "a".repeat(10_000);
    let answer = get(&app, &format!("/genserver/api/processes?filter={long}")).await;
    assert_eq!(answer.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_json_has_status_relations_and_the_state_as_data() {
    let app = mounted(DashboardOptions::new());
    let holder = Holder::start(Holder {
        text: MARKUP.to_string(),
    })
    .name("detail-holder")
    .await
    .unwrap();
    let watcher = Worker::start(Worker { seen: 0 }).await.unwrap();
    let uri = format!("/genserver/api/servers/{}", id_in_url(holder.id()));
    let answer = get(&app, &uri).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let detail = answer.json();
    assert_eq!(detail["actions"], false);
    let status = &detail["status"];
    assert_eq!(status["id"], holder.id().to_string());
    assert_eq!(status["type_name"], "Holder");
    assert_eq!(status["names"], serde_json::json!(["detail-holder"]));
    assert_eq!(status["run_state"], "Running");
    assert_eq!(status["links"], serde_json::json!([]));
    assert_eq!(status["monitors"], serde_json::json!([]));
    // The state is data: the JSON carries it as it is, the page puts it
    // in as text (tests/browser.rs).
    let state = status["state"].as_str().unwrap();
    assert!(state.contains(MARKUP), "{state}");
    // The same answer without the brackets' encoding, and without them.
    let bare = holder.id().to_string();
    let bare = bare.trim_start_matches('<').trim_end_matches('>');
    let answer = get(&app, &format!("/genserver/api/servers/{bare}")).await;
    assert_eq!(answer.status, 200);
    drop(watcher);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_json_has_its_statistics_and_handler_time_once_collected() {
    let app = mounted(DashboardOptions::new());
    // Five casts waited at once, then were handled.
    let worker = backlogged("statistics-worker", 5).await;
    within("resume", worker.sys().resume()).await.unwrap();
    // The call goes in once the casts are out of the mailbox: sent at
    // once, it could find them all still queued, and six at once would be
    // the high-water mark.
    eventually("the backlog is handled", || worker.mailbox_len() == 0).await;
    assert_eq!(within("ping", worker.ping()).await, Ok(6));
    let uri = format!("/genserver/api/servers/{}", id_in_url(worker.id()));
    let detail = get(&app, &uri).await.json();
    let stats = &detail["statistics"];
    assert_eq!(
        stats["handled"],
        serde_json::json!({"calls": 1, "casts": 5, "infos": 0}),
        "{detail}"
    );
    assert_eq!(stats["mailbox_high_water"], 5);
    assert_eq!(stats["timing"], Value::Null, "off by default");
    // Timing on: each handler's runs and time.
    worker.sys().collect_statistics(true).unwrap();
    for expected in [7, 8] {
        assert_eq!(within("ping", worker.ping()).await, Ok(expected));
    }
    let detail = get(&app, &uri).await.json();
    let timing = &detail["statistics"]["timing"];
    assert_eq!(timing["all"]["count"], 2, "{detail}");
    assert_eq!(timing["handlers"][0][0], "ping");
    assert_eq!(timing["handlers"][0][1]["count"], 2);
    let total = &timing["all"]["total"];
    assert!(total["secs"].is_u64() && total["nanos"].is_u64(), "{total}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tracing_turned_on_from_the_page_keeps_the_next_messages() {
    let worker = Worker::start(Worker { seen: 0 })
        .name("trace-worker")
        .await
        .unwrap();
    let base = format!("/genserver/api/servers/{}", id_in_url(worker.id()));
    // Read-only: no trace can be turned on.
    let read_only = mounted(DashboardOptions::new());
    let refused = post(&read_only, &format!("{base}/trace?n=5"), true).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(
        get(&read_only, &base).await.json()["trace"],
        serde_json::json!([])
    );

    let app = mounted(DashboardOptions::new().enable_actions());
    for bad in ["trace", "trace?n=1001", "trace?n=lots", "trace?n=-1"] {
        let answer = post(&app, &format!("{base}/{bad}"), true).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
        assert!(answer.body.contains("0 (off) to 1000"), "{}", answer.body);
    }
    let answer = post(&app, &format!("{base}/trace?n=5"), true).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    for expected in 1..=7 {
        assert_eq!(within("ping", worker.ping()).await, Ok(expected));
    }
    let trace = get(&app, &base).await.json()["trace"].clone();
    let events = trace.as_array().unwrap();
    assert_eq!(events.len(), 5, "the last 5 of 7: {trace}");
    for (event, reply) in events.iter().zip(3..=7) {
        assert_eq!(event["kind"], "Call", "{event}");
        assert_eq!(event["handler"], "ping");
        assert_eq!(event["reply"], reply.to_string());
        assert_eq!(event["outcome"], "Returned");
    }
    // Off: the next messages are not kept.
    let answer = post(&app, &format!("{base}/trace?n=0"), true).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    within("ping", worker.ping()).await.unwrap();
    let trace = get(&app, &base).await.json()["trace"].clone();
    assert!(
        trace.as_array().unwrap().iter().all(|e| e["reply"] != "8"),
        "{trace}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_or_dead_server_is_a_404() {
    let app = mounted(DashboardOptions::new().enable_actions());
    let worker = Worker::start(Worker { seen: 0 }).await.unwrap();
    let id = worker.id();
    within("stop", worker.stop(ExitReason::Normal))
        .await
        .unwrap();
    for path in [
        format!("servers/{}", id_in_url(id)),
        "servers/%3Cscript%3E".to_string(),
        "servers/%3C0.99999999999.0%3E".to_string(),
        "servers/%3C3.1.0%3E".to_string(),
    ] {
        let answer = get(&app, &format!("/genserver/api/{path}")).await;
        assert_eq!(answer.status, 404, "{path}: {}", answer.body);
        assert!(answer.json()["error"].is_string());
    }
    let answer = post(
        &app,
        &format!("/genserver/api/servers/{}/kill", id_in_url(id)),
        true,
    )
    .await;
    assert_eq!(answer.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_are_refused_unless_enabled_and_asked_by_the_page() {
    let worker = Worker::start(Worker { seen: 0 }).await.unwrap();
    let base = format!("/genserver/api/servers/{}", id_in_url(worker.id()));

    let read_only = mounted(DashboardOptions::new());
    for action in ["suspend", "resume", "kill"] {
        let answer = post(&read_only, &format!("{base}/{action}"), true).await;
        assert_eq!(answer.status, 403, "{action}");
        assert!(answer.body.contains("enable_actions"), "{}", answer.body);
    }
    assert!(worker.is_alive());

    let app = mounted(DashboardOptions::new().enable_actions());
    // A forged form cannot set the header.
    let answer = post(&app, &format!("{base}/kill"), false).await;
    assert_eq!(answer.status, 403);
    assert!(worker.is_alive());
    let answer = post(&app, &format!("{base}/explode"), true).await;
    assert_eq!(answer.status, 404);

    let answer = post(&app, &format!("{base}/suspend"), true).await;
    assert_eq!(answer.status, 204, "{}", answer.body);
    let status = get(&app, &base).await.json();
    assert_eq!(status["status"]["run_state"], "Suspended");
    assert_eq!(status["actions"], true);
    let answer = post(&app, &format!("{base}/resume"), true).await;
    assert_eq!(answer.status, 204);
    assert_eq!(within("ping", worker.ping()).await.unwrap(), 1);

    let answer = post(&app, &format!("{base}/kill"), true).await;
    assert_eq!(answer.status, 204);
    let any = AnyServer::from(&worker);
    within("the kill", any.exited()).await;
    assert_eq!(any.exit_reason(), Some(ExitReason::Killed));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_overview_says_which_sections_have_data() {
    let app = mounted(
        DashboardOptions::new()
            .refresh(Duration::from_secs(3))
            .unwrap(),
    );
    let _worker = Worker::start(Worker { seen: 0 }).await.unwrap();
    let overview = get(&app, "/genserver/api/overview").await.json();
    assert_eq!(overview["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(overview["actions"], false);
    assert_eq!(overview["refresh_ms"], 3000);
    assert!(overview["process_count"].as_u64().unwrap() >= 1);
    assert_eq!(
        overview["sections"],
        serde_json::json!({
            "processes": true, "server": true, "tree": true, "statistics": true,
            "trace": true, "crashes": true, "dead_letters": true, "nodes": false,
        })
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_failures_json_has_the_latest_crashes_and_dead_letters_by_reason() {
    let app = mounted(DashboardOptions::new());
    let before = get(&app, "/genserver/api/failures").await.json();
    let noproc_before = before["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["reason"] == "noproc")
        .expect("every reason is listed")["count"]
        .as_u64()
        .unwrap();
    assert_eq!(before["dead_letters"].as_array().unwrap().len(), 6);
    assert!(before["crashes_kept"].as_u64().unwrap() >= 1);

    let holder = Holder::start(Holder {
        text: MARKUP.to_string(),
    })
    .await
    .unwrap();
    let victim = Worker::start(Worker { seen: 0 }).await.unwrap();
    victim.crash();
    within("the crash", victim.exited()).await;
    // A cast to the dead server is a dead letter.
    victim.poke();

    let after = get(&app, "/genserver/api/failures").await.json();
    let crash = after["crashes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == victim.id().to_string())
        .expect("the crash is listed");
    assert_eq!(crash["type_name"], "Worker");
    assert_eq!(crash["handler"], "crash");
    assert!(
        crash["reason"].as_str().unwrap().contains("asked to crash"),
        "{crash}"
    );
    assert_eq!(crash["state"], "Worker { seen: 0 }");
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let at = crash["at_unix_ms"].as_u64().unwrap();
    assert!(at <= now_ms && now_ms - at < 60_000, "{at} vs {now_ms}");
    let noproc_after = after["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["reason"] == "noproc")
        .unwrap()["count"]
        .as_u64()
        .unwrap();
    assert!(
        noproc_after > noproc_before,
        "{noproc_before} -> {noproc_after}"
    );
    assert!(after["dead_letters_total"].as_u64().unwrap() >= noproc_after);

    // One server's dead letters, by reason, in its detail.
    let uri = format!("/genserver/api/servers/{}", id_in_url(holder.id()));
    let detail = get(&app, &uri).await.json();
    let reasons: Vec<&str> = detail["dead_letters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "overflow",
            "noproc",
            "exited",
            "late_reply",
            "remote",
            "refused"
        ]
    );
}
