use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

trait Describe {
    fn describe(&self) -> String;
}

#[gen_server]
impl Describe for Counter {
    fn describe(&self) -> String {
        self.value.to_string()
    }
}

fn main() {}
