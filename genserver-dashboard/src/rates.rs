//! Messages per second: the totals of messages each server handled, kept
//! from one look at the process table to a later one; a server's rate is
//! what it handled in between, over the time in between.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// The youngest a kept sample is when a look replaces it: rates are
/// measured over at least this long.
pub(crate) const RATE_WINDOW: Duration = Duration::from_secs(1);

/// The totals of one look at the table: by server id number, only the
/// servers that had handled something (the others count as zero).
#[derive(Debug)]
pub(crate) struct Sample {
    pub(crate) at: Instant,
    pub(crate) totals: HashMap<u64, u64>,
}

impl Sample {
    /// What `id` handled since this sample; a server that was not in it
    /// had handled nothing then (it started since, or was idle).
    pub(crate) fn delta(&self, id: u64, total: u64) -> u64 {
        total.saturating_sub(self.totals.get(&id).copied().unwrap_or(0))
    }
}

/// The sample kept between looks.
#[derive(Debug, Default)]
pub(crate) struct Rates {
    sample: Option<Sample>,
}

/// What one look uses: the sample it measures against, and whether it
/// records a new one.
#[derive(Debug)]
pub(crate) struct Look<'a> {
    pub(crate) previous: Option<&'a Sample>,
    /// How long since `previous`.
    pub(crate) elapsed: Duration,
    pub(crate) record: Option<HashMap<u64, u64>>,
}

impl Look<'_> {
    /// `delta` messages over the look's window, per second; `None` before
    /// there is a sample to measure against.
    pub(crate) fn per_second(&self, delta: u64) -> Option<f64> {
        let secs = self.elapsed.as_secs_f64();
        (self.previous.is_some() && secs > 0.0).then(|| delta as f64 / secs)
    }

    /// Records `total` for `id` in the sample being taken, if any.
    pub(crate) fn note(&mut self, id: u64, total: u64) {
        if let Some(record) = self.record.as_mut()
            && total > 0
        {
            record.insert(id, total);
        }
    }
}

impl Rates {
    /// Starts a look at `now`: it measures against the kept sample, and
    /// records a new one when there is none or the kept one is older than
    /// [`RATE_WINDOW`].
    pub(crate) fn look(&self, now: Instant) -> Look<'_> {
        let elapsed = self
            .sample
            .as_ref()
            .map_or(Duration::ZERO, |s| now.saturating_duration_since(s.at));
        let stale = self.sample.is_none() || elapsed >= RATE_WINDOW;
        Look {
            previous: self.sample.as_ref(),
            elapsed,
            record: stale.then(HashMap::new),
        }
    }

    /// Keeps what a look recorded, if it recorded anything.
    pub(crate) fn keep(&mut self, at: Instant, recorded: Option<HashMap<u64, u64>>) {
        if let Some(totals) = recorded {
            self.sample = Some(Sample { at, totals });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rate_is_measured_between_two_looks_of_at_least_the_window() {
        let mut rates = Rates::default();
        let t0 = Instant::now();
        let mut first = rates.look(t0);
        assert!(first.previous.is_none());
        assert_eq!(first.per_second(10), None, "nothing to measure against");
        first.note(1, 10);
        first.note(2, 0);
        let recorded = first.record.take();
        rates.keep(t0, recorded);

        // Half a window later: measured against t0, nothing recorded.
        let half = rates.look(t0 + RATE_WINDOW / 2);
        assert!(half.record.is_none());
        let sample = half.previous.unwrap();
        assert_eq!(sample.delta(1, 15), 5);
        assert_eq!(sample.delta(2, 3), 3, "an idle server counts from zero");
        assert_eq!(sample.delta(3, 4), 4, "so does a new one");
        assert_eq!(half.per_second(5), Some(10.0));

        // Two windows later: measured against t0, and a new sample taken.
        let later = rates.look(t0 + RATE_WINDOW * 2);
        assert!(later.record.is_some());
        assert_eq!(later.per_second(30), Some(15.0));
    }
}
