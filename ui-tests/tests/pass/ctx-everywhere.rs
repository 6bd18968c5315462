#![deny(warnings)]
//! `ctx: &mut Context<Self>` as the last argument of every kind of callback.
use genserver_core::prelude::*;

pub struct Everywhere {
    seen: Vec<&'static str>,
}

#[gen_server(info = &'static str)]
impl Everywhere {
    fn init(ctx: &mut Context<Self>) -> Result<Self, std::convert::Infallible> {
        ctx.continue_with(1);
        Ok(Everywhere { seen: vec!["init"] })
    }

    fn handle_continue(&mut self, _step: u8, ctx: &mut Context<Self>) {
        let _ = ctx.id();
        self.seen.push("continue");
    }

    #[call]
    pub fn seen(&self, ctx: &mut Context<Self>) -> Vec<&'static str> {
        let _ = ctx.id();
        self.seen.clone()
    }

    #[call]
    pub fn later(&mut self, reply: ReplyTo<usize>, ctx: &mut Context<Self>) {
        let _ = ctx.id();
        reply.reply(self.seen.len());
    }

    #[cast]
    pub async fn poke(&mut self, ctx: &mut Context<Self>) {
        ctx.server().send("poked");
    }

    fn handle_info(&mut self, msg: Info<&'static str>, ctx: &mut Context<Self>) {
        let _ = ctx.id();
        if let Info::Message(text) = msg {
            self.seen.push(text);
        }
    }

    fn terminate(&mut self, _reason: &ExitReason, ctx: &mut Context<Self>) {
        let _ = ctx.id();
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let server = Everywhere::start().await.unwrap();
    server.poke();
    assert_eq!(server.later().await.unwrap(), 2);
    assert_eq!(server.seen().await.unwrap(), ["init", "continue", "poked"]);
}
