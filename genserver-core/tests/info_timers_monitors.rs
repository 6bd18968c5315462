//! docs/behaviour.md, "Exit reasons" (monitors) and the info rows: timers,
//! own messages, `:DOWN`.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Init, Log, Note, Probe, probe};
use genserver_core::prelude::*;
use genserver_core::whereis;
use std::time::Duration;

pub struct Watcher {
    log: Log,
}

#[gen_server(info = ())]
impl Watcher {
    #[call]
    fn watch(&mut self, target: Server<Probe>, ctx: &mut Context<Self>) -> MonitorRef {
        ctx.monitor(&target)
    }

    #[call]
    fn unwatch(&mut self, monitor: MonitorRef, ctx: &mut Context<Self>) -> bool {
        ctx.demonitor(monitor)
    }

    #[call]
    fn seen(&self) -> Vec<String> {
        self.log.entries()
    }

    #[call]
    fn tick_every(&mut self, period: Duration, ctx: &mut Context<Self>) -> TimerRef {
        ctx.send_interval((), period)
    }

    #[call]
    fn tick_once(&mut self, delay: Duration, ctx: &mut Context<Self>) -> TimerRef {
        ctx.send_after((), delay)
    }

    fn handle_info(&mut self, msg: Info<()>) {
        match msg {
            Info::Down {
                monitor, reason, ..
            } => self.log.push(format!("down:{monitor}:{reason}")),
            Info::Message(()) => self.log.push("tick"),
            other => self.log.push(format!("other:{other:?}")),
        }
    }
}

async fn watcher() -> (Server<Watcher>, Log) {
    let log = Log::default();
    (
        Watcher::start(Watcher { log: log.clone() }).await.unwrap(),
        log,
    )
}

#[tokio::test]
async fn send_delivers_an_info_message() {
    let (server, _log) = probe().await;
    server.send(Note::Ping(7));
    assert_eq!(server.seen().await.unwrap(), ["init", "ping:7"]);
}

#[tokio::test(start_paused = true)]
async fn send_after_delivers_once_after_the_delay() {
    let (server, log) = probe().await;
    server.note_after(3, Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(log.entries(), ["init"]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(server.seen().await.unwrap(), ["init", "ping:3"]);
}

#[tokio::test(start_paused = true)]
async fn send_interval_repeats_until_cancelled() {
    let (server, log) = watcher().await;
    let timer = server.tick_every(Duration::from_millis(100)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(server.seen().await.unwrap(), ["tick", "tick", "tick"]);
    assert!(timer.cancel());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(log.entries().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_cancelled_send_after_is_never_delivered() {
    let (server, log) = watcher().await;
    let timer = server.tick_once(Duration::from_millis(100)).await.unwrap();
    assert!(timer.cancel());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(log.entries().is_empty());
    let fired = server.tick_once(Duration::from_millis(10)).await.unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!fired.cancel(), "a timer that fired reports false");
}

#[tokio::test]
async fn monitor_delivers_down_with_the_exit_reason() {
    let (watcher, _log) = watcher().await;
    let (target, _) = probe().await;
    let monitor = watcher.watch(target.clone()).await.unwrap();
    let _ = target.explode().await;
    crate::common::gone(&target).await;
    let seen = watcher.seen().await.unwrap();
    assert_eq!(seen, [format!("down:{monitor}:panicked: boom")]);
}

#[tokio::test]
async fn monitoring_an_already_dead_server_delivers_down_noproc_at_once() {
    let (watcher, _log) = watcher().await;
    let (target, _) = probe().await;
    target.stop(ExitReason::Normal).await.unwrap();
    let monitor = watcher.watch(target).await.unwrap();
    let seen = watcher.seen().await.unwrap();
    assert_eq!(seen, [format!("down:{monitor}:no such server")]);
}

#[tokio::test]
async fn monitors_are_one_way_and_stack() {
    let (watcher, _log) = watcher().await;
    let (target, target_log) = probe().await;
    let first = watcher.watch(target.clone()).await.unwrap();
    let second = watcher.watch(target.clone()).await.unwrap();
    assert_ne!(first, second);
    watcher.stop(ExitReason::Normal).await.unwrap();
    // The target knows nothing of its watcher's exit.
    assert!(target.is_alive());
    assert_eq!(target.seen().await.unwrap(), ["init"]);
    assert_eq!(target_log.entries(), ["init"]);
}

#[tokio::test]
async fn demonitor_stops_the_down() {
    let (watcher, _log) = watcher().await;
    let (target, _) = probe().await;
    let monitor = watcher.watch(target.clone()).await.unwrap();
    assert!(watcher.unwatch(monitor).await.unwrap());
    assert!(!watcher.unwatch(monitor).await.unwrap());
    target.stop(ExitReason::Normal).await.unwrap();
    assert!(watcher.seen().await.unwrap().is_empty());
}

#[tokio::test]
async fn start_with_a_taken_name_is_already_started_before_init_runs() {
    let first = Probe::start(Init::Ok(Log::default()))
        .name("taken-name")
        .await
        .unwrap();
    let log = Log::default();
    let err = Probe::start(Init::Ok(log.clone()))
        .name("taken-name")
        .await
        .unwrap_err();
    match err {
        StartError::AlreadyStarted(existing) => assert_eq!(existing, first),
        other => panic!("expected AlreadyStarted, got {other:?}"),
    }
    assert!(log.entries().is_empty(), "init must not run");
    // A name held by another type is reported with its holder.
    let err = Watcher::start(Watcher {
        log: Log::default(),
    })
    .name("taken-name")
    .await
    .unwrap_err();
    assert!(matches!(err, StartError::NameTaken { holder, .. } if holder == first.id()));
}

#[tokio::test]
async fn a_name_is_free_again_once_its_server_has_exited() {
    let first = Probe::start(Init::Ok(Log::default()))
        .name("reused-name")
        .await
        .unwrap();
    let _ = first.explode().await;
    crate::common::gone(&first).await;
    assert!(whereis::<Probe>("reused-name").is_none());
    let second = Probe::start(Init::Ok(Log::default()))
        .name("reused-name")
        .await
        .unwrap();
    assert_eq!(whereis::<Probe>("reused-name"), Some(second));
}

#[test]
fn a_name_is_freed_when_the_runtime_goes_away_under_the_server() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(async {
        Probe::start(Init::Ok(Log::default()))
            .name("runtime-dropped")
            .await
            .unwrap()
    });
    drop(runtime);
    assert!(!server.is_alive());
    assert!(whereis::<Probe>("runtime-dropped").is_none());
}

#[tokio::test]
async fn init_error_frees_the_name() {
    let err = Probe::start(Init::Fail(Log::default()))
        .name("failed-init")
        .await;
    assert!(err.is_err());
    assert!(whereis::<Probe>("failed-init").is_none());
}
