use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn handle_call(&mut self, by: i64) -> i64 {
        self.value += by;
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
