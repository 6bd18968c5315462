use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    fn later(&mut self, reply: ReplyTo<i64>) -> i64 {
        reply.reply(self.value);
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
