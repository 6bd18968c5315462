//! The supervision trees, as the Tree view reads them: every tree of the
//! program (`sys::trees`), each supervisor's children cut to the first
//! [`MAX_CHILDREN`] with their total kept, so that a supervisor of a
//! million children is a page of a few hundred rows, not a million.

use std::time::Instant;

use genserver_core::sys;
use genserver_core::{ChildKind, ChildStatus, Restart, ServerId, SupervisionTree, TreeChild};
use serde::Serialize;

/// The most children shown under one supervisor.
pub(crate) const MAX_CHILDREN: usize = 200;

/// The most trees shown.
pub(crate) const MAX_TREES: usize = 100;

/// What `/api/trees` answers.
#[derive(Debug, Serialize)]
pub(crate) struct Trees {
    /// The first [`MAX_TREES`] trees.
    pub(crate) trees: Vec<Tree>,
    /// How many trees the program has.
    pub(crate) total: usize,
    /// How long gathering them took, in milliseconds.
    pub(crate) took_ms: f64,
}

/// One supervisor and the children shown of it.
#[derive(Debug, Serialize)]
pub(crate) struct Tree {
    pub(crate) id: ServerId,
    pub(crate) type_name: &'static str,
    /// `false` when it did not answer in time: its children are unknown.
    pub(crate) answered: bool,
    /// How many children it has; `children` holds the first
    /// [`MAX_CHILDREN`] of them.
    pub(crate) children_total: usize,
    pub(crate) children: Vec<Child>,
}

/// One child: its spec's id, kind, restart type, status and restart
/// count, its server while one runs, and its subtree for a supervisor.
#[derive(Debug, Serialize)]
pub(crate) struct Child {
    pub(crate) id: String,
    pub(crate) kind: ChildKind,
    pub(crate) restart: Restart,
    pub(crate) status: ChildStatus,
    pub(crate) restarts: u32,
    pub(crate) server: Option<ServerId>,
    pub(crate) type_name: Option<&'static str>,
    pub(crate) subtree: Option<Tree>,
}

impl Trees {
    /// Every tree of the program now.
    pub(crate) async fn now() -> Trees {
        let started = Instant::now();
        let all = sys::trees().await;
        let total = all.len();
        Trees {
            trees: all.into_iter().take(MAX_TREES).map(Tree::from).collect(),
            total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        }
    }
}

impl From<SupervisionTree> for Tree {
    fn from(tree: SupervisionTree) -> Tree {
        Tree {
            id: tree.id,
            type_name: tree.type_name,
            answered: tree.answered,
            children_total: tree.children.len(),
            children: tree
                .children
                .into_iter()
                .take(MAX_CHILDREN)
                .map(Child::from)
                .collect(),
        }
    }
}

impl From<TreeChild> for Child {
    fn from(child: TreeChild) -> Child {
        Child {
            id: child.id,
            kind: child.kind,
            restart: child.restart,
            status: child.status,
            restarts: child.restarts,
            server: child.server,
            type_name: child.type_name,
            subtree: child.subtree.map(Tree::from),
        }
    }
}
