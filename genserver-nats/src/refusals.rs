//! What a node refused from the network, counted by kind, and logged at
//! most once per kind per second.
//!
//! Anything another client publishes in the node's subjects can be junk:
//! a request that does not decode, a forged heartbeat, a control message
//! for a watch of another node. Each is refused, and counted
//! ([`Node::refusals`](crate::Node::refusals)); the log line that says so
//! is written at most once a second per kind, with how many were refused
//! since the last line, so that a flood of junk cannot flood the log.
//!
//! ```text
//!  refuse(kind, why) ── count += 1 ── a second since this kind's last line?
//!                                        yes: one line, "N refused since", why
//!                                        no:  nothing more
//! ```

use std::fmt;

use genserver_core::sys::{self, DeadLetterReason};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// The kinds of refused messages, each counted and rate-limited apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// A request to a served name, a pool, a group member or a global
    /// name: it does not decode, is for another server type or version,
    /// is a call without a reply subject, or names a reply subject inside
    /// the cluster's prefix.
    Request,
    /// A heartbeat that does not decode, is of another version, or speaks
    /// for another node than its subject's.
    Heartbeat,
    /// A monitor or link message between nodes (`Down`, `Forget`,
    /// `LinkedExit`) that does not decode or concerns another node's watch.
    Control,
    /// A monitor or link request that does not decode.
    Watch,
    /// A reply or an answer nobody waits for, or one that does not decode.
    Reply,
    /// A publish or subscription of this node that the nats-server
    /// refused its user (a permissions violation).
    Permission,
    /// A cast to a served name that could not be queued: nobody held the
    /// name (a role between two servers), or an acknowledged cast found
    /// the mailbox full for its whole timeout.
    Dropped,
}

const KINDS: usize = 7;

impl Kind {
    fn index(self) -> usize {
        match self {
            Kind::Request => 0,
            Kind::Heartbeat => 1,
            Kind::Control => 2,
            Kind::Watch => 3,
            Kind::Reply => 4,
            Kind::Permission => 5,
            Kind::Dropped => 6,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Kind::Request => "requests",
            Kind::Heartbeat => "heartbeats",
            Kind::Control => "monitor and link messages",
            Kind::Watch => "monitor and link requests",
            Kind::Reply => "replies",
            Kind::Permission => "publishes and subscriptions of this node",
            Kind::Dropped => "casts",
        }
    }
}

/// How many messages of each kind a node refused since it started; see
/// [`Node::refusals`](crate::Node::refusals).
///
/// A refused message is dropped, never acted on: the counts say how much
/// junk, or how many messages of another version, reached the node. The
/// log says the same at most once a second per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Refusals {
    /// Requests to the names, pools, group members and global names this
    /// node serves that it refused: they did not decode, were for another
    /// server type or another version of its handlers (the caller got a
    /// typed error when it asked for a reply), were calls without a reply
    /// subject, or named a reply subject inside the cluster's prefix.
    pub requests: u64,
    /// Heartbeats refused: they did not decode, were of another version,
    /// or spoke for another node than the one their subject names.
    pub heartbeats: u64,
    /// Monitor and link messages between nodes refused: they did not
    /// decode, or concerned a watch that is not the sender's.
    pub control: u64,
    /// Monitor and link requests refused: they did not decode.
    pub watches: u64,
    /// Replies and answers refused: nothing waited for them (a late reply
    /// after its call timed out, or a forged one), or they did not decode.
    pub replies: u64,
    /// This node's publishes and subscriptions that the nats-server
    /// refused its user (NATS permissions violations): the calls among
    /// them failed at once with `Wire(Denied)`.
    pub permissions: u64,
    /// Casts to the names this node serves that it could not queue:
    /// nobody held a served role's name at the time, or an acknowledged
    /// cast (`try_x`, `x_wait`) found the mailbox full for its caller's
    /// whole timeout. (A plain cast dropped by a full mailbox's overflow
    /// policy is counted by the server: `Server::dropped`.)
    pub casts_dropped: u64,
}

/// One kind's count, and its log line's rate limit.
struct Counter {
    total: AtomicU64,
    /// Refused since the last line.
    unlogged: AtomicU64,
    /// When the last line was written: milliseconds since `start`, plus
    /// one (0: never).
    logged_at: AtomicU64,
}

/// A node's refusals.
pub(crate) struct Refuser {
    start: Instant,
    counters: [Counter; KINDS],
}

/// The shortest gap between two lines of one kind.
const EVERY_MS: u64 = 1_000;

impl Refuser {
    pub(crate) fn new() -> Refuser {
        Refuser {
            start: Instant::now(),
            counters: std::array::from_fn(|_| Counter {
                total: AtomicU64::new(0),
                unlogged: AtomicU64::new(0),
                logged_at: AtomicU64::new(0),
            }),
        }
    }

    /// Counts a refused message of `kind`, and logs `why` if this kind's
    /// last line is a second old or more (with how many since).
    pub(crate) fn refuse(&self, kind: Kind, why: impl fmt::Display) {
        let counter = &self.counters[kind.index()];
        counter.total.fetch_add(1, Ordering::Relaxed);
        // A refused message for a server is one of the program's dead
        // letters, reported with the others.
        let reason = match kind {
            Kind::Request => Some(DeadLetterReason::Refused),
            Kind::Reply => Some(DeadLetterReason::LateReply),
            Kind::Dropped => Some(DeadLetterReason::Remote),
            _ => None,
        };
        if let Some(reason) = reason {
            sys::report_dead_letter(reason, None, Some(&why), 1);
            return;
        }
        counter.unlogged.fetch_add(1, Ordering::Relaxed);
        let now = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX - 1) + 1;
        let last = counter.logged_at.load(Ordering::Relaxed);
        if last != 0 && now.saturating_sub(last) < EVERY_MS {
            return;
        }
        // One thread writes the line; the others counted theirs.
        if counter
            .logged_at
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
        {
            return;
        }
        let refused = counter.unlogged.swap(0, Ordering::Relaxed);
        let what = kind.what();
        match kind {
            // Late replies are ordinary (a call that timed out).
            Kind::Reply => {
                tracing::debug!(refused, "{what} refused (at most one line a second): {why}")
            }
            _ => tracing::warn!(refused, "{what} refused (at most one line a second): {why}"),
        }
    }

    /// The counts so far.
    pub(crate) fn counts(&self) -> Refusals {
        let total = |kind: Kind| self.counters[kind.index()].total.load(Ordering::Relaxed);
        Refusals {
            requests: total(Kind::Request),
            heartbeats: total(Kind::Heartbeat),
            control: total(Kind::Control),
            watches: total(Kind::Watch),
            replies: total(Kind::Reply),
            permissions: total(Kind::Permission),
            casts_dropped: total(Kind::Dropped),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_is_counted_by_kind() {
        let refuser = Refuser::new();
        for _ in 0..1_000 {
            refuser.refuse(Kind::Request, "junk");
        }
        refuser.refuse(Kind::Heartbeat, "junk");
        let counts = refuser.counts();
        assert_eq!(counts.requests, 1_000);
        assert_eq!(counts.heartbeats, 1);
        assert_eq!(counts.control, 0);
    }

    #[test]
    fn a_kind_logs_once_then_waits_a_second() {
        let refuser = Refuser::new();
        refuser.refuse(Kind::Control, "first");
        let counter = &refuser.counters[Kind::Control.index()];
        let first = counter.logged_at.load(Ordering::Relaxed);
        assert_ne!(first, 0, "the first refusal is logged at once");
        for _ in 0..100 {
            refuser.refuse(Kind::Control, "more");
        }
        assert_eq!(
            counter.logged_at.load(Ordering::Relaxed),
            first,
            "no second line within the second"
        );
        assert_eq!(counter.unlogged.load(Ordering::Relaxed), 100);
    }
}
