//! Counts the log lines at WARN and above written on this thread (set it
//! as the thread's default subscriber: a current-thread test runtime runs
//! every task there), for tests that a flood writes few lines.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Counts the log lines at WARN and above.
#[derive(Clone, Default)]
pub struct Lines(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Lines {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if *event.metadata().level() <= tracing::Level::WARN {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Lines {
    /// The lines counted so far.
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}
