//! Global names over a real nats-server with JetStream: OTP's `:global`
//! (`register_name`, `whereis_name`, `unregister_name`, `{:global, name}`).

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::child::{self, ChildNode};
use common::servers::{Counter, Other};
use common::tools::{self, Tool};
use common::{NatsServer, node, within};
use genserver_core::prelude::*;
use genserver_core::{Remote, WireError};
use genserver_nats::{GlobalError, GlobalOptions, NameLost, Node, NodeOptions};

const LIMIT: Duration = Duration::from_secs(10);
/// The child holder's node, in another process: see `common::child`.
const CHILD_URL: &str = "GENSERVER_NATS_GLOBAL_CHILD_URL";
/// The child holder's lease: short, to keep the test fast.
const CHILD_LEASE: Duration = Duration::from_millis(900);

async fn counter(value: i64) -> Server<Counter> {
    Counter::start(Counter { value }).await.expect("starts")
}

/// Polls `check` until it is true, failing the test after `limit`.
async fn eventually<F: Future<Output = bool>>(limit: Duration, mut check: impl FnMut() -> F) {
    let deadline = Instant::now() + limit;
    while !within(limit, check()).await {
        assert!(Instant::now() < deadline, "not true within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_global_name_race_between_two_nodes_has_exactly_one_winner() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b) = (node(&nats, "a").await, node(&nats, "b").await);
    let (on_a, on_b) = (counter(1).await, counter(2).await);
    for round in 0..5 {
        let name = format!("leader{round}");
        let (won_a, won_b) = within(
            LIMIT,
            futures_util::future::join(
                a.register_global(&name, &on_a),
                b.register_global(&name, &on_b),
            ),
        )
        .await;
        let (winner, expected) = match (won_a, won_b) {
            (Ok(_), Err(GlobalError::AlreadyRegistered { node })) => {
                assert_eq!(node, "a");
                ("a", 1)
            }
            (Err(GlobalError::AlreadyRegistered { node }), Ok(_)) => {
                assert_eq!(node, "b");
                ("b", 2)
            }
            other => panic!("exactly one winner expected, got {other:?}"),
        };
        let holder = within(LIMIT, b.global_holder(&name))
            .await
            .expect("looks up")
            .expect("held");
        assert_eq!(
            (holder.node.as_str(), holder.server.as_str()),
            (winner, "Counter")
        );
        // Either node reaches the winner through the global name.
        for caller in [&a, &b] {
            let remote: Remote<Counter> = caller.global(&name).expect("a valid name");
            assert_eq!(within(LIMIT, remote.value()).await, Ok(expected));
        }
    }
}

#[tokio::test]
async fn whereis_after_unregister_is_none_and_the_name_is_free_again() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b) = (node(&nats, "a").await, node(&nats, "b").await);
    let name = within(LIMIT, a.register_global("boss", &counter(7).await))
        .await
        .expect("registers");
    let found = within(LIMIT, b.whereis_global::<Counter>("boss"))
        .await
        .expect("looks up")
        .expect("registered");
    assert_eq!(within(LIMIT, found.value()).await, Ok(7));
    match within(LIMIT, b.whereis_global::<Other>("boss")).await {
        Err(GlobalError::Wire(WireError::WrongServer { expected, found })) => {
            assert_eq!((&*expected, &*found), ("Other", "Counter"));
        }
        other => panic!("expected a wrong server, got {other:?}"),
    }

    assert_eq!(
        within(LIMIT, name.unregister()).await,
        NameLost::Unregistered
    );
    let gone = within(LIMIT, b.whereis_global::<Counter>("boss"))
        .await
        .expect("looks up");
    assert!(gone.is_none(), "whereis after unregister: {gone:?}");
    assert_eq!(within(LIMIT, found.value()).await, Err(CallError::NoProc));

    let again = within(LIMIT, b.register_global("boss", &counter(8).await))
        .await
        .expect("free again");
    assert_eq!(within(LIMIT, found.value()).await, Ok(8));
    assert!(again.is_held());
}

#[tokio::test]
async fn the_name_is_released_when_its_server_exits_or_its_node_closes() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b) = (node(&nats, "a").await, node(&nats, "b").await);
    let server = counter(0).await;
    let name = within(LIMIT, a.register_global("worker", &server))
        .await
        .expect("registers");
    within(LIMIT, server.stop(ExitReason::Normal))
        .await
        .expect("stops");
    assert_eq!(within(LIMIT, name.lost()).await, NameLost::ServerExited);
    assert_eq!(
        within(LIMIT, b.global_holder("worker")).await.ok(),
        Some(None)
    );

    let closing = within(LIMIT, a.register_global("worker", &counter(0).await))
        .await
        .expect("registers again");
    within(LIMIT, a.close()).await.expect("drains");
    assert_eq!(within(LIMIT, closing.lost()).await, NameLost::NodeStopped);
    assert_eq!(
        within(LIMIT, b.global_holder("worker")).await.ok(),
        Some(None)
    );
}

#[tokio::test]
async fn a_dead_holders_name_is_taken_over_after_its_lease() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let lease = Duration::from_millis(900);
    // Node `a` lives in its own runtime on its own thread; dropping the
    // runtime kills it mid-flight: no release, no more refreshes, its
    // connection cut.
    let (registered, died) = (
        std::sync::mpsc::channel::<()>(),
        std::sync::mpsc::channel::<()>(),
    );
    let url = nats.url().to_owned();
    let holder = std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async {
            let a = Node::connect(url.as_str(), NodeOptions::new("a").prefix("t"))
                .await
                .expect("connects");
            let server = Counter::start(Counter { value: 1 }).await.expect("starts");
            let name = a
                .register_global_with("leader", &server, GlobalOptions::new().lease(lease))
                .await
                .expect("registers");
            std::mem::forget(name);
        });
        registered.0.send(()).expect("the test waits");
        let _ = died.1.recv_timeout(LIMIT);
        drop(runtime);
    });
    registered.1.recv_timeout(LIMIT).expect("a registered");
    let b = node(&nats, "b").await;
    let leader: Remote<Counter> = b.global("leader").expect("a valid name");
    assert_eq!(within(LIMIT, leader.value()).await, Ok(1));
    // Held for a while after refreshes, then `a` dies.
    tokio::time::sleep(lease * 2).await;
    let on_b = counter(2).await;
    match within(LIMIT, b.register_global("leader", &on_b)).await {
        Err(GlobalError::AlreadyRegistered { node }) => assert_eq!(node, "a"),
        other => panic!("a live holder keeps its name, got {other:?}"),
    }
    died.0.send(()).expect("the holder waits");
    holder.join().expect("the holder thread ends");
    let died_at = Instant::now();
    // Nobody serves the name at once; the table still names `a`.
    eventually(LIMIT, || async {
        leader.value().await == Err(CallError::NoProc)
    })
    .await;
    // Taken over once the lease ran out, not before.
    let deadline = Instant::now() + LIMIT;
    let _won = loop {
        match within(LIMIT, b.register_global("leader", &on_b)).await {
            Ok(name) => break name,
            Err(GlobalError::AlreadyRegistered { node }) => assert_eq!(node, "a"),
            Err(error) => panic!("{error}"),
        }
        assert!(Instant::now() < deadline, "not taken over within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = died_at.elapsed();
    // Its last refresh was at most a third of a lease before it died.
    assert!(
        took >= lease / 2 && took <= lease + Duration::from_secs(1),
        "taken over {took:?} after the holder died, with a {lease:?} lease"
    );
    assert_eq!(within(LIMIT, leader.value()).await, Ok(2));
    let holder = within(LIMIT, b.global_holder("leader"))
        .await
        .expect("looks up")
        .expect("held");
    assert_eq!(holder.node, "b");
}

#[tokio::test]
async fn a_holder_whose_name_was_taken_over_hears_of_the_conflict() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    let lease = Duration::from_millis(300);
    let name = within(
        LIMIT,
        a.register_global_with(
            "leader",
            &counter(1).await,
            GlobalOptions::new().lease(lease),
        ),
    )
    .await
    .expect("registers");
    // Another writer overwrites the name behind the holder's back, as a
    // node that took it over after a pause longer than the lease would.
    let raw = within(LIMIT, async_nats::connect(nats.url()))
        .await
        .expect("connects");
    let kv = within(
        LIMIT,
        async_nats::jetstream::new(raw).get_key_value("gs_global_t"),
    )
    .await
    .expect("the bucket exists");
    within(LIMIT, kv.put("leader", "not a holder".into()))
        .await
        .expect("puts");
    match within(LIMIT, name.lost()).await {
        NameLost::Conflict { .. } => {}
        other => panic!("expected a conflict, got {other:?}"),
    }
    // The loser stopped serving the name; the table's value stands.
    let leader: Remote<Counter> = a.global("leader").expect("a valid name");
    assert_eq!(within(LIMIT, leader.value()).await, Err(CallError::NoProc));
    let entry = within(LIMIT, kv.get("leader"))
        .await
        .expect("reads")
        .expect("present");
    assert_eq!(&entry[..], b"not a holder");
}

#[tokio::test]
async fn bad_global_names_are_refused() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    let server = counter(0).await;
    // `_gs.…` keys are the table's own.
    for bad in ["", "a b", "a*", "a>", ".a", "é", "_gs.now"] {
        assert!(
            matches!(
                within(LIMIT, a.register_global(bad, &server)).await,
                Err(GlobalError::InvalidName(_))
            ),
            "{bad:?}"
        );
        assert!(a.global::<Counter>(bad).is_err(), "{bad:?}");
    }
    // The same node cannot hold one name twice.
    let _held = within(LIMIT, a.register_global("once", &server))
        .await
        .expect("registers");
    match within(LIMIT, a.register_global("once", &server)).await {
        Err(GlobalError::AlreadyRegistered { node }) => assert_eq!(node, "a"),
        other => panic!("expected AlreadyRegistered, got {other:?}"),
    }
}

#[tokio::test]
async fn on_the_holders_node_a_global_name_is_a_local_call() {
    let Some(mut nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    let server = counter(10).await;
    let _held = within(LIMIT, a.register_global("here", &server))
        .await
        .expect("registers");
    let global = a.global::<Counter>("here").expect("a valid name");
    assert_eq!(within(LIMIT, global.increment(1)).await, Ok(11));
    // Without the network: the nats-server is gone, and the name is still
    // this node's (its lease has not run out), so the call is local, as a
    // `{:global, name}` resolving to a local pid is.
    nats.kill();
    assert_eq!(within(LIMIT, global.increment(1)).await, Ok(12));
    global.add(5);
    assert_eq!(within(LIMIT, global.value()).await, Ok(17));
}

/// The node of the other process: registers a `Counter` (value 1) under
/// the global name "leader" with a [`CHILD_LEASE`]; does nothing in a
/// normal test run.
#[tokio::test]
async fn child_global_holder_process() {
    let Some(url) = child::url(CHILD_URL) else {
        return;
    };
    let node = Node::connect(url.as_str(), NodeOptions::new("child").prefix("t"))
        .await
        .expect("the child node connects");
    let server = counter(1).await;
    let _name = node
        .register_global_with("leader", &server, GlobalOptions::new().lease(CHILD_LEASE))
        .await
        .expect("registers");
    child::ready();
    child::linger().await;
}

#[tokio::test]
async fn a_sigkilled_holders_name_is_taken_over_once_its_lease_ran_out() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let mut holder = ChildNode::start(&nats, "child_global_holder_process", CHILD_URL).await;
    let b = node(&nats, "b").await;
    let found = within(LIMIT, b.global_holder("leader"))
        .await
        .expect("looks up")
        .expect("held");
    assert_eq!(
        (found.node.as_str(), found.server.as_str(), found.lease),
        ("child", "Counter", CHILD_LEASE)
    );
    let leader: Remote<Counter> = b.global("leader").expect("a valid name");
    assert_eq!(within(LIMIT, leader.value()).await, Ok(1));
    // Held across several refreshes (every third of the lease); killed
    // half-way between two.
    tokio::time::sleep(CHILD_LEASE * 2 + CHILD_LEASE / 6).await;
    let on_b = counter(2).await;
    match within(LIMIT, b.register_global("leader", &on_b)).await {
        Err(GlobalError::AlreadyRegistered { node }) => assert_eq!(node, "child"),
        other => panic!("a live holder keeps its name, got {other:?}"),
    }

    let killed = Instant::now();
    holder.kill();
    // Its connection is gone with it: nobody serves the name, at once.
    eventually(LIMIT, || async {
        leader.value().await == Err(CallError::NoProc)
    })
    .await;
    let deadline = killed + LIMIT;
    let _won = loop {
        match within(LIMIT, b.register_global("leader", &on_b)).await {
            Ok(name) => break name,
            Err(GlobalError::AlreadyRegistered { node }) => assert_eq!(node, "child"),
            Err(error) => panic!("{error}"),
        }
        assert!(Instant::now() < deadline, "not taken over within {LIMIT:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = killed.elapsed();
    eprintln!(
        "a SIGKILLed holder's name was taken over {took:?} after the kill, with a {CHILD_LEASE:?} lease"
    );
    // The documented bound (`GlobalOptions::lease`): the name outlives the
    // holder's last refresh by its lease, and that refresh was at most a
    // third of a lease before it died. Room for the retries (every 20 ms)
    // and a loaded machine on top.
    let earliest = CHILD_LEASE * 2 / 3 - Duration::from_millis(100);
    let latest = CHILD_LEASE + Duration::from_millis(600);
    assert!(
        took >= earliest && took <= latest,
        "taken over {took:?} after the kill; expected within {earliest:?}..{latest:?}"
    );
    // Calls to the name reach the new holder.
    assert_eq!(within(LIMIT, leader.value()).await, Ok(2));
    let found = within(LIMIT, b.global_holder("leader"))
        .await
        .expect("looks up")
        .expect("held");
    assert_eq!(found.node, "b");
}

/// Names the global name the skewed contender tries for.
const CONTENDED: &str = "GENSERVER_NATS_GLOBAL_CONTENDED";

/// The node of another process whose wall clock is off by an hour: tries
/// for the global name [`CONTENDED`] names, every 20 ms for 3 s or until
/// it wins; then prints `ready`, holding it if it won. Does nothing in a
/// normal test run.
#[tokio::test]
async fn child_skewed_contender_process() {
    let Some(url) = child::url(CHILD_URL) else {
        return;
    };
    let name = std::env::var(CONTENDED).expect("the name to contend for");
    let node = Node::connect(url.as_str(), NodeOptions::new("skewed").prefix("t"))
        .await
        .expect("the child node connects");
    let server = counter(3).await;
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut won = None;
    while won.is_none() && Instant::now() < deadline {
        match node.register_global(&name, &server).await {
            Ok(held) => won = Some(held),
            Err(GlobalError::AlreadyRegistered { .. }) => {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            // A store busy under load: tried again, as a supervisor would,
            // until the deadline; the parent's assertion says who won.
            Err(error) => {
                eprintln!("the skewed contender: {error}; trying again");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    child::ready();
    child::linger().await;
}

#[tokio::test]
async fn a_node_whose_clock_is_an_hour_ahead_does_not_take_a_live_name() {
    if tools::need(Tool::Faketime).is_none() {
        return;
    }
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    let server = counter(1).await;
    let held = within(
        LIMIT,
        a.register_global_with(
            "contested",
            &server,
            GlobalOptions::new().lease(CHILD_LEASE),
        ),
    )
    .await
    .expect("registers");
    // The contender's clock says the name was last written an hour ago:
    // judged by it, the lease ran out long since. Judged by the NATS
    // server's clock, it is refreshed every third of a lease.
    let _skewed = ChildNode::start_with(
        &nats,
        "child_skewed_contender_process",
        CHILD_URL,
        Some("+1h"),
        &[(CONTENDED, "contested")],
    )
    .await;
    let found = within(LIMIT, a.global_holder("contested"))
        .await
        .expect("looks up")
        .expect("held");
    assert_eq!(found.node, "a", "the skewed node took a live name");
    assert!(held.is_held(), "the holder kept its name");
}

#[tokio::test]
async fn a_node_whose_clock_is_an_hour_behind_still_takes_over_a_dead_name() {
    if tools::need(Tool::Faketime).is_none() {
        return;
    }
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let mut holder = ChildNode::start(&nats, "child_global_holder_process", CHILD_URL).await;
    let b = node(&nats, "b").await;
    let found = within(LIMIT, b.global_holder("leader"))
        .await
        .expect("looks up")
        .expect("held");
    assert_eq!(found.node, "child");
    holder.kill();
    // Judged by its own clock, the dead holder's last write is an hour in
    // the future and would never grow old; by the NATS server's, its lease
    // runs out as it should.
    let _skewed = ChildNode::start_with(
        &nats,
        "child_skewed_contender_process",
        CHILD_URL,
        Some("-1h"),
        &[(CONTENDED, "leader")],
    )
    .await;
    let found = within(LIMIT, b.global_holder("leader"))
        .await
        .expect("looks up")
        .expect("held");
    assert_eq!(
        found.node, "skewed",
        "the dead holder's name was not taken over"
    );
}
