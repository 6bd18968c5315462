//! Global names against a nats-server that restarts, or has no
//! JetStream: started by each test on 127.0.0.1.

mod common;

use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, node, within};
use genserver_core::Remote;
use genserver_nats::GlobalError;

const LIMIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn a_held_name_is_still_held_and_answers_after_a_nats_server_restart() {
    let Some(mut nats) = NatsServer::start() else {
        return;
    };
    let server = node(&nats, "server").await;
    let caller = node(&nats, "caller").await;
    let counter = Counter::start(Counter { value: 7 }).await.expect("starts");
    let held = within(LIMIT, server.register_global("frontdoor", &counter))
        .await
        .expect("registers");
    let remote: Remote<Counter> = caller.global("frontdoor").expect("a valid name");
    assert_eq!(within(LIMIT, remote.value()).await, Ok(7));
    // Several restarts, at varied points of the lease's refreshes (every
    // 5 s / 3): one of them catches a refresh in flight.
    for pause in [0_u64, 700, 1_300] {
        tokio::time::sleep(Duration::from_millis(pause)).await;
        nats.restart();
        let deadline = Instant::now() + LIMIT;
        loop {
            match within(LIMIT, remote.value()).await {
                Ok(7) => break,
                other => {
                    assert!(
                        Instant::now() < deadline,
                        "the name does not answer after the restart: {other:?}, held: {}",
                        held.is_held()
                    );
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        // Through two refreshes after the restart.
        tokio::time::sleep(Duration::from_millis(3_500)).await;
        assert!(held.is_held(), "the name was lost after a restart");
        assert_eq!(within(LIMIT, remote.value()).await, Ok(7));
        let holder = within(LIMIT, caller.global_holder("frontdoor"))
            .await
            .expect("looks up")
            .expect("held");
        assert_eq!(holder.node, "server");
    }
}

/// The refresh sent while the nats-server is stopped (SIGSTOP) times out
/// on the node, and is applied once the server runs again: the table has
/// the node's own entry at a revision the node did not see.
#[tokio::test]
async fn a_held_name_survives_a_refresh_whose_answer_was_lost() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let server = node(&nats, "server").await;
    let caller = node(&nats, "caller").await;
    let counter = Counter::start(Counter { value: 7 }).await.expect("starts");
    let held = within(LIMIT, server.register_global("frontdoor", &counter))
        .await
        .expect("registers");
    let remote: Remote<Counter> = caller.global("frontdoor").expect("a valid name");
    assert_eq!(within(LIMIT, remote.value()).await, Ok(7));
    // Longer than a refresh's wait (lease / 3), shorter than the lease.
    nats.pause(true);
    tokio::time::sleep(Duration::from_millis(3_200)).await;
    nats.pause(false);
    let deadline = Instant::now() + LIMIT;
    while within(LIMIT, remote.value()).await != Ok(7) {
        assert!(Instant::now() < deadline, "the name does not answer");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Through two refreshes after the pause.
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    assert!(held.is_held(), "the node lost its own name");
    assert_eq!(within(LIMIT, remote.value()).await, Ok(7));
}

#[tokio::test]
async fn a_global_name_without_jetstream_says_so() {
    let Some(nats) = NatsServer::start_without_jetstream() else {
        return;
    };
    let a = node(&nats, "a").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    let started = Instant::now();
    let error = within(LIMIT, a.register_global("leader", &counter))
        .await
        .expect_err("no JetStream, no global names");
    eprintln!("without JetStream: {error} after {:?}", started.elapsed());
    assert!(matches!(error, GlobalError::NoJetStream(_)), "{error:?}");
    assert!(error.to_string().contains("JetStream"), "{error}");
    assert!(error.to_string().contains("-js"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(1));
}
