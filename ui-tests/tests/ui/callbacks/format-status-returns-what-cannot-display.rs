use genserver_core::prelude::*;

pub struct Counter {
    value: i64,
}

#[gen_server]
impl Counter {
    #[call]
    pub fn get(&self) -> i64 {
        self.value
    }

    fn format_status(&self) -> Vec<i64> {
        vec![self.value]
    }

    fn handle_info(&mut self, _msg: Info<()>) {}
}

#[tokio::main]
async fn main() {
    let counter = Counter::start(Counter { value: 0 }).await.unwrap();
    let _ = counter.get().await;
}
