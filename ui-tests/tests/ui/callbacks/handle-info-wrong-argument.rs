use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn handle_info(&mut self, msg: String) {
        let _ = msg;
    }
}

fn main() {}
