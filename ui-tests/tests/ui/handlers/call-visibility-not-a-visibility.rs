use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call(public)]
    fn value(&self) -> i64 {
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
