//! The supervision trees, as the Tree view reads them: every tree of the
//! program (`sys::trees`), each supervisor's children cut to the first
//! [`MAX_CHILDREN`] with their total kept, so that a supervisor of a
//! million children is a page of a few hundred rows, not a million.

use std::time::Instant;

use genserver_core::SupervisionTree;
use genserver_core::sys;
use serde::Serialize;

/// The most children shown under one supervisor.
pub(crate) const MAX_CHILDREN: usize = 200;

/// The most trees shown.
pub(crate) const MAX_TREES: usize = 100;

/// What `/api/trees` answers.
#[derive(Debug, Serialize)]
pub(crate) struct Trees {
    /// The first [`MAX_TREES`] trees, cut to [`MAX_CHILDREN`] children a
    /// supervisor (`SupervisionTree::cut`).
    pub(crate) trees: Vec<SupervisionTree>,
    /// How many trees the program has.
    pub(crate) total: usize,
    /// How long gathering them took, in milliseconds.
    pub(crate) took_ms: f64,
}

impl Trees {
    /// Every tree of the program now.
    pub(crate) async fn now() -> Trees {
        let started = Instant::now();
        let all = sys::trees().await;
        let total = all.len();
        Trees {
            trees: all
                .into_iter()
                .take(MAX_TREES)
                .map(|tree| tree.cut(MAX_CHILDREN))
                .collect(),
            total,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
        }
    }
}
