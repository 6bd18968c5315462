//! The mailbox's reports through `tracing`: OTP 27's long message queue
//! alarm, and one overflow warning per burst. Alone in its test binary,
//! with a global subscriber, so no other test's thread races the callsites.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, within};
use genserver_core::Mailbox;
use genserver_core::prelude::*;
use std::time::Duration;

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

    #[call]
    pub fn ping(&self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

use std::sync::{Arc, Mutex};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

#[derive(Clone, Default)]
struct Warnings(Arc<Mutex<Vec<String>>>);

impl<S: Subscriber> Layer<S> for Warnings {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if *event.metadata().level() <= Level::INFO {
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

/// OTP 27's long message queue alarm, and one overflow warning per
/// burst rather than one per dropped message.
#[tokio::test]
async fn watermarks_and_overflow_are_reported_once_per_burst() {
    let warnings = Warnings::default();
    let subscriber = tracing_subscriber::registry().with(warnings.clone());
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let server = Sink::start(Sink)
        .mailbox(Mailbox::bounded(8).with_watermarks(4, 1))
        .await
        .unwrap();
    server.hold(Duration::from_millis(50));
    eventually(LIMIT, "the hold is being handled", || {
        server.mailbox_len() == 0
    })
    .await;
    for n in 0..100 {
        server.record(n);
    }
    within(LIMIT, "a call behind the burst", server.ping())
        .await
        .unwrap();
    let lines = warnings.0.lock().unwrap().clone();
    let count = |what: &str| lines.iter().filter(|l| l.contains(what)).count();
    assert_eq!(count("long message queue"), 1, "{lines:?}");
    assert_eq!(count("mailbox full"), 1, "{lines:?}");
    assert_eq!(count("back to normal"), 1, "{lines:?}");
    assert_eq!(count("burst over"), 1, "{lines:?}");
    assert!(lines.iter().any(|l| l.contains("dropped=92")), "{lines:?}");

    // 500 servers crossing their watermark in one burst: the alarms are
    // aggregated, one line and one summary a second for the program.
    std::thread::sleep(Duration::from_millis(1100)); // a new second
    warnings.0.lock().unwrap().clear();
    let mut servers = Vec::new();
    for _ in 0..500 {
        let server = Sink::start(Sink)
            .mailbox(Mailbox::bounded(8).with_watermarks(4, 1))
            .await
            .unwrap();
        server.hold(Duration::from_millis(100));
        servers.push(server);
    }
    eventually(LIMIT, "every hold is being handled", || {
        servers.iter().all(|s| s.mailbox_len() == 0)
    })
    .await;
    for server in &servers {
        for n in 0..6 {
            server.record(n);
        }
    }
    for server in &servers {
        within(LIMIT, "a call behind the burst", server.ping())
            .await
            .unwrap();
    }
    eventually(LIMIT, "both summaries", || {
        let lines = warnings.0.lock().unwrap();
        lines.iter().filter(|l| l.contains("more=499")).count() == 2
    })
    .await;
    let lines = warnings.0.lock().unwrap().clone();
    let count = |what: &str| lines.iter().filter(|l| l.contains(what)).count();
    assert_eq!(count("message=long message queue"), 1, "{lines:?}");
    assert_eq!(count("message=more long message queues"), 1, "{lines:?}");
    assert_eq!(
        count("message=message queue back to normal"),
        1,
        "{lines:?}"
    );
    assert_eq!(
        count("message=more message queues back to normal"),
        1,
        "{lines:?}"
    );
    assert_eq!(lines.len(), 4, "{lines:?}");
}
