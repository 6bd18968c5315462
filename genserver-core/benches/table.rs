//! Reads and writes on a `Table` from many tasks, against the concurrent
//! maps it could have been built on and against the same work done as calls
//! to a server holding a `HashMap` (the singleton-bottleneck anti-pattern
//! that tables exist to replace).
//!
//! Every case runs 32 tasks on a 2-worker multi-thread runtime over 1 024
//! `u64` keys:
//!
//! - `reads`: each task looks keys up in turn;
//! - `writes`: each task inserts over the same keys (contended writes).
//!
//! Each case reports the best of three runs.
//!
//! `cargo bench -p genserver-core --bench table`
//!
//! The `candidate/*` lines measure the bare maps (`papaya`, `scc`,
//! `dashmap`, and a `RwLock<HashMap>` for scale); `table/*` is the
//! shipped `Table` (papaya behind an access check and the deleted-table
//! switch); `call/*` is a server holding a `HashMap`.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use genserver_core::prelude::*;
use genserver_core::{Access, Table};
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

const TASKS: u64 = 32;
const KEYS: u64 = 1024;
/// Operations per task on a map or a table.
const MAP_OPS: u64 = 200_000;
/// Operations per task as calls: far slower, so fewer.
const CALL_OPS: u64 = 2_000;
/// Runs per case; the best counts.
const RUNS: usize = 3;
/// How often a task yields, so the 32 tasks interleave on the 2 workers.
const YIELD_EVERY: u64 = 256;

/// The server holding a `HashMap`, read and written through calls.
pub struct Store {
    map: HashMap<u64, u64>,
}

#[gen_server]
impl Store {
    #[call]
    pub fn get(&self, key: u64) -> Option<u64> {
        self.map.get(&key).copied()
    }

    #[call]
    pub fn put(&mut self, key: u64, value: u64) {
        self.map.insert(key, value);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// The server owning a public table, created in `init`.
pub struct Owner {
    table: Table<u64, u64>,
}

#[gen_server]
impl Owner {
    fn init(_: (), ctx: &mut Context<Self>) -> Result<Self, String> {
        let table = Table::builder().access(Access::Public).create(ctx);
        for key in 0..KEYS {
            table.insert(key, key).map_err(|e| e.to_string())?;
        }
        Ok(Owner { table })
    }

    #[call]
    pub fn table(&self) -> Table<u64, u64> {
        self.table.clone()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Runs `task(i)` on `TASKS` tasks at once; operations per second overall,
/// the best of `RUNS` runs (the machine may be shared: the best run is the
/// one least disturbed).
async fn run<F, Fut>(ops_per_task: u64, task: F) -> f64
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = u64> + Send + 'static,
{
    let mut best = 0f64;
    for _ in 0..RUNS {
        let started = Instant::now();
        let handles: Vec<_> = (0..TASKS).map(|i| tokio::spawn(task(i))).collect();
        let mut check = 0u64;
        for handle in handles {
            check = check.wrapping_add(handle.await.unwrap());
        }
        std::hint::black_box(check);
        best = best.max((TASKS * ops_per_task) as f64 / started.elapsed().as_secs_f64());
    }
    best
}

/// A synchronous loop over the keys, yielding now and then.
async fn spin(i: u64, ops: u64, mut op: impl FnMut(u64) -> u64) -> u64 {
    let mut sum = 0u64;
    for n in 0..ops {
        let key = (i * 31 + n * 7) % KEYS;
        sum = sum.wrapping_add(op(key));
        if n % YIELD_EVERY == 0 {
            tokio::task::yield_now().await;
        }
    }
    sum
}

fn report(group: &str, name: &str, rate: f64) {
    println!("{group:<7} {name:<26} {:>10.2} Mops/s", rate / 1e6);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let papaya = Arc::new(papaya::HashMap::<u64, u64>::new());
        let scc = Arc::new(scc::HashMap::<u64, u64>::new());
        let dashmap = Arc::new(dashmap::DashMap::<u64, u64>::new());
        let rwlock = Arc::new(RwLock::new(HashMap::<u64, u64>::new()));
        for key in 0..KEYS {
            papaya.pin().insert(key, key);
            let _ = scc.insert_sync(key, key);
            dashmap.insert(key, key);
            rwlock.write().unwrap().insert(key, key);
        }
        let owner = Owner::start(()).await.unwrap();
        let table = owner.table().await.unwrap();
        let store = Store::start(Store {
            map: (0..KEYS).map(|k| (k, k)).collect(),
        })
        .await
        .unwrap();

        // Warm up the workers and the allocator once.
        let warm = table.clone();
        run(MAP_OPS, |i| {
            let t = warm.clone();
            spin(i, MAP_OPS, move |k| t.get(&k).unwrap().unwrap_or(0))
        })
        .await;

        let mut rates = Vec::new();
        let r = run(MAP_OPS, |i| {
            let m = papaya.clone();
            spin(i, MAP_OPS, move |k| *m.pin().get(&k).unwrap())
        })
        .await;
        report("reads", "candidate/papaya", r);
        let r = run(MAP_OPS, |i| {
            let m = scc.clone();
            spin(i, MAP_OPS, move |k| m.read_sync(&k, |_, v| *v).unwrap())
        })
        .await;
        report("reads", "candidate/scc", r);
        let r = run(MAP_OPS, |i| {
            let m = dashmap.clone();
            spin(i, MAP_OPS, move |k| *m.get(&k).unwrap())
        })
        .await;
        report("reads", "candidate/dashmap", r);
        let r = run(MAP_OPS, |i| {
            let m = rwlock.clone();
            spin(i, MAP_OPS, move |k| *m.read().unwrap().get(&k).unwrap())
        })
        .await;
        report("reads", "candidate/rwlock_hashmap", r);
        let r = run(MAP_OPS, |i| {
            let t = table.clone();
            spin(i, MAP_OPS, move |k| t.get(&k).unwrap().unwrap())
        })
        .await;
        report("reads", "table/get", r);
        rates.push(r);
        let r = run(MAP_OPS, |i| {
            let t = table.clone();
            spin(i, MAP_OPS, move |k| {
                t.get_with(&k, |v| *v).unwrap().unwrap()
            })
        })
        .await;
        report("reads", "table/get_with", r);
        let r = run(CALL_OPS, |i| {
            let s = store.clone();
            async move {
                let mut sum = 0u64;
                for n in 0..CALL_OPS {
                    let key = (i * 31 + n * 7) % KEYS;
                    sum = sum.wrapping_add(s.get(key).await.unwrap().unwrap());
                }
                sum
            }
        })
        .await;
        report("reads", "call/hashmap_server", r);
        println!(
            "reads   table/get over call/hashmap_server: {:.0}x",
            rates[0] / r
        );

        let r = run(MAP_OPS, |i| {
            let m = papaya.clone();
            spin(i, MAP_OPS, move |k| {
                m.pin().insert(k, i);
                k
            })
        })
        .await;
        report("writes", "candidate/papaya", r);
        let r = run(MAP_OPS, |i| {
            let m = scc.clone();
            spin(i, MAP_OPS, move |k| {
                m.upsert_sync(k, i);
                k
            })
        })
        .await;
        report("writes", "candidate/scc", r);
        let r = run(MAP_OPS, |i| {
            let m = dashmap.clone();
            spin(i, MAP_OPS, move |k| {
                m.insert(k, i);
                k
            })
        })
        .await;
        report("writes", "candidate/dashmap", r);
        let r = run(MAP_OPS, |i| {
            let m = rwlock.clone();
            spin(i, MAP_OPS, move |k| {
                m.write().unwrap().insert(k, i);
                k
            })
        })
        .await;
        report("writes", "candidate/rwlock_hashmap", r);
        let r = run(MAP_OPS, |i| {
            let t = table.clone();
            spin(i, MAP_OPS, move |k| {
                t.insert(k, i).unwrap();
                k
            })
        })
        .await;
        report("writes", "table/insert", r);
        let w = r;
        let r = run(MAP_OPS, |i| {
            let t = table.clone();
            spin(i, MAP_OPS, move |k| t.update_counter(k, 1, 0).unwrap())
        })
        .await;
        report("writes", "table/update_counter", r);
        let r = run(CALL_OPS, |i| {
            let s = store.clone();
            async move {
                for n in 0..CALL_OPS {
                    let key = (i * 31 + n * 7) % KEYS;
                    s.put(key, i).await.unwrap();
                }
                0
            }
        })
        .await;
        report("writes", "call/hashmap_server", r);
        println!(
            "writes  table/insert over call/hashmap_server: {:.0}x",
            w / r
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    });
}
