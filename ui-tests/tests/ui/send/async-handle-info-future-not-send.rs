use genserver_core::prelude::*;
use std::rc::Rc;
use std::time::Duration;

pub struct Watcher {
    seen: u64,
}

#[gen_server]
impl Watcher {
    async fn handle_info(&mut self, _msg: Info<()>) {
        let seen = Rc::new(self.seen);
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.seen = *seen + 1;
    }
}

fn main() {}
