use genserver_core::prelude::*;
use std::rc::Rc;

pub struct Config {
    name: String,
}

#[gen_server]
impl Config {
    fn init(name: Rc<String>) -> Result<Self, String> {
        Ok(Config { name: name.to_string() })
    }

    fn handle_info(&mut self, _msg: Info<()>) {
        let _ = &self.name;
    }
}

fn main() {}
