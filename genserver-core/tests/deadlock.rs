//! A call that would close a cycle of calls (A's handler calls B while
//! B's handler calls A, directly or through a chain) fails at once with
//! `CallError::Deadlock` naming the servers, instead of stalling until the
//! 5 s timeout.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::within;
use genserver_core::prelude::*;
use genserver_core::{CallCycle, sys};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(20);

pub struct Stage {
    name: &'static str,
}

#[gen_server]
impl Stage {
    /// Passes the call on to the first of `rest`, with the others.
    #[call]
    pub async fn pass(&self, rest: Vec<Server<Stage>>) -> Result<String, CallError> {
        match rest.split_first() {
            None => Ok(self.name.to_owned()),
            Some((next, others)) => {
                let answer = next.pass(others.to_vec()).await??;
                Ok(format!("{} {answer}", self.name))
            }
        }
    }

    #[call]
    pub fn name(&self) -> &'static str {
        self.name
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

async fn stage(name: &'static str) -> Server<Stage> {
    Stage::start(Stage { name }).await.unwrap()
}

fn unwrap_deadlock(result: Result<Result<String, CallError>, CallError>) -> CallCycle {
    match result {
        Ok(Err(CallError::Deadlock(cycle))) => cycle,
        other => panic!("expected a deadlock, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_cycle_of_three_servers_fails_at_once_naming_them() {
    let (a, b, c) = (stage("a").await, stage("b").await, stage("c").await);
    let started = tokio::time::Instant::now();
    // a calls b, b calls c, c calls a: the call that closes the cycle fails.
    let result = a.pass(vec![b.clone(), c.clone(), a.clone()]).await;
    // On a paused clock a 5 s timeout would show as 5 s: none passed.
    assert_eq!(started.elapsed(), Duration::ZERO);
    let cycle = unwrap_deadlock(result);
    assert_eq!(
        cycle.servers().collect::<Vec<_>>(),
        [c.id(), a.id(), b.id()],
        "{cycle}"
    );
    assert_eq!(
        cycle.type_names().collect::<Vec<_>>(),
        ["Stage", "Stage", "Stage"]
    );
    let shown = CallError::Deadlock(cycle).to_string();
    assert!(
        shown.contains(&format!("Stage {} → Stage {}", c.id(), a.id())),
        "{shown}"
    );
    // Every server runs on, and answers again.
    for server in [&a, &b, &c] {
        assert!(server.name().await.is_ok());
    }
    // Nobody is left waiting on anybody: a chain without a cycle works.
    assert_eq!(
        a.pass(vec![b.clone(), c.clone()]).await,
        Ok(Ok("a b c".to_owned()))
    );
}

#[tokio::test(start_paused = true)]
async fn two_servers_calling_each_other_fail_at_once() {
    let (a, b) = (stage("a").await, stage("b").await);
    let result = a.pass(vec![b.clone(), a.clone()]).await;
    let cycle = unwrap_deadlock(result);
    assert_eq!(cycle.servers().collect::<Vec<_>>(), [b.id(), a.id()]);
}

#[tokio::test(start_paused = true)]
async fn a_long_chain_without_a_cycle_is_not_a_deadlock() {
    let mut stages = Vec::new();
    for name in ["s0", "s1", "s2", "s3", "s4", "s5", "s6", "s7"] {
        stages.push(stage(name).await);
    }
    let (first, rest) = stages.split_first().unwrap();
    assert_eq!(
        first.pass(rest.to_vec()).await,
        Ok(Ok("s0 s1 s2 s3 s4 s5 s6 s7".to_owned()))
    );
    // A chain that meets a server twice is a cycle, however long.
    let mut looped = rest.to_vec();
    looped.push(stages[3].clone());
    let cycle = unwrap_deadlock(first.pass(looped).await);
    assert_eq!(cycle.servers().count(), 5, "{cycle}");
}

/// Two servers calling each other at the same moment, on two threads, many
/// times: the cycle is found every time, by one of the two calls, and no
/// call waits for its timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cycles_closing_at_the_same_moment_are_always_found() {
    let (a, b) = (stage("a").await, stage("b").await);
    let a = a.with_timeout(Duration::from_secs(60));
    let b = b.with_timeout(Duration::from_secs(60));
    within(LIMIT, "500 races", async {
        for _ in 0..500 {
            let (x, y) = tokio::join!(
                a.pass(vec![b.clone(), a.clone()]),
                b.pass(vec![a.clone(), b.clone()])
            );
            let deadlocks = [&x, &y]
                .iter()
                .filter(|r| matches!(r, Ok(Err(CallError::Deadlock(_)))))
                .count();
            assert!(deadlocks >= 1, "{x:?} {y:?}");
            for result in [x, y] {
                assert!(
                    !matches!(
                        result,
                        Err(CallError::Timeout) | Ok(Err(CallError::Timeout))
                    ),
                    "a call waited for its timeout"
                );
            }
        }
    })
    .await;
    // The process list still shows both, idle.
    let ids: Vec<ServerId> = sys::processes().iter().map(|p| p.id).collect();
    assert!(ids.contains(&a.id()) && ids.contains(&b.id()));
}

/// A stop waits like a call: one that closes a cycle is a deadlock too.
#[tokio::test(start_paused = true)]
async fn a_stop_closing_a_cycle_is_a_deadlock() {
    pub struct Stopper;

    #[gen_server]
    impl Stopper {
        /// Stops `victim` from inside a handler.
        #[call]
        pub async fn stop_it(&self, victim: Server<Caller>) -> Result<(), CallError> {
            victim.stop(ExitReason::Shutdown).await
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }

    pub struct Caller;

    #[gen_server]
    impl Caller {
        /// Asks `stopper` to stop this very server: the stop would wait
        /// for this handler, which waits for the stop.
        #[call]
        pub async fn ask(
            &self,
            stopper: Server<Stopper>,
            ctx: &mut Context<Self>,
        ) -> Result<Result<(), CallError>, CallError> {
            stopper.stop_it(ctx.server().clone()).await
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }

    let stopper = Stopper::start(Stopper).await.unwrap();
    let caller = Caller::start(Caller).await.unwrap();
    let result = caller.ask(stopper.clone()).await;
    match result {
        Ok(Ok(Err(CallError::Deadlock(cycle)))) => {
            assert_eq!(
                cycle.servers().collect::<Vec<_>>(),
                [stopper.id(), caller.id()]
            );
            assert_eq!(
                cycle.type_names().collect::<Vec<_>>(),
                ["Stopper", "Caller"]
            );
        }
        other => panic!("expected a deadlock, got {other:?}"),
    }
    assert!(caller.is_alive());
}
