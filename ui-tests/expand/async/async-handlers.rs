#![deny(warnings)]
use genserver_core::prelude::*;
use std::time::Duration;

pub struct Fetcher {
    fetched: u32,
}

#[gen_server]
impl Fetcher {
    async fn init(fetched: u32) -> Result<Self, String> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(Fetcher { fetched })
    }

    /// Waits `ms`, then counts one more fetch.
    #[call]
    pub async fn fetch(&mut self, ms: u64) -> u32 {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        self.fetched += 1;
        self.fetched
    }

    #[cast]
    pub async fn warm_up(&mut self) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    async fn handle_info(&mut self, _msg: Info<()>) {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let fetcher = Fetcher::start(0).await.unwrap();
    fetcher.warm_up();
    assert_eq!(fetcher.fetch(1).await.unwrap(), 1);
}
