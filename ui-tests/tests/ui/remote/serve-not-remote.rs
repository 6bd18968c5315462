use genserver_core::prelude::*;
use genserver_nats::Node;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn increment(&mut self, by: i64) -> i64 {
        self.value += by;
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
