use genserver_core::prelude::*;
use std::rc::Rc;

pub struct Later {
    value: u64,
}

#[gen_server]
impl Later {
    #[call]
    pub fn value(&self, reply: ReplyTo<Rc<u64>>) {
        reply.reply(Rc::new(self.value));
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
