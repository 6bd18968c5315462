//! A cast rejected for its return type: its client methods still exist, as
//! a cast's, and the other handlers work.
use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast]
    pub fn reset(&mut self) -> i64 {
        std::mem::take(&mut self.value)
    }

    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 1 }).await.unwrap();
    counter.reset();
    counter.try_reset().unwrap();
    let _: i64 = counter.value().await.unwrap();
}
