use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast(crate)]
    fn reset(&mut self) {
        self.value = 0;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
