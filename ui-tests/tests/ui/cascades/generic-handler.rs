//! A generic call rejected: its client method keeps the generics, so the
//! caller's arguments still type-check.
use genserver_core::prelude::*;

pub struct Sink {
    count: usize,
}

#[gen_server]
impl Sink {
    #[call]
    pub fn put<T: ToString>(&mut self, item: T) -> String {
        self.count += 1;
        item.to_string()
    }

    #[call]
    pub fn count(&self) -> usize {
        self.count
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let sink = Sink::start(Sink { count: 0 }).await.unwrap();
    let _: String = sink.put(5u8).await.unwrap();
    let _: usize = sink.count().await.unwrap();
}
