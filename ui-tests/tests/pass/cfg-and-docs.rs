#![deny(warnings, missing_docs)]
//! `#[cfg]` and doc comments carry over to the generated client.
use genserver_core::prelude::*;

/// A switch.
pub struct Switch {
    on: bool,
}

#[gen_server]
impl Switch {
    /// Flips the switch.
    #[cast]
    pub fn flip(&mut self) {
        self.on = !self.on;
    }

    /// Whether it is on.
    #[call]
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Compiled out: neither a variant nor a client method exists.
    #[cfg(any())]
    #[call]
    pub fn missing(&self) -> NoSuchType {
        NoSuchType
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let switch = Switch::start(Switch { on: false }).await.unwrap();
    switch.flip();
    assert!(switch.is_on().await.unwrap());
}
