#![deny(warnings)]
use genserver_core::prelude::*;

pub struct Jobs {
    done: u64,
}

#[gen_server]
impl Jobs {
    /// Runs `job` on a task and answers when it finishes; the server is
    /// free meanwhile.
    #[call]
    pub fn run(&mut self, job: u64, reply: ReplyTo<u64>, ctx: &mut Context<Self>) {
        let _ = ctx.id();
        self.done += 1;
        tokio::spawn(async move { reply.reply(job * 2) });
    }

    fn handle_continue(&mut self, step: u8) {
        self.done += u64::from(step);
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let jobs = Jobs::start(Jobs { done: 0 }).await.unwrap();
    assert_eq!(jobs.run(21).await.unwrap(), 42);
}
