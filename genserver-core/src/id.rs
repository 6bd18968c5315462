//! Identities: of a server ([`ServerId`], OTP's pid), of a monitor
//! ([`MonitorRef`], OTP's reference) and of a supervised task ([`TaskId`]).
//! Plain values; nothing of the server.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::lock::lock;

/// A server's identity, unique for the life of the program (OTP's pid).
///
/// It names its node, as a pid does: [`node`](Self::node) is `None` for a
/// server of this program, and the node's name for a transport's stand-in
/// for a server on another node (the `from` of an exit signal sent over a
/// link across nodes, the `server` of a remote monitor's `Down`).
///
/// Shown as Erlang shows a pid: `<0.N.0>` here, `<K.N.0>` for a server on
/// the `K`th other node this program has heard of.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(u64);

/// The low bits of a [`ServerId`] count; the high ones name its node.
const NODE_SHIFT: u32 = 48;
const NUMBER_MASK: u64 = (1 << NODE_SHIFT) - 1;
/// The most other nodes named; any more share the last index, named `?`.
#[cfg_attr(not(feature = "remote"), allow(dead_code))]
const MAX_NODES: usize = (1 << (64 - NODE_SHIFT)) - 1;

/// The other nodes' names, by index (1-based in a `ServerId`): named by
/// a transport ([`RemoteNode`](crate::transport::RemoteNode), feature
/// `remote`); empty without one.
#[derive(Default)]
#[cfg_attr(not(feature = "remote"), allow(dead_code))]
struct Nodes {
    names: Vec<Arc<str>>,
    indices: HashMap<Arc<str>, u64>,
}

fn nodes() -> &'static Mutex<Nodes> {
    static NODES: std::sync::OnceLock<Mutex<Nodes>> = std::sync::OnceLock::new();
    NODES.get_or_init(Mutex::default)
}

impl ServerId {
    pub(crate) fn next() -> Self {
        ServerId(next_number())
    }

    /// The id whose [`as_u64`](Self::as_u64) is `raw`.
    pub(crate) fn from_u64(raw: u64) -> Self {
        ServerId(raw)
    }

    /// The index of the node `node` among the other nodes this program
    /// has heard of (1-based), registering it when it is new; past
    /// `MAX_NODES`, the shared index of `?`.
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn node_index(node: &str) -> u64 {
        let mut nodes = lock(nodes());
        match nodes.indices.get(node) {
            Some(&index) => index,
            None if nodes.names.len() < MAX_NODES => {
                let name: Arc<str> = Arc::from(node);
                nodes.names.push(name.clone());
                let index = nodes.names.len() as u64;
                nodes.indices.insert(name, index);
                index
            }
            None => {
                if nodes.names.len() == MAX_NODES {
                    nodes.names.push(Arc::from("?"));
                }
                MAX_NODES as u64 + 1
            }
        }
    }

    /// A fresh identity standing for a server on the node of index
    /// `index` (from [`node_index`](Self::node_index)).
    #[cfg_attr(not(feature = "remote"), allow(dead_code))]
    pub(crate) fn on_node(index: u64) -> Self {
        ServerId(index << NODE_SHIFT | next_number())
    }

    /// The node this server runs on: `None` here, its node's name for a
    /// server on another node (known through a transport).
    pub fn node(self) -> Option<Arc<str>> {
        ServerId::node_name(self.0 >> NODE_SHIFT)
    }

    /// The name of the node of index `index`; `None` for 0, this program.
    pub(crate) fn node_name(index: u64) -> Option<Arc<str>> {
        match index {
            0 => None,
            index => lock(nodes()).names.get(index as usize - 1).cloned(),
        }
    }

    /// `true` for a server of this program.
    pub fn is_local(self) -> bool {
        self.0 >> NODE_SHIFT == 0
    }

    /// `true` for the server of this program shown as `<0.number.0>`.
    pub(crate) fn is_local_numbered(self, number: u64) -> bool {
        self.is_local() && self.0 == number
    }

    /// The number inside, for logs and metrics: unique among all the ids
    /// of this program, local and remote.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

/// The next number of an id, shared by local and remote ones.
fn next_number() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed) & NUMBER_MASK
}

impl fmt::Debug for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}.{}.0>", self.0 >> NODE_SHIFT, self.0 & NUMBER_MASK)
    }
}

/// Serialized as it is shown, `"<0.12.0>"`: an id is not made from text.
#[cfg(feature = "serde")]
impl serde::Serialize for ServerId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Identifies one monitor (OTP's monitor reference), as returned by
/// [`Context::monitor`](crate::Context::monitor) and carried by
/// [`Info::Down`](crate::Info::Down).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MonitorRef(u64);

impl MonitorRef {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        MonitorRef(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number inside, for logs and metrics: unique for the life of
    /// the program.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Ref<{}>", self.0)
    }
}

impl fmt::Display for MonitorRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Identifies one supervised task, as returned by
/// [`TaskRef::id`](crate::TaskRef::id) and carried by
/// [`Info::TaskFailed`](crate::Info::TaskFailed): the reference of OTP's
/// `Task` struct. Unique for the life of the program.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TaskId(u64);

impl TaskId {
    pub(crate) fn next() -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        TaskId(NEXT.fetch_add(1, Ordering::Relaxed))
    }

    /// The number inside, for logs and metrics.
    pub fn as_u64(self) -> u64 {
        self.0
    }
}

impl fmt::Debug for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#Task<{}>", self.0)
    }
}

impl fmt::Display for TaskId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::ServerId;

    #[test]
    fn a_local_id_names_no_node_and_shows_as_a_local_pid() {
        let id = ServerId::next();
        assert!(id.is_local());
        assert_eq!(id.node(), None);
        assert_eq!(format!("{id}"), format!("<0.{}.0>", id.as_u64()));
    }

    #[test]
    fn a_remote_id_names_its_node_and_is_unique() {
        let remote = |node: &str| ServerId::on_node(ServerId::node_index(node));
        let a1 = remote("node-a-of-id-test");
        let a2 = remote("node-a-of-id-test");
        let b = remote("node-b-of-id-test");
        assert_ne!(a1, a2);
        assert!(!a1.is_local());
        assert_eq!(a1.node().as_deref(), Some("node-a-of-id-test"));
        assert_eq!(b.node().as_deref(), Some("node-b-of-id-test"));
        // The same node has the same index; another node another one.
        let index = |id: ServerId| format!("{id}").split('.').next().map(str::to_owned);
        assert_eq!(index(a1), index(a2));
        assert_ne!(index(a1), index(b));
        assert_ne!(index(a1).as_deref(), Some("<0"));
        // Never equal to a local one.
        assert_ne!(a1, ServerId::next());
    }
}
