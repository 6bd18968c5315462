//! A `remote` server with a rejected handler: it still serves its other
//! handlers to other nodes, so `node.serve(..)` is no second error.
use genserver_core::prelude::*;
use genserver_nats::Node;

pub struct Counter {
    value: i64,
}

#[gen_server(remote)]
impl Counter {
    #[call]
    pub fn increment(&mut self, by: &i64) -> i64 {
        self.value += by;
        self.value
    }

    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

async fn share(node: Node, counter: Server<Counter>) {
    let _ = node.serve("counter", &counter).await;
    let _: i64 = counter.increment(&1).await.unwrap();
}

fn main() {
    let _ = share;
}
