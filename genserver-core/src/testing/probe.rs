//! [`Probe`]: a server that records every message it receives, for
//! [`assert_receive!`](crate::assert_receive).

use std::fmt::{self, Debug};
use std::future::Future;
use std::ops::Deref;
use std::pin::Pin;
use std::sync::Arc;

use crate::id::MonitorRef;
use crate::info::Info;
use crate::server::Server;
use crate::server::any::AnyServer;
use crate::server::context::Context;
use crate::server::tasks::TaskRef;
use crate::testing::inbox::{Inbox, Receiver};
use crate::{call, gen_server};

/// A server that records every message it receives, in order: what is
/// sent to it (`probe.send(m)`, as [`Info::Message`]), `Down` from the
/// servers it monitors, `Exit` from the servers it is linked to (it traps
/// exits, so a crash reaches it as a message instead of killing it), and
/// its tasks' results and failures. Assert on them with
/// [`assert_receive!`](crate::assert_receive) and
/// [`assert_no_receive!`](crate::assert_no_receive).
///
/// It dereferences to its [`Server`]: hand `probe.server()` to the code
/// under test as the receiver of its messages, or link a server to it
/// (`T::start(..).link(&probe)`).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::assert_receive;
/// use genserver_core::testing::Probe;
///
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     #[call]
///     pub fn quit(&self, ctx: &mut Context<Self>) {
///         ctx.stop(ExitReason::error("done for"));
///     }
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let probe: Probe = Probe::start().await;
/// let worker = Worker::start(Worker).link(&probe).await?;
/// worker.quit().await?;
/// assert_receive!(probe, Info::Exit { from, reason });
/// assert_eq!((from, reason), (worker.id(), ExitReason::error("done for")));
/// # Ok(())
/// # }
/// ```
pub struct Probe<M: Debug + Send + 'static = ()> {
    server: Server<ProbeServer<M>>,
    inbox: Arc<Inbox<Info<M>>>,
}

/// The server behind a [`Probe`]; code under test sees a
/// `Server<ProbeServer<M>>`.
pub struct ProbeServer<M> {
    inbox: Arc<Inbox<Info<M>>>,
}

/// A task for a probe to run, whose output it records.
type Task<M> = Pin<Box<dyn Future<Output = M> + Send>>;

#[gen_server(crate = crate, info = M)]
impl<M: Debug + Send + 'static> ProbeServer<M> {
    fn init(inbox: Arc<Inbox<Info<M>>>, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.trap_exit(true);
        Ok(ProbeServer { inbox })
    }

    #[call]
    fn monitor(&mut self, other: AnyServer, ctx: &mut Context<Self>) -> MonitorRef {
        ctx.monitor(other)
    }

    #[call]
    fn link(&mut self, other: AnyServer, ctx: &mut Context<Self>) {
        ctx.link(other);
    }

    #[call]
    fn spawn(&mut self, task: Task<M>, ctx: &mut Context<Self>) -> TaskRef {
        ctx.spawn(task)
    }

    fn handle_info(&mut self, msg: Info<M>) {
        self.inbox.push(msg);
    }
}

impl<M: Debug + Send + 'static> Probe<M> {
    /// Starts a probe.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub async fn start() -> Self {
        let inbox = Arc::new(Inbox::default());
        let server = match ProbeServer::start(inbox.clone()).await {
            Ok(server) => server,
            Err(error) => unreachable!("a probe always starts: {error}"),
        };
        Probe { server, inbox }
    }

    /// The probe's server, for the code under test.
    pub fn server(&self) -> &Server<ProbeServer<M>> {
        &self.server
    }

    /// Monitors `other`: when it exits, the probe receives
    /// [`Info::Down`]. Returns the monitor's reference.
    ///
    /// # Panics
    ///
    /// If the probe was stopped.
    pub async fn monitor(&self, other: impl Into<AnyServer>) -> MonitorRef {
        match self.server.monitor(other.into()).await {
            Ok(monitor) => monitor,
            Err(error) => panic!("the probe did not monitor: {error}"),
        }
    }

    /// Links the probe with `other`: when `other` exits with a shutdown or
    /// an abnormal reason, the probe receives [`Info::Exit`].
    ///
    /// # Panics
    ///
    /// If the probe was stopped.
    pub async fn link(&self, other: impl Into<AnyServer>) {
        if let Err(error) = self.server.link(other.into()).await {
            panic!("the probe did not link: {error}");
        }
    }

    /// Runs `task` as the probe's task: its output arrives as
    /// [`Info::Message`], its panic as [`Info::TaskFailed`].
    ///
    /// # Panics
    ///
    /// If the probe was stopped.
    pub async fn spawn(&self, task: impl Future<Output = M> + Send + 'static) -> TaskRef {
        match self.server.spawn(Box::pin(task)).await {
            Ok(task) => task,
            Err(error) => panic!("the probe did not spawn the task: {error}"),
        }
    }

    /// Takes every message received so far, in order.
    pub fn take_all(&self) -> Vec<Info<M>> {
        self.inbox.take_all()
    }
}

impl<M> Deref for Probe<M>
where
    M: Debug + Send + 'static,
{
    type Target = Server<ProbeServer<M>>;

    fn deref(&self) -> &Server<ProbeServer<M>> {
        &self.server
    }
}

impl<M: Debug + Send + 'static> Receiver for Probe<M> {
    type Item = Info<M>;

    fn inbox(&self) -> &Inbox<Info<M>> {
        &self.inbox
    }
}

impl<M: Debug + Send + 'static> From<&Probe<M>> for AnyServer {
    fn from(probe: &Probe<M>) -> Self {
        AnyServer::from(&probe.server)
    }
}

impl<M: Debug + Send + 'static> Debug for Probe<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Probe")
            .field("server", &self.server)
            .field("waiting", &self.inbox.len())
            .finish()
    }
}

impl<M> Debug for ProbeServer<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProbeServer")
    }
}
