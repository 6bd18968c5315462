//! A cast rejected for having no receiver: its client methods still exist.
use genserver_core::prelude::*;

pub struct Clock {
    ticks: u64,
}

#[gen_server]
impl Clock {
    #[cast]
    pub fn tick(by: u64) {
        let _ = by;
    }

    #[call]
    pub fn ticks(&self) -> u64 {
        self.ticks
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let clock = Clock::start(Clock { ticks: 0 }).await.unwrap();
    clock.tick(1);
    let _: u64 = clock.ticks().await.unwrap();
}
