//! Locking the runtime's own mutexes.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, ignoring poison: only the runtime's own bookkeeping runs
/// under these locks, never user code, so a panic cannot leave it half
/// changed.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
