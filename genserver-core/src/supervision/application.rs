//! [`Application`]: a supervision tree run as the program. The explanation
//! a user needs is on the type, where rustdoc shows it.
//!
//! ```text
//!  start ──▶ running ──┬─ ctrl-c / SIGTERM / shutdown_on ─▶ tree stopped in order ─▶ Exit::Stopped
//!                      ├─ the root exits by itself ──────▶ logged ─▶ Exit::RootExited (non-zero)
//!                      ├─ the tree outlasts shutdown_timeout ─▶ killed ─▶ Exit::ShutdownTimedOut
//!                      └─ a second ctrl-c while it stops ────▶ killed ─▶ Exit::Killed
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::process::{ExitCode, Termination};
use std::time::Duration;

use tokio::sync::watch;

use crate::chain::Chain;
use crate::exit_reason::ExitReason;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::error::StartError;
use crate::supervision::supervisor::Supervisor;
use crate::supervision::supervisor_spec::SupervisorSpec;

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// A supervision tree run as the program (OTP's application): start the
/// root supervisor, run until told to stop, stop the tree in order, and
/// say how it ended as the process's exit status.
///
/// - **ctrl-c** (and SIGTERM on Unix) shuts the tree down in order: every
///   supervisor stops its children in reverse start order, each
///   `terminate` runs. The program then exits with status 0.
/// - **The root gives up** (its children restarted too often) or exits by
///   itself for any reason but [`ExitReason::Normal`]: an error is logged
///   through `tracing`, naming the reason, and the program exits with a
///   non-zero status. Nothing keeps serving on a dead tree.
/// - A tree that takes longer than the shutdown timeout (30 s by default)
///   to stop is killed, and the exit status is non-zero; so is one that a
///   second ctrl-c interrupts.
///
/// Return what [`run`](Self::run) gives from `main`: [`Exit`] is a
/// [`Termination`].
///
/// Signals need the crate's `signal` feature (on by default) and a runtime
/// with its I/O driver (`#[tokio::main]` has it). Without the feature, the
/// application stops through [`shutdown_on`](Self::shutdown_on),
/// [`Running::stop`] or its root's exit.
///
/// ```no_run
/// use genserver_core::prelude::*;
/// use genserver_core::{ChildSpec, Strategy, SupervisorSpec};
/// use genserver_core::{Application, Exit};
///
/// pub struct Cache;
///
/// #[gen_server]
/// impl Cache {
///     #[call]
///     pub fn get(&self) -> u64 {
///         42
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// #[tokio::main]
/// async fn main() -> Exit {
///     let tree = SupervisorSpec::new(Strategy::OneForOne)
///         .child(ChildSpec::new("cache", || Cache::start(Cache).name("cache")));
///     Application::new("my_app", tree).run().await
/// }
/// ```
///
/// [`start`](Self::start) gives the running application, to reach the
/// root supervisor or to stop other work (an HTTP server's graceful
/// shutdown) with [`Running::stopping`]:
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{ChildSpec, Strategy, SupervisorSpec};
/// use genserver_core::{Application, Exit};
///
/// # pub struct Cache;
/// # #[gen_server]
/// # impl Cache {
/// #     #[call]
/// #     pub fn get(&self) -> u64 { 42 }
/// #     fn handle_info(&mut self, _msg: Info<()>) {}
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let tree = SupervisorSpec::new(Strategy::OneForOne)
///     .child(ChildSpec::new("cache", || Cache::start(Cache)));
/// let app = Application::new("my_app", tree)
///     .shutdown_on(async { stopped.await.unwrap_or(()) })
///     .start()
///     .await?;
/// assert_eq!(app.root().count_children().await?.active, 1);
///
/// let http = tokio::spawn({
///     let stopping = app.stopping();
///     async move { stopping.await } // e.g. axum's `with_graceful_shutdown`
/// });
/// stop.send(()).unwrap();
/// let exit = app.wait().await;
/// assert_eq!(exit, Exit::Stopped);
/// http.await?;
/// # Ok(())
/// # }
/// ```
pub struct Application {
    name: String,
    spec: SupervisorSpec,
    signal: Option<Signal>,
    shutdown_timeout: Duration,
}

impl Application {
    /// An application named `name` (in logs) whose root supervisor is
    /// started from `spec`, stopped by ctrl-c or SIGTERM.
    pub fn new(name: impl Into<String>, spec: SupervisorSpec) -> Self {
        Application {
            name: name.into(),
            spec,
            signal: None,
            shutdown_timeout: Duration::from_secs(30),
        }
    }

    /// Stops the application when `signal` completes, instead of on
    /// ctrl-c or SIGTERM.
    pub fn shutdown_on(mut self, signal: impl Future<Output = ()> + Send + 'static) -> Self {
        self.signal = Some(Box::pin(signal));
        self
    }

    /// How long the tree may take to stop before it is killed (30 s by
    /// default).
    pub fn shutdown_timeout(mut self, limit: Duration) -> Self {
        self.shutdown_timeout = limit;
        self
    }

    /// Starts the root supervisor and, through it, the whole tree, in
    /// order. A failed start is the root's start error.
    ///
    /// Installs [`install_panic_hook`](crate::install_panic_hook): a panic
    /// inside a server or its tasks is reported once, by its crash report
    /// through `tracing`, not again by Rust's panic hook; every other panic
    /// goes to the hook installed before.
    ///
    /// # Errors
    ///
    /// [`ApplicationError::Start`] when the root supervisor did not start
    /// (its source names the child and its error);
    /// [`ApplicationError::Signal`] when ctrl-c and SIGTERM cannot be
    /// listened to.
    pub async fn start(self) -> Result<Running, ApplicationError> {
        // A server's panic is reported once, by its crash report.
        crate::install_panic_hook();
        // Listen before the tree starts, so no signal is missed.
        let os_signals = self.signal.is_none();
        let signal = match self.signal {
            Some(signal) => signal,
            None => os_signal()?,
        };
        let root = Supervisor::start(self.spec)
            .await
            .map_err(ApplicationError::Start)?;
        tracing::info!(application = %self.name, root = %root.id(), "application started");
        let (stopping, _) = watch::channel(false);
        Ok(Running {
            name: self.name,
            root,
            signal,
            os_signals,
            stopping,
            shutdown_timeout: self.shutdown_timeout,
        })
    }

    /// Starts the application and runs it until it stops: what `main`
    /// returns. A start failure is logged and gives [`Exit::StartFailed`].
    pub async fn run(self) -> Exit {
        let name = self.name.clone();
        match self.start().await {
            Ok(running) => running.wait().await,
            Err(error) => {
                let error = Chain(&error).to_string();
                tracing::error!(application = %name, %error, "application failed to start");
                Exit::StartFailed(error)
            }
        }
    }
}

impl fmt::Debug for Application {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Application")
            .field("name", &self.name)
            .field("spec", &self.spec)
            .field("shutdown_timeout", &self.shutdown_timeout)
            .finish_non_exhaustive()
    }
}

/// ctrl-c, or SIGTERM on Unix; registered at once.
#[cfg(feature = "signal")]
fn os_signal() -> Result<Signal, ApplicationError> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let listen = |kind| signal(kind).map_err(ApplicationError::Signal);
        let mut interrupt = listen(SignalKind::interrupt())?;
        let mut terminate = listen(SignalKind::terminate())?;
        Ok(Box::pin(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        }))
    }
    #[cfg(not(unix))]
    {
        Ok(Box::pin(async {
            let _ = tokio::signal::ctrl_c().await;
        }))
    }
}

/// Without the `signal` feature the application stops only through
/// `shutdown_on`, `Running::stop` or its root's exit.
#[cfg(not(feature = "signal"))]
fn os_signal() -> Result<Signal, ApplicationError> {
    Ok(Box::pin(std::future::pending()))
}

/// A started [`Application`]: wait for its end with [`wait`](Self::wait).
pub struct Running {
    name: String,
    root: Server<Supervisor>,
    signal: Signal,
    /// Whether `signal` is ctrl-c / SIGTERM: a second one then kills.
    os_signals: bool,
    stopping: watch::Sender<bool>,
    shutdown_timeout: Duration,
}

impl Running {
    /// The root supervisor.
    pub fn root(&self) -> &Server<Supervisor> {
        &self.root
    }

    /// Completes when the application begins to stop, whatever the cause:
    /// hand it to work outside the tree that should stop with it (an HTTP
    /// server's graceful shutdown).
    pub fn stopping(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut stopping = self.stopping.subscribe();
        async move {
            // An error means the application is gone: stopping too.
            let _ = stopping.wait_for(|stopping| *stopping).await;
        }
    }

    /// Runs until the shutdown signal or the root's own exit, then stops
    /// the tree and says how it ended.
    pub async fn wait(mut self) -> Exit {
        let exited = tokio::select! {
            () = &mut self.signal => None,
            () = self.root.exited() => Some(()),
        };
        self.stopping.send_replace(true);
        match exited {
            None => {
                // A second ctrl-c while the tree stops kills it, as users
                // of command-line programs expect.
                let second = match self.os_signals {
                    true => os_signal().ok(),
                    false => None,
                };
                self.shut_down(second).await
            }
            Some(()) => self.root_exited(),
        }
    }

    /// Stops the tree now, as the shutdown signal would.
    pub async fn stop(self) -> Exit {
        self.stopping.send_replace(true);
        self.shut_down(None).await
    }

    async fn shut_down(self, second: Option<Signal>) -> Exit {
        tracing::info!(application = %self.name, "application stopping");
        let root = AnyServer::from(&self.root);
        let orderly = async {
            let shutdown = root.shutdown(ExitReason::Shutdown, None);
            match second {
                Some(second) => tokio::select! {
                    () = shutdown => true,
                    () = second => false,
                },
                None => {
                    shutdown.await;
                    true
                }
            }
        };
        let stopped = tokio::time::timeout(self.shutdown_timeout, orderly).await;
        let forced = match stopped {
            Ok(true) => None,
            Ok(false) => Some(Exit::Killed),
            Err(_) => Some(Exit::ShutdownTimedOut),
        };
        if let Some(exit) = forced {
            tracing::error!(
                application = %self.name,
                limit = ?self.shutdown_timeout,
                "the tree did not stop ({exit}): killed"
            );
            root.kill();
            root.exited().await;
            return exit;
        }
        match self.root.handle().process().reason() {
            Some(ExitReason::Shutdown | ExitReason::Normal) | None => {
                tracing::info!(application = %self.name, "application stopped");
                Exit::Stopped
            }
            // The root was already on its way out for another reason.
            Some(reason) => self.report_root_exit(reason),
        }
    }

    fn root_exited(self) -> Exit {
        match self.root.handle().process().reason() {
            Some(ExitReason::Normal) => {
                tracing::info!(application = %self.name, "application stopped");
                Exit::Stopped
            }
            reason => self.report_root_exit(reason.unwrap_or(ExitReason::NoProc)),
        }
    }

    fn report_root_exit(&self, reason: ExitReason) -> Exit {
        tracing::error!(
            application = %self.name,
            %reason,
            "the root supervisor exited (it gave up after too many restarts, or was stopped); the application stops"
        );
        Exit::RootExited(reason)
    }
}

impl fmt::Debug for Running {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Running")
            .field("name", &self.name)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// Why an [`Application`] did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum ApplicationError {
    /// The root supervisor did not start: a child failed (the error names it).
    Start(StartError<Supervisor>),
    /// The operating system refused a signal handler.
    Signal(std::io::Error),
}

impl fmt::Display for ApplicationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApplicationError::Start(_) => f.write_str("the application did not start"),
            ApplicationError::Signal(_) => f.write_str("no signal handler"),
        }
    }
}

impl std::error::Error for ApplicationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // The root supervisor's own error names the child and its error.
            ApplicationError::Start(StartError::Init(error)) => Some(error),
            ApplicationError::Start(error) => Some(error),
            ApplicationError::Signal(error) => Some(error),
        }
    }
}

/// How an [`Application`] ended; return it from `main` for the exit
/// status (0 only for [`Exit::Stopped`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
#[non_exhaustive]
pub enum Exit {
    /// Stopped on request (a signal, [`Running::stop`]) or by a normal
    /// exit of the root: status 0.
    Stopped,
    /// The root supervisor exited by itself with this reason (it gave up,
    /// with [`ExitReason::Shutdown`], after too many restarts): status 1.
    RootExited(ExitReason),
    /// The root supervisor failed to start: status 1.
    StartFailed(String),
    /// The tree did not stop within the shutdown timeout and was killed:
    /// status 1.
    ShutdownTimedOut,
    /// A second ctrl-c (or SIGTERM) came while the tree stopped, and
    /// killed it: status 1.
    Killed,
}

impl Exit {
    /// Whether the application ended as asked.
    pub fn is_success(&self) -> bool {
        *self == Exit::Stopped
    }

    /// The process exit status: success for [`Exit::Stopped`], failure
    /// otherwise.
    pub fn exit_code(&self) -> ExitCode {
        if self.is_success() {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

impl Termination for Exit {
    fn report(self) -> ExitCode {
        self.exit_code()
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Stopped => f.write_str("stopped"),
            Exit::RootExited(reason) => write!(f, "the root supervisor exited: {reason}"),
            Exit::StartFailed(error) => write!(f, "failed to start: {error}"),
            Exit::ShutdownTimedOut => f.write_str("the tree did not stop in time"),
            Exit::Killed => f.write_str("killed by a second signal while stopping"),
        }
    }
}
