use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast]
    pub fn reset(&mut self) {
        self.value = 0;
    }

    #[call]
    pub fn try_reset(&mut self) -> bool {
        self.value = 0;
        true
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
