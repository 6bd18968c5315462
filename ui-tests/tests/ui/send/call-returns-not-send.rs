use genserver_core::prelude::*;
use std::rc::Rc;

pub struct Names {
    first: String,
}

#[gen_server]
impl Names {
    #[call]
    pub fn first(&self) -> Rc<str> {
        Rc::from(self.first.as_str())
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
