//! The seed's periodic worker: polls an endpoint on a timer, keeps the last
//! results, and never blocks a caller while it works: the fetch runs on
//! its own task and comes back as an info message.
//!
//! `cargo run --example poller`

use genserver_core::prelude::*;
use std::time::Duration;

pub struct Poller {
    endpoint: String,
    results: Vec<u64>,
    polls: u32,
    in_flight: bool,
}

/// The poller's own messages.
#[derive(Debug, Clone)]
pub enum Tick {
    /// Time to poll.
    Poll,
    /// A fetch finished.
    Fetched(Vec<u64>),
}

#[gen_server(info = Tick)]
impl Poller {
    fn init(endpoint: String, every: Duration, ctx: &mut Context<Self>) -> Result<Self, String> {
        if endpoint.is_empty() {
            return Err("no endpoint".into());
        }
        ctx.send_interval(Tick::Poll, every);
        Ok(Poller {
            endpoint,
            results: Vec::new(),
            polls: 0,
            in_flight: false,
        })
    }

    /// The latest results.
    #[call]
    pub fn results(&self) -> (u32, Vec<u64>) {
        (self.polls, self.results.clone())
    }

    fn handle_info(&mut self, msg: Info<Tick>, ctx: &mut Context<Self>) {
        match msg {
            Info::Message(Tick::Poll) if !self.in_flight => {
                self.in_flight = true;
                let me = ctx.server().clone();
                let endpoint = self.endpoint.clone();
                let round = self.polls;
                tokio::spawn(async move { me.send(Tick::Fetched(fetch(&endpoint, round).await)) });
            }
            Info::Message(Tick::Poll) => tracing::debug!("still fetching; skipping a tick"),
            Info::Message(Tick::Fetched(results)) => {
                self.in_flight = false;
                self.polls += 1;
                self.results = results;
            }
            other => tracing::warn!(?other, "unexpected message"),
        }
    }
}

/// Stands in for an HTTP call.
async fn fetch(endpoint: &str, round: u32) -> Vec<u64> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    (0..3)
        .map(|i| endpoint.len() as u64 * 100 + u64::from(round) * 10 + i)
        .collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let poller = Poller::start(
        "https://example.invalid/metrics".into(),
        Duration::from_millis(20),
    )
    .await?;
    loop {
        let (polls, results) = poller.results().await?;
        println!("after {polls} polls: {results:?}");
        if polls >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    match Poller::start(String::new(), Duration::from_secs(1)).await {
        Err(StartError::Init(reason)) => {
            println!("a poller without an endpoint does not start: {reason}")
        }
        other => panic!("expected an init error, got {other:?}"),
    }
    poller.stop(ExitReason::Normal).await?;
    Ok(())
}
