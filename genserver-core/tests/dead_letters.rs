//! Dead letters: every dropped message is counted, for the program and its
//! server, by reason, and reported on the `genserver::dead_letters` target
//! at most once a second per reason. One test at a time in this binary
//! (the counts are the program's), with a global subscriber.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, within};
use genserver_core::prelude::*;
use genserver_core::sys::{self, DeadLetterReason};
use genserver_core::{AnyServer, Named};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

const LIMIT: Duration = Duration::from_secs(10);

pub struct Sink;

#[gen_server]
impl Sink {
    #[cast]
    pub async fn hold(&mut self, d: Duration) {
        tokio::time::sleep(d).await;
    }

    #[cast]
    pub fn record(&mut self, _n: u64) {}

    /// Replies after `d`, whoever still waits.
    #[call]
    pub async fn slow(&mut self, d: Duration) -> u64 {
        tokio::time::sleep(d).await;
        7
    }

    #[call]
    pub fn ping(&self) {}

    fn handle_info(&mut self, _msg: Info<u64>) {}
}

/// The lines on the dead letters target.
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

impl<S: Subscriber> Layer<S> for Lines {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target() == "genserver::dead_letters" {
            let mut text = String::new();
            struct Visit<'a>(&'a mut String);
            impl tracing::field::Visit for Visit<'_> {
                fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                    self.0.push_str(&format!("{}={:?} ", f.name(), v));
                }
            }
            event.record(&mut Visit(&mut text));
            self.0.lock().unwrap().push(text);
        }
    }
}

/// One test at a time, all seeing one subscriber.
async fn setup() -> (tokio::sync::MutexGuard<'static, ()>, Lines) {
    static ONE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    static LINES: OnceLock<Lines> = OnceLock::new();
    let guard = ONE.lock().await;
    let lines = LINES
        .get_or_init(|| {
            let lines = Lines::default();
            let subscriber = tracing_subscriber::registry().with(lines.clone());
            tracing::subscriber::set_global_default(subscriber).unwrap();
            lines
        })
        .clone();
    lines.0.lock().unwrap().clear();
    (guard, lines)
}

fn count(reason: DeadLetterReason) -> u64 {
    sys::dead_letters().get(reason)
}

#[tokio::test]
async fn a_flood_of_casts_to_a_gone_server_is_counted_and_reported_in_two_lines() {
    let (_one, lines) = setup().await;
    let before = count(DeadLetterReason::NoProc);
    let sink = Sink::start(Sink).await.unwrap();
    sink.stop(ExitReason::Normal).await.unwrap();
    for n in 0..10_000 {
        sink.record(n);
    }
    sink.send(1);
    let named: Named<Sink> = Named::new("dead-letters-nobody");
    named.record(1);
    named.send(2);
    assert_eq!(count(DeadLetterReason::NoProc), before + 10_003);
    // One line now, one summary with the count of the others a second later.
    eventually(LIMIT, "the summary line", || {
        lines.0.lock().unwrap().len() >= 2
    })
    .await;
    let lines = lines.0.lock().unwrap().clone();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].contains("reason=\"noproc\""), "{lines:?}");
    assert!(lines[0].contains("detail=record"), "{lines:?}");
    assert!(lines[0].contains("server=\"Sink\""), "{lines:?}");
    assert!(lines[1].contains("more=10002"), "{lines:?}");
}

#[tokio::test]
async fn overflow_drops_are_the_servers_dead_letters() {
    let (_one, _lines) = setup().await;
    let before = count(DeadLetterReason::Overflow);
    let sink = Sink::start(Sink)
        .mailbox(Mailbox::bounded(4))
        .await
        .unwrap();
    sink.hold(Duration::from_millis(100));
    eventually(LIMIT, "the hold runs", || sink.mailbox_len() == 0).await;
    for n in 0..20 {
        sink.record(n);
    }
    within(LIMIT, "a call behind them", sink.ping())
        .await
        .unwrap();
    let status = sink.sys().status().await.unwrap();
    assert_eq!(status.dead_letters.get(DeadLetterReason::Overflow), 16);
    assert_eq!(status.dead_letters.total(), 16);
    assert_eq!(count(DeadLetterReason::Overflow), before + 16);
}

#[tokio::test]
async fn a_reply_after_the_caller_gave_up_is_a_late_reply_of_the_server() {
    let (_one, lines) = setup().await;
    let before = count(DeadLetterReason::LateReply);
    let sink = Sink::start(Sink).await.unwrap();
    let impatient = sink.with_timeout(Duration::from_millis(10));
    assert_eq!(
        impatient.slow(Duration::from_millis(100)).await,
        Err(CallError::Timeout)
    );
    // The reply comes once the handler returns: a dead letter then.
    within(LIMIT, "a call behind the slow one", sink.ping())
        .await
        .unwrap();
    let status = sink.sys().status().await.unwrap();
    assert_eq!(status.dead_letters.get(DeadLetterReason::LateReply), 1);
    assert_eq!(count(DeadLetterReason::LateReply), before + 1);
    let lines = lines.0.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("late_reply") && l.contains("detail=slow")),
        "{lines:?}"
    );
}

#[tokio::test]
async fn casts_left_queued_by_an_exit_are_dead_letters_calls_are_told() {
    let (_one, _lines) = setup().await;
    let before = count(DeadLetterReason::Exited);
    let sink = Sink::start(Sink).await.unwrap();
    sink.hold(Duration::from_secs(3600));
    eventually(LIMIT, "the hold runs", || sink.mailbox_len() == 0).await;
    for n in 0..5000 {
        sink.record(n);
    }
    sink.send(1);
    let call = {
        let sink = sink.with_timeout(Duration::from_secs(60));
        tokio::spawn(async move { sink.ping().await })
    };
    eventually(LIMIT, "everything is queued", || sink.mailbox_len() == 5002).await;
    AnyServer::from(&sink).kill();
    assert_eq!(
        within(LIMIT, "the queued call", call).await.unwrap(),
        Err(CallError::Exited(ExitReason::Killed))
    );
    // Counted as the backlog is freed (on the blocking pool, for 5000).
    eventually(LIMIT, "the backlog is counted", || {
        count(DeadLetterReason::Exited) == before + 5001
    })
    .await;
}

#[tokio::test]
async fn a_transport_reports_what_it_drops() {
    let (_one, lines) = setup().await;
    let before = count(DeadLetterReason::Refused);
    let sink = Sink::start(Sink).await.unwrap();
    let any = AnyServer::from(&sink);
    sys::report_dead_letter(DeadLetterReason::Refused, Some(&any), Some(&"app.sink"), 3);
    sys::report_dead_letter(DeadLetterReason::Remote, None, None, 1);
    assert_eq!(count(DeadLetterReason::Refused), before + 3);
    let status = sink.sys().status().await.unwrap();
    assert_eq!(status.dead_letters.get(DeadLetterReason::Refused), 3);
    let lines = lines.0.lock().unwrap().clone();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("refused") && l.contains("app.sink") && l.contains("count=3")),
        "{lines:?}"
    );
}
