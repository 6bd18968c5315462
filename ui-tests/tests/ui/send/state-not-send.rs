use genserver_core::prelude::*;
use std::rc::Rc;

pub struct Cache {
    shared: Rc<Vec<u8>>,
}

#[gen_server]
impl Cache {
    #[call]
    pub fn len(&self) -> usize {
        self.shared.len()
    }

    #[cast]
    pub async fn clear(&mut self) {
        self.shared = Rc::new(Vec::new());
    }

    fn handle_info(&mut self, _msg: Info<()>) {}

    fn terminate(&mut self, _reason: &ExitReason) {}
}

fn main() {}
