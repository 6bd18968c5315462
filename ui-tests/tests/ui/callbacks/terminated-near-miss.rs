use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn terminated(&mut self, _reason: &ExitReason) {}

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
