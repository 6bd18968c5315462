//! A mock's scripted reply has the call's reply type: `increment`
//! answers an `i64`, not a `String`.
use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn increment(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    assert_eq!(counter.increment(1).await.unwrap(), 1);
    let mock = CounterMock::start();
    mock.on_increment(|by| format!("{by}"));
    assert_eq!(mock.server().increment(2).await.unwrap(), 2);
}
