//! [`Node::link`]: a two-way tie to a server on another node.

use std::fmt;
use std::sync::{Arc, Weak};

use genserver_core::transport::LinkEnd;
use genserver_core::{AnyServer, ExitReason};

use super::{Control, End, Kind, Watch, forget, request, send_control};
use crate::error::{InvalidName, check_name};
use crate::node::{Inner, Node};

/// A link made by [`Node::link`], to undo it with [`Node::unlink`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoteLink {
    id: u64,
}

impl fmt::Debug for RemoteLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RemoteLink({})", self.id)
    }
}

impl Node {
    /// Links `server` with the server that some node serves under `name`
    /// (OTP's `Process.link/1` to a process on another node): when either
    /// exits, the other gets an exit signal with its reason, as between
    /// two local linked servers. It exits too, without `terminate`, unless
    /// the reason is normal, or it traps exits
    /// ([`Context::trap_exit`](genserver_core::Context::trap_exit)); then
    /// the signal arrives as [`Info::Exit`](genserver_core::Info::Exit),
    /// whose `from` names the other node
    /// ([`ServerId::node`](genserver_core::ServerId::node)).
    ///
    /// When the other side cannot be reached, both sides get the signal
    /// with [`ExitReason::NoConnection`]:
    ///
    /// | what happens | the signal's reason | when |
    /// |---|---|---|
    /// | either server exits | its exit reason | as soon as its node publishes it |
    /// | either node dies or is cut off | `NoConnection`, on the other | within `down_after` + 100 ms of its last heartbeat: 3.1 s by default ([`NodeOptions::down_after`](crate::NodeOptions::down_after)) |
    /// | either node closes | `NoConnection`, on the other | at once |
    /// | either node loses its connection to NATS | `NoConnection`, on that node; on the other once the connection is back, or when it declares the node down | within 100 ms of the client noticing |
    /// | nobody serves `name`, or its server already exited | `NoProc`, on `server` | at once |
    ///
    /// Call it from a handler with `ctx.server()`. It does not wait: the
    /// request goes out in a task. When several servers share the name,
    /// one of them is linked. The link ends when either side exits or
    /// with [`unlink`](Self::unlink).
    ///
    /// ```no_run
    /// # use genserver_core::prelude::*;
    /// # use genserver_nats::Node;
    /// /// Works for the coordinator on another node, and stops with it.
    /// pub struct Worker {
    ///     node: Node,
    /// }
    ///
    /// #[gen_server]
    /// impl Worker {
    ///     fn init(node: Node, ctx: &mut Context<Self>) -> Result<Self, String> {
    ///         // Not trapping exits: the coordinator's crash stops this worker.
    ///         node.link("coordinator", ctx.server())
    ///             .map_err(|error| error.to_string())?;
    ///         Ok(Worker { node })
    ///     }
    ///
    ///     fn handle_info(&mut self, _msg: Info<()>) {}
    /// }
    /// ```
    ///
    /// Errors: the name cannot be a subject token.
    pub fn link(
        &self,
        name: &str,
        server: impl Into<AnyServer>,
    ) -> Result<RemoteLink, InvalidName> {
        check_name(name)?;
        let inner = &self.inner;
        let server = server.into();
        let end = LinkEnd::open(&server);
        let id = end.id();
        let watch = Watch::new(End::Link(end));
        let Some(subject) = inner.watches.open(inner, id, watch, name) else {
            return Ok(RemoteLink { id });
        };
        let task = tokio::spawn(tie(Arc::downgrade(inner), subject, id, server));
        if let Some(watch) = inner.watches.lock_watching().get_mut(&id) {
            watch.task = Some(task.abort_handle());
        }
        Ok(RemoteLink { id })
    }

    /// Removes a link made by [`link`](Self::link), on both sides;
    /// `false` if it had fired or was removed. An exit signal already on
    /// its way is still delivered.
    pub fn unlink(&self, link: RemoteLink) -> bool {
        let inner = &self.inner;
        let Some(watch) = inner.watches.remove(link.id, true) else {
            return false;
        };
        // Once the serving node answered, it forgets the link, and the task
        // waiting for the local server's exit is not needed. Before, the
        // task, on the answer, finds the link gone and tells it to forget.
        if let Some(node) = watch.node.as_ref() {
            if let Some(task) = &watch.task {
                task.abort();
            }
            forget(inner, link.id, Some(node));
        }
        true
    }
}

/// A link's own task: asks the serving node to link, then waits for the
/// local server to exit and sends its reason over. Aborted when the link
/// fires or is removed.
async fn tie(node: Weak<Inner>, subject: async_nats::Subject, id: u64, server: AnyServer) {
    if !request(&node, subject, id, Kind::Link).await {
        return;
    }
    server.exited().await;
    let Some(inner) = node.upgrade() else { return };
    let watch = inner.watches.lock_watching().remove(&id);
    let Some(Watch {
        node: Some(peer), ..
    }) = watch
    else {
        return;
    };
    let reason = server.exit_reason().unwrap_or(ExitReason::NoProc);
    let exit = Control::LinkedExit {
        watcher: inner.liveness.me.instance.clone(),
        id,
        reason: (&reason).into(),
    };
    send_control(&inner, &peer, &exit);
}
