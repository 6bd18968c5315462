use genserver_core::prelude::*;
use std::rc::Rc;

pub struct Log {
    lines: Vec<String>,
}

#[gen_server]
impl Log {
    #[cast]
    pub fn push(&mut self, line: Rc<String>) {
        self.lines.push(line.to_string());
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
