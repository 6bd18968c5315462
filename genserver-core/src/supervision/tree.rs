//! [`SupervisionTree`]: a supervisor and everything below it, nested, as
//! observer's application view shows it; [`trees`] for every tree of the
//! program.
//!
//! ```text
//!  tree(root) ──which_children──▶ root's children
//!       └─ for each running supervisor child: tree(child), from the caller
//! ```
//!
//! The tree is gathered by the caller, one `which_children` per
//! supervisor: no supervisor waits on another while it answers, so a tree
//! cannot deadlock, and a supervisor that does not answer in time is shown
//! without its children.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::server::error::CallError;
use crate::server::gen_server::{ClientHandle, GenServer};
use crate::server::handle::Handle;
use crate::server::live;
use crate::supervision::child_spec::{ChildKind, Restart};
use crate::supervision::dynamic::{DynamicSupervisor, DynamicSupervisorClient};
use crate::supervision::supervisor::{Supervisor, SupervisorClient};
use crate::supervision::{ChildInfo, ChildStatus};

/// A supervisor and its children, nested: from
/// [`SupervisorClient::tree`](crate::SupervisorClient::tree),
/// [`DynamicSupervisorClient::tree`](crate::DynamicSupervisorClient::tree)
/// or [`trees`]. Its `Display` is an indented text for logs; with the
/// `serde` feature it serializes, for a dashboard.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::{Strategy, Supervisor, SupervisorSpec};
///
/// #[derive(Clone)]
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let inner = SupervisorSpec::new(Strategy::OneForOne)
///     .child(Worker::child_spec(Worker).with_id("a"));
/// let spec = SupervisorSpec::new(Strategy::OneForAll)
///     .child(Worker::child_spec(Worker).with_id("b"))
///     .child(Supervisor::child_spec(inner).with_id("inner"));
/// let root = Supervisor::start(spec).await?;
///
/// let tree = root.tree().await?;
/// assert_eq!(tree.children.len(), 2);
/// let inner = tree.children[1].subtree.as_ref().unwrap();
/// assert_eq!(inner.children[0].id, "a");
/// println!("{tree}");
/// // Supervisor <0.3.0>
/// // ├─ b: Worker <0.4.0>, worker, permanent, running, 0 restarts
/// // └─ inner: Supervisor <0.5.0>, supervisor, permanent, running, 0 restarts
/// //    └─ a: Worker <0.6.0>, worker, permanent, running, 0 restarts
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct SupervisionTree {
    /// The supervisor.
    pub id: ServerId,
    /// Its type's name (`Supervisor`, `DynamicSupervisor`).
    pub type_name: &'static str,
    /// Its children in start order; empty when it did not answer in time
    /// (see [`answered`](Self::answered)). After [`cut`](Self::cut), the
    /// first of them.
    pub children: Vec<TreeChild>,
    /// How many children it has: `children.len()`, unless the tree was
    /// [`cut`](Self::cut).
    pub children_total: usize,
    /// `false` when it did not answer: its children are not known.
    pub answered: bool,
}

/// One child in a [`SupervisionTree`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct TreeChild {
    /// Its child spec's id.
    pub id: String,
    /// Worker or supervisor.
    pub kind: ChildKind,
    /// Its restart type.
    pub restart: Restart,
    /// Running, restarting, backing off or stopped.
    pub status: ChildStatus,
    /// How many times it was restarted.
    pub restarts: u32,
    /// Its server, while one runs.
    pub server: Option<ServerId>,
    /// Its server's type, while one runs.
    pub type_name: Option<&'static str>,
    /// Below it, for a running supervisor.
    pub subtree: Option<SupervisionTree>,
}

/// The children of `server` when it is a supervisor of a kind that has
/// children; `None` for any other server.
async fn children_of(server: &AnyServer) -> Option<Result<Vec<ChildInfo>, CallError>> {
    if let Some(supervisor) = server.downcast::<Supervisor>() {
        return Some(supervisor.which_children().await);
    }
    if let Some(supervisor) = server.downcast::<DynamicSupervisor>() {
        return Some(supervisor.which_children().await);
    }
    None
}

/// The tree under the supervisor `handle` reaches.
async fn root_tree<T: GenServer>(handle: &Handle<T>) -> Result<SupervisionTree, CallError> {
    let shared = handle.resolve().ok_or(CallError::NoProc)?;
    let server = AnyServer::from_shared(shared);
    // The root's own answer, with its error.
    if let Some(Err(error)) = children_of(&server).await {
        return Err(error);
    }
    tree_of(server).await.ok_or(CallError::NoProc)
}

impl SupervisorClient {
    /// The whole tree under this supervisor: its children, their
    /// children, .., each with its restart type, status and restart count
    /// (see [`SupervisionTree`]). Each supervisor below answers its own
    /// `which_children`; one that does not answer in time is shown without
    /// its children.
    ///
    /// # Errors
    ///
    /// A [`CallError`] when this supervisor did not answer (it is not
    /// running, or the call timed out).
    pub async fn tree(&self) -> Result<SupervisionTree, CallError> {
        root_tree(self.__handle()).await
    }
}

impl DynamicSupervisorClient {
    /// The whole tree under this supervisor (see
    /// [`SupervisorClient::tree`]).
    ///
    /// # Errors
    ///
    /// A [`CallError`] when this supervisor did not answer (it is not
    /// running, or the call timed out).
    pub async fn tree(&self) -> Result<SupervisionTree, CallError> {
        root_tree(self.__handle()).await
    }
}

/// The tree under `server`; `None` when it is not a supervisor.
pub(crate) fn tree_of(
    server: AnyServer,
) -> Pin<Box<dyn Future<Output = Option<SupervisionTree>> + Send>> {
    Box::pin(async move {
        let children = children_of(&server).await?;
        let answered = children.is_ok();
        let mut nodes = Vec::new();
        for child in children.unwrap_or_default() {
            let subtree = match (&child.server, child.kind) {
                (Some(server), ChildKind::Supervisor) => tree_of(server.clone()).await,
                _ => None,
            };
            nodes.push(TreeChild {
                server: child.server.as_ref().map(AnyServer::id),
                type_name: child.server.as_ref().map(AnyServer::type_name),
                id: child.id,
                kind: child.kind,
                restart: child.restart,
                status: child.status,
                restarts: child.restarts,
                subtree,
            });
        }
        Some(SupervisionTree {
            id: server.id(),
            type_name: server.type_name(),
            children_total: nodes.len(),
            children: nodes,
            answered,
        })
    })
}

/// Every supervision tree of the program: each supervisor that no other
/// supervisor started (an [`Application`](crate::Application)'s root, a
/// supervisor started on its own), with everything below it.
pub async fn trees() -> Vec<SupervisionTree> {
    let roots: Vec<AnyServer> = live::snapshot()
        .into_iter()
        .filter(|server| {
            matches!(server.type_name(), "Supervisor" | "DynamicSupervisor")
                && (server.downcast::<Supervisor>().is_some()
                    || server.downcast::<DynamicSupervisor>().is_some())
                && !started_by_a_supervisor(server)
        })
        .collect();
    let mut trees = Vec::with_capacity(roots.len());
    for root in roots {
        if let Some(tree) = tree_of(root).await {
            trees.push(tree);
        }
    }
    trees
}

/// Whether `server`'s parent is a supervisor (then it is in that tree).
fn started_by_a_supervisor(server: &AnyServer) -> bool {
    let Some(parent) = server.counters().parent() else {
        return false;
    };
    server
        .process()
        .relations()
        .links
        .iter()
        .any(|(id, type_name)| {
            *id == parent && matches!(*type_name, "Supervisor" | "DynamicSupervisor")
        })
}

impl SupervisionTree {
    /// Keeps the first `max_children` children of every supervisor in the
    /// tree, and their count in [`children_total`](Self::children_total):
    /// a supervisor of a million children shows as a page of rows, not a
    /// million (what the dashboard and a node's `sys` answer send).
    ///
    /// ```
    /// use genserver_core::prelude::*;
    /// use genserver_core::{DynamicSupervisor, DynamicSupervisorSpec, sys};
    ///
    /// #[derive(Clone)]
    /// pub struct Worker;
    ///
    /// #[gen_server]
    /// impl Worker {
    ///     fn handle_info(&mut self, _msg: Info<()>) {}
    /// }
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let workers = DynamicSupervisor::start(DynamicSupervisorSpec::new()).await?;
    /// for _ in 0..5 {
    ///     workers.start_child(Worker::child_spec(Worker)).await?;
    /// }
    /// let tree = sys::trees().await.into_iter().find(|t| t.id == workers.id()).unwrap();
    /// let cut = tree.cut(2);
    /// assert_eq!((cut.children.len(), cut.children_total), (2, 5));
    /// assert!(cut.to_string().ends_with("└─ … 3 more children\n"));
    /// # Ok(())
    /// # }
    /// ```
    #[must_use = "cut returns the tree cut"]
    pub fn cut(mut self, max_children: usize) -> SupervisionTree {
        self.children.truncate(max_children);
        for child in &mut self.children {
            child.subtree = child.subtree.take().map(|tree| tree.cut(max_children));
        }
        self
    }

    /// Writes the children of this node, each line after `prefix`.
    fn write_children(&self, f: &mut fmt::Formatter<'_>, prefix: &str) -> fmt::Result {
        if !self.answered {
            return writeln!(f, "{prefix}└─ (did not answer in time)");
        }
        // A cut tree ends with a line for the children it left out.
        let left_out = self.children_total.saturating_sub(self.children.len());
        let last = match left_out {
            0 => self.children.len().saturating_sub(1),
            _ => usize::MAX,
        };
        for (index, child) in self.children.iter().enumerate() {
            let (branch, next) = if index == last {
                ("└─", "   ")
            } else {
                ("├─", "│  ")
            };
            write!(f, "{prefix}{branch} {}: ", child.id)?;
            match (child.type_name, child.server) {
                (Some(type_name), Some(id)) => write!(f, "{type_name} {id}, ")?,
                _ => f.write_str("no server, ")?,
            }
            writeln!(
                f,
                "{}, {}, {}, {} restart{}",
                kind_name(child.kind),
                restart_name(child.restart),
                status_name(child.status),
                child.restarts,
                if child.restarts == 1 { "" } else { "s" }
            )?;
            if let Some(subtree) = &child.subtree {
                subtree.write_children(f, &format!("{prefix}{next}"))?;
            }
        }
        if left_out > 0 {
            let plural = if left_out == 1 { "" } else { "ren" };
            writeln!(f, "{prefix}└─ … {left_out} more child{plural}")?;
        }
        Ok(())
    }
}

impl fmt::Display for SupervisionTree {
    /// The supervisor on the first line, each child on its own, indented
    /// under its supervisor.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} {}", self.type_name, self.id)?;
        self.write_children(f, "")
    }
}

fn kind_name(kind: ChildKind) -> &'static str {
    match kind {
        ChildKind::Worker => "worker",
        ChildKind::Supervisor => "supervisor",
    }
}

fn restart_name(restart: Restart) -> &'static str {
    match restart {
        Restart::Permanent => "permanent",
        Restart::Transient => "transient",
        Restart::Temporary => "temporary",
    }
}

fn status_name(status: ChildStatus) -> &'static str {
    match status {
        ChildStatus::Running => "running",
        ChildStatus::Restarting => "restarting",
        ChildStatus::BackingOff => "backing off",
        ChildStatus::Stopped => "stopped",
    }
}
