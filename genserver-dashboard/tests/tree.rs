//! The supervision trees' JSON (`api/trees`), as the Tree view reads it:
//! every tree of the program, nested, each child with its restart type,
//! status and restart count; a large supervisor cut to its first 200
//! children with its total.

mod common;

use axum::Router;
use common::*;
use genserver_core::prelude::*;
use genserver_core::{
    DynamicSupervisor, DynamicSupervisorSpec, Restart, Strategy, Supervisor, SupervisorSpec,
    whereis,
};
use genserver_dashboard::{DashboardOptions, router};
use serde_json::Value;

fn mounted() -> Router {
    Router::new().nest("/genserver", router(DashboardOptions::new()))
}

/// The tree whose root is `root`, from `/api/trees`.
async fn tree_of(app: &Router, root: ServerId) -> Value {
    let answer = get(app, "/genserver/api/trees").await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let all = answer.json();
    assert!(all["took_ms"].as_f64().unwrap() >= 0.0);
    all["trees"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tree| tree["id"] == root.to_string())
        .unwrap_or_else(|| panic!("no tree of {root}: {all}"))
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trees_json_nests_each_supervisor_with_its_childrens_policy_status_and_restarts() {
    let app = mounted();
    let inner = SupervisorSpec::new(Strategy::OneForOne).child(
        Worker::child_spec(Worker { seen: 0 })
            .with_name("tree-inner-worker")
            .with_id("inner-worker")
            .with_restart(Restart::Transient),
    );
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(
            Worker::child_spec(Worker { seen: 0 })
                .with_name("tree-worker")
                .with_id("worker"),
        )
        .child(Supervisor::child_spec(inner).with_id("inner"));
    let root = within("the tree starts", Supervisor::start(spec))
        .await
        .unwrap();
    // A crash: the worker is restarted once.
    let first = whereis::<Worker>("tree-worker").unwrap();
    first.crash();
    let second = within("the restart", async {
        loop {
            match whereis::<Worker>("tree-worker") {
                Some(next) if next.id() != first.id() => break next,
                _ => tokio::time::sleep(std::time::Duration::from_millis(10)).await,
            }
        }
    })
    .await;

    let tree = tree_of(&app, root.id()).await;
    assert_eq!(tree["type_name"], "Supervisor");
    assert_eq!(tree["answered"], true);
    assert_eq!(tree["children_total"], 2);
    let worker = &tree["children"][0];
    assert_eq!(worker["id"], "worker");
    assert_eq!(worker["kind"], "Worker");
    assert_eq!(worker["restart"], "Permanent");
    assert_eq!(worker["status"], "Running");
    assert_eq!(worker["restarts"], 1, "{tree}");
    assert_eq!(worker["server"], second.id().to_string());
    assert_eq!(worker["type_name"], "Worker");
    assert_eq!(worker["subtree"], Value::Null);
    let inner = &tree["children"][1];
    assert_eq!(inner["kind"], "Supervisor");
    assert_eq!(inner["restarts"], 0);
    let below = &inner["subtree"];
    assert_eq!(below["type_name"], "Supervisor");
    assert_eq!(below["children"][0]["id"], "inner-worker");
    assert_eq!(below["children"][0]["restart"], "Transient");
    assert_eq!(
        below["children"][0]["server"],
        whereis::<Worker>("tree-inner-worker")
            .unwrap()
            .id()
            .to_string()
    );
    // The inner supervisor is in its parent's tree, not a tree of its own.
    let all = get(&app, "/genserver/api/trees").await.json();
    assert!(
        all["trees"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["id"] != inner["server"]),
        "{all}"
    );
    within("the tree stops", root.stop(ExitReason::Shutdown))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_of_many_children_shows_the_first_200_and_its_total() {
    let app = mounted();
    let pool = within(
        "the pool starts",
        DynamicSupervisor::start(DynamicSupervisorSpec::new()),
    )
    .await
    .unwrap();
    for i in 0..250 {
        within(
            "a child starts",
            pool.start_child(Worker::child_spec(Worker { seen: 0 }).with_id(format!("job-{i}"))),
        )
        .await
        .unwrap();
    }
    let tree = tree_of(&app, pool.id()).await;
    assert_eq!(tree["type_name"], "DynamicSupervisor");
    assert_eq!(tree["children_total"], 250);
    let children = tree["children"].as_array().unwrap();
    assert_eq!(children.len(), 200);
    assert!(children.iter().all(|c| c["status"] == "Running"));
    within("the pool stops", pool.stop(ExitReason::Shutdown))
        .await
        .unwrap();
}
