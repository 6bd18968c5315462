//! docs/behaviour.md, "Application": a supervision tree run as the
//! program. Its own test binary: one test sends the process SIGINT and
//! SIGTERM, which the application catches.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{Log, within};
use genserver_core::prelude::*;
use genserver_core::{Application, Exit};
use genserver_core::{ChildSpec, Shutdown, Strategy, SupervisorSpec};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// Logs `start:<id>` and `stop:<id>`; can crash or hang in `terminate`.
pub struct Part {
    id: &'static str,
    log: Log,
    hang_on_stop: bool,
}

#[gen_server]
impl Part {
    fn init(id: &'static str, log: Log, hang_on_stop: bool) -> Result<Self, String> {
        log.push(format!("start:{id}"));
        Ok(Part {
            id,
            log,
            hang_on_stop,
        })
    }

    #[cast]
    pub fn crash(&self) {
        panic!("{} crashed", self.id)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}

    async fn terminate(&mut self, _reason: &ExitReason) {
        if self.hang_on_stop {
            std::future::pending::<()>().await;
        }
        self.log.push(format!("stop:{}", self.id));
    }
}

fn part(id: &'static str, log: &Log) -> ChildSpec {
    let log = log.clone();
    ChildSpec::new(id, move || Part::start(id, log.clone(), false)).with_id(id)
}

fn tree(log: &Log) -> SupervisorSpec {
    SupervisorSpec::new(Strategy::OneForOne)
        .child(part("a", log))
        .child(part("b", log))
        .child(part("c", log))
}

/// Everything `tracing` writes on this thread while `f` runs.
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

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

#[tokio::test]
async fn the_shutdown_signal_stops_the_tree_in_reverse_start_order() {
    let log = Log::default();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let app = Application::new("ordered", tree(&log))
        .shutdown_on(async {
            let _ = stopped.await;
        })
        .start()
        .await
        .unwrap();
    assert_eq!(app.root().count_children().await.unwrap().active, 3);
    stop.send(()).unwrap();
    let exit = within(LIMIT, "the application stops", app.wait()).await;
    assert_eq!(exit, Exit::Stopped);
    assert!(exit.is_success());
    assert_eq!(
        log.entries(),
        [
            "start:a", "start:b", "start:c", "stop:c", "stop:b", "stop:a"
        ]
    );
}

/// All signal cases in one test: every application listening to signals
/// in this process gets each one.
#[tokio::test]
async fn ctrl_c_and_sigterm_stop_the_application_and_a_second_ctrl_c_kills_it() {
    let kill = |signal: &str| {
        let status = std::process::Command::new("kill")
            .args([signal, &std::process::id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    };
    for signal in ["-INT", "-TERM"] {
        let log = Log::default();
        let app = Application::new("signalled", tree(&log))
            .start()
            .await
            .unwrap();
        // The handlers are in place once `start` returns.
        kill(signal);
        let exit = within(LIMIT, "the signal stops the application", app.wait()).await;
        assert_eq!(exit, Exit::Stopped, "after {signal}");
        assert!(
            log.contains("stop:a"),
            "the tree was stopped: {:?}",
            log.entries()
        );
    }

    // A tree that hangs in `terminate`: the second ctrl-c kills it.
    let log = Log::default();
    let hanging = {
        let log = log.clone();
        ChildSpec::new("hangs", move || Part::start("hangs", log.clone(), true))
    };
    let app = Application::new(
        "stuck",
        SupervisorSpec::new(Strategy::OneForOne).child(hanging),
    )
    .shutdown_timeout(Duration::from_secs(60))
    .start()
    .await
    .unwrap();
    let root = app.root().clone();
    let stopping = app.stopping();
    let waiting = tokio::spawn(app.wait());
    kill("-INT");
    // Once `stopping` completes, the second listener is in place (same
    // thread, same poll).
    within(LIMIT, "the first signal starts the shutdown", stopping).await;
    kill("-INT");
    let exit = within(LIMIT, "the second signal kills the tree", waiting)
        .await
        .unwrap();
    assert_eq!(exit, Exit::Killed);
    assert!(!exit.is_success());
    assert!(!root.is_alive());
}

#[tokio::test]
async fn a_root_that_gives_up_ends_the_application_with_failure_and_a_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let log = Log::default();
    let spec = tree(&log).intensity(0, Duration::from_secs(5));
    let app = Application::new("fragile", spec)
        .shutdown_on(std::future::pending())
        .start()
        .await
        .unwrap();
    let stopping = app.stopping();
    let b = app.root().which_children().await.unwrap()[1]
        .server
        .clone()
        .unwrap()
        .downcast::<Part>()
        .unwrap();
    b.crash();
    let exit = within(LIMIT, "the application ends", app.wait()).await;
    assert_eq!(exit, Exit::RootExited(ExitReason::Shutdown));
    assert!(!exit.is_success());
    within(LIMIT, "stopping() completes", stopping).await;
    let text = captured.text();
    assert!(
        text.contains("ERROR")
            && text.contains("application=fragile")
            && text.contains("the root supervisor exited"),
        "log: {text}"
    );
}

#[tokio::test]
async fn a_tree_that_fails_to_start_is_a_failed_run() {
    pub struct Refuses;
    #[gen_server]
    impl Refuses {
        fn init(_: ()) -> Result<Self, String> {
            Err("no database".into())
        }
        fn handle_info(&mut self, _msg: Info<()>) {}
    }
    let spec = SupervisorSpec::new(Strategy::OneForOne).child(Refuses::child_spec(()));
    let exit = within(
        LIMIT,
        "the run ends",
        Application::new("broken", spec)
            .shutdown_on(std::future::pending())
            .run(),
    )
    .await;
    // Readable: the child and its error, not a `Debug` dump.
    match &exit {
        Exit::StartFailed(error) => assert_eq!(
            error,
            "the application did not start: child \"Refuses\" failed to start: init failed: no database"
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!exit.is_success());
}

#[tokio::test(start_paused = true)]
async fn a_tree_that_does_not_stop_in_time_is_killed() {
    let log = Log::default();
    let hanging = {
        let log = log.clone();
        ChildSpec::new("hangs", move || Part::start("hangs", log.clone(), true))
            .with_shutdown(Shutdown::Infinity)
    };
    let app = Application::new(
        "stuck",
        SupervisorSpec::new(Strategy::OneForOne).child(hanging),
    )
    .shutdown_on(std::future::ready(()))
    .shutdown_timeout(Duration::from_secs(2))
    .start()
    .await
    .unwrap();
    let root = app.root().clone();
    let exit = within(Duration::from_secs(60), "the application ends", app.wait()).await;
    assert_eq!(exit, Exit::ShutdownTimedOut);
    assert!(!root.is_alive());
}

#[tokio::test]
async fn stop_ends_the_application_as_the_signal_would() {
    let log = Log::default();
    let app = Application::new("stopped", tree(&log))
        .shutdown_on(std::future::pending())
        .start()
        .await
        .unwrap();
    let exit = within(LIMIT, "stop returns", app.stop()).await;
    assert_eq!(exit, Exit::Stopped);
    assert!(log.contains("stop:a"));
}
