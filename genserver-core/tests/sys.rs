//! OTP's `:sys` on every handle (`get_state`, `replace_state`, `suspend`,
//! `resume`, `get_status`), the process list, and the state in crash
//! reports, through `format_status`.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, within};
use genserver_core::prelude::*;
use genserver_core::sys::{self, RunState, TopQuery};
use genserver_core::{AnyServer, Named, Strategy, Supervisor, SupervisorSpec, whereis};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

const LIMIT: Duration = Duration::from_secs(10);

#[derive(Clone, Debug, PartialEq)]
pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn add(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    #[cast]
    pub fn bump(&mut self) {
        self.value += 1;
    }

    /// Waits until `gate` is notified: a handler stuck for as long as a
    /// test wants.
    #[call]
    pub async fn stuck(&mut self, gate: Arc<Notify>) {
        gate.notified().await;
    }

    #[call]
    pub async fn own_state(&self, ctx: &mut Context<Self>) -> Result<Counter, CallError> {
        ctx.server().sys().get_state().await
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn get_state_inspect_and_replace_state_are_typed_and_ordered_with_messages() {
    let counter = Counter::start(Counter { value: 1 }).await.unwrap();
    counter.bump();
    // Queued after the cast: it sees the cast's work.
    assert_eq!(
        counter.sys().get_state().await.unwrap(),
        Counter { value: 2 }
    );
    assert_eq!(counter.sys().inspect(|c| c.value * 10).await.unwrap(), 20);
    counter
        .sys()
        .replace_state(|c| c.value = 100)
        .await
        .unwrap();
    assert_eq!(counter.add(1).await.unwrap(), 101);
}

#[tokio::test]
async fn a_panic_in_a_closure_is_caught_and_leaves_the_state_as_it_was() {
    let counter = Counter::start(Counter { value: 5 }).await.unwrap();
    let error = counter
        .sys()
        .replace_state(|c| {
            c.value = -1;
            panic!("bad update");
        })
        .await
        .unwrap_err();
    assert_eq!(error, CallError::Panicked("bad update".into()));
    let error = counter
        .sys()
        .inspect(|_| -> i64 { panic!("bad read") })
        .await
        .unwrap_err();
    assert!(error.to_string().contains("bad read"), "{error}");
    // The server runs on, with the state it had.
    assert!(counter.is_alive());
    assert_eq!(counter.add(0).await.unwrap(), 5);
}

#[tokio::test]
async fn a_server_asking_its_own_state_gets_calling_self_not_a_deadlock() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    let answer = within(LIMIT, "the own-state call", counter.own_state()).await;
    assert_eq!(answer.unwrap(), Err(CallError::CallingSelf));
}

#[tokio::test]
async fn a_suspended_server_holds_messages_answers_sys_requests_and_resumes_in_order() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    counter.sys().suspend().await.unwrap();
    counter.bump();
    counter.bump();
    let slow = counter.with_timeout(Duration::from_secs(30));
    let call = tokio::spawn(async move { slow.add(10).await });
    eventually(LIMIT, "three messages wait", || counter.mailbox_len() == 3).await;
    // Nothing was handled: system requests are, meanwhile.
    assert_eq!(counter.sys().get_state().await.unwrap().value, 0);
    let status = counter.sys().status().await.unwrap();
    assert_eq!(status.run_state, RunState::Suspended);
    assert_eq!(status.mailbox.len, 3);
    assert_eq!(status.current, None);
    // A short call times out like any call to a busy server.
    assert_eq!(
        counter.with_timeout(Duration::from_millis(50)).add(0).await,
        Err(CallError::Timeout)
    );
    counter.sys().resume().await.unwrap();
    // The queued casts ran before the queued call.
    assert_eq!(within(LIMIT, "the held call", call).await.unwrap(), Ok(12));
    let status = counter.sys().status().await.unwrap();
    assert_eq!(status.run_state, RunState::Running);
    // Resuming a running server changes nothing.
    counter.sys().resume().await.unwrap();
    assert_eq!(counter.add(0).await.unwrap(), 12);
}

#[tokio::test]
async fn a_suspended_server_still_stops() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    counter.sys().suspend().await.unwrap();
    counter.bump();
    within(LIMIT, "the stop", counter.stop(ExitReason::Shutdown))
        .await
        .unwrap();
    assert!(!counter.is_alive());
}

#[tokio::test(start_paused = true)]
async fn status_answers_while_a_handler_is_stuck_without_the_state() {
    let counter = Counter::start(Counter { value: 7 }).await.unwrap();
    counter.add(1).await.unwrap();
    counter.bump();
    let gate = Arc::new(Notify::new());
    let stuck = {
        let (counter, gate) = (counter.clone(), gate.clone());
        tokio::spawn(async move {
            counter
                .with_timeout(Duration::from_secs(3600))
                .stuck(gate)
                .await
        })
    };
    eventually(LIMIT, "the stuck call runs", || {
        sys::processes()
            .iter()
            .any(|p| p.id == counter.id() && p.current == Some("stuck"))
    })
    .await;
    counter.bump();
    let status = counter.sys().status().await.unwrap();
    assert_eq!(status.current, Some("stuck"));
    assert_eq!(status.handled.calls, 2);
    assert_eq!(status.handled.casts, 1);
    assert_eq!(status.mailbox.len, 1);
    assert_eq!(status.run_state, RunState::Running);
    // The server's own part did not come: the rest did.
    assert_eq!(status.state, None);
    assert_eq!(status.monitors, None);
    assert_eq!(status.type_name, "Counter");
    gate.notify_one();
    stuck.await.unwrap().unwrap();
    let status = counter.sys().status().await.unwrap();
    assert_eq!(status.state.as_deref(), Some("Counter { value: 10 }"));
    assert_eq!(status.monitors, Some(vec![]));
    assert_eq!(status.handled.casts, 2);
}

/// A state without `Debug`, showing what it chooses.
pub struct Vault {
    secret: String,
    entries: usize,
}

#[gen_server]
impl Vault {
    #[cast]
    pub fn crash(&mut self) {
        panic!("vault exploded");
    }

    fn format_status(&self) -> String {
        format!(
            "Vault with {} entries, secret {} bytes",
            self.entries,
            self.secret.len()
        )
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// A state with neither `Debug` nor `format_status`.
pub struct Opaque;

#[gen_server]
impl Opaque {
    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn format_status_chooses_what_the_status_shows_and_a_state_without_debug_shows_nothing() {
    let vault = Vault::start(Vault {
        secret: "hunter2".into(),
        entries: 3,
    })
    .await
    .unwrap();
    let status = vault.sys().status().await.unwrap();
    assert_eq!(
        status.state.as_deref(),
        Some("Vault with 3 entries, secret 7 bytes")
    );
    let opaque = Opaque::start(Opaque).await.unwrap();
    let status = AnyServer::from(&opaque).sys().status().await.unwrap();
    assert_eq!(status.state, None);
    assert_eq!(status.monitors, Some(vec![]));
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_crash_report_shows_the_state_through_format_status() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let vault = Vault::start(Vault {
        secret: "hunter2".into(),
        entries: 3,
    })
    .await
    .unwrap();
    vault.crash();
    within(LIMIT, "the crash", vault.exited()).await;
    let text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    let report = text
        .lines()
        .find(|line| line.contains("server crashed"))
        .unwrap_or_else(|| panic!("no crash report in {text}"));
    assert!(
        report.contains("state=\"Vault with 3 entries, secret 7 bytes\""),
        "{report}"
    );
    assert!(!report.contains("hunter2"), "{report}");
}

#[tokio::test]
async fn a_crash_report_cuts_a_huge_state() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    #[derive(Debug)]
    pub struct Huge {
        #[allow(dead_code, reason = "shown by the crash report, through Debug")]
        rows: Vec<u64>,
    }
    #[gen_server]
    impl Huge {
        #[cast]
        pub fn crash(&mut self) {
            panic!("huge exploded");
        }
        fn handle_info(&mut self, _msg: Info<()>) {}
    }
    let huge = Huge::start(Huge {
        rows: (0..1_000_000).collect(),
    })
    .await
    .unwrap();
    huge.crash();
    within(LIMIT, "the crash", huge.exited()).await;
    let text = String::from_utf8_lossy(&captured.0.lock().unwrap()).into_owned();
    let report = text
        .lines()
        .find(|line| line.contains("server crashed"))
        .unwrap_or_else(|| panic!("no crash report in {text}"));
    assert!(report.len() < 8 * 1024, "{} bytes", report.len());
    assert!(report.contains("more bytes)"), "{report}");
}

#[derive(Clone)]
pub struct Worker;

#[gen_server]
impl Worker {
    #[call]
    pub fn ping(&self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn the_process_list_shows_live_servers_with_names_parents_and_counts() {
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .child(Worker::child_spec(Worker).with_name("sys-listed-worker"));
    let sup = Supervisor::start(spec).await.unwrap();
    let worker = whereis::<Worker>("sys-listed-worker").unwrap();
    worker.ping().await.unwrap();
    worker.ping().await.unwrap();
    let all = sys::processes();
    let listed = all.iter().find(|p| p.id == worker.id()).unwrap();
    assert_eq!(listed.type_name, "Worker");
    assert_eq!(listed.names, ["sys-listed-worker"]);
    assert_eq!(listed.parent, Some(sup.id()));
    assert_eq!(listed.handled.calls, 2);
    assert_eq!(listed.run_state, RunState::Running);
    assert!(listed.memory > 0);
    assert!(all.iter().any(|p| p.id == sup.id() && p.parent.is_none()));
    assert!(sys::process_count() >= 2);
    let status = worker.sys().status().await.unwrap();
    assert_eq!(status.parent, Some(sup.id()));
    assert_eq!(status.links, [sup.id()]);
    sup.stop(ExitReason::Shutdown).await.unwrap();
    // Gone from the list once exited.
    let ids: Vec<ServerId> = sys::processes().iter().map(|p| p.id).collect();
    assert!(!ids.contains(&worker.id()));
    assert!(!ids.contains(&sup.id()));
}

#[tokio::test]
async fn the_top_of_the_process_table_is_filtered_ordered_with_ties_to_the_oldest_and_counted() {
    // Five workers named `top-rank-<i>`, pinged 0, 3, 1, 3 and 2 times, and
    // a counter: the table handed to `top_processes` is theirs alone.
    let mut workers = Vec::new();
    for (i, pings) in [0, 3, 1, 3, 2].into_iter().enumerate() {
        let worker = Worker::start(Worker)
            .name(format!("top-rank-{i}"))
            .await
            .unwrap();
        for _ in 0..pings {
            worker.ping().await.unwrap();
        }
        workers.push(worker);
    }
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    let table: Vec<AnyServer> = workers
        .iter()
        .map(AnyServer::from)
        .chain([AnyServer::from(&counter)])
        .collect();
    let ids = |top: &sys::TopProcesses| top.rows.iter().map(|row| row.id).collect::<Vec<_>>();
    let by_calls = |info: &sys::ProcessInfo| info.handled.calls;
    let workers_only = sys::ProcessFilter::new().type_name("Worker");

    // The busiest first; of the two pinged three times, the older first.
    let busiest = |n| TopQuery::new(n).filter(workers_only.clone());
    let top = sys::top_processes(&table, &busiest(3), by_calls);
    assert_eq!(
        ids(&top),
        [workers[1].id(), workers[3].id(), workers[4].id()]
    );
    assert_eq!((top.total, top.matched), (6, 5));
    // Every type looked at is counted, kept or not, by name.
    assert_eq!(top.types, [("Counter", 1), ("Worker", 5)]);
    let least_busy = busiest(2).order(sys::SortOrder::Ascending);
    let top = sys::top_processes(&table, &least_busy, by_calls);
    assert_eq!(ids(&top), [workers[0].id(), workers[2].id()]);

    // A text is found in a name, in any case; an id as it is shown finds
    // that server alone; a type keeps its own.
    let of = |filter| TopQuery::new(10).filter(filter);
    let named = sys::ProcessFilter::new().text("  TOP-RANK-2 ");
    let top = sys::top_processes(&table, &of(named), by_calls);
    assert_eq!(ids(&top), [workers[2].id()]);
    let shown = sys::ProcessFilter::new().text(&workers[4].id().to_string());
    let top = sys::top_processes(&table, &of(shown), by_calls);
    assert_eq!(ids(&top), [workers[4].id()]);
    let counters = sys::ProcessFilter::new().type_name("Counter");
    let top = sys::top_processes(&table, &of(counters), by_calls);
    assert_eq!(ids(&top), [counter.id()]);
    // No rows asked for: none, and the matches still counted.
    let top = sys::top_processes(&table, &busiest(0), by_calls);
    assert_eq!((top.rows.len(), top.matched), (0, 5));

    // Every server the pass reads is seen once, kept or not; the key is
    // asked of the kept ones, and again of the rows chosen.
    let mut seen = Vec::new();
    let asked = std::cell::Cell::new(0);
    let counted = |info: &sys::ProcessInfo| {
        asked.set(asked.get() + 1);
        by_calls(info)
    };
    let top = sys::top_processes_seeing(&table, &busiest(1), counted, |info| seen.push(info.id));
    assert_eq!(seen.len(), 6);
    assert!(seen.contains(&counter.id()));
    assert_eq!((top.rows.len(), asked.get()), (1, 5 + 1));

    // Found by its id as shown, while it lives.
    let shown = workers[1].id().to_string();
    assert_eq!(
        sys::server_by_id(&shown).map(|s| s.id()),
        Some(workers[1].id())
    );
    for worker in workers {
        worker.stop(ExitReason::Normal).await.unwrap();
    }
    assert!(sys::server_by_id(&shown).is_none());
}

#[tokio::test]
async fn the_process_list_shows_the_handler_running_now() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    let gate = Arc::new(Notify::new());
    let stuck = {
        let (counter, gate) = (counter.clone(), gate.clone());
        tokio::spawn(async move { counter.stuck(gate).await })
    };
    eventually(LIMIT, "the stuck handler shows", || {
        sys::processes()
            .iter()
            .any(|p| p.id == counter.id() && p.current == Some("stuck"))
    })
    .await;
    gate.notify_one();
    stuck.await.unwrap().unwrap();
    eventually(LIMIT, "the server waits again", || {
        sys::processes()
            .iter()
            .any(|p| p.id == counter.id() && p.current.is_none())
    })
    .await;
}

#[tokio::test]
async fn a_named_handle_reaches_the_holder_and_a_dead_server_is_noproc() {
    let counter = Counter::start(Counter { value: 4 })
        .name("sys-named-counter")
        .await
        .unwrap();
    let named: Named<Counter> = Named::new("sys-named-counter");
    assert_eq!(named.sys().get_state().await.unwrap().value, 4);
    let status = named.sys().status().await.unwrap();
    assert_eq!(status.names, ["sys-named-counter"]);
    counter.stop(ExitReason::Normal).await.unwrap();
    assert_eq!(named.sys().get_state().await, Err(CallError::NoProc));
    assert_eq!(
        counter.sys().status().await.map(|_| ()),
        Err(CallError::NoProc)
    );
    assert_eq!(
        AnyServer::from(&counter).sys().suspend().await,
        Err(CallError::NoProc)
    );
}

#[tokio::test]
async fn the_latest_crash_reports_are_kept_at_most_crashes_kept() {
    let mut ids = Vec::new();
    for _ in 0..(sys::CRASHES_KEPT + 10) {
        let vault = Vault::start(Vault {
            secret: "x".into(),
            entries: 1,
        })
        .await
        .unwrap();
        vault.crash();
        within(LIMIT, "the crash", vault.exited()).await;
        ids.push(vault.id());
    }
    let kept = sys::recent_crashes();
    assert!(kept.len() <= sys::CRASHES_KEPT);
    // The latest is kept, the first is gone.
    let last = kept.iter().rfind(|c| c.id == *ids.last().unwrap()).unwrap();
    assert_eq!(last.handler, "crash");
    assert_eq!(last.type_name, "Vault");
    assert_eq!(
        last.state.as_deref(),
        Some("Vault with 1 entries, secret 1 bytes")
    );
    assert!(!kept.iter().any(|c| c.id == ids[0]));
}
