use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server(timeout = 5)]
impl Counter {
    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
