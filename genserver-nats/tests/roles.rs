//! Serving a role, not an incarnation: a `Named<T>` served, registered
//! globally or joined to a group follows the server holding the name
//! across its restarts under a supervisor. Over a nats-server started by
//! each test on 127.0.0.1.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, node, within};
use genserver_core::Remote;
use genserver_core::prelude::*;
use genserver_core::{ChildSpec, Named, Strategy, Supervisor, SupervisorSpec};

const LIMIT: Duration = Duration::from_secs(20);
/// "At once": a round trip on a loaded machine, never a timeout.
const AT_ONCE: Duration = Duration::from_millis(1_500);

/// A supervisor whose one child is a `Counter` named `name`, restarted on
/// every crash.
async fn supervised(name: &'static str) -> Server<Supervisor> {
    let child = ChildSpec::new(name, move || {
        Counter::start(Counter { value: 0 }).name(name)
    });
    Supervisor::start(
        SupervisorSpec::new(Strategy::OneForOne)
            .intensity(1_000, Duration::from_secs(1))
            .children([child]),
    )
    .await
    .expect("the supervisor starts")
}

/// Waits until somebody holds `named`'s name again.
async fn restarted(named: &Named<Counter>) {
    let deadline = Instant::now() + LIMIT;
    while named.whereis().is_none() {
        assert!(Instant::now() < deadline, "the child was not restarted");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_served_child_that_crashes_twenty_times_never_hangs_a_call() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let _supervisor = supervised("stats").await;
    let a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let named = Named::<Counter>::new("stats");
    within(LIMIT, a.serve("stats", &named))
        .await
        .expect("serves the role");
    let remote: Remote<Counter> = b.remote("stats").expect("a valid name");
    let done = Arc::new(AtomicBool::new(false));
    // Calls in a loop until the crashes are over.
    let caller = {
        let (remote, done) = (remote.clone(), done.clone());
        tokio::spawn(async move {
            let (mut ok, mut failed, mut slowest) = (0_u32, Vec::new(), Duration::ZERO);
            let deadline = Instant::now() + LIMIT;
            while !done.load(Ordering::Relaxed) && Instant::now() < deadline {
                let started = Instant::now();
                let outcome = remote.increment(1).await;
                slowest = slowest.max(started.elapsed());
                match outcome {
                    Ok(_) => ok += 1,
                    Err(error) => failed.push(error),
                }
            }
            (ok, failed, slowest)
        })
    };
    for _ in 0..20 {
        restarted(&named).await;
        // A crash in the middle of the caller's loop.
        tokio::time::sleep(Duration::from_millis(10)).await;
        let old = named.whereis().expect("held");
        let _ = within(LIMIT, old.crash()).await;
        within(LIMIT, old.exited()).await;
    }
    restarted(&named).await;
    done.store(true, Ordering::Relaxed);
    let (ok, failed, slowest) = within(LIMIT + LIMIT, caller).await.expect("joins");
    eprintln!(
        "20 crashes: {ok} calls succeeded, {} failed ({:?}), the slowest took {slowest:?}",
        failed.len(),
        failed.iter().take(5).collect::<Vec<_>>()
    );
    assert!(slowest < AT_ONCE, "a call took {slowest:?}");
    for error in &failed {
        assert!(
            matches!(
                error,
                CallError::NoProc | CallError::Exited(ExitReason::Panic(_))
            ),
            "a call failed with {error:?}"
        );
    }
    assert!(ok > 20, "{ok} calls succeeded");
    assert!(!failed.is_empty(), "no call met a crash");
    // The role is still served.
    assert!(within(LIMIT, remote.value()).await.is_ok());
}

#[tokio::test]
async fn a_role_keeps_its_global_name_and_its_group_across_restarts() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let _supervisor = supervised("leader").await;
    let a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let named = Named::<Counter>::new("leader");
    let held = within(LIMIT, a.register_global("leader", &named))
        .await
        .expect("registers the role");
    let membership = within(LIMIT, a.join("leaders", &named))
        .await
        .expect("joins");
    let global: Remote<Counter> = b.global("leader").expect("a valid name");
    let broadcast: Remote<Counter> = b.broadcast("leaders").expect("a valid name");
    for round in 1..=3 {
        assert_eq!(
            within(LIMIT, global.increment(1)).await,
            Ok(1),
            "round {round}"
        );
        broadcast.add(10);
        let deadline = Instant::now() + LIMIT;
        while within(LIMIT, global.value()).await != Ok(11) {
            assert!(Instant::now() < deadline, "the broadcast did not arrive");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let members = within(LIMIT, b.members::<Counter>("leaders"))
            .await
            .expect("asks");
        assert_eq!(members.len(), 1);
        // The holder crashes; its supervisor starts another.
        let old = named.whereis().expect("held");
        let _ = within(LIMIT, named.crash()).await;
        within(LIMIT, old.exited()).await;
        restarted(&named).await;
        assert!(held.is_held(), "the global name was let go");
        assert!(membership.is_member(), "the membership was let go");
    }
    // Nobody holds the local name: calls get NoProc at once, the name stays.
    let supervisor = _supervisor;
    within(LIMIT, supervisor.stop(ExitReason::Shutdown))
        .await
        .expect("stops");
    let started = Instant::now();
    assert_eq!(within(LIMIT, global.value()).await, Err(CallError::NoProc));
    assert!(started.elapsed() < AT_ONCE);
    assert!(held.is_held());
    // A cast meanwhile is dropped, and counted where it was served.
    global.add(1);
    let deadline = Instant::now() + LIMIT;
    while a.refusals().casts_dropped == 0 {
        assert!(
            Instant::now() < deadline,
            "the dropped cast was not counted"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_monitor_of_a_served_role_watches_the_holder_of_the_moment() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let _supervisor = supervised("watched").await;
    let a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let named = Named::<Counter>::new("watched");
    within(LIMIT, a.serve("watched", &named))
        .await
        .expect("serves the role");
    let (watcher, mut downs) = common::watcher::start(&b).await;
    for _ in 0..3 {
        restarted(&named).await;
        let monitor = within(LIMIT, watcher.watch("watched".to_owned()))
            .await
            .expect("answers")
            .expect("a valid name");
        // Answered once the serving node has the watch.
        let deadline = Instant::now() + LIMIT;
        while !b.nodes().contains(&"a".to_owned()) {
            assert!(Instant::now() < deadline, "b does not hear a");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // The request is on its way: let it reach the serving node.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let old = named.whereis().expect("held");
        let _ = within(LIMIT, old.crash()).await;
        let down = within(LIMIT, downs.recv()).await.expect("a Down");
        assert_eq!(down.monitor, monitor);
        assert_eq!(down.reason, ExitReason::Panic("boom".into()));
    }
}

#[tokio::test]
async fn a_served_server_stops_being_served_when_it_exits() {
    // The incarnation, as before: a `Server<T>` is served until it exits.
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("once", &counter))
        .await
        .expect("serves");
    let remote: Remote<Counter> = b.remote("once").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
    counter.stop(ExitReason::Normal).await.expect("stops");
    let deadline = Instant::now() + LIMIT;
    while within(LIMIT, remote.value()).await != Err(CallError::NoProc) {
        assert!(Instant::now() < deadline, "still served");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
