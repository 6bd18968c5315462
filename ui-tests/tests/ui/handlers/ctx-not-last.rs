use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast]
    fn add(&mut self, ctx: &mut Context<Self>, by: i64) {
        let _ = ctx;
        self.value += by;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
