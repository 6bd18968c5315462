//! [`RemoteNode`]: another node, as a transport knows it.

use std::fmt;
use std::sync::Arc;

use crate::id::ServerId;

/// Another node, by the name its transport knows it by: what the
/// identities of its servers name ([`ServerId::node`]). Registering a name
/// is cheap and idempotent: the same name is the same node.
///
/// ```
/// use genserver_core::transport::RemoteNode;
///
/// let b = RemoteNode::named("b");
/// assert_eq!(&*b.name(), "b");
/// assert_eq!(b, RemoteNode::named("b"));
/// assert_ne!(b, RemoteNode::named("c"));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoteNode {
    /// Its index among the other nodes (1-based), as a `ServerId` holds it.
    index: u64,
}

impl RemoteNode {
    /// The node named `name`. The names are kept for the life of the
    /// program (65 535 of them; later ones all show as `?`).
    pub fn named(name: &str) -> RemoteNode {
        RemoteNode {
            index: ServerId::node_index(name),
        }
    }

    /// The node's name.
    pub fn name(&self) -> Arc<str> {
        ServerId::node_name(self.index).unwrap_or_else(|| Arc::from("?"))
    }

    /// A fresh identity standing for a server of this node.
    pub(crate) fn server_id(&self) -> ServerId {
        ServerId::on_node(self.index)
    }
}

impl fmt::Debug for RemoteNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteNode({})", self.name())
    }
}
