//! What a server records about its messages when asked to (OTP's
//! `:sys.statistics` and `:sys.log`): time spent in each handler, and a
//! ring of its last events. Off by default: then the loop pays one load
//! and one branch per message, and the server one pointer.
//!
//! ```text
//!  sys().collect_statistics(true) ─┐
//!  sys().trace(n) ─────────────────┼─▶ Observer (allocated at first use, kept until the server is freed)
//!                                  │      flags: statistics | trace | trace state
//!  loop: counters.observer() ──────┘      begin(handler, args, state) ─▶ dispatch ─▶ end(reply, state)
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::lock::lock;

const STATISTICS: u8 = 1;
const TRACE: u8 = 2;
const TRACE_STATE: u8 = 4;
/// The `metrics` feature's recording (`server/metrics.rs`): on for every
/// server that starts while the feature is on.
#[cfg(feature = "metrics")]
const METRICS: u8 = 8;

/// The kind of message a [`TraceEvent`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum EventKind {
    /// A call.
    Call,
    /// A cast.
    Cast,
    /// Something for `handle_info`.
    Info,
}

/// How a traced message's handling ended.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub enum Outcome {
    /// The handler returned.
    Returned,
    /// The handler returned and asked the server to stop (`ctx.stop`).
    Stopped,
    /// The handler panicked, with this message: the server crashed.
    Panicked(String),
}

/// One message a traced server handled (see
/// [`Sys::trace`](crate::sys::Sys::trace)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct TraceEvent {
    /// When its handling began.
    pub at: SystemTime,
    /// Call, cast or info.
    pub kind: EventKind,
    /// The handler: `"increment"`, `"handle_info(Down)"`, ..
    pub handler: &'static str,
    /// Its arguments, `increment(by: 5)`, each by its `Debug` (`_` for
    /// one without); for an info, the info's `Debug` when it has one.
    pub message: Option<String>,
    /// A call's reply, by its `Debug`, when it has one and was sent by
    /// the handler's return (not through a kept `ReplyTo`).
    pub reply: Option<String>,
    /// How long the handler ran.
    pub duration: Duration,
    /// How it ended.
    pub outcome: Outcome,
    /// The state before, through `format_status`, when the trace records
    /// states.
    pub state_before: Option<String>,
    /// The state after, likewise.
    pub state_after: Option<String>,
}

/// The time spent in one handler, while statistics are collected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct HandlerTime {
    /// How many times it ran.
    pub count: u64,
    /// In all.
    pub total: Duration,
    /// The longest run.
    pub max: Duration,
}

impl HandlerTime {
    fn add(&mut self, took: Duration) {
        self.count += 1;
        self.total += took;
        self.max = self.max.max(took);
    }
}

/// The time a server spent in its handlers since statistics were turned
/// on (see [`Statistics`](crate::sys::Statistics)).
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Timing {
    /// When collecting began.
    pub since: SystemTime,
    /// Every handler together.
    pub all: HandlerTime,
    /// By handler name, the longest total first.
    pub handlers: Vec<(&'static str, HandlerTime)>,
}

/// The message being handled, while it is observed.
struct Pending {
    at: SystemTime,
    started: Instant,
    kind: EventKind,
    handler: &'static str,
    message: Option<String>,
    reply: Option<String>,
    state_before: Option<String>,
}

#[derive(Default)]
struct Observed {
    since: Option<SystemTime>,
    all: HandlerTime,
    handlers: HashMap<&'static str, HandlerTime>,
    capacity: usize,
    events: VecDeque<TraceEvent>,
    pending: Option<Pending>,
}

/// One server's observer, allocated when first turned on.
#[derive(Default)]
pub(crate) struct Observer {
    flags: AtomicU8,
    observed: Mutex<Observed>,
    #[cfg(feature = "metrics")]
    metrics: std::sync::OnceLock<crate::server::metrics::ServerMetrics>,
}

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Observer")
            .field("flags", &self.flags.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Observer {
    /// Whether anything is recorded now.
    #[inline]
    pub(crate) fn active(&self) -> bool {
        self.flags.load(Ordering::Relaxed) != 0
    }

    pub(crate) fn tracing(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & TRACE != 0
    }

    pub(crate) fn tracing_state(&self) -> bool {
        self.flags.load(Ordering::Relaxed) & TRACE_STATE != 0
    }

    fn set(&self, flag: u8, on: bool) {
        if on {
            self.flags.fetch_or(flag, Ordering::Relaxed);
        } else {
            self.flags.fetch_and(!flag, Ordering::Relaxed);
        }
    }

    /// Records into the `metrics` facade from now, under `type_name`.
    #[cfg(feature = "metrics")]
    pub(crate) fn record_metrics(&self, type_name: &'static str) {
        self.metrics
            .get_or_init(|| crate::server::metrics::ServerMetrics::new(type_name));
        self.set(METRICS, true);
    }

    /// Its metrics handles, when it records metrics.
    #[cfg(feature = "metrics")]
    pub(crate) fn metrics(&self) -> Option<&crate::server::metrics::ServerMetrics> {
        self.metrics.get()
    }

    /// Statistics on (from now, forgetting earlier ones) or off.
    pub(crate) fn collect_statistics(&self, on: bool) {
        let mut observed = lock(&self.observed);
        observed.since = on.then(SystemTime::now);
        observed.all = HandlerTime::default();
        observed.handlers.clear();
        self.set(STATISTICS, on);
    }

    /// A ring of the last `capacity` events (0: off), with states or not.
    pub(crate) fn trace(&self, capacity: usize, states: bool) {
        let mut observed = lock(&self.observed);
        observed.capacity = capacity;
        // Off keeps what was traced; a smaller ring keeps the latest.
        while capacity > 0 && observed.events.len() > capacity {
            observed.events.pop_front();
        }
        self.set(TRACE, capacity > 0);
        self.set(TRACE_STATE, capacity > 0 && states);
    }

    /// A message's handling begins.
    pub(crate) fn begin(
        &self,
        kind: EventKind,
        handler: &'static str,
        message: Option<String>,
        state_before: Option<String>,
    ) {
        lock(&self.observed).pending = Some(Pending {
            at: SystemTime::now(),
            started: Instant::now(),
            kind,
            handler,
            message,
            reply: None,
            state_before,
        });
    }

    /// The reply of the call being handled.
    pub(crate) fn reply(&self, reply: Option<String>) {
        if let Some(pending) = &mut lock(&self.observed).pending {
            pending.reply = reply;
        }
    }

    /// The message's handling ended.
    pub(crate) fn end(&self, outcome: Outcome, state_after: Option<String>) {
        let mut observed = lock(&self.observed);
        let Some(pending) = observed.pending.take() else {
            return;
        };
        let took = pending.started.elapsed();
        #[cfg(feature = "metrics")]
        if let Some(metrics) = self.metrics.get() {
            metrics.handled(pending.kind, took);
        }
        if observed.since.is_some() {
            observed.all.add(took);
            observed
                .handlers
                .entry(pending.handler)
                .or_default()
                .add(took);
        }
        if observed.capacity > 0 {
            if observed.events.len() == observed.capacity {
                observed.events.pop_front();
            }
            observed.events.push_back(TraceEvent {
                at: pending.at,
                kind: pending.kind,
                handler: pending.handler,
                message: pending.message,
                reply: pending.reply,
                duration: took,
                outcome,
                state_before: pending.state_before,
                state_after,
            });
        }
    }

    /// How long the message being handled has run, if one is observed.
    pub(crate) fn running_for(&self) -> Option<Duration> {
        lock(&self.observed)
            .pending
            .as_ref()
            .map(|pending| pending.started.elapsed())
    }

    pub(crate) fn events(&self) -> Vec<TraceEvent> {
        lock(&self.observed).events.iter().cloned().collect()
    }

    pub(crate) fn timing(&self) -> Option<Timing> {
        let observed = lock(&self.observed);
        let since = observed.since?;
        let mut handlers: Vec<(&'static str, HandlerTime)> =
            observed.handlers.iter().map(|(k, v)| (*k, *v)).collect();
        handlers.sort_by(|a, b| b.1.total.cmp(&a.1.total).then(a.0.cmp(b.0)));
        Some(Timing {
            since,
            all: observed.all,
            handlers,
        })
    }
}
