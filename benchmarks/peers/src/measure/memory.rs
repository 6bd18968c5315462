//! Heap bytes per idle server, with a counting global allocator.
//!
//! The allocator forwards to the system allocator and, only while counting
//! is switched on (memory mode), adds up the bytes allocated and freed.
//! Switched off, it costs one relaxed load and a branch per allocation.
//! The figure is live heap bytes (allocated minus freed, as requested, so
//! without the allocator's own per-block overhead) after spawning `n`
//! servers and letting them all reach their idle wait, minus before, over `n`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::time::Duration;

use crate::impls::{Counter, Impl};
use crate::with_counter;

pub struct CountingAlloc;

static COUNTING: AtomicBool = AtomicBool::new(false);
static ALLOCATED: AtomicUsize = AtomicUsize::new(0);
static FREED: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCATED.fetch_add(layout.size(), Relaxed);
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            ALLOCATED.fetch_add(layout.size(), Relaxed);
        }
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if COUNTING.load(Relaxed) {
            FREED.fetch_add(layout.size(), Relaxed);
        }
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.load(Relaxed) {
            FREED.fetch_add(layout.size(), Relaxed);
            ALLOCATED.fetch_add(new_size, Relaxed);
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes allocated minus bytes freed since counting was switched on.
fn live() -> i64 {
    ALLOCATED.load(Relaxed) as i64 - FREED.load(Relaxed) as i64
}

/// Switches counting on for the rest of the process. Blocks allocated
/// before are not counted when freed either way, so call this before
/// building the runtimes that are measured.
pub fn start_counting() {
    COUNTING.store(true, Relaxed);
}

pub const SERVERS: usize = 10_000;

/// Lets every spawned task run until it waits (current-thread runtime).
async fn settle() {
    for _ in 0..3 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(20)).await;
}

async fn idle_bytes<C: Counter>(n: usize) -> f64 {
    let mut servers = Vec::with_capacity(n);
    settle().await;
    let before = live();
    for _ in 0..n {
        servers.push(C::spawn().await);
    }
    settle().await;
    let after = live();
    // One call each, so that a server that had not started yet fails here.
    for server in &servers {
        assert_eq!(server.add(0).await, 0);
    }
    for server in servers {
        server.stop().await;
    }
    (after - before) as f64 / n as f64
}

/// Heap bytes per idle server, `n` servers on a single-threaded runtime;
/// `None` if the implementation is not compiled in.
pub fn run(imp: Impl, n: usize) -> Option<f64> {
    assert!(COUNTING.load(Relaxed), "call start_counting() first");
    with_counter!(imp, C => imp.block_on(idle_bytes::<C>(n)))
}
