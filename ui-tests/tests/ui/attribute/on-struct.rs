use genserver_core::prelude::*;

#[gen_server]
pub struct Counter {
    value: i64,
}

fn main() {
    let _ = Counter { value: 0 }.value;
}
