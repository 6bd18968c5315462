//! A private cast that nothing sends is still reported as dead code: once,
//! for the cast's client methods together.
#![deny(dead_code)]

use genserver_core::prelude::*;

pub struct Jobs {
    done: u32,
}

#[gen_server]
impl Jobs {
    #[cast]
    fn run(&mut self) {
        self.done += 1;
    }

    #[call]
    fn done(&self) -> u32 {
        self.done
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let jobs = Jobs::start(Jobs { done: 0 }).await.unwrap();
    let _: u32 = jobs.done().await.unwrap();
}
