use genserver_core::prelude::*;
use std::rc::Rc;
use std::time::Duration;

pub struct Log {
    lines: Vec<String>,
}

#[gen_server]
impl Log {
    #[cast]
    pub async fn push_later(&mut self, line: Rc<String>) {
        tokio::time::sleep(Duration::from_millis(1)).await;
        self.lines.push(line.to_string());
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
