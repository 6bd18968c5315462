use genserver_core::prelude::*;

pub struct Counter;

#[gen_server(remote = true)]
impl Counter {
    #[call]
    pub fn get(&self) -> u8 {
        0
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
