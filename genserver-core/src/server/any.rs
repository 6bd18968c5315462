//! [`AnyServer`]: a handle to a server of any type (a pid without its
//! message types), what supervisors, links, monitors and registries hold.

use std::any::Any;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::oneshot;

use crate::exit_reason::ExitReason;
use crate::id::{MonitorRef, ServerId};
use crate::server::Server;
use crate::server::context::Context;
use crate::server::counters::Counters;
use crate::server::format_status;
use crate::server::gen_server::GenServer;
use crate::server::handle::{Handle, Shared};
use crate::server::mailbox::{Envelope, Lane, System};
use crate::server::process::Process;
use crate::server::sys_request::{SysOutcome, SysRequest};
use crate::table::heir::TableTransfer;

/// What any server offers, whatever its type.
pub(crate) trait Control: Send + Sync + 'static {
    fn process(&self) -> &Process;
    fn counters(&self) -> &Counters;
    fn type_name(&self) -> &'static str;
    /// Queues a system message on `lane`; `false` if the server is gone.
    fn send_system(&self, system: System, lane: Lane) -> bool;
    fn mailbox_len(&self) -> usize;
    /// The mailbox's length, bound and drops.
    fn mailbox_numbers(&self) -> (usize, Option<usize>, u64);
    /// The most user messages queued at once.
    fn mailbox_high_water(&self) -> usize;
    /// `true` while the server waits for a message.
    fn receiver_waiting(&self) -> bool;
    /// Asks the server, between two messages, for its state as
    /// `format_status` shows it and the servers it monitors.
    fn ask_status(&self) -> Option<oneshot::Receiver<(Option<String>, Vec<ServerId>)>>;
    /// Asks the server to suspend (`true`) or resume; answered once done.
    fn ask_suspend(&self, suspend: bool) -> Option<oneshot::Receiver<()>>;
    /// An estimate of the memory the server holds: its shared part, its
    /// task and what waits in its mailbox.
    fn memory(&self) -> usize;
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl<T: GenServer> Control for Shared<T> {
    fn process(&self) -> &Process {
        &self.process
    }

    fn counters(&self) -> &Counters {
        &self.counters
    }

    fn type_name(&self) -> &'static str {
        T::NAME
    }

    fn send_system(&self, system: System, lane: Lane) -> bool {
        self.mailbox
            .send(Envelope::System(Box::new(system)), lane)
            .is_ok()
    }

    fn mailbox_len(&self) -> usize {
        self.mailbox.len()
    }

    fn mailbox_numbers(&self) -> (usize, Option<usize>, u64) {
        (
            self.mailbox.len(),
            self.mailbox.config().capacity(),
            self.mailbox.dropped(),
        )
    }

    fn mailbox_high_water(&self) -> usize {
        self.mailbox.high_water()
    }

    fn receiver_waiting(&self) -> bool {
        self.mailbox.receiver_waiting()
    }

    fn ask_status(&self) -> Option<oneshot::Receiver<(Option<String>, Vec<ServerId>)>> {
        let (tx, rx) = oneshot::channel();
        let request: SysRequest<T> = Box::new(move |state: &mut T, ctx: &mut Context<T>| {
            let _ = tx.send((
                format_status::shown(state, format_status::STATUS_LIMIT),
                ctx.monitored(),
            ));
            SysOutcome::Done
        });
        self.mailbox
            .send(Envelope::Sys(request), Lane::Signal)
            .ok()
            .map(|()| rx)
    }

    fn ask_suspend(&self, suspend: bool) -> Option<oneshot::Receiver<()>> {
        let (tx, rx) = oneshot::channel();
        let request: SysRequest<T> = Box::new(move |_: &mut T, _: &mut Context<T>| {
            let _ = tx.send(());
            if suspend {
                SysOutcome::Suspend
            } else {
                SysOutcome::Resume
            }
        });
        self.mailbox
            .send(Envelope::Sys(request), Lane::Signal)
            .ok()
            .map(|()| rx)
    }

    fn memory(&self) -> usize {
        std::mem::size_of::<Self>()
            + self.counters.task_bytes()
            + self.mailbox.len() * std::mem::size_of::<Envelope<T>>()
    }

    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// A handle to a server of any type (a pid without its message types):
/// what supervisors, links and registries hold. Get one with
/// `AnyServer::from(&server)`; get the typed handle back with
/// [`downcast`](Self::downcast).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::AnyServer;
///
/// pub struct Cache;
///
/// #[gen_server]
/// impl Cache {
///     #[call]
///     pub fn size(&self) -> usize {
///         0
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// pub struct Queue;
///
/// #[gen_server]
/// impl Queue {
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Servers of different types, side by side.
/// let servers: Vec<AnyServer> = vec![
///     Cache::start(Cache).await?.into(),
///     Queue::start(Queue).await?.into(),
/// ];
/// let names: Vec<&str> = servers.iter().map(AnyServer::type_name).collect();
/// assert_eq!(names, ["Cache", "Queue"]);
///
/// // The typed handle back, for the one that is a `Cache`.
/// let cache = servers.iter().find_map(|s| s.downcast::<Cache>()).unwrap();
/// assert_eq!(cache.size().await?, 0);
/// for server in &servers {
///     server.shutdown(ExitReason::Shutdown, None).await;
/// }
/// assert!(servers.iter().all(|s| !s.is_alive()));
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct AnyServer {
    control: Arc<dyn Control>,
}

impl AnyServer {
    /// The server's identity.
    pub fn id(&self) -> ServerId {
        self.process().id()
    }

    /// The server type's name.
    pub fn type_name(&self) -> &'static str {
        self.control.type_name()
    }

    /// `false` once the server has exited.
    pub fn is_alive(&self) -> bool {
        self.process().is_alive()
    }

    /// How many messages wait in the server's mailbox.
    pub fn mailbox_len(&self) -> usize {
        self.control.mailbox_len()
    }

    /// Why the server exited: `None` while it runs, the reason once it has
    /// decided to exit (final once [`exited`](Self::exited) returns).
    pub fn exit_reason(&self) -> Option<ExitReason> {
        self.process().reason()
    }

    pub(crate) fn process(&self) -> &Process {
        self.control.process()
    }

    pub(crate) fn counters(&self) -> &Counters {
        self.control.counters()
    }

    pub(crate) fn control(&self) -> &dyn Control {
        &*self.control
    }

    pub(crate) fn from_shared<T: GenServer>(shared: Arc<Shared<T>>) -> Self {
        AnyServer { control: shared }
    }

    /// `true` while the server waits for a message.
    pub(crate) fn receiver_waiting(&self) -> bool {
        self.control.receiver_waiting()
    }

    /// The typed handle, if the server is a `T`.
    pub fn downcast<T: GenServer>(&self) -> Option<Server<T>> {
        let shared = self.downcast_shared::<T>()?;
        Some(Server::from_handle(Handle::new(shared)))
    }

    pub(crate) fn downcast_shared<T: GenServer>(&self) -> Option<Arc<Shared<T>>> {
        self.control.clone().as_any().downcast::<Shared<T>>().ok()
    }

    /// Waits until the server has exited and its monitors and links have
    /// been told.
    pub async fn exited(&self) {
        self.process().exited().await
    }

    /// Kills the server at once, without `terminate` (OTP's
    /// `Process.exit(pid, :kill)` and a supervisor's `:brutal_kill`).
    pub fn kill(&self) {
        self.process().kill(ExitReason::Killed);
    }

    /// OTP's shutdown: asks the server to stop with `reason` (on the
    /// priority lane, ahead of queued messages; `terminate` runs), waits up
    /// to `timeout` (`None`: no limit), then kills it. Returns once the
    /// server has exited.
    pub async fn shutdown(&self, reason: ExitReason, timeout: Option<Duration>) {
        let (done, _rx) = oneshot::channel();
        if self
            .control
            .send_system(System::Stop { reason, done }, Lane::Priority)
        {
            match timeout {
                None => self.exited().await,
                Some(limit) => {
                    if tokio::time::timeout(limit, self.exited()).await.is_err() {
                        self.kill();
                    }
                }
            }
        }
        self.exited().await;
    }

    /// An exit signal from `from`: a message for a server that traps exits;
    /// otherwise ignored when normal, and fatal when not.
    pub(crate) fn exit_signal(&self, from: ServerId, reason: ExitReason) {
        if self.process().traps_exits() {
            // Refused only when the server is already exiting.
            self.control
                .send_system(System::Exit { from, reason }, Lane::Signal);
        } else if !reason.is_normal() {
            self.process().kill(reason);
        }
    }

    /// Tells an heir that it owns a table now; `false` if it is exiting.
    pub(crate) fn deliver_table_transfer(&self, transfer: TableTransfer) -> bool {
        self.control
            .send_system(System::TableTransfer(transfer), Lane::Signal)
    }

    /// Tells a watcher that the server it monitors exited; `false` if the
    /// watcher is exiting or gone.
    pub(crate) fn deliver_down(
        &self,
        monitor: MonitorRef,
        server: ServerId,
        reason: ExitReason,
    ) -> bool {
        self.control.send_system(
            System::Down {
                monitor,
                server,
                reason,
            },
            Lane::Signal,
        )
    }
}

impl fmt::Debug for AnyServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Server<{}>({})", self.type_name(), self.id())
    }
}

impl PartialEq for AnyServer {
    fn eq(&self, other: &Self) -> bool {
        self.id() == other.id()
    }
}

impl Eq for AnyServer {}

impl Hash for AnyServer {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id().hash(state)
    }
}

impl<T: GenServer> From<&Server<T>> for AnyServer {
    fn from(server: &Server<T>) -> Self {
        AnyServer {
            control: server.handle().shared().clone(),
        }
    }
}

impl<T: GenServer> From<Server<T>> for AnyServer {
    fn from(server: Server<T>) -> Self {
        AnyServer::from(&server)
    }
}

impl From<&AnyServer> for AnyServer {
    fn from(server: &AnyServer) -> Self {
        server.clone()
    }
}
