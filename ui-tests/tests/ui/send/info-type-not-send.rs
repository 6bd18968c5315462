use genserver_core::prelude::*;
use std::rc::Rc;

pub struct Ticker {
    ticks: u64,
}

#[gen_server]
impl Ticker {
    fn handle_info(&mut self, msg: Info<Rc<u64>>) {
        if let Info::Message(n) = msg {
            self.ticks += *n;
        }
    }
}

fn main() {}
