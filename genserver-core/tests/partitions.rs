//! docs/behaviour.md, "PartitionSupervisor": one test per row.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{gone, within};
use genserver_core::prelude::*;
use genserver_core::{
    AnyServer, DynamicSupervisor, DynamicSupervisorSpec, PartitionSupervisor, Strategy, Supervisor,
    SupervisorSpec,
};
use genserver_core::{ChildStatus, ResizeError};
use std::collections::HashSet;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(5);

/// A partition that knows its index and counts what it was given.
pub struct Shard {
    index: usize,
    seen: u64,
}

#[gen_server]
impl Shard {
    fn init(index: usize) -> Result<Self, String> {
        Ok(Shard { index, seen: 0 })
    }

    #[call]
    pub fn index(&self) -> usize {
        self.index
    }

    #[call]
    pub fn record(&mut self) -> u64 {
        self.seen += 1;
        self.seen
    }

    #[cast]
    pub fn crash(&self) {
        panic!("shard {} crashed", self.index)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn shards(count: usize) -> PartitionSupervisor<Shard> {
    PartitionSupervisor::new(Shard::start).with_partitions(count)
}

/// Waits until `key`'s partition answers again after a restart.
async fn answering(partitions: &PartitionSupervisor<Shard>, key: &str) -> Server<Shard> {
    within(LIMIT, "the partition is running", async {
        loop {
            if let Some(server) = partitions.get(key) {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
}

#[tokio::test]
async fn starts_n_partitions_each_given_its_index() {
    let partitions = shards(4);
    let supervisor = partitions.start().await.unwrap();
    for index in 0..4 {
        let server = partitions.get_partition(index).unwrap();
        assert_eq!(server.index().await, Ok(index));
    }
    assert!(partitions.get_partition(4).is_none());
    let ids: Vec<String> = partitions
        .which_children()
        .await
        .unwrap()
        .into_iter()
        .map(|child| child.id)
        .collect();
    assert_eq!(
        ids,
        ["partition-0", "partition-1", "partition-2", "partition-3"]
    );
    let count = partitions.count_children().await.unwrap();
    assert_eq!((count.specs, count.active, count.workers), (4, 4, 4));
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test]
async fn the_default_is_one_partition_per_available_core() {
    let partitions = PartitionSupervisor::new(Shard::start);
    let cores = std::thread::available_parallelism().unwrap().get();
    assert_eq!(partitions.partitions(), cores);
}

#[tokio::test]
async fn a_key_always_routes_to_the_same_partition_and_keys_spread() {
    let partitions = shards(8);
    let supervisor = partitions.start().await.unwrap();
    for key in ["alice", "bob", "carol"] {
        let expected = partitions.partition_of(key);
        for _ in 0..10 {
            let server = partitions.get(key).unwrap();
            assert_eq!(server.index().await, Ok(expected));
            assert_eq!(partitions.named(key).index().await, Ok(expected));
        }
    }
    // A thousand keys reach every one of 8 partitions.
    let used: HashSet<usize> = (0..1000).map(|k| partitions.partition_of(&k)).collect();
    assert_eq!(used.len(), 8);
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test]
async fn a_crashed_partition_is_restarted_and_reached_by_name() {
    let partitions = shards(3);
    let supervisor = partitions.start().await.unwrap();
    let by_name = partitions.named("key");
    assert_eq!(by_name.record().await, Ok(1));
    let before = partitions.get("key").unwrap();
    by_name.crash();
    gone(&before).await;
    let after = answering(&partitions, "key").await;
    assert_ne!(after, before);
    // Fresh state, same partition index, reached through the same handle.
    let count = within(LIMIT, "the named handle reaches the new server", async {
        loop {
            match by_name.record().await {
                Ok(n) => break n,
                Err(CallError::NoProc) => tokio::time::sleep(Duration::from_millis(1)).await,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
    })
    .await;
    assert_eq!(count, 1);
    assert_eq!(after.index().await, Ok(partitions.partition_of("key")));
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test]
async fn nothing_routes_before_the_start() {
    let partitions = shards(2);
    assert!(partitions.get("key").is_none());
    assert_eq!(
        partitions.named("key").index().await,
        Err(CallError::NoProc)
    );
    assert_eq!(
        partitions.which_children().await.unwrap_err(),
        CallError::NoProc
    );
    assert_eq!(partitions.resize(3).await, Err(ResizeError::NotStarted));
}

#[tokio::test]
async fn nests_in_a_supervision_tree_and_routes_after_the_tree_restarts_it() {
    let partitions = shards(2);
    let tree = Supervisor::start(
        SupervisorSpec::new(Strategy::OneForOne).child(partitions.child_spec().with_id("shards")),
    )
    .await
    .unwrap();
    let children = tree.which_children().await.unwrap();
    assert_eq!(children[0].id, "shards");
    let first = partitions.supervisor().unwrap();
    assert_eq!(partitions.get_partition(1).unwrap().index().await, Ok(1));
    // The tree restarts the partition supervisor: the same handle routes to
    // the new partitions.
    AnyServer::from(&first).kill();
    gone(&first).await;
    within(LIMIT, "the tree restarts the partitions", async {
        loop {
            if let Some(now) = partitions.supervisor()
                && now != first
                && partitions.get_partition(1).is_some()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!(partitions.named(&1).record().await, Ok(1));
    tree.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test]
async fn resize_grows_and_shrinks_the_partitions() {
    let partitions = shards(2);
    let supervisor = partitions.start().await.unwrap();
    let kept = partitions.named(&"some key");
    partitions.resize(5).await.unwrap();
    assert_eq!(partitions.partitions(), 5);
    assert_eq!(partitions.count_children().await.unwrap().active, 5);
    assert_eq!(partitions.get_partition(4).unwrap().index().await, Ok(4));
    // A handle made before the resize routes by the new count.
    let index = kept.index().await.unwrap();
    assert_eq!(index, partitions.partition_of(&"some key"));

    let removed = partitions.get_partition(4).unwrap();
    partitions.resize(1).await.unwrap();
    assert_eq!(partitions.partitions(), 1);
    gone(&removed).await;
    let children = partitions.which_children().await.unwrap();
    assert_eq!(children.len(), 1);
    assert_eq!(children[0].status, ChildStatus::Running);
    assert_eq!(kept.index().await, Ok(0));
    assert_eq!(partitions.resize(0).await, Ok(()), "at least one partition");
    assert_eq!(partitions.partitions(), 1);
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

/// Elixir's own example: `PartitionSupervisor` of `DynamicSupervisor`s,
/// to start children without one supervisor being the bottleneck.
#[tokio::test]
async fn partitions_of_dynamic_supervisors_spread_children() {
    let supervisors =
        PartitionSupervisor::new(|_| DynamicSupervisor::start(DynamicSupervisorSpec::new()))
            .with_partitions(4);
    let top = supervisors.start().await.unwrap();
    for key in 0..40usize {
        let supervisor = supervisors.get(&key).unwrap();
        supervisor
            .start_child(Shard::child_spec(key))
            .await
            .unwrap();
    }
    let mut total = 0;
    for index in 0..4 {
        let supervisor = supervisors.get_partition(index).unwrap();
        let count = supervisor.count_children().await.unwrap();
        assert!(count.active > 0, "partition {index} has children");
        total += count.active;
    }
    assert_eq!(total, 40);
    top.stop(ExitReason::Shutdown).await.unwrap();
}

/// One set of partitions per handle, as a named `PartitionSupervisor` is
/// `{:error, {:already_started, pid}}` the second time.
#[tokio::test]
async fn a_second_start_while_running_is_already_started() {
    let partitions = shards(2);
    let supervisor = partitions.start().await.unwrap();
    match partitions.start().await {
        Err(StartError::AlreadyStarted(running)) => assert_eq!(running, supervisor),
        other => panic!("expected AlreadyStarted, got {other:?}"),
    }
    // Nested too: the tree's start fails with the running one.
    let tree =
        Supervisor::start(SupervisorSpec::new(Strategy::OneForOne).child(partitions.child_spec()))
            .await;
    assert!(tree.is_err(), "{tree:?}");
    assert_eq!(partitions.supervisor(), Some(supervisor.clone()));
    // Once stopped, it may start again.
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
    let again = partitions.start().await.unwrap();
    assert_eq!(partitions.get_partition(1).unwrap().index().await, Ok(1));
    again.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test]
async fn a_resize_of_stopped_partitions_fails_and_changes_nothing() {
    let partitions = shards(2);
    let supervisor = partitions.start().await.unwrap();
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(partitions.resize(1).await, Err(ResizeError::NotStarted));
    assert_eq!(partitions.resize(4).await, Err(ResizeError::NotStarted));
    assert_eq!(partitions.partitions(), 2);
}
