//! The hot path allocates nothing a hand-written actor does not: counted
//! with a counting global allocator, side by side with an unbounded mpsc +
//! oneshot actor doing the same work.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use genserver_core::prelude::*;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::{mpsc, oneshot};

struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

pub struct Counter {
    value: u64,
}

#[gen_server]
impl Counter {
    #[call]
    fn add(&mut self, by: u64) -> u64 {
        self.value += by;
        self.value
    }

    #[cast]
    fn bump(&mut self) {
        self.value += 1;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

enum Request {
    Add(u64, oneshot::Sender<u64>),
    Bump,
}

const N: usize = 2_000;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    f();
    ALLOCATIONS.load(Ordering::Relaxed) - before
}

#[test]
fn calls_and_casts_allocate_no_more_than_a_hand_written_actor() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(async { Counter::start(Counter { value: 0 }).await.unwrap() });
    let (tx, mut rx) = mpsc::unbounded_channel::<Request>();
    rt.spawn(async move {
        let mut value = 0u64;
        while let Some(request) = rx.recv().await {
            match request {
                Request::Add(by, reply) => {
                    value += by;
                    let _ = reply.send(value);
                }
                Request::Bump => value += 1,
            }
        }
    });
    // Warm both up: channel blocks, timeout groups, task slots.
    let work = |ours: bool| {
        rt.block_on(async {
            for _ in 0..N {
                if ours {
                    server.bump();
                    server.add(1).await.unwrap();
                } else {
                    let _ = tx.send(Request::Bump);
                    let (reply, answer) = oneshot::channel();
                    let _ = tx.send(Request::Add(1, reply));
                    answer.await.unwrap();
                }
            }
        })
    };
    work(true);
    work(false);
    let hand_written = allocations_during(|| work(false));
    let ours = allocations_during(|| work(true));
    // One oneshot per call on both sides; ours may add one timeout group
    // (an `Arc` and its timer task) per slice of the 5 s timeout (~20 ms).
    eprintln!(
        "allocations for {N} calls + {N} casts: gen_server {ours}, hand-written {hand_written}"
    );
    assert!(
        hand_written >= N,
        "the hand-written actor allocates a oneshot per call"
    );
    assert!(
        ours <= hand_written + 16,
        "generated server: {ours} allocations, hand-written: {hand_written} for {N} calls and casts"
    );
}
