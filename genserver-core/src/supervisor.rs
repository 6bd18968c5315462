//! Supervisors: start children in order, restart them when they exit, stop
//! them in reverse order (OTP's `Supervisor`).
//!
//! # Strategies
//!
//! When a child exits and its [`Restart`] says it should come back:
//! [`Strategy::OneForOne`] restarts that child only;
//! [`Strategy::OneForAll`] stops all the others (in reverse start order)
//! and restarts all, in order; [`Strategy::RestForOne`] does that for the
//! child and those started after it.
//!
//! # Restart intensity
//!
//! At most `max_restarts` restarts within `period` (default 3 in 5 s, a
//! sliding window). One more, and the supervisor stops all its children and
//! exits with [`ExitReason::Shutdown`], so its own supervisor reacts.
//!
//! # Start and shutdown
//!
//! Children start one after another, each `init` finished before the next
//! starts; a child that fails to start stops those already started and
//! fails the supervisor's start with [`SupervisorError::StartChild`]. On
//! shutdown, children stop in reverse order: each is asked to stop (its
//! `terminate` runs), given its [`Shutdown`] time, then killed.
//!
//! # Calls
//!
//! `which_children`, `count_children`, `start_child`, `terminate_child`,
//! `restart_child` and `delete_child` wait for children to start or stop;
//! give them a longer timeout with `supervisor.with_timeout(..)` when a
//! child's start or shutdown can take longer than 5 s.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::time::Duration;

use tokio::time::Instant;

use crate::child_spec::{ChildKind, ChildSpec, Restart, report_exit, shut_down};
use crate::{AnyServer, Context, ExitReason, Info, ServerId, call, gen_server};

/// Which children restart when one exits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Strategy {
    /// Only the child that exited.
    #[default]
    OneForOne,
    /// Every child.
    OneForAll,
    /// The child that exited and those started after it.
    RestForOne,
}

/// How a supervisor is set up: strategy, restart intensity, children.
#[derive(Clone, Debug)]
pub struct SupervisorSpec {
    strategy: Strategy,
    intensity: IntensityLimit,
    children: Vec<ChildSpec>,
}

impl SupervisorSpec {
    /// No children yet, the given strategy, at most 3 restarts in 5 s.
    pub fn new(strategy: Strategy) -> Self {
        SupervisorSpec {
            strategy,
            intensity: IntensityLimit::default(),
            children: Vec::new(),
        }
    }

    /// Adds a child, started after those added before.
    pub fn child(mut self, child: ChildSpec) -> Self {
        self.children.push(child);
        self
    }

    /// Adds children, in order.
    pub fn children(mut self, children: impl IntoIterator<Item = ChildSpec>) -> Self {
        self.children.extend(children);
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

/// At most `max_restarts` restarts within `period`: OTP's restart
/// intensity, shared by both kinds of supervisor.
#[derive(Clone, Copy, Debug)]
pub(crate) struct IntensityLimit {
    pub(crate) max_restarts: usize,
    pub(crate) period: Duration,
}

impl Default for IntensityLimit {
    /// Elixir's default: 3 restarts in 5 s.
    fn default() -> Self {
        IntensityLimit {
            max_restarts: 3,
            period: Duration::from_secs(5),
        }
    }
}

/// What went wrong with a supervisor operation.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SupervisorError {
    /// The child with this id failed to start.
    StartChild {
        /// The child's id.
        id: String,
        /// Why it did not start.
        error: String,
    },
    /// A child with this id already exists.
    AlreadyPresent(String),
    /// No child has this id.
    NotFound(String),
    /// The child is running; stop it first.
    Running(String),
}

impl fmt::Display for SupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SupervisorError::StartChild { id, error } => {
                write!(f, "child {id:?} failed to start: {error}")
            }
            SupervisorError::AlreadyPresent(id) => write!(f, "a child {id:?} already exists"),
            SupervisorError::NotFound(id) => write!(f, "no child {id:?}"),
            SupervisorError::Running(id) => write!(f, "child {id:?} is running"),
        }
    }
}

impl std::error::Error for SupervisorError {}

/// One child, as `which_children` reports it.
#[derive(Clone, Debug)]
pub struct ChildInfo {
    /// The child's id.
    pub id: String,
    /// The running server, if any.
    pub server: Option<AnyServer>,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart type.
    pub restart: Restart,
}

/// Counts of a supervisor's children (`count_children`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ChildCount {
    /// Child specs, running or not.
    pub specs: usize,
    /// Running children.
    pub active: usize,
    /// Specs of supervisors.
    pub supervisors: usize,
    /// Specs of workers.
    pub workers: usize,
}

/// Restart intensity: restarts within a sliding window.
#[derive(Debug)]
pub(crate) struct Intensity {
    limit: IntensityLimit,
    restarts: VecDeque<Instant>,
}

impl Intensity {
    pub(crate) fn new(limit: IntensityLimit) -> Self {
        Intensity {
            limit,
            restarts: VecDeque::new(),
        }
    }

    /// Records a restart of `child`; `false` (and a report) when it is one
    /// too many.
    pub(crate) fn allow(&mut self, child: &str) -> bool {
        let now = Instant::now();
        self.restarts.push_back(now);
        while self
            .restarts
            .front()
            .is_some_and(|t| now.duration_since(*t) > self.limit.period)
        {
            self.restarts.pop_front();
        }
        let allowed = self.restarts.len() <= self.limit.max_restarts;
        if !allowed {
            tracing::error!(%child, "reached maximum restart intensity; shutting down");
        }
        allowed
    }
}

#[derive(Debug)]
struct Child {
    spec: ChildSpec,
    server: Option<AnyServer>,
}

/// A supervisor (OTP's `Supervisor`): start one with
/// `Supervisor::start(SupervisorSpec::new(strategy).child(..))`; nest one
/// under another with `Supervisor::child_spec(spec).id("name")`.
#[derive(Debug)]
pub struct Supervisor {
    strategy: Strategy,
    intensity: Intensity,
    children: Vec<Child>,
    /// Children this supervisor stopped itself, whose exit it ignores.
    stopping: HashSet<ServerId>,
}

/// A supervisor's own message: retry a child that failed to restart.
#[derive(Debug, Clone)]
pub struct RetryRestart(String);

#[gen_server(crate = crate, info = RetryRestart)]
impl Supervisor {
    async fn init(spec: SupervisorSpec, ctx: &mut Context<Self>) -> Result<Self, SupervisorError> {
        ctx.trap_exit(true);
        let me = AnyServer::from(ctx.server());
        let mut supervisor = Supervisor {
            strategy: spec.strategy,
            intensity: Intensity::new(spec.intensity),
            children: Vec::new(),
            stopping: HashSet::new(),
        };
        for spec in spec.children {
            if supervisor.children.iter().any(|c| c.spec.id == spec.id) {
                supervisor.stop_all().await;
                return Err(SupervisorError::AlreadyPresent(spec.id));
            }
            match spec.start_linked(me.clone()).await {
                // An ignored child keeps its spec, with nothing running.
                Ok(server) => supervisor.children.push(Child { spec, server }),
                Err(error) => {
                    tracing::error!(child = %spec.id, %error, "child failed to start");
                    supervisor.stop_all().await;
                    return Err(SupervisorError::StartChild { id: spec.id, error });
                }
            }
        }
        Ok(supervisor)
    }

    /// Every child, in start order.
    #[call]
    pub fn which_children(&self) -> Vec<ChildInfo> {
        self.children
            .iter()
            .map(|c| ChildInfo {
                id: c.spec.id.clone(),
                server: c.server.clone(),
                kind: c.spec.kind,
                restart: c.spec.restart,
            })
            .collect()
    }

    /// How many children, of which kind, how many running.
    #[call]
    pub fn count_children(&self) -> ChildCount {
        let mut count = ChildCount {
            specs: self.children.len(),
            ..ChildCount::default()
        };
        for child in &self.children {
            count.active += usize::from(child.server.is_some());
            match child.spec.kind {
                ChildKind::Worker => count.workers += 1,
                ChildKind::Supervisor => count.supervisors += 1,
            }
        }
        count
    }

    /// Adds a child after the others and starts it; `Ok(None)` if its
    /// `init` asked to be ignored (the spec is kept).
    #[call]
    pub async fn start_child(
        &mut self,
        spec: ChildSpec,
        ctx: &mut Context<Self>,
    ) -> Result<Option<AnyServer>, SupervisorError> {
        if self.children.iter().any(|c| c.spec.id == spec.id) {
            return Err(SupervisorError::AlreadyPresent(spec.id));
        }
        let server = spec
            .start_linked(AnyServer::from(ctx.server()))
            .await
            .map_err(|error| SupervisorError::StartChild {
                id: spec.id.clone(),
                error,
            })?;
        self.children.push(Child {
            spec,
            server: server.clone(),
        });
        Ok(server)
    }

    /// Stops a child and keeps its spec (a temporary child's is dropped).
    #[call]
    pub async fn terminate_child(&mut self, id: String) -> Result<(), SupervisorError> {
        let index = self.index(&id)?;
        self.stop_child(index).await;
        if self.children[index].spec.restart == Restart::Temporary {
            self.children.remove(index);
        }
        Ok(())
    }

    /// Starts a stopped child again from its spec; `Ok(None)` if its `init`
    /// asked to be ignored.
    #[call]
    pub async fn restart_child(
        &mut self,
        id: String,
        ctx: &mut Context<Self>,
    ) -> Result<Option<AnyServer>, SupervisorError> {
        let index = self.index(&id)?;
        if self.children[index].server.is_some() {
            return Err(SupervisorError::Running(id));
        }
        let me = AnyServer::from(ctx.server());
        let server = self.children[index]
            .spec
            .start_linked(me)
            .await
            .map_err(|error| SupervisorError::StartChild { id, error })?;
        self.children[index].server = server.clone();
        Ok(server)
    }

    /// Forgets a stopped child's spec.
    #[call]
    pub fn delete_child(&mut self, id: String) -> Result<(), SupervisorError> {
        let index = self.index(&id)?;
        if self.children[index].server.is_some() {
            return Err(SupervisorError::Running(id));
        }
        self.children.remove(index);
        Ok(())
    }

    async fn handle_info(&mut self, msg: Info<RetryRestart>, ctx: &mut Context<Self>) {
        match msg {
            Info::Exit { from, reason } => self.child_exited(from, reason, ctx).await,
            Info::Message(RetryRestart(id)) => {
                if let Ok(index) = self.index(&id)
                    && self.children[index].server.is_none()
                {
                    self.restart_from(index, ctx).await;
                }
            }
            other => tracing::debug!(?other, "supervisor ignored a message"),
        }
    }

    async fn terminate(&mut self, _reason: &ExitReason) {
        self.stop_all().await;
    }
}

impl Supervisor {
    fn index(&self, id: &str) -> Result<usize, SupervisorError> {
        self.children
            .iter()
            .position(|c| c.spec.id == id)
            .ok_or_else(|| SupervisorError::NotFound(id.to_string()))
    }

    async fn stop_child(&mut self, index: usize) {
        let child = &mut self.children[index];
        if let Some(server) = child.server.take() {
            self.stopping.insert(server.id());
            shut_down(&server, child.spec.shutdown).await;
        }
    }

    /// Stops every running child, in reverse start order.
    async fn stop_all(&mut self) {
        for index in (0..self.children.len()).rev() {
            self.stop_child(index).await;
        }
    }

    async fn child_exited(&mut self, from: ServerId, reason: ExitReason, ctx: &mut Context<Self>) {
        if self.stopping.remove(&from) {
            return;
        }
        let Some(index) = self
            .children
            .iter()
            .position(|c| c.server.as_ref().is_some_and(|s| s.id() == from))
        else {
            // Not a child: the parent (or another link). Trapping, OTP's
            // supervisor exits with the parent's reason.
            if !reason.is_normal() {
                ctx.stop(reason);
            }
            return;
        };
        let child = &mut self.children[index];
        child.server = None;
        let id = child.spec.id.clone();
        report_exit(&id, from, &reason);
        if !child.spec.restart.restarts_after(&reason) {
            if child.spec.restart == Restart::Temporary {
                self.children.remove(index);
            }
            return;
        }
        if !self.intensity.allow(&id) {
            self.stop_all().await;
            ctx.stop(ExitReason::Shutdown);
            return;
        }
        // The children this exit concerns, in start order.
        let affected = match self.strategy {
            Strategy::OneForOne => index..index + 1,
            Strategy::OneForAll => 0..self.children.len(),
            Strategy::RestForOne => index..self.children.len(),
        };
        // Stop the running siblings among them, last started first, and
        // remember which to bring back: temporary ones stay down.
        let mut again = vec![id];
        for other in affected.rev() {
            if other == index || self.children[other].server.is_none() {
                continue;
            }
            self.stop_child(other).await;
            if self.children[other].spec.restart != Restart::Temporary {
                again.push(self.children[other].spec.id.clone());
            }
        }
        self.children.retain(|c| {
            c.server.is_some() || c.spec.restart != Restart::Temporary || again.contains(&c.spec.id)
        });
        // Restart in start order.
        let mut order: Vec<usize> = again.iter().filter_map(|id| self.index(id).ok()).collect();
        order.sort_unstable();
        for index in order {
            if !self.restart_one(index, ctx).await {
                return;
            }
        }
    }

    /// Retries child `index` and, for the strategies that take siblings,
    /// the stopped ones after it.
    async fn restart_from(&mut self, index: usize, ctx: &mut Context<Self>) {
        let last = match self.strategy {
            Strategy::OneForOne => index,
            _ => self.children.len() - 1,
        };
        for i in index..=last {
            if self.children[i].server.is_none() && !self.restart_one(i, ctx).await {
                return;
            }
        }
    }

    /// Starts child `index` again; on failure schedules a retry, counted
    /// against the intensity. `false` if it did not start.
    async fn restart_one(&mut self, index: usize, ctx: &mut Context<Self>) -> bool {
        let me = AnyServer::from(ctx.server());
        let id = self.children[index].spec.id.clone();
        match self.children[index].spec.start_linked(me).await {
            Ok(Some(server)) => {
                tracing::info!(child = %id, server = %server.id(), "child restarted");
                self.children[index].server = Some(server);
                true
            }
            Ok(None) => {
                tracing::info!(child = %id, "child ignored its restart");
                true
            }
            Err(error) => {
                tracing::error!(child = %id, %error, "child failed to restart");
                if self.intensity.allow(&id) {
                    ctx.server().send(RetryRestart(id));
                } else {
                    self.stop_all().await;
                    ctx.stop(ExitReason::Shutdown);
                }
                false
            }
        }
    }
}
