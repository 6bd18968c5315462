//! docs/behaviour.md, "Testing (ExUnit)": injected faults: the next message
//! crashes a server, waits, or is lost (a call that times out); a child's
//! next start fails.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Log, gone, within};
use genserver_core::SupervisorError;
use genserver_core::prelude::*;
use genserver_core::testing::{Faults, StartFault, StartFaults, TestKit, injected_crash};
use genserver_core::{AnyServer, ChildStartError, Strategy, Supervisor, SupervisorSpec};
use std::time::Duration;
use tokio::time::Instant;

#[derive(Clone)]
pub struct Store {
    log: Log,
}

#[gen_server]
impl Store {
    fn init(log: Log) -> Result<Self, String> {
        log.push("start");
        Ok(Store { log })
    }

    #[call]
    pub fn get(&self) -> &'static str {
        self.log.push("get");
        "value"
    }

    #[cast]
    pub fn put(&self, value: &'static str) {
        self.log.push(format!("put {value}"));
    }

    fn handle_info(&mut self, msg: Info<&'static str>) {
        if let Info::Message(m) = msg {
            self.log.push(format!("info {m}"));
        }
    }

    fn terminate(&mut self, reason: &ExitReason) {
        self.log.push(format!("terminate: {reason}"));
    }
}

#[tokio::test(start_paused = true)]
async fn the_next_message_crashes_the_server_as_a_panicking_handler_would() {
    let log = Log::default();
    let kit = TestKit::new();
    let store = kit.start(Store::start(log.clone())).await;
    kit.expect_crash(&store);
    Faults::of(&store).crash_next();
    assert_eq!(store.get().await, Err(CallError::Exited(injected_crash())));
    gone(&store).await;
    // Not handled; `terminate` ran with the crash's reason.
    assert_eq!(
        log.entries(),
        ["start", "terminate: panicked: injected crash"]
    );
    kit.finish().await;
}

#[tokio::test(start_paused = true)]
async fn a_crashed_child_is_restarted_by_its_supervisor() {
    let log = Log::default();
    let kit = TestKit::new();
    let sup = kit
        .start(Supervisor::start(
            SupervisorSpec::new(Strategy::OneForOne).child(Store::child_spec(log.clone())),
        ))
        .await;
    let child = sup.which_children().await.unwrap()[0]
        .server
        .clone()
        .unwrap();
    Faults::of(&child).exit_next(ExitReason::error("disk full"));
    child.downcast::<Store>().unwrap().put("x");
    gone(&child).await;
    assert_eq!(child.exit_reason(), Some(ExitReason::error("disk full")));
    let again = sup.which_children().await.unwrap()[0]
        .server
        .clone()
        .unwrap();
    assert_ne!(again.id(), child.id());
    assert_eq!(log.entries(), ["start", "terminate: disk full", "start"]);
    kit.finish().await;
}

#[tokio::test(start_paused = true)]
async fn the_next_message_waits_before_it_is_handled() {
    let log = Log::default();
    let store = Store::start(log.clone()).await.unwrap();
    Faults::of(&store).delay_next(Duration::from_secs(3));
    let started = Instant::now();
    store.put("slow");
    assert_eq!(store.get().await, Ok("value"));
    // The get waited behind the delayed put, which kept its place.
    assert_eq!(started.elapsed(), Duration::from_secs(3));
    assert_eq!(log.entries(), ["start", "put slow", "get"]);
}

#[tokio::test(start_paused = true)]
async fn a_delayed_message_is_handled_and_the_next_fault_waits_for_the_next_message() {
    let log = Log::default();
    let kit = TestKit::new();
    let store = kit.start(Store::start(log.clone())).await;
    kit.expect_crash(&store);
    let faults = Faults::of(&store);
    faults.delay_next(Duration::from_secs(2)).crash_next();
    let started = Instant::now();
    store.put("slow");
    // The put, once delayed, is handled: the crash is left for the get.
    assert_eq!(store.get().await, Err(CallError::Exited(injected_crash())));
    assert_eq!(started.elapsed(), Duration::from_secs(2));
    assert_eq!(faults.pending(), 0);
    gone(&store).await;
    assert_eq!(
        log.entries(),
        ["start", "put slow", "terminate: panicked: injected crash"]
    );
    kit.finish().await;
}

#[tokio::test(start_paused = true)]
async fn the_next_call_times_out_and_casts_pass_it_by() {
    let log = Log::default();
    let store = Store::start(log.clone()).await.unwrap();
    let faults = Faults::of(&store);
    faults.time_out_next_call();
    store.put("before");
    let started = Instant::now();
    let quick = store.with_timeout(Duration::from_millis(250));
    assert_eq!(quick.get().await, Err(CallError::Timeout));
    assert_eq!(started.elapsed(), Duration::from_millis(250));
    assert_eq!(faults.pending(), 0);
    assert_eq!(quick.get().await, Ok("value"));
    assert_eq!(log.entries(), ["start", "put before", "get"]);
}

#[tokio::test(start_paused = true)]
async fn a_fault_aimed_at_a_handler_lets_other_messages_pass() {
    let log = Log::default();
    let kit = TestKit::new();
    let store = kit.start(Store::start(log.clone())).await;
    kit.expect_crash(&store);
    let faults = Faults::of(&store);
    faults.on("put").crash_next();
    store.send("hello");
    assert_eq!(store.get().await, Ok("value"));
    assert_eq!(faults.pending(), 1);
    store.put("boom");
    gone(&store).await;
    assert_eq!(store_reason(&store), Some(injected_crash()));
    assert_eq!(
        log.entries(),
        [
            "start",
            "info hello",
            "get",
            "terminate: panicked: injected crash"
        ]
    );
    kit.finish().await;
}

fn store_reason(store: &Server<Store>) -> Option<ExitReason> {
    AnyServer::from(store).exit_reason()
}

#[tokio::test(start_paused = true)]
async fn a_lost_message_is_dropped_and_a_stop_is_never_caught() {
    let log = Log::default();
    let store = Store::start(log.clone()).await.unwrap();
    let faults = Faults::of(&store);
    faults.drop_next();
    store.put("lost");
    faults.crash_next();
    // The stop overtakes the pending crash, and is not caught by it.
    store.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(log.entries(), ["start", "terminate: normal"]);
    faults.clear();
    assert_eq!(faults.pending(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_childs_next_start_fails_at_the_first_start() {
    let starts = StartFaults::new();
    starts.fail_next();
    let tree = SupervisorSpec::new(Strategy::OneForOne)
        .child(starts.wrap(Store::child_spec(Log::default())));
    let Err(StartError::Init(SupervisorError::StartChild { id, error })) =
        Supervisor::start(tree).await
    else {
        panic!("the supervisor started");
    };
    assert_eq!(id, "Store");
    let ChildStartError::Init(init) = error else {
        panic!("{error:?}")
    };
    assert_eq!(init.downcast::<StartFault>(), Some(StartFault));
    assert_eq!(init.to_string(), "injected start failure");
    assert_eq!((starts.starts(), starts.failed()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_failed_restart_is_retried_within_the_intensity() {
    let log = Log::default();
    let starts = StartFaults::new();
    let tree = SupervisorSpec::new(Strategy::OneForOne)
        .child(Store::child_spec(log.clone()).with_id("store"));
    let tree = starts.wrap_child(tree, "store");
    let kit = TestKit::new();
    let sup = kit.start(Supervisor::start(tree)).await;
    starts.fail_next_n(2);
    let child = sup.which_children().await.unwrap()[0]
        .server
        .clone()
        .unwrap();
    child.kill();
    gone(&child).await;
    let mut back = None;
    for _ in 0..100 {
        let infos = sup.which_children().await.unwrap();
        if let Some(server) = infos[0].server.clone().filter(AnyServer::is_alive) {
            back = Some(server);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(back.is_some(), "the child came back");
    assert_eq!((starts.starts(), starts.failed()), (4, 2));
    assert_eq!(log.entries(), ["start", "start"]);
    kit.finish().await;
}

#[test]
#[should_panic(
    expected = "StartFaults::wrap_child: no child \"cache\" in the tree; its children are [\"store\"]"
)]
fn wrapping_a_child_the_tree_does_not_have_names_those_it_has() {
    let tree = SupervisorSpec::new(Strategy::OneForOne)
        .child(Store::child_spec(Log::default()).with_id("store"));
    let _ = StartFaults::new().wrap_child(tree, "cache");
}

#[tokio::test(start_paused = true)]
async fn a_sys_request_passes_a_pending_fault_by() {
    let log = Log::default();
    let kit = TestKit::new();
    let store = kit.start(Store::start(log.clone())).await;
    kit.expect_crash(&store);
    let faults = Faults::of(&store);
    faults.crash_next();
    // A test can always inspect what it started: the fault waits.
    let state = within(Duration::from_secs(5), "get_state", store.sys().get_state()).await;
    assert!(state.is_ok());
    assert_eq!(faults.pending(), 1);
    assert_eq!(store.get().await, Err(CallError::Exited(injected_crash())));
    assert_eq!(faults.pending(), 0);
    kit.finish().await;
}
