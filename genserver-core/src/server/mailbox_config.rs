//! [`Mailbox`]: how many user messages a server's mailbox holds and what a
//! cast does when it is full. A plain value, chosen at start; the queue
//! that follows it is in `mailbox.rs`.

use std::fmt;

/// How many user messages a server's mailbox holds, and what a
/// fire-and-forget cast does when it is full. Chosen at start:
/// `T::start(..).mailbox(Mailbox::bounded(1024))`.
///
/// ```
/// use genserver_core::{Mailbox, Overflow};
///
/// let mailbox = Mailbox::bounded(1024).with_overflow(Overflow::DropOldest);
/// assert_eq!(mailbox.capacity(), Some(1024));
/// assert_eq!(mailbox.overflow(), Overflow::DropOldest);
/// assert_eq!(mailbox.watermarks(), (768, 256));
/// assert_eq!(format!("{mailbox:?}"), "Mailbox(bounded 1024, drop oldest)");
/// assert_eq!(format!("{:?}", Mailbox::unbounded()), "Mailbox(unbounded)");
/// ```
///
/// # When the user lane is full
///
/// What can be dropped, and what never is:
///
/// - a call waits for room, within its own timeout (back-pressure); never
///   dropped;
/// - a cast method (`server.reset()`) follows the [`Overflow`] policy: the
///   newest message (the one being sent) or the oldest queued *cast* is
///   dropped, counted ([`Server::dropped`](crate::Server::dropped)) and
///   logged at warn level once per burst. Only casts are ever evicted,
///   whatever the policy;
/// - `try_x` returns [`MailboxFull`](crate::MailboxFull) at once, and
///   `x_wait` waits for room within the handle's timeout;
/// - `server.send(m)` is dropped (and counted) when it finds the mailbox
///   full; once queued, it is never evicted;
/// - a task's result ([`Context::spawn`](crate::Context::spawn)) waits for
///   room; never dropped;
/// - exit signals, monitors' `Down` and a table handed to its heir queue in
///   order beyond the bound: never dropped nor refused (they take room,
///   though, until handled);
/// - the priority lane (stop, timers, `send_priority`) is never full.
///
/// # Watermarks
///
/// When the queue grows past the high watermark, a warning is logged (OTP
/// 27's `long_message_queue` alarm); once it falls to the low watermark, an
/// info line says so. Defaults: 10 000 and 1 000 for an unbounded mailbox,
/// 3/4 and 1/4 of the capacity for a bounded one.
///
/// These lines, and the overflow warnings, are aggregated across the
/// program: at most one line a second of each kind, naming the server, then
/// one summary line (`more = n`) for the others in that second. A burst
/// across 500 servers writes two lines, not 500.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Mailbox {
    pub(crate) capacity: Option<usize>,
    pub(crate) overflow: Overflow,
    pub(crate) high: usize,
    pub(crate) low: usize,
}

/// What a fire-and-forget cast does when a bounded mailbox is full.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Overflow {
    /// Drop the message being sent (the default).
    #[default]
    DropNewest,
    /// Drop the oldest queued cast to make room: never a call, an info
    /// message, a task's result or a signal. With no cast queued, the
    /// newest is dropped.
    DropOldest,
}

impl Mailbox {
    /// No limit (the default, as in OTP).
    pub const fn unbounded() -> Self {
        Mailbox {
            capacity: None,
            overflow: Overflow::DropNewest,
            high: 10_000,
            low: 1_000,
        }
    }

    /// At most `capacity` user messages wait (at least one).
    pub const fn bounded(capacity: usize) -> Self {
        let capacity = if capacity == 0 { 1 } else { capacity };
        Mailbox {
            capacity: Some(capacity),
            overflow: Overflow::DropNewest,
            high: if capacity * 3 / 4 == 0 {
                1
            } else {
                capacity * 3 / 4
            },
            low: capacity / 4,
        }
    }

    /// The same mailbox, with what a fire-and-forget cast does when it is
    /// full.
    pub const fn with_overflow(mut self, overflow: Overflow) -> Self {
        self.overflow = overflow;
        self
    }

    /// The same mailbox, logging a warning when more than `high` messages
    /// wait, and an info line once they fall to `low` (`high` is at least
    /// 1, and `low` below it).
    pub const fn with_watermarks(mut self, high: usize, low: usize) -> Self {
        self.high = if high == 0 { 1 } else { high };
        self.low = if low < self.high { low } else { self.high - 1 };
        self
    }

    /// The capacity; `None` when unbounded.
    pub const fn capacity(&self) -> Option<usize> {
        self.capacity
    }

    /// What a fire-and-forget cast does when the mailbox is full.
    pub const fn overflow(&self) -> Overflow {
        self.overflow
    }

    #[doc(hidden)]
    #[deprecated(since = "0.1.0", note = "renamed to `overflow`")]
    pub const fn overflow_policy(&self) -> Overflow {
        self.overflow
    }

    /// The high and low watermarks: a warning past the first, an info line
    /// back at the second.
    pub const fn watermarks(&self) -> (usize, usize) {
        (self.high, self.low)
    }
}

impl Default for Mailbox {
    fn default() -> Self {
        Mailbox::unbounded()
    }
}

impl fmt::Debug for Mailbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.capacity, self.overflow) {
            (None, _) => f.write_str("Mailbox(unbounded)"),
            (Some(n), Overflow::DropNewest) => write!(f, "Mailbox(bounded {n}, drop newest)"),
            (Some(n), Overflow::DropOldest) => write!(f, "Mailbox(bounded {n}, drop oldest)"),
        }
    }
}
