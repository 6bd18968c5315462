use genserver_core::prelude::*;
use std::cell::Cell;
use std::rc::Rc;

pub struct Ticker {
    ticks: u64,
}

#[gen_server(info = Rc<Cell<u64>>)]
impl Ticker {
    fn handle_info(&mut self, msg: Info<Rc<Cell<u64>>>) {
        if let Info::Message(n) = msg {
            self.ticks += n.get();
        }
    }
}

fn main() {}
