//! [`Throttle`]: at most one log line a second for one kind of event, and
//! one summary line with how many more there were, so that a burst (500
//! servers crossing their watermark at once, a flood of refused messages)
//! writes two lines, not a thousand. A leaf: it knows nothing of servers.
//!
//! ```text
//!  event ──▶ first in this second? ── yes ─▶ the caller logs it
//!                 └─ no ─▶ counted ──▶ at the end of the second: one summary line with the count
//! ```

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// How long one line covers.
const WINDOW: Duration = Duration::from_secs(1);

/// Rate-limits the log lines of one kind of event (a `static` per kind).
/// Transports reach it through `__private`.
#[derive(Debug)]
pub struct Throttle {
    /// When the current window opened, in nanoseconds since [`epoch`];
    /// `u64::MAX` before the first event.
    opened: AtomicU64,
    /// Events not logged since the last line.
    suppressed: AtomicU64,
}

/// The clock's zero, shared by every throttle.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now() -> u64 {
    u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX - 1)
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new()
    }
}

impl Throttle {
    /// A throttle that has let nothing through yet.
    pub const fn new() -> Self {
        Throttle {
            opened: AtomicU64::new(u64::MAX),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `true` when this event may be logged now: the first of its second.
    /// Otherwise it is counted, and `summary` logs the count once the
    /// second is over (on a task of the current tokio runtime; outside
    /// one, before the next line that may be logged).
    pub fn allow(&'static self, summary: fn(u64)) -> bool {
        let now = now();
        let opened = self.opened.load(Ordering::Acquire);
        let expired = opened == u64::MAX || now.saturating_sub(opened) >= WINDOW.as_nanos() as u64;
        if expired
            && self
                .opened
                .compare_exchange(opened, now, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            // Suppressed events no summary reported yet (no runtime).
            self.flush(summary);
            return true;
        }
        if self.suppressed.fetch_add(1, Ordering::AcqRel) == 0 {
            self.schedule(summary);
        }
        false
    }

    /// Logs the count of suppressed events, if there are any.
    fn flush(&self, summary: fn(u64)) {
        let suppressed = self.suppressed.swap(0, Ordering::AcqRel);
        if suppressed > 0 {
            summary(suppressed);
        }
    }

    /// The first event suppressed in a window: its summary is logged once
    /// the window is over.
    fn schedule(&'static self, summary: fn(u64)) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let opened = self.opened.load(Ordering::Acquire);
        let left = WINDOW.saturating_sub(Duration::from_nanos(now().saturating_sub(opened)));
        runtime.spawn(async move {
            tokio::time::sleep(left).await;
            self.flush(summary);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    static SUMMARIZED: AtomicU64 = AtomicU64::new(0);

    fn summary(n: u64) {
        SUMMARIZED.fetch_add(n, Ordering::SeqCst);
    }

    #[tokio::test]
    async fn a_burst_is_one_line_and_one_summary_with_its_count() {
        static THROTTLE: Throttle = Throttle::new();
        let logged = (0..500).filter(|_| THROTTLE.allow(summary)).count();
        assert_eq!(logged, 1);
        let deadline = Instant::now() + Duration::from_secs(10);
        while SUMMARIZED.load(Ordering::SeqCst) < 499 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(SUMMARIZED.load(Ordering::SeqCst), 499);
        // A new second: the next event is logged again.
        std::thread::sleep(WINDOW);
        assert!(THROTTLE.allow(summary));
    }
}
