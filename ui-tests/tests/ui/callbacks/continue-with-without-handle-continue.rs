use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast]
    fn later(&mut self, ctx: &mut Context<Self>) {
        // No handle_continue: there is nothing to continue with.
        ctx.continue_with(1);
        self.value += 1;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
