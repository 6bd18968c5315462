//! `handle_info` rejected: the server still takes its info type, so
//! `server.send(..)` is no second error.
use genserver_core::prelude::*;

pub struct Ticker {
    ticks: u64,
}

#[derive(Debug)]
pub struct Tick;

#[gen_server]
impl Ticker {
    #[call]
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    fn handle_info(self, _msg: Info<Tick>) {}
}

#[tokio::main]
async fn main() {
    let ticker = Ticker::start(Ticker { ticks: 0 }).await.unwrap();
    ticker.send(Tick);
    let _: u64 = ticker.ticks().await.unwrap();
}
