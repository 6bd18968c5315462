use genserver_core::prelude::*;
use std::cell::RefCell;
use std::rc::Rc;

pub struct Store {
    items: Vec<u8>,
}

#[gen_server]
impl Store {
    #[call]
    pub fn snapshot(&self) -> Result<Vec<Rc<RefCell<u8>>>, String> {
        Ok(self.items.iter().map(|i| Rc::new(RefCell::new(*i))).collect())
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
