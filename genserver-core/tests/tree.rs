//! The supervision tree: every supervisor and child, nested, with restart
//! types, statuses and restart counts; as text and (feature `serde`) JSON.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::within;
use genserver_core::prelude::*;
use genserver_core::{
    Backoff, ChildSpec, DynamicSupervisor, DynamicSupervisorSpec, Restart, Strategy, Supervisor,
    SupervisorSpec,
};
use genserver_core::{ChildStatus, sys};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct Worker;

#[gen_server]
impl Worker {
    #[cast]
    pub fn crash(&mut self) {
        panic!("worker crashed");
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn worker(id: &str) -> ChildSpec {
    Worker::child_spec(Worker).with_id(id)
}

#[tokio::test]
async fn a_nested_tree_shows_every_child_with_its_restart_type_status_and_restarts() {
    let inner = SupervisorSpec::new(Strategy::OneForOne)
        .child(worker("a"))
        .child(worker("b").with_restart(Restart::Transient));
    let spec = SupervisorSpec::new(Strategy::OneForAll)
        .child(worker("first"))
        .child(Supervisor::child_spec(inner).with_id("inner"))
        .child(DynamicSupervisor::child_spec(DynamicSupervisorSpec::new()).with_id("pool"));
    let root = Supervisor::start(spec).await.unwrap();
    let children = root.which_children().await.unwrap();
    let inner = children[1]
        .server
        .clone()
        .unwrap()
        .downcast::<Supervisor>()
        .unwrap();
    let pool = children[2]
        .server
        .clone()
        .unwrap()
        .downcast::<DynamicSupervisor>()
        .unwrap();
    pool.start_child(worker("job")).await.unwrap();
    // Crash `a` twice: restarted twice.
    for round in 1..=2 {
        let a = inner.which_children().await.unwrap()[0]
            .server
            .clone()
            .unwrap();
        a.downcast::<Worker>().unwrap().crash();
        within(LIMIT, "the crash", a.exited()).await;
        within(LIMIT, "a restarted", async {
            loop {
                let c = inner.which_children().await.unwrap();
                if c[0].restarts == round && c[0].status == ChildStatus::Running {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await;
    }

    let tree = root.tree().await.unwrap();
    assert_eq!(tree.id, root.id());
    assert_eq!(tree.type_name, "Supervisor");
    assert!(tree.answered);
    let ids: Vec<&str> = tree.children.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["first", "inner", "pool"]);
    let first = &tree.children[0];
    assert_eq!(first.type_name, Some("Worker"));
    assert!(first.subtree.is_none());
    let inner_tree = tree.children[1].subtree.as_ref().unwrap();
    assert_eq!(inner_tree.id, inner.id());
    assert_eq!(inner_tree.children[0].restarts, 2);
    assert_eq!(inner_tree.children[1].restart, Restart::Transient);
    assert_eq!(inner_tree.children[1].restarts, 0);
    let pool_tree = tree.children[2].subtree.as_ref().unwrap();
    assert_eq!(pool_tree.type_name, "DynamicSupervisor");
    assert_eq!(pool_tree.children.len(), 1);
    assert_eq!(pool_tree.children[0].status, ChildStatus::Running);

    let text = tree.to_string();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("Supervisor {}", root.id()));
    assert!(lines[1].starts_with("├─ first: Worker <0."), "{text}");
    assert!(lines[2].starts_with("├─ inner: Supervisor <0."), "{text}");
    assert!(
        lines[3].starts_with("│  ├─ a: Worker <0.")
            && lines[3].ends_with("worker, permanent, running, 2 restarts"),
        "{text}"
    );
    assert!(
        lines[4].contains("│  └─ b: Worker") && lines[4].contains("transient"),
        "{text}"
    );
    assert!(
        lines[5].starts_with("└─ pool: DynamicSupervisor <0."),
        "{text}"
    );
    assert!(lines[6].starts_with("   └─ job: Worker <0."), "{text}");
    assert_eq!(lines.len(), 7, "{text}");

    // The root is one of the program's trees; the nested ones are not.
    let trees = sys::trees().await;
    assert!(trees.iter().any(|t| t.id == root.id()));
    assert!(
        !trees
            .iter()
            .any(|t| t.id == inner.id() || t.id == pool.id())
    );
    root.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_child_waiting_out_its_backoff_is_backing_off() {
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(worker("slow").with_backoff(
        Backoff::exponential(Duration::from_secs(30), Duration::from_secs(60)),
    ));
    let root = Supervisor::start(spec).await.unwrap();
    let slow = root.which_children().await.unwrap()[0]
        .server
        .clone()
        .unwrap();
    slow.downcast::<Worker>().unwrap().crash();
    within(LIMIT, "the crash", slow.exited()).await;
    let tree = root.tree().await.unwrap();
    assert_eq!(tree.children[0].status, ChildStatus::BackingOff);
    assert!(tree.children[0].server.is_none());
    assert!(
        tree.to_string()
            .contains("slow: no server, worker, permanent, backing off")
    );
    tokio::time::sleep(Duration::from_secs(31)).await;
    let tree = root.tree().await.unwrap();
    assert_eq!(tree.children[0].status, ChildStatus::Running);
    assert_eq!(tree.children[0].restarts, 1);
}

#[tokio::test(start_paused = true)]
async fn a_supervisor_that_does_not_answer_is_shown_without_its_children() {
    let inner = SupervisorSpec::new(Strategy::OneForOne).child(worker("a"));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(Supervisor::child_spec(inner).with_id("inner"));
    let root = Supervisor::start(spec).await.unwrap();
    let inner = root.which_children().await.unwrap()[0]
        .server
        .clone()
        .unwrap();
    inner.sys().suspend().await.unwrap();
    let tree = root.tree().await.unwrap();
    let inner_tree = tree.children[0].subtree.as_ref().unwrap();
    assert!(!inner_tree.answered);
    assert!(inner_tree.children.is_empty());
    assert!(tree.to_string().contains("(did not answer in time)"));
    inner.sys().resume().await.unwrap();
    // The root itself not answering is an error, not an empty tree.
    root.sys().suspend().await.unwrap();
    assert_eq!(root.tree().await.map(|_| ()), Err(CallError::Timeout));
}

#[cfg(feature = "serde")]
#[tokio::test]
async fn a_tree_serializes_for_a_dashboard() {
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(worker("a"));
    let root = Supervisor::start(spec).await.unwrap();
    let json = serde_json::to_value(root.tree().await.unwrap()).unwrap();
    assert_eq!(json["type_name"], "Supervisor");
    assert_eq!(json["id"], root.id().to_string());
    assert_eq!(json["children"][0]["id"], "a");
    assert_eq!(json["children"][0]["status"], "Running");
    assert_eq!(json["children"][0]["restart"], "Permanent");
}

#[tokio::test]
async fn a_cut_tree_keeps_the_first_children_of_every_supervisor_and_their_count() {
    // A supervisor of three workers and a dynamic supervisor of five.
    let pool = DynamicSupervisorSpec::new();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(worker("a"))
        .child(DynamicSupervisor::child_spec(pool).with_id("pool"))
        .child(worker("b"));
    let root = Supervisor::start(spec).await.unwrap();
    let pool = root.which_children().await.unwrap()[1]
        .server
        .clone()
        .and_then(|server| server.downcast::<DynamicSupervisor>())
        .expect("the pool runs");
    for _ in 0..5 {
        pool.start_child(Worker::child_spec(Worker)).await.unwrap();
    }
    let tree = within(LIMIT, "the tree", root.tree()).await.unwrap();
    assert_eq!(tree.children_total, tree.children.len());

    let cut = tree.clone().cut(2);
    assert_eq!((cut.children.len(), cut.children_total), (2, 3));
    assert_eq!(cut.children[1].id, "pool");
    let pool_tree = cut.children[1].subtree.as_ref().expect("the pool's tree");
    assert_eq!((pool_tree.children.len(), pool_tree.children_total), (2, 5));
    let text = cut.to_string();
    assert!(text.contains("└─ … 3 more children"), "{text}");
    assert!(text.ends_with("└─ … 1 more child\n"), "{text}");
    // Cut to more than it has: the same tree.
    assert_eq!(tree.clone().cut(100), tree);
    root.stop(ExitReason::Shutdown).await.unwrap();
}
