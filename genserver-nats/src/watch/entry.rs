//! [`Watch`]: a local server's monitor or link of a server on another
//! node, around the core's end of it, which delivers its one signal.

use genserver_core::transport::{LinkEnd, MonitorEnd, RemoteNode};
use genserver_core::{AnyServer, ExitReason};
use tokio::task::AbortHandle;

use crate::liveness::PeerId;

/// A local server watching a remote one.
pub(super) struct Watch {
    /// The core's end of the monitor or link: the watcher, and the identity
    /// of the remote server, naming its node once it answered.
    pub(super) end: End,
    /// A link's task that tells the other node when the watcher exits.
    pub(super) task: Option<AbortHandle>,
    /// The serving node, once it answered.
    pub(super) node: Option<PeerId>,
}

/// The core's end of the watch: the only way to deliver its signal.
pub(super) enum End {
    Monitor(MonitorEnd),
    Link(LinkEnd),
}

impl Watch {
    pub(super) fn new(end: End) -> Watch {
        Watch {
            end,
            task: None,
            node: None,
        }
    }

    pub(super) fn is_link(&self) -> bool {
        matches!(self.end, End::Link(_))
    }

    pub(super) fn watcher(&self) -> &AnyServer {
        match &self.end {
            End::Monitor(end) => end.watcher(),
            End::Link(end) => end.local(),
        }
    }

    /// The remote server answered from `node`.
    pub(super) fn locate(&mut self, node: PeerId) {
        let remote = RemoteNode::named(&node.node);
        match &mut self.end {
            End::Monitor(end) => end.locate(&remote),
            End::Link(end) => end.locate(&remote),
        }
        self.node = Some(node);
    }

    /// The remote server exited, or cannot be reached: a `Down`, or an
    /// exit signal.
    pub(super) fn fire(self, reason: ExitReason) {
        if let Some(task) = self.task {
            task.abort();
        }
        match self.end {
            End::Monitor(end) => {
                end.down(reason);
            }
            End::Link(end) => end.exit(reason),
        }
    }
}
