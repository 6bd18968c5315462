use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast]
    fn reset(&mut self) -> i64 {
        std::mem::take(&mut self.value)
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
