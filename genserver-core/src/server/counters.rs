//! What a server publishes about itself, for whoever inspects it: how many
//! messages it handled, what it is doing now, when it started. Kept outside
//! the server's task, so they answer while a handler is stuck.
//!
//! ```text
//!  server's task ──writes──▶ Counters (atomics, one writer) ◀──reads── sys().status(), processes()
//! ```
//!
//! Only the server's own task writes the message counts and the activity,
//! so each update is a plain load and store, no read-modify-write: a few
//! instructions on the per-message path, and no lock.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicPtr, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::id::ServerId;
use crate::server::dead_letters::ServerDeadLetters;
use crate::server::lazy_box::LazyBox;
use crate::server::observer::Observer;

/// The clock's zero for start times: the first time anything asked.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// What a server does when it is not in a handler of its own: its
/// [`Counters`] point at one of these names, or at its handler's.
pub(crate) mod activity {
    pub(crate) static INIT: &str = "init";
    pub(crate) static CONTINUE: &str = "handle_continue";
    pub(crate) static TERMINATE: &str = "terminate";
    /// A system request (`sys()`).
    pub(crate) static SYS: &str = "sys";
}

/// A name that lives as long as the program, by a thin pointer: what an
/// activity is stored as.
pub(crate) type Name = &'static &'static str;

/// A server's published counters.
#[derive(Debug)]
pub(crate) struct Counters {
    calls: AtomicU64,
    casts: AtomicU64,
    infos: AtomicU64,
    /// What runs now: a handler's name, or one of [`activity`]'s.
    activity: AtomicPtr<&'static str>,
    /// The server that started it linked (its supervisor), as a raw
    /// id; 0 for none.
    parent: AtomicU64,
    /// When it started, in nanoseconds since [`epoch`].
    started: u64,
    /// Its slot in the table of live servers (`live.rs`).
    slot: AtomicU32,
    /// The server its handler is calling, as a raw id (0: none), and that
    /// server's slot (`call_graph.rs`).
    waiting_on: AtomicU64,
    waiting_slot: AtomicU32,
    /// The size of its task (its boxed future), for the memory estimate.
    task_bytes: AtomicU32,
    /// The messages dropped that were for it, by reason (`dead_letters.rs`).
    pub(crate) dead_letters: ServerDeadLetters,
    /// What it records of its messages when asked to (`observer.rs`).
    pub(crate) observer: LazyBox<Observer>,
}

/// The pointer an activity is stored as.
#[inline(always)]
fn pointer(name: Name) -> *mut &'static str {
    (name as *const &'static str).cast_mut()
}

/// One counter's next value, by its only writer: a load and a store.
#[inline(always)]
fn bump(counter: &AtomicU64) {
    counter.store(
        counter.load(Ordering::Relaxed).wrapping_add(1),
        Ordering::Relaxed,
    );
}

impl Counters {
    pub(crate) fn new() -> Self {
        Counters {
            calls: AtomicU64::new(0),
            casts: AtomicU64::new(0),
            infos: AtomicU64::new(0),
            activity: AtomicPtr::new(pointer(&activity::INIT)),
            parent: AtomicU64::new(0),
            started: u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX),
            slot: AtomicU32::new(u32::MAX),
            waiting_on: AtomicU64::new(0),
            waiting_slot: AtomicU32::new(u32::MAX),
            dead_letters: ServerDeadLetters::default(),
            observer: LazyBox::default(),
            task_bytes: AtomicU32::new(0),
        }
    }

    pub(crate) fn set_task_bytes(&self, bytes: usize) {
        self.task_bytes
            .store(u32::try_from(bytes).unwrap_or(u32::MAX), Ordering::Relaxed);
    }

    pub(crate) fn task_bytes(&self) -> usize {
        self.task_bytes.load(Ordering::Relaxed) as usize
    }

    pub(crate) fn set_slot(&self, slot: u32) {
        self.slot.store(slot, Ordering::Relaxed);
    }

    pub(crate) fn slot(&self) -> u32 {
        self.slot.load(Ordering::Relaxed)
    }

    /// Its handler calls the server `id`, at `slot` in the live table.
    /// Sequentially consistent: see `call_graph.rs`.
    pub(crate) fn set_waiting(&self, id: ServerId, slot: u32) {
        self.waiting_slot.store(slot, Ordering::Relaxed);
        self.waiting_on.store(id.as_u64(), Ordering::SeqCst);
    }

    pub(crate) fn clear_waiting(&self) {
        self.waiting_on.store(0, Ordering::SeqCst);
    }

    /// The server its handler is calling, and that server's slot.
    pub(crate) fn waiting(&self) -> Option<(ServerId, u32)> {
        match self.waiting_on.load(Ordering::SeqCst) {
            0 => None,
            raw => Some((
                ServerId::from_u64(raw),
                self.waiting_slot.load(Ordering::Relaxed),
            )),
        }
    }

    /// Its observer, when it records something now: one load when not.
    #[inline(always)]
    pub(crate) fn observing(&self) -> Option<&Observer> {
        self.observer.get().filter(|observer| observer.active())
    }

    /// A call (or a cast) is being handled, by `handler`.
    #[inline(always)]
    pub(crate) fn handling(&self, handler: Name, call: bool) {
        bump(if call { &self.calls } else { &self.casts });
        self.set_activity(handler);
    }

    /// An info is being handled, by `handle_info` for its kind.
    #[inline(always)]
    pub(crate) fn info(&self, handler: Name) {
        bump(&self.infos);
        self.set_activity(handler);
    }

    /// `now` runs: a handler, or one of [`activity`]'s.
    #[inline(always)]
    pub(crate) fn set_activity(&self, now: Name) {
        self.activity.store(pointer(now), Ordering::Relaxed);
    }

    pub(crate) fn set_parent(&self, parent: ServerId) {
        self.parent.store(parent.as_u64(), Ordering::Relaxed);
    }

    /// The server that started it linked: its supervisor, if any.
    pub(crate) fn parent(&self) -> Option<ServerId> {
        match self.parent.load(Ordering::Relaxed) {
            0 => None,
            raw => Some(ServerId::from_u64(raw)),
        }
    }

    /// `(calls, casts, infos)` handled so far.
    pub(crate) fn handled(&self) -> (u64, u64, u64) {
        (
            self.calls.load(Ordering::Relaxed),
            self.casts.load(Ordering::Relaxed),
            self.infos.load(Ordering::Relaxed),
        )
    }

    /// What runs now.
    pub(crate) fn activity(&self) -> &'static str {
        let now = self.activity.load(Ordering::Relaxed);
        // SAFETY: only `pointer` stores here, from a `&'static &'static
        // str`: the pointer is valid and its target never changes.
        unsafe { *now }
    }

    /// How long ago it started.
    pub(crate) fn uptime(&self) -> Duration {
        let now = u64::try_from(epoch().elapsed().as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(now.saturating_sub(self.started))
    }
}
