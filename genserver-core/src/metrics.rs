//! Metrics through the [`metrics`](https://docs.rs/metrics) crate's
//! facade (the `metrics` feature), for Prometheus, StatsD or any other
//! recorder: Erlang's `:telemetry` events, as numbers.
//!
//! Install a recorder, then call [`enable`]: every live server records
//! from then on, and every server started later. Without `enable`, the
//! feature costs nothing per message. Call [`sample`] (or run
//! [`spawn_sampler`]) to refresh the gauges.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! // metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()?; first
//! genserver_core::metrics::enable();
//! let sampler = genserver_core::metrics::spawn_sampler(std::time::Duration::from_secs(5));
//! # sampler.abort();
//! # }
//! ```
//!
//! # The names and labels (a stable contract)
//!
//! Every metric has the `type` label: the server's type name as written
//! in its `impl` (`Counter`, `Cache<String>`), the same as in
//! [`sys::processes`](crate::sys::processes). Labels never carry a
//! server id, a key or a message: their number is bounded by the
//! program's types.
//!
//! | name | kind | labels | what |
//! |---|---|---|---|
//! | `genserver_messages_total` | counter | `type`, `kind` (`call`, `cast`, `info`) | messages handled |
//! | `genserver_handler_duration_seconds` | histogram | `type`, `kind` | time in a handler, per message |
//! | `genserver_call_duration_seconds` | histogram | `type` | a local call, from its send to its reply, at the caller (queueing included) |
//! | `genserver_crashes_total` | counter | `type` | callbacks that panicked |
//! | `genserver_restarts_total` | counter | `type` | children a supervisor restarted |
//! | `genserver_dead_letters_total` | counter | `type` (`unknown` without a server), `reason` | messages dropped ([`DeadLetterReason::as_str`](crate::sys::DeadLetterReason::as_str)) |
//! | `genserver_servers` | gauge | `type` | live servers, at the last [`sample`] |
//! | `genserver_mailbox_messages` | gauge | `type` | messages waiting in their mailboxes, at the last [`sample`] |
//! | `genserver_mailbox_longest` | gauge | `type` | the longest of their mailboxes, at the last [`sample`] |
//!
//! The counters and histograms are recorded as things happen; the gauges
//! are sampled, so that no message updates a shared value. A type with no
//! live server is sampled as zero. `genserver_messages_total` and the
//! histograms count from [`enable`]; a program that never enables them
//! still counts crashes, restarts and dead letters.
//!
//! # Tracing
//!
//! The runtime also emits [`tracing`](https://docs.rs/tracing) events,
//! whatever the feature:
//!
//! | target | level | message | fields |
//! |---|---|---|---|
//! | `genserver_core::server::runtime` | ERROR | `server crashed` | `server` (type), `id`, `handler`, `reason`, `location`, `state` (through `format_status`), `trace` (when traced) |
//! | `genserver::dead_letters` | INFO | `dead letter` | `reason`, `server`, `id`, `detail`, `count` (at most one line a second per reason) |
//! | `genserver::dead_letters` | WARN | `mailbox full: dropping messages` | `reason`, `server`, `id`, `policy`, `capacity` (one line per burst) |
//! | `genserver_core::server::mailbox` | WARN | `long message queue` | `server`, `id`, `len` (over the mailbox's high watermark) |
//! | `genserver_core::sys::watch` | WARN | `handler running long` | `server`, `id`, `handler`, `for`, `threshold` ([`watch_long_handlers`](crate::sys::watch_long_handlers)) |
//! | `genserver_core::supervision::*` | ERROR | `child failed to start`, `child failed to restart`, `reached maximum restart intensity; shutting down` | `child`, `error` |
//! | `genserver_core::server::tasks` | ERROR | `task crashed` | the task and its panic |
//!
//! Spans, at DEBUG: `init`, `call` and `cast` (with `handler`: the
//! handler's name), `handle_info`, `handle_continue` and `terminate`,
//! around each callback. A flood of one kind is throttled to a line a
//! second with a count of the lines left out.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::lock::lock;
use crate::server::live;
use crate::server::metrics::{self, MAILBOX_LONGEST, MAILBOX_MESSAGES, SERVERS};

/// Whether [`enable`] was called.
pub fn enabled() -> bool {
    metrics::enabled()
}

/// Records every server's messages, handler times and call latencies from
/// now: the live servers' and those started later. Call it once the
/// recorder is installed: each server takes its handles from the recorder
/// installed when it is enabled. Calling it again is harmless.
pub fn enable() {
    metrics::ENABLED.store(true, Ordering::Relaxed);
    live::for_each(|server| {
        server
            .counters()
            .observer
            .get_or_make()
            .record_metrics(server.type_name());
    });
}

/// The types sampled last time, to set the gone ones to zero.
static SAMPLED: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());

/// Sets the gauges (`genserver_servers`, `genserver_mailbox_messages`,
/// `genserver_mailbox_longest`) from one pass over the live servers, one
/// shard of the process table at a time. Its cost grows with the number
/// of servers (about 10 ms for 100 000); run it every few seconds, not per
/// request.
pub fn sample() {
    #[derive(Default)]
    struct Sums {
        servers: u64,
        messages: u64,
        longest: u64,
    }
    let mut by_type: HashMap<&'static str, Sums> = HashMap::new();
    live::for_each(|server| {
        let len = server.control().mailbox_numbers().0 as u64;
        let sums = by_type.entry(server.type_name()).or_default();
        sums.servers += 1;
        sums.messages += len;
        sums.longest = sums.longest.max(len);
    });
    let mut sampled = lock(&SAMPLED);
    for gone in sampled.iter().filter(|name| !by_type.contains_key(*name)) {
        ::metrics::gauge!(SERVERS, "type" => *gone).set(0.0);
        ::metrics::gauge!(MAILBOX_MESSAGES, "type" => *gone).set(0.0);
        ::metrics::gauge!(MAILBOX_LONGEST, "type" => *gone).set(0.0);
    }
    sampled.clear();
    for (type_name, sums) in by_type {
        ::metrics::gauge!(SERVERS, "type" => type_name).set(sums.servers as f64);
        ::metrics::gauge!(MAILBOX_MESSAGES, "type" => type_name).set(sums.messages as f64);
        ::metrics::gauge!(MAILBOX_LONGEST, "type" => type_name).set(sums.longest as f64);
        sampled.push(type_name);
    }
}

/// A tokio task that calls [`sample`] every `every`, until aborted. It
/// must run inside a tokio runtime.
pub fn spawn_sampler(every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            sample();
        }
    })
}
