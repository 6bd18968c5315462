//! docs/behaviour.md, "Client side": one test per row.

mod common;

use common::probe;
use genserver_core::prelude::*;
use genserver_core::whereis;
use std::time::Duration;

#[tokio::test(start_paused = true)]
async fn call_default_timeout_is_5000_ms() {
    let (server, _log) = probe().await;
    assert_eq!(server.timeout(), Duration::from_secs(5));
    let started = tokio::time::Instant::now();
    let result = server.sleep_then_get(Duration::from_secs(3600)).await;
    assert_eq!(result, Err(CallError::Timeout));
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn call_timeout_can_be_set_per_call() {
    let (server, _log) = probe().await;
    let started = tokio::time::Instant::now();
    let result = server
        .with_timeout(Duration::from_millis(200))
        .sleep_then_get(Duration::from_secs(3600))
        .await;
    assert_eq!(result, Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn call_to_a_dead_server_is_noproc() {
    let (server, _log) = probe().await;
    server.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(server.get().await, Err(CallError::NoProc));
    assert_eq!(
        server.stop(ExitReason::Normal).await,
        Err(CallError::NoProc)
    );
}

#[tokio::test]
async fn call_to_yourself_is_calling_self_not_a_deadlock() {
    let (server, _log) = probe().await;
    let inner = server.call_myself().await.unwrap();
    assert_eq!(inner, Err(CallError::CallingSelf));
}

#[tokio::test]
async fn server_dies_during_the_call_caller_gets_the_exit_reason() {
    let (server, _log) = probe().await;
    assert_eq!(
        server.explode().await,
        Err(CallError::Exited(ExitReason::Panic("boom".into())))
    );
}

#[tokio::test(start_paused = true)]
async fn late_reply_after_a_timeout_is_dropped() {
    let (server, _log) = probe().await;
    server.set(1).await.unwrap();
    let quick = server.with_timeout(Duration::from_millis(50));
    assert_eq!(
        quick.sleep_then_get(Duration::from_millis(100)).await,
        Err(CallError::Timeout)
    );
    // The late reply (1) must not answer this call, which asks for the old value.
    assert_eq!(server.set(2).await, Ok(1));
    assert_eq!(server.get().await, Ok(2));
}

#[tokio::test(start_paused = true)]
async fn a_reply_to_dropped_without_replying_times_out() {
    let (server, _log) = probe().await;
    let result = server
        .with_timeout(Duration::from_millis(100))
        .never()
        .await;
    assert_eq!(result, Err(CallError::Timeout));
    assert!(server.is_alive());
}

#[tokio::test]
async fn cast_always_returns_even_to_a_dead_server() {
    let (server, log) = probe().await;
    server.stop(ExitReason::Normal).await.unwrap();
    server.continue_with("ignored");
    server.send(common::Note::Ping(1));
    assert!(!log.contains("continue:ignored"));
}

#[tokio::test]
async fn stop_is_synchronous_and_runs_terminate() {
    let (server, log) = probe().await;
    server.stop(ExitReason::Normal).await.unwrap();
    // Synchronous: terminate has run by the time stop returns.
    assert_eq!(
        log.entries().last().map(String::as_str),
        Some("terminate:normal")
    );
    assert!(!server.is_alive());
}

#[tokio::test]
async fn stop_from_the_server_itself_is_calling_self() {
    use genserver_core::prelude::*;
    pub(crate) struct Selfish;
    #[gen_server]
    impl Selfish {
        #[call]
        async fn stop_me(&self, ctx: &mut Context<Self>) -> Result<(), CallError> {
            ctx.server().stop(ExitReason::Normal).await
        }
        fn handle_info(&mut self, _msg: Info<()>) {}
    }
    let server = Selfish::start(Selfish).await.unwrap();
    assert_eq!(server.stop_me().await, Ok(Err(CallError::CallingSelf)));
}

#[tokio::test]
async fn whereis_finds_a_named_server() {
    let (server, _log) = probe().await;
    assert!(whereis::<common::Probe>("no-such-name").is_none());
    let log = common::Log::default();
    let named = common::Probe::start(common::Init::Ok(log))
        .name("whereis-me")
        .await
        .unwrap();
    assert_eq!(whereis::<common::Probe>("whereis-me"), Some(named.clone()));
    assert_ne!(named, server);
}

#[test]
fn public_types_are_send_and_sync() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Server<common::Probe>>();
    send_sync::<CallError>();
    send_sync::<ExitReason>();
    send_sync::<StartError<common::Probe>>();
    send_sync::<TimerRef>();
    send::<ReplyTo<u64>>();
    send::<Context<common::Probe>>();
    send::<genserver_core::Start<common::Probe>>();
}

#[tokio::test(start_paused = true)]
async fn many_waiting_calls_each_time_out_at_their_own_deadline() {
    // Timeouts share timers (coalesced deadlines): each call must still
    // time out no earlier than asked, and within 1/256 of it (at least 1 ms)
    // plus tokio's 1 ms timer resolution.
    let (server, _log) = probe().await;
    let started = tokio::time::Instant::now();
    let mut calls = Vec::new();
    for (i, millis) in [100u64, 5000, 100, 250, 5000, 1000, 250, 3]
        .into_iter()
        .enumerate()
    {
        let server = server.with_timeout(Duration::from_millis(millis));
        calls.push(tokio::spawn(async move {
            if i == 0 {
                // Keeps the server busy so every later call waits.
                let _ = server.sleep_then_get(Duration::from_secs(3600)).await;
            } else {
                tokio::time::sleep(Duration::from_millis(i as u64 * 7)).await;
                let sent = tokio::time::Instant::now();
                assert_eq!(server.get().await, Err(CallError::Timeout));
                let waited = sent.elapsed();
                let asked = Duration::from_millis(millis);
                let slack = (asked / 256).max(Duration::from_millis(1)) + Duration::from_millis(1);
                assert!(
                    waited >= asked && waited <= asked + slack,
                    "{millis} ms: waited {waited:?}"
                );
            }
        }));
    }
    for call in calls {
        call.await.unwrap();
    }
    assert!(started.elapsed() >= Duration::from_secs(5));
}
