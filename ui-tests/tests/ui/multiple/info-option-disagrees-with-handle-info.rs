use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server(info = u32)]
impl Counter {
    fn handle_info(&mut self, _msg: Info<String>) {}
}

fn main() {}
