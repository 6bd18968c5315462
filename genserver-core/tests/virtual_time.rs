//! docs/behaviour.md, "Testing (ExUnit)": every time-based feature under
//! `tokio::time::pause()`: each test waits seconds to hours of the paused
//! clock, exactly, in next to no real time. (Restart backoff, per-call
//! timeouts, late replies and many deadlines are in backoff.rs and
//! client_side.rs, also on a paused clock.)
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{gone, within};
use genserver_core::assert_receive;
use genserver_core::prelude::*;
use genserver_core::testing::{Probe, StartFaults, TestKit};
use genserver_core::{
    AnyServer, Backoff, ChildSpec, Shutdown, Strategy, Supervisor, SupervisorSpec,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;

const HOUR: Duration = Duration::from_secs(3600);

/// Runs `test` on a paused clock; checks it took under a second of real
/// time, and returns how much of the paused clock it took.
fn paused<F: std::future::Future<Output = ()>>(test: impl FnOnce() -> F) -> Duration {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    let real = std::time::Instant::now();
    let virtual_time = runtime.block_on(async {
        let started = Instant::now();
        test().await;
        started.elapsed()
    });
    assert!(
        real.elapsed() < Duration::from_secs(1),
        "real time: {:?}",
        real.elapsed()
    );
    virtual_time
}

/// Records when (on tokio's clock) its callbacks ran.
pub struct Clocked {
    started: Instant,
    seen: Seen,
    held: Vec<ReplyTo<()>>,
}

#[derive(Debug, Clone)]
pub enum Tick {
    Once,
    Every,
}

#[derive(Clone)]
pub enum Setup {
    Timers,
    Idle(Duration),
    SlowInit(Duration),
    StuckTerminate,
}

#[gen_server(info = Tick)]
impl Clocked {
    async fn init((setup, seen): (Setup, Seen), ctx: &mut Context<Self>) -> Result<Self, String> {
        match setup {
            Setup::Timers => {
                ctx.send_after(Tick::Once, Duration::from_secs(90));
                ctx.send_interval(Tick::Every, Duration::from_secs(60));
            }
            Setup::Idle(after) => ctx.set_idle_timeout(Some(after)),
            Setup::SlowInit(d) => tokio::time::sleep(d).await,
            Setup::StuckTerminate => {}
        }
        Ok(Clocked {
            started: Instant::now(),
            seen,
            held: Vec::new(),
        })
    }

    /// Never answered: the caller's timeout decides.
    #[call]
    pub fn never(&mut self, reply: ReplyTo<()>) {
        self.held.push(reply);
    }

    #[cast]
    pub fn poke(&mut self) {
        self.note("poke");
    }

    fn note(&self, what: &str) {
        let at = self.started.elapsed();
        self.seen.lock().unwrap().push((what.to_string(), at));
    }

    fn handle_info(&mut self, msg: Info<Tick>, ctx: &mut Context<Self>) {
        match msg {
            Info::Message(Tick::Once) => self.note("once"),
            Info::Message(Tick::Every) => self.note("every"),
            Info::Timeout => {
                self.note("idle");
                ctx.stop(ExitReason::Normal);
            }
            _ => {}
        }
    }

    async fn terminate(&mut self, _reason: &ExitReason) {
        tokio::time::sleep(HOUR).await;
    }
}

type Seen = Arc<Mutex<Vec<(String, Duration)>>>;

fn seen(log: &Seen) -> Vec<(String, u64)> {
    log.lock()
        .unwrap()
        .iter()
        .map(|(what, at)| (what.clone(), at.as_secs()))
        .collect()
}

#[test]
fn a_call_times_out_after_its_5_s_default() {
    let took = paused(|| async {
        let server = Clocked::start((Setup::Idle(HOUR * 24), Seen::default()))
            .await
            .unwrap();
        assert_eq!(server.never().await, Err(CallError::Timeout));
    });
    // Timeouts fire in groups, up to 1/256 of the timeout (at most 10 ms)
    // plus 1 ms late (see server/deadline.rs).
    let five = Duration::from_secs(5);
    assert!(
        took >= five && took <= five + Duration::from_millis(11),
        "{took:?}"
    );
}

#[test]
fn send_after_and_send_interval_fire_on_the_paused_clock() {
    let log = Seen::default();
    let took = paused(|| async {
        let server = Clocked::start((Setup::Timers, log.clone())).await.unwrap();
        tokio::time::sleep(Duration::from_secs(200)).await;
        AnyServer::from(&server).kill();
        gone(&server).await;
    });
    assert_eq!(took, Duration::from_secs(200));
    assert_eq!(
        seen(&log),
        [
            ("every".to_string(), 60),
            ("once".to_string(), 90),
            ("every".to_string(), 120),
            ("every".to_string(), 180)
        ]
    );
}

#[test]
fn an_idle_timeout_of_an_hour_fires_an_hour_after_the_last_message() {
    let log = Seen::default();
    let took = paused(|| async {
        let server = Clocked::start((Setup::Idle(HOUR), log.clone()))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_secs(600)).await;
        server.poke();
        // `terminate` sleeps an hour before the server is gone.
        within(HOUR * 3, "the idle server stops", server.exited()).await;
    });
    assert_eq!(
        seen(&log),
        [("poke".to_string(), 600), ("idle".to_string(), 4200)]
    );
    assert_eq!(took, Duration::from_secs(4200) + HOUR);
}

#[test]
fn init_timeout_gives_up_on_a_slow_init_on_the_paused_clock() {
    let took = paused(|| async {
        let start = Clocked::start((Setup::SlowInit(HOUR), Seen::default()))
            .init_timeout(Duration::from_secs(10));
        assert!(matches!(start.await, Err(StartError::Timeout)));
    });
    assert_eq!(took, Duration::from_secs(10));
}

#[test]
fn a_supervisor_kills_a_child_stuck_in_terminate_after_its_shutdown_timeout() {
    let took = paused(|| async {
        let probe: Probe = Probe::start().await;
        let child = ChildSpec::new("stuck", || {
            Clocked::start((Setup::StuckTerminate, Seen::default()))
        })
        .with_shutdown(Shutdown::Timeout(Duration::from_secs(30)));
        let sup = Supervisor::start(SupervisorSpec::new(Strategy::OneForOne).child(child))
            .await
            .unwrap();
        let stuck = sup.which_children().await.unwrap()[0]
            .server
            .clone()
            .unwrap();
        probe.monitor(&stuck).await;
        let patient = sup.with_timeout(Duration::from_secs(60));
        patient.stop(ExitReason::Shutdown).await.unwrap();
        assert_receive!(
            probe,
            Info::Down {
                reason: ExitReason::Killed,
                ..
            }
        );
    });
    assert_eq!(took, Duration::from_secs(30));
}

#[test]
fn a_restart_backoff_waits_on_the_paused_clock() {
    let took = paused(|| async {
        let starts = StartFaults::new();
        let child = Clocked::child_spec((Setup::Idle(HOUR * 24), Seen::default()))
            .with_backoff(Backoff::exponential(Duration::from_secs(60), HOUR));
        let sup =
            Supervisor::start(SupervisorSpec::new(Strategy::OneForOne).child(starts.wrap(child)))
                .await
                .unwrap();
        let first = sup.which_children().await.unwrap()[0]
            .server
            .clone()
            .unwrap();
        let crashed = Instant::now();
        first.kill();
        // Not restarted a second before the backoff ends; then polled by
        // the millisecond (polling all 60 s so would take 60 000 turns).
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert_eq!(starts.starts(), 1);
        while starts.starts() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let waited = crashed.elapsed();
        assert!(waited >= Duration::from_secs(60), "{waited:?}");
        assert!(waited <= Duration::from_millis(60_001), "{waited:?}");
        AnyServer::from(&sup).kill();
        gone(&sup).await;
    });
    assert!(took <= Duration::from_millis(60_001), "{took:?}");
}

#[test]
fn the_kits_bounded_stop_follows_the_paused_clock() {
    let took = paused(|| async {
        let kit = TestKit::new().stop_timeout(Duration::from_secs(20));
        let server = kit
            .start(Clocked::start((Setup::StuckTerminate, Seen::default())))
            .await;
        kit.expect_crash(&server);
        kit.finish().await;
        assert_eq!(
            AnyServer::from(&server).exit_reason(),
            Some(ExitReason::Killed)
        );
    });
    assert_eq!(took, Duration::from_secs(20));
}
