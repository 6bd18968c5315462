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
    // The ids of another node's servers are minted by the core, for a
    // transport's monitor or link: none is made by hand.
    let from = ServerId::__remote("b");
    assert_ne!(from, counter.id());
}
