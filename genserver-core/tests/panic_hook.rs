//! `install_panic_hook`: a panic inside a server or one of its tasks is
//! reported once, by its crash report (with the panic's location), and
//! not again by the panic hook installed before; every other panic still
//! reaches that hook. One test in its own binary: the hook is global.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::within;
use genserver_core::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt};

const LIMIT: Duration = Duration::from_secs(10);

/// Panics reaching the hook that was installed first (Rust's, in a program).
static PREVIOUS_HOOK: AtomicUsize = AtomicUsize::new(0);

/// The crash reports logged at error level, as `field=value` text.
#[derive(Clone, Default)]
struct Errors(Arc<Mutex<Vec<String>>>);

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl<S: Subscriber> Layer<S> for Errors {
    fn on_event(&self, event: &Event<'_>, _ctx: LayerContext<'_, S>) {
        if *event.metadata().level() == Level::ERROR {
            let mut fields = Fields(String::new());
            event.record(&mut fields);
            self.0.lock().unwrap().push(fields.0);
        }
    }
}

pub struct Fragile;

#[gen_server(info = ())]
impl Fragile {
    #[call]
    pub fn break_now(&self) {
        panic!("broken in a handler")
    }

    #[cast]
    pub fn break_a_task(&self, ctx: &mut Context<Self>) {
        ctx.spawn(async { panic!("broken in a task") });
    }

    #[call]
    pub fn ping(&self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn server_panics_are_reported_once_and_others_reach_the_previous_hook() {
    std::panic::set_hook(Box::new(|_| {
        PREVIOUS_HOOK.fetch_add(1, Ordering::SeqCst);
    }));
    genserver_core::install_panic_hook();
    genserver_core::install_panic_hook(); // a second call changes nothing
    let errors = Errors::default();
    let _guard =
        tracing::subscriber::set_default(tracing_subscriber::registry().with(errors.clone()));

    let server = Fragile::start(Fragile).await.unwrap();
    let crashed = within(LIMIT, "the crash", server.break_now()).await;
    assert_eq!(
        crashed,
        Err(CallError::Exited(ExitReason::Panic(
            "broken in a handler".into()
        )))
    );
    let server = Fragile::start(Fragile).await.unwrap();
    server.break_a_task();
    within(LIMIT, "the task's crash report", async {
        while errors.0.lock().unwrap().len() < 2 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await;
    assert_eq!(
        PREVIOUS_HOOK.load(Ordering::SeqCst),
        0,
        "Rust's hook was quiet"
    );
    let reports = errors.0.lock().unwrap().clone();
    assert_eq!(reports.len(), 2, "{reports:?}");
    let this_file = "genserver-core/tests/panic_hook.rs:";
    assert!(
        reports[0].contains("server crashed")
            && reports[0].contains("handler=\"break_now\"")
            && reports[0].contains(this_file),
        "{reports:?}"
    );
    assert!(
        reports[1].contains("task crashed") && reports[1].contains(this_file),
        "{reports:?}"
    );
    assert_eq!(
        server.ping().await,
        Ok(()),
        "a task's panic ends the task only"
    );

    // A panic outside any server reaches the previous hook.
    let outside = tokio::spawn(async { panic!("outside any server") }).await;
    assert!(outside.is_err());
    assert_eq!(PREVIOUS_HOOK.load(Ordering::SeqCst), 1);
    let _ = std::panic::take_hook();
}
