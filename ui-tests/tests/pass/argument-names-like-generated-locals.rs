#![deny(warnings)]
//! Arguments may bear the names generated code uses for its own locals.

use genserver_core::prelude::*;

pub struct Names {
    sum: u64,
}

#[gen_server]
impl Names {
    fn init(args: u64, state: u64, ctx: u64) -> Result<Self, String> {
        Ok(Names { sum: args + state + ctx })
    }

    #[call]
    pub fn add(
        &mut self,
        reply: u64,
        ctx: u64,
        message: u64,
        request: u64,
        span: u64,
        args: u64,
        self_: u64,
        handle: u64,
        token: u64,
        never: u64,
        info: u64,
    ) -> u64 {
        self.sum += reply + ctx + message + request + span + args + self_ + handle + token + never + info;
        self.sum
    }

    #[cast]
    pub fn bump(&mut self, token: u64, reply: u64, f: u64) {
        self.sum += token + reply + f;
    }

    #[call]
    pub fn later(&mut self, reply: ReplyTo<u64>, ctx: &mut Context<Self>, ) {
        let _ = ctx.id();
        reply.reply(self.sum);
    }

    #[call]
    pub fn named_reply_to(&mut self, value: u64, answer: ReplyTo<u64>) {
        answer.reply(self.sum + value);
    }

    fn handle_continue(&mut self, arg: u64) {
        self.sum += arg;
    }

    fn handle_info(&mut self, info: Info<u64>, ctx: &mut Context<Self>) {
        if let Info::Message(n) = info {
            ctx.continue_with(n);
        }
    }

    fn terminate(&mut self, reason: &ExitReason) {
        let _ = reason;
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let names = Names::start(1, 2, 3).await.unwrap();
    assert_eq!(names.add(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1).await.unwrap(), 17);
    names.bump(1, 1, 1);
    assert_eq!(names.later().await.unwrap(), 20);
    assert_eq!(names.named_reply_to(5).await.unwrap(), 25);
    names.send(10);
    assert_eq!(names.later().await.unwrap(), 30);
}
