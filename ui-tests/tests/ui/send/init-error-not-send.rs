use genserver_core::prelude::*;
use std::rc::Rc;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    fn init(value: i64) -> Result<Self, Rc<String>> {
        Ok(Counter { value })
    }

    fn handle_info(&mut self, _msg: Info<()>) {
        let _ = self.value;
    }
}

fn main() {}
