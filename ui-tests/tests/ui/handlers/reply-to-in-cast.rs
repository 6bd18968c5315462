use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[cast]
    fn later(&mut self, reply: ReplyTo<i64>) {
        reply.reply(self.value);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
