//! The process table at scale (observer's process list): with 1 000, 100 000
//! and 1 000 000 idle servers, how long `sys::process_count`,
//! `sys::servers` and `sys::processes` take, and how long a server start
//! waits meanwhile: the table is read one shard at a time, so a start
//! never waits for a whole snapshot.
//!
//! `cargo bench -p genserver-core --bench process_table` (about 3 GB of
//! memory at 1 000 000 servers; `PROCESS_TABLE_MAX=100000` for less).
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use genserver_core::prelude::*;
use genserver_core::sys;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

pub struct Idle;

#[gen_server]
impl Idle {
    #[call]
    pub fn ping(&self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn ms(d: Duration) -> String {
    format!("{:>9.2} ms", d.as_secs_f64() * 1e3)
}

/// The best of three runs of `f`.
fn best<R>(mut f: impl FnMut() -> R) -> (Duration, R) {
    let mut best = Duration::MAX;
    let mut result = None;
    for _ in 0..3 {
        let started = Instant::now();
        let r = f();
        best = best.min(started.elapsed());
        result = Some(r);
    }
    (best, result.expect("three runs"))
}

async fn measure(servers: &mut Vec<Server<Idle>>, n: usize) {
    while servers.len() < n {
        servers.push(Idle::start(Idle).await.unwrap());
    }
    let (count, counted) = best(sys::process_count);
    let (list, listed) = best(|| sys::servers().len());
    let (table, infos) = best(|| sys::processes().len());
    assert!(counted >= n && listed >= n && infos >= n);

    // Starts and stops on another thread while snapshots run: the longest
    // a start waited.
    let running = Arc::new(AtomicBool::new(true));
    let churn = tokio::spawn({
        let running = running.clone();
        async move {
            let mut longest = Duration::ZERO;
            let mut starts = 0u32;
            while running.load(Ordering::Relaxed) {
                let started = Instant::now();
                let server = Idle::start(Idle).await.unwrap();
                longest = longest.max(started.elapsed());
                starts += 1;
                server.stop(ExitReason::Normal).await.unwrap();
            }
            (longest, starts)
        }
    });
    let snapshots = tokio::task::spawn_blocking(|| {
        for _ in 0..3 {
            std::hint::black_box(sys::processes());
        }
    });
    snapshots.await.unwrap();
    running.store(false, Ordering::Relaxed);
    let (longest_start, starts) = churn.await.unwrap();
    println!(
        "{n:>9} servers: process_count {} | servers {} | processes {} | longest start during 3 snapshots {} ({starts} starts)",
        ms(count),
        ms(list),
        ms(table),
        ms(longest_start),
    );
}

fn main() {
    let max: usize = std::env::var("PROCESS_TABLE_MAX")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let mut servers = Vec::new();
        for n in [1_000, 100_000, 1_000_000] {
            if n <= max {
                measure(&mut servers, n).await;
            }
        }
    });
}
