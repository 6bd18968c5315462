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

/// Any value at all, as far as the type checker knows.
fn forge<T>() -> T {
    unimplemented!()
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    let watcher = AnyServer::from(&counter);
    // No handle delivers a Down: only a monitor's own end does.
    let monitor: MonitorRef = forge();
    watcher.__deliver_down(monitor, watcher.id(), ExitReason::Normal);
    assert_eq!(counter.value().await.unwrap(), 0);
}
