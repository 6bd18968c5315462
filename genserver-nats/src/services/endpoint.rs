//! [`Endpoint`]: what the services API reports of one served name: its
//! requests, its errors, the last of them, and the time spent on them.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

/// The longest last error kept, in bytes.
const MAX_ERROR: usize = 256;

/// One served name's counts, kept while the node runs (a name served
/// again counts on).
#[derive(Debug, Default)]
pub(crate) struct Endpoint {
    /// How many subscriptions serve the name on this node now: it is
    /// listed while there is one.
    serving: AtomicUsize,
    requests: AtomicU64,
    errors: AtomicU64,
    /// Nanoseconds from a request's arrival to its reply (a cast: to its
    /// queueing).
    processing: AtomicU64,
    last_error: Mutex<String>,
}

/// A copy of an [`Endpoint`]'s counts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct EndpointStats {
    pub(crate) requests: u64,
    pub(crate) errors: u64,
    pub(crate) processing_ns: u64,
    pub(crate) last_error: String,
}

impl Endpoint {
    pub(crate) fn start_serving(&self) {
        self.serving.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn stop_serving(&self) {
        self.serving.fetch_sub(1, Ordering::Relaxed);
    }

    pub(crate) fn is_served(&self) -> bool {
        self.serving.load(Ordering::Relaxed) > 0
    }

    /// A request arrived.
    pub(crate) fn request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// A request was answered (or queued, for a cast), `took` after it
    /// arrived.
    pub(crate) fn processed(&self, took: Duration) {
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.processing.fetch_add(nanos, Ordering::Relaxed);
    }

    /// A request failed: refused, or answered with an error.
    pub(crate) fn error(&self, error: impl std::fmt::Display) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut text = error.to_string();
        if text.len() > MAX_ERROR {
            let mut cut = MAX_ERROR;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text.truncate(cut);
        }
        *self
            .last_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = text;
    }

    pub(crate) fn stats(&self) -> EndpointStats {
        EndpointStats {
            requests: self.requests.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            processing_ns: self.processing.load(Ordering::Relaxed),
            last_error: self
                .last_error
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_the_last_error_cut_to_a_char_boundary() {
        let endpoint = Endpoint::default();
        assert!(!endpoint.is_served());
        endpoint.start_serving();
        endpoint.start_serving();
        endpoint.stop_serving();
        assert!(endpoint.is_served());
        endpoint.request();
        endpoint.request();
        endpoint.processed(Duration::from_micros(3));
        endpoint.processed(Duration::from_micros(5));
        endpoint.error("é".repeat(200));
        let stats = endpoint.stats();
        assert_eq!((stats.requests, stats.errors), (2, 1));
        assert_eq!(stats.processing_ns, 8_000);
        assert_eq!(stats.last_error.len(), 256);
    }
}
