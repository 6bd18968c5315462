//! [`GlobalError`] and [`NameLost`].

use std::error::Error;
use std::fmt;

use genserver_core::WireError;

use crate::error::{InvalidName, ServeError};
use crate::nats_error::NatsError;

/// Why a global name could not be registered or looked up.
#[derive(Debug)]
#[non_exhaustive]
pub enum GlobalError {
    /// The name cannot be a subject token and a key-value key: non-empty,
    /// of `[-/_=.A-Za-z0-9]`, not starting or ending with a dot, and not
    /// starting with `_gs.` (the table's own keys).
    InvalidName(InvalidName),
    /// A live holder has the name: OTP's `register_name` answering `no`.
    AlreadyRegistered {
        /// The holder's node.
        node: String,
    },
    /// The name is held by a server of another type than the one asked for.
    Wire(WireError),
    /// The nats-server has no JetStream, which holds the global names'
    /// table: it runs without `-js`, or this user's account has no
    /// JetStream. Says which, and the version of the server.
    NoJetStream(String),
    /// The global names' stream is replicated on a nats-server older than
    /// 2.9.21, where two racing updates can both win: names would not be
    /// unique.
    UnsafeReplicas(super::UnsafeReplicas),
    /// The key-value store (JetStream) could not be reached or refused an
    /// operation; [`NatsError::kind`] says how.
    Store(NatsError),
    /// The name was won, but could not be served.
    Serve(ServeError),
    /// The node is closing.
    Closed,
}

impl fmt::Display for GlobalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GlobalError::InvalidName(error) => error.fmt(f),
            GlobalError::AlreadyRegistered { node } => {
                write!(f, "the global name is registered on the node {node:?}")
            }
            GlobalError::Wire(error) => error.fmt(f),
            GlobalError::NoJetStream(why) => write!(
                f,
                "global names need JetStream, and {why}: start the nats-server with `-js` (or a `jetstream {{}}` block in its configuration) and give the account JetStream"
            ),
            GlobalError::UnsafeReplicas(error) => error.fmt(f),
            GlobalError::Store(error) => error.fmt(f),
            GlobalError::Serve(_) => f.write_str("the global name was won, but not served"),
            GlobalError::Closed => f.write_str("the node is closing"),
        }
    }
}

impl Error for GlobalError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        // A variant that only wraps prints its error as its own, and hands
        // on that error's cause: no layer twice.
        match self {
            GlobalError::InvalidName(error) => error.source(),
            GlobalError::Wire(error) => error.source(),
            GlobalError::Store(error) => error.source(),
            GlobalError::UnsafeReplicas(error) => error.source(),
            GlobalError::Serve(error) => Some(error),
            GlobalError::AlreadyRegistered { .. }
            | GlobalError::NoJetStream(_)
            | GlobalError::Closed => None,
        }
    }
}

/// [`GlobalError::Store`]: the names' table failed.
pub(crate) fn store(error: async_nats::Error) -> GlobalError {
    GlobalError::Store(NatsError::new("the global name table failed", error))
}

/// Why a node stopped holding a global name; see
/// [`GlobalName::lost`](crate::GlobalName::lost).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NameLost {
    /// [`GlobalName::unregister`](crate::GlobalName::unregister).
    Unregistered,
    /// The server exited.
    ServerExited,
    /// The node closed, or its connection ended.
    NodeStopped,
    /// The lease could not be refreshed for a whole lease (NATS or
    /// JetStream unreachable): the node stopped serving the name before
    /// another may take it over.
    LeaseExpired,
    /// Another node took the name over after this node's lease ran out
    /// (a pause or a partition longer than the lease). The table's holder
    /// keeps it; this one stopped serving it.
    Conflict {
        /// The node that holds it now, when known.
        node: Option<String>,
    },
}

impl fmt::Display for NameLost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameLost::Unregistered => f.write_str("unregistered"),
            NameLost::ServerExited => f.write_str("the server exited"),
            NameLost::NodeStopped => f.write_str("the node stopped"),
            NameLost::LeaseExpired => f.write_str("the lease could not be refreshed in time"),
            NameLost::Conflict { node: Some(node) } => {
                write!(f, "the node {node:?} took the name over")
            }
            NameLost::Conflict { node: None } => f.write_str("another node took the name over"),
        }
    }
}
