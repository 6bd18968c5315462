//! `sys` is reserved for the handles' inspection API.
use genserver_core::prelude::*;

pub struct Machine {
    state: u8,
}

#[gen_server]
impl Machine {
    #[call]
    pub fn sys(&self) -> u8 {
        self.state
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let machine = Machine::start(Machine { state: 0 }).await.unwrap();
    let _ = machine.id();
}
