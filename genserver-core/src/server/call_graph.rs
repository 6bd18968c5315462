//! Who waits on whom: each server publishes the server its handler is
//! calling, so a call that would close a cycle of calls (A calls B while
//! B's handler calls A, directly or through a chain) fails at once with
//! [`CallError::Deadlock`] instead of stalling until a timeout.
//!
//! ```text
//!  A's handler ── call ──▶ B      A.waiting_on = B      (set, then B's edge read)
//!  B's handler ── call ──▶ C      B.waiting_on = C
//!  C's handler ── call ──▶ A      C.waiting_on = A ─▶ walk A ▶ B ▶ C = me: a cycle
//! ```
//!
//! Each edge is written (sequentially consistent) before the callee's edge
//! is read, so of the calls that close a cycle together, the last one
//! sees every other edge: a cycle is always found by one of its calls. The
//! walk follows edges through the table of live servers and runs only when
//! the callee is itself calling: a call to a server that is not waiting on
//! anybody costs one load. A call from outside any server costs nothing.

use std::fmt;

use crate::id::ServerId;
use crate::server::any::AnyServer;
use crate::server::counters::Counters;
use crate::server::error::CallError;
use crate::server::gen_server::GenServer;
use crate::server::handle::{CURRENT_SERVER, Shared};
use crate::server::live;

/// The server whose task is running: what a call made from it knows of
/// its caller.
#[derive(Clone)]
pub(crate) struct Current {
    pub(crate) id: ServerId,
    pub(crate) me: AnyServer,
}

/// The longest chain of waiting servers followed.
const MAX_HOPS: usize = 1024;

/// A cycle of servers, each calling the next, the last calling the
/// first: what [`CallError::Deadlock`] names, starting with the caller
/// whose call would have closed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallCycle {
    servers: Vec<(ServerId, &'static str)>,
}

impl CallCycle {
    /// The servers of the cycle, in call order: the first calls the
    /// second, .., the last calls the first.
    pub fn servers(&self) -> impl ExactSizeIterator<Item = ServerId> + '_ {
        self.servers.iter().map(|(id, _)| *id)
    }

    /// Their types' names, in the same order.
    pub fn type_names(&self) -> impl ExactSizeIterator<Item = &'static str> + '_ {
        self.servers.iter().map(|(_, name)| *name)
    }
}

impl fmt::Display for CallCycle {
    /// `Stage <0.5.0> → Sink <0.6.0> → Stage <0.5.0>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (id, name) in &self.servers {
            write!(f, "{name} {id} → ")?;
        }
        match self.servers.first() {
            Some((id, name)) => write!(f, "{name} {id}"),
            None => Ok(()),
        }
    }
}

/// A call in progress from a server's handler: its edge in the graph,
/// removed when the call ends (or its future is dropped).
pub(crate) struct Waiting {
    set: bool,
}

impl Drop for Waiting {
    fn drop(&mut self) {
        if self.set {
            let _ = CURRENT_SERVER.try_with(|current| current.me.counters().clear_waiting());
        }
    }
}

/// A call (or a request answered like one) to the server `callee` is about
/// to be made: from a server's handler, its edge is published and checked.
///
/// # Errors
///
/// [`CallError::CallingSelf`] when the running server calls itself;
/// [`CallError::Deadlock`] when `callee` waits, through a chain, on the
/// running server.
pub(crate) fn enter<T: GenServer>(callee: &Shared<T>) -> Result<Waiting, CallError> {
    CURRENT_SERVER
        .try_with(|current| {
            let id = callee.process.id();
            if current.id == id {
                return Err(CallError::CallingSelf);
            }
            let mine = current.me.counters();
            mine.set_waiting(id, callee.counters.slot());
            if let Some(cycle) = cycle(current, (id, T::NAME), &callee.counters) {
                mine.clear_waiting();
                return Err(CallError::Deadlock(cycle));
            }
            Ok(Waiting { set: true })
        })
        .unwrap_or(Ok(Waiting { set: false }))
}

/// The cycle through `callee` back to the running server, if its chain of
/// waiting servers leads there.
fn cycle(
    current: &Current,
    callee: (ServerId, &'static str),
    counters: &Counters,
) -> Option<CallCycle> {
    let (mut next, mut slot) = counters.waiting()?;
    let mut servers = vec![(current.id, current.me.type_name()), callee];
    for _ in 0..MAX_HOPS {
        if next == current.id {
            return Some(CallCycle { servers });
        }
        // A cycle that does not come back here is someone else's.
        if servers.iter().any(|(id, _)| *id == next) {
            return None;
        }
        let server = live::get(next, slot)?;
        servers.push((next, server.type_name()));
        (next, slot) = server.counters().waiting()?;
    }
    None
}
