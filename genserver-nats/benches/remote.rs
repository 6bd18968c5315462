//! A remote call against a raw NATS request, and against a local call.
//!
//! Over one nats-server on loopback (started here, on 127.0.0.1 and a port
//! of its choosing), the same echo of a 64-byte body three ways (and a
//! fourth, below):
//!
//! - `genserver-nats`: node `b` calls `Remote<Echo>`, which node `a`
//!   serves (`#[gen_server(remote)]`): framing, postcard, the node's
//!   outbox and inbox, the server's mailbox;
//! - `raw async-nats`: one client's `request` to a hand-written responder
//!   on another connection, a subscriber that decodes a payload of the
//!   same size and shape (head and body, postcard) and publishes the reply;
//! - `local`: the same call through `Server<Echo>`, no NATS at all.
//!
//! Two figures: the latency of sequential round trips, and the
//! throughput of `CLIENTS` concurrent callers. The ways take turns
//! (one call each for latency, one short burst each for throughput), so
//! that the machine's other work weighs on them alike, and each figure is
//! the median of its samples: on a busy machine, best-of-3 rounds of
//! seconds each swung by ±50%. Targets: remote/raw latency ≤ 1.1×,
//! throughput ≥ 0.9×. Wall clock on a shared machine: read the ratios.
//!
//! `cargo bench -p genserver-nats --bench remote` (a smoke run of a few
//! calls under `cargo test --benches`). With `-- --servers 1000`, node `a`
//! serves 1 000 `Echo` servers and each call goes to one of them picked
//! at random; the raw responder answers 1 000 subjects through one
//! wildcard subscription, as a hand-written service would, and the local
//! calls go to 1 000 local servers alike.
//!
//! A fourth way, `raw per name`, is the hand-written responder built as
//! served names are: one queue subscription (queue group `q`, so that
//! nodes serving the same name could share its calls) and one task per
//! subject. Against it, the figure says what genserver's serving costs,
//! apart from the choice of a subscription per name.
#![allow(
    unreachable_pub,
    reason = "bench servers are `pub` like a user's; the bench crate exports nothing"
)]

#[path = "../examples/support/mod.rs"]
mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use genserver_core::prelude::*;
use genserver_core::{Remote, RemoteServer};
use genserver_nats::{Node, NodeOptions};
use serde::{Deserialize, Serialize};

const BODY: usize = 64;
const CLIENTS: usize = 32;

/// Returns its argument.
pub struct Echo;

#[gen_server(remote)]
impl Echo {
    #[call]
    pub fn echo(&self, bytes: Vec<u8>) -> Vec<u8> {
        bytes
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// The raw request: what a genserver request carries (a head and the
/// body), so both sides encode and decode as much.
#[derive(Serialize, Deserialize)]
struct RawRequest<'a> {
    version: u8,
    server: &'a str,
    schema: u64,
    timeout_ms: u64,
    ask: u8,
    variant: u8,
    body: Vec<u8>,
}

/// How much to run: the full bench, or a smoke run of a few calls.
struct Sizes {
    /// Sequential calls of each way.
    sequential: usize,
    /// Bursts of concurrent calls of each way.
    bursts: usize,
    /// Calls per caller in a burst.
    per_client: usize,
}

/// The middle sample.
fn median<T: PartialOrd + Copy>(samples: &mut [T]) -> T {
    samples.sort_by(|a, b| a.partial_cmp(b).expect("comparable"));
    samples[samples.len() / 2]
}

/// The ways to make one call, each to one of `n` servers.
#[derive(Clone)]
enum Way {
    Remote(Arc<[Remote<Echo>]>),
    Raw(async_nats::Client, Arc<[String]>),
    Local(Arc<[Server<Echo>]>),
}

/// The next of a caller's pseudo-random picks (xorshift).
fn pick(seed: &mut u64, n: usize) -> usize {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    (*seed % n as u64) as usize
}

impl Way {
    async fn call(&self, body: &[u8], seed: &mut u64) {
        match self {
            Way::Remote(remotes) => {
                let remote = &remotes[pick(seed, remotes.len())];
                let reply = remote.echo(body.to_vec()).await.expect("a remote echo");
                assert_eq!(reply.len(), body.len());
            }
            Way::Raw(client, subjects) => {
                let subject = subjects[pick(seed, subjects.len())].clone();
                let request = RawRequest {
                    version: 2,
                    server: <Echo as GenServer>::NAME,
                    schema: <Echo as RemoteServer>::SCHEMA,
                    timeout_ms: 5000,
                    ask: 0,
                    variant: 0,
                    body: body.to_vec(),
                };
                let payload = postcard::to_allocvec(&request).expect("encodes");
                let reply = client
                    .request(subject, Bytes::from(payload))
                    .await
                    .expect("a raw echo");
                let (status, value) = reply.payload.split_first().expect("a status byte");
                assert_eq!(*status, 0);
                let value: Vec<u8> = postcard::from_bytes(value).expect("decodes");
                assert_eq!(value.len(), body.len());
            }
            Way::Local(servers) => {
                let server = &servers[pick(seed, servers.len())];
                let reply = server.echo(body.to_vec()).await.expect("a local echo");
                assert_eq!(reply.len(), body.len());
            }
        }
    }

    /// The latency of one call.
    async fn timed(&self, body: &[u8], seed: &mut u64) -> Duration {
        let started = Instant::now();
        self.call(body, seed).await;
        started.elapsed()
    }

    /// Calls per second from `CLIENTS` concurrent callers, `per_client`
    /// calls each.
    async fn concurrent(&self, per_client: usize) -> f64 {
        let started = Instant::now();
        let tasks: Vec<_> = (0..CLIENTS)
            .map(|client| {
                let way = self.clone();
                tokio::spawn(async move {
                    let body = vec![7u8; BODY];
                    let mut seed = 0x9E37_79B9_7F4A_7C15 ^ (client as u64 + 1);
                    for _ in 0..per_client {
                        way.call(&body, &mut seed).await;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.expect("a caller");
        }
        (CLIENTS * per_client) as f64 / started.elapsed().as_secs_f64()
    }
}

/// The hand-written responder: decodes each request, replies with a
/// status byte and the body, as a served `Echo` does.
async fn raw_responder(client: async_nats::Client) {
    let requests = client.subscribe("raw.echo.*").await.expect("subscribes");
    client.flush().await.expect("flushes");
    tokio::spawn(respond(client, requests));
}

/// The hand-written responder built as served names are: a queue
/// subscription and a task for each of `subjects`.
async fn raw_responder_per_name(client: async_nats::Client, subjects: &[String]) {
    for subject in subjects {
        let requests = client
            .queue_subscribe(subject.clone(), "q".to_owned())
            .await
            .expect("subscribes");
        tokio::spawn(respond(client.clone(), requests));
    }
    client.flush().await.expect("flushes");
}

/// Answers each request of `requests`: decodes it, replies with a status
/// byte and the body, as a served `Echo` does.
async fn respond(client: async_nats::Client, mut requests: async_nats::Subscriber) {
    while let Some(message) = requests.next().await {
        let request: RawRequest<'_> = postcard::from_bytes(&message.payload).expect("decodes");
        let reply = postcard::to_extend(&request.body, vec![0u8]).expect("encodes");
        if let Some(to) = message.reply {
            client
                .publish(to, Bytes::from(reply))
                .await
                .expect("publishes");
        }
    }
}

fn main() {
    let full = std::env::args().any(|arg| arg == "--bench");
    let sizes = if full {
        Sizes {
            sequential: 10_000,
            bursts: 120,
            per_client: 50,
        }
    } else {
        Sizes {
            sequential: 10,
            bursts: 2,
            per_client: 2,
        }
    };
    let args: Vec<String> = std::env::args().collect();
    let servers = match args.iter().position(|arg| arg == "--servers") {
        Some(at) => args
            .get(at + 1)
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .expect("--servers takes a count above 0"),
        None => 1,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    let nats = support::NatsServer::start().expect("nats-server starts");
    runtime.block_on(run(nats.url(), &sizes, full, servers));
}

async fn run(url: &str, sizes: &Sizes, full: bool, servers: usize) {
    let a = Node::connect(url, NodeOptions::new("a").prefix("bench"))
        .await
        .expect("a connects");
    let b = Node::connect(url, NodeOptions::new("b").prefix("bench"))
        .await
        .expect("b connects");
    let mut locals = Vec::with_capacity(servers);
    let mut remotes = Vec::with_capacity(servers);
    let mut subjects = Vec::with_capacity(servers);
    let mut per_name = Vec::with_capacity(servers);
    for i in 0..servers {
        let echo = Echo::start(Echo).await.expect("starts");
        let name = format!("echo-{i}");
        a.serve(&name, &echo).await.expect("serves");
        remotes.push(b.remote::<Echo>(&name).expect("a name"));
        locals.push(echo);
        subjects.push(format!("raw.echo.{i}"));
        per_name.push(format!("named.echo.{i}"));
    }

    let responder = async_nats::connect(url).await.expect("connects");
    raw_responder(responder).await;
    let responder = async_nats::connect(url).await.expect("connects");
    raw_responder_per_name(responder, &per_name).await;
    let requester = async_nats::connect(url).await.expect("connects");

    let ways = [
        Way::Remote(remotes.into()),
        Way::Raw(requester.clone(), subjects.into()),
        Way::Local(locals.into()),
        Way::Raw(requester, per_name.into()),
    ];
    let body = vec![7u8; BODY];
    let mut seed = 0x2545_F491_4F6C_DD1D_u64;
    // Warm up: connections, allocations, the subscriptions' routes.
    for way in &ways {
        for _ in 0..sizes.sequential / 10 + 1 {
            way.call(&body, &mut seed).await;
        }
        way.concurrent(sizes.per_client).await;
    }

    // One call of each way in turn, so that what else the machine does
    // weighs on all of them alike; the median of each.
    let mut latency: [Vec<Duration>; 4] = Default::default();
    for _ in 0..sizes.sequential {
        for (i, way) in ways.iter().enumerate() {
            latency[i].push(way.timed(&body, &mut seed).await);
        }
    }
    let latency = latency.map(|mut samples| median(&mut samples));
    // Short bursts of each way in turn; the median burst of each (120 of
    // them: with 40, the ratio swung by ±0.04 from run to run).
    let mut throughput: [Vec<f64>; 4] = Default::default();
    for _ in 0..sizes.bursts {
        for (i, way) in ways.iter().enumerate() {
            throughput[i].push(way.concurrent(sizes.per_client).await);
        }
    }
    let throughput = throughput.map(|mut samples| median(&mut samples));

    if !full {
        println!("smoke run (cargo bench -p genserver-nats --bench remote for figures)");
        return;
    }
    let micros = |d: Duration| d.as_secs_f64() * 1e6;
    let lat_ratio = micros(latency[0]) / micros(latency[1]);
    let tput_ratio = throughput[0] / throughput[1];
    let lat_named = micros(latency[0]) / micros(latency[3]);
    let tput_named = throughput[0] / throughput[3];
    println!();
    println!(
        "{BODY}-byte echo to one of {servers} server(s) over nats-server {} on loopback; medians of interleaved samples",
        a.client().server_info().version
    );
    println!();
    println!(
        "| | genserver-nats `Remote<T>` | raw async-nats request | genserver / raw | raw, a queue subscription and task per name | genserver / that | local `Server<T>` |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|");
    println!(
        "| sequential latency, median µs/call ({} calls each, interleaved) | {:.1} | {:.1} | {lat_ratio:.2}× (target ≤ 1.10×) | {:.1} | {lat_named:.2}× | {:.2} |",
        sizes.sequential,
        micros(latency[0]),
        micros(latency[1]),
        micros(latency[3]),
        micros(latency[2]),
    );
    println!(
        "| throughput, median calls/s ({} interleaved bursts of {CLIENTS} callers × {}) | {:.0} | {:.0} | {tput_ratio:.2}× (target ≥ 0.90×) | {:.0} | {tput_named:.2}× | {:.0} |",
        sizes.bursts, sizes.per_client, throughput[0], throughput[1], throughput[3], throughput[2],
    );
    println!();
    a.close().await.expect("closes");
    b.close().await.expect("closes");
}
