#![deny(warnings)]
use genserver_core::prelude::*;

/// A server without `init`: `start` takes the state itself.
pub struct Flag {
    up: bool,
}

#[gen_server]
impl Flag {
    #[cast]
    pub fn raise(&mut self) {
        self.up = true;
    }

    #[call]
    pub fn is_up(&self) -> bool {
        self.up
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let flag = Flag::start(Flag { up: false }).await.unwrap();
    flag.raise();
    assert!(flag.is_up().await.unwrap());
}
