//! [`watch_long_handlers`]: one warning for each handler that runs past a
//! threshold, from a thread that samples the live servers (so a handler
//! blocking its runtime's thread is seen too), and how long it has run
//! for [`Status::current_for`](crate::sys::Status::current_for).
//!
//! ```text
//!  every threshold / 4 ──▶ each live server not waiting for a message:
//!      the same message count as last time? ── busy since then (at least)
//!      busy ≥ threshold, not warned yet    ── one WARN line
//! ```
//!
//! Nothing is added to the servers' per-message path: the thread reads
//! what they publish. A scan costs tens of nanoseconds a server, and holds
//! one shard of the process table at a time.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::id::ServerId;
use crate::lock::lock;
use crate::server::any::AnyServer;
use crate::server::live;

/// The shortest time between two scans.
const MIN_PERIOD: Duration = Duration::from_millis(10);

/// A server seen in a handler.
struct Busy {
    /// Its message count when first seen in this handler.
    handled: u64,
    since: Instant,
    warned: bool,
    /// The scan that last saw it.
    scan: u64,
}

#[derive(Default)]
struct Watch {
    threshold: Option<Duration>,
    /// Bumped at each change, so that an old thread stops.
    generation: u64,
    busy: HashMap<ServerId, Busy>,
}

fn watch() -> &'static Mutex<Watch> {
    static WATCH: std::sync::OnceLock<Mutex<Watch>> = std::sync::OnceLock::new();
    WATCH.get_or_init(Mutex::default)
}

/// Warns once (at WARN, naming the server and the handler) for each
/// handler that runs longer than `threshold`, and records how long a
/// handler has been running for [`Status::current_for`](crate::sys::Status::current_for);
/// `None` turns the watch off. Off by default.
///
/// A thread samples the live servers every quarter of `threshold` (at
/// most every 10 ms): a handler is seen once it has run a quarter longer
/// than `threshold` at most, and one that blocks its runtime's thread is
/// seen as well as one that awaits.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::sys;
/// use std::time::Duration;
///
/// sys::watch_long_handlers(Some(Duration::from_secs(1)));
/// // .. a handler running for more than a second is logged:
/// // WARN handler running long server="Importer" id=<0.7.0> handler="import" for=1.25s
/// sys::watch_long_handlers(None);
/// ```
pub fn watch_long_handlers(threshold: Option<Duration>) {
    let mut state = lock(watch());
    state.generation += 1;
    state.threshold = threshold;
    state.busy.clear();
    if let Some(threshold) = threshold {
        let generation = state.generation;
        let period = (threshold / 4).max(MIN_PERIOD);
        let spawned = std::thread::Builder::new()
            .name("genserver-watch".into())
            .spawn(move || run(generation, threshold, period));
        if let Err(error) = spawned {
            tracing::error!(%error, "the long-handler watch could not start its thread");
            state.threshold = None;
        }
    }
}

/// How long `id`'s handler has run, as the watch last saw it.
pub(crate) fn busy_for(id: ServerId) -> Option<Duration> {
    let state = lock(watch());
    state.threshold?;
    state.busy.get(&id).map(|busy| busy.since.elapsed())
}

fn run(generation: u64, threshold: Duration, period: Duration) {
    let mut scan = 0_u64;
    loop {
        std::thread::sleep(period);
        scan += 1;
        // Read the servers without the watch's lock, then update it.
        let mut seen: Vec<(ServerId, &'static str, u64, &'static str)> = Vec::new();
        live::for_each(|server: &AnyServer| {
            if server.receiver_waiting() || !server.is_alive() {
                return;
            }
            let counters = server.counters();
            let (calls, casts, infos) = counters.handled();
            seen.push((
                server.id(),
                server.type_name(),
                calls + casts + infos,
                counters.activity(),
            ));
        });
        let mut state = lock(watch());
        if state.generation != generation {
            return;
        }
        let now = Instant::now();
        for (id, type_name, handled, handler) in seen {
            let busy = state.busy.entry(id).or_insert(Busy {
                handled,
                since: now,
                warned: false,
                scan,
            });
            if busy.handled != handled {
                *busy = Busy {
                    handled,
                    since: now,
                    warned: false,
                    scan,
                };
                continue;
            }
            busy.scan = scan;
            let running = now.duration_since(busy.since);
            if running >= threshold && !busy.warned {
                busy.warned = true;
                tracing::warn!(
                    server = type_name,
                    %id,
                    handler,
                    r#for = ?running,
                    threshold = ?threshold,
                    "handler running long"
                );
            }
        }
        // Servers that wait again, or are gone.
        state.busy.retain(|_, busy| busy.scan == scan);
    }
}
