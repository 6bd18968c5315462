use genserver_core::prelude::*;
use std::time::Duration;

pub struct Counter {
    value: i64,
}

#[derive(Debug, Clone)]
pub struct Tick;

#[gen_server(info = Tick)]
impl Counter {
    /// Starts at `start`.
    async fn init(start: i64, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.send_interval(Tick, Duration::from_secs(1));
        Ok(Counter { value: start })
    }

    /// Adds `by`.
    #[call]
    pub async fn increment(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

    #[cast]
    pub fn reset(&mut self) {
        self.value = 0
    }

    fn handle_info(&mut self, msg: Info<Tick>, _ctx: &mut Context<Self>) {
        match msg {
            Info::Message(Tick) => self.value += 1,
            other => tracing::warn!(?other, "unexpected message"),
        }
    }

    fn terminate(&mut self, _reason: &ExitReason) {}
}

#[tokio::test]
async fn smoke() {
    let counter: Server<Counter> = Counter::start(0).name("counter-smoke").await.unwrap();
    assert_eq!(counter.increment(2).await.unwrap(), 2);
    counter.reset();
    let n = counter.with_timeout(Duration::from_millis(50)).value().await.unwrap();
    assert_eq!(n, 0);
    counter.stop(ExitReason::Normal).await.unwrap();
    assert!(!counter.is_alive());
}
