//! Call timeouts: O(1) per waiting call, nothing once the reply is in, no
//! task per call, driven where the caller waits.
//!
//! A tokio timer registered and dropped for every call costs about 900
//! instructions, 40 % of a whole round trip. Instead, a call still waiting
//! after its first poll joins a *timeout group*: every call whose deadline
//! falls within one slice of its timeout shares the group's one wake-up.
//! When the group fires, every member still waiting is woken and times out.
//! A call is never timed out before its deadline, and at most one slice
//! after it (1/256 of the timeout, between 1 ms and 10 ms) plus the 1 ms
//! resolution of tokio's timer, which a plain `tokio::time::timeout` has too.
//!
//! ```text
//!  caller's thread ──▶ Wheel (one per thread and runtime) ──▶ one driver task
//!                        │ groups by fire time                 sleeps until the
//!                        └─▶ Group { wakers of waiting calls }  next group, fires it
//! ```
//!
//! Groups live in a wheel owned by the caller's thread for the caller's
//! runtime, and one driver task per wheel, spawned on that runtime, sleeps
//! until the earliest group and fires it: the timeout belongs to where the
//! caller waits, never to the server's runtime, and the driver ends once no
//! group is left. A caller outside any tokio runtime uses a wheel driven by
//! a background thread. If the caller's runtime shuts down, its driver fires
//! every group as it is dropped, so no caller waits forever. Under
//! `tokio::time::pause()`, the driver sleeps on the paused clock.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Waker;
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::Notify;
use tokio::time::Instant;

use crate::lock::lock;

/// How late a timeout may fire, as a share of the timeout: 1/256 of it,
/// between 1 ms and 10 ms. The bounds are tested first: most timeouts
/// (OTP's 5 s among them) are past 2.56 s, and skipping the division
/// saved 9 instructions a call (`benchmarks/peers`, callgrind).
fn slice(timeout: Duration) -> Duration {
    const MIN: Duration = Duration::from_millis(1);
    const MAX: Duration = Duration::from_millis(10);
    if timeout >= MAX * 256 {
        MAX
    } else if timeout <= MIN * 256 {
        MIN
    } else {
        timeout / 256
    }
}

/// The calls whose deadlines share one wake-up.
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

/// The timeout groups of one thread on one runtime.
struct Wheel {
    /// The runtime the driver runs on; `None` for the background thread's.
    runtime: Option<tokio::runtime::Id>,
    spawner: Handle,
    state: Mutex<WheelState>,
    /// Wakes the driver when a group before its current target appears.
    earlier: Notify,
    /// The driver was dropped with its runtime: this wheel is not driven.
    dead: AtomicBool,
}

struct WheelState {
    groups: BTreeMap<(Instant, u64), Arc<Group>>,
    next_key: u64,
    /// When the running driver wakes next; `None` when no driver runs.
    driver: Option<Instant>,
}

impl Wheel {
    fn new(runtime: Option<tokio::runtime::Id>, spawner: Handle) -> Arc<Self> {
        Arc::new(Wheel {
            runtime,
            spawner,
            state: Mutex::new(WheelState {
                groups: BTreeMap::new(),
                next_key: 0,
                driver: None,
            }),
            earlier: Notify::new(),
            dead: AtomicBool::new(false),
        })
    }

    /// The group firing between `deadline` and `latest`, opened if there
    /// is none (it fires at `latest`).
    fn group(self: &Arc<Self>, deadline: Instant, latest: Instant) -> Arc<Group> {
        let mut state = lock(&self.state);
        if let Some((_, group)) = state
            .groups
            .range((deadline, 0)..=(latest, u64::MAX))
            .next()
        {
            return group.clone();
        }
        let fires_at = latest;
        let group = Arc::new(Group {
            fires_at,
            fired: AtomicBool::new(false),
            waiters: Mutex::new(Waiters::default()),
        });
        let key = state.next_key;
        state.next_key += 1;
        state.groups.insert((fires_at, key), group.clone());
        match state.driver {
            None => {
                state.driver = Some(fires_at);
                drop(state);
                self.spawner.spawn(drive(self.clone()));
            }
            Some(target) if fires_at < target => self.earlier.notify_one(),
            Some(_) => {}
        }
        group
    }

    /// Removes and fires every group due at `now`; the next target, or
    /// `None` (and the driver stops) when no group is left.
    fn fire_due(&self, now: Instant) -> Option<Instant> {
        let (due, next) = {
            let mut state = lock(&self.state);
            let later = state.groups.split_off(&(now, u64::MAX));
            let due = std::mem::replace(&mut state.groups, later);
            let next = state.groups.keys().next().map(|(at, _)| *at);
            state.driver = next;
            (due, next)
        };
        for group in due.into_values() {
            group.fire();
        }
        next
    }

    fn fire_all(&self) {
        self.dead.store(true, Ordering::Release);
        let groups = {
            let mut state = lock(&self.state);
            state.driver = None;
            std::mem::take(&mut state.groups)
        };
        for group in groups.into_values() {
            group.fire();
        }
    }
}

/// Fires every group if the driver is dropped before it is done: its
/// runtime is shutting down.
struct DriverGuard {
    wheel: Arc<Wheel>,
    done: bool,
}

impl DriverGuard {
    /// The driver ended with no group left.
    fn disarm(mut self) {
        self.done = true;
    }
}

impl Drop for DriverGuard {
    fn drop(&mut self) {
        if !self.done {
            self.wheel.fire_all();
        }
    }
}

/// Sleeps until the earliest group, fires it, and so on until none is left.
/// The guard is made before the future, so a driver dropped unpolled (its
/// runtime is shutting down) still fires its groups.
fn drive(wheel: Arc<Wheel>) -> impl Future<Output = ()> + Send + 'static {
    let guard = DriverGuard { wheel, done: false };
    async move {
        let mut next = lock(&guard.wheel.state).driver;
        while let Some(at) = next {
            tokio::select! {
                biased;
                () = guard.wheel.earlier.notified() => {
                    let mut state = lock(&guard.wheel.state);
                    next = state.groups.keys().next().map(|(at, _)| *at);
                    state.driver = next;
                    continue;
                }
                () = tokio::time::sleep_until(at) => {}
            }
            next = guard.wheel.fire_due(Instant::now());
        }
        guard.disarm();
    }
}

thread_local! {
    /// This thread's wheel, and the group it joined last.
    static LOCAL: RefCell<Local> = const { RefCell::new(Local { wheel: None, last: None }) };
}

struct Local {
    wheel: Option<Arc<Wheel>>,
    last: Option<Arc<Group>>,
}

/// The wheel driven by a background thread, for callers outside tokio.
fn background() -> Arc<Wheel> {
    static WHEEL: OnceLock<Arc<Wheel>> = OnceLock::new();
    WHEEL
        .get_or_init(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .build()
                .expect("genserver: cannot build the timeout thread's runtime");
            let handle = runtime.handle().clone();
            std::thread::Builder::new()
                .name("genserver-timeouts".into())
                .spawn(move || runtime.block_on(std::future::pending::<()>()))
                .expect("genserver: cannot start the timeout thread");
            Wheel::new(None, handle)
        })
        .clone()
}

/// Joins the group that fires between `deadline` and one slice of
/// `timeout` after it, on the caller's thread and runtime.
pub(crate) fn join(deadline: Instant, timeout: Duration, waker: &Waker) -> Membership {
    let latest = deadline + slice(timeout);
    let runtime = Handle::try_current().ok();
    let group = LOCAL.with(|local| {
        let mut local = local.borrow_mut();
        let current = runtime.as_ref().map(Handle::id);
        let usable = local
            .wheel
            .as_ref()
            .is_some_and(|wheel| wheel.runtime == current && !wheel.dead.load(Ordering::Acquire));
        if !usable {
            local.last = None;
            local.wheel = Some(match &runtime {
                Some(handle) => Wheel::new(current, handle.clone()),
                None => background(),
            });
        }
        if let Some(last) = &local.last
            && last.fires_at >= deadline
            && last.fires_at <= latest
            && !last.fired.load(Ordering::Acquire)
        {
            return last.clone();
        }
        let wheel = local.wheel.as_ref().expect("set above");
        let group = wheel.group(deadline, latest);
        local.last = Some(group.clone());
        group
    });
    let slot = {
        let mut waiters = lock(&group.waiters);
        if group.fired.load(Ordering::Acquire) {
            None
        } else {
            Some(match waiters.free.pop() {
                Some(slot) => {
                    waiters.slots[slot] = Some(waker.clone());
                    slot
                }
                None => {
                    waiters.slots.push(Some(waker.clone()));
                    waiters.slots.len() - 1
                }
            })
        }
    };
    Membership { group, slot }
}

/// A waiting call's place in a timeout group; leaves it when dropped.
pub(crate) struct Membership {
    group: Arc<Group>,
    /// `None` when the group had fired before the call could join.
    slot: Option<usize>,
}

impl Membership {
    /// `true` once the group has fired: the call has timed out.
    pub(crate) fn expired(&self) -> bool {
        self.group.fired.load(Ordering::Acquire)
    }

    /// Keeps the waker current when the call moved to another task.
    pub(crate) fn update(&self, waker: &Waker) {
        let Some(slot) = self.slot else { return };
        let mut waiters = lock(&self.group.waiters);
        if let Some(Some(current)) = waiters.slots.get_mut(slot)
            && !current.will_wake(waker)
        {
            *current = waker.clone();
        }
    }
}

impl Drop for Membership {
    fn drop(&mut self) {
        let Some(slot) = self.slot else { return };
        if self.expired() {
            return;
        }
        let waker = {
            let mut waiters = lock(&self.group.waiters);
            let waker = waiters.slots.get_mut(slot).and_then(Option::take);
            if waker.is_some() {
                waiters.free.push(slot);
            }
            waker
        };
        // Dropped outside the lock.
        drop(waker);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slice_is_a_256th_of_the_timeout_between_1_and_10_ms() {
        let ms = Duration::from_millis;
        for (timeout, slice_of) in [
            (Duration::ZERO, ms(1)),
            (ms(100), ms(1)),
            (ms(256), ms(1)),
            (ms(257), ms(257) / 256),
            (Duration::from_secs(1), Duration::from_secs(1) / 256),
            (ms(2559), ms(2559) / 256),
            (ms(2560), ms(10)),
            (Duration::from_secs(5), ms(10)),
            (Duration::MAX, ms(10)),
        ] {
            assert_eq!(slice(timeout), slice_of, "{timeout:?}");
            let plain = (timeout / 256).clamp(ms(1), ms(10));
            assert_eq!(slice(timeout), plain, "{timeout:?}");
        }
    }
}
