//! [`LinkEnd`]: the local end of a link with a server on another node.

use std::fmt;

use crate::exit_reason::ExitReason;
use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::transport::node::RemoteNode;

/// The local end of a transport's link between a local server and a
/// server on another node (OTP's `link/1` across nodes): the one way to
/// deliver that link's exit signal to the local server, once.
///
/// Opened for the local server, it mints an identity standing for the
/// other side, which no local server has, and a number for the
/// transport's wire ([`id`](Self::id)). [`exit`](Self::exit) consumes it:
/// a link carries one exit signal. [`unlink`](Self::unlink) (or dropping
/// it) ends it: no signal can follow. The local server's own exit is the
/// transport's to watch ([`AnyServer::exited`]) and to send over.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::AnyServer;
/// use genserver_core::transport::{LinkEnd, RemoteNode};
///
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let worker = Worker::start(Worker).await?;
/// let mut end = LinkEnd::open(&worker);
/// end.locate(&RemoteNode::named("b"));
/// // The server on `b` crashed: a worker that does not trap exits dies
/// // with its reason, without `terminate`.
/// end.exit(ExitReason::error("lost the disk"));
/// worker.exited().await;
/// let reason = AnyServer::from(&worker).exit_reason();
/// assert_eq!(reason, Some(ExitReason::error("lost the disk")));
/// # Ok(())
/// # }
/// ```
pub struct LinkEnd {
    id: u64,
    remote: ServerId,
    local: AnyServer,
}

impl LinkEnd {
    /// A new link of the local server `local` with a server whose node is
    /// not known yet (see [`locate`](Self::locate)).
    pub fn open(local: impl Into<AnyServer>) -> LinkEnd {
        LinkEnd {
            // From the monitors' numbers, so that a transport can key its
            // monitors and links in one table.
            id: crate::id::MonitorRef::next().as_u64(),
            remote: ServerId::next(),
            local: local.into(),
        }
    }

    /// The other side runs on `node`: from now on it is named by a fresh
    /// identity of that node ([`ServerId::node`]).
    pub fn locate(&mut self, node: &RemoteNode) {
        self.remote = node.server_id();
    }

    /// A number unique among the link ends and monitor references of this
    /// program, for the transport to name the link on its wire.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The identity standing for the other side, the `from` of the exit
    /// signal.
    pub fn remote(&self) -> ServerId {
        self.remote
    }

    /// The local server.
    pub fn local(&self) -> &AnyServer {
        &self.local
    }

    /// The other side exited with `reason` (or cannot be reached,
    /// [`ExitReason::NoConnection`]): the local server gets the link's exit
    /// signal, as from a local link. It arrives as
    /// [`Info::Exit`](crate::Info::Exit) if the server traps exits;
    /// otherwise it is ignored when `reason` is normal, and ends the server
    /// with `reason`, without `terminate`, when it is not.
    pub fn exit(self, reason: ExitReason) {
        self.local.exit_signal(self.remote, reason);
    }

    /// Ends the link on this side without a signal: the same as dropping
    /// it, said out loud.
    pub fn unlink(self) {}
}

impl fmt::Debug for LinkEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LinkEnd")
            .field("id", &self.id)
            .field("remote", &self.remote)
            .field("local", &self.local)
            .finish()
    }
}
