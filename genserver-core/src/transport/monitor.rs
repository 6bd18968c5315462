//! [`MonitorEnd`]: the local end of a monitor of a server on another node.

use std::fmt;

use crate::exit_reason::ExitReason;
use crate::id::{MonitorRef, ServerId};
use crate::server::any::AnyServer;
use crate::transport::node::RemoteNode;

/// The local end of a transport's monitor of a server on another node
/// (OTP's `Process.monitor({name, node})`): the one way to tell the
/// watcher that the server went down, once.
///
/// Opened for a watcher, it mints the monitor's [`MonitorRef`], which the
/// transport returns to whoever asked for the monitor, and an identity
/// standing for the watched server, which no local server has.
/// [`down`](Self::down) consumes it: a monitor has one `Down`. Dropping it
/// is demonitoring: no `Down` can follow.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::transport::{MonitorEnd, RemoteNode};
///
/// pub struct Watcher;
///
/// #[gen_server]
/// impl Watcher {
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let watcher = Watcher::start(Watcher).await?;
/// let mut end = MonitorEnd::open(&watcher);
/// assert_eq!(end.watcher().id(), watcher.id());
/// assert!(end.server().node().is_none()); // not located yet
/// end.locate(&RemoteNode::named("b"));
/// assert_eq!(end.server().node().as_deref(), Some("b"));
///
/// watcher.stop(ExitReason::Normal).await?;
/// // The watcher is gone: nobody to tell.
/// assert!(!end.down(ExitReason::NoConnection));
/// # Ok(())
/// # }
/// ```
pub struct MonitorEnd {
    monitor: MonitorRef,
    server: ServerId,
    watcher: AnyServer,
}

impl MonitorEnd {
    /// A new monitor held by `watcher`, of a server whose node is not
    /// known yet (see [`locate`](Self::locate)).
    pub fn open(watcher: impl Into<AnyServer>) -> MonitorEnd {
        MonitorEnd {
            monitor: MonitorRef::next(),
            server: ServerId::next(),
            watcher: watcher.into(),
        }
    }

    /// The watched server runs on `node`: from now on it is named by a
    /// fresh identity of that node ([`ServerId::node`]).
    pub fn locate(&mut self, node: &RemoteNode) {
        self.server = node.server_id();
    }

    /// The monitor's reference, as the watcher's `Down` carries it.
    pub fn monitor(&self) -> MonitorRef {
        self.monitor
    }

    /// The identity standing for the watched server, as the watcher's
    /// `Down` carries it.
    pub fn server(&self) -> ServerId {
        self.server
    }

    /// The local server that watches.
    pub fn watcher(&self) -> &AnyServer {
        &self.watcher
    }

    /// The watched server went down with `reason` (or cannot be reached,
    /// [`ExitReason::NoConnection`]): the watcher gets
    /// [`Info::Down`](crate::Info::Down) with this monitor's reference, on
    /// the signal lane, as from a local monitor. `false` if the watcher has
    /// exited (or is exiting), and nobody was told.
    pub fn down(self, reason: ExitReason) -> bool {
        self.watcher.deliver_down(self.monitor, self.server, reason)
    }
}

impl fmt::Debug for MonitorEnd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MonitorEnd")
            .field("monitor", &self.monitor)
            .field("server", &self.server)
            .field("watcher", &self.watcher)
            .finish()
    }
}
