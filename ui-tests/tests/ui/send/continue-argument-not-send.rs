use genserver_core::prelude::*;
use std::rc::Rc;

pub struct Loader {
    loaded: u64,
}

#[gen_server]
impl Loader {
    fn handle_continue(&mut self, amount: Rc<u64>) {
        self.loaded += *amount;
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
