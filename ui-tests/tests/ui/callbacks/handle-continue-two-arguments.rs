use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn handle_continue(&mut self, a: u32, b: u32) {
        self.value = i64::from(a + b);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
