//! [`Supervisor`]: OTP's `Supervisor`. The explanation a user needs is on
//! the type, where rustdoc shows it.

use std::collections::HashSet;
use std::fmt;

use crate::chain::Chain;
use crate::supervision::child_spec::{ChildSpec, Restart};
use crate::supervision::children::{Children, State};
use crate::supervision::supervisor_spec::{Strategy, SupervisorSpec};
use crate::supervision::{ChildCount, ChildInfo, ChildStartError, Intensity, shut_down};
use crate::{AnyServer, CallError, Context, ExitReason, Info, ServerId, call, gen_server};

/// What went wrong with a supervisor operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SupervisorError {
    /// The child with this id failed to start.
    StartChild {
        /// The child's id.
        id: String,
        /// Why it did not start.
        error: ChildStartError,
    },
    /// A child with this id already exists.
    AlreadyPresent(String),
    /// No child has this id.
    NotFound(String),
    /// The child is running; stop it first.
    Running(String),
    /// The child's restart is being retried; stop it first with `terminate_child`.
    Restarting(String),
    /// The supervisor did not answer: it is not running, or the call timed
    /// out (give a longer timeout with `supervisor.with_timeout(..)` when a
    /// child's start or shutdown takes longer than 5 s).
    Call(CallError),
}

impl From<CallError> for SupervisorError {
    fn from(error: CallError) -> Self {
        SupervisorError::Call(error)
    }
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorError::StartChild { id, .. } => write!(f, "child {id:?} failed to start"),
            SupervisorError::AlreadyPresent(id) => write!(f, "a child {id:?} already exists"),
            SupervisorError::NotFound(id) => write!(f, "no child {id:?}"),
            SupervisorError::Running(id) => write!(f, "child {id:?} is running"),
            SupervisorError::Restarting(id) => write!(f, "child {id:?} is restarting"),
            SupervisorError::Call(_) => f.write_str("the supervisor did not answer"),
        }
    }
}

impl std::error::Error for SupervisorError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SupervisorError::StartChild { error, .. } => Some(error),
            SupervisorError::Call(error) => Some(error),
            _ => None,
        }
    }
}

/// A supervisor (OTP's `Supervisor`): starts children in order, restarts
/// them when they exit, stops them in reverse order. Start one with
/// `Supervisor::start(SupervisorSpec::new(strategy).child(..))`; nest one
/// under another with `Supervisor::child_spec(spec).with_id("name")`.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{Strategy, Supervisor, SupervisorSpec};
/// use std::time::Duration;
///
/// pub struct Cache {
///     hits: u64,
/// }
///
/// #[gen_server]
/// impl Cache {
///     fn init(_: ()) -> Result<Self, String> {
///         Ok(Cache { hits: 0 })
///     }
///
///     #[call]
///     pub fn hit(&mut self) -> u64 {
///         self.hits += 1;
///         self.hits
///     }
///
///     #[cast]
///     pub fn crash(&self) {
///         panic!("cache corrupted")
///     }
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let spec = SupervisorSpec::new(Strategy::OneForOne)
///     .child(Cache::child_spec(()).with_id("cache"))
///     .intensity(3, Duration::from_secs(5));
/// let sup = Supervisor::start(spec).await?;
///
/// let cache = |sup: Server<Supervisor>| async move {
///     let children = sup.which_children().await.unwrap();
///     children[0].server.as_ref().and_then(|s| s.downcast::<Cache>())
/// };
/// let first = cache(sup.clone()).await.unwrap();
/// assert_eq!(first.hit().await?, 1);
///
/// first.crash(); // a panic ends this server only
/// first.exited().await;
/// // The supervisor started a fresh one (with a fresh state): `first` is
/// // stale now, so look the child up again (or start it under a name).
/// let second = loop {
///     match cache(sup.clone()).await {
///         Some(s) if s.id() != first.id() => break s,
///         _ => tokio::task::yield_now().await,
///     }
/// };
/// assert_eq!(second.hit().await?, 1);
/// sup.stop(ExitReason::Shutdown).await?; // children stop first, last started first
/// # Ok(())
/// # }
/// ```
///
/// # Strategies
///
/// When a child exits and its [`Restart`] says it should come back:
/// [`Strategy::OneForOne`] restarts that child only;
/// [`Strategy::OneForAll`] stops all the others (in reverse start order)
/// and restarts all, in order; [`Strategy::RestForOne`] does that for the
/// child and those started after it.
///
/// # Restart intensity
///
/// At most `max_restarts` restarts within `period` (default 3 in 5 s, a
/// sliding window). One more, and the supervisor stops all its children and
/// exits with [`ExitReason::Shutdown`], so its own supervisor reacts.
///
/// # Start and shutdown
///
/// Children start one after another, each `init` finished before the next
/// starts; a child that fails to start stops those already started and
/// fails the supervisor's start with [`SupervisorError::StartChild`]. On
/// shutdown, children stop in reverse order: each is asked to stop (its
/// `terminate` runs), given its [`Shutdown`](crate::Shutdown) time, then killed.
///
/// # A child that keeps failing to restart
///
/// A child whose restart fails is *restarting*: it is listed by
/// `which_children` with [`ChildStatus::Restarting`](crate::ChildStatus),
/// counted by `count_children`, and retried, each try counting against the
/// intensity. `delete_child` refuses it with [`SupervisorError::Restarting`];
/// `terminate_child` stops the retries. Under `OneForAll`, the siblings
/// restarted before the failure are stopped again and the whole group is
/// retried; under `RestForOne`, they keep running, and the failed child and
/// those after it are retried, as OTP's supervisor does.
///
/// # Cost
///
/// Children are kept in start order with indexes by id and by server:
/// starting, restarting and stopping a child costs O(log n), so 100 000
/// children start and stop in time linear in their number.
///
/// # Calls
///
/// `which_children`, `count_children`, `start_child`, `terminate_child`,
/// `restart_child` and `delete_child` wait for children to start or stop;
/// give them a longer timeout with `supervisor.with_timeout(..)` when a
/// child's start or shutdown can take longer than 5 s.
#[derive(Debug)]
pub struct Supervisor {
    pub(super) strategy: Strategy,
    pub(super) intensity: Intensity,
    pub(super) children: Children,
    /// Children this supervisor stopped itself, whose exit it ignores.
    pub(super) stopping: HashSet<ServerId>,
}

/// A supervisor's own message: retry a child whose restart failed.
#[derive(Debug, Clone)]
pub struct RetryRestart(pub(super) u64);

#[gen_server(crate = crate, info = RetryRestart)]
impl Supervisor {
    async fn init(spec: SupervisorSpec, ctx: &mut Context<Self>) -> Result<Self, SupervisorError> {
        ctx.trap_exit(true);
        let me = AnyServer::from(ctx.server());
        let mut supervisor = Supervisor {
            strategy: spec.strategy,
            intensity: Intensity::new(spec.intensity),
            children: Children::with_ids(),
            stopping: HashSet::new(),
        };
        for spec in spec.children {
            if supervisor.children.contains_id(&spec.id) {
                supervisor.stop_all().await;
                return Err(SupervisorError::AlreadyPresent(spec.id));
            }
            match spec.start_linked(me.clone()).await {
                Ok(server) => supervisor.keep(spec, server),
                Err(error) => {
                    tracing::error!(child = %spec.id, error = %Chain(&error), "child failed to start");
                    supervisor.stop_all().await;
                    return Err(SupervisorError::StartChild { id: spec.id, error });
                }
            }
        }
        Ok(supervisor)
    }

    /// Every child, in start order.
    ///
    /// # Errors
    ///
    /// A [`CallError`](crate::CallError) when the supervisor did not answer
    /// (it is not running, or the call timed out).
    #[call(pub)]
    fn which_children(&self) -> Vec<ChildInfo> {
        self.children.infos()
    }

    /// How many children, of which kind, how many running.
    ///
    /// # Errors
    ///
    /// A [`CallError`](crate::CallError) when the supervisor did not answer
    /// (it is not running, or the call timed out).
    #[call(pub)]
    fn count_children(&self) -> ChildCount {
        self.children.count()
    }

    #[call]
    async fn handle_start_child(
        &mut self,
        spec: ChildSpec,
        ctx: &mut Context<Self>,
    ) -> Result<Option<AnyServer>, SupervisorError> {
        if self.children.contains_id(&spec.id) {
            return Err(SupervisorError::AlreadyPresent(spec.id));
        }
        let server = spec
            .start_linked(AnyServer::from(ctx.server()))
            .await
            .map_err(|error| SupervisorError::StartChild {
                id: spec.id.clone(),
                error,
            })?;
        self.keep(spec, server.clone());
        Ok(server)
    }

    #[call]
    async fn handle_terminate_child(&mut self, id: String) -> Result<(), SupervisorError> {
        let seq = self.seq(&id)?;
        self.stop_child(seq).await;
        if self
            .children
            .get(seq)
            .is_some_and(|c| c.spec.restart == Restart::Temporary)
        {
            self.children.remove(seq);
        }
        Ok(())
    }

    #[call]
    async fn handle_restart_child(
        &mut self,
        id: String,
        ctx: &mut Context<Self>,
    ) -> Result<Option<AnyServer>, SupervisorError> {
        let seq = self.seq(&id)?;
        let child = self.children.get(seq).expect("found by id");
        match child.state {
            State::Running(_) => return Err(SupervisorError::Running(id)),
            State::Restarting(_) => return Err(SupervisorError::Restarting(id)),
            State::Stopped => {}
        }
        let me = AnyServer::from(ctx.server());
        let server = child
            .spec
            .start_linked(me)
            .await
            .map_err(|error| SupervisorError::StartChild { id, error })?;
        if let Some(server) = &server {
            self.children.set(seq, State::Running(server.clone()));
        }
        Ok(server)
    }

    #[call]
    fn handle_delete_child(&mut self, id: String) -> Result<(), SupervisorError> {
        let seq = self.seq(&id)?;
        match self.children.get(seq).expect("found by id").state {
            State::Running(_) => Err(SupervisorError::Running(id)),
            State::Restarting(_) => Err(SupervisorError::Restarting(id)),
            State::Stopped => {
                self.children.remove(seq);
                Ok(())
            }
        }
    }

    async fn handle_info(&mut self, msg: Info<RetryRestart>, ctx: &mut Context<Self>) {
        match msg {
            Info::Exit { from, reason } => self.child_exited(from, reason, ctx).await,
            Info::Message(RetryRestart(seq)) => self.retry(seq, ctx).await,
            other => tracing::debug!(?other, "supervisor ignored a message"),
        }
    }

    async fn terminate(&mut self, _reason: &ExitReason) {
        self.stop_all().await;
    }
}

impl SupervisorClient {
    /// Adds a child after the others and starts it; `Ok(None)` if its
    /// `init` asked to be ignored (the spec is kept, unless the child is
    /// temporary).
    ///
    /// # Errors
    ///
    /// [`SupervisorError::AlreadyPresent`] when a child has its id;
    /// [`SupervisorError::StartChild`] with the child's own error when it
    /// did not start; [`SupervisorError::Call`] when the supervisor did not
    /// answer (it is not running, or the call timed out).
    pub async fn start_child(&self, spec: ChildSpec) -> Result<Option<AnyServer>, SupervisorError> {
        self.handle_start_child(spec).await?
    }

    /// Stops a child and keeps its spec (a temporary child's is dropped).
    /// A restarting child stops being retried.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::NotFound`] when no child has the id;
    /// [`SupervisorError::Call`] when the supervisor did not answer.
    pub async fn terminate_child(&self, id: impl Into<String>) -> Result<(), SupervisorError> {
        self.handle_terminate_child(id.into()).await?
    }

    /// Starts a stopped child again from its spec; `Ok(None)` if its `init`
    /// asked to be ignored.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::NotFound`], [`SupervisorError::Running`] or
    /// [`SupervisorError::Restarting`] when the child is not a stopped one;
    /// [`SupervisorError::StartChild`] when it did not start;
    /// [`SupervisorError::Call`] when the supervisor did not answer.
    pub async fn restart_child(
        &self,
        id: impl Into<String>,
    ) -> Result<Option<AnyServer>, SupervisorError> {
        self.handle_restart_child(id.into()).await?
    }

    /// Forgets a stopped child's spec.
    ///
    /// # Errors
    ///
    /// [`SupervisorError::NotFound`], [`SupervisorError::Running`] or
    /// [`SupervisorError::Restarting`] when the child is not a stopped one;
    /// [`SupervisorError::Call`] when the supervisor did not answer.
    pub async fn delete_child(&self, id: impl Into<String>) -> Result<(), SupervisorError> {
        self.handle_delete_child(id.into()).await?
    }
}

impl Supervisor {
    fn seq(&self, id: &str) -> Result<u64, SupervisorError> {
        self.children
            .seq_of_id(id)
            .ok_or_else(|| SupervisorError::NotFound(id.to_string()))
    }

    /// Keeps a child that was just started, or ignored (OTP keeps the spec
    /// of an ignored child, unless it is temporary).
    fn keep(&mut self, spec: ChildSpec, server: Option<AnyServer>) {
        match server {
            Some(server) => {
                self.children.push(spec, State::Running(server));
            }
            None if spec.restart == Restart::Temporary => {}
            None => {
                self.children.push(spec, State::Stopped);
            }
        }
    }

    /// Stops child `seq` if it runs; it ends up stopped either way.
    pub(super) async fn stop_child(&mut self, seq: u64) {
        let Some(child) = self.children.get(seq) else {
            return;
        };
        let shutdown = child.spec.shutdown;
        let server = child.server().cloned();
        self.children.set(seq, State::Stopped);
        if let Some(server) = server {
            self.stopping.insert(server.id());
            shut_down(&server, shutdown).await;
        }
    }

    /// Stops every child, in reverse start order.
    pub(super) async fn stop_all(&mut self) {
        let seqs: Vec<u64> = self.children.iter().rev().map(|(seq, _)| seq).collect();
        for seq in seqs {
            self.stop_child(seq).await;
        }
    }
}
