//! What a supervisor needs to know to start, restart and stop a child.

use std::any::TypeId;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::naming::Name;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::gen_server::GenServer;
use crate::server::mailbox::Mailbox;
use crate::server::start::Start;
use crate::supervision::ChildStartError;
use crate::supervision::backoff::Backoff;
use crate::{DynamicSupervisor, Supervisor, TaskSupervisor};

/// When a child is restarted after it exits.
///
/// Exhaustive on purpose, as OTP's three restart types are a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Restart {
    /// Always (the default).
    #[default]
    Permanent,
    /// Only after an abnormal exit: not after `Normal` or a shutdown.
    Transient,
    /// Never; its spec is forgotten once it exits.
    Temporary,
}

impl Restart {
    /// Whether a child of this restart type comes back after exiting with
    /// `reason`.
    pub fn restarts_after(self, reason: &crate::ExitReason) -> bool {
        match self {
            Restart::Permanent => true,
            Restart::Transient => reason.is_abnormal(),
            Restart::Temporary => false,
        }
    }
}

/// How a child is stopped when its supervisor shuts it down.
///
/// Exhaustive on purpose, as OTP's three shutdown forms (a timeout,
/// `:brutal_kill`, `:infinity`) are a closed set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Shutdown {
    /// Ask it to stop (its `terminate` runs), wait this long, then kill it.
    /// 5 s is the default for workers.
    Timeout(Duration),
    /// Kill it at once, without `terminate`.
    BrutalKill,
    /// Ask it to stop and wait as long as it takes; the default for
    /// supervisors, which stop their own children first.
    Infinity,
}

/// Whether a child is a worker or a supervisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum ChildKind {
    /// A server doing work.
    Worker,
    /// A supervisor of its own children.
    Supervisor,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
/// Starts the child linked to the given parent, with what the spec sets on
/// every start: `Ok(None)` when its `init` asked to be ignored.
type StartFn = dyn Fn(AnyServer, &Overrides) -> BoxFuture<Result<Option<AnyServer>, ChildStartError>>
    + Send
    + Sync;

/// What a spec sets on every start of its child, over what its start
/// function sets.
#[derive(Clone, Default)]
pub(crate) struct Overrides {
    mailbox: Option<Mailbox>,
    name: Option<Name>,
}

/// How to start a child and what to do when it exits (OTP's child spec).
///
/// `#[gen_server]` writes `T::child_spec(args)` for every server, whose id
/// is the type's name; [`ChildSpec::new`] takes any function returning a
/// [`Start`], for names and other start options.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{ChildSpec, Restart, Shutdown};
/// use std::time::Duration;
///
/// #[derive(Clone)]
/// pub struct Counter {
///     value: i64,
/// }
///
/// #[gen_server]
/// impl Counter {
///     #[call]
///     pub fn value(&self) -> i64 {
///         self.value
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// let by_type = Counter::child_spec(Counter { value: 0 });
/// assert_eq!(by_type.id(), "Counter");
/// assert_eq!(by_type.restart(), Restart::Permanent);
///
/// let named = ChildSpec::new("counter", || Counter::start(Counter { value: 0 }).name("counter"))
///     .with_restart(Restart::Transient)
///     .with_shutdown(Shutdown::Timeout(Duration::from_secs(1)));
/// assert_eq!(named.id(), "counter");
/// assert_eq!(named.restart(), Restart::Transient);
/// assert_eq!(named.shutdown(), Shutdown::Timeout(Duration::from_secs(1)));
/// ```
#[derive(Clone)]
pub struct ChildSpec {
    pub(crate) id: String,
    pub(crate) start: Arc<StartFn>,
    pub(crate) restart: Restart,
    pub(crate) shutdown: Shutdown,
    pub(crate) kind: ChildKind,
    pub(crate) overrides: Overrides,
    pub(crate) backoff: Option<Backoff>,
}

impl ChildSpec {
    /// A permanent child, started (and restarted) by
    /// awaiting what `start` returns, linked to its supervisor before its
    /// `init` runs. A worker gets a 5 s shutdown; a [`Supervisor`],
    /// [`DynamicSupervisor`] or [`TaskSupervisor`] is of kind
    /// [`ChildKind::Supervisor`] with an unlimited one.
    pub fn new<T, F>(id: impl Into<String>, start: F) -> Self
    where
        T: GenServer,
        F: Fn() -> Start<T> + Send + Sync + 'static,
    {
        Self::new_then(id, start, |_: &Server<T>| {})
    }

    /// [`new`](Self::new), running `started` on each start's new server
    /// before the supervisor goes on.
    pub(crate) fn new_then<T, F, G>(id: impl Into<String>, start: F, started: G) -> Self
    where
        T: GenServer,
        F: Fn() -> Start<T> + Send + Sync + 'static,
        G: Fn(&Server<T>) + Send + Sync + 'static,
    {
        Self::new_guarded(id, || Ok(()), start, started)
    }

    /// [`new_then`](Self::new_then), refusing each start for which `check`
    /// fails, before anything is started.
    pub(crate) fn new_guarded<T, C, F, G>(
        id: impl Into<String>,
        check: C,
        start: F,
        started: G,
    ) -> Self
    where
        T: GenServer,
        C: Fn() -> Result<(), ChildStartError> + Send + Sync + 'static,
        F: Fn() -> Start<T> + Send + Sync + 'static,
        G: Fn(&Server<T>) + Send + Sync + 'static,
    {
        let supervisor = [
            TypeId::of::<Supervisor>(),
            TypeId::of::<DynamicSupervisor>(),
            TypeId::of::<TaskSupervisor>(),
        ]
        .contains(&TypeId::of::<T>());
        let started = Arc::new(started);
        ChildSpec {
            id: id.into(),
            start: Arc::new(move |parent, overrides: &Overrides| {
                if let Err(refused) = check() {
                    return Box::pin(std::future::ready(Err(refused)));
                }
                let mut start = start().link(parent);
                if let Some(mailbox) = overrides.mailbox {
                    start = start.mailbox(mailbox);
                }
                if let Some(name) = &overrides.name {
                    start = start.name(name.clone());
                }
                let started = started.clone();
                Box::pin(async move {
                    match start.await {
                        Ok(server) => {
                            started(&server);
                            Ok(Some(AnyServer::from(&server)))
                        }
                        Err(err) => ChildStartError::from_start(err).map_or(Ok(None), Err),
                    }
                })
            }),
            restart: Restart::Permanent,
            shutdown: if supervisor {
                Shutdown::Infinity
            } else {
                Shutdown::Timeout(Duration::from_secs(5))
            },
            kind: if supervisor {
                ChildKind::Supervisor
            } else {
                ChildKind::Worker
            },
            overrides: Overrides::default(),
            backoff: None,
        }
    }

    /// The same spec with another id, unique among its supervisor's
    /// children.
    pub fn with_id(mut self, id: impl Into<String>) -> Self {
        self.id = id.into();
        self
    }

    /// The same spec with another restart type: when to restart the child.
    pub fn with_restart(mut self, restart: Restart) -> Self {
        self.restart = restart;
        self
    }

    /// The same spec with another way to stop the child.
    pub fn with_shutdown(mut self, shutdown: Shutdown) -> Self {
        self.shutdown = shutdown;
        self
    }

    /// The same spec, marking the child a worker or a supervisor (a
    /// supervisor also gets an unlimited shutdown).
    pub fn with_kind(mut self, kind: ChildKind) -> Self {
        if kind == ChildKind::Supervisor && self.kind == ChildKind::Worker {
            self.shutdown = Shutdown::Infinity;
        }
        self.kind = kind;
        self
    }

    /// The same spec with the child's mailbox, overriding what its start
    /// function sets (see [`Mailbox`]); it applies to every restart.
    pub fn with_mailbox(mut self, mailbox: Mailbox) -> Self {
        self.overrides.mailbox = Some(mailbox);
        self
    }

    /// The same spec, starting the child under `name` (a local name, or a
    /// registry key with `registry.via(key)`), on every start and restart,
    /// over a name its start function sets:
    /// `Cache::child_spec(1024).with_name("cache")` needs no closure of its
    /// own. The id stays the spec's; give two children of one type ids of
    /// their own with [`with_id`](Self::with_id).
    ///
    /// ```
    /// use genserver_core::prelude::*;
    /// use genserver_core::{Named, Strategy, Supervisor, SupervisorSpec};
    ///
    /// pub struct Cache {
    ///     size: usize,
    /// }
    ///
    /// #[gen_server]
    /// impl Cache {
    ///     fn init(size: usize) -> Result<Self, String> {
    ///         Ok(Cache { size })
    ///     }
    ///
    ///     #[call]
    ///     pub fn size(&self) -> usize {
    ///         self.size
    ///     }
    ///
    ///     fn handle_info(&mut self, _msg: Info<()>) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let tree = Supervisor::start(
    ///     SupervisorSpec::new(Strategy::OneForOne)
    ///         .child(Cache::child_spec(1024).with_name("hot").with_id("hot"))
    ///         .child(Cache::child_spec(64).with_name("cold").with_id("cold")),
    /// )
    /// .await?;
    /// let hot: Named<Cache> = Named::new("hot");
    /// assert_eq!(hot.size().await?, 1024);
    /// # tree.stop(ExitReason::Shutdown).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_name(mut self, name: impl Into<Name>) -> Self {
        self.overrides.name = Some(name.into());
        self
    }

    /// The same spec, waiting before each restart, longer for each restart
    /// in a row (see [`Backoff`]); without it, the child restarts at once,
    /// as in OTP.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = Some(backoff);
        self
    }

    /// The child's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    #[doc(hidden)]
    #[deprecated(since = "0.1.0", note = "renamed to `id`")]
    pub fn child_id(&self) -> &str {
        self.id()
    }

    /// When the child is restarted ([`Restart::Permanent`] unless
    /// [`with_restart`](Self::with_restart) says otherwise).
    pub fn restart(&self) -> Restart {
        self.restart
    }

    /// How the child is stopped.
    pub fn shutdown(&self) -> Shutdown {
        self.shutdown
    }

    /// Whether the child is a worker or a supervisor.
    pub fn kind(&self) -> ChildKind {
        self.kind
    }

    /// The mailbox the spec sets on every start, if it sets one (its start
    /// function's otherwise).
    pub fn mailbox(&self) -> Option<Mailbox> {
        self.overrides.mailbox
    }

    /// The name the spec starts the child under, if it sets one.
    pub fn name(&self) -> Option<&Name> {
        self.overrides.name.as_ref()
    }

    /// The wait before each restart, if any.
    pub fn backoff(&self) -> Option<Backoff> {
        self.backoff
    }

    pub(crate) async fn start_linked(
        &self,
        parent: AnyServer,
    ) -> Result<Option<AnyServer>, ChildStartError> {
        (self.start)(parent, &self.overrides).await
    }
}

impl fmt::Debug for ChildSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChildSpec")
            .field("id", &self.id)
            .field("restart", &self.restart)
            .field("shutdown", &self.shutdown)
            .field("kind", &self.kind)
            .field("name", &self.overrides.name)
            .field("mailbox", &self.overrides.mailbox)
            .field("backoff", &self.backoff)
            .finish_non_exhaustive()
    }
}
