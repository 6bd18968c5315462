//! [`DynamicSupervisor`]: OTP's `DynamicSupervisor`. The explanation a
//! user needs is on the type, where rustdoc shows it.

use std::collections::HashSet;
use std::fmt;
use std::time::Duration;

use tokio::task::JoinSet;

use crate::chain::Chain;
use crate::supervision::child_spec::ChildSpec;
use crate::supervision::children::{Children, State};
use crate::supervision::{
    ChildCount, ChildInfo, ChildStartError, Intensity, IntensityLimit, report_exit, shut_down,
};
use crate::{AnyServer, CallError, Context, ExitReason, Info, ServerId, call, gen_server};

/// How a dynamic supervisor is set up.
#[derive(Clone, Copy, Debug, Default)]
pub struct DynamicSupervisorSpec {
    max_children: Option<usize>,
    intensity: IntensityLimit,
}

impl DynamicSupervisorSpec {
    /// No cap on children, at most 3 restarts in 5 s.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most `max` children at once.
    pub fn max_children(mut self, max: usize) -> Self {
        self.max_children = Some(max);
        self
    }

    /// At most `max_restarts` restarts within `period`.
    pub fn intensity(mut self, max_restarts: usize, period: Duration) -> Self {
        self.intensity = IntensityLimit {
            max_restarts,
            period,
        };
        self
    }
}

/// Why a dynamic supervisor's operation failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DynamicSupervisorError {
    /// `max_children` are running (or restarting) already.
    MaxChildren,
    /// The child did not start; why, with the child's own error.
    StartChild(ChildStartError),
    /// No child is this server.
    NotFound(ServerId),
    /// The supervisor did not answer: it is not running, or the call timed
    /// out (give a longer timeout with `supervisor.with_timeout(..)` when a
    /// child's start or shutdown takes longer than 5 s).
    Call(CallError),
}

impl From<CallError> for DynamicSupervisorError {
    fn from(error: CallError) -> Self {
        DynamicSupervisorError::Call(error)
    }
}

impl fmt::Display for DynamicSupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DynamicSupervisorError::MaxChildren => f.write_str("max_children are running"),
            DynamicSupervisorError::StartChild(_) => f.write_str("the child failed to start"),
            DynamicSupervisorError::NotFound(id) => write!(f, "{id} is not a child"),
            DynamicSupervisorError::Call(_) => f.write_str("the dynamic supervisor did not answer"),
        }
    }
}

impl DynamicSupervisorError {
    /// The child's own start error, if that is why `start_child` failed.
    pub fn start_error(&self) -> Option<&ChildStartError> {
        match self {
            DynamicSupervisorError::StartChild(error) => Some(error),
            _ => None,
        }
    }
}

impl std::error::Error for DynamicSupervisorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DynamicSupervisorError::StartChild(error) => Some(error),
            DynamicSupervisorError::Call(error) => Some(error),
            _ => None,
        }
    }
}

/// A dynamic supervisor (OTP's `DynamicSupervisor`): children started at
/// runtime, any number of them from the same kind of spec.
///
/// The classic use is one server per key, started on demand and found
/// again through a [`Registry`](crate::Registry):
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{DynamicSupervisor, DynamicSupervisorSpec, Keys, Registry};
///
/// pub struct Session {
///     user: String,
///     visits: u32,
/// }
///
/// #[gen_server]
/// impl Session {
///     fn init(user: String) -> Result<Self, String> {
///         Ok(Session { user, visits: 0 })
///     }
///
///     #[call]
///     pub fn visit(&mut self) -> u32 {
///         self.visits += 1;
///         self.visits
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let sessions: Registry<String> = Registry::new(Keys::Unique);
/// let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new().max_children(10_000)).await?;
///
/// // A handle by key that starts the user's session on its first message
/// // (race-free: two requests for a new user start one session).
/// let session = |user: &str| {
///     let name = user.to_string();
///     sessions.named_or_start(user.to_string(), &sup, move || Session::start(name.clone()))
/// };
/// assert_eq!(session("ada").visit().await?, 1);
/// assert_eq!(session("ada").visit().await?, 2);
/// assert_eq!(session("bob").visit().await?, 1);
/// assert_eq!(sup.count_children().await?.active, 2);
/// # Ok(())
/// # }
/// ```
///
/// Children are added with `start_child` while the supervisor runs, any
/// number of them with the same spec. Restarts are one for one, under the
/// same restart intensity as [`Supervisor`](crate::Supervisor) (3 in 5 s by
/// default). `max_children` caps how many run at once, counting children
/// whose restart is being retried. On shutdown, all children are stopped at
/// the same time. Every per-child operation costs O(log n).
///
/// # Choosing the restart intensity for per-key servers
///
/// The intensity counts the restarts of *all* children together. OTP's
/// default, 3 in 5 s, suits a few servers that depend on each other; with
/// one server per user or API key, four bad requests from four users
/// within 5 s end the supervisor, and every user's server with it. For
/// servers per key, pick one of these, or several:
///
/// - **Do not restart what is started on demand.** A child started on
///   the next request ([`Registry::get_or_start`](crate::Registry::get_or_start))
///   can be [`Restart::Temporary`](crate::Restart::Temporary): a crash
///   ends that key's server, and the next request starts a fresh one. No
///   restart, nothing counted.
/// - **Scale the intensity with the number of children**: allow as many
///   restarts in the period as you would tolerate independent failures,
///   such as `DynamicSupervisorSpec::new().intensity(100, Duration::from_secs(5))`
///   for ten thousand sessions, keeping the limit for a real crash loop.
/// - **Partition the supervisor**: a [`PartitionSupervisor`](crate::PartitionSupervisor)
///   of dynamic supervisors (Elixir's own advice) gives each partition its
///   own intensity, so a burst of failures resets one partition, not all.
/// - **Back off** children whose failures come from outside (a database, an
///   upstream API): [`ChildSpec::with_backoff`](crate::ChildSpec::with_backoff)
///   spreads their restarts over time instead of using the intensity up
///   in a moment.
#[derive(Debug)]
pub struct DynamicSupervisor {
    max_children: Option<usize>,
    intensity: Intensity,
    children: Children,
    /// Children it stopped itself, whose exit it ignores.
    stopping: HashSet<ServerId>,
}

/// A dynamic supervisor's own message: retry a failed restart.
#[derive(Debug, Clone)]
pub struct RetryPending(u64);

impl DynamicSupervisorClient {
    /// Starts a child from `spec`, linked to this supervisor; `Ok(None)` if
    /// its `init` asked to be ignored (nothing is kept).
    ///
    /// # Errors
    ///
    /// [`DynamicSupervisorError::MaxChildren`] when `max_children` run
    /// already; [`DynamicSupervisorError::StartChild`] with the child's own
    /// error when it did not start; [`DynamicSupervisorError::Call`] when
    /// the supervisor did not answer (it is not running, or the call timed
    /// out).
    pub async fn start_child(
        &self,
        spec: ChildSpec,
    ) -> Result<Option<AnyServer>, DynamicSupervisorError> {
        self.handle_start_child(spec).await?
    }

    /// Stops the child `server` (or ends the retries of a child restarting
    /// since `server` exited); it is not restarted.
    ///
    /// # Errors
    ///
    /// [`DynamicSupervisorError::NotFound`] when `server` is not a child;
    /// [`DynamicSupervisorError::Call`] when the supervisor did not answer.
    pub async fn terminate_child(&self, server: ServerId) -> Result<(), DynamicSupervisorError> {
        self.handle_terminate_child(server).await?
    }
}

#[gen_server(crate = crate, info = RetryPending)]
impl DynamicSupervisor {
    fn init(spec: DynamicSupervisorSpec, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.trap_exit(true);
        Ok(DynamicSupervisor {
            max_children: spec.max_children,
            intensity: Intensity::new(spec.intensity),
            children: Children::default(),
            stopping: HashSet::new(),
        })
    }

    #[call]
    async fn handle_start_child(
        &mut self,
        spec: ChildSpec,
        ctx: &mut Context<Self>,
    ) -> Result<Option<AnyServer>, DynamicSupervisorError> {
        if self
            .max_children
            .is_some_and(|max| self.children.len() >= max)
        {
            return Err(DynamicSupervisorError::MaxChildren);
        }
        let server = spec
            .start_linked(AnyServer::from(ctx.server()))
            .await
            .map_err(DynamicSupervisorError::StartChild)?;
        if let Some(server) = &server {
            self.children.push(spec, State::Running(server.clone()));
        }
        Ok(server)
    }

    #[call]
    async fn handle_terminate_child(
        &mut self,
        server: ServerId,
    ) -> Result<(), DynamicSupervisorError> {
        let seq = self
            .children
            .seq_of_server(server)
            .ok_or(DynamicSupervisorError::NotFound(server))?;
        let child = self.children.remove(seq).expect("indexed");
        if let State::Running(running) = &child.state {
            self.stopping.insert(running.id());
            shut_down(running, child.spec.shutdown).await;
        }
        Ok(())
    }

    /// Every child, oldest first: running, or restarting.
    ///
    /// # Errors
    ///
    /// A [`CallError`](crate::CallError) when the supervisor did not answer
    /// (it is not running, or the call timed out).
    #[call(pub)]
    fn which_children(&self) -> Vec<ChildInfo> {
        self.children.infos()
    }

    /// How many children, of which kind.
    ///
    /// # Errors
    ///
    /// A [`CallError`](crate::CallError) when the supervisor did not answer
    /// (it is not running, or the call timed out).
    #[call(pub)]
    fn count_children(&self) -> ChildCount {
        self.children.count()
    }

    async fn handle_info(&mut self, msg: Info<RetryPending>, ctx: &mut Context<Self>) {
        match msg {
            Info::Exit { from, reason } => self.child_exited(from, reason, ctx).await,
            Info::Message(RetryPending(seq)) => self.retry(seq, ctx).await,
            other => tracing::debug!(?other, "dynamic supervisor ignored a message"),
        }
    }

    /// Stops every child at the same time.
    async fn terminate(&mut self, _reason: &ExitReason) {
        self.stop_all().await;
    }
}

impl DynamicSupervisor {
    async fn child_exited(&mut self, from: ServerId, reason: ExitReason, ctx: &mut Context<Self>) {
        if self.stopping.remove(&from) {
            return;
        }
        let Some(seq) = self.children.seq_of_server(from) else {
            if !reason.is_normal() {
                ctx.stop(reason);
            }
            return;
        };
        let child = self.children.get(seq).expect("indexed");
        report_exit(&child.spec.id, from, &reason);
        if !child.spec.restart.restarts_after(&reason) {
            self.children.remove(seq);
            return;
        }
        // Named by the server that exited until a new one runs.
        self.children.set(seq, State::Restarting(Some(from)));
        match self.children.restart_delay(seq) {
            Duration::ZERO => self.retry(seq, ctx).await,
            delay => self.retry_after(seq, delay, ctx),
        }
    }

    fn retry_after(&self, seq: u64, delay: Duration, ctx: &mut Context<Self>) {
        if let Some(child) = self.children.get(seq) {
            tracing::info!(child = %child.spec.id, ?delay, "child restart backs off");
        }
        ctx.send_after(RetryPending(seq), delay);
    }

    /// A restart of child `seq`, which is restarting: after its exit, and
    /// again after each failed try. Each counts against the intensity.
    async fn retry(&mut self, seq: u64, ctx: &mut Context<Self>) {
        let Some(child) = self.children.get(seq) else {
            return; // terminated meanwhile
        };
        if !matches!(child.state, State::Restarting(_)) {
            return;
        }
        let id = child.spec.id.clone();
        if !self.intensity.allow(&id) {
            self.give_up(ctx).await;
            return;
        }
        self.restart(seq, ctx).await;
    }

    /// Starts child `seq` again; on failure it stays restarting and a retry
    /// is scheduled.
    async fn restart(&mut self, seq: u64, ctx: &mut Context<Self>) {
        let Some(child) = self.children.get(seq) else {
            return;
        };
        let id = child.spec.id.clone();
        match child.spec.start_linked(AnyServer::from(ctx.server())).await {
            Ok(Some(server)) => {
                tracing::info!(child = %id, server = %server.id(), "child restarted");
                self.children.set(seq, State::Running(server));
            }
            Ok(None) => {
                tracing::info!(child = %id, "child ignored its restart");
                self.children.remove(seq);
            }
            Err(error) => {
                tracing::error!(child = %id, error = %Chain(&error), "child failed to restart");
                match self.children.restart_delay(seq) {
                    Duration::ZERO => ctx.server().send(RetryPending(seq)),
                    delay => self.retry_after(seq, delay, ctx),
                }
            }
        }
    }

    async fn stop_all(&mut self) {
        let mut stopping = JoinSet::new();
        for child in self.children.drain() {
            if let State::Running(server) = child.state {
                self.stopping.insert(server.id());
                let shutdown = child.spec.shutdown;
                stopping.spawn(async move { shut_down(&server, shutdown).await });
            }
        }
        while stopping.join_next().await.is_some() {}
    }

    async fn give_up(&mut self, ctx: &mut Context<Self>) {
        self.stop_all().await;
        ctx.stop(ExitReason::Shutdown);
    }
}
