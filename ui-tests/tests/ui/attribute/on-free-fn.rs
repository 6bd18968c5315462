use genserver_core::prelude::*;

#[gen_server]
fn counter() -> i64 {
    0
}

fn main() {
    let _ = counter();
}
