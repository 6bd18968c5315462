//! Observability: a span per server and per handled message, named after
//! the handler; one crash report per crash, at error level, naming the
//! server, the handler and the reason; a server's span has no parent.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::probe;
use std::sync::{Arc, Mutex};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::Registry;

#[derive(Clone, Default)]
struct Recorder {
    spans: Arc<Mutex<Vec<String>>>,
    /// Names of the spans created as roots (no parent).
    roots: Arc<Mutex<Vec<String>>>,
    /// How many `follows_from` links were recorded.
    follows: Arc<Mutex<usize>>,
    errors: Arc<Mutex<Vec<String>>>,
    infos: Arc<Mutex<Vec<String>>>,
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!("{}={:?} ", field.name(), value));
    }
}

impl<S: Subscriber> Layer<S> for Recorder {
    fn on_new_span(&self, attrs: &Attributes<'_>, _id: &Id, _ctx: Context<'_, S>) {
        let mut fields = Fields(String::new());
        attrs.record(&mut fields);
        if attrs.is_root() {
            self.roots
                .lock()
                .unwrap()
                .push(attrs.metadata().name().to_string());
        }
        self.spans
            .lock()
            .unwrap()
            .push(format!("{} {}", attrs.metadata().name(), fields.0.trim()));
    }

    fn on_follows_from(&self, _span: &Id, _follows: &Id, _ctx: Context<'_, S>) {
        *self.follows.lock().unwrap() += 1;
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        match *event.metadata().level() {
            Level::ERROR => self.errors.lock().unwrap().push(fields.0),
            Level::INFO => self.infos.lock().unwrap().push(fields.0),
            _ => {}
        }
    }
}

#[tokio::test]
async fn spans_name_the_server_and_each_handler_and_crashes_are_logged() {
    let recorder = Recorder::default();
    let subscriber = Registry::default().with(recorder.clone());
    let _guard = tracing::subscriber::set_default(subscriber);

    let (server, _log) = probe().await;
    server.set(1).await.unwrap();
    server
        .sleep_then_get(std::time::Duration::from_millis(1))
        .await
        .unwrap();
    let _ = server.explode().await;
    crate::common::gone(&server).await;

    let spans = recorder.spans.lock().unwrap().clone();
    let id = server.id().to_string();
    assert!(
        spans
            .iter()
            .any(|s| s.starts_with("gen_server") && s.contains("Probe") && s.contains(&id)),
        "{spans:?}"
    );
    for callback in ["init", "terminate"] {
        assert!(
            spans.iter().any(|s| s.split(' ').next() == Some(callback)),
            "{callback}: {spans:?}"
        );
    }
    // Handlers run in a `call` (or `cast`) span that names the handler.
    for handler in ["set", "sleep_then_get", "explode"] {
        assert!(
            spans.contains(&format!("call handler={handler:?}")),
            "{handler}: {spans:?}"
        );
    }
    let errors = recorder.errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 1, "one report per crash: {errors:?}");
    let report = &errors[0];
    for part in [
        "server crashed",
        "Probe",
        &id,
        "handler=\"explode\"",
        "panicked: boom",
    ] {
        assert!(report.contains(part), "{part}: {report}");
    }
}

#[tokio::test]
async fn a_panic_in_terminate_is_the_one_report_and_names_terminate() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(recorder.clone()));
    let server = supervision::Flaky::start(supervision::Flaky).await.unwrap();
    server.explode_on_terminate().await.unwrap();
    let _ = server.stop(genserver_core::ExitReason::Normal).await;
    let errors = recorder.errors.lock().unwrap().clone();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("handler=\"terminate\"") && errors[0].contains("terminate exploded"),
        "{errors:?}"
    );
}

/// A server's span outlives whatever started it, so it has no parent: it
/// only follows from the starter's span.
#[tokio::test]
async fn a_server_span_has_no_parent_and_follows_from_its_starter() {
    let recorder = Recorder::default();
    let _guard = tracing::subscriber::set_default(Registry::default().with(recorder.clone()));
    let starter = tracing::info_span!("request");
    let server = {
        let _entered = starter.enter();
        supervision::Flaky::start(supervision::Flaky).await.unwrap()
    };
    server
        .finish(genserver_core::ExitReason::Normal)
        .await
        .unwrap();
    let roots = recorder.roots.lock().unwrap().clone();
    assert!(roots.iter().any(|r| r == "gen_server"), "{roots:?}");
    assert!(*recorder.follows.lock().unwrap() >= 1);
}

mod handler_spans {
    use genserver_core::prelude::*;

    pub(crate) struct Lexer {
        pub(crate) tokens: u32,
    }

    #[gen_server]
    impl Lexer {
        #[cast]
        pub(crate) fn push(&mut self) {
            self.tokens += 1;
        }

        #[call]
        pub(crate) async fn r#type(&self) -> u32 {
            self.tokens
        }

        fn handle_info(&mut self, _msg: Info<()>) {}
    }
}

#[tokio::test]
async fn casts_run_in_a_cast_span_and_raw_names_are_written_plain() {
    let recorder = Recorder::default();
    let subscriber = Registry::default().with(recorder.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let lexer = handler_spans::Lexer::start(handler_spans::Lexer { tokens: 0 })
        .await
        .unwrap();
    lexer.push();
    assert_eq!(lexer.r#type().await.unwrap(), 1);
    let spans = recorder.spans.lock().unwrap().clone();
    assert!(
        spans.contains(&"cast handler=\"push\"".to_string()),
        "{spans:?}"
    );
    assert!(
        spans.contains(&"call handler=\"type\"".to_string()),
        "{spans:?}"
    );
}

#[tokio::test]
async fn normal_and_shutdown_exits_are_not_logged_as_errors() {
    let recorder = Recorder::default();
    let subscriber = Registry::default().with(recorder.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let (a, _) = probe().await;
    a.stop(genserver_core::ExitReason::Normal).await.unwrap();
    let (b, _) = probe().await;
    b.stop(genserver_core::ExitReason::Shutdown).await.unwrap();
    assert!(recorder.errors.lock().unwrap().is_empty());
}

mod supervision {
    use super::Recorder;
    use genserver_core::prelude::*;
    use genserver_core::{AnyServer, Strategy, Supervisor, SupervisorSpec};
    use std::time::Duration;
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::registry::Registry;

    #[derive(Clone)]
    pub(crate) struct Flaky {
        pub(crate) bomb: bool,
    }

    #[allow(non_upper_case_globals)]
    pub(crate) const Flaky: Flaky = Flaky { bomb: false };

    #[gen_server]
    impl Flaky {
        #[cast]
        pub(crate) fn crash(&self) {
            panic!("flaky crashed")
        }

        #[call]
        pub(crate) fn finish(&self, reason: ExitReason, ctx: &mut Context<Self>) {
            ctx.stop(reason);
        }

        #[call]
        pub fn explode_on_terminate(&mut self) {
            *self = Flaky { bomb: true };
        }

        fn handle_info(&mut self, _msg: Info<()>) {}

        fn terminate(&mut self, _reason: &ExitReason) {
            if self.bomb {
                panic!("terminate exploded");
            }
        }
    }

    async fn running(sup: &Server<Supervisor>) -> Server<Flaky> {
        loop {
            let children = sup.which_children().await.unwrap();
            if let Some(server) = children[0].server.clone().filter(AnyServer::is_alive) {
                return server.downcast().unwrap();
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    #[tokio::test]
    async fn crash_restart_and_intensity_reports_are_logged() {
        let recorder = Recorder::default();
        let _guard = tracing::subscriber::set_default(Registry::default().with(recorder.clone()));
        let spec = SupervisorSpec::new(Strategy::OneForOne)
            .child(Flaky::child_spec(Flaky))
            .intensity(1, Duration::from_secs(5));
        let sup = Supervisor::start(spec).await.unwrap();
        let first = running(&sup).await;
        first.crash();
        crate::common::gone(&first).await;
        let second = running(&sup).await;
        second.crash();
        crate::common::gone(&sup).await;
        let errors = recorder.errors.lock().unwrap().clone();
        // Each crash is reported once, by the server; the supervisor's own
        // error is the intensity report.
        let crashes = errors
            .iter()
            .filter(|e| e.contains("server crashed") && e.contains("flaky crashed"))
            .count();
        assert_eq!(crashes, 2, "{errors:?}");
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors
                .iter()
                .any(|e| e.contains("maximum restart intensity")),
            "{errors:?}"
        );
        let infos = recorder.infos.lock().unwrap().clone();
        assert!(
            infos.iter().any(|e| e.contains("child restarted")),
            "{infos:?}"
        );
    }

    #[tokio::test]
    async fn a_shutdown_through_a_link_logs_nothing() {
        let recorder = Recorder::default();
        let _guard = tracing::subscriber::set_default(Registry::default().with(recorder.clone()));
        let a = Flaky::start(Flaky).await.unwrap();
        let b = Flaky::start(Flaky).link(&a).await.unwrap();
        a.finish(ExitReason::Shutdown).await.unwrap();
        crate::common::gone(&b).await;
        assert!(recorder.errors.lock().unwrap().is_empty());
    }
}
