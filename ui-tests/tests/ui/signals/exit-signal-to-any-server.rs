use genserver_core::prelude::*;
use genserver_core::AnyServer;

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
    let victim = AnyServer::from(&counter);
    let posing_as = victim.id();
    // No handle delivers an exit signal: only a link's own end does.
    victim.__exit_signal(posing_as, ExitReason::Shutdown);
    assert_eq!(counter.value().await.unwrap(), 0);
}
