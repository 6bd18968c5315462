//! `handle_continue` rejected: `ctx.continue_with(..)` still takes its
//! argument, so the handler that continues is no second error.
use genserver_core::prelude::*;

pub struct Loader {
    loaded: u32,
}

#[gen_server]
impl Loader {
    #[cast]
    pub fn load(&mut self, ctx: &mut Context<Self>) {
        ctx.continue_with(5);
    }

    fn handle_continue(&mut self, step: u32, extra: u32) {
        self.loaded += step + extra;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let loader = Loader::start(Loader { loaded: 0 }).await.unwrap();
    loader.load();
}
