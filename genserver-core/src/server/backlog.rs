//! A dead server's backlog: what was left queued in its mailbox, freed
//! after whoever waits for the exit has been told, and counted as dead
//! letters.

use std::collections::VecDeque;

use crate::id::ServerId;
use crate::server::dead_letters::{self, Addressee, DeadLetterReason};
use crate::server::mailbox::Evict;

/// Queued messages above which a dead server's backlog is freed on tokio's
/// blocking pool rather than on the runtime's thread: freeing a million
/// queued casts takes tens of milliseconds.
const LARGE_BACKLOG: usize = 4096;

/// Drops what was left in a dead server's mailbox: a large backlog on the
/// blocking pool, so that it holds no runtime thread; a small one here.
/// Its casts and infos are dead letters, counted as they are freed.
pub(crate) fn free_large<E: Evict + Send + 'static>(
    backlog: VecDeque<E>,
    server: &'static str,
    id: ServerId,
) {
    let large = backlog.len() > LARGE_BACKLOG;
    let free = move || {
        let dead = backlog.iter().filter(|e| e.dead_on_exit()).count() as u64;
        drop(backlog);
        let to = Addressee {
            type_name: server,
            id: Some(id),
            counts: None,
        };
        dead_letters::record(DeadLetterReason::Exited, Some(to), None, dead);
    };
    if large && let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn_blocking(free);
    } else {
        free();
    }
}
