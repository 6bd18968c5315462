//! The flood: a server taking 1 ms per message under a cast flood, with a
//! bounded mailbox. The process's memory stays flat, calls behind the
//! flood end at their deadline, none hangs, and a `stop` gets through at
//! once on the priority lane.
//!
//! Runs 3 s in the test suite with generous bounds (a shared machine's
//! timing is noisy); `FLOOD_SECS=10 cargo test --release -p genserver-core
//! --test flood -- --nocapture` runs the 10 s flood and prints the
//! figures.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::within;
use genserver_core::Mailbox;
use genserver_core::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Slow {
    handled: u64,
}

#[gen_server]
impl Slow {
    /// One millisecond of work per message.
    #[cast]
    pub async fn work(&mut self, _payload: [u64; 8]) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.handled += 1;
    }

    #[call]
    pub fn handled(&self) -> u64 {
        self.handled
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Resident memory of this process, in bytes.
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounded_mailbox_under_a_cast_flood_keeps_memory_flat_and_callers_on_time() {
    let secs: u64 = std::env::var("FLOOD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3);
    let server = Slow::start(Slow { handled: 0 })
        .mailbox(Mailbox::bounded(1_024))
        .await
        .unwrap();
    let flooding = Arc::new(AtomicBool::new(true));
    let sent = Arc::new(AtomicU64::new(0));
    let producer = tokio::spawn({
        let (server, flooding, sent) = (server.clone(), flooding.clone(), sent.clone());
        async move {
            while flooding.load(Ordering::Relaxed) {
                for _ in 0..1_000 {
                    server.work([7; 8]);
                }
                sent.fetch_add(1_000, Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        }
    });
    // Calls behind the flood: each must end by its deadline, a little late
    // at most, and none may hang.
    let callers = tokio::spawn({
        let server = server.with_timeout(Duration::from_millis(100));
        let flooding = flooding.clone();
        async move {
            let (mut calls, mut worst_late) = (0u32, Duration::ZERO);
            while flooding.load(Ordering::Relaxed) {
                let started = Instant::now();
                let result = server.handled().await;
                let took = started.elapsed();
                if result.is_err() {
                    worst_late = worst_late.max(took.saturating_sub(Duration::from_millis(100)));
                }
                calls += 1;
            }
            (calls, worst_late)
        }
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let baseline = rss();
    let mut peak = baseline;
    for _ in 0..(secs * 10).saturating_sub(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        peak = peak.max(rss());
    }
    let stopping = Instant::now();
    within(
        Duration::from_secs(5),
        "the stop",
        server.stop(ExitReason::Shutdown),
    )
    .await
    .unwrap();
    let stop_took = stopping.elapsed();
    flooding.store(false, Ordering::Relaxed);
    within(Duration::from_secs(5), "the producer", producer)
        .await
        .unwrap();
    let (calls, worst_late) = within(Duration::from_secs(5), "the callers", callers)
        .await
        .unwrap();
    let grown = peak.saturating_sub(baseline);
    println!(
        "flood {secs} s: {} casts sent, {} dropped; RSS grew {} KiB; {calls} calls, worst {:?} past the deadline; stop took {stop_took:?}",
        sent.load(Ordering::Relaxed),
        server.dropped(),
        grown / 1024,
        worst_late,
    );
    assert!(server.dropped() > 0, "the flood filled the mailbox");
    // An unbounded mailbox grows by about 100 MiB per second of this flood.
    assert!(grown < 32 << 20, "memory grew by {grown} bytes");
    assert!(worst_late < Duration::from_millis(500), "{worst_late:?}");
    assert!(stop_took < Duration::from_secs(1), "{stop_took:?}");
}
