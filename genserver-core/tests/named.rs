//! docs/behaviour.md, "Calling by name": `Named<T>` resolves its name on
//! each call and cast, as `GenServer.call(name, ..)` does.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Init, Log, Probe, gone, within};
use genserver_core::prelude::*;
use genserver_core::{ChildSpec, Keys, Named, Registry, Strategy, Supervisor, SupervisorSpec};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(5);

async fn named_probe(name: impl Into<genserver_core::Name>) -> Server<Probe> {
    Probe::start(Init::Ok(Log::default()))
        .name(name)
        .await
        .expect("probe starts")
}

#[tokio::test]
async fn call_by_a_name_nobody_holds_exits_with_noproc() {
    let by_name: Named<Probe> = Named::new("named-nobody");
    assert_eq!(by_name.get().await, Err(CallError::NoProc));
    // A cast to nobody is dropped, as a cast to a dead server is.
    by_name.explode_later();
    assert!(by_name.whereis().is_none());
}

#[tokio::test]
async fn call_by_name_reaches_the_server_holding_it_at_each_call() {
    let by_name: Named<Probe> = Named::new("named-handover");
    let first = named_probe("named-handover").await;
    assert_eq!(by_name.set(7).await, Ok(0));
    assert_eq!(by_name.get().await, Ok(7));
    first.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(by_name.get().await, Err(CallError::NoProc));
    let second = named_probe("named-handover").await;
    assert_eq!(by_name.get().await, Ok(0));
    assert_eq!(by_name.whereis(), Some(second));
}

#[tokio::test]
async fn call_by_name_survives_a_supervisor_restart() {
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(ChildSpec::new("probe", || {
        Probe::start(Init::Ok(Log::default())).name("named-supervised")
    }));
    let supervisor = Supervisor::start(spec).await.unwrap();
    let by_name: Named<Probe> = Named::new("named-supervised");
    by_name.set(5).await.unwrap();
    let before = by_name.whereis().unwrap();
    // A crash: the supervisor starts a new server under the same name.
    by_name.explode_later();
    gone(&before).await;
    let value = within(LIMIT, "the restarted child answers by name", async {
        loop {
            match by_name.get().await {
                Ok(value) => break value,
                Err(CallError::NoProc) => tokio::time::sleep(Duration::from_millis(1)).await,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }
    })
    .await;
    assert_eq!(value, 0, "a fresh server, not the old one");
    assert_ne!(by_name.whereis().unwrap(), before);
    // Casts by name reach it too.
    by_name.explode_later();
    let restarted = by_name.whereis().unwrap();
    gone(&restarted).await;
    supervisor.stop(ExitReason::Shutdown).await.unwrap();
}

#[tokio::test]
async fn call_by_registry_key_follows_unregister_and_register() {
    let registry: Registry<&'static str> = Registry::new(Keys::Unique);
    let by_key: Named<Probe> = Named::new(registry.via("worker"));
    let (a, _) = common::probe().await;
    let (b, _) = common::probe().await;
    a.set(1).await.unwrap();
    b.set(2).await.unwrap();
    registry.register("worker", &a, ()).unwrap();
    assert_eq!(by_key.get().await, Ok(1));
    // Both alive: the key moves from one to the other.
    assert!(registry.unregister("worker", &a));
    registry.register("worker", &b, ()).unwrap();
    assert_eq!(by_key.get().await, Ok(2));
    assert!(registry.unregister("worker", &b));
    assert_eq!(by_key.get().await, Err(CallError::NoProc));
}

#[tokio::test]
async fn a_name_held_by_another_type_counts_as_not_held() {
    pub struct Other;
    #[gen_server]
    impl Other {
        #[call]
        pub fn get(&self) -> u64 {
            99
        }
        fn handle_info(&mut self, _msg: Info<()>) {}
    }
    let other = Other::start(Other).name("named-other-type").await.unwrap();
    assert_eq!(other.get().await, Ok(99));
    let by_name: Named<Probe> = Named::new("named-other-type");
    assert_eq!(by_name.get().await, Err(CallError::NoProc));
    other.stop(ExitReason::Normal).await.unwrap();
}

#[tokio::test]
async fn call_by_own_name_from_a_handler_is_calling_self() {
    pub struct Selfish;
    #[gen_server]
    impl Selfish {
        #[call]
        pub async fn ask_myself(&self) -> Result<u64, CallError> {
            Named::<Selfish>::new("named-selfish").value().await
        }
        #[call]
        pub fn value(&self) -> u64 {
            1
        }
        fn handle_info(&mut self, _msg: Info<()>) {}
    }
    let server = Selfish::start(Selfish).name("named-selfish").await.unwrap();
    let answer = within(LIMIT, "a call to itself by name fails", server.ask_myself()).await;
    assert_eq!(answer, Ok(Err(CallError::CallingSelf)));
}

#[tokio::test(start_paused = true)]
async fn call_by_name_keeps_its_own_timeout() {
    let server = named_probe("named-timeout").await;
    let by_name = Named::<Probe>::new("named-timeout").with_timeout(Duration::from_millis(50));
    assert_eq!(by_name.timeout(), Duration::from_millis(50));
    let slow = by_name.sleep_then_get(Duration::from_secs(1)).await;
    assert_eq!(slow, Err(CallError::Timeout));
    server.stop(ExitReason::Normal).await.unwrap();
}

#[tokio::test]
async fn stop_and_send_by_name_reach_the_holder() {
    let server = named_probe("named-stop").await;
    let by_name: Named<Probe> = Named::new("named-stop");
    by_name.send(common::Note::Ping(3));
    by_name.stop(ExitReason::Normal).await.unwrap();
    gone(&server).await;
    assert_eq!(
        by_name.stop(ExitReason::Normal).await,
        Err(CallError::NoProc)
    );
    assert_eq!(format!("{by_name:?}"), "Named<Probe>(\"named-stop\")");
}

/// Many tasks calling through one shared `Named` handle while its holder
/// is restarted again and again: every call is answered by a live holder
/// or fails with `NoProc`/`Exited`, and none hangs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_by_name_racing_restarts_never_hang() {
    let by_name: Named<Probe> = Named::new("named-race");
    let mut callers = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let by_name = by_name.clone();
        callers.spawn(async move {
            let mut answered = 0u32;
            for _ in 0..500 {
                match by_name.get().await {
                    Ok(_) => answered += 1,
                    Err(CallError::NoProc | CallError::Exited(_)) => tokio::task::yield_now().await,
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            answered
        });
    }
    let restarts = async {
        for _ in 0..50 {
            let server = named_probe("named-race").await;
            tokio::time::sleep(Duration::from_micros(200)).await;
            server.stop(ExitReason::Normal).await.unwrap();
        }
    };
    within(
        Duration::from_secs(30),
        "callers and restarts finish",
        async {
            restarts.await;
            let mut answered = 0;
            while let Some(result) = callers.join_next().await {
                answered += result.unwrap();
            }
            assert!(answered > 0, "some calls reached a holder");
        },
    )
    .await;
}

#[tokio::test]
async fn mailbox_len_by_name_is_the_holders_and_none_when_nobody_holds_it() {
    let by_name: Named<Probe> = Named::new("named-mailbox-len");
    assert_eq!(by_name.mailbox_len(), None);
    let server = named_probe("named-mailbox-len").await;
    assert_eq!(by_name.mailbox_len(), Some(0));
    // Queued behind a call that holds the server.
    let busy = tokio::spawn({
        let server = server.clone();
        async move { server.sleep_then_get(Duration::from_millis(200)).await }
    });
    tokio::task::yield_now().await;
    for arg in ["a", "b", "c"] {
        by_name.continue_with(arg);
    }
    // The casts wait behind the sleeping call (which may be queued too).
    let len = by_name.mailbox_len().unwrap();
    assert!(len >= 3, "{len}");
    assert_eq!(len, server.mailbox_len());
    within(LIMIT, "the sleep", busy).await.unwrap().unwrap();
    server.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(by_name.mailbox_len(), None);
}
