//! [`TableError`]: why a table operation was refused.

use std::fmt;

use crate::table::access::{Access, Operation};

/// Why a table operation was refused. Tables never panic on misuse: a use
/// that ETS answers with `badarg` is one of these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TableError {
    /// The table has been deleted: its owner exited without a living heir,
    /// or it called [`Table::delete`](crate::Table::delete).
    Deleted,
    /// The running task is not the owner, and the table's access does not
    /// allow this operation to others.
    Access {
        /// The table's access.
        access: Access,
        /// What was refused.
        operation: Operation,
    },
    /// Only the owner may delete a table, name its heir or give it away,
    /// whatever its access.
    NotOwner,
    /// [`Table::give_away`](crate::Table::give_away) to the owner itself or
    /// to a server that has exited.
    BadReceiver,
    /// [`Table::update_counter`](crate::Table::update_counter) would take
    /// the counter past its type's bounds; the counter is unchanged.
    Overflow,
    /// No live table holds the name a [`NamedTable`](crate::NamedTable)
    /// looks for (or one of other key and value types does): its owner has
    /// not created it yet, or exited and has not created it again.
    NotFound,
    /// [`TableBuilder::create_named`](crate::TableBuilder::create_named):
    /// a live table holds the name already.
    NameTaken,
}

impl fmt::Display for TableError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TableError::Deleted => f.write_str("the table has been deleted"),
            TableError::Access { access, operation } => {
                write!(f, "only the owner may {operation} a {access} table")
            }
            TableError::NotOwner => {
                f.write_str("only the owner may delete a table, name its heir or give it away")
            }
            TableError::BadReceiver => {
                f.write_str("a table can be given only to another running server")
            }
            TableError::Overflow => f.write_str("the counter would overflow"),
            TableError::NotFound => f.write_str("no table has this name"),
            TableError::NameTaken => f.write_str("a table with this name exists"),
        }
    }
}

impl std::error::Error for TableError {}
