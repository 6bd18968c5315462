use genserver_core::transport::MonitorEnd;
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
    // An end is opened, never built: its fields are the core's.
    let end = MonitorEnd {
        monitor: forge(),
        server: counter.id(),
        watcher: AnyServer::from(&counter),
    };
    end.down(ExitReason::Normal);
}
