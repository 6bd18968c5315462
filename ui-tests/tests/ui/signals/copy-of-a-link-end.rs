use genserver_core::transport::LinkEnd;
use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn value(&self) -> i64 {
        self.value
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    let end = LinkEnd::open(&counter);
    // A link carries one exit signal: its end has no copies.
    let again = end.clone();
    end.exit(ExitReason::Shutdown);
    again.exit(ExitReason::Shutdown);
}
