#![deny(warnings)]
use genserver_core::prelude::*;
use std::time::Duration;

pub struct Counter {
    value: i64,
}

#[derive(Debug, Clone)]
pub struct Tick;

#[gen_server(info = Tick)]
impl Counter {
    /// Optional. Runs inside the new server; `start` resolves when it returns.
    async fn init(start: i64, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.send_interval(Tick, Duration::from_secs(1));
        Ok(Counter { value: start })
    }

    /// A call: the caller waits for the reply (default timeout 5 s).
    #[call]
    pub async fn increment(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

    /// A cast: fire-and-forget, never returns a value.
    #[cast]
    pub fn reset(&mut self) {
        self.value = 0
    }

    /// Mandatory catch-all: timers, monitors, links, idle timeouts, own messages.
    fn handle_info(&mut self, msg: Info<Tick>, _ctx: &mut Context<Self>) {
        match msg {
            Info::Message(Tick) => self.value += 1,
            other => tracing::warn!(?other, "unexpected message"),
        }
    }

    /// Optional. Runs when the server stops.
    fn terminate(&mut self, _reason: &ExitReason) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let counter = Counter::start(1).await.unwrap();
    assert_eq!(counter.increment(2).await.unwrap(), 3);
    counter.reset();
    assert_eq!(counter.value().await.unwrap(), 0);
}
