use genserver_core::prelude::*;

pub struct Queue;

#[gen_server(mailbox)]
impl Queue {
    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
