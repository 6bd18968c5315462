//! docs/behaviour.md, "Testing (ExUnit)": ExUnit's `start_supervised!`:
//! servers started for one test are stopped in reverse start order when it
//! ends, even when it fails, and the test fails on a crash it did not
//! expect, showing the crash report.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Log, gone, within};
use genserver_core::AnyServer;
use genserver_core::assert_receive;
use genserver_core::prelude::*;
use genserver_core::testing::{Probe, TestKit};
use std::panic::AssertUnwindSafe;
use std::time::Duration;

/// Logs its `terminate`, and can crash or hang in it.
pub struct Part {
    name: &'static str,
    log: Log,
    hang_in_terminate: bool,
}

#[gen_server]
impl Part {
    fn init(name: &'static str, log: Log) -> Result<Self, String> {
        if name.is_empty() {
            return Err("a part needs a name".to_string());
        }
        Ok(Part {
            name,
            log,
            hang_in_terminate: false,
        })
    }

    #[call]
    pub fn name(&self) -> &'static str {
        self.name
    }

    #[cast]
    pub fn explode(&self) {
        panic!("{} exploded", self.name)
    }

    #[call]
    pub fn hang_in_terminate(&mut self) {
        self.hang_in_terminate = true;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}

    async fn terminate(&mut self, reason: &ExitReason) {
        self.log.push(format!("terminate {}: {reason}", self.name));
        if self.hang_in_terminate {
            tokio::time::sleep(Duration::from_secs(3600)).await;
        }
    }
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap()
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// The message of the panic `f` ends with.
fn panic_message(f: impl FnOnce()) -> String {
    let payload = std::panic::catch_unwind(AssertUnwindSafe(f)).expect_err("it panicked");
    match payload.downcast::<String>() {
        Ok(message) => *message,
        Err(payload) => payload
            .downcast::<&str>()
            .map(|s| s.to_string())
            .unwrap_or_default(),
    }
}

#[tokio::test(start_paused = true)]
async fn finish_stops_the_servers_in_reverse_start_order_with_terminate() {
    let log = Log::default();
    let kit = TestKit::new();
    let a = kit.start(Part::start("a", log.clone())).await;
    let b = kit.start(Part::start("b", log.clone())).await;
    let c = kit.start(Part::start("c", log.clone())).await;
    assert_eq!(b.name().await.unwrap(), "b");
    kit.finish().await;
    assert_eq!(
        log.entries(),
        [
            "terminate c: shutdown",
            "terminate b: shutdown",
            "terminate a: shutdown"
        ]
    );
    assert!(!a.is_alive() && !b.is_alive() && !c.is_alive());
}

#[test]
fn a_failing_test_still_stops_its_servers_in_reverse_order_on_a_multi_thread_runtime() {
    let log = Log::default();
    let runtime = multi_thread();
    let message = panic_message(|| {
        runtime.block_on(async {
            let kit = TestKit::new();
            kit.start(Part::start("a", log.clone())).await;
            kit.start(Part::start("b", log.clone())).await;
            panic!("the test failed");
        })
    });
    assert_eq!(message, "the test failed");
    // Stopped by the kit's drop, before the panic left `block_on`.
    assert_eq!(
        log.entries(),
        ["terminate b: shutdown", "terminate a: shutdown"]
    );
}

#[test]
fn the_drop_stop_is_bounded_a_server_stuck_in_terminate_is_killed() {
    let log = Log::default();
    let runtime = multi_thread();
    let started = std::time::Instant::now();
    let message = panic_message(|| {
        runtime.block_on(async {
            let kit = TestKit::new().stop_timeout(Duration::from_millis(200));
            let stuck = kit.start(Part::start("stuck", log.clone())).await;
            stuck.hang_in_terminate().await.unwrap();
            let result = std::panic::catch_unwind(AssertUnwindSafe(|| drop(kit)));
            assert_eq!(stuck.exit_reason_now(), Some(ExitReason::Killed));
            std::panic::resume_unwind(result.expect_err("a stuck server fails the test"));
        })
    });
    assert!(started.elapsed() < Duration::from_secs(10));
    assert!(
        message.contains(") did not stop within 200ms (stuck in terminate?): killed"),
        "{message}"
    );
    assert_eq!(log.entries(), ["terminate stuck: shutdown"]);
}

/// `AnyServer::exit_reason` through the typed handle.
trait ExitReasonNow {
    fn exit_reason_now(&self) -> Option<ExitReason>;
}

impl<T: GenServer> ExitReasonNow for Server<T> {
    fn exit_reason_now(&self) -> Option<ExitReason> {
        AnyServer::from(self).exit_reason()
    }
}

#[tokio::test(start_paused = true)]
async fn on_a_current_thread_runtime_drop_kills_in_reverse_order_without_waiting() {
    let log = Log::default();
    let probe: Probe = Probe::start().await;
    let (a, b) = {
        let kit = TestKit::new();
        let a = kit.start(Part::start("a", log.clone())).await;
        let b = kit.start(Part::start("b", log.clone())).await;
        probe.monitor(&a).await;
        probe.monitor(&b).await;
        (a, b)
        // The kit drops here: it cannot wait on this runtime.
    };
    gone(&a).await;
    gone(&b).await;
    assert_receive!(probe, Info::Down { server, reason, .. });
    assert_eq!((server, reason), (b.id(), ExitReason::Shutdown));
    assert_receive!(probe, Info::Down { server, reason, .. });
    assert_eq!((server, reason), (a.id(), ExitReason::Shutdown));
    // Killed: no `terminate`.
    assert!(log.entries().is_empty());
}

#[test]
fn an_unexpected_crash_fails_the_test_with_its_crash_report() {
    let runtime = current_thread();
    let message = panic_message(|| {
        runtime.block_on(async {
            let kit = TestKit::new();
            let part = kit.start(Part::start("fuse", Log::default())).await;
            part.explode();
            within(Duration::from_secs(1), "the crash", part.exited()).await;
            kit.finish().await;
        })
    });
    assert!(
        message.starts_with(
            "TestKit: 1 server(s) crashed or did not stop, and the test did not expect it"
        ),
        "{message}"
    );
    // The server, its id, the handler, where it panicked, the reason.
    assert!(message.contains("Part(<0."), "{message}");
    assert!(message.contains(") crashed in explode at "), "{message}");
    assert!(message.contains("tests/testing_kit.rs:"), "{message}");
    assert!(
        message.ends_with(": panicked: fuse exploded\n"),
        "{message}"
    );
}

#[test]
fn an_unexpected_crash_fails_the_test_from_drop_too() {
    let runtime = current_thread();
    let message = panic_message(|| {
        runtime.block_on(async {
            let kit = TestKit::new();
            let part = kit.start(Part::start("fuse", Log::default())).await;
            part.explode();
            within(Duration::from_secs(1), "the crash", part.exited()).await;
            // Returns without `finish`: the kit's drop checks.
        })
    });
    assert!(message.contains("panicked: fuse exploded"), "{message}");
}

#[tokio::test(start_paused = true)]
async fn an_expected_crash_does_not_fail_the_test() {
    let kit = TestKit::new();
    let part = kit.start(Part::start("fuse", Log::default())).await;
    kit.expect_crash(&part);
    part.explode();
    gone(&part).await;
    kit.finish().await;
}

#[test]
fn a_crash_found_while_the_test_already_fails_is_told_without_a_second_panic() {
    let runtime = current_thread();
    let message = panic_message(|| {
        runtime.block_on(async {
            let kit = TestKit::new();
            let part = kit.start(Part::start("fuse", Log::default())).await;
            part.explode();
            gone(&part).await;
            panic!("the test's own failure");
        })
    });
    // The test's failure is the one reported; the binary did not abort.
    assert_eq!(message, "the test's own failure");
}

#[test]
fn a_server_that_does_not_start_fails_the_test_with_the_reason() {
    let runtime = current_thread();
    let message = panic_message(|| {
        runtime.block_on(async {
            let kit = TestKit::new();
            kit.start(Part::start("", Log::default())).await;
        })
    });
    assert!(message.starts_with("TestKit::start at "), "{message}");
    assert!(
        message.ends_with("Part did not start: init failed: a part needs a name"),
        "{message}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_watched_server_and_a_probe_are_stopped_with_the_others() {
    let log = Log::default();
    let kit = TestKit::new();
    let probe: Probe = kit.probe().await;
    let outside = Part::start("outside", log.clone()).await.unwrap();
    kit.watch(&outside);
    let crashed = kit.try_start(Part::start("", log.clone())).await;
    assert!(matches!(crashed, Err(StartError::Init(_))));
    kit.finish().await;
    assert!(!probe.is_alive());
    assert_eq!(log.entries(), ["terminate outside: shutdown"]);
}

#[test]
fn the_kits_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<TestKit>();
    send_sync::<Probe<String>>();
    send_sync::<genserver_core::testing::Faults>();
    send_sync::<genserver_core::testing::StartFaults>();
    send_sync::<genserver_core::testing::CrashStorm>();
    send_sync::<genserver_core::testing::StormReport>();
    send_sync::<PartMock>();
    send_sync::<PartCast>();
}
