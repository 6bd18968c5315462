//! [`dead_letters`]: the messages the program dropped, by reason, and
//! [`report_dead_letter`], for transports that drop messages themselves.

use crate::server::any::AnyServer;
use crate::server::dead_letters::{self, Addressee};
pub use crate::server::dead_letters::{DeadLetterReason, DeadLetters};

/// The messages the whole program dropped so far, by reason: every
/// overflow, cast to a gone server, backlog of an exited server, late
/// reply, and what transports reported. Each is also reported on the
/// `genserver::dead_letters` tracing target (at INFO, at most one line a
/// second per reason, then a count of the others); a server's own count is
/// in its [`Status`](crate::sys::Status).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::sys::{self, DeadLetterReason};
///
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     #[cast]
///     pub fn work(&mut self) {}
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let before = sys::dead_letters().get(DeadLetterReason::NoProc);
/// let worker = Worker::start(Worker).await?;
/// worker.stop(ExitReason::Normal).await?;
/// worker.work(); // to a server that is gone
/// assert_eq!(sys::dead_letters().get(DeadLetterReason::NoProc), before + 1);
/// # Ok(())
/// # }
/// ```
pub fn dead_letters() -> DeadLetters {
    dead_letters::total()
}

/// Counts and reports `count` messages a transport (or another library
/// delivering messages for servers) dropped for `reason`: for `server`
/// when it is known, described by `message` (a handler's name, a subject,
/// why it was refused: formatted only when the line is written). Reported
/// like the runtime's own, at most one line a second per reason.
pub fn report_dead_letter(
    reason: DeadLetterReason,
    server: Option<&AnyServer>,
    message: Option<&dyn std::fmt::Display>,
    count: u64,
) {
    let to = server.map(|server| Addressee {
        type_name: server.type_name(),
        id: Some(server.id()),
        counts: Some(&server.counters().dead_letters),
    });
    dead_letters::record(reason, to, message, count);
}

/// One server's dead letters: what was counted for it, and what its
/// overflow policy dropped.
pub(crate) fn of(server: &AnyServer) -> DeadLetters {
    let (_, _, dropped) = server.control().mailbox_numbers();
    server
        .counters()
        .dead_letters
        .read()
        .with(DeadLetterReason::Overflow, dropped)
}
