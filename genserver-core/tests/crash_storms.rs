//! docs/behaviour.md, "Testing (ExUnit)": random crash storms (the test
//! kit's `CrashStorm`) against a supervision tree never leave a permanent
//! child down while the supervisor lives, never restart a temporary child,
//! never exceed the restart intensity, and never leave a caller hanging.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use genserver_core::prelude::*;
use genserver_core::testing::{CrashStorm, StormReport};
use genserver_core::{ChildSpec, Restart, Supervisor, SupervisorSpec};
use proptest::prelude::*;
use std::time::Duration;

#[derive(Clone)]
pub struct Child {
    id: usize,
}

#[gen_server]
impl Child {
    #[call]
    pub async fn ping(&self, delay_ms: u64) -> usize {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        self.id
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn restart() -> impl proptest::strategy::Strategy<Value = Restart> {
    prop_oneof![
        Just(Restart::Permanent),
        Just(Restart::Transient),
        Just(Restart::Temporary)
    ]
}

fn strategy() -> impl proptest::strategy::Strategy<Value = genserver_core::Strategy> {
    prop_oneof![
        Just(genserver_core::Strategy::OneForOne),
        Just(genserver_core::Strategy::OneForAll),
        Just(genserver_core::Strategy::RestForOne),
    ]
}

/// Calls random children with a timeout shorter than some of the calls,
/// until the storm ends: each call must end by its timeout at the latest.
async fn pester(sup: Server<Supervisor>, seed: u64) -> Result<(), TestCaseError> {
    let mut n = seed;
    while sup.is_alive() {
        n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let Ok(children) = sup.which_children().await else {
            break;
        };
        let live: Vec<_> = children.iter().filter_map(|c| c.server.clone()).collect();
        if let Some(child) = live.get((n >> 33) as usize % live.len().max(1)) {
            let child: Server<Child> = child.downcast().unwrap();
            let quick = child.with_timeout(Duration::from_millis(40));
            let call = quick.ping((n >> 40) % 80);
            let ended = tokio::time::timeout(Duration::from_secs(1), call).await;
            prop_assert!(ended.is_ok(), "a caller was left hanging");
        }
        tokio::time::sleep(Duration::from_millis(3)).await;
    }
    Ok(())
}

async fn storm(
    strategy: genserver_core::Strategy,
    restarts: Vec<Restart>,
    max_restarts: usize,
    seed: u64,
    crashes: usize,
) -> Result<StormReport, TestCaseError> {
    let specs = restarts.iter().enumerate().map(|(id, restart)| {
        Child::child_spec(Child { id })
            .with_id(id.to_string())
            .with_restart(*restart)
    });
    let sup = Supervisor::start(
        SupervisorSpec::new(strategy)
            .children(specs)
            .intensity(max_restarts, Duration::from_secs(3600)),
    )
    .await
    .unwrap();
    let pester = tokio::spawn(pester(sup.clone(), seed));
    let report = CrashStorm::new(seed)
        .crashes(crashes)
        .exits(true)
        .run(&sup)
        .await;
    let _ = sup.stop(ExitReason::Shutdown).await;
    pester.await.unwrap()?;
    Ok(report)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn crash_storms_keep_the_supervision_invariants(
        strategy in strategy(),
        restarts in prop::collection::vec(restart(), 1..5),
        max_restarts in 0usize..6,
        seed in any::<u64>(),
        crashes in 1usize..16,
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        let report = runtime.block_on(storm(strategy, restarts.clone(), max_restarts, seed, crashes))?;
        // Never exceed the intensity: past it, the supervisor is gone.
        let triggered = report
            .crashes()
            .iter()
            .filter(|crash| crash.restart.restarts_after(&crash.reason))
            .count();
        prop_assert_eq!(report.root_alive(), triggered <= max_restarts, "{}", report);
        // Never a permanent child down while the supervisor lives.
        if report.root_alive() {
            prop_assert!(report.settled(), "{}", report);
        }
        // Never restart a temporary child.
        for (id, restart) in restarts.iter().enumerate() {
            if *restart == Restart::Temporary {
                let again = report.restarts().get(&id.to_string()).copied().unwrap_or(0);
                prop_assert_eq!(again, 0, "temporary child {} restarted: {}", id, report);
            }
        }
    }
}

fn nested_tree() -> SupervisorSpec {
    let sub = SupervisorSpec::new(genserver_core::Strategy::OneForAll)
        .intensity(100, Duration::from_secs(1))
        .child(Child::child_spec(Child { id: 1 }).with_id("b"))
        .child(Child::child_spec(Child { id: 2 }).with_id("c"));
    SupervisorSpec::new(genserver_core::Strategy::OneForOne)
        .intensity(100, Duration::from_secs(1))
        .child(Child::child_spec(Child { id: 0 }).with_id("a"))
        .child(ChildSpec::new("sub", move || {
            Supervisor::start(sub.clone())
        }))
}

#[tokio::test(start_paused = true)]
async fn a_storm_reaches_every_depth_reports_restarts_and_repeats_from_its_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let root = Supervisor::start(nested_tree()).await.unwrap();
        let report = CrashStorm::new(11).crashes(12).run(&root).await;
        report.assert_settled();
        root.stop(ExitReason::Shutdown).await.unwrap();
        runs.push(report);
    }
    let paths: Vec<Vec<String>> = runs
        .iter()
        .map(|r| r.crashes().iter().map(|c| c.path.clone()).collect())
        .collect();
    // The same seed crashes the same children in the same order.
    assert_eq!(paths[0], paths[1]);
    assert!(
        paths[0].iter().any(|p| p.starts_with("sub/")),
        "{}",
        runs[0]
    );
    let restarts = runs[0].restarts();
    // One for all: b and c restart together, whichever of them crashed
    // (or when `sub` itself did).
    assert_eq!(restarts["sub/b"], restarts["sub/c"], "{}", runs[0]);
    let crashed = |path: &str| paths[0].iter().filter(|p| *p == path).count();
    assert_eq!(restarts["a"], crashed("a"), "{}", runs[0]);
    assert_eq!(restarts["sub"], crashed("sub"), "{}", runs[0]);
    assert_eq!(
        restarts["sub/b"],
        crashed("sub/b") + crashed("sub/c") + crashed("sub"),
        "{}",
        runs[0]
    );
}
