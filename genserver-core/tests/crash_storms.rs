//! Property: random crash storms against a supervision tree never leave a
//! permanent child down while the supervisor lives, never restart a
//! temporary child, never exceed the restart intensity, and never leave a
//! caller hanging.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::Log;
use genserver_core::prelude::*;
use proptest::prelude::*;
use proptest::strategy::Strategy as _;
use std::time::Duration;

pub struct Child {
    id: usize,
}

#[gen_server]
impl Child {
    fn init(id: usize, log: Log) -> Result<Self, String> {
        log.push(format!("start:{id}"));
        Ok(Child { id })
    }

    #[cast]
    pub fn crash(&self) {
        panic!("child {} crashed", self.id)
    }

    #[call]
    pub fn exit_with(&mut self, reason: ExitReason, ctx: &mut Context<Self>) {
        ctx.stop(reason);
    }

    #[call]
    pub async fn ping(&self, delay_ms: u64) -> usize {
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        self.id
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[derive(Clone, Copy, Debug)]
enum Action {
    Crash,
    Normal,
    Shutdown,
    /// A call whose handler may outlive the caller's timeout.
    Ping(u64),
}

fn action() -> impl proptest::strategy::Strategy<Value = Action> {
    prop_oneof![
        3 => Just(Action::Crash),
        1 => Just(Action::Normal),
        1 => Just(Action::Shutdown),
        2 => (0u64..80).prop_map(Action::Ping),
    ]
}

fn restart() -> impl proptest::strategy::Strategy<Value = Restart> {
    prop_oneof![
        Just(Restart::Permanent),
        Just(Restart::Transient),
        Just(Restart::Temporary)
    ]
}

fn strategy() -> impl proptest::strategy::Strategy<Value = genserver_core::Strategy> {
    prop_oneof![
        Just(genserver_core::Strategy::OneForOne),
        Just(genserver_core::Strategy::OneForAll),
        Just(genserver_core::Strategy::RestForOne),
    ]
}

async fn storm(
    strategy: genserver_core::Strategy,
    restarts: Vec<Restart>,
    max_restarts: usize,
    actions: Vec<(usize, Action)>,
) -> Result<(), TestCaseError> {
    let log = Log::default();
    let specs = restarts.iter().enumerate().map(|(id, restart)| {
        Child::child_spec(id, log.clone())
            .with_id(id.to_string())
            .with_restart(*restart)
    });
    let sup = Supervisor::start(
        SupervisorSpec::new(strategy)
            .children(specs)
            .intensity(max_restarts, Duration::from_secs(3600)),
    )
    .await
    .unwrap();
    let sup = sup.with_timeout(Duration::from_secs(60));
    let mut triggered = 0usize;

    for (pick, action) in actions {
        if !sup.is_alive() {
            break;
        }
        let children = sup.which_children().await.unwrap();
        let Some(info) = children.get(pick % children.len().max(1)) else {
            continue;
        };
        let Some(server) = info.server.clone() else {
            continue;
        };
        let child: Server<Child> = server.downcast().unwrap();
        let restart = info.restart;
        let reason = match action {
            Action::Ping(delay) => {
                // Never left hanging: the call ends by its own timeout at the latest.
                let quick = child.with_timeout(Duration::from_millis(40));
                let call = quick.ping(delay);
                let outcome = tokio::time::timeout(Duration::from_secs(1), call).await;
                prop_assert!(outcome.is_ok(), "a caller was left hanging");
                continue;
            }
            Action::Crash => {
                child.crash();
                ExitReason::Panic("crash".into())
            }
            Action::Normal => {
                let _ = child.exit_with(ExitReason::Normal).await;
                ExitReason::Normal
            }
            Action::Shutdown => {
                let _ = child.exit_with(ExitReason::Shutdown).await;
                ExitReason::Shutdown
            }
        };
        crate::common::gone(&child).await;
        let restarts_it = match restart {
            Restart::Permanent => true,
            Restart::Transient => reason.is_abnormal(),
            Restart::Temporary => false,
        };
        triggered += usize::from(restarts_it);

        // Let the supervisor handle the exit (a call queues behind it).
        let alive = sup.which_children().await.is_ok();
        // Never exceed the intensity: past it, the supervisor is gone.
        prop_assert_eq!(
            alive,
            triggered <= max_restarts,
            "triggered {} of {}",
            triggered,
            max_restarts
        );
        if !alive {
            break;
        }
        // Never a permanent child down while the supervisor lives.
        for info in sup.which_children().await.unwrap() {
            if info.restart == Restart::Permanent {
                prop_assert!(
                    info.server.as_ref().is_some_and(AnyServer::is_alive),
                    "permanent child {} is down",
                    info.id
                );
            }
        }
    }

    // Never restart a temporary child.
    for (id, restart) in restarts.iter().enumerate() {
        if *restart == Restart::Temporary {
            let starts = log
                .entries()
                .iter()
                .filter(|e| **e == format!("start:{id}"))
                .count();
            prop_assert_eq!(starts, 1, "temporary child {} started {} times", id, starts);
        }
    }
    let _ = sup.stop(ExitReason::Shutdown).await;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn crash_storms_keep_the_supervision_invariants(
        strategy in strategy(),
        restarts in prop::collection::vec(restart(), 1..5),
        max_restarts in 0usize..6,
        actions in prop::collection::vec((0usize..8, action()), 1..16),
    ) {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .unwrap();
        runtime.block_on(storm(strategy, restarts, max_restarts, actions))?;
    }
}
