//! docs/behaviour.md, "Testing (ExUnit)": typed mocks: `#[gen_server]`
//! writes `CounterMock` with the `testing` feature; the code under test
//! holds a plain `Server<Counter>`.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::within;
use genserver_core::prelude::*;
use genserver_core::testing::{Faults, TestKit};
use genserver_core::{Named, whereis};
use genserver_core::{assert_no_receive, assert_receive};
use std::time::Duration;

/// The dependency the code under test talks to.
pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    /// Adds `by`, returns the new value.
    #[call]
    pub fn increment(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    #[call]
    pub fn label(&self, prefix: String, width: usize) -> String {
        format!("{prefix}{:width$}", self.value)
    }

    /// Answered later, from a task.
    #[call]
    pub fn later(&mut self, reply: ReplyTo<i64>, delay: Duration) {
        let value = self.value;
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            reply.reply(value);
        });
    }

    #[cast]
    pub fn reset(&mut self) {
        self.value = 0;
    }

    #[cast]
    pub fn add_note(&mut self, note: String, weight: u32) {
        let _ = (note, weight);
    }

    fn handle_info(&mut self, _msg: Info<String>) {}
}

/// The code under test: a server that holds a `Server<Counter>`.
pub struct Shop {
    counter: Server<Counter>,
}

#[gen_server]
impl Shop {
    #[call]
    pub async fn sell(&mut self, items: i64) -> Result<i64, CallError> {
        let total = self.counter.increment(items).await?;
        if total > 10 {
            self.counter.reset();
        }
        self.counter.add_note(format!("sold {items}"), 1);
        Ok(total)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test(start_paused = true)]
async fn a_call_is_answered_by_its_script_and_the_code_under_test_cannot_tell() {
    let kit = TestKit::new();
    let mock = CounterMock::start();
    kit.watch(&mock);
    let mut total = 0;
    mock.on_increment(move |by| {
        total += by;
        total
    });
    let shop = kit
        .start(Shop::start(Shop {
            counter: mock.server(),
        }))
        .await;
    assert_eq!(shop.sell(4).await.unwrap(), Ok(4));
    assert_eq!(shop.sell(9).await.unwrap(), Ok(13));
    assert_receive!(mock, CounterCast::AddNote(note, 1) if note == "sold 4");
    assert_receive!(mock, CounterCast::Reset);
    assert_receive!(mock, CounterCast::AddNote(note, 1));
    assert_eq!(note, "sold 9");
    assert_no_receive!(mock);
    kit.finish().await;
}

#[tokio::test(start_paused = true)]
async fn scripts_take_the_arguments_and_a_deferred_call_is_answered_at_once() {
    let mock = CounterMock::start();
    mock.on_label(|prefix, width| format!("{prefix}{}", "x".repeat(width)))
        .on_later(|delay| delay.as_secs() as i64);
    let counter = mock.server();
    assert_eq!(counter.label("n=".into(), 3).await.unwrap(), "n=xxx");
    assert_eq!(counter.later(Duration::from_secs(7)).await.unwrap(), 7);
}

#[tokio::test(start_paused = true)]
async fn an_unscripted_call_crashes_the_mock_with_the_script_it_lacks() {
    let mock = CounterMock::start();
    let counter = mock.server();
    let Err(CallError::Exited(ExitReason::Panic(message))) = counter.increment(1).await else {
        panic!("the unscripted call did not crash the mock");
    };
    assert_eq!(
        &*message,
        "CounterMock: `increment` was called, but no reply is scripted: call `on_increment(..)` first"
    );
    within(Duration::from_secs(1), "the mock exits", counter.exited()).await;
    // Kept with the program's crash reports, as a server's crash is.
    assert!(
        genserver_core::sys::recent_crashes()
            .iter()
            .any(|crash| crash.id == counter.id() && crash.handler == "increment"),
        "the mock's crash is not in sys::recent_crashes"
    );
}

#[tokio::test(start_paused = true)]
async fn a_mock_has_a_name_stops_and_takes_faults_like_a_server() {
    let mock = CounterMock::start_named("mocked-counter").unwrap();
    mock.on_increment(|by| by * 2);
    let by_name: Named<Counter> = Named::new("mocked-counter");
    assert_eq!(by_name.increment(21).await.unwrap(), 42);
    assert!(matches!(
        CounterMock::start_named("mocked-counter"),
        Err(StartError::AlreadyStarted(_))
    ));
    Faults::of(&mock).delay_next(Duration::from_secs(2));
    let quick = mock.server().with_timeout(Duration::from_secs(1));
    assert_eq!(quick.increment(1).await, Err(CallError::Timeout));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    mock.on_handle_info(move |info| {
        let _ = tx.send(info);
    });
    mock.server().send("hello".to_string());
    let info = within(Duration::from_secs(1), "the info arrives", rx.recv()).await;
    assert_eq!(info, Some(Info::Message("hello".to_string())));
    mock.server().stop(ExitReason::Normal).await.unwrap();
    assert!(whereis::<Counter>("mocked-counter").is_none());
}

#[tokio::test(start_paused = true)]
async fn a_mock_is_listed_with_the_servers_and_a_sys_request_to_it_times_out() {
    let mock = CounterMock::start();
    let id = mock.server().id();
    let listed = |id| {
        genserver_core::sys::processes()
            .iter()
            .any(|p| p.id == id && p.type_name == "Counter")
    };
    assert!(listed(id));
    // A mock has no state to run a system request on: it is not answered,
    // and the caller's timeout ends the wait, as for a lost call.
    let quick = mock.server().with_timeout(Duration::from_millis(200));
    let started = tokio::time::Instant::now();
    let answer = within(Duration::from_secs(5), "the sys request", async {
        quick.sys().inspect(|c: &Counter| c.value).await
    })
    .await;
    assert_eq!(answer, Err(CallError::Timeout));
    assert_eq!(started.elapsed(), Duration::from_millis(200));
    // The mock still answers its callers afterwards.
    mock.on_increment(|by| by * 2);
    assert_eq!(mock.server().increment(4).await, Ok(8));
    within(
        Duration::from_secs(5),
        "the mock's stop",
        mock.server().stop(ExitReason::Normal),
    )
    .await
    .unwrap();
    assert!(!listed(id));
}
