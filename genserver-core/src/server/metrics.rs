//! What the runtime records through the `metrics` crate's facade, with
//! the `metrics` feature (the names are a contract: `crate::metrics`).
//!
//! ```text
//!  server starts ─▶ ServerMetrics (its handles, resolved once: no lookup per message)
//!  loop (observed path) ─▶ messages_total{type,kind} + handler_duration_seconds{type,kind}
//!  Handle::call ─────────▶ call_duration_seconds{type}
//!  crash / restart / dead letter ─▶ crashes_total / restarts_total / dead_letters_total
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use metrics::{Counter, Histogram};

use crate::server::observer::EventKind;

/// Messages handled, by `type` and `kind` (`call`, `cast`, `info`).
pub(crate) const MESSAGES: &str = "genserver_messages_total";
/// Seconds in a handler, by `type` and `kind`.
pub(crate) const HANDLER_DURATION: &str = "genserver_handler_duration_seconds";
/// Seconds from a local call's send to its reply, at the caller, by `type`.
pub(crate) const CALL_DURATION: &str = "genserver_call_duration_seconds";
/// Crashes (a panic in a callback), by `type`.
pub(crate) const CRASHES: &str = "genserver_crashes_total";
/// Restarts a supervisor made, by the restarted child's `type`.
pub(crate) const RESTARTS: &str = "genserver_restarts_total";
/// Messages dropped, by `reason` and `type` (`unknown` when no server).
pub(crate) const DEAD_LETTERS: &str = "genserver_dead_letters_total";
/// Live servers, by `type` (sampled).
pub(crate) const SERVERS: &str = "genserver_servers";
/// Messages waiting in mailboxes, by `type` (sampled).
pub(crate) const MAILBOX_MESSAGES: &str = "genserver_mailbox_messages";
/// The longest mailbox of a type, by `type` (sampled).
pub(crate) const MAILBOX_LONGEST: &str = "genserver_mailbox_longest";

/// Set by `crate::metrics::enable`.
pub(crate) static ENABLED: AtomicBool = AtomicBool::new(false);

/// Whether servers record their messages now.
pub(crate) fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

fn kind_label(kind: EventKind) -> &'static str {
    match kind {
        EventKind::Call => "call",
        EventKind::Cast => "cast",
        EventKind::Info => "info",
    }
}

/// One server's handles, resolved when it starts.
pub(crate) struct ServerMetrics {
    messages: [Counter; 3],
    handler: [Histogram; 3],
    call: Histogram,
}

impl ServerMetrics {
    pub(crate) fn new(type_name: &'static str) -> Self {
        let kinds = [EventKind::Call, EventKind::Cast, EventKind::Info];
        ServerMetrics {
            messages: kinds.map(|kind| {
                metrics::counter!(MESSAGES, "type" => type_name, "kind" => kind_label(kind))
            }),
            handler: kinds.map(|kind| {
                metrics::histogram!(HANDLER_DURATION, "type" => type_name, "kind" => kind_label(kind))
            }),
            call: metrics::histogram!(CALL_DURATION, "type" => type_name),
        }
    }

    /// A message was handled, in `took`.
    pub(crate) fn handled(&self, kind: EventKind, took: Duration) {
        let index = kind as usize;
        self.messages[index].increment(1);
        self.handler[index].record(took.as_secs_f64());
    }

    /// A call to this server was answered, `took` after it was sent.
    pub(crate) fn answered(&self, took: Duration) {
        self.call.record(took.as_secs_f64());
    }
}

impl std::fmt::Debug for ServerMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerMetrics").finish_non_exhaustive()
    }
}

/// A server of type `type_name` crashed.
pub(crate) fn crashed(type_name: &'static str) {
    metrics::counter!(CRASHES, "type" => type_name).increment(1);
}

/// A supervisor restarted a child of type `type_name`.
pub(crate) fn restarted(type_name: &'static str) {
    metrics::counter!(RESTARTS, "type" => type_name).increment(1);
}

/// `count` messages were dropped.
pub(crate) fn dropped(reason: &'static str, type_name: Option<&'static str>, count: u64) {
    metrics::counter!(DEAD_LETTERS, "reason" => reason, "type" => type_name.unwrap_or("unknown"))
        .increment(count);
}
