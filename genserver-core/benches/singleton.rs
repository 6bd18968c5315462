//! The singleton bottleneck, measured: 32 client tasks read per-key values
//! held three ways, on a runtime with 1 worker and with 2:
//!
//! - `one server`: every read is a call to one server holding a `HashMap`
//!   (the seed's anti-pattern);
//! - `partitions`: the same calls spread over a `PartitionSupervisor` of
//!   one server per worker, routed by key (`partitions.get(&key)`);
//! - `table`: reads straight from a `Table<K, V>` owned by one server,
//!   without a message.
//!
//! Each client does a fixed number of reads over 1 024 keys, either bare
//! (a `HashMap` lookup) or with about 10 µs of work on the value (`work`:
//! where a real handler parses, checks or formats). The work runs
//! where the value is read: in the server for calls, in the client for
//! table reads. The figure is reads per second over the whole run, the best
//! of 3 rounds, and the ratio to `one server` on the same runtime and
//! workload. Wall clock on a shared machine: read the ratios, not the
//! absolute figures.
//!
//! `cargo bench -p genserver-core --bench singleton`
#![allow(
    unreachable_pub,
    reason = "bench servers are `pub` like a user's; the bench crate exports nothing"
)]

use std::collections::HashMap;
use std::time::{Duration, Instant};

use genserver_core::PartitionSupervisor;
use genserver_core::Table;
use genserver_core::prelude::*;

const CLIENTS: usize = 32;
const KEYS: u64 = 1024;
/// Reads per client: bare, and with work.
const READS_PER_CLIENT: [u64; 2] = [20_000, 2_000];
const ROUNDS: usize = 3;
/// Rounds of mixing per read with `work`: about 10 µs.
const WORK_ROUNDS: u64 = 6_000;

/// Work on a value that the optimiser cannot skip.
fn work(value: u64, rounds: u64) -> u64 {
    let mut x = value;
    for i in 0..rounds {
        x = std::hint::black_box(x.rotate_left(5) ^ i).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
    std::hint::black_box(x);
    value
}

/// Holds values per key; hands out its table, if it made one.
pub struct Store {
    values: HashMap<u64, u64>,
    table: Option<Table<u64, u64>>,
}

#[gen_server]
impl Store {
    fn init(with_table: bool, ctx: &mut Context<Self>) -> Result<Self, String> {
        let values: HashMap<u64, u64> = (0..KEYS).map(|k| (k, k * 2)).collect();
        let table = if with_table {
            let table = Table::new(ctx);
            for (k, v) in &values {
                table.insert(*k, *v).map_err(|e| e.to_string())?;
            }
            Some(table)
        } else {
            None
        };
        Ok(Store { values, table })
    }

    #[call]
    pub fn get(&self, key: u64, rounds: u64) -> Option<u64> {
        self.values.get(&key).map(|v| work(*v, rounds))
    }

    #[call]
    pub fn table(&self) -> Option<Table<u64, u64>> {
        self.table.clone()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[derive(Clone)]
enum Design {
    OneServer(Server<Store>),
    Partitions(PartitionSupervisor<Store>),
    Table(Table<u64, u64>),
}

impl Design {
    async fn read(&self, key: u64, rounds: u64) -> Option<u64> {
        match self {
            Design::OneServer(server) => server.get(key, rounds).await.ok().flatten(),
            Design::Partitions(partitions) => match partitions.get(&key) {
                Some(server) => server.get(key, rounds).await.ok().flatten(),
                None => None,
            },
            Design::Table(table) => table.get(&key).ok().flatten().map(|v| work(v, rounds)),
        }
    }
}

/// Reads per second with `CLIENTS` tasks reading through `design`.
async fn measure(design: &Design, rounds: u64) -> f64 {
    let reads_per_client = READS_PER_CLIENT[usize::from(rounds > 0)];
    let mut best: f64 = 0.0;
    for _ in 0..ROUNDS {
        let started = Instant::now();
        let mut clients = tokio::task::JoinSet::new();
        for client in 0..CLIENTS as u64 {
            let design = design.clone();
            clients.spawn(async move {
                let mut found = 0u64;
                for i in 0..reads_per_client {
                    let key = (client * 7919 + i * 31) % KEYS;
                    if design.read(key, rounds).await == Some(key * 2) {
                        found += 1;
                    }
                    // Table reads never yield: let other clients run, as a
                    // request handler would between requests.
                    if i % 64 == 0 {
                        tokio::task::yield_now().await;
                    }
                }
                found
            });
        }
        let mut found = 0;
        while let Some(result) = clients.join_next().await {
            found += result.expect("client finishes");
        }
        assert_eq!(
            found,
            CLIENTS as u64 * reads_per_client,
            "every read found its value"
        );
        let reads = (CLIENTS as u64 * reads_per_client) as f64;
        best = best.max(reads / started.elapsed().as_secs_f64());
    }
    best
}

async fn run(workers: usize, rounds: u64) -> Vec<(&'static str, f64)> {
    let one = Store::start(false).await.expect("store starts");
    let partitions = PartitionSupervisor::new(|_| Store::start(false)).with_partitions(workers);
    let supervisor = partitions.start().await.expect("partitions start");
    let owner = Store::start(true).await.expect("store starts");
    let table = owner
        .table()
        .await
        .expect("owner answers")
        .expect("has a table");

    let results = vec![
        (
            "one server (calls)",
            measure(&Design::OneServer(one.clone()), rounds).await,
        ),
        (
            "partitions (calls)",
            measure(&Design::Partitions(partitions.clone()), rounds).await,
        ),
        (
            "table (no message)",
            measure(&Design::Table(table), rounds).await,
        ),
    ];
    one.stop(ExitReason::Normal).await.expect("stops");
    owner.stop(ExitReason::Normal).await.expect("stops");
    supervisor.stop(ExitReason::Shutdown).await.expect("stops");
    results
}

fn main() {
    // `cargo test --benches` runs benches with `--test`: a smoke run only.
    let smoke = std::env::args().any(|arg| arg == "--test");
    println!("| read | design | workers | reads/s | vs one server |");
    println!("|---|---|---:|---:|---:|");
    for (read, rounds) in [("bare", 0), ("+10 µs work", WORK_ROUNDS)] {
        for workers in [1, 2] {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(workers)
                .enable_all()
                .build()
                .expect("runtime");
            let results = runtime.block_on(async {
                if smoke {
                    return Vec::new();
                }
                tokio::time::timeout(Duration::from_secs(600), run(workers, rounds))
                    .await
                    .expect("the benchmark finishes")
            });
            let base = results.first().map_or(1.0, |(_, r)| *r);
            for (design, rate) in results {
                println!(
                    "| {read} | {design} | {workers} | {:.2} M | {:.1}× |",
                    rate / 1e6,
                    rate / base
                );
            }
        }
    }
}
