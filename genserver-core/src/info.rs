//! Out-of-band messages: what `handle_info` receives.

use crate::exit_reason::ExitReason;
use crate::id::{MonitorRef, ServerId, TaskId};
use crate::table::heir::TableTransfer;

/// Everything a server receives that is not a call or a cast: its own
/// messages (`M`, the `info = M` type of `#[gen_server]`), timer messages,
/// idle timeouts, monitor notifications, inherited tables and the failures
/// of its tasks.
///
/// `handle_info` is mandatory and must be total over this type. It is
/// `#[non_exhaustive]`, so a `match` on it always ends in a catch-all arm:
/// OTP's habit of logging and dropping the unexpected, enforced by the
/// compiler.
///
/// ```
/// use genserver_core::prelude::*;
/// use std::time::Duration;
///
/// #[derive(Debug, Clone)]
/// pub enum Tick {
///     Flush,
/// }
///
/// pub struct Buffer {
///     lines: Vec<String>,
///     flushed: usize,
/// }
///
/// #[gen_server(info = Tick)]
/// impl Buffer {
///     fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, String> {
///         ctx.send_interval(Tick::Flush, Duration::from_secs(1));
///         Ok(Buffer { lines: Vec::new(), flushed: 0 })
///     }
///
///     #[cast]
///     pub fn push(&mut self, line: String) {
///         self.lines.push(line);
///     }
///
///     #[call]
///     pub fn flushed(&self) -> usize {
///         self.flushed
///     }
///
///     fn handle_info(&mut self, msg: Info<Tick>) {
///         match msg {
///             Info::Message(Tick::Flush) => self.flushed += std::mem::take(&mut self.lines).len(),
///             Info::Down { server, reason, .. } => tracing::info!(%server, %reason, "a watched server went down"),
///             // Always a catch-all: `Info` is `#[non_exhaustive]`.
///             other => tracing::debug!(?other, "ignored"),
///         }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let buffer = Buffer::start(()).await?;
/// buffer.push("a".into());
/// buffer.push("b".into());
/// tokio::time::sleep(Duration::from_millis(1_100)).await;
/// assert_eq!(buffer.flushed().await?, 2);
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Info<M> {
    /// A message of the server's own info type: sent with [`Server::send`](crate::Server::send),
    /// or by a timer from [`Context::send_after`](crate::Context::send_after) /
    /// [`Context::send_interval`](crate::Context::send_interval).
    Message(M),
    /// No message arrived within the idle timeout set by
    /// [`Context::idle_timeout`](crate::Context::idle_timeout).
    Timeout,
    /// A monitored server exited (`{:DOWN, ref, :process, pid, reason}`).
    Down {
        /// The monitor that fired, as returned by [`Context::monitor`](crate::Context::monitor).
        monitor: MonitorRef,
        /// The server that exited.
        server: ServerId,
        /// Why it exited; [`ExitReason::NoProc`] when it was already gone.
        reason: ExitReason,
    },
    /// A linked server exited, and this server traps exits
    /// ([`Context::trap_exit`](crate::Context::trap_exit)); `{:EXIT, pid, reason}`.
    Exit {
        /// The linked server.
        from: ServerId,
        /// Why it exited.
        reason: ExitReason,
    },
    /// This server is the heir of a table whose owner exited, and owns it
    /// now (`{:'ETS-TRANSFER', tab, from, data}`); get the typed table with
    /// [`TableTransfer::downcast`](crate::TableTransfer::downcast).
    TableTransfer(TableTransfer),
    /// A task started with [`Context::spawn`](crate::Context::spawn) or
    /// [`Context::spawn_detached`](crate::Context::spawn_detached)
    /// panicked before producing its message (the `{:DOWN, ref, :process,
    /// pid, reason}` of `Task.Supervisor.async_nolink`). A task that
    /// finishes delivers [`Info::Message`] instead; one the server aborts
    /// itself delivers nothing.
    TaskFailed {
        /// The task, as [`TaskRef::id`](crate::TaskRef::id) named it.
        task: TaskId,
        /// Why it failed: [`ExitReason::Panic`] with the panic message.
        reason: ExitReason,
    },
}
