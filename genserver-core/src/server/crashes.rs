//! The last crash reports of the program, kept for inspection (a
//! dashboard's crash list) besides being logged: a ring of the latest
//! [`CRASHES_KEPT`], written only when a server crashes.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::exit_reason::ExitReason;
use crate::id::ServerId;
use crate::lock::lock;
use crate::server::observer::TraceEvent;

/// How many crash reports are kept.
pub const CRASHES_KEPT: usize = 64;

/// One server's crash, as its crash report logged it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct CrashReport {
    /// The server that crashed.
    pub id: ServerId,
    /// Its type's name.
    pub type_name: &'static str,
    /// The callback or handler that crashed (`"increment"`, `"init"`,
    /// `"terminate"`, `"handle_info(Down)"`, ..).
    pub handler: &'static str,
    /// Its exit reason.
    pub reason: ExitReason,
    /// Where it panicked, `file:line:column`, when the panic hook was
    /// installed.
    pub location: Option<Arc<str>>,
    /// Its state through `format_status`, cut to 4 KiB.
    pub state: Option<String>,
    /// When it crashed.
    pub at: SystemTime,
    /// Its last messages, when it was traced
    /// ([`Sys::trace`](crate::sys::Sys::trace)), the crashing one last
    /// (OTP's crash report shows its `sys` log too).
    pub trace: Vec<TraceEvent>,
}

fn ring() -> &'static Mutex<VecDeque<CrashReport>> {
    static RING: Mutex<VecDeque<CrashReport>> = Mutex::new(VecDeque::new());
    &RING
}

/// Keeps `report`, dropping the oldest beyond [`CRASHES_KEPT`].
pub(crate) fn keep(report: CrashReport) {
    let mut ring = lock(ring());
    if ring.len() == CRASHES_KEPT {
        ring.pop_front();
    }
    ring.push_back(report);
}

/// The crash reports kept, the latest last.
pub(crate) fn recent() -> Vec<CrashReport> {
    lock(ring()).iter().cloned().collect()
}
