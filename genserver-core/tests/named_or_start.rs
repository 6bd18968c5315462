//! docs/behaviour.md, "Calling by name": `Registry::named_or_start`, a
//! handle by key that starts its server on a miss (Elixir's "start on a
//! `Registry` miss, then call", in one line). Every wait is bounded.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, within};
use genserver_core::prelude::*;
use genserver_core::{AnyServer, DynamicSupervisor, DynamicSupervisorSpec, Keys, Named, Registry};
use std::error::Error as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Counts its own hits; `init` is counted; it may refuse to start, stop
/// when idle, or take its time in `terminate`.
pub struct Limiter {
    hits: Vec<u32>,
    slow_stop: Duration,
}

#[derive(Clone)]
pub struct Setup {
    inits: Arc<AtomicUsize>,
    refuse: bool,
    idle: Option<Duration>,
    slow_stop: Duration,
}

impl Setup {
    fn new() -> Self {
        Setup {
            inits: Arc::new(AtomicUsize::new(0)),
            refuse: false,
            idle: None,
            slow_stop: Duration::ZERO,
        }
    }

    fn inits(&self) -> usize {
        self.inits.load(Ordering::SeqCst)
    }
}

#[gen_server]
impl Limiter {
    fn init(setup: Setup, ctx: &mut Context<Self>) -> Result<Self, String> {
        if setup.refuse {
            return Err("no quota configured".into());
        }
        setup.inits.fetch_add(1, Ordering::SeqCst);
        ctx.set_idle_timeout(setup.idle);
        Ok(Limiter {
            hits: Vec::new(),
            slow_stop: setup.slow_stop,
        })
    }

    #[call]
    pub fn hits(&self) -> Vec<u32> {
        self.hits.clone()
    }

    #[cast]
    pub fn hit(&mut self, n: u32) {
        self.hits.push(n);
    }

    fn handle_info(&mut self, msg: Info<()>, ctx: &mut Context<Self>) {
        if let Info::Timeout = msg {
            ctx.stop(ExitReason::Normal);
        }
    }

    async fn terminate(&mut self, _reason: &ExitReason) {
        tokio::time::sleep(self.slow_stop).await;
    }
}

async fn setup() -> (Registry<String>, Server<DynamicSupervisor>) {
    let keys = Registry::new(Keys::Unique);
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    (keys, sup)
}

fn handle(
    keys: &Registry<String>,
    sup: &Server<DynamicSupervisor>,
    key: &str,
    setup: &Setup,
) -> Named<Limiter> {
    let setup = setup.clone();
    keys.named_or_start(key.to_string(), sup, move || Limiter::start(setup.clone()))
}

#[tokio::test]
async fn a_call_on_a_miss_starts_the_server_and_later_calls_reach_it() {
    let (keys, sup) = setup().await;
    let setup = Setup::new();
    let alice = handle(&keys, &sup, "alice", &setup);
    assert!(
        alice.whereis().is_none(),
        "nothing started before a message"
    );
    assert_eq!(within(LIMIT, "first call", alice.hits()).await, Ok(vec![]));
    assert_eq!(setup.inits(), 1);
    // Through a new handle too: the same server.
    assert_eq!(
        within(LIMIT, "again", handle(&keys, &sup, "alice", &setup).hits()).await,
        Ok(vec![])
    );
    assert_eq!(setup.inits(), 1);
    assert_eq!(keys.whereis::<Limiter>("alice"), alice.whereis());
    assert_eq!(sup.count_children().await.unwrap().active, 1);
}

#[tokio::test]
async fn an_idle_server_that_stopped_is_started_again_by_the_next_call() {
    let (keys, sup) = setup().await;
    let setup = Setup {
        idle: Some(Duration::from_millis(20)),
        ..Setup::new()
    };
    let alice = handle(&keys, &sup, "alice", &setup);
    for round in 1..=3 {
        let first = within(LIMIT, "a call", alice.hits()).await;
        assert_eq!(first, Ok(vec![]), "round {round}");
        eventually(LIMIT, "it stops when idle", || alice.whereis().is_none()).await;
    }
    assert_eq!(setup.inits(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_on_a_miss_start_one_server() {
    let (keys, sup) = setup().await;
    let setup = Setup::new();
    let callers: Vec<_> = (0..32)
        .map(|_| {
            let limiter = handle(&keys, &sup, "k", &setup);
            tokio::spawn(async move { limiter.hits().await })
        })
        .collect();
    for caller in callers {
        assert_eq!(within(LIMIT, "a caller", caller).await.unwrap(), Ok(vec![]));
    }
    assert_eq!(setup.inits(), 1);
    assert_eq!(sup.count_children().await.unwrap().active, 1);
}

/// A call that finds its server's mailbox closed (the server is exiting,
/// and holds the key until it has) reaches the next one, where a plain
/// `Named` handle answers `NoProc`.
#[tokio::test]
async fn a_call_to_an_exiting_server_reaches_the_next_one() {
    let (keys, sup) = setup().await;
    let setup = Setup {
        slow_stop: Duration::from_millis(100),
        ..Setup::new()
    };
    let limiter = handle(&keys, &sup, "k", &setup);
    within(LIMIT, "start", limiter.hits()).await.unwrap();
    let exiting = limiter.whereis().unwrap();
    let plain: Named<Limiter> = Named::new(keys.via("k".to_string()));
    let stop = tokio::spawn({
        let exiting = exiting.clone();
        async move { exiting.stop(ExitReason::Normal).await }
    });
    eventually(LIMIT, "it is exiting", || {
        AnyServer::from(&exiting).exit_reason().is_some()
    })
    .await;
    assert!(exiting.is_alive(), "still exiting: terminate sleeps");
    assert_eq!(plain.hits().await, Err(CallError::NoProc));
    let answered = within(LIMIT, "the call", limiter.hits()).await;
    assert_eq!(answered, Ok(vec![]));
    assert_ne!(limiter.whereis(), Some(exiting));
    assert_eq!(setup.inits(), 2);
    within(LIMIT, "stop", stop).await.unwrap().unwrap();
}

#[tokio::test]
async fn a_start_that_fails_is_not_started_with_the_init_error_as_source() {
    let (keys, sup) = setup().await;
    let setup = Setup {
        refuse: true,
        ..Setup::new()
    };
    let limiter = handle(&keys, &sup, "k", &setup);
    let error = within(LIMIT, "the call", limiter.hits()).await.unwrap_err();
    assert!(matches!(error, CallError::NotStarted(_)), "{error:?}");
    assert_eq!(error.to_string(), "the server could not be started");
    // The start's own error, and below it the child's `init` error.
    let mut chain = Vec::new();
    let mut source = error.source();
    while let Some(error) = source {
        chain.push(error.to_string());
        source = error.source();
    }
    assert_eq!(chain[0], "the server did not start");
    assert_eq!(chain.last().unwrap(), "no quota configured");
    assert!(keys.lookup("k").is_empty());
}

#[tokio::test]
async fn a_call_when_the_supervisor_is_gone_is_noproc() {
    let (keys, sup) = setup().await;
    let limiter = handle(&keys, &sup, "k", &Setup::new());
    sup.stop(ExitReason::Shutdown).await.unwrap();
    assert_eq!(
        within(LIMIT, "the call", limiter.hits()).await,
        Err(CallError::NoProc)
    );
}

/// Casts on a miss start the server once, and arrive in the order sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn casts_on_a_miss_start_the_server_and_arrive_in_order() {
    let (keys, sup) = setup().await;
    let setup = Setup::new();
    let limiter = handle(&keys, &sup, "k", &setup);
    for n in 0..1_000 {
        limiter.hit(n);
    }
    let seen = within(LIMIT, "the hits", async {
        loop {
            if let Ok(hits) = limiter.hits().await
                && hits.len() == 1_000
            {
                return hits;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!(seen, (0..1_000).collect::<Vec<u32>>());
    assert_eq!(setup.inits(), 1);
    // `try_` and `_wait` casts start it too.
    let other = handle(&keys, &sup, "other", &setup);
    assert_eq!(within(LIMIT, "hit_wait", other.hit_wait(7)).await, Ok(()));
    assert_eq!(other.try_hit(8), Ok(()));
    assert_eq!(within(LIMIT, "hits", other.hits()).await, Ok(vec![7, 8]));
}
