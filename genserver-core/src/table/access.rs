//! Who may read and write a table: [`Access`], checked against the task
//! that runs the operation.

use std::fmt;

use crate::server::handle::CURRENT_SERVER;

/// Who may use a table besides its owner (ETS's `:private`, `:protected`,
/// `:public`). "The owner" is code running in the owning server's task: its
/// `init`, handlers and `terminate`, not a task it spawned.
///
/// Exhaustive on purpose: these are ETS's three access levels, a closed
/// set, and a `match` on them should stay total.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Access {
    /// Only the owner reads and writes.
    Private,
    /// The owner writes; every task reads (the default, as in ETS).
    #[default]
    Protected,
    /// Every task reads and writes.
    Public,
}

/// What an operation does to a table, for the access check and its error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Operation {
    /// Looks at entries: `get`, `select`, `len`, iteration.
    Read,
    /// Changes entries or the table: `insert`, `remove`, counters, `delete`.
    Write,
}

impl Access {
    /// Whether `operation` needs the owner under this access.
    pub(crate) fn owner_only(self, operation: Operation) -> bool {
        match self {
            Access::Private => true,
            Access::Protected => operation == Operation::Write,
            Access::Public => false,
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Access::Private => "private",
            Access::Protected => "protected",
            Access::Public => "public",
        })
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Operation::Read => "read",
            Operation::Write => "write",
        })
    }
}

/// Whether the running task is the server numbered `owner` (its
/// `ServerId::as_u64`): the same task-local that detects a call to oneself.
pub(crate) fn running_in(owner: u64) -> bool {
    CURRENT_SERVER
        .try_with(|current| current.id.as_u64() == owner)
        .unwrap_or(false)
}
