//! [`processes`]: every live server of the program, as observer's process
//! list shows them (OTP's `Process.list/0` with `Process.info/2`).

use std::time::Duration;

use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::server::live;
use crate::sys::status::{Handled, MailboxStatus, RunState};

/// One live server, as [`processes`] lists it: what it publishes outside
/// its task, read without asking it anything.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ProcessInfo {
    /// Its identity.
    pub id: ServerId,
    /// Its type's name.
    pub type_name: &'static str,
    /// The names it holds (see [`Status::names`](crate::sys::Status::names)).
    pub names: Vec<String>,
    /// The server that started it linked: its supervisor, if any.
    pub parent: Option<ServerId>,
    /// Running, suspended or exiting.
    pub run_state: RunState,
    /// Its mailbox.
    pub mailbox: MailboxStatus,
    /// The messages it handled, by kind.
    pub handled: Handled,
    /// The handler running now; `None` while it waits for a message.
    pub current: Option<&'static str>,
    /// An estimate of the bytes it holds: its shared part, its task (the
    /// state and the future that runs it, as first allocated) and the
    /// messages in its mailbox. Heap memory its state owns is not counted.
    pub memory: usize,
    /// How long it has run.
    pub uptime: Duration,
}

impl ProcessInfo {
    /// What `server` publishes now.
    pub fn of(server: &AnyServer) -> ProcessInfo {
        let counters = server.counters();
        let process = server.process();
        let (calls, casts, infos) = counters.handled();
        ProcessInfo {
            id: server.id(),
            type_name: server.type_name(),
            names: process.relations().names,
            parent: counters.parent(),
            run_state: run_state(server),
            mailbox: mailbox(server),
            handled: Handled {
                calls,
                casts,
                infos,
            },
            current: current(server),
            memory: server.control().memory(),
            uptime: counters.uptime(),
        }
    }
}

/// The server's mailbox: length, bound, drops.
pub(crate) fn mailbox(server: &AnyServer) -> MailboxStatus {
    let (len, capacity, dropped) = server.control().mailbox_numbers();
    MailboxStatus::new(len, capacity, dropped)
}

/// Running, suspended or exiting.
pub(crate) fn run_state(server: &AnyServer) -> RunState {
    let process = server.process();
    if !process.is_alive() || process.reason().is_some() {
        RunState::Exiting
    } else if process.is_suspended() {
        RunState::Suspended
    } else {
        RunState::Running
    }
}

/// The handler running now, `None` while the server waits for a message.
pub(crate) fn current(server: &AnyServer) -> Option<&'static str> {
    (!server.receiver_waiting()).then(|| server.counters().activity())
}

/// How long the handler running now has run, when known: from the
/// server's observer, or the long-handler watch.
pub(crate) fn running_for(server: &AnyServer) -> Option<std::time::Duration> {
    server
        .counters()
        .observing()
        .and_then(|observer| observer.running_for())
        .or_else(|| crate::sys::watch::busy_for(server.id()))
}

/// Every live server of the program, with what it publishes
/// ([`ProcessInfo`]), in no particular order. Nothing is asked of the
/// servers: a stuck one is listed like the others.
///
/// The table is read one shard at a time, so servers starting and exiting
/// meanwhile may or may not be listed; no lock is held for longer than it
/// takes to copy one shard's handles.
///
/// ```
/// use genserver_core::prelude::*;
/// use genserver_core::sys;
///
/// pub struct Worker;
///
/// #[gen_server]
/// impl Worker {
///     #[call]
///     pub fn ping(&self) {}
///
///     fn handle_info(&mut self, _msg: Info<()>) {}
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let worker = Worker::start(Worker).name("processes-doc-worker").await?;
/// worker.ping().await?;
/// let all = sys::processes();
/// let mine = all.iter().find(|p| p.id == worker.id()).unwrap();
/// assert_eq!(mine.type_name, "Worker");
/// assert_eq!(mine.names, ["processes-doc-worker"]);
/// assert_eq!(mine.handled.calls, 1);
/// # Ok(())
/// # }
/// ```
pub fn processes() -> Vec<ProcessInfo> {
    live::snapshot().iter().map(ProcessInfo::of).collect()
}

/// Every live server of the program, as handles without their type, in
/// no particular order (see [`processes`]).
pub fn servers() -> Vec<AnyServer> {
    live::snapshot()
}

/// How many servers are live, without listing them.
pub fn process_count() -> usize {
    live::count()
}
