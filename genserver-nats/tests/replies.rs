//! A served call's reply, whoever gives it: the server's task, a plain
//! thread outside the runtime holding its `ReplyTo`, a replier that holds
//! a lock its reply's `Serialize` takes, a `Serialize` that panics; and
//! many served servers answering many callers at once. Over a nats-server
//! started by each test on 127.0.0.1.

mod common;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::lines::Lines;
use common::{NatsServer, node, within};
use genserver_core::prelude::*;
use genserver_core::{Remote, WireError};
use genserver_nats::Node;
use serde::{Deserialize, Serialize};
use tracing_subscriber::layer::SubscriberExt;

const LIMIT: Duration = Duration::from_secs(20);
/// Replies that panic, asked for one after another.
const PANICS: usize = 200;

/// A reply whose `Serialize` panics, as a buggy one might.
#[derive(Debug, Deserialize)]
pub struct Exploding;

impl Serialize for Exploding {
    fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        panic!("Exploding cannot be serialized");
    }
}

/// A reply whose `Serialize` takes a lock, as serde's own `Mutex<T>` does
/// (which waits for it, forever if it is encoded inside its replier's
/// `reply` with the lock held: this one gives up after 2 s, so that such
/// a test fails in bounded time).
#[derive(Debug)]
pub struct Guarded(Arc<Mutex<u64>>);

impl Serialize for Guarded {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            if let Ok(value) = self.0.try_lock() {
                return value.serialize(serializer);
            }
            if Instant::now() >= deadline {
                return Err(serde::ser::Error::custom(
                    "its replier held the lock for 2 s",
                ));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}

impl<'de> Deserialize<'de> for Guarded {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        u64::deserialize(deserializer).map(|value| Guarded(Arc::new(Mutex::new(value))))
    }
}

/// Answers from wherever a test asks.
pub struct Replier;

#[gen_server(remote)]
impl Replier {
    /// Doubles `n` on a plain thread, outside any runtime.
    #[call]
    pub fn on_thread(&mut self, reply: ReplyTo<u64>, n: u64) {
        std::thread::spawn(move || reply.reply(n * 2));
    }

    /// Drops the reply slot on a plain thread: the caller times out.
    #[call]
    pub fn dropped_on_thread(&mut self, reply: ReplyTo<u64>) {
        std::thread::spawn(move || drop(reply));
    }

    /// Replies while it holds the lock the reply's `Serialize` takes, in
    /// the handler (on the server's task).
    #[call]
    pub fn locked(&mut self, reply: ReplyTo<Guarded>) {
        let shared = Arc::new(Mutex::new(7));
        let held = shared.lock().unwrap_or_else(PoisonError::into_inner);
        reply.reply(Guarded(shared.clone()));
        drop(held);
    }

    /// The same on a plain thread.
    #[call]
    pub fn locked_on_thread(&mut self, reply: ReplyTo<Guarded>) {
        std::thread::spawn(move || {
            let shared = Arc::new(Mutex::new(7));
            let held = shared.lock().unwrap_or_else(PoisonError::into_inner);
            reply.reply(Guarded(shared.clone()));
            drop(held);
        });
    }

    /// A reply that cannot be encoded.
    #[call]
    pub fn exploding(&self) -> Exploding {
        Exploding
    }

    #[call]
    pub fn double(&self, n: u64) -> u64 {
        n * 2
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Nodes `a` and `b`; a `Replier` on `a` served as "replier", and `b`'s
/// handle to it.
async fn served_replier(nats: &NatsServer) -> (Node, Node, Server<Replier>, Remote<Replier>) {
    let a = node(nats, "a").await;
    let b = node(nats, "b").await;
    let replier = Replier::start(Replier).await.expect("starts");
    within(LIMIT, a.serve("replier", &replier))
        .await
        .expect("serves");
    let remote = b.remote("replier").expect("a valid name");
    (a, b, replier, remote)
}

#[tokio::test]
async fn a_reply_given_on_a_plain_thread_reaches_the_remote_caller() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, _replier, remote) = served_replier(&nats).await;
    for n in 0..20 {
        assert_eq!(within(LIMIT, remote.on_thread(n)).await, Ok(n * 2));
    }
    // Dropped on a thread outside the runtime, with the server alive: the
    // caller gets `Timeout` at its timeout, as a local caller does.
    let short = remote.with_timeout(Duration::from_millis(300));
    let started = Instant::now();
    let outcome = within(LIMIT, short.dropped_on_thread()).await;
    assert_eq!(outcome, Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_secs(5), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replier_may_hold_a_lock_its_reply_s_serialize_takes() {
    // `ReplyTo::reply` hands the value over and returns: the reply is
    // encoded after, elsewhere, as for a local call nothing is encoded.
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (a, _b, replier, remote) = served_replier(&nats).await;
    for _ in 0..5 {
        let on_task = within(LIMIT, remote.locked()).await.expect("answered");
        assert_eq!(*on_task.0.lock().expect("not poisoned"), 7);
        let on_thread = within(LIMIT, remote.locked_on_thread())
            .await
            .expect("answered");
        assert_eq!(*on_thread.0.lock().expect("not poisoned"), 7);
    }
    // The same server, called locally, never encoded anything.
    let local = within(LIMIT, replier.locked()).await.expect("answered");
    assert_eq!(*local.0.lock().expect("not poisoned"), 7);
    within(LIMIT, a.close()).await.expect("closes");
}

#[tokio::test]
async fn a_reply_that_panics_as_it_is_encoded_is_a_wire_error_and_the_server_serves_on() {
    let lines = Lines::default();
    let _log = tracing::subscriber::set_default(tracing_subscriber::registry().with(lines.clone()));
    let Some(nats) = NatsServer::start() else {
        return;
    };
    let (_a, _b, replier, remote) = served_replier(&nats).await;
    let before = lines.count();
    let started = Instant::now();
    for _ in 0..PANICS {
        match within(LIMIT, remote.exploding()).await {
            Err(CallError::Wire(WireError::Malformed(why))) => {
                assert!(why.contains("panicked"), "{why}");
            }
            other => panic!("expected a wire error, got {other:?}"),
        }
        // The server, and the name's serving, go on.
        assert_eq!(within(LIMIT, remote.double(21)).await, Ok(42));
    }
    assert!(replier.is_alive());
    // A caller that asks again and again does not write a line each time:
    // one a second, and a count of the rest.
    let took = started.elapsed();
    let written = lines.count() - before;
    let seconds = took.as_secs() as usize + 1;
    assert!(written >= 1, "the panic is logged");
    assert!(
        written <= 2 * (seconds + 1),
        "{written} lines for {PANICS} panics in {took:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_served_servers_answer_many_concurrent_callers() {
    let Some(nats) = NatsServer::start() else {
        return;
    };
    const SERVERS: u64 = 100;
    const CALLERS: u64 = 32;
    const CALLS: u64 = 20;
    let a = node(&nats, "a").await;
    let b = node(&nats, "b").await;
    let mut servers = Vec::new();
    let mut remotes = Vec::new();
    for i in 0..SERVERS {
        let replier = Replier::start(Replier).await.expect("starts");
        let name = format!("replier-{i}");
        within(LIMIT, a.serve(&name, &replier))
            .await
            .expect("serves");
        remotes.push(b.remote::<Replier>(&name).expect("a valid name"));
        servers.push(replier);
    }
    let remotes = std::sync::Arc::new(remotes);
    let callers = (0..CALLERS).map(|caller| {
        let remotes = remotes.clone();
        tokio::spawn(async move {
            for call in 0..CALLS {
                let n = caller * CALLS + call;
                let remote = &remotes[(n * 7 % SERVERS) as usize];
                // Answered by the server's task, or from a plain thread.
                let got = if n.is_multiple_of(2) {
                    remote.double(n).await
                } else {
                    remote.on_thread(n).await
                };
                assert_eq!(got, Ok(n * 2), "call {n}");
            }
        })
    });
    for caller in within(LIMIT, futures_util::future::join_all(callers)).await {
        caller.expect("every reply is right");
    }
}
