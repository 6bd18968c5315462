use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn handle_infos(&mut self, _msg: Info<()>) {}
}

fn main() {}
