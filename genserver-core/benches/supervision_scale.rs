//! Supervision at scale (OTP's `scale_start_stop_many_children`): start and
//! stop 1 000, 10 000 and 100 000 children under a `DynamicSupervisor` and
//! a `Supervisor`, and let 100 000 temporary children expire on their own.
//! Every per-child operation is O(log n) or better, so the time per child
//! stays flat as the count grows (OTP allows 1 000× for 100× the children).
//!
//! `cargo bench -p genserver-core --bench supervision_scale`
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

use genserver_core::prelude::*;
use genserver_core::{
    DynamicSupervisor, DynamicSupervisorSpec, Keys, Registry, Restart, Strategy, Supervisor,
    SupervisorSpec,
};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct Child;

#[gen_server]
impl Child {
    #[cast]
    pub fn finish(&mut self, ctx: &mut Context<Self>) {
        ctx.stop(ExitReason::Normal);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn per_child(total: Duration, n: usize) -> String {
    format!("{:>8.2} µs", total.as_secs_f64() * 1e6 / n as f64)
}

async fn dynamic(n: usize) -> (Duration, Duration, Duration) {
    let sup = DynamicSupervisor::start(DynamicSupervisorSpec::new())
        .await
        .unwrap()
        .with_timeout(Duration::from_secs(600));
    let started = Instant::now();
    for _ in 0..n {
        sup.start_child(Child::child_spec(Child)).await.unwrap();
    }
    let start = started.elapsed();
    // Temporary children that stop on their own: the supervisor forgets each.
    let temporary: Vec<Server<Child>> = {
        let mut all = Vec::with_capacity(n);
        for _ in 0..n {
            let spec = Child::child_spec(Child).with_restart(Restart::Temporary);
            let child = sup.start_child(spec).await.unwrap().unwrap();
            all.push(child.downcast().unwrap());
        }
        all
    };
    let expiring = Instant::now();
    for child in &temporary {
        child.finish();
    }
    while sup.count_children().await.unwrap().specs > n {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let expire = expiring.elapsed();
    let stopping = Instant::now();
    sup.stop(ExitReason::Shutdown).await.unwrap();
    (start, expire, stopping.elapsed())
}

async fn static_supervisor(n: usize) -> (Duration, Duration) {
    let spec = SupervisorSpec::new(Strategy::OneForOne)
        .children((0..n).map(|i| Child::child_spec(Child).with_id(i.to_string())));
    let started = Instant::now();
    let sup = Supervisor::start(spec)
        .await
        .unwrap()
        .with_timeout(Duration::from_secs(600));
    let start = started.elapsed();
    let stopping = Instant::now();
    sup.stop(ExitReason::Shutdown).await.unwrap();
    (start, stopping.elapsed())
}

async fn registry_keys(n: usize) -> Duration {
    let registry: Registry<usize> = Registry::new(Keys::Unique);
    let servers: Vec<Server<Child>> = {
        let mut all = Vec::new();
        for _ in 0..n / 1000 {
            all.push(Child::start(Child).await.unwrap());
        }
        all
    };
    for key in 0..n {
        registry
            .register(key, &servers[key % servers.len()], ())
            .unwrap();
    }
    let asking = Instant::now();
    for server in &servers {
        assert_eq!(registry.keys(server).len(), 1000);
    }
    asking.elapsed() / servers.len() as u32
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        println!("| children | dynamic: start | dynamic: expire | dynamic: shutdown | supervisor: start | supervisor: shutdown |");
        println!("|---:|---:|---:|---:|---:|---:|");
        for n in [1_000, 10_000, 100_000] {
            let (start, expire, stop) = dynamic(n).await;
            let (s_start, s_stop) = static_supervisor(n).await;
            println!(
                "| {n} | {} | {} | {} | {} | {} |",
                per_child(start, n),
                per_child(expire, n),
                per_child(stop, n),
                per_child(s_start, n),
                per_child(s_stop, n),
            );
        }
        println!();
        for n in [5_000, 500_000] {
            let per_call = registry_keys(n).await;
            println!("Registry::keys(server) with {n} entries: {per_call:?} per call (1 000 keys each)");
        }
    });
}
