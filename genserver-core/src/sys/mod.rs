//! See inside a running system: OTP's `:sys` on every handle, the process
//! table, and what they report.
//!
//! ```text
//!  server.sys() ──▶ Sys<T>: get_state, inspect, replace_state, suspend,
//!                           resume, status          (typed; answered by the
//!                                                    server between messages)
//!  any.sys()    ──▶ AnySys: status, suspend, resume  (without the type)
//!  sys::processes() ──▶ every live server: ProcessInfo, from counters each
//!                       server publishes outside its task
//!  sys::top_processes() ──▶ the first rows by a column, filtered: one pass
//!                           and a partial sort (observer's sorted list)
//! ```
//!
//! What comes from the counters (mailbox, messages handled, what runs now,
//! links, names, uptime) answers at once, even while a handler is stuck;
//! what needs the server (its state, through `format_status`) is asked
//! for, between two messages, and added when it answers in time.

mod crashes;
mod dead_letters;
mod handle;
mod processes;
mod statistics;
mod status;
mod top;
mod watch;

pub use crate::supervision::tree::trees;
pub use crashes::{CRASHES_KEPT, CrashReport, recent_crashes};
pub use dead_letters::{DeadLetterReason, DeadLetters, dead_letters, report_dead_letter};
pub use handle::{AnySys, Sys};
pub use processes::{ProcessInfo, process_count, processes, servers};
pub use statistics::{EventKind, HandlerTime, Outcome, Statistics, Timing, TraceEvent};
pub use status::{Handled, MailboxStatus, RunState, Status};
pub use top::{
    ProcessFilter, SortOrder, TOP_TYPES, TopProcesses, TopQuery, server_by_id, top_processes,
    top_processes_seeing,
};
pub use watch::watch_long_handlers;
