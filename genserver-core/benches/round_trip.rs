//! A generated server against a hand-written tokio actor (unbounded mpsc +
//! oneshot), side by side in the same run:
//!
//! - `call`: one request-reply round trip;
//! - `cast`: 1000 fire-and-forget messages, then one call to wait for them.
//!
//! `cargo bench -p genserver-core --bench round_trip`
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use genserver_core::prelude::*;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

pub struct Counter {
    value: u64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn add(&mut self, by: u64) -> u64 {
        self.value += by;
        self.value
    }

    #[cast]
    pub fn bump(&mut self) {
        self.value += 1;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// The actor a careful person writes by hand.
enum Request {
    Add(u64, oneshot::Sender<u64>),
    Bump,
}

#[derive(Clone)]
struct Actor(mpsc::UnboundedSender<Request>);

impl Actor {
    fn spawn() -> Self {
        let (tx, mut rx) = mpsc::unbounded_channel();
        tokio::spawn(async move {
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
        Actor(tx)
    }

    async fn add(&self, by: u64) -> Option<u64> {
        let (tx, rx) = oneshot::channel();
        self.0.send(Request::Add(by, tx)).ok()?;
        rx.await.ok()
    }

    /// The same call with OTP's 5 s timeout, as a hand-written actor would add it.
    async fn add_with_timeout(&self, by: u64) -> Option<u64> {
        let (tx, rx) = oneshot::channel();
        self.0.send(Request::Add(by, tx)).ok()?;
        tokio::time::timeout(Duration::from_secs(5), rx)
            .await
            .ok()?
            .ok()
    }

    fn bump(&self) {
        let _ = self.0.send(Request::Bump);
    }
}

const CASTS: u64 = 1000;

fn runtime(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
        .unwrap()
}

fn bench(c: &mut Criterion) {
    for (label, rt) in [("current_thread", None), ("multi_thread", Some(runtime(2)))] {
        let rt = rt.unwrap_or_else(|| {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
        });
        let server = rt.block_on(async { Counter::start(Counter { value: 0 }).await.unwrap() });
        let actor = rt.block_on(async { Actor::spawn() });

        let mut group = c.benchmark_group(format!("call/{label}"));
        group.throughput(Throughput::Elements(1));
        group.bench_function("hand_written", |b| {
            b.to_async(&rt)
                .iter(|| async { actor.add(1).await.unwrap() })
        });
        group.bench_function("hand_written_timeout_5s", |b| {
            b.to_async(&rt)
                .iter(|| async { actor.add_with_timeout(1).await.unwrap() })
        });
        group.bench_function("gen_server", |b| {
            b.to_async(&rt)
                .iter(|| async { server.add(1).await.unwrap() })
        });
        group.finish();

        let mut group = c.benchmark_group(format!("cast/{label}"));
        group.throughput(Throughput::Elements(CASTS));
        group.bench_function("hand_written", |b| {
            b.to_async(&rt).iter_batched(
                || (),
                |()| async {
                    for _ in 0..CASTS {
                        actor.bump();
                    }
                    actor.add(0).await.unwrap()
                },
                BatchSize::SmallInput,
            )
        });
        group.bench_function("gen_server", |b| {
            b.to_async(&rt).iter_batched(
                || (),
                |()| async {
                    for _ in 0..CASTS {
                        server.bump();
                    }
                    server.add(0).await.unwrap()
                },
                BatchSize::SmallInput,
            )
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30);
    targets = bench
}
criterion_main!(benches);
