//! Connecting a node: the NATS client's own options (credentials here)
//! pass through, and a refused connection or a bad name is a typed error,
//! never a hang.

mod common;

use std::time::Duration;

use common::servers::Counter;
use common::{NatsServer, within};
use genserver_nats::{ConnectError, NatsErrorKind, Node, NodeOptions, async_nats};

const LIMIT: Duration = Duration::from_secs(10);

fn with_password(password: &str) -> async_nats::ConnectOptions {
    async_nats::ConnectOptions::with_user_and_password("node".into(), password.into())
}

#[tokio::test]
async fn credentials_pass_through_to_the_nats_client() {
    let Some(nats) = NatsServer::start_with(&["--user", "node", "--pass", "s3cret"]) else {
        return;
    };
    let options = |name: &str| {
        NodeOptions::new(name)
            .prefix("c")
            .connect_options(with_password("s3cret"))
    };
    let a = within(LIMIT, Node::connect(nats.url(), options("a")))
        .await
        .expect("connects with the right password");
    let b = within(LIMIT, Node::connect(nats.url(), options("b")))
        .await
        .expect("connects with the right password");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    let remote = b.remote::<Counter>("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(3)).await, Ok(3));
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_error() {
    let Some(nats) = NatsServer::start_with(&["--user", "node", "--pass", "s3cret"]) else {
        return;
    };
    let wrong = NodeOptions::new("a")
        .prefix("c")
        .connect_options(with_password("wrong"));
    match within(LIMIT, Node::connect(nats.url(), wrong)).await {
        Err(ConnectError::Nats(error)) => {
            // Our kind, to branch on; async-nats' own behind `source()`.
            assert_eq!(error.kind(), NatsErrorKind::Denied, "{error}");
            let nats = std::error::Error::source(&error)
                .and_then(|source| source.downcast_ref::<async_nats::ConnectError>())
                .expect("the async-nats error is the source");
            assert_eq!(
                nats.kind(),
                async_nats::ConnectErrorKind::AuthorizationViolation
            );
        }
        other => panic!("expected a refused connection, got {other:?}"),
    }
    let none = NodeOptions::new("a").prefix("c");
    match within(LIMIT, Node::connect(nats.url(), none)).await {
        Err(ConnectError::Nats(error)) => assert_eq!(error.kind(), NatsErrorKind::Denied),
        other => panic!("expected a refused connection, got {other:?}"),
    }
}

#[tokio::test]
async fn a_nats_server_out_of_reach_is_unreachable_at_once() {
    // A port nothing listens on: bound, then let go.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    match within(LIMIT, Node::connect(url, NodeOptions::new("a").prefix("c"))).await {
        Err(ConnectError::Nats(error)) => {
            assert_eq!(error.kind(), NatsErrorKind::Unreachable, "{error:?}");
        }
        other => panic!("expected an unreachable nats-server, got {other:?}"),
    }
}

#[tokio::test]
async fn names_that_cannot_be_subjects_are_refused_before_connecting() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    for bad in ["", "a b", "a*", "a>", ".a", "a."] {
        let named = NodeOptions::new(bad).prefix("c");
        assert!(
            matches!(
                within(LIMIT, Node::connect(nats.url(), named)).await,
                Err(ConnectError::InvalidName(_))
            ),
            "node name {bad:?}"
        );
        let prefixed = NodeOptions::new("a").prefix(bad);
        assert!(
            matches!(
                within(LIMIT, Node::connect(nats.url(), prefixed)).await,
                Err(ConnectError::InvalidName(_))
            ),
            "prefix {bad:?}"
        );
    }
}
