//! `remote = true` is reported; the server is still remote beside the
//! error, so serving it to other nodes is no second one.
use genserver_core::prelude::*;
use genserver_nats::Node;

pub struct Counter {
    value: u8,
}

#[gen_server(remote = true)]
impl Counter {
    #[call]
    pub fn get(&self) -> u8 {
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

async fn share(node: Node, counter: Server<Counter>) {
    let _ = node.serve("counter", &counter).await;
}

fn main() {
    let _ = share;
}
