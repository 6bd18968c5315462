//! [`Backoff`]: a delay before each restart of a child that keeps failing,
//! growing exponentially, beside the supervisor's restart intensity.

use std::time::Duration;

use tokio::time::Instant;

/// Exponential restart backoff for one child (opt-in, with
/// [`ChildSpec::with_backoff`](crate::ChildSpec::with_backoff)).
///
/// Without it, a supervisor restarts a child at once, as OTP does, and
/// only the restart intensity stops a crash loop. With it, the child's
/// restarts in a row wait `initial`, then twice that, and so on up to
/// `max`; a child that ran for `reset_after` (by default `max`) before
/// exiting starts again from `initial`. Only the time a started child ran
/// counts: a restart that keeps failing (its `init` returns an error)
/// keeps growing the delay, however long the waits add up to. While it waits, the child is
/// listed as [`ChildStatus::BackingOff`](crate::ChildStatus::BackingOff),
/// and `terminate_child` ends the wait.
///
/// Each restart still counts against the intensity when it happens; the
/// backoff spreads the restarts over time, so a crash loop slows down
/// instead of using up the intensity in a moment (with `initial` = 1 s,
/// restarts come 1 s, 2 s, 4 s apart: 3 within 5 s never happens).
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::Backoff;
/// use std::time::Duration;
///
/// # #[derive(Clone)]
/// # pub struct Feed;
/// # #[gen_server]
/// # impl Feed {
/// #     fn handle_info(&mut self, _msg: Info<()>) {}
/// # }
/// // An upstream feed that may be down for minutes: retry after 100 ms,
/// // 200 ms, 400 ms, … at most every 30 s.
/// let spec = Feed::child_spec(Feed).with_backoff(Backoff::exponential(
///     Duration::from_millis(100),
///     Duration::from_secs(30),
/// ));
/// # let _ = spec;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    initial: Duration,
    max: Duration,
    reset_after: Duration,
}

impl Backoff {
    /// Waits `initial` before the first restart, doubling for each restart
    /// in a row, at most `max`.
    pub fn exponential(initial: Duration, max: Duration) -> Self {
        let max = max.max(initial);
        Backoff {
            initial,
            max,
            reset_after: max,
        }
    }

    /// A child that ran at least this long before exiting restarts after
    /// `initial` again (`max` by default).
    pub fn reset_after(mut self, ran_for: Duration) -> Self {
        self.reset_after = ran_for;
        self
    }

    /// The wait before the `n`th restart in a row (from 0).
    fn delay(&self, n: u32) -> Duration {
        let factor = 1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX);
        self.initial.saturating_mul(factor).min(self.max)
    }
}

/// A child's restarts in a row, for its backoff.
#[derive(Debug)]
pub(crate) struct Restarts {
    /// When its running server started; `None` once its run has been
    /// counted (after an exit, and while its restarts fail).
    running_since: Option<Instant>,
    /// Restarts since it last ran for `reset_after`.
    in_a_row: u32,
    /// Restarts that started a server, in all.
    count: u32,
}

impl Restarts {
    pub(crate) fn new() -> Self {
        Restarts {
            running_since: Some(Instant::now()),
            in_a_row: 0,
            count: 0,
        }
    }

    /// A new server runs: restarted.
    pub(crate) fn started(&mut self) {
        self.running_since = Some(Instant::now());
        self.count = self.count.saturating_add(1);
    }

    /// How many times a restart started a server.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// The wait before the next restart; `ZERO` without a backoff. Only
    /// the time the child ran counts toward `reset_after`: not the time
    /// spent waiting out a backoff, nor in starts that failed.
    pub(crate) fn next_delay(&mut self, backoff: Option<&Backoff>) -> Duration {
        let Some(backoff) = backoff else {
            return Duration::ZERO;
        };
        if let Some(since) = self.running_since.take()
            && since.elapsed() >= backoff.reset_after
        {
            self.in_a_row = 0;
        }
        let delay = backoff.delay(self.in_a_row);
        self.in_a_row = self.in_a_row.saturating_add(1);
        delay
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap() {
        let backoff = Backoff::exponential(Duration::from_millis(100), Duration::from_secs(1));
        let delays: Vec<u64> = (0..6)
            .map(|n| backoff.delay(n).as_millis() as u64)
            .collect();
        assert_eq!(delays, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(backoff.delay(u32::MAX), Duration::from_secs(1));
    }
}
