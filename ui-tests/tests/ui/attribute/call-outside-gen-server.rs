use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

impl Counter {
    #[call]
    fn value(&self) -> i64 {
        self.value
    }
}

fn main() {}
