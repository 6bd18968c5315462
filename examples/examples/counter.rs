//! The seed's basic GenServer: a named counter, reached through its client
//! API only (`MyApp.Counter` in Elixir).
//!
//! `cargo run --example counter`

use genserver_core::prelude::*;
use genserver_core::whereis;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn init(initial: i64) -> Result<Self, String> {
        Ok(Counter { value: initial })
    }

    /// Adds one and returns the new value.
    #[call]
    pub fn increment(&mut self) -> i64 {
        self.value += 1;
        self.value
    }

    /// The current value.
    #[call]
    pub fn get_value(&self) -> i64 {
        self.value
    }

    fn handle_info(&mut self, msg: Info<()>) {
        tracing::warn!(?msg, "unexpected message");
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    Counter::start(0).name("counter").await?;

    // Anyone can find it by name, like `GenServer.call(__MODULE__, ..)`.
    let counter = whereis::<Counter>("counter").ok_or("counter not running")?;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let counter = counter.clone();
        tasks.push(tokio::spawn(async move {
            for _ in 0..100 {
                counter.increment().await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await?;
    }
    let value = counter.get_value().await?;
    println!("10 tasks x 100 increments = {value}");
    assert_eq!(value, 1000);
    counter.stop(ExitReason::Normal).await?;
    Ok(())
}
