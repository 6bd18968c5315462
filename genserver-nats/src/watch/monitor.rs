//! [`Node::monitor`]: a one-way watch of a server on another node.

use std::sync::Arc;

use genserver_core::transport::MonitorEnd;
use genserver_core::{AnyServer, MonitorRef};

use super::{End, Kind, Watch, forget, request};
use crate::error::{InvalidName, check_name};
use crate::node::Node;

impl Node {
    /// Monitors the server that some node serves under `name` (OTP's
    /// `Process.monitor({name, node})`): `watcher` gets
    /// [`Info::Down`](genserver_core::Info::Down) with this monitor's
    /// reference once that server exits, with its exit reason, or once it
    /// cannot be reached, with [`ExitReason::NoConnection`](genserver_core::ExitReason::NoConnection):
    ///
    /// | what happens | `Down`'s reason | when |
    /// |---|---|---|
    /// | the server exits (normally, a crash, a stop) | its exit reason | as soon as its node publishes it |
    /// | its node dies or is cut off | `NoConnection` | within `down_after` + 100 ms of its last heartbeat: 3.1 s by default ([`NodeOptions::down_after`](crate::NodeOptions::down_after)) |
    /// | its node closes | `NoConnection` | at once |
    /// | this node loses its connection to NATS | `NoConnection` | within 100 ms of the client noticing |
    /// | nobody serves `name`, or the server already exited | `NoProc` | at once |
    ///
    /// Call it from a handler with `ctx.server()` as the watcher. It does
    /// not wait: the request goes out in a task. When several servers
    /// share the name, one of them is watched. The `Down`'s `server`
    /// stands for the remote server and names its node
    /// ([`ServerId::node`](genserver_core::ServerId::node)) once that
    /// node answered (not for `NoProc`). The monitor ends
    /// when it fires, with [`demonitor`](Self::demonitor), or when the
    /// watcher exits. `Context::demonitor` does not know remote monitors.
    ///
    /// ```no_run
    /// # use genserver_core::prelude::*;
    /// # use genserver_nats::Node;
    /// pub struct Watcher {
    ///     node: Node,
    /// }
    ///
    /// #[gen_server]
    /// impl Watcher {
    ///     #[cast]
    ///     pub fn watch(&mut self, name: String, ctx: &mut Context<Self>) {
    ///         if let Err(error) = self.node.monitor(&name, ctx.server()) {
    ///             tracing::warn!(%error, "not a name");
    ///         }
    ///     }
    ///
    ///     fn handle_info(&mut self, msg: Info<()>) {
    ///         if let Info::Down { reason, .. } = msg {
    ///             tracing::info!(%reason, "the remote server is gone");
    ///         }
    ///     }
    /// }
    /// ```
    ///
    /// Errors: the name cannot be a subject token.
    pub fn monitor(
        &self,
        name: &str,
        watcher: impl Into<AnyServer>,
    ) -> Result<MonitorRef, InvalidName> {
        check_name(name)?;
        let inner = &self.inner;
        let end = MonitorEnd::open(watcher);
        let monitor = end.monitor();
        let id = monitor.as_u64();
        let watch = Watch::new(End::Monitor(end));
        let Some(subject) = inner.watches.open(inner, id, watch, name) else {
            return Ok(monitor);
        };
        let node = Arc::downgrade(inner);
        tokio::spawn(async move { request(&node, subject, id, Kind::Monitor).await });
        Ok(monitor)
    }

    /// Removes a monitor made by [`monitor`](Self::monitor); `false` if it
    /// had fired or was removed. A `Down` already queued is still
    /// delivered.
    pub fn demonitor(&self, monitor: MonitorRef) -> bool {
        let inner = &self.inner;
        let id = monitor.as_u64();
        match inner.watches.remove(id, false) {
            Some(watch) => {
                forget(inner, id, watch.node.as_ref());
                true
            }
            None => false,
        }
    }

    /// The other nodes of the cluster heard from within `down_after`
    /// (OTP's `Node.list()`), by name, sorted.
    pub fn nodes(&self) -> Vec<String> {
        self.inner.liveness.nodes()
    }
}
