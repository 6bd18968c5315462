//! Dead letters: every message dropped, for any reason, is counted (for
//! the program, and for its server when there is one) and reported on the
//! `genserver::dead_letters` tracing target at INFO (as Akka does: a
//! dropped message is often expected, a timed-out caller's late reply
//! above all), at most one line a second per reason plus a count of the
//! others. A full mailbox's drops keep their WARN line per burst.
//!
//! ```text
//!  overflow policy ─────┐
//!  cast to a dead server ┤
//!  backlog of an exit ───┼─▶ record(reason, server) ─▶ program's counts, server's counts
//!  late reply ───────────┤                           └─▶ one WARN line a second per reason
//!  transport (remote, refused) ┘
//! ```
//!
//! Only the dropping path pays: a message that is delivered costs nothing.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::id::ServerId;
use crate::server::lazy_box::LazyBox;
use crate::throttle::Throttle;

/// Why a message was dropped (see [`DeadLetters`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum DeadLetterReason {
    /// A bounded mailbox's overflow policy dropped it.
    Overflow,
    /// Sent to a server that was gone, or to a name nobody held.
    NoProc,
    /// Queued in a server that exited before handling it: its backlog.
    /// (A queued call is not dropped silently: its caller gets the exit
    /// reason.)
    Exited,
    /// A reply that came after its caller gave up (timed out, or dropped
    /// the call).
    LateReply,
    /// A cast to a server on another node that the transport could not
    /// deliver.
    Remote,
    /// A message from another node refused on the wire: malformed, too
    /// large, for another server type or version, or not permitted.
    Refused,
}

impl DeadLetterReason {
    /// Every reason, in the order [`DeadLetters`] counts them.
    pub const ALL: [DeadLetterReason; 6] = [
        DeadLetterReason::Overflow,
        DeadLetterReason::NoProc,
        DeadLetterReason::Exited,
        DeadLetterReason::LateReply,
        DeadLetterReason::Remote,
        DeadLetterReason::Refused,
    ];

    /// Its name in logs and metrics: `overflow`, `noproc`, `exited`,
    /// `late_reply`, `remote`, `refused`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeadLetterReason::Overflow => "overflow",
            DeadLetterReason::NoProc => "noproc",
            DeadLetterReason::Exited => "exited",
            DeadLetterReason::LateReply => "late_reply",
            DeadLetterReason::Remote => "remote",
            DeadLetterReason::Refused => "refused",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for DeadLetterReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many messages were dropped, by reason: for the whole program
/// ([`sys::dead_letters`](crate::sys::dead_letters)) or for one server
/// (in its [`Status`](crate::sys::Status)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeadLetters {
    counts: [u64; 6],
}

impl DeadLetters {
    /// The messages dropped for `reason`.
    pub fn get(&self, reason: DeadLetterReason) -> u64 {
        self.counts[reason.index()]
    }

    /// All of them.
    pub fn total(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// `(reason, count)` for every reason, zeros included.
    pub fn iter(&self) -> impl Iterator<Item = (DeadLetterReason, u64)> + '_ {
        DeadLetterReason::ALL
            .into_iter()
            .map(|reason| (reason, self.get(reason)))
    }

    pub(crate) fn with(mut self, reason: DeadLetterReason, count: u64) -> Self {
        self.counts[reason.index()] += count;
        self
    }
}

type Counts = [AtomicU64; 6];

fn new_counts() -> Counts {
    std::array::from_fn(|_| AtomicU64::new(0))
}

fn read(counts: &Counts) -> DeadLetters {
    DeadLetters {
        counts: std::array::from_fn(|i| counts[i].load(Ordering::Relaxed)),
    }
}

/// The program's counts.
fn program() -> &'static Counts {
    static COUNTS: std::sync::OnceLock<Counts> = std::sync::OnceLock::new();
    COUNTS.get_or_init(new_counts)
}

/// The program's dead letters so far, by reason.
pub(crate) fn total() -> DeadLetters {
    read(program())
}

/// One server's counts, allocated at its first dead letter: a pointer in
/// every server, the counts only in those that drop something.
#[derive(Debug, Default)]
pub(crate) struct ServerDeadLetters {
    counts: LazyBox<CountsBox>,
}

/// The counts, as a `LazyBox` makes them.
#[derive(Debug)]
struct CountsBox(Counts);

impl Default for CountsBox {
    fn default() -> Self {
        CountsBox(new_counts())
    }
}

impl ServerDeadLetters {
    /// This server's counts so far.
    pub(crate) fn read(&self) -> DeadLetters {
        self.counts
            .get()
            .map_or_else(DeadLetters::default, |counts| read(&counts.0))
    }

    fn add(&self, reason: DeadLetterReason, count: u64) {
        self.counts.get_or_make().0[reason.index()].fetch_add(count, Ordering::Relaxed);
    }
}

/// The server a dead letter was for, when there is one.
#[derive(Clone, Copy)]
pub(crate) struct Addressee<'a> {
    pub(crate) type_name: &'static str,
    /// `None` for a name nobody held.
    pub(crate) id: Option<ServerId>,
    /// Its own counts, while it runs.
    pub(crate) counts: Option<&'a ServerDeadLetters>,
}

/// At most one line a second per reason.
static THROTTLES: [Throttle; 6] = [
    Throttle::new(),
    Throttle::new(),
    Throttle::new(),
    Throttle::new(),
    Throttle::new(),
    Throttle::new(),
];

/// The summary line of each reason's throttle (a `fn`, one per reason).
const SUMMARIES: [fn(u64); 6] = [
    |more| summary(DeadLetterReason::Overflow, more),
    |more| summary(DeadLetterReason::NoProc, more),
    |more| summary(DeadLetterReason::Exited, more),
    |more| summary(DeadLetterReason::LateReply, more),
    |more| summary(DeadLetterReason::Remote, more),
    |more| summary(DeadLetterReason::Refused, more),
];

fn summary(reason: DeadLetterReason, more: u64) {
    tracing::info!(
        target: "genserver::dead_letters",
        reason = reason.as_str(),
        more,
        "more dead letters in the last second"
    );
}

/// `count` messages were dropped for `reason`: counted, for the program,
/// for the server they were for and, with the `metrics` feature, by the
/// server's type; not reported (see [`record`]).
pub(crate) fn count(
    reason: DeadLetterReason,
    type_name: Option<&'static str>,
    counts: Option<&ServerDeadLetters>,
    count: u64,
) {
    program()[reason.index()].fetch_add(count, Ordering::Relaxed);
    if let Some(counts) = counts {
        counts.add(reason, count);
    }
    #[cfg(feature = "metrics")]
    crate::server::metrics::dropped(reason.as_str(), type_name, count);
    #[cfg(not(feature = "metrics"))]
    let _ = type_name;
}

/// `count` messages were dropped for `reason`: counted, and reported at
/// most once a second per reason. `what` says which message, when known
/// (a handler's name).
pub(crate) fn record(
    reason: DeadLetterReason,
    to: Option<Addressee<'_>>,
    what: Option<&dyn std::fmt::Display>,
    count: u64,
) {
    if count == 0 {
        return;
    }
    self::count(
        reason,
        to.map(|to| to.type_name),
        to.and_then(|to| to.counts),
        count,
    );
    if THROTTLES[reason.index()].allow(SUMMARIES[reason.index()]) {
        tracing::info!(
            target: "genserver::dead_letters",
            reason = reason.as_str(),
            server = to.map(|to| to.type_name),
            id = to.and_then(|to| to.id).map(tracing::field::display),
            detail = what.map(tracing::field::display),
            count,
            "dead letter"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_allocates_its_counts_at_its_first_dead_letter_only() {
        let counts = ServerDeadLetters::default();
        assert_eq!(counts.read(), DeadLetters::default());
        assert!(counts.counts.get().is_none());
        counts.add(DeadLetterReason::LateReply, 2);
        counts.add(DeadLetterReason::Overflow, 1);
        let read = counts.read();
        assert_eq!(read.get(DeadLetterReason::LateReply), 2);
        assert_eq!(read.total(), 3);
        assert_eq!(read.iter().count(), DeadLetterReason::ALL.len());
    }
}
