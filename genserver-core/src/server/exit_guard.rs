//! The guard in every server's task that runs the last steps of its exit
//! however the task ends: after `terminate`, or when the task is aborted
//! (a link, a brutal kill, an `init` timeout, a dropped start) or its
//! runtime shuts down.

use std::sync::Arc;

use crate::exit_reason::ExitReason;
use crate::server::backlog::free_large;
use crate::server::gen_server::GenServer;
use crate::server::handle::Shared;
use crate::server::live;

/// Marks the server exited however its task ends, even when it is aborted
/// or its runtime shuts down: closes the mailbox, frees the names, fires
/// the monitors and links.
pub(crate) struct ExitGuard<T: GenServer> {
    shared: Arc<Shared<T>>,
    done: bool,
}

impl<T: GenServer> ExitGuard<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>) -> Self {
        ExitGuard {
            shared,
            done: false,
        }
    }

    pub(crate) fn finish(&mut self, reason: &ExitReason) {
        if self.done {
            return;
        }
        self.done = true;
        let process = &self.shared.process;
        process.begin_exit(reason);
        let backlog = self.shared.mailbox.close();
        process.finish_exit(reason);
        live::leave(process.id(), self.shared.counters.slot());
        // Freed last: whoever waits for the exit is told first. Queued
        // callers get `Exited` as it is freed.
        free_large(backlog.user, T::NAME, process.id());
    }
}

impl<T: GenServer> Drop for ExitGuard<T> {
    /// The task ended without the exit sequence: it was killed (by a link,
    /// a brutal kill, an init timeout, a dropped start) or its runtime shut
    /// down.
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let reason = self.shared.process.kill_reason();
        if let Some(reason) = reason.as_ref().filter(|r| r.is_abnormal()) {
            tracing::error!(
                server = T::NAME,
                id = %self.shared.process.id(),
                %reason,
                "server killed"
            );
        }
        self.finish(&reason.unwrap_or(ExitReason::Killed));
    }
}
