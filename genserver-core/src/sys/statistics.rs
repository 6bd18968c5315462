//! [`Statistics`]: what `sys().statistics()` reports of one server (OTP's
//! `:sys.statistics`), and the trace it keeps when asked to.

use std::time::{Duration, SystemTime};

use crate::server::any::AnyServer;
pub use crate::server::observer::{EventKind, HandlerTime, Outcome, Timing, TraceEvent};
use crate::sys::dead_letters::{self, DeadLetters};
use crate::sys::status::Handled;

/// One server's statistics (OTP's `:sys.statistics`): the counts it always
/// keeps, and the time spent in its handlers once
/// [`collect_statistics`](crate::sys::Sys::collect_statistics) turned
/// timing on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Statistics {
    /// When it started.
    pub started: SystemTime,
    /// How long it has run.
    pub uptime: Duration,
    /// The messages it handled (messages in), by kind.
    pub handled: Handled,
    /// The most messages that waited in its mailbox at once.
    pub mailbox_high_water: usize,
    /// The messages for it that were dropped, by reason.
    pub dead_letters: DeadLetters,
    /// Time in handlers, in all and by handler, since timing was turned
    /// on; `None` while it is off (the default: timing reads the clock
    /// twice a message).
    pub timing: Option<Timing>,
}

/// What `server` publishes now.
pub(crate) fn of(server: &AnyServer) -> Statistics {
    let counters = server.counters();
    let (calls, casts, infos) = counters.handled();
    let uptime = counters.uptime();
    Statistics {
        started: SystemTime::now()
            .checked_sub(uptime)
            .unwrap_or(SystemTime::UNIX_EPOCH),
        uptime,
        handled: Handled {
            calls,
            casts,
            infos,
        },
        mailbox_high_water: server.control().mailbox_high_water(),
        dead_letters: dead_letters::of(server),
        timing: counters
            .observer
            .get()
            .and_then(|observer| observer.timing()),
    }
}
