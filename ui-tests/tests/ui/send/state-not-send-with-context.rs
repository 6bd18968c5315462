use genserver_core::prelude::*;
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

#[derive(Clone)]
pub struct Tick;

pub struct Clock {
    ticks: Rc<Cell<u64>>,
}

#[gen_server(info = Tick)]
impl Clock {
    fn init(every: Duration, ctx: &mut Context<Self>) -> Result<Self, String> {
        ctx.send_interval(Tick, every);
        Ok(Clock { ticks: Rc::new(Cell::new(0)) })
    }

    #[call]
    pub fn ticks(&self, ctx: &mut Context<Self>) -> u64 {
        let _ = ctx.id();
        self.ticks.get()
    }

    fn handle_info(&mut self, _msg: Info<Tick>, _ctx: &mut Context<Self>) {
        self.ticks.set(self.ticks.get() + 1);
    }
}

fn main() {}
