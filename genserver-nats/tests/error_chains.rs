//! Every error of a node as a user reads it: each says only its own layer
//! in `Display` and hands its cause on through `source()`, so `anyhow`'s
//! `{:#}` prints the whole chain once (as genserver-core's
//! `tests/error_chains.rs` checks for the runtime's errors). A failure of
//! the NATS client is a `NatsError`: our words, a kind to branch on, and
//! the async-nats error as its source, never a named field.

mod common;

use std::error::Error;
use std::time::Duration;

use common::servers::Counter;
use common::{NatsServer, within};
use genserver_nats::{
    CloseError, ConnectError, GatherError, GlobalError, InvalidName, NatsError, NatsErrorKind,
    Node, NodeOptions, PoolError, ServeError, Unconfirmed, async_nats,
};

const LIMIT: Duration = Duration::from_secs(10);

/// `{:#}` of `anyhow::Error::from(error)`: what a user's `main` prints.
fn as_read(error: impl Error + Send + Sync + 'static) -> String {
    format!("{:#}", anyhow::Error::from(error))
}

/// Whether `error` is one of this crate's errors (not async-nats' nor
/// the operating system's, which print their cause in `Display` too).
fn ours(error: &(dyn Error + 'static)) -> bool {
    error.is::<ConnectError>()
        || error.is::<ServeError>()
        || error.is::<GlobalError>()
        || error.is::<GatherError>()
        || error.is::<CloseError>()
        || error.is::<NatsError>()
        || error.is::<Unconfirmed>()
        || error.is::<InvalidName>()
        || error.is::<PoolError>()
}

/// No layer of ours repeats the one below it.
fn each_layer_once(error: &(dyn Error + 'static)) {
    let mut layer = Some(error);
    while let Some(error) = layer {
        if let Some(below) = error.source()
            && ours(error)
        {
            let (here, there) = (error.to_string(), below.to_string());
            assert!(
                !here.contains(&there),
                "{here:?} repeats its source {there:?}"
            );
        }
        layer = error.source();
    }
}

/// The layers of `error`'s chain, outermost first.
fn layers(error: &(dyn Error + 'static)) -> Vec<String> {
    let mut read = Vec::new();
    let mut layer = Some(error);
    while let Some(error) = layer {
        read.push(error.to_string());
        layer = error.source();
    }
    read
}

/// A nats-server whose one user `user` (password `pw`) has `permissions`.
fn with_user(user: &str, permissions: &str) -> Option<(NatsServer, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = format!(
        "authorization {{\n  users = [\n    {{ user: {user}, password: pw, permissions: {permissions} }}\n  ]\n}}\n"
    );
    let path = dir.path().join("nats.conf");
    std::fs::write(&path, config).expect("the config is written");
    let nats = NatsServer::start_with(&["-c", path.to_str().expect("a UTF-8 path")])?;
    Some((nats, dir))
}

fn as_user(user: &str, password: &str) -> NodeOptions {
    NodeOptions::new(user).prefix("t").connect_options(
        async_nats::ConnectOptions::with_user_and_password(user.into(), password.into()),
    )
}

#[tokio::test]
async fn connect_errors() {
    let Some((nats, _dir)) = with_user(
        "deaf",
        r#"{ publish: ">", subscribe: { allow: ">", deny: "t.node.*.hb" } }"#,
    ) else {
        return;
    };

    let bad_name = within(LIMIT, Node::connect(nats.url(), NodeOptions::new("a b")))
        .await
        .unwrap_err();
    each_layer_once(&bad_name);
    assert_eq!(
        as_read(bad_name),
        "\"a b\" cannot be a subject token: names are non-empty, without whitespace, `*` or `>`"
    );

    let refused = within(LIMIT, Node::connect(nats.url(), as_user("deaf", "wrong")))
        .await
        .unwrap_err();
    let ConnectError::Nats(nats_error) = &refused else {
        panic!("expected ConnectError::Nats, got {refused:?}");
    };
    assert_eq!(nats_error.kind(), NatsErrorKind::Denied);
    each_layer_once(&refused);
    let read = layers(&refused);
    // Ours, then async-nats' own error, which prints its cause in its
    // `Display` as well, so its words come twice after ours:
    // `cannot connect to NATS: authorization violation: nats:
    // authorization violation: nats: authorization violation`.
    assert_eq!(read[0], "cannot connect to NATS");
    assert!(
        refused
            .source()
            .is_some_and(|source| source.is::<async_nats::ConnectError>()),
        "{read:?}"
    );
    assert!(
        as_read(refused).starts_with("cannot connect to NATS: authorization violation"),
        "{read:?}"
    );

    let denied = within(LIMIT, Node::connect(nats.url(), as_user("deaf", "pw")))
        .await
        .unwrap_err();
    assert!(matches!(
        denied,
        ConnectError::Confirm(Unconfirmed::Denied(_))
    ));
    each_layer_once(&denied);
    assert_eq!(
        as_read(denied),
        "the node's subscriptions were not confirmed: the nats-server refused: Permissions Violation for Subscription to \"t.node.*.hb\""
    );
}

#[tokio::test]
async fn a_nats_server_out_of_reach() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("nats://127.0.0.1:{port}");
    let error = within(LIMIT, Node::connect(url, NodeOptions::new("a")))
        .await
        .unwrap_err();
    let ConnectError::Nats(nats_error) = &error else {
        panic!("expected ConnectError::Nats, got {error:?}");
    };
    assert_eq!(nats_error.kind(), NatsErrorKind::Unreachable);
    each_layer_once(&error);
    let read = as_read(error);
    assert!(
        read.starts_with("cannot connect to NATS: IO error: "),
        "{read}"
    );
}

#[tokio::test]
async fn serve_and_pool_errors() {
    let Some((nats, _dir)) = with_user(
        "a",
        r#"{ publish: ">", subscribe: { allow: ">", deny: "t.srv.secret" } }"#,
    ) else {
        return;
    };
    let a = within(LIMIT, Node::connect(nats.url(), as_user("a", "pw")))
        .await
        .expect("connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");

    let bad_name = within(LIMIT, a.serve("a*", &counter)).await.unwrap_err();
    each_layer_once(&bad_name);
    assert_eq!(
        as_read(bad_name),
        "\"a*\" cannot be a subject token: names are non-empty, without whitespace, `*` or `>`"
    );

    let denied = within(LIMIT, a.serve("secret", &counter))
        .await
        .unwrap_err();
    each_layer_once(&denied);
    let read = as_read(denied);
    assert!(
        read.starts_with(
            "the subscription was not confirmed: the nats-server refused: Permissions Violation for Subscription to \"t.srv.secret\""
        ),
        "{read}"
    );

    let no_partitions = a.partitioned::<Counter>("jobs", 0).unwrap_err();
    each_layer_once(&no_partitions);
    assert_eq!(
        as_read(no_partitions),
        "a partitioned pool needs at least one partition"
    );

    let gather = within(LIMIT, a.nodes_serving("a b")).await.unwrap_err();
    each_layer_once(&gather);
    assert_eq!(
        as_read(gather),
        "\"a b\" cannot be a subject token: names are non-empty, without whitespace, `*` or `>`"
    );
}

#[tokio::test]
async fn global_errors() {
    let Some(nats) = NatsServer::start_without_jetstream() else {
        return;
    };
    let a = common::node(&nats, "a").await;
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");

    let bad_name = within(LIMIT, a.register_global("_gs.now", &counter))
        .await
        .unwrap_err();
    each_layer_once(&bad_name);
    assert_eq!(
        as_read(bad_name),
        "\"_gs.now\" cannot be a subject token: names are non-empty, without whitespace, `*` or `>`"
    );

    let no_jetstream = within(LIMIT, a.register_global("db", &counter))
        .await
        .unwrap_err();
    assert!(
        matches!(no_jetstream, GlobalError::NoJetStream(_)),
        "{no_jetstream:?}"
    );
    each_layer_once(&no_jetstream);
    assert!(
        as_read(no_jetstream).starts_with("global names need JetStream, and "),
        "one layer"
    );
}

#[tokio::test]
async fn close_error_once_the_connection_is_closed() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let a = common::node(&nats, "a").await;
    // The client closed under the node: its connection's task ends, and
    // a drain can no longer be sent.
    within(LIMIT, async {
        while a.client().drain().await.is_ok() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let error = within(LIMIT, a.close()).await.unwrap_err();
    let CloseError::Nats(nats_error) = &error else {
        panic!("expected CloseError::Nats, got {error:?}");
    };
    assert_eq!(nats_error.kind(), NatsErrorKind::Disconnected);
    assert!(
        error
            .source()
            .is_some_and(|source| source.is::<async_nats::client::DrainError>()),
        "the async-nats error is the source: {:?}",
        layers(&error)
    );
    each_layer_once(&error);
    let read = as_read(error);
    assert!(
        read.starts_with("cannot drain the connection to NATS: failed to send drain"),
        "{read}"
    );
    // A second close returns at once.
    within(LIMIT, a.close()).await.expect("closed already");
}
