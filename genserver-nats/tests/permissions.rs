//! NATS permissions, against a nats-server configured with users whose
//! publish and subscribe permissions differ, started by each test on
//! 127.0.0.1: a permission the nats-server refuses is a typed error at
//! once, never a timeout; each node's user, given
//! `NodeOptions::permission_template`, can do everything a node does and
//! cannot speak for another node.

mod common;

use std::time::{Duration, Instant};

use common::servers::Counter;
use common::{NatsServer, linker, watcher, within};
use genserver_core::prelude::*;
use genserver_core::{Remote, WireError};
use genserver_nats::{ConnectError, GlobalOptions, Node, NodeOptions, Unconfirmed};
use tokio::sync::mpsc;

const LIMIT: Duration = Duration::from_secs(15);
/// "At once": a round trip to the nats-server, on a loaded machine.
const AT_ONCE: Duration = Duration::from_secs(1);

/// A nats-server whose users are `users`: `(name, permissions)`, each
/// with the password `pw`, the permissions in nats-server's syntax.
fn with_users(users: &[(&str, String)]) -> Option<(NatsServer, tempfile::TempDir)> {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let users: Vec<String> = users
        .iter()
        .map(|(name, permissions)| {
            format!("    {{ user: {name}, password: pw, permissions: {permissions} }}")
        })
        .collect();
    let config = format!(
        "authorization {{\n  users = [\n{}\n  ]\n}}\n",
        users.join("\n")
    );
    let path = dir.path().join("nats.conf");
    std::fs::write(&path, config).expect("the config is written");
    let nats = NatsServer::start_with(&["-c", path.to_str().expect("a UTF-8 path")])?;
    Some((nats, dir))
}

fn options(user: &str) -> NodeOptions {
    NodeOptions::new(user).prefix("t").connect_options(
        async_nats::ConnectOptions::with_user_and_password(user.into(), "pw".into()),
    )
}

async fn connect(nats: &NatsServer, user: &str) -> Result<Node, ConnectError> {
    within(LIMIT, Node::connect(nats.url(), options(user))).await
}

/// The template of the node `user` in the cluster `t`.
fn template(user: &str) -> String {
    options(user).permission_template()
}

fn everything() -> String {
    r#"{ publish: ">", subscribe: ">" }"#.to_owned()
}

#[tokio::test]
async fn a_call_whose_publish_is_refused_fails_at_once_naming_the_permission() {
    let Some((nats, _dir)) = with_users(&[
        ("server", everything()),
        (
            "caller",
            r#"{ publish: { allow: ">", deny: "t.srv.>" }, subscribe: ">" }"#.to_owned(),
        ),
    ]) else {
        return;
    };
    let a = connect(&nats, "server").await.expect("connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    let b = connect(&nats, "caller").await.expect("connects");
    let remote = b.remote::<Counter>("counter").expect("a valid name");
    for _ in 0..3 {
        let started = Instant::now();
        let outcome = within(LIMIT, remote.increment(1)).await;
        let took = started.elapsed();
        eprintln!("a call whose publish is refused: {outcome:?} after {took:?}");
        match outcome {
            Err(CallError::Wire(WireError::Denied(why))) => {
                assert!(
                    why.contains("Publish") && why.contains("t.srv.counter"),
                    "{why}"
                );
            }
            other => panic!("expected the refusal, got {other:?}"),
        }
        assert!(took < AT_ONCE, "the refusal took {took:?}");
    }
    assert_eq!(b.refusals().permissions, 3);
    // Nothing was delivered.
    let local = a.remote::<Counter>("counter").expect("a valid name");
    assert_eq!(within(LIMIT, local.value()).await, Ok(0));
}

#[tokio::test]
async fn a_node_refused_its_inbox_does_not_connect() {
    let Some((nats, _dir)) = with_users(&[(
        "lonely",
        r#"{ publish: ">", subscribe: { allow: ">", deny: "_GS_INBOX.>" } }"#.to_owned(),
    )]) else {
        return;
    };
    let started = Instant::now();
    let outcome = connect(&nats, "lonely").await;
    let took = started.elapsed();
    match outcome {
        Err(ConnectError::Confirm(Unconfirmed::Denied(why))) => {
            assert!(
                why.contains("Subscription") && why.contains("_GS_INBOX.t.lonely."),
                "{why}"
            );
        }
        other => panic!("expected the refused inbox, got {:?}", other.map(|_| ())),
    }
    assert!(took < AT_ONCE, "the refusal took {took:?}");
}

#[tokio::test]
async fn a_node_refused_its_heartbeats_does_not_connect() {
    let Some((nats, _dir)) = with_users(&[(
        "deaf",
        r#"{ publish: ">", subscribe: { allow: ">", deny: "t.node.*.hb" } }"#.to_owned(),
    )]) else {
        return;
    };
    match connect(&nats, "deaf").await {
        Err(ConnectError::Confirm(Unconfirmed::Denied(why))) => {
            assert!(why.contains("t.node.*.hb"), "{why}");
        }
        other => panic!(
            "expected the refused subscription, got {:?}",
            other.map(|_| ())
        ),
    }
}

#[tokio::test]
async fn serving_a_name_the_user_may_not_serve_is_an_error() {
    let Some((nats, _dir)) = with_users(&[(
        "a",
        r#"{ publish: ">", subscribe: { allow: ">", deny: "t.srv.secret" } }"#.to_owned(),
    )]) else {
        return;
    };
    let a = connect(&nats, "a").await.expect("connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    match within(LIMIT, a.serve("secret", &counter)).await {
        Err(genserver_nats::ServeError::Confirm(Unconfirmed::Denied(why))) => {
            assert!(why.contains("t.srv.secret"), "{why}");
        }
        other => panic!("expected the refused name, got {other:?}"),
    }
    within(LIMIT, a.serve("open", &counter))
        .await
        .expect("another name is served");
}

#[tokio::test]
async fn with_the_permission_template_a_node_does_everything_a_node_does() {
    let Some((nats, _dir)) = with_users(&[("a", template("a")), ("b", template("b"))]) else {
        return;
    };
    let a = connect(&nats, "a")
        .await
        .expect("a connects with its template");
    let b = connect(&nats, "b")
        .await
        .expect("b connects with its template");
    // Serving, calls and casts, both ways.
    let on_a = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &on_a))
        .await
        .expect("serves");
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(2)).await, Ok(2));
    remote.add(1);
    assert_eq!(within(LIMIT, remote.value()).await, Ok(3));
    assert_eq!(
        within(
            LIMIT,
            b.remote_on::<Counter>("a", "counter")
                .expect("valid")
                .value()
        )
        .await,
        Ok(3)
    );
    // Heartbeats: each hears the other.
    let deadline = Instant::now() + LIMIT;
    while !(a.nodes().contains(&"b".to_owned()) && b.nodes().contains(&"a".to_owned())) {
        assert!(
            Instant::now() < deadline,
            "the nodes did not hear each other"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Monitors and links across the two users.
    let (watching, mut downs) = watcher::start(&b).await;
    let monitor = within(LIMIT, watching.watch("counter".to_owned()))
        .await
        .expect("answers")
        .expect("a valid name");
    let (linking, mut exits) = linker::start(&b, true).await;
    within(LIMIT, linking.link("counter".to_owned()))
        .await
        .expect("answers")
        .expect("a valid name");
    // Global names, groups, multi_call.
    let global = Counter::start(Counter { value: 10 }).await.expect("starts");
    let _held = within(
        LIMIT,
        b.register_global_with("leader", &global, GlobalOptions::new()),
    )
    .await
    .expect("registers");
    let leader: Remote<Counter> = a.global("leader").expect("a valid name");
    assert_eq!(within(LIMIT, leader.value()).await, Ok(10));
    let member = Counter::start(Counter { value: 20 }).await.expect("starts");
    let _membership = within(LIMIT, b.join("workers", &member))
        .await
        .expect("joins");
    let members = within(LIMIT, a.members::<Counter>("workers"))
        .await
        .expect("asks");
    assert_eq!(members.len(), 1);
    assert_eq!(within(LIMIT, members[0].remote.value()).await, Ok(20));
    let answers =
        within(
            LIMIT,
            b.multi_call::<Counter, _, _, _>("counter", LIMIT, |remote| async move {
                remote.value().await
            }),
        )
        .await
        .expect("asks");
    assert_eq!(answers, vec![("a".to_owned(), Ok(3))]);
    // The watched server exits: the monitor and the link fire.
    on_a.stop(ExitReason::Shutdown).await.expect("stops");
    let down = within(LIMIT, downs.recv()).await.expect("a Down");
    assert_eq!((down.monitor, down.reason), (monitor, ExitReason::Shutdown));
    let exit = within(LIMIT, exits.recv()).await.expect("an exit");
    assert_eq!(exit.reason, ExitReason::Shutdown);
    // A graceful close is heard at once.
    within(LIMIT, a.close()).await.expect("closes");
    let deadline = Instant::now() + Duration::from_secs(2);
    while b.nodes().contains(&"a".to_owned()) {
        assert!(Instant::now() < deadline, "b did not hear a leave");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(a.refusals().permissions, 0, "{:?}", a.refusals());
    assert_eq!(b.refusals().permissions, 0, "{:?}", b.refusals());
}

#[tokio::test]
async fn with_the_permission_template_a_node_answers_the_services_api() {
    let ops = r#"{ publish: "$SRV.>", subscribe: "_INBOX.>" }"#.to_owned();
    let Some((nats, _dir)) =
        with_users(&[("a", template("a")), ("b", template("b")), ("ops", ops)])
    else {
        return;
    };
    let a = connect(&nats, "a").await.expect("connects");
    let b = connect(&nats, "b").await.expect("connects");
    // An operator's tool, which may ask `$SRV` and nothing else.
    let (tool, mut refused) = raw_client(&nats, "ops").await;
    let inbox = tool.new_inbox();
    let mut answers = within(LIMIT, tool.subscribe(inbox.clone()))
        .await
        .expect("subscribes");
    within(
        LIMIT,
        tool.publish_with_reply("$SRV.PING.t", inbox, "".into()),
    )
    .await
    .expect("asks");
    let mut nodes = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(500);
    while let Ok(Some(answer)) =
        tokio::time::timeout_at(deadline, futures_util::StreamExt::next(&mut answers)).await
    {
        if answer.status.is_some() {
            // The nats-server's "no responders".
            continue;
        }
        let ping: serde_json::Value = serde_json::from_slice(&answer.payload).expect("JSON");
        nodes.push(
            ping["metadata"]["node"]
                .as_str()
                .expect("a node")
                .to_owned(),
        );
    }
    nodes.sort();
    assert_eq!(nodes, ["a", "b"]);
    assert!(refused.try_recv().is_err(), "the tool was refused");
    assert_eq!(a.refusals().permissions, 0, "{:?}", a.refusals());
    assert_eq!(b.refusals().permissions, 0, "{:?}", b.refusals());
}

#[tokio::test]
async fn a_template_without_the_services_api_still_connects_and_serves() {
    // A template written before nodes answered `$SRV`.
    let older = |user: &str| {
        let srv = [
            r#", "$SRV.*""#.to_owned(),
            r#", "$SRV.*.t""#.to_owned(),
            r#", "$SRV.*.t.*""#.to_owned(),
        ];
        let mut template = template(user);
        for subject in &srv {
            assert!(template.contains(subject.as_str()), "{template}");
            template = template.replace(subject.as_str(), "");
        }
        template
    };
    let Some((nats, _dir)) = with_users(&[("a", older("a")), ("b", older("b"))]) else {
        return;
    };
    let a = connect(&nats, "a").await.expect("a connects");
    let b = connect(&nats, "b").await.expect("b connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.increment(2)).await, Ok(2));
}

/// A raw client of `user`, and the permission errors the nats-server
/// sends it.
async fn raw_client(
    nats: &NatsServer,
    user: &str,
) -> (async_nats::Client, mpsc::UnboundedReceiver<String>) {
    let (errors, rx) = mpsc::unbounded_channel();
    let client = async_nats::ConnectOptions::with_user_and_password(user.into(), "pw".into())
        .event_callback(move |event| {
            if let async_nats::Event::ServerError(error) = event {
                let _ = errors.send(error.to_string());
            }
            std::future::ready(())
        })
        .connect(nats.url())
        .await
        .expect("connects");
    (client, rx)
}

#[tokio::test]
async fn a_user_cannot_speak_for_another_node() {
    let Some((nats, _dir)) = with_users(&[("a", template("a")), ("b", template("b"))]) else {
        return;
    };
    let a = connect(&nats, "a").await.expect("connects");
    let b = connect(&nats, "b").await.expect("connects");
    let counter = Counter::start(Counter { value: 0 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    // A client with b's credentials takes one of a's heartbeats...
    let (hostile, mut refused) = raw_client(&nats, "b").await;
    let mut heartbeats = hostile.subscribe("t.node.a.hb").await.expect("subscribes");
    let heartbeat = within(LIMIT, futures_util::StreamExt::next(&mut heartbeats))
        .await
        .expect("a heartbeat of a");
    // ... and says, as a, that a is leaving (its last byte: `leaving`).
    let mut forged = heartbeat.payload.to_vec();
    *forged.last_mut().expect("not empty") = 1;
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    let slow = tokio::spawn(async move { remote.slow(800).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    hostile
        .publish("t.node.a.hb", forged.clone().into())
        .await
        .expect("sent");
    let error = within(LIMIT, refused.recv()).await.expect("a refusal");
    assert!(
        error.contains("Permissions Violation for Publish to \"t.node.a.hb\""),
        "{error}"
    );
    // On b's own subject, speaking as a: the nodes refuse it themselves.
    hostile
        .publish("t.node.b.hb", forged.into())
        .await
        .expect("sent");
    let deadline = Instant::now() + LIMIT;
    while a.refusals().heartbeats == 0 || b.refusals().heartbeats == 0 {
        assert!(
            Instant::now() < deadline,
            "the forged heartbeat was not refused"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // a's call in flight is unaffected, and b still sees a.
    assert_eq!(within(LIMIT, slow).await.expect("joins"), Ok(800));
    assert!(b.nodes().contains(&"a".to_owned()), "{:?}", b.nodes());
}

#[tokio::test]
async fn accounts_keep_two_tenants_apart_under_one_prefix() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let user = |name: &str| {
        format!(
            "{{ user: {name}, password: pw, permissions: {} }}",
            template(name)
        )
    };
    let config = format!(
        "accounts {{\n  SHOP: {{ jetstream: enabled, users: [ {} ] }}\n  BILLING: {{ jetstream: enabled, users: [ {} ] }}\n}}\n",
        user("a"),
        user("b")
    );
    let path = dir.path().join("nats.conf");
    std::fs::write(&path, config).expect("the config is written");
    let Some(nats) = NatsServer::start_with(&["-c", path.to_str().expect("a UTF-8 path")]) else {
        return;
    };
    let a = connect(&nats, "a").await.expect("a connects in SHOP");
    let b = connect(&nats, "b").await.expect("b connects in BILLING");
    let counter = Counter::start(Counter { value: 1 }).await.expect("starts");
    within(LIMIT, a.serve("counter", &counter))
        .await
        .expect("serves");
    // The same prefix, another account: nothing of the other is seen.
    let remote: Remote<Counter> = b.remote("counter").expect("a valid name");
    assert_eq!(within(LIMIT, remote.value()).await, Err(CallError::NoProc));
    assert!(!b.nodes().contains(&"a".to_owned()));
    // Each account has its own global names.
    let other = Counter::start(Counter { value: 2 }).await.expect("starts");
    let _in_shop = within(LIMIT, a.register_global("leader", &counter))
        .await
        .expect("registers in SHOP");
    let _in_billing = within(LIMIT, b.register_global("leader", &other))
        .await
        .expect("registers in BILLING as well");
    let leader: Remote<Counter> = b.global("leader").expect("a valid name");
    assert_eq!(within(LIMIT, leader.value()).await, Ok(2));
}

#[tokio::test]
async fn with_the_permission_template_nodes_ask_each_others_sys_subject() {
    // `c` is a template without the sys lines: it cannot ask, and cannot
    // hear its own.
    let older = |user: &str| {
        template(user)
            .replace(r#", "t.node.*.sys""#, "")
            .replace(&format!(r#", "t.node.{user}.sys""#), "")
    };
    assert!(!older("c").contains(".sys"), "{}", older("c"));
    let Some((nats, _dir)) = with_users(&[
        ("a", template("a")),
        ("b", template("b")),
        ("c", older("c")),
    ]) else {
        return;
    };
    let a = connect(&nats, "a").await.expect("connects");
    let b = connect(&nats, "b").await.expect("connects");
    let c = connect(&nats, "c")
        .await
        .expect("an older template still connects");
    let question = genserver_nats::SysRequest::processes(genserver_nats::SysSort::Id, 5).unwrap();
    let page = within(LIMIT, b.sys("a", &question))
        .await
        .expect("b reads a's process table");
    assert_eq!(page["node"], "a");
    let page = within(LIMIT, a.sys("b", &question))
        .await
        .expect("a reads b's");
    assert_eq!(page["node"], "b");
    assert_eq!(a.refusals().permissions, 0, "{:?}", a.refusals());
    assert_eq!(b.refusals().permissions, 0, "{:?}", b.refusals());
    // Without the lines, c's question is refused by the nats-server, and
    // nobody hears c's own subject.
    let started = Instant::now();
    let refused = within(LIMIT, c.sys("a", &question)).await;
    assert!(refused.is_err(), "{refused:?}");
    let asked_c = within(LIMIT, a.sys("c", &question)).await;
    assert_eq!(
        asked_c,
        Err(genserver_nats::SysError::NoNode("c".into())),
        "c's subscription was refused"
    );
    assert!(started.elapsed() < LIMIT);
    let deadline = Instant::now() + LIMIT;
    while c.refusals().permissions < 2 {
        assert!(Instant::now() < deadline, "{:?}", c.refusals());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
