//! Reliability under races: no caller waits once its server is gone, call
//! timeouts belong to where the caller waits, and starts that are given up
//! leave nothing behind. Each test is bounded: a regression fails, it does
//! not hang.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Init, Log, Probe, within};
use genserver_core::prelude::*;
use genserver_core::whereis;
use std::future::IntoFuture;
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// A server with slow, blocking and crashing work.
pub struct Worker;

#[gen_server]
impl Worker {
    fn init(block_for: Duration) -> Result<Self, String> {
        // Blocks its thread, as a careless `init` would.
        std::thread::sleep(block_for);
        Ok(Worker)
    }

    #[call]
    pub fn ping(&self) -> u32 {
        1
    }

    #[cast]
    pub fn crash(&self) {
        panic!("worker crashed")
    }

    #[cast]
    pub async fn crash_after(&self, delay: Duration) {
        tokio::time::sleep(delay).await;
        panic!("worker crashed late")
    }

    #[cast]
    pub fn block(&self, d: Duration) {
        std::thread::sleep(d);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Eight callers keep calling a server (with a one-minute timeout) while it
/// crashes or is stopped: every call must end at once, with the reply, the
/// exit reason or `NoProc`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_racing_the_servers_exit_are_answered_at_once() {
    for round in 0..2_000 {
        let server = Worker::start(Duration::ZERO)
            .await
            .unwrap()
            .with_timeout(Duration::from_secs(60));
        let callers: Vec<_> = (0..8)
            .map(|_| {
                let server = server.clone();
                tokio::spawn(async move {
                    loop {
                        match server.ping().await {
                            Ok(_) => continue,
                            Err(CallError::Exited(_) | CallError::NoProc) => return,
                            Err(other) => panic!("unexpected {other:?}"),
                        }
                    }
                })
            })
            .collect();
        tokio::task::yield_now().await;
        if round % 2 == 0 {
            server.crash();
        } else {
            let _ = server.stop(ExitReason::Shutdown).await;
        }
        for caller in callers {
            within(LIMIT, "a caller racing the exit", caller)
                .await
                .unwrap();
        }
    }
}

/// The server's runtime is not being driven (its thread is busy outside
/// it): a call from another runtime still times out on time.
#[tokio::test]
async fn a_call_times_out_where_the_caller_waits_even_if_the_servers_runtime_is_idle() {
    let (tx, rx) = std::sync::mpsc::channel();
    let (release, released) = std::sync::mpsc::channel::<()>();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = runtime
            .block_on(Worker::start(Duration::ZERO).into_future())
            .unwrap();
        tx.send(server).unwrap();
        // The runtime is alive but nothing drives it.
        let _ = released.recv_timeout(Duration::from_secs(30));
    });
    let server = rx.recv().unwrap();
    let impatient = server.with_timeout(Duration::from_millis(100));
    let call = impatient.ping();
    let result = within(Duration::from_secs(2), "the call's own timeout", call).await;
    assert_eq!(result, Err(CallError::Timeout));
    release.send(()).unwrap();
    thread.join().unwrap();
}

/// The server's runtime has one worker, and a handler blocks it: the call
/// times out after 100 ms, not `Ok` after the block.
#[tokio::test]
async fn a_call_times_out_on_time_when_the_servers_only_worker_is_blocked() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .spawn(async { Worker::start(Duration::ZERO).await.unwrap() })
        .await
        .unwrap();
    server.block(Duration::from_millis(1_500));
    let started = std::time::Instant::now();
    let impatient = server.with_timeout(Duration::from_millis(100));
    let call = impatient.ping();
    let result = within(Duration::from_secs(1), "the call's own timeout", call).await;
    assert_eq!(result, Err(CallError::Timeout));
    assert!(started.elapsed() < Duration::from_millis(1_000));
    runtime.shutdown_background();
}

/// `GenServer.stop/3` exits with the server's reason when the server
/// exits for another one first.
#[tokio::test]
async fn stop_reports_the_crash_when_the_server_crashes_before_handling_it() {
    let server = Worker::start(Duration::ZERO).await.unwrap();
    server.crash_after(Duration::from_millis(50));
    tokio::task::yield_now().await;
    let stopped = within(LIMIT, "stop", server.stop(ExitReason::Normal)).await;
    assert_eq!(
        stopped,
        Err(CallError::Exited(ExitReason::Panic(
            "worker crashed late".into()
        )))
    );
}

/// A start given up by its caller (`timeout`, `select!`) kills the new
/// server and frees its name at once.
#[tokio::test]
async fn a_dropped_start_stops_the_server_and_frees_its_name() {
    let log = Log::default();
    let slow = Probe::start(Init::Slow(log.clone(), Duration::from_millis(300))).name("slowpoke");
    let given_up = tokio::time::timeout(Duration::from_millis(20), slow.into_future()).await;
    assert!(given_up.is_err());
    assert!(whereis::<Probe>("slowpoke").is_none());
    let again = Probe::start(Init::Ok(Log::default()))
        .name("slowpoke")
        .await
        .unwrap();
    assert_eq!(whereis::<Probe>("slowpoke"), Some(again));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!log.contains("init"), "the given-up server ran on");
}

/// `init_timeout` is kept where the starter waits: an `init` blocking its
/// thread on a multi-threaded runtime cannot hold the start past it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_timeout_holds_when_init_blocks_its_thread() {
    let start = Worker::start(Duration::from_millis(1_500))
        .name("blocker")
        .init_timeout(Duration::from_millis(100));
    let started = std::time::Instant::now();
    let result = within(
        Duration::from_secs(1),
        "the init timeout",
        start.into_future(),
    )
    .await;
    assert!(matches!(result, Err(StartError::Timeout)), "{result:?}");
    assert!(started.elapsed() < Duration::from_millis(1_000));
    assert!(whereis::<Worker>("blocker").is_none());
}

/// Timeouts cost nothing per server: 64 clients calling 1 000 servers at
/// random leave no task behind but the servers themselves and one timeout
/// driver per thread (the old design left one task per timeout group per
/// server: about 150 000 after 3 s).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_to_many_servers_leave_no_task_behind() {
    let mut servers = Vec::new();
    for _ in 0..1_000 {
        servers.push(Worker::start(Duration::ZERO).await.unwrap());
    }
    let servers = std::sync::Arc::new(servers);
    let until = std::time::Instant::now() + Duration::from_millis(700);
    let clients: Vec<_> = (0..64u64)
        .map(|client| {
            let servers = servers.clone();
            tokio::spawn(async move {
                let mut pick = client.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                let mut calls = 0u64;
                while std::time::Instant::now() < until {
                    pick ^= pick << 13;
                    pick ^= pick >> 7;
                    pick ^= pick << 17;
                    let server = &servers[(pick % servers.len() as u64) as usize];
                    server.ping().await.unwrap();
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    let mut calls = 0;
    for client in clients {
        calls += within(LIMIT, "a client", client).await.unwrap();
    }
    assert!(calls > 1_000, "{calls} calls");
    let alive = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert!(
        alive <= 1_000 + 4,
        "{alive} tasks alive after {calls} calls"
    );
}

/// Counts how many times it is dropped: a guard an async handler holds
/// across its await.
pub struct DropCount(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

/// An async handler that waits forever, holding a guard.
pub struct Waiter {
    drops: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

#[gen_server]
impl Waiter {
    #[call]
    pub async fn wait_forever(&mut self) {
        let _held = DropCount(self.drops.clone());
        std::future::pending::<()>().await;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn a_server_killed_while_an_async_handler_waits_drops_it_once_and_answers_the_caller() {
    let drops = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let waiter = Waiter::start(Waiter {
        drops: drops.clone(),
    })
    .await
    .unwrap();
    let caller = tokio::spawn({
        let waiter = waiter.clone();
        async move { waiter.wait_forever().await }
    });
    // The handler is waiting once the server counts the call as handled
    // and shows it as the handler running now.
    common::eventually(LIMIT, "the handler waits", || {
        genserver_core::sys::processes()
            .iter()
            .any(|p| p.id == waiter.id() && p.handled.calls == 1 && p.current.is_some())
    })
    .await;
    genserver_core::AnyServer::from(&waiter).kill();
    let answer = within(LIMIT, "the caller's answer", caller).await.unwrap();
    assert_eq!(answer, Err(CallError::Exited(ExitReason::Killed)));
    within(LIMIT, "the exit", waiter.exited()).await;
    assert_eq!(drops.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// A server whose cast waits until `gate` is opened.
pub struct Gated {
    gate: std::sync::Arc<tokio::sync::Notify>,
}

#[gen_server]
impl Gated {
    #[cast]
    pub async fn hold(&mut self) {
        self.gate.notified().await;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn stops_queued_behind_the_one_that_ends_the_server_are_all_answered() {
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    let gated = Gated::start(Gated { gate: gate.clone() }).await.unwrap();
    gated.hold();
    common::eventually(LIMIT, "the handler holds", || {
        genserver_core::sys::processes()
            .iter()
            .any(|p| p.id == gated.id() && p.handled.casts == 1)
    })
    .await;
    // Three stops queue while the handler holds; the first ends the server.
    let stops: Vec<_> = [
        ExitReason::Shutdown,
        ExitReason::Normal,
        ExitReason::Shutdown,
    ]
    .into_iter()
    .map(|reason| {
        let gated = gated.clone();
        tokio::spawn(async move { gated.stop(reason).await })
    })
    .collect();
    common::eventually(LIMIT, "the stops are queued", || gated.mailbox_len() == 3).await;
    gate.notify_one();
    let mut answers = Vec::new();
    for stop in stops {
        answers.push(within(LIMIT, "a stop's answer", stop).await.unwrap());
    }
    // Each is told the reason the server exited with: its own, or another.
    assert_eq!(
        answers.iter().filter(|a| a.is_ok()).count(),
        2,
        "{answers:?}"
    );
    assert!(
        answers.contains(&Err(CallError::Exited(ExitReason::Shutdown))),
        "{answers:?}"
    );
}
