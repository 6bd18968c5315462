//! What travels through a server's mailbox: the envelope of each message,
//! the runtime's own messages ([`System`]), and what the queue asks of a
//! message ([`Evict`]). The queue itself is `mailbox.rs`.

use tokio::sync::oneshot;

use crate::exit_reason::ExitReason;
use crate::id::{MonitorRef, ServerId, TaskId};
use crate::server::GenServer;
use crate::server::sys_request::SysRequest;
use crate::table::heir::TableTransfer;

/// What travels through a server's mailbox. Calls and casts stay inline;
/// the rare system messages are boxed so they do not make every slot larger.
pub(crate) enum Envelope<T: GenServer> {
    /// A call: never dropped by an overflow policy (it waits for room).
    Call(T::Message),
    /// A cast.
    Message(T::Message),
    Info(T::Info),
    System(Box<System>),
    /// A system request (`sys()`), in order with the user's messages.
    Sys(SysRequest<T>),
}

impl<T: GenServer> Evict for Envelope<T> {
    const SERVER: &'static str = T::NAME;

    /// Only casts: calls wait for room, and a task's result, an info
    /// message and a signal, once queued, are never dropped.
    fn evictable(&self) -> bool {
        matches!(self, Envelope::Message(_))
    }

    fn dead_on_exit(&self) -> bool {
        matches!(self, Envelope::Message(_) | Envelope::Info(_))
    }

    fn suspended_may_take(&self) -> bool {
        match self {
            Envelope::Sys(_) => true,
            Envelope::System(system) => matches!(**system, System::Stop { .. }),
            _ => false,
        }
    }
}

/// What kind of message is queued, for the queue's choices.
pub(crate) trait Evict {
    /// Whether it may be dropped to make room (`DropOldest`).
    fn evictable(&self) -> bool;
    /// Whether a suspended server takes it: a system request or a stop.
    fn suspended_may_take(&self) -> bool {
        false
    }
    /// Whether it is a dead letter when its server exits with it queued:
    /// a cast or an info (a queued call's caller is told instead).
    fn dead_on_exit(&self) -> bool {
        false
    }
    /// The server's type name, for the queue's reports (a constant of the
    /// type, so each mailbox need not hold it).
    const SERVER: &'static str = "server";
}

/// Messages from the runtime itself: signals from other servers on the
/// user lane, in order ([`Lane::Signal`]); the rest on the priority lane.
pub(crate) enum System {
    Down {
        monitor: MonitorRef,
        server: ServerId,
        reason: ExitReason,
    },
    Exit {
        from: ServerId,
        reason: ExitReason,
    },
    /// A table whose heir this server is: it owns it now.
    TableTransfer(TableTransfer),
    /// One of the server's tasks panicked (`tasks.rs`).
    TaskFailed {
        task: TaskId,
        reason: ExitReason,
    },
    /// `server.stop(reason)`: answered with the reason the server exited with.
    Stop {
        reason: ExitReason,
        done: oneshot::Sender<ExitReason>,
    },
}
