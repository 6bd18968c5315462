//! [`TestKit`]: servers started for one test and stopped after it
//! (ExUnit's `start_supervised!`), failing the test on a crash it did not
//! expect.
//!
//! ```text
//!  kit.start(A), kit.start(B) ──▶ the test ──▶ kit.finish().await      stop B, then A; check
//!                                    │
//!                                    └─ panics / returns ──▶ Drop     multi-thread runtime: the same;
//!                                                                     current-thread: kill B, then A; check
//! ```

use std::fmt::{self, Write as _};
use std::future::IntoFuture;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::runtime::{Handle, RuntimeFlavor};

use crate::chain::Chain;
use crate::exit_reason::ExitReason;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::error::StartError;
use crate::server::gen_server::GenServer;
use crate::testing::hook::TestHook;
use crate::testing::probe::Probe;

/// How long [`TestKit`] lets each server stop before it kills it.
pub const DEFAULT_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// Servers started for one test, stopped when it ends, in reverse start
/// order, even when it fails (ExUnit's `start_supervised!`). The test
/// fails if one of them crashed and the test did not say it would
/// ([`expect_crash`](Self::expect_crash)); the failure shows the crash
/// report: the server, the handler, the reason and where it panicked.
///
/// End the test with [`finish`](Self::finish): it stops the servers
/// (each gets `terminate`, within [`DEFAULT_STOP_TIMEOUT`], then is
/// killed) and checks them. When the test panics or returns without it,
/// the kit's `Drop` does the same on a multi-threaded runtime; on a
/// current-thread runtime (`#[tokio::test]`'s default, and the one
/// `start_paused` needs) `Drop` cannot wait for anything, so it kills
/// them in reverse order, without `terminate`, and checks them.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::testing::TestKit;
///
/// pub struct Counter(u64);
///
/// #[gen_server]
/// impl Counter {
///     #[call]
///     pub fn bump(&mut self) -> u64 {
///         self.0 += 1;
///         self.0
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let kit = TestKit::new();
/// let counter = kit.start(Counter::start(Counter(0))).await;
/// assert_eq!(counter.bump().await?, 1);
/// kit.finish().await; // stops `counter`; fails if it had crashed
/// assert!(!counter.is_alive());
/// # Ok(())
/// # }
/// ```
pub struct TestKit {
    state: Mutex<State>,
}

struct State {
    watched: Vec<Watched>,
    stop_timeout: Duration,
    finished: bool,
}

struct Watched {
    server: AnyServer,
    hook: Arc<TestHook>,
    expect_crash: bool,
    /// Killed by the kit after it did not stop within this.
    stuck: Option<Duration>,
}

impl Default for TestKit {
    fn default() -> Self {
        Self::new()
    }
}

impl TestKit {
    /// A kit with nothing started yet. Installs
    /// [`install_panic_hook`](crate::install_panic_hook), so a server's
    /// panic is reported once, by the kit, with its location.
    pub fn new() -> Self {
        crate::install_panic_hook();
        TestKit {
            state: Mutex::new(State {
                watched: Vec::new(),
                stop_timeout: DEFAULT_STOP_TIMEOUT,
                finished: false,
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How long each server may take to stop before it is killed
    /// (default [`DEFAULT_STOP_TIMEOUT`]).
    pub fn stop_timeout(self, timeout: Duration) -> Self {
        self.state().stop_timeout = timeout;
        self
    }

    /// Starts a server for this test: awaits `start` (`T::start(..)`,
    /// `Supervisor::start(..)`, with any option set) and watches the
    /// server.
    ///
    /// # Panics
    ///
    /// If the server did not start, with the reason (as `start_supervised!`).
    #[track_caller]
    pub fn start<T, S>(&self, start: S) -> impl Future<Output = Server<T>> + Send + '_
    where
        T: GenServer,
        S: IntoFuture<Output = Result<Server<T>, StartError<T>>>,
        S::IntoFuture: Send + 'static,
    {
        let started = start.into_future();
        let at = std::panic::Location::caller();
        async move {
            match started.await {
                Ok(server) => {
                    self.watch(&server);
                    server
                }
                Err(error) => panic!(
                    "TestKit::start at {at}: {} did not start: {}",
                    T::NAME,
                    Chain(&error)
                ),
            }
        }
    }

    /// Like [`start`](Self::start), handing a failed start back.
    ///
    /// # Errors
    ///
    /// The start's [`StartError`].
    pub async fn try_start<T, S>(&self, start: S) -> Result<Server<T>, StartError<T>>
    where
        T: GenServer,
        S: IntoFuture<Output = Result<Server<T>, StartError<T>>>,
    {
        let server = start.await?;
        self.watch(&server);
        Ok(server)
    }

    /// Starts a [`Probe`] for this test.
    pub async fn probe<M: fmt::Debug + Send + 'static>(&self) -> Probe<M> {
        let probe = Probe::start().await;
        self.watch(&probe);
        probe
    }

    /// Watches a server started otherwise (a mock's, a supervisor's
    /// child): it is stopped with the others, in the order it was
    /// watched, and its crash fails the test.
    pub fn watch(&self, server: impl Into<AnyServer>) {
        let server = server.into();
        let hook = TestHook::on(&server);
        let mut state = self.state();
        if state.watched.iter().all(|w| w.server != server) {
            state.watched.push(Watched {
                server,
                hook,
                expect_crash: false,
                stuck: None,
            });
        }
    }

    /// Says the test expects `server` to crash (or to exit abnormally):
    /// its exit does not fail the test. Watches it if it was not.
    pub fn expect_crash(&self, server: impl Into<AnyServer>) {
        let server = server.into();
        self.watch(&server);
        for watched in &mut self.state().watched {
            if watched.server == server {
                watched.expect_crash = true;
            }
        }
    }

    /// Ends the test: stops the servers in reverse start order (each gets
    /// `terminate`, within the stop timeout, then is killed), then fails
    /// the test if one of them crashed unexpectedly, showing its crash
    /// report.
    ///
    /// # Panics
    ///
    /// On an unexpected crash, with the reports.
    pub async fn finish(self) {
        self.stop_all().await;
        self.check(false);
    }

    /// The servers to stop, latest first; marks the kit finished.
    fn take_servers(&self) -> (Vec<AnyServer>, Duration) {
        let mut state = self.state();
        state.finished = true;
        let servers = state
            .watched
            .iter()
            .rev()
            .map(|w| w.server.clone())
            .collect();
        (servers, state.stop_timeout)
    }

    async fn stop_all(&self) {
        let (servers, timeout) = self.take_servers();
        for server in servers {
            if server.is_alive() {
                server.shutdown(ExitReason::Shutdown, Some(timeout)).await;
                if server.exit_reason() == Some(ExitReason::Killed) {
                    let mut state = self.state();
                    if let Some(watched) = state.watched.iter_mut().find(|w| w.server == server) {
                        watched.stuck = Some(timeout);
                    }
                }
            }
        }
    }

    /// Kills the servers in reverse start order, at once: what `Drop` can
    /// do where it cannot wait. They exit as the runtime runs (or drops)
    /// their tasks.
    fn kill_all(&self) {
        let (servers, _) = self.take_servers();
        for server in servers {
            server.process().kill(ExitReason::Shutdown);
        }
    }

    /// The crash reports of the servers that crashed unexpectedly.
    fn failures(&self) -> Vec<String> {
        let state = self.state();
        state
            .watched
            .iter()
            .filter(|w| !w.expect_crash)
            .filter_map(|w| {
                let reason = w.server.exit_reason()?;
                reason.is_abnormal().then(|| report(w, &reason))
            })
            .collect()
    }

    fn check(&self, panicking: bool) {
        let failures = self.failures();
        if failures.is_empty() {
            return;
        }
        let mut text = format!(
            "TestKit: {} server(s) crashed or did not stop, and the test did not expect it (TestKit::expect_crash):\n",
            failures.len()
        );
        for failure in &failures {
            let _ = writeln!(text, "  {failure}");
        }
        if panicking {
            // A second panic would abort the test binary: tell, and let
            // the first one fail the test.
            eprintln!("{text}");
        } else {
            panic!("{text}");
        }
    }
}

/// One crash, as its crash report tells it.
fn report(watched: &Watched, reason: &ExitReason) -> String {
    let server = &watched.server;
    if let Some(timeout) = watched.stuck {
        return format!(
            "{}({}) did not stop within {timeout:?} (stuck in terminate?): killed",
            server.type_name(),
            server.id()
        );
    }
    match watched.hook.crash() {
        Some(crash) => {
            let at = crash
                .location
                .map(|l| format!(" at {l}"))
                .unwrap_or_default();
            format!(
                "{}({}) crashed in {}{at}: {}",
                crash.server, crash.id, crash.handler, crash.reason
            )
        }
        None => format!("{}({}) exited: {reason}", server.type_name(), server.id()),
    }
}

impl Drop for TestKit {
    fn drop(&mut self) {
        if self.state().finished {
            return;
        }
        let panicking = std::thread::panicking();
        match Handle::try_current() {
            Ok(runtime) if runtime.runtime_flavor() == RuntimeFlavor::MultiThread => {
                // Bounded: each server is killed after the stop timeout.
                tokio::task::block_in_place(|| runtime.block_on(self.stop_all()));
            }
            _ => self.kill_all(),
        }
        self.check(panicking);
    }
}

impl fmt::Debug for TestKit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("TestKit")
            .field(
                "servers",
                &state.watched.iter().map(|w| &w.server).collect::<Vec<_>>(),
            )
            .field("finished", &state.finished)
            .finish()
    }
}
