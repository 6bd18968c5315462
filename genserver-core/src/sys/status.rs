//! [`Status`]: what `sys().status()` reports of one server (OTP's
//! `:sys.get_status`), and how it is read.

use std::time::Duration;

use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::sys::dead_letters::{self, DeadLetters};
use crate::sys::processes;

/// Where a server is in its life, as inspection sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum RunState {
    /// Handling messages, or waiting for one.
    Running,
    /// Suspended by `sys().suspend()`: it takes only system requests and a
    /// stop until `sys().resume()`.
    Suspended,
    /// Its exit reason is known; `terminate` may be running.
    Exiting,
}

/// A server's mailbox, as inspection sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct MailboxStatus {
    /// Messages waiting, in both lanes.
    pub len: usize,
    /// Its bound; `None` when unbounded.
    pub capacity: Option<usize>,
    /// Messages its overflow policy dropped so far.
    pub dropped: u64,
}

impl MailboxStatus {
    pub(crate) fn new(len: usize, capacity: Option<usize>, dropped: u64) -> Self {
        MailboxStatus {
            len,
            capacity,
            dropped,
        }
    }
}

/// How many messages a server has handled, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub struct Handled {
    /// Calls.
    pub calls: u64,
    /// Casts.
    pub casts: u64,
    /// Everything `handle_info` received: own messages, timers, `Down`,
    /// `Exit`, idle timeouts, task failures.
    pub infos: u64,
}

impl Handled {
    /// All of them.
    pub fn total(&self) -> u64 {
        self.calls + self.casts + self.infos
    }
}

/// One server, as `sys().status()` reports it (OTP's `:sys.get_status`).
///
/// Everything but [`state`](Self::state) and [`monitors`](Self::monitors)
/// comes from what the server publishes outside its task, so it is there
/// even while a handler is stuck; those two are asked of the server,
/// between two messages, and are `None` when it did not answer in time.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct Status {
    /// Its identity.
    pub id: ServerId,
    /// Its type's name.
    pub type_name: &'static str,
    /// The names it holds: a local name, registry keys (as `Debug` shows
    /// them) of the registries that name it.
    pub names: Vec<String>,
    /// The server that started it linked (OTP's parent): its supervisor,
    /// or whoever gave its start a [`link`](crate::Start::link) first.
    pub parent: Option<ServerId>,
    /// Running, suspended or exiting.
    pub run_state: RunState,
    /// Its mailbox.
    pub mailbox: MailboxStatus,
    /// The messages it handled, by kind.
    pub handled: Handled,
    /// The handler running now (`"increment"`, `"handle_info(Down)"`,
    /// `"init"`, ..); `None` while it waits for a message.
    pub current: Option<&'static str>,
    /// How long the handler running now has run, when that is known: while
    /// statistics or a trace are on, or once the long-handler watch
    /// ([`sys::watch_long_handlers`](crate::sys::watch_long_handlers)) has
    /// seen it run past its threshold.
    pub current_for: Option<Duration>,
    /// The servers it is linked with.
    pub links: Vec<ServerId>,
    /// The servers monitoring it.
    pub monitored_by: Vec<ServerId>,
    /// The servers it monitors; `None` when it did not answer in time.
    pub monitors: Option<Vec<ServerId>>,
    /// The messages for it that were dropped, by reason (its overflow
    /// policy's drops included).
    pub dead_letters: DeadLetters,
    /// How long it has run.
    pub uptime: Duration,
    /// Its state, as its `format_status` shows it (its `Debug`, by
    /// default, when it has one); `None` when it has neither, or did not
    /// answer in time.
    pub state: Option<String>,
}

/// What `server` publishes; its state and monitors are for the server to
/// answer.
pub(crate) fn status(server: &AnyServer) -> Status {
    let process = server.process();
    let counters = server.counters();
    let relations = process.relations();
    let (calls, casts, infos) = counters.handled();
    let run_state = processes::run_state(server);
    let current = processes::current(server);
    Status {
        id: server.id(),
        type_name: server.type_name(),
        names: relations.names,
        parent: counters.parent(),
        run_state,
        mailbox: processes::mailbox(server),
        handled: Handled {
            calls,
            casts,
            infos,
        },
        current,
        current_for: current.and_then(|_| processes::running_for(server)),
        links: relations.links.into_iter().map(|(id, _)| id).collect(),
        monitored_by: relations.monitored_by,
        monitors: None,
        dead_letters: dead_letters::of(server),
        uptime: counters.uptime(),
        state: None,
    }
}
