//! docs/behaviour.md, "GenServer callbacks": one test per row.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Init, Log, Probe, probe};
use common::{eventually, within};
use genserver_core::prelude::*;
use genserver_core::whereis;
use std::time::Duration;

#[tokio::test]
async fn init_runs_in_the_new_server_and_start_waits_for_it() {
    let log = Log::default();
    let server = Probe::start(Init::Slow(log.clone(), Duration::from_millis(30)))
        .await
        .unwrap();
    // `start` resolved, so init has already logged.
    assert_eq!(log.entries(), ["init"]);
    assert!(server.is_alive());
}

#[tokio::test]
async fn init_continue_runs_handle_continue_before_any_queued_message() {
    let log = Log::default();
    let server = Probe::start(Init::Continue(log.clone(), "setup"))
        .await
        .unwrap();
    // The first message sees handle_continue done.
    assert_eq!(server.seen().await.unwrap(), ["init", "continue:setup"]);
}

#[tokio::test]
async fn continue_from_a_handler_runs_before_the_next_queued_message() {
    let (server, _log) = probe().await;
    server.continue_with("later");
    let seen = server.seen().await.unwrap();
    assert_eq!(seen, ["init", "continue:later"]);
}

#[tokio::test]
async fn init_error_is_returned_from_start_and_terminate_does_not_run() {
    let log = Log::default();
    let err = Probe::start(Init::Fail(log.clone())).await.unwrap_err();
    assert!(matches!(&err, StartError::Init(e) if e == "no"), "{err:?}");
    assert_eq!(log.entries(), ["init"]);
}

#[tokio::test]
async fn init_panic_fails_the_start_with_the_panic() {
    let err = Probe::start(Init::Panic(Log::default())).await.unwrap_err();
    assert!(
        matches!(&err, StartError::Exited(ExitReason::Panic(m)) if &**m == "init exploded"),
        "{err:?}"
    );
}

#[tokio::test]
async fn start_timeout_kills_a_slow_init_and_frees_its_name() {
    let log = Log::default();
    let err = Probe::start(Init::Slow(log.clone(), Duration::from_secs(30)))
        .name("slow-init")
        .init_timeout(Duration::from_millis(20))
        .await
        .unwrap_err();
    assert!(matches!(err, StartError::Timeout), "{err:?}");
    assert!(
        log.entries().is_empty(),
        "init was killed before it finished"
    );
    assert!(whereis::<Probe>("slow-init").is_none());
    let again = Probe::start(Init::Ok(Log::default()))
        .name("slow-init")
        .await;
    assert!(again.is_ok());
}

#[tokio::test]
async fn handle_call_returns_the_reply() {
    let (server, _log) = probe().await;
    assert_eq!(server.set(7).await.unwrap(), 0);
    assert_eq!(server.get().await.unwrap(), 7);
}

#[tokio::test]
async fn noreply_then_reply_from_another_task() {
    let (server, _log) = probe().await;
    server.set(4).await.unwrap();
    let reply = server.later(Duration::from_millis(10)).await.unwrap();
    assert_eq!(reply, 40);
    // The server was free while the reply was pending.
    assert_eq!(server.get().await.unwrap(), 4);
}

#[tokio::test]
async fn stop_from_a_call_delivers_the_reply_then_runs_terminate() {
    let (server, log) = probe().await;
    let reply = server.stop_after_reply(ExitReason::Normal).await.unwrap();
    assert_eq!(reply, "bye");
    crate::common::gone(&server).await;
    assert!(!server.is_alive());
    assert_eq!(log.entries(), ["init", "terminate:normal"]);
}

#[tokio::test]
async fn a_panic_runs_terminate_and_exits_with_the_panic() {
    let (server, log) = probe().await;
    let err = server.explode().await.unwrap_err();
    assert_eq!(err, CallError::Exited(ExitReason::Panic("boom".into())));
    crate::common::gone(&server).await;
    assert_eq!(log.entries(), ["init", "terminate:panicked: boom"]);
}

#[tokio::test]
async fn a_panic_in_a_cast_also_ends_the_server() {
    let (server, log) = probe().await;
    server.explode_later();
    crate::common::gone(&server).await;
    assert_eq!(log.entries(), ["init", "terminate:panicked: cast boom"]);
}

#[tokio::test(start_paused = true)]
async fn a_panic_answers_every_queued_caller_at_once() {
    let (server, _log) = probe().await;
    let slow = server.with_timeout(Duration::from_secs(60));
    let started = tokio::time::Instant::now();
    let (crashed, a, b, c) = tokio::join!(slow.explode(), slow.get(), slow.get(), slow.get());
    // Virtual time: had anyone waited for its timeout, 60 s would have passed.
    assert!(started.elapsed() < Duration::from_secs(1));
    for result in [crashed, a, b, c] {
        assert_eq!(
            result,
            Err(CallError::Exited(ExitReason::Panic("boom".into())))
        );
    }
}

#[tokio::test]
async fn a_panic_ends_that_server_only() {
    let (doomed, _) = probe().await;
    let (bystander, _) = probe().await;
    bystander.set(3).await.unwrap();
    let _ = doomed.explode().await;
    assert!(!doomed.is_alive());
    assert_eq!(bystander.get().await.unwrap(), 3);
}

#[tokio::test]
async fn terminate_runs_on_stop() {
    let (server, log) = probe().await;
    server.stop(ExitReason::Shutdown).await.unwrap();
    assert!(!server.is_alive());
    assert_eq!(log.entries(), ["init", "terminate:shutdown"]);
}

/// OTP 28's priority messages: a stop overtakes what is queued; the
/// handler running finishes first, queued calls are answered with the exit.
#[tokio::test]
async fn stop_overtakes_queued_messages_and_answers_queued_calls() {
    let (server, log) = probe().await;
    let slow = tokio::spawn({
        let server = server.clone();
        async move { server.sleep_then_get(Duration::from_millis(200)).await }
    });
    // The slow call holds the server; what follows queues behind it.
    tokio::time::sleep(Duration::from_millis(20)).await;
    server.continue_with("queued");
    let queued_call = tokio::spawn({
        let server = server.clone();
        async move { server.get().await }
    });
    let secs = Duration::from_secs(5);
    eventually(secs, "two messages queued", || server.mailbox_len() == 2).await;
    within(secs, "stop", server.stop(ExitReason::Normal))
        .await
        .unwrap();
    assert_eq!(slow.await.unwrap(), Ok(0));
    assert_eq!(
        queued_call.await.unwrap(),
        Err(CallError::Exited(ExitReason::Normal))
    );
    assert_eq!(log.entries(), ["init", "terminate:normal"]);
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_delivers_timeout_when_no_message_arrives() {
    let (server, log) = probe().await;
    server.idle_after(Duration::from_millis(100)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(server.seen().await.unwrap(), ["init", "timeout"]);
    // It applies once.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(log.entries(), ["init", "timeout"]);
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_is_cancelled_by_any_message() {
    let (server, log) = probe().await;
    server.idle_after(Duration::from_millis(100)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    server.get().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(log.entries(), ["init"]);
}

/// A server that stops after 100 ms without a message: a sticky idle
/// timeout set once in `init`.
pub struct Expiring {
    log: Log,
}

#[gen_server]
impl Expiring {
    fn init(log: Log, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.set_idle_timeout(Some(Duration::from_millis(100)));
        Ok(Expiring { log })
    }

    /// Handlers do not re-arm anything.
    #[call]
    pub fn touch(&self) {}

    fn handle_info(&mut self, msg: Info<()>, ctx: &mut Context<Self>) {
        if let Info::Timeout = msg {
            self.log.push("idle");
            ctx.stop(ExitReason::Normal);
        }
    }
}

/// A sticky idle timeout outlives every handler: a server set to expire in
/// `init` expires even though no handler re-arms it.
#[tokio::test(start_paused = true)]
async fn a_sticky_idle_timeout_is_rearmed_after_every_callback() {
    let log = Log::default();
    let server = Expiring::start(log.clone()).await.unwrap();
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(60)).await;
        server.touch().await.unwrap();
    }
    assert!(server.is_alive(), "each touch came within 100 ms");
    within(Duration::from_secs(1), "the idle expiry", server.exited()).await;
    assert_eq!(log.entries(), ["idle"]);
}

pub struct Shy;

#[gen_server]
impl Shy {
    fn init(log: Log) -> Result<Option<Self>, String> {
        log.push("init");
        Ok(None)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}

    fn terminate(&mut self, _reason: &ExitReason) {
        unreachable!("an ignored server never runs terminate")
    }
}

#[tokio::test]
async fn init_ignore_is_a_distinct_start_outcome_without_terminate() {
    let log = Log::default();
    let err = Shy::start(log.clone()).name("shy").await.unwrap_err();
    assert!(matches!(err, StartError::Ignored), "{err:?}");
    assert_eq!(log.entries(), ["init"]);
    assert!(whereis::<Shy>("shy").is_none());
}
