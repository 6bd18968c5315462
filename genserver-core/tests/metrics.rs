//! The `metrics` feature: what the runtime records through the `metrics`
//! facade, read back through `metrics-util`'s debugging recorder, by the
//! names and labels `genserver_core::metrics` documents.
#![allow(
    unreachable_pub,
    reason = "test servers are `pub` like a user's; the test crate exports nothing"
)]

mod common;

use common::{eventually, within};
use genserver_core::prelude::*;
use genserver_core::{Strategy, Supervisor, SupervisorSpec};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use std::collections::HashMap;
use std::future::IntoFuture;
use std::sync::{LazyLock, Mutex, OnceLock};
use std::time::Duration;

const LIMIT: Duration = Duration::from_secs(10);

/// What was recorded so far, by name and sorted labels. The debugging
/// recorder drains its values at each snapshot and the tests share it, so
/// every read adds the snapshot to this.
#[derive(Default)]
struct Recorded {
    counters: HashMap<String, u64>,
    gauges: HashMap<String, f64>,
    histograms: HashMap<String, usize>,
}

fn snapshotter() -> &'static Snapshotter {
    static SNAPSHOTTER: OnceLock<Snapshotter> = OnceLock::new();
    SNAPSHOTTER.get_or_init(|| {
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        recorder.install().expect("the only recorder");
        snapshotter
    })
}

fn recorded() -> std::sync::MutexGuard<'static, Recorded> {
    recorded_after(|| {})
}

/// Runs `f` and reads what it recorded before another test's read can
/// drain it (a gauge reads as zero once read).
fn recorded_after(f: impl FnOnce()) -> std::sync::MutexGuard<'static, Recorded> {
    static RECORDED: LazyLock<Mutex<Recorded>> = LazyLock::new(Mutex::default);
    let mut recorded = RECORDED.lock().unwrap_or_else(|e| e.into_inner());
    f();
    for (key, _, _, value) in snapshotter().snapshot().into_vec() {
        let mut labels: Vec<String> = key
            .key()
            .labels()
            .map(|label| format!("{}={}", label.key(), label.value()))
            .collect();
        labels.sort();
        let name = format!("{}{{{}}}", key.key().name(), labels.join(","));
        match value {
            DebugValue::Counter(n) => *recorded.counters.entry(name).or_default() += n,
            DebugValue::Gauge(v) => {
                recorded.gauges.insert(name, v.into_inner());
            }
            DebugValue::Histogram(values) => {
                *recorded.histograms.entry(name).or_default() += values.len();
            }
        }
    }
    recorded
}

fn counter(name: &str) -> u64 {
    recorded().counters.get(name).copied().unwrap_or(0)
}

fn samples(name: &str) -> usize {
    recorded().histograms.get(name).copied().unwrap_or(0)
}

fn gauge(name: &str) -> Option<f64> {
    recorded().gauges.get(name).copied()
}

/// The gauges right after a `sample`.
fn sampled(names: &[&str]) -> Vec<Option<f64>> {
    let recorded = recorded_after(genserver_core::metrics::sample);
    names
        .iter()
        .map(|name| recorded.gauges.get(*name).copied())
        .collect()
}

pub struct Meter {
    value: u64,
}

#[gen_server(info = u64)]
impl Meter {
    #[call]
    pub fn get(&self) -> u64 {
        self.value
    }

    #[cast]
    pub fn add(&mut self, by: u64) {
        self.value += by;
    }

    fn handle_info(&mut self, msg: Info<u64>) {
        if let Info::Message(by) = msg {
            self.value += by;
        }
    }
}

/// The only test that calls `enable` (it is global): a server started
/// before it records nothing until it, then records like one started
/// after it.
#[tokio::test]
async fn enable_records_messages_handler_times_and_call_latency_of_live_and_later_servers() {
    snapshotter();
    let before = within(
        LIMIT,
        "start",
        Meter::start(Meter { value: 0 }).into_future(),
    )
    .await
    .unwrap();
    within(LIMIT, "call", before.get()).await.unwrap();
    assert_eq!(counter("genserver_messages_total{kind=call,type=Meter}"), 0);

    genserver_core::metrics::enable();
    assert!(genserver_core::metrics::enabled());
    for _ in 0..3 {
        within(LIMIT, "call", before.get()).await.unwrap();
    }
    before.add(1);
    before.add(2);
    before.send(4);
    assert_eq!(within(LIMIT, "call", before.get()).await.unwrap(), 7);

    assert_eq!(counter("genserver_messages_total{kind=call,type=Meter}"), 4);
    assert_eq!(counter("genserver_messages_total{kind=cast,type=Meter}"), 2);
    assert_eq!(counter("genserver_messages_total{kind=info,type=Meter}"), 1);
    assert_eq!(
        samples("genserver_handler_duration_seconds{kind=call,type=Meter}"),
        4
    );
    assert_eq!(
        samples("genserver_handler_duration_seconds{kind=cast,type=Meter}"),
        2
    );
    assert_eq!(samples("genserver_call_duration_seconds{type=Meter}"), 4);

    let after = within(
        LIMIT,
        "start",
        Meter::start(Meter { value: 0 }).into_future(),
    )
    .await
    .unwrap();
    after.add(1);
    within(LIMIT, "call", after.get()).await.unwrap();
    assert_eq!(counter("genserver_messages_total{kind=call,type=Meter}"), 5);
    assert_eq!(counter("genserver_messages_total{kind=cast,type=Meter}"), 3);
    assert_eq!(samples("genserver_call_duration_seconds{type=Meter}"), 5);
}

#[derive(Clone)]
pub struct Fragile;

#[gen_server]
impl Fragile {
    #[cast]
    pub fn crash(&mut self) {
        panic!("fragile crashed");
    }

    #[call]
    pub fn ping(&self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn crashes_restarts_and_dead_letters_are_counted_by_type_and_reason() {
    snapshotter();
    let sup = within(
        LIMIT,
        "supervisor",
        Supervisor::start(
            SupervisorSpec::new(Strategy::OneForOne).child(Fragile::child_spec(Fragile)),
        )
        .into_future(),
    )
    .await
    .unwrap();
    let first = within(LIMIT, "whereis", async {
        loop {
            if let Some(server) = sup
                .which_children()
                .await
                .unwrap()
                .into_iter()
                .find_map(|c| c.server)
            {
                break server;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    let fragile: Server<Fragile> = first.downcast().expect("a Fragile");
    fragile.crash();
    eventually(LIMIT, "the crash and the restart are counted", || {
        counter("genserver_crashes_total{type=Fragile}") >= 1
            && counter("genserver_restarts_total{type=Fragile}") >= 1
    })
    .await;

    // A cast to a server that is gone: a dead letter, by reason and type.
    common::gone(fragile.clone()).await;
    fragile.crash();
    eventually(LIMIT, "the dead letter is counted", || {
        counter("genserver_dead_letters_total{reason=noproc,type=Fragile}") >= 1
    })
    .await;
}

pub struct Sampled;

#[gen_server]
impl Sampled {
    #[call]
    pub async fn hold(&self, gate: std::sync::Arc<tokio::sync::Notify>) {
        gate.notified().await;
    }

    #[cast]
    pub fn nothing(&mut self) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::test]
async fn sample_sets_the_gauges_by_type_and_zeroes_a_type_with_no_server_left() {
    snapshotter();
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(
            within(LIMIT, "start", Sampled::start(Sampled).into_future())
                .await
                .unwrap(),
        );
    }
    // One server busy with 5 casts queued behind its call.
    let gate = std::sync::Arc::new(tokio::sync::Notify::new());
    let busy = servers[0].clone();
    let held = tokio::spawn({
        let gate = gate.clone();
        async move { busy.hold(gate).await }
    });
    eventually(LIMIT, "the call is being handled", || {
        servers[0].mailbox_len() == 0
    })
    .await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    for _ in 0..5 {
        servers[0].nothing();
    }
    assert_eq!(
        sampled(&[
            "genserver_servers{type=Sampled}",
            "genserver_mailbox_messages{type=Sampled}",
            "genserver_mailbox_longest{type=Sampled}",
        ]),
        [Some(3.0), Some(5.0), Some(5.0)]
    );

    gate.notify_one();
    within(LIMIT, "held call", held).await.unwrap().unwrap();
    for server in servers {
        within(LIMIT, "stop", server.stop(ExitReason::Normal))
            .await
            .unwrap();
    }
    assert_eq!(sampled(&["genserver_servers{type=Sampled}"]), [Some(0.0)]);

    // The sampler task refreshes them on its own.
    let again = within(LIMIT, "start", Sampled::start(Sampled).into_future())
        .await
        .unwrap();
    let sampler = genserver_core::metrics::spawn_sampler(Duration::from_millis(10));
    eventually(LIMIT, "the sampler sees the new server", || {
        gauge("genserver_servers{type=Sampled}") == Some(1.0)
    })
    .await;
    sampler.abort();
    drop(again);
}
