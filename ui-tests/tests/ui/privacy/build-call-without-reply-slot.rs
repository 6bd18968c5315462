use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

/// Any value at all, as far as the type checker knows.
fn forge<T>() -> T {
    unimplemented!()
}

fn main() {
    // Only the runtime makes reply slots.
    let _reply: ReplyTo<i64> = ReplyTo { tx: forge() };
}
