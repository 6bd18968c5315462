//! A mock's reply closure takes the call's arguments, no more: `value`
//! takes none.
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

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    assert_eq!(counter.value().await.unwrap(), 0);
    let mock = CounterMock::start();
    mock.on_value(|extra: i64| extra);
    assert_eq!(mock.server().value().await.unwrap(), 0);
}
