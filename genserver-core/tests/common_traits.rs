//! The common traits public types promise: equality and hashing of timer
//! and task references, a default supervisor spec, and serde (feature
//! `serde`, which `remote` turns on) for the exit reason and the plain configuration enums, so that
//! remote handlers can take and return them.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use genserver_core::prelude::*;
use genserver_core::{Supervisor, SupervisorSpec};
use std::collections::HashSet;
use std::time::Duration;

pub struct Timers {
    timers: Vec<TimerRef>,
    tasks: Vec<TaskRef>,
}

#[gen_server(info = ())]
impl Timers {
    #[call]
    pub fn start_some(&mut self, ctx: &mut Context<Self>) -> (usize, usize) {
        let timer = ctx.send_after((), Duration::from_secs(60));
        self.timers.push(timer.clone());
        self.timers.push(timer);
        self.timers
            .push(ctx.send_after((), Duration::from_secs(60)));
        let task = ctx.spawn(std::future::pending());
        self.tasks.push(task.clone());
        self.tasks.push(task);
        self.tasks.push(ctx.spawn(std::future::pending()));
        let timers: HashSet<&TimerRef> = self.timers.iter().collect();
        let tasks: HashSet<&TaskRef> = self.tasks.iter().collect();
        (timers.len(), tasks.len())
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn timer_and_task_refs_are_equal_when_they_name_the_same_one() {
    let server = Timers::start(Timers {
        timers: Vec::new(),
        tasks: Vec::new(),
    })
    .await
    .unwrap();
    assert_eq!(server.start_some().await, Ok((2, 2)));
}

#[tokio::test]
async fn a_default_supervisor_spec_is_one_for_one_with_no_children() {
    let sup = Supervisor::start(SupervisorSpec::default()).await.unwrap();
    assert_eq!(sup.count_children().await.unwrap().specs, 0);
    sup.stop(ExitReason::Shutdown).await.unwrap();
}

#[cfg(feature = "serde")]
#[test]
fn exit_reasons_and_configuration_enums_cross_the_wire() {
    use genserver_core::{Access, ChildKind, Keys, Overflow, Restart, Shutdown, Strategy};
    fn round_trip<T>(value: T)
    where
        T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        let text = serde_json::to_string(&value).unwrap();
        let back: T = serde_json::from_str(&text).unwrap();
        assert_eq!(back, value, "{text}");
    }
    for reason in [
        ExitReason::Normal,
        ExitReason::Shutdown,
        ExitReason::shutdown_with("deploy"),
        ExitReason::Killed,
        ExitReason::NoProc,
        ExitReason::NoConnection,
        ExitReason::Panic("boom".into()),
        ExitReason::error("disk full"),
    ] {
        round_trip(reason);
    }
    round_trip(Strategy::RestForOne);
    round_trip(Restart::Transient);
    round_trip(Shutdown::Timeout(Duration::from_millis(1500)));
    round_trip(Shutdown::BrutalKill);
    round_trip(ChildKind::Supervisor);
    round_trip(Overflow::DropOldest);
    round_trip(Keys::Duplicate);
    round_trip(Access::Public);
}
