//! Wall-clock throughput with two worker threads.
//!
//! The tokio-based implementations run on a multi-thread runtime with 2
//! workers (the main thread only waits in `block_on`). actix runs each
//! arbiter on one thread with a current-thread runtime, so it gets two:
//! the system arbiter on the main thread and one more `Arbiter`; servers
//! and clients are spread evenly over both.
//!
//! Only the clients' calls are timed: servers are spawned before the clock
//! starts and stopped after it stops.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use crate::impls::actix::Actix;
use crate::impls::{Counter, Impl};
use crate::with_counter;

/// Where the clients and servers of a run are.
pub struct Shape {
    pub servers: usize,
    pub clients: usize,
    pub calls_per_client: u64,
}

/// 32 clients on one server.
pub fn one_server(quick: bool) -> Shape {
    Shape {
        servers: 1,
        clients: 32,
        calls_per_client: if quick { 500 } else { 5_000 },
    }
}

/// 1 000 servers, 64 clients each calling a server picked at random.
pub fn many_servers(quick: bool) -> Shape {
    Shape {
        servers: 1_000,
        clients: 64,
        calls_per_client: if quick { 250 } else { 2_500 },
    }
}

impl Shape {
    pub fn total_calls(&self) -> u64 {
        self.clients as u64 * self.calls_per_client
    }
}

/// A small deterministic generator (xorshift64*), one per client.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as usize % n
    }
}

/// One client: `calls` calls, each to a server picked at random (always
/// the same one when there is only one).
async fn client<C: Counter>(servers: Arc<Vec<C>>, calls: u64, seed: u64) {
    let mut rng = Rng::new(seed);
    for _ in 0..calls {
        let i = if servers.len() == 1 {
            0
        } else {
            rng.below(servers.len())
        };
        servers[i].add(1).await;
    }
}

/// Checks every call was counted, then stops the servers.
async fn check_and_stop<C: Counter>(servers: Arc<Vec<C>>, expected: u64) {
    let mut total = 0;
    for server in servers.iter() {
        total += server.add(0).await;
    }
    assert_eq!(total, expected, "calls lost");
    let servers = Arc::try_unwrap(servers).unwrap_or_else(|_| panic!("clients still hold servers"));
    for server in servers {
        server.stop().await;
    }
}

fn on_tokio<C: Counter>(shape: &Shape) -> Duration {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let mut servers = Vec::with_capacity(shape.servers);
        for _ in 0..shape.servers {
            servers.push(C::spawn().await);
        }
        let servers = Arc::new(servers);
        let start = Instant::now();
        let clients: Vec<_> = (0..shape.clients)
            .map(|i| tokio::spawn(client(servers.clone(), shape.calls_per_client, i as u64)))
            .collect();
        for c in clients {
            c.await.expect("client panicked");
        }
        let elapsed = start.elapsed();
        check_and_stop(servers, shape.total_calls()).await;
        elapsed
    })
}

fn on_actix(shape: &Shape) -> Duration {
    let system = actix::System::new();
    let other = actix::Arbiter::new();
    let elapsed = system.block_on(async {
        let mut servers = Vec::with_capacity(shape.servers);
        for i in 0..shape.servers {
            servers.push(if i % 2 == 0 {
                Actix::start_here()
            } else {
                Actix::start_on(&other.handle()).await
            });
        }
        let servers = Arc::new(servers);
        let (done_tx, mut done_rx) = mpsc::unbounded_channel();
        let start = Instant::now();
        for i in 0..shape.clients {
            let servers = servers.clone();
            let done = done_tx.clone();
            let calls = shape.calls_per_client;
            let work = async move {
                client(servers, calls, i as u64).await;
                let _ = done.send(());
            };
            if i % 2 == 0 {
                actix::spawn(work);
            } else {
                other.spawn(work);
            }
        }
        for _ in 0..shape.clients {
            done_rx.recv().await.expect("client lost");
        }
        let elapsed = start.elapsed();
        check_and_stop(servers, shape.total_calls()).await;
        elapsed
    });
    other.stop();
    other.join().expect("arbiter thread");
    elapsed
}

/// One timed run; `None` if the implementation is not compiled in.
pub fn run(imp: Impl, shape: &Shape) -> Option<Duration> {
    if imp == Impl::Actix {
        return Some(on_actix(shape));
    }
    with_counter!(imp, C => on_tokio::<C>(shape))
}
