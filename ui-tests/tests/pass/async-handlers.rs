#![deny(warnings)]
//! Async init, handlers and callbacks, awaiting inside the server.
use genserver_core::prelude::*;
use std::time::Duration;

pub struct Slow {
    steps: u32,
}

#[gen_server]
impl Slow {
    async fn init(steps: u32) -> Result<Self, String> {
        tokio::time::sleep(Duration::from_millis(1)).await;
        Ok(Slow { steps })
    }

    #[call]
    pub async fn step(&mut self) -> u32 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.steps += 1;
        self.steps
    }

    #[cast]
    pub async fn nudge(&mut self) {
        tokio::task::yield_now().await;
        self.steps += 10;
    }

    async fn handle_info(&mut self, _msg: Info<()>) {
        tokio::task::yield_now().await;
    }

    async fn terminate(&mut self, _reason: &ExitReason) {
        tokio::task::yield_now().await;
    }
}

#[tokio::main]
async fn main() {
    let slow = Slow::start(1).await.unwrap();
    assert_eq!(slow.step().await.unwrap(), 2);
    slow.nudge();
    assert_eq!(slow.step().await.unwrap(), 13);
    slow.stop(ExitReason::Normal).await.unwrap();
}
