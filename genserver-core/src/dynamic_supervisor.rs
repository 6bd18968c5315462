//! Supervisors of children started at runtime (OTP's `DynamicSupervisor`).
//!
//! Children are added with `start_child` while the supervisor runs, any
//! number of them with the same spec. Restarts are one for one, under the
//! same restart intensity as [`Supervisor`](crate::Supervisor) (3 in 5 s by
//! default). `max_children` caps how many run at once. On shutdown, all
//! children are stopped at the same time.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::time::Duration;

use crate::child_spec::{ChildKind, ChildSpec, report_exit, shut_down};
use crate::supervisor::{ChildCount, ChildInfo, Intensity, IntensityLimit};
use crate::{AnyServer, Context, ExitReason, Info, ServerId, call, gen_server};

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

/// Why `start_child` failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DynamicSupervisorError {
    /// `max_children` are running already.
    MaxChildren,
    /// The child did not start.
    StartChild(String),
    /// No child is this server.
    NotFound(ServerId),
}

impl fmt::Display for DynamicSupervisorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DynamicSupervisorError::MaxChildren => f.write_str("max_children are running"),
            DynamicSupervisorError::StartChild(error) => {
                write!(f, "child failed to start: {error}")
            }
            DynamicSupervisorError::NotFound(id) => write!(f, "{id} is not a child"),
        }
    }
}

impl std::error::Error for DynamicSupervisorError {}

#[derive(Debug)]
struct Child {
    spec: ChildSpec,
    server: AnyServer,
}

/// A dynamic supervisor: `DynamicSupervisor::start(DynamicSupervisorSpec::new())`.
#[derive(Debug)]
pub struct DynamicSupervisor {
    max_children: Option<usize>,
    intensity: Intensity,
    children: Vec<Child>,
    /// Children it stopped itself, whose exit it ignores.
    stopping: HashSet<ServerId>,
    /// Children whose restart failed, to try again.
    retry: VecDeque<ChildSpec>,
}

/// A dynamic supervisor's own message: retry a failed restart.
#[derive(Debug, Clone)]
pub struct RetryPending(());

#[gen_server(crate = crate, info = RetryPending)]
impl DynamicSupervisor {
    fn init(spec: DynamicSupervisorSpec, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.trap_exit(true);
        Ok(DynamicSupervisor {
            max_children: spec.max_children,
            intensity: Intensity::new(spec.intensity),
            children: Vec::new(),
            stopping: HashSet::new(),
            retry: VecDeque::new(),
        })
    }

    /// Starts a child from `spec`, linked to this supervisor; `Ok(None)` if
    /// its `init` asked to be ignored (nothing is kept).
    #[call]
    pub async fn start_child(
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
            self.children.push(Child {
                spec,
                server: server.clone(),
            });
        }
        Ok(server)
    }

    /// Stops the child `server`; it is not restarted.
    #[call]
    pub async fn terminate_child(
        &mut self,
        server: ServerId,
    ) -> Result<(), DynamicSupervisorError> {
        let index = self
            .children
            .iter()
            .position(|c| c.server.id() == server)
            .ok_or(DynamicSupervisorError::NotFound(server))?;
        let child = self.children.remove(index);
        self.stopping.insert(server);
        shut_down(&child.server, child.spec.shutdown).await;
        Ok(())
    }

    /// Every running child, oldest first.
    #[call]
    pub fn which_children(&self) -> Vec<ChildInfo> {
        self.children
            .iter()
            .map(|c| ChildInfo {
                id: c.spec.id.clone(),
                server: Some(c.server.clone()),
                kind: c.spec.kind,
                restart: c.spec.restart,
            })
            .collect()
    }

    /// How many children, of which kind.
    #[call]
    pub fn count_children(&self) -> ChildCount {
        let supervisors = self
            .children
            .iter()
            .filter(|c| c.spec.kind == ChildKind::Supervisor)
            .count();
        ChildCount {
            specs: self.children.len(),
            active: self.children.len(),
            supervisors,
            workers: self.children.len() - supervisors,
        }
    }

    async fn handle_info(&mut self, msg: Info<RetryPending>, ctx: &mut Context<Self>) {
        match msg {
            Info::Exit { from, reason } => self.child_exited(from, reason, ctx).await,
            Info::Message(RetryPending(())) => {
                if let Some(spec) = self.retry.pop_front() {
                    self.restart(spec, ctx).await;
                }
            }
            other => tracing::debug!(?other, "dynamic supervisor ignored a message"),
        }
    }

    /// Stops every child at the same time.
    async fn terminate(&mut self, _reason: &ExitReason) {
        let mut stopping = Vec::new();
        for child in self.children.drain(..) {
            stopping.push(tokio::spawn(async move {
                shut_down(&child.server, child.spec.shutdown).await;
            }));
        }
        for task in stopping {
            let _ = task.await;
        }
    }
}

impl DynamicSupervisor {
    async fn child_exited(&mut self, from: ServerId, reason: ExitReason, ctx: &mut Context<Self>) {
        if self.stopping.remove(&from) {
            return;
        }
        let Some(index) = self.children.iter().position(|c| c.server.id() == from) else {
            if !reason.is_normal() {
                ctx.stop(reason);
            }
            return;
        };
        let child = self.children.remove(index);
        report_exit(&child.spec.id, from, &reason);
        if child.spec.restart.restarts_after(&reason) {
            self.restart(child.spec, ctx).await;
        }
    }

    async fn restart(&mut self, spec: ChildSpec, ctx: &mut Context<Self>) {
        if !self.intensity.allow(&spec.id) {
            ctx.stop(ExitReason::Shutdown);
            return;
        }
        match spec.start_linked(AnyServer::from(ctx.server())).await {
            Ok(Some(server)) => {
                tracing::info!(child = %spec.id, server = %server.id(), "child restarted");
                self.children.push(Child { spec, server });
            }
            Ok(None) => tracing::info!(child = %spec.id, "child ignored its restart"),
            Err(error) => {
                tracing::error!(child = %spec.id, %error, "child failed to restart");
                self.retry.push_back(spec);
                ctx.server().send(RetryPending(()));
            }
        }
    }
}
