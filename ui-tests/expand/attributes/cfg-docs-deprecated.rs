#![deny(warnings)]
use genserver_core::prelude::*;

pub struct Switch {
    on: bool,
}

#[gen_server]
impl Switch {
    /// Turns the switch on.
    ///
    /// The doc comment is on the client method and the message variant.
    #[call]
    pub fn turn_on(&mut self) -> bool {
        self.on = true;
        self.on
    }

    /// Only with the (never set) `extra` cfg.
    #[cfg(any())]
    #[cast]
    pub fn extra(&mut self, _x: NoSuchType) {}

    /// Kept for old callers.
    #[deprecated = "use `turn_on`"]
    #[cast]
    pub fn flip(&mut self) {
        self.on = !self.on;
    }

    #[must_use]
    #[inline]
    #[call]
    pub fn is_on(&self) -> bool {
        self.on
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let switch = Switch::start(Switch { on: false }).await.unwrap();
    assert!(switch.turn_on().await.unwrap());
    #[allow(deprecated)]
    switch.flip();
    assert!(!switch.is_on().await.unwrap());
}
