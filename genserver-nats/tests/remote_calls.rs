//! Calls and casts to a server on another node, over a real nats-server
//! (started by each test on 127.0.0.1): OTP's `GenServer.call/3` and
//! `cast/2` to `{name, node}`.

mod common;

use std::time::{Duration, Instant};

use common::servers::{Counter, Other, v2};
use common::{NatsServer, within};
use genserver_core::prelude::*;
use genserver_core::{DEFAULT_CALL_TIMEOUT, Remote, WireError};
use genserver_nats::{Node, NodeOptions};

const LIMIT: Duration = Duration::from_secs(10);

/// Waits until `node` has heard from `other` (its heartbeat says what it
/// serves).
async fn until_heard(node: &Node, other: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !node.nodes().iter().any(|name| name == other) {
        assert!(Instant::now() < deadline, "no heartbeat from {other}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two nodes on one nats-server; `a` serves a `Counter` as "counter".
async fn two_nodes(nats: &NatsServer) -> (Node, Node, Server<Counter>) {
    let a = within(
        LIMIT,
        Node::connect(nats.url(), NodeOptions::new("a").prefix("t")),
    )
    .await
    .expect("a connects");
    let b = within(
        LIMIT,
        Node::connect(nats.url(), NodeOptions::new("b").prefix("t")),
    )
    .await
    .expect("b connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    (a, b, counter)
}

#[tokio::test]
async fn call_and_cast_reach_a_server_on_another_node() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, local) = two_nodes(&nats).await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(2)).await, Ok(2));
    remote.add(40);
    assert_eq!(within(LIMIT, remote.value()).await, Ok(42));
    // The same server, seen locally.
    assert_eq!(within(LIMIT, local.value()).await, Ok(42));
    assert_eq!(
        within(LIMIT, remote.greet_later("remote".into())).await,
        Ok("hello, remote".to_owned())
    );
}

#[tokio::test]
async fn messages_from_one_client_arrive_in_order() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, _local) = two_nodes(&nats).await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    let mut expected = 0;
    for round in 1..=50 {
        remote.add(round);
        expected += round;
        if round % 10 == 0 {
            // A call sent after casts sees all of them.
            assert_eq!(within(LIMIT, remote.value()).await, Ok(expected));
        }
    }
    assert_eq!(within(LIMIT, remote.increment(0)).await, Ok(expected));
}

#[tokio::test]
async fn a_name_nobody_serves_is_noproc_at_once() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, _local) = two_nodes(&nats).await;
    let nobody: Remote<Counter> = b.remote("nobody").expect("a valid name");
    let started = Instant::now();
    assert_eq!(within(LIMIT, nobody.value()).await, Err(CallError::NoProc));
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "NoProc from no-responders, not after the 5 s timeout: {:?}",
        started.elapsed()
    );
    nobody.add(1); // a cast to nobody is dropped, never fails
}

#[tokio::test]
async fn a_slow_reply_times_out_with_the_handles_timeout() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, _local) = two_nodes(&nats).await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(remote.timeout(), DEFAULT_CALL_TIMEOUT);
    let hasty = remote.with_timeout(Duration::from_millis(100));
    let started = Instant::now();
    assert_eq!(
        within(LIMIT, hasty.slow(600)).await,
        Err(CallError::Timeout)
    );
    assert!(
        started.elapsed() < Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    // The late reply is dropped; the next call gets its own.
    assert_eq!(within(LIMIT, remote.increment(1)).await, Ok(1));
}

#[tokio::test]
async fn a_server_that_exits_during_the_call_is_exited() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, local) = two_nodes(&nats).await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    match within(LIMIT, remote.crash()).await {
        Err(CallError::Exited(ExitReason::Panic(message))) => assert!(message.contains("boom")),
        other => panic!("expected Exited(Panic), got {other:?}"),
    }
    within(LIMIT, local.exited()).await;
    // Once it is gone, nobody serves the name.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match within(LIMIT, remote.value()).await {
            Err(CallError::NoProc) => break,
            other => assert!(Instant::now() < deadline, "still {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn another_version_or_type_is_a_typed_error() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, local) = two_nodes(&nats).await;
    let newer: Remote<v2::Counter> = b.remote("counter").expect("a valid name");
    match within(LIMIT, newer.increment(1)).await {
        Err(CallError::Wire(WireError::SchemaMismatch { server, .. })) => {
            assert_eq!(&*server, "Counter")
        }
        other => panic!("expected a schema mismatch, got {other:?}"),
    }
    let other: Remote<Other> = b.remote("counter").expect("a valid name");
    match within(LIMIT, other.increment(1)).await {
        Err(CallError::Wire(WireError::WrongServer { expected, found })) => {
            assert_eq!((&*expected, &*found), ("Other", "Counter"))
        }
        other => panic!("expected a wrong server, got {other:?}"),
    }
    // Nothing was misread: the counter is untouched.
    assert_eq!(within(LIMIT, local.value()).await, Ok(0));
}

#[tokio::test]
async fn malformed_payloads_get_a_typed_error_and_the_node_serves_on() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, _local) = two_nodes(&nats).await;
    let raw = within(LIMIT, async_nats::connect(nats.url()))
        .await
        .expect("connects");
    for garbage in [&b""[..], b"\xff\xff\xff", b"\x01\x07Counter\x00\x00\x09"] {
        let reply = within(LIMIT, raw.request("t.srv.counter", garbage.to_vec().into()))
            .await
            .expect("a reply, not silence");
        assert_eq!(reply.payload.first(), Some(&1), "a failure status");
    }
    // A reply that does not decode is a typed error for the caller.
    let mut fake = raw.subscribe("t.srv.fake").await.expect("subscribes");
    // A round trip (`flush` only writes the socket): the server answers a
    // request nobody serves once it has processed the subscription.
    let confirmed = within(LIMIT, raw.request("t.confirm", Default::default())).await;
    assert!(confirmed.is_err(), "no responders");
    let responder = tokio::spawn({
        let raw = raw.clone();
        async move {
            use futures_util::StreamExt;
            if let Some(request) = fake.next().await {
                let inbox = request.reply.expect("a call has a reply subject");
                raw.publish(
                    inbox,
                    b"\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                        .to_vec()
                        .into(),
                )
                .await
                .expect("publishes");
            }
        }
    });
    let fake: Remote<Counter> = b.remote("fake").expect("a valid name");
    match within(LIMIT, fake.value()).await {
        Err(CallError::Wire(WireError::Malformed(_))) => {}
        other => panic!("expected a malformed reply, got {other:?}"),
    }
    within(LIMIT, responder).await.expect("responded");
    // The serving node is still up.
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(3)).await, Ok(3));
}

#[tokio::test]
async fn oversized_requests_and_replies_are_refused() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, _local) = two_nodes(&nats).await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    let big = vec![1u8; 2 * 1024 * 1024];
    match within(LIMIT, remote.echo(big)).await {
        Err(CallError::Wire(WireError::TooLarge { size, max })) => assert!(size > max),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    match within(LIMIT, remote.filled(2 * 1024 * 1024)).await {
        Err(CallError::Wire(WireError::TooLarge { size, max })) => assert!(size > max),
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert_eq!(
        within(LIMIT, remote.echo(vec![1, 2, 3])).await,
        Ok(vec![1, 2, 3])
    );
    // A cast too large is dropped, and counted as such.
    let before = b.dropped();
    remote.add_len(vec![1u8; 2 * 1024 * 1024]);
    assert_eq!(b.dropped(), before + 1);
}

#[tokio::test]
async fn a_closed_node_fails_its_waiting_calls_with_noconnection() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, _local) = two_nodes(&nats).await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    let waiting = tokio::spawn(async move { remote.slow(2_000).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    within(LIMIT, b.close()).await.expect("drains");
    let outcome = within(LIMIT, waiting).await.expect("the call returns");
    assert_eq!(outcome, Err(CallError::Exited(ExitReason::NoConnection)));
    // Closing again does nothing.
    assert!(within(LIMIT, b.close()).await.is_ok());
}

#[tokio::test]
async fn a_closed_node_fails_new_calls_at_once() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, _local) = two_nodes(&nats).await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.value()).await, Ok(0));
    within(LIMIT, b.close()).await.expect("drains");
    let started = Instant::now();
    assert_eq!(
        within(LIMIT, remote.value()).await,
        Err(CallError::Exited(ExitReason::NoConnection))
    );
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "not after the timeout: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn calls_a_closing_node_has_taken_get_their_replies() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, b, _local) = two_nodes(&nats).await;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    // One call in its handler when the close starts, one queued behind it.
    let slow = tokio::spawn({
        let remote = remote.clone();
        async move { remote.slow(800).await }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let queued = tokio::spawn({
        let remote = remote.clone();
        async move { remote.increment(5).await }
    });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    within(LIMIT, a.close()).await.expect("drains");
    let took = started.elapsed();
    eprintln!("close waited {took:?} for the calls it had taken");
    assert_eq!(within(LIMIT, slow).await.expect("returns"), Ok(800));
    assert_eq!(within(LIMIT, queued).await.expect("returns"), Ok(5));
    assert!(took >= Duration::from_millis(400), "close waited: {took:?}");
    assert!(took < DEFAULT_CALL_TIMEOUT, "within the bound: {took:?}");
    // Once `b` has heard `a` leave, nobody serves the name.
    let deadline = Instant::now() + Duration::from_secs(2);
    while b.nodes().iter().any(|name| name == "a") {
        assert!(Instant::now() < deadline, "b still lists a");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(within(LIMIT, remote.value()).await, Err(CallError::NoProc));
}

#[tokio::test]
async fn a_server_stuck_in_a_call_does_not_hang_close() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let close_timeout = Duration::from_millis(300);
    let a = within(
        LIMIT,
        Node::connect(
            nats.url(),
            NodeOptions::new("a")
                .prefix("t")
                .close_timeout(close_timeout),
        ),
    )
    .await
    .expect("a connects");
    let b = within(
        LIMIT,
        Node::connect(nats.url(), NodeOptions::new("b").prefix("t")),
    )
    .await
    .expect("b connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    let remote: Remote<Counter> = b
        .remote::<Counter>("counter")
        .expect("a valid name")
        .with_timeout(Duration::from_secs(30));
    // `b` knows that `a` serves the name, so it hears its caller leave.
    until_heard(&b, "a").await;
    let stuck = tokio::spawn(async move { remote.slow(20_000).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    within(LIMIT, a.close()).await.expect("drains");
    let took = started.elapsed();
    eprintln!("close gave up on a stuck call after {took:?} ({close_timeout:?} bound)");
    assert!(took >= close_timeout, "{took:?}");
    assert!(took < close_timeout + Duration::from_secs(2), "{took:?}");
    // Only `a` served the name: its caller hears `a` leave.
    let outcome = within(LIMIT, stuck).await.expect("returns");
    assert_eq!(outcome, Err(CallError::Exited(ExitReason::NoConnection)));
}

#[tokio::test]
async fn calls_routed_to_a_server_as_it_exits_get_an_answer_not_their_timeout() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, b, local) = two_nodes(&nats).await;
    // A timeout far beyond the test's bound: a caller left waiting shows.
    let remote: Remote<Counter> = b
        .remote::<Counter>("counter")
        .expect("a valid name")
        .with_timeout(Duration::from_secs(30));
    // 32 callers call without pause while the server stops under them.
    let callers: Vec<_> = (0..32)
        .map(|_| {
            let remote = remote.clone();
            tokio::spawn(async move {
                loop {
                    match remote.increment(1).await {
                        Ok(_) => {}
                        Err(error) => break error,
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    within(LIMIT, local.stop(ExitReason::Normal))
        .await
        .expect("stops");
    for caller in callers {
        let error = within(LIMIT, caller).await.expect("the caller ends");
        assert!(
            matches!(
                error,
                CallError::NoProc | CallError::Exited(ExitReason::Normal)
            ),
            "{error:?}"
        );
    }
}
