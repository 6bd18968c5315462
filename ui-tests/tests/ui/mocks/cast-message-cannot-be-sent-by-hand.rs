//! Messages stay sealed under a mock: a recorded `CounterCast` is a record,
//! not a message; nothing sends one to a server.
use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast]
    pub fn reset(&mut self) {
        self.value = 0;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    counter.reset();
    counter.send(CounterCast::Reset);
}
