//! A cast rejected for a borrowed argument: its client method, `try_` and
//! `_wait` still exist, and the other handlers work.
use genserver_core::prelude::*;

pub struct Log {
    lines: Vec<String>,
}

#[gen_server]
impl Log {
    #[cast]
    pub fn push(&mut self, line: &str) {
        self.lines.push(line.to_string());
    }

    #[call]
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let log = Log::start(Log { lines: Vec::new() }).await.unwrap();
    log.push("one");
    log.try_push("two").unwrap();
    log.push_wait("three").await.unwrap();
    let _: usize = log.len().await.unwrap();
}
