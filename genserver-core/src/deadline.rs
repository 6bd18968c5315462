//! Cheap call timeouts: coalesced deadlines.
//!
//! A tokio timer registered and dropped for every call costs more than the
//! call's own channel round trip. Instead, a call still waiting after its
//! first poll joins a *timeout group* of its server: every call whose
//! deadline falls within one slice of the timeout shares the group's one
//! timer. When the timer fires, every member still waiting is woken and
//! times out. A call is never timed out before its deadline, and at most one
//! slice after it (1/256 of the timeout, between 1 ms and 100 ms) plus the
//! 1 ms resolution of tokio's timer, which a plain `tokio::time::timeout`
//! has too.
//!
//! Groups are fired by a task on the server's runtime; if that runtime
//! shuts down, the task's guard fires the group, so no caller waits forever.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::Waker;
use std::time::Duration;

use tokio::time::Instant;

/// How late a timeout may fire, as a share of the timeout.
fn slice(timeout: Duration) -> Duration {
    (timeout / 256).clamp(Duration::from_millis(1), Duration::from_millis(100))
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

/// The calls of one server whose deadlines share a timer.
struct Group {
    fires_at: Instant,
    fired: AtomicBool,
    waiters: Mutex<Waiters>,
}

#[derive(Default)]
struct Waiters {
    slots: Vec<Option<Waker>>,
    free: Vec<usize>,
}

impl Group {
    fn fire(&self) {
        self.fired.store(true, Ordering::Release);
        let wakers: Vec<Waker> = {
            let mut waiters = lock(&self.waiters);
            waiters.free.clear();
            waiters.slots.drain(..).flatten().collect()
        };
        for waker in wakers {
            waker.wake();
        }
    }
}

/// Fires its group when dropped: on time, or when the runtime goes away.
struct FireOnDrop(Arc<Group>);

impl Drop for FireOnDrop {
    fn drop(&mut self) {
        self.0.fire();
    }
}

/// A server's timeout groups; only the newest ones are joined.
pub(crate) struct Groups {
    runtime: tokio::runtime::Handle,
    recent: Mutex<Vec<Arc<Group>>>,
}

/// How many groups with different timeouts are kept open for joining.
const RECENT: usize = 4;

impl Groups {
    /// Groups whose timers run on the current runtime (the server's).
    pub(crate) fn new() -> Self {
        Groups {
            runtime: tokio::runtime::Handle::current(),
            recent: Mutex::new(Vec::new()),
        }
    }

    /// Joins (or opens) the group that fires between `deadline` and one
    /// slice of `timeout` after it.
    pub(crate) fn join(&self, deadline: Instant, timeout: Duration, waker: &Waker) -> Membership {
        let slice = slice(timeout);
        let group = {
            let mut recent = lock(&self.recent);
            let found = recent.iter().find(|g| {
                g.fires_at >= deadline
                    && g.fires_at <= deadline + slice
                    && !g.fired.load(Ordering::Acquire)
            });
            match found {
                Some(group) => group.clone(),
                None => {
                    let group = Arc::new(Group {
                        fires_at: deadline + slice,
                        fired: AtomicBool::new(false),
                        waiters: Mutex::new(Waiters::default()),
                    });
                    let guard = FireOnDrop(group.clone());
                    self.runtime.spawn(async move {
                        tokio::time::sleep_until(guard.0.fires_at).await;
                        drop(guard);
                    });
                    recent.retain(|g| !g.fired.load(Ordering::Acquire));
                    if recent.len() == RECENT {
                        recent.remove(0);
                    }
                    recent.push(group.clone());
                    group
                }
            }
        };
        let slot = {
            let mut waiters = lock(&group.waiters);
            match waiters.free.pop() {
                Some(slot) => {
                    waiters.slots[slot] = Some(waker.clone());
                    slot
                }
                None => {
                    waiters.slots.push(Some(waker.clone()));
                    waiters.slots.len() - 1
                }
            }
        };
        Membership { group, slot }
    }
}

/// A waiting call's place in a timeout group; leaves it when dropped.
pub(crate) struct Membership {
    group: Arc<Group>,
    slot: usize,
}

impl Membership {
    /// `true` once the group's timer has fired.
    pub(crate) fn expired(&self) -> bool {
        self.group.fired.load(Ordering::Acquire)
    }

    /// Keeps the waker current when the call moved to another task.
    pub(crate) fn update(&self, waker: &Waker) {
        let mut waiters = lock(&self.group.waiters);
        if let Some(Some(current)) = waiters.slots.get_mut(self.slot)
            && !current.will_wake(waker)
        {
            *current = waker.clone();
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        if self.expired() {
            return;
        }
        let mut waiters = lock(&self.group.waiters);
        if let Some(slot) = waiters.slots.get_mut(self.slot)
            && slot.take().is_some()
        {
            waiters.free.push(self.slot);
        }
    }
}
