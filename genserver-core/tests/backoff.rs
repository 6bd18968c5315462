//! docs/behaviour.md, "Restart backoff": an opt-in delay before each
//! restart in a row, beside the restart intensity. Paused time: the delays
//! are exact.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, within};
use genserver_core::prelude::*;
use genserver_core::{Backoff, ChildStatus};
use genserver_core::{
    ChildSpec, DynamicSupervisor, DynamicSupervisorSpec, Strategy, Supervisor, SupervisorSpec,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const LIMIT: Duration = Duration::from_secs(600);

/// When each start happened.
#[derive(Clone, Default)]
pub struct Starts(Arc<Mutex<Vec<Instant>>>);

impl Starts {
    fn gaps_ms(&self) -> Vec<u128> {
        let starts = self.0.lock().unwrap();
        starts
            .windows(2)
            .map(|pair| (pair[1] - pair[0]).as_millis())
            .collect()
    }
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// Crashes `after` its start, every time.
pub struct Flaky;

#[gen_server]
impl Flaky {
    fn init(starts: Starts, after: Duration, ctx: &mut Context<Self>) -> Result<Self, String> {
        starts.0.lock().unwrap().push(Instant::now());
        ctx.continue_with(after);
        Ok(Flaky)
    }

    async fn handle_continue(&mut self, after: Duration) {
        tokio::time::sleep(after).await;
        panic!("flaky crashed");
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn flaky(starts: &Starts, after: Duration) -> ChildSpec {
    let starts = starts.clone();
    ChildSpec::new("flaky", move || Flaky::start(starts.clone(), after))
}

fn backoff() -> Backoff {
    Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1))
}

#[tokio::test(start_paused = true)]
async fn each_restart_in_a_row_waits_twice_as_long_up_to_the_cap() {
    let starts = Starts::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(100, Duration::from_secs(60))
        .child(flaky(&starts, Duration::ZERO).with_backoff(backoff()));
    let supervisor = Supervisor::start(spec).await.unwrap();
    eventually(LIMIT, "seven starts", || starts.len() >= 7).await;
    assert_eq!(starts.gaps_ms()[..6], [100, 200, 400, 800, 1000, 1000]);
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_child_that_ran_long_enough_starts_again_from_the_initial_delay() {
    let starts = Starts::default();
    // Runs 1.5 s each time, longer than `reset_after` (1 s): every restart
    // is the first in a row.
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(100, Duration::from_secs(60))
        .child(flaky(&starts, Duration::from_millis(1500)).with_backoff(backoff()));
    let supervisor = Supervisor::start(spec).await.unwrap();
    eventually(LIMIT, "four starts", || starts.len() >= 4).await;
    assert_eq!(starts.gaps_ms()[..3], [1600, 1600, 1600]);
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn without_backoff_restarts_are_immediate_and_a_crash_loop_ends_the_supervisor() {
    let starts = Starts::default();
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(flaky(&starts, Duration::ZERO));
    let supervisor = Supervisor::start(spec).await.unwrap();
    within(LIMIT, "the supervisor gives up", supervisor.exited()).await;
    // OTP's default intensity: 3 restarts in 5 s, then the supervisor exits.
    assert_eq!(starts.len(), 4);
    assert!(starts.gaps_ms().iter().all(|gap| *gap == 0));
}

/// The case: OTP's default intensity (3 in 5 s) with a child that
/// crashes at once. With a 1 s backoff, restarts come 1, 2, 4, 8 s apart:
/// never 3 within 5 s, so the supervisor keeps going.
#[tokio::test(start_paused = true)]
async fn backoff_keeps_a_crash_loop_within_the_default_intensity() {
    let starts = Starts::default();
    let slow = Backoff::exponential(Duration::from_secs(1), Duration::from_secs(8));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(flaky(&starts, Duration::ZERO).with_backoff(slow));
    let supervisor = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(supervisor.is_alive(), "the supervisor did not give up");
    assert!(starts.len() >= 8, "it kept restarting: {}", starts.len());
    assert_eq!(starts.gaps_ms()[..5], [1000, 2000, 4000, 8000, 8000]);
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_child_waiting_for_its_restart_is_listed_as_restarting_and_terminate_ends_the_wait() {
    let starts = Starts::default();
    let long = Backoff::exponential(Duration::from_secs(30), Duration::from_secs(30));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(flaky(&starts, Duration::from_millis(10)).with_backoff(long));
    let supervisor = Supervisor::start(spec).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let children = supervisor.which_children().await.unwrap();
    assert_eq!(children[0].status, ChildStatus::BackingOff);
    assert_eq!(supervisor.count_children().await.unwrap().active, 0);
    supervisor.terminate_child("flaky").await.unwrap();
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(starts.len(), 1, "no restart after terminate_child");
    let children = supervisor.which_children().await.unwrap();
    assert_eq!(children[0].status, ChildStatus::Stopped);
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_dynamic_supervisor_backs_off_its_children_too() {
    let starts = Starts::default();
    let supervisor = DynamicSupervisor::start(
        DynamicSupervisorSpec::new().intensity(100, Duration::from_secs(60)),
    )
    .await
    .unwrap();
    supervisor
        .start_child(flaky(&starts, Duration::ZERO).with_backoff(backoff()))
        .await
        .unwrap()
        .unwrap();
    eventually(LIMIT, "five starts", || starts.len() >= 5).await;
    assert_eq!(starts.gaps_ms()[..4], [100, 200, 400, 800]);
    assert_eq!(supervisor.count_children().await.unwrap().specs, 1);
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

/// Runs `after` on its first start, then fails `init` on every later one.
pub struct FailsAfterFirst;

#[gen_server]
impl FailsAfterFirst {
    fn init(starts: Starts, after: Duration, ctx: &mut Context<Self>) -> Result<Self, String> {
        let mut attempts = starts.0.lock().unwrap();
        attempts.push(Instant::now());
        if attempts.len() > 1 {
            return Err("the upstream is down".into());
        }
        ctx.continue_with(after);
        Ok(FailsAfterFirst)
    }

    async fn handle_continue(&mut self, after: Duration) {
        tokio::time::sleep(after).await;
        panic!("lost the upstream");
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Time spent waiting out the backoff or in failed starts is not time the
/// child ran: the delays keep growing to the cap instead of going back to
/// `initial` once the waits add up to `reset_after`.
#[tokio::test(start_paused = true)]
async fn failed_restarts_keep_growing_the_delay_up_to_the_cap() {
    let starts = Starts::default();
    let child = {
        let starts = starts.clone();
        ChildSpec::new("upstream", move || {
            FailsAfterFirst::start(starts.clone(), Duration::from_millis(10))
        })
    };
    let backoff = Backoff::exponential(Duration::from_millis(50), Duration::from_millis(300));
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .intensity(100, Duration::from_secs(60))
        .child(child.with_backoff(backoff));
    let supervisor = Supervisor::start(spec).await.unwrap();
    eventually(LIMIT, "eight start attempts", || starts.len() >= 8).await;
    // 10 ms of running, then 50; then 100, 200, and the cap.
    assert_eq!(starts.gaps_ms()[..7], [60, 100, 200, 300, 300, 300, 300]);
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}
