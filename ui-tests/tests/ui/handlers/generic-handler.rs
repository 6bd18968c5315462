use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    fn add<N: Into<i64>>(&mut self, by: N) -> i64 {
        self.value += by.into();
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
