//! A call rejected for its receiver: its client method still exists.
use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn value(self) -> i64 {
        self.value
    }

    #[cast]
    pub fn add(&mut self, by: i64) {
        self.value += by;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 1 }).await.unwrap();
    counter.add(2);
    let _: i64 = counter.value().await.unwrap();
}
