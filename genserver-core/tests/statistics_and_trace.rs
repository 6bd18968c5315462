//! `sys().statistics()` (OTP's `:sys.statistics`), `sys().trace(n)` (a
//! ring of the last events, `:sys.log`), the trace in crash reports, and
//! the long-handler watch.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, within};
use genserver_core::AnyServer;
use genserver_core::prelude::*;
use genserver_core::sys::{self, EventKind, Outcome};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

const LIMIT: Duration = Duration::from_secs(10);

#[derive(Debug)]
pub struct Counter {
    value: i64,
}

/// An argument without `Debug`.
pub struct Opaque;

#[gen_server(info = String)]
impl Counter {
    #[call]
    pub fn add(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    #[cast]
    pub fn bump(&mut self, _token: Opaque) {
        self.value += 1;
    }

    #[call]
    pub async fn nap(&self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    #[call]
    pub async fn wait_for(&self, gate: Arc<Notify>) {
        gate.notified().await;
    }

    #[call]
    pub fn quit(&mut self, ctx: &mut Context<Self>) {
        ctx.stop(ExitReason::Normal);
    }

    #[cast]
    pub fn crash(&mut self) {
        panic!("counter crashed");
    }

    fn handle_info(&mut self, msg: Info<String>) {
        if let Info::Message(text) = msg {
            self.value += text.len() as i64;
        }
    }
}

async fn counter() -> Server<Counter> {
    Counter::start(Counter { value: 0 }).await.unwrap()
}

#[tokio::test]
async fn statistics_count_messages_and_the_mailbox_high_water_and_time_handlers_when_asked() {
    let counter = counter().await;
    let gate = Arc::new(Notify::new());
    let held = {
        let (counter, gate) = (counter.clone(), gate.clone());
        tokio::spawn(async move { counter.wait_for(gate).await })
    };
    eventually(LIMIT, "the wait runs", || counter.mailbox_len() == 0).await;
    tokio::task::yield_now().await;
    for _ in 0..100 {
        counter.bump(Opaque);
    }
    gate.notify_one();
    held.await.unwrap().unwrap();
    counter.add(0).await.unwrap();
    let stats = counter.sys().statistics().unwrap();
    assert_eq!(stats.handled.calls, 2);
    assert_eq!(stats.handled.casts, 100);
    assert!(stats.mailbox_high_water >= 100, "{stats:?}");
    assert!(stats.timing.is_none(), "timing is off by default");

    counter.sys().collect_statistics(true).unwrap();
    for _ in 0..3 {
        counter.nap(Duration::from_millis(5)).await.unwrap();
    }
    counter.add(1).await.unwrap();
    let timing = counter.sys().statistics().unwrap().timing.unwrap();
    assert_eq!(timing.all.count, 4);
    let (name, nap) = timing.handlers[0];
    assert_eq!(name, "nap");
    assert_eq!(nap.count, 3);
    assert!(nap.total >= Duration::from_millis(15), "{nap:?}");
    assert!(nap.max >= Duration::from_millis(5), "{nap:?}");
    assert_eq!(timing.handlers[1].0, "add");
    counter.sys().collect_statistics(false).unwrap();
    assert!(counter.sys().statistics().unwrap().timing.is_none());
}

#[tokio::test]
async fn a_trace_keeps_the_last_events_with_arguments_replies_and_outcomes() {
    let counter = counter().await;
    counter.add(100).await.unwrap(); // before the trace: not kept
    counter.sys().trace(3).unwrap();
    counter.add(1).await.unwrap();
    counter.add(2).await.unwrap();
    counter.bump(Opaque);
    counter.send("abc".to_owned());
    counter.add(0).await.unwrap();
    let events = counter.sys().traced().unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0].kind, EventKind::Cast);
    assert_eq!(events[0].handler, "bump");
    assert_eq!(events[0].message.as_deref(), Some("bump(token: _)"));
    assert_eq!(events[0].reply, None);
    assert_eq!(events[1].kind, EventKind::Info);
    assert_eq!(events[1].handler, "handle_info(Message)");
    assert_eq!(events[1].message.as_deref(), Some("Message(\"abc\")"));
    assert_eq!(events[2].kind, EventKind::Call);
    assert_eq!(events[2].message.as_deref(), Some("add(by: 0)"));
    assert_eq!(events[2].reply.as_deref(), Some("107"));
    assert_eq!(events[2].outcome, Outcome::Returned);
    assert_eq!(events[2].state_before, None);
    // Off: no more events, the kept ones stay.
    counter.sys().trace(0).unwrap();
    counter.add(1).await.unwrap();
    assert_eq!(counter.sys().traced().unwrap().len(), 3);
}

#[tokio::test]
async fn a_trace_with_state_shows_the_state_before_and_after_and_a_stop() {
    let counter = counter().await;
    counter.sys().trace_with_state(10).unwrap();
    counter.add(5).await.unwrap();
    let any = AnyServer::from(&counter);
    let events = any.sys().traced().unwrap();
    assert_eq!(
        events[0].state_before.as_deref(),
        Some("Counter { value: 0 }")
    );
    assert_eq!(
        events[0].state_after.as_deref(),
        Some("Counter { value: 5 }")
    );
    let traced = counter.clone();
    counter.quit().await.unwrap();
    within(LIMIT, "the stop", traced.exited()).await;
    assert_eq!(traced.sys().traced(), Err(CallError::NoProc));
}

#[tokio::test]
async fn a_traced_servers_crash_report_carries_its_last_events() {
    let counter = counter().await;
    counter.sys().trace(4).unwrap();
    counter.add(2).await.unwrap();
    counter.crash();
    within(LIMIT, "the crash", counter.exited()).await;
    let report = sys::recent_crashes()
        .into_iter()
        .rfind(|c| c.id == counter.id())
        .unwrap();
    assert_eq!(report.trace.len(), 2);
    assert_eq!(report.trace[0].reply.as_deref(), Some("2"));
    assert_eq!(report.trace[1].handler, "crash");
    assert_eq!(
        report.trace[1].outcome,
        Outcome::Panicked("counter crashed".into())
    );
}

/// The lines about long handlers, from any thread (the watch's own).
#[derive(Clone, Default)]
struct LongLines(Arc<std::sync::Mutex<Vec<String>>>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LongLines {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        let mut text = String::new();
        struct Visit<'a>(&'a mut String);
        impl tracing::field::Visit for Visit<'_> {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                self.0.push_str(&format!("{}={:?} ", f.name(), v));
            }
        }
        event.record(&mut Visit(&mut text));
        if text.contains("handler running long") {
            self.0.lock().unwrap().push(text);
        }
    }
}

#[tokio::test]
async fn the_long_handler_watch_warns_once_and_status_shows_how_long() {
    use tracing_subscriber::layer::SubscriberExt;
    let lines = LongLines::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(lines.clone()))
        .unwrap();
    let counter = counter().await;
    sys::watch_long_handlers(Some(Duration::from_millis(40)));
    let gate = Arc::new(Notify::new());
    let held = {
        let (counter, gate) = (counter.clone(), gate.clone());
        tokio::spawn(async move { counter.wait_for(gate).await })
    };
    let mut running_for = None;
    within(LIMIT, "the watch sees the handler", async {
        loop {
            let status = counter.sys().status().await.unwrap();
            if let Some(d) = status.current_for
                && d >= Duration::from_millis(40)
            {
                assert_eq!(status.current, Some("wait_for"));
                running_for = Some(d);
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(running_for.is_some());
    // A few more scans: still one line for this run of the handler.
    tokio::time::sleep(Duration::from_millis(100)).await;
    // (Other tests' servers may be seen too: a panicking handler printing
    // a backtrace runs long.)
    let mine = format!("id={} ", counter.id());
    let warned: Vec<String> = lines
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|line| line.contains(&mine))
        .cloned()
        .collect();
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].contains("server=\"Counter\""), "{warned:?}");
    assert!(warned[0].contains("handler=\"wait_for\""), "{warned:?}");
    gate.notify_one();
    held.await.unwrap().unwrap();
    sys::watch_long_handlers(None);
    let status = counter.sys().status().await.unwrap();
    assert_eq!(status.current_for, None);
}
