//! [`TableId`]: a table's identity.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};

/// A table's identity, unique for the life of the program (ETS's table
/// identifier). Shown as `#Table<N>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(u64);

impl TableId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        TableId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number inside, for logs and metrics.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Table<{}>", self.0)
    }
}

impl fmt::Display for TableId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}
