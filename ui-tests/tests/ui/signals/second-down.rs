use genserver_core::transport::MonitorEnd;
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
    let end = MonitorEnd::open(&counter);
    end.down(ExitReason::Normal);
    // A monitor has one Down.
    end.down(ExitReason::Normal);
}
