use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn init(&self) -> Result<Self, String> {
        Ok(Counter { value: self.value })
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
