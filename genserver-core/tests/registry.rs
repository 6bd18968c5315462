//! docs/behaviour.md, "Registry": one test per row.

mod common;

use common::{Init, Log, Note, Probe, probe};
use genserver_core::prelude::*;
use genserver_core::{AnyServer, DynamicSupervisor, DynamicSupervisorSpec};
use genserver_core::{Keys, RegisterError, Registry};

#[tokio::test]
async fn unique_keys_hold_one_server_and_a_taken_key_names_its_holder() {
    let registry: Registry<&str> = Registry::new(Keys::Unique);
    let (a, _) = probe().await;
    let (b, _) = probe().await;
    registry.register("a", &a, ()).unwrap();
    let err = registry.register("a", &b, ()).unwrap_err();
    assert_eq!(err, RegisterError::AlreadyRegistered(AnyServer::from(&a)));
    assert_eq!(registry.whereis::<Probe>(&"a"), Some(a));
    assert_eq!(registry.count(), 1);
}

#[tokio::test]
async fn duplicate_keys_hold_many_servers_with_their_values() {
    let registry: Registry<String, u32> = Registry::new(Keys::Duplicate);
    let (a, _) = probe().await;
    let (b, _) = probe().await;
    registry.register("topic".into(), &a, 1).unwrap();
    registry.register("topic".into(), &b, 2).unwrap();
    registry.register("other".into(), &b, 3).unwrap();
    let mut found: Vec<(u64, u32)> = registry
        .lookup("topic")
        .into_iter()
        .map(|(s, v)| (s.id().as_u64(), v))
        .collect();
    found.sort();
    assert_eq!(found, [(a.id().as_u64(), 1), (b.id().as_u64(), 2)]);
    assert_eq!(registry.count(), 3);
    let mut keys = registry.keys(&b);
    keys.sort();
    assert_eq!(keys, ["other", "topic"]);
}

#[tokio::test]
async fn entries_are_removed_when_their_server_exits() {
    let registry: Registry<u32> = Registry::with_partitions(Keys::Unique, 4);
    let (a, _) = probe().await;
    registry.register(1, &a, ()).unwrap();
    let _ = a.explode().await;
    crate::common::gone(&a).await;
    // Once the exit has completed, no lookup returns the entry.
    assert!(registry.lookup(&1).is_empty());
    assert_eq!(registry.count(), 0);
    assert!(registry.keys(&a).is_empty());
    // And the key is free for another server.
    let (b, _) = probe().await;
    registry.register(1, &b, ()).unwrap();
}

#[tokio::test]
async fn a_dead_server_cannot_be_registered() {
    let registry: Registry<u32> = Registry::new(Keys::Duplicate);
    let (a, _) = probe().await;
    a.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(registry.register(1, &a, ()), Err(RegisterError::NoProc));
    assert_eq!(registry.count(), 0);
}

#[tokio::test]
async fn via_registry_as_a_server_name() {
    let registry: Registry<u32> = Registry::new(Keys::Unique);
    let log = Log::default();
    let first = Probe::start(Init::Ok(log.clone()))
        .name(registry.via(7))
        .await
        .unwrap();
    assert_eq!(registry.whereis::<Probe>(&7), Some(first.clone()));
    // A taken key fails the start before init runs, handing back the holder.
    let second_log = Log::default();
    match Probe::start(Init::Ok(second_log.clone()))
        .name(registry.via(7))
        .await
    {
        Err(StartError::AlreadyStarted(holder)) => assert_eq!(holder, first),
        other => panic!("expected AlreadyStarted, got {other:?}"),
    }
    assert!(second_log.entries().is_empty());
    // Free again once the holder has exited.
    first.stop(ExitReason::Normal).await.unwrap();
    assert!(registry.whereis::<Probe>(&7).is_none());
    let third = Probe::start(Init::Ok(Log::default()))
        .name(registry.via(7))
        .await
        .unwrap();
    assert_eq!(registry.whereis::<Probe>(&7), Some(third));
}

#[tokio::test]
async fn via_a_duplicate_registry_is_refused() {
    let registry: Registry<u32> = Registry::new(Keys::Duplicate);
    let err = Probe::start(Init::Ok(Log::default()))
        .name(registry.via(1))
        .await
        .unwrap_err();
    // Refused before `init`, with its reason, and no server handed back
    // (a half-made server in `AlreadyStarted` would never answer).
    assert!(matches!(err, StartError::InvalidName { .. }), "{err:?}");
    assert_eq!(registry.count(), 0);
}

/// `get_or_start` through a duplicate registry fails the same way, typed,
/// instead of handing out a server that never ran.
#[tokio::test]
async fn get_or_start_on_a_duplicate_registry_is_an_error() {
    let registry: Registry<u32> = Registry::new(Keys::Duplicate);
    let supervisor = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap();
    let result = common::within(
        std::time::Duration::from_secs(5),
        "get_or_start answers",
        registry.get_or_start(1, &supervisor, || Probe::start(Init::Ok(Log::default()))),
    )
    .await;
    assert!(
        matches!(
            result,
            Err(genserver_core::GetOrStartError::Start(
                genserver_core::DynamicSupervisorError::StartChild(
                    genserver_core::ChildStartError::InvalidName { .. }
                )
            ))
        ),
        "{result:?}"
    );
    assert_eq!(supervisor.count_children().await.unwrap().specs, 0);
}

#[tokio::test]
async fn dispatch_is_pub_sub_over_duplicate_keys() {
    let registry: Registry<&str> = Registry::new(Keys::Duplicate);
    let mut subscribers = Vec::new();
    for _ in 0..3 {
        let (server, _) = probe().await;
        registry.register("news", &server, ()).unwrap();
        subscribers.push(server);
    }
    let reached = registry.dispatch(&"news", |entries| {
        for (server, ()) in entries {
            server.downcast::<Probe>().unwrap().send(Note::Ping(9));
        }
    });
    assert_eq!(reached, 3);
    for server in &subscribers {
        assert_eq!(server.seen().await.unwrap(), ["init", "ping:9"]);
    }
    assert_eq!(registry.dispatch(&"nobody", |_| panic!("no entries")), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partitions_serve_concurrent_registrations() {
    let registry: Registry<u32> = Registry::with_partitions(Keys::Unique, 8);
    let mut tasks = Vec::new();
    for task in 0..8u32 {
        let registry = registry.clone();
        tasks.push(tokio::spawn(async move {
            let mut servers = Vec::new();
            for i in 0..25 {
                let server = Probe::start(Init::Ok(Log::default())).await.unwrap();
                registry.register(task * 100 + i, &server, ()).unwrap();
                servers.push(server);
            }
            servers
        }));
    }
    let mut all = Vec::new();
    for task in tasks {
        all.extend(task.await.unwrap());
    }
    assert_eq!(registry.count(), 200);
    for server in all.iter().step_by(2) {
        server.stop(ExitReason::Normal).await.unwrap();
    }
    assert_eq!(registry.count(), 100);
}

#[tokio::test]
async fn unregister_removes_only_that_servers_entries_under_the_key() {
    let registry: Registry<&str> = Registry::new(Keys::Duplicate);
    let (a, _) = probe().await;
    let (b, _) = probe().await;
    registry.register("k", &a, ()).unwrap();
    registry.register("k", &b, ()).unwrap();
    assert!(registry.unregister(&"k", &a));
    assert!(!registry.unregister(&"k", &a));
    let left: Vec<AnyServer> = registry.lookup(&"k").into_iter().map(|(s, ())| s).collect();
    assert_eq!(left, [AnyServer::from(&b)]);
    assert!(a.is_alive(), "unregistering does not touch the server");
}

/// `Registry.keys/2` on a duplicate registry lists a key once per
/// registration, and looking it up finds every registration.
#[tokio::test]
async fn keys_on_a_duplicate_registry_lists_a_key_once_per_registration() {
    let registry: Registry<String, u32> = Registry::new(Keys::Duplicate);
    let (server, _) = common::probe().await;
    registry.register("topic".into(), &server, 1).unwrap();
    registry.register("topic".into(), &server, 2).unwrap();
    registry.register("other".into(), &server, 3).unwrap();
    let mut keys = registry.keys(&server);
    keys.sort();
    assert_eq!(keys, ["other", "topic", "topic"]);
    let mut values: Vec<u32> = registry
        .lookup("topic")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    values.sort();
    assert_eq!(values, [1, 2]);
    assert_eq!(registry.count(), 3);
    assert!(registry.unregister("topic", &server));
    assert_eq!(registry.keys(&server), ["other"]);
    server.stop(ExitReason::Normal).await.unwrap();
    assert!(registry.keys(&server).is_empty());
    assert_eq!(registry.count(), 0);
}

mod get_or_start {
    use genserver_core::prelude::*;
    use genserver_core::{AnyServer, DynamicSupervisor, DynamicSupervisorSpec, Keys, Registry};
    use genserver_core::{ChildStartError, DynamicSupervisorError, GetOrStartError};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    pub(crate) struct Limiter;

    #[gen_server]
    impl Limiter {
        fn init(inits: Arc<AtomicUsize>, fail: bool) -> Result<Self, String> {
            if fail {
                return Err("no quota configured".into());
            }
            inits.fetch_add(1, Ordering::SeqCst);
            Ok(Limiter)
        }

        #[call]
        pub(crate) fn ping(&self) {}

        fn handle_info(&mut self, _msg: Info<()>) {}
    }

    /// Elixir's start on a `Registry` miss, made race-free: concurrent
    /// callers all get the one server, whose `init` runs once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_get_or_start_callers_share_one_server_and_one_init() {
        let keys: Registry<String> = Registry::new(Keys::Unique);
        let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
            .await
            .unwrap();
        let inits = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..16)
            .map(|_| {
                let (keys, sup, inits) = (keys.clone(), sup.clone(), inits.clone());
                tokio::spawn(async move {
                    keys.get_or_start("k".to_string(), &sup, move || {
                        Limiter::start(inits.clone(), false)
                    })
                    .await
                })
            })
            .collect();
        let mut servers = Vec::new();
        for caller in callers {
            servers.push(caller.await.unwrap().unwrap());
        }
        assert!(servers.iter().all(|s| *s == servers[0]));
        assert_eq!(inits.load(Ordering::SeqCst), 1);
        assert_eq!(sup.count_children().await.unwrap().active, 1);
        servers[0].ping().await.unwrap();
    }

    #[tokio::test]
    async fn a_real_start_failure_comes_back_typed() {
        let keys: Registry<String> = Registry::new(Keys::Unique);
        let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
            .await
            .unwrap();
        let inits = Arc::new(AtomicUsize::new(0));
        let err = keys
            .get_or_start("k".to_string(), &sup, move || {
                Limiter::start(inits.clone(), true)
            })
            .await
            .unwrap_err();
        let GetOrStartError::Start(DynamicSupervisorError::StartChild(ChildStartError::Init(init))) =
            err
        else {
            panic!("expected the init error, got {err:?}");
        };
        assert_eq!(init.downcast::<String>().unwrap(), "no quota configured");
        assert!(keys.lookup("k").is_empty());
    }

    /// The key is held by a server of another type: `OtherType(holder)`,
    /// not a start failure.
    #[tokio::test]
    async fn a_key_held_by_another_type_is_other_type() {
        let keys: Registry<String> = Registry::new(Keys::Unique);
        let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
            .await
            .unwrap();
        let (other, _) = crate::probe().await;
        keys.register("k".to_string(), &other, ()).unwrap();
        let inits = Arc::new(AtomicUsize::new(0));
        let counted = inits.clone();
        let err = keys
            .get_or_start("k".to_string(), &sup, move || {
                Limiter::start(counted.clone(), false)
            })
            .await
            .unwrap_err();
        assert_eq!(err, GetOrStartError::OtherType(AnyServer::from(&other)));
        assert_eq!(inits.load(Ordering::SeqCst), 0, "no init ran");
    }
}
