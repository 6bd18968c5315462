//! A cast has no reply to script: the mock records it, for
//! `assert_receive!(mock, CounterCast::Reset)`.
use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

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
    assert_eq!(counter.value().await.unwrap(), 0);
    let mock = CounterMock::start();
    mock.on_reset(|| ());
}
