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
