use genserver_core::prelude::*;

pub struct Queue {
    items: Vec<u64>,
}

#[gen_server]
impl Queue {
    #[call]
    pub fn mailbox_len(&self) -> usize {
        self.items.len()
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

fn main() {}
